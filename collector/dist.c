/* dist.c - per-partner views of the indicator set and writing them to
 * sensors (see dist.h).
 *
 * Why it exists: a partner's share is filtered and cut into frames once per
 * version (a view, cached until the set changes) and then copied to each
 * of its sensors. Frames are added to a connection's output only while
 * less than PACE_HIGH bytes wait there, the rest on a short timer, so a
 * set of many frames neither trips the slow-reader cut-off nor delays the
 * acks the alert path sends on the same connection. A sensor is sent a
 * share only when its version differs from the last one it was sent.
 */
#include "dist_int.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "wire.h"

#define PACE_HIGH (1u << 20)      /* unread output before frames wait */
#define PACE_MS 10

/* ---- views ------------------------------------------------------------------- */

uint32_t pk_dist_frame_limit(const pk_collector *coll) {
    uint32_t l = coll->cfg.frame_limit;        /* sensors accept 1 MiB frames */
    return l < PK_WIRE_MAX_FRAME ? l : PK_WIRE_MAX_FRAME;
}

static void log_view(const pk_dist_set *set, const pk_dist_view *v, int64_t ms) {
    const pk_push_set *s = v->set;
    pk_log(PK_LOG_INFO, "indicator set %s for partner %s: %zu of %zu indicators, version %s, "
           "%zu bytes in %zu frame%s, built in %lld ms", set->lines.version, v->partner,
           s->count, set->list.n, s->version, s->bytes, s->nframes,
           s->nframes == 1 ? "" : "s", (long long)ms);
    if (s->too_long)
        pk_log(PK_LOG_WARN, "partner %s: %zu indicators left out: longer than a frame",
               v->partner, s->too_long);
}

static pk_dist_view *build_view(pk_dist_set *set, const char *partner, uint32_t limit) {
    if (set->nviews == set->capviews) {
        size_t cap = set->capviews ? set->capviews * 2 : 8;
        pk_dist_view **nv = realloc(set->views, cap * sizeof *nv);
        if (!nv) return NULL;
        set->views = nv;
        set->capviews = cap;
    }
    pk_dist_view *v = calloc(1, sizeof *v);
    int64_t t0 = pk_now_ms();
    if (v) v->set = pk_push_set_build(&set->lines, partner, limit);
    if (!v || !v->set) {
        pk_log(PK_LOG_ERR, "partner %s: cannot build its indicator set (out of memory, or "
               "more than %d frames)", partner, PK_PUSH_MAX_PARTS);
        free(v);
        return NULL;
    }
    snprintf(v->partner, sizeof v->partner, "%s", partner);
    set->views[set->nviews++] = v;
    log_view(set, v, pk_now_ms() - t0);
    return v;
}

static pk_dist_view *find_view(const pk_dist_set *set, const char *partner) {
    for (size_t i = 0; i < set->nviews; i++)
        if (strcmp(set->views[i]->partner, partner) == 0) return set->views[i];
    return NULL;
}

static pk_dist_view *view_for(pk_dist *d, const char *partner) {
    pk_dist_view *v = find_view(d->cur, partner);
    return v ? v : build_view(d->cur, partner, pk_dist_frame_limit(d->coll));
}

static void add_partner(pk_dist_partners *w, const char *p) {
    if (!p || w->n == PK_DIST_MAX_PREBUILT || strlen(p) > PK_PARTNER_MAX) return;
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->name[i], p) == 0) return;
    memcpy(w->name[w->n++], p, strlen(p) + 1);
}

void pk_dist_connected_partners(const pk_dist *d, pk_dist_partners *want) {
    want->n = 0;
    for (const pk_conn *c = d->coll->conns; c; c = c->next)
        if (c->state == PK_CONN_READY || c->state == PK_CONN_WELCOME)
            add_partner(want, c->partner);
}

void pk_dist_set_prepare(pk_dist_set *s, pk_dist_partners *want, uint32_t frame_limit) {
    const char *last = NULL;
    for (size_t i = 0; i < s->list.n; i++) {
        const char *p = s->list.items[i].partner;
        if (p && p != last) add_partner(want, p);     /* repeats share one pointer */
        last = p;
    }
    for (size_t i = 0; i < want->n; i++)
        if (!find_view(s, want->name[i])) build_view(s, want->name[i], frame_limit);
}

/* ---- writing ------------------------------------------------------------------- */

static pk_dist_peer *peer_of(pk_dist *d, pk_conn *c) {
    if (c->dist) return c->dist;
    pk_dist_peer *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->next = d->peers;
    d->peers = p;
    c->dist = p;
    return p;
}

static void arm_pace(pk_dist *d) {
    struct timeval tv = {0, PACE_MS * 1000};
    if (!evtimer_pending(d->pace_ev, NULL)) evtimer_add(d->pace_ev, &tv);
}

/* Adds frames to c's output while little waits there. */
static void write_frames(pk_dist *d, pk_conn *c, pk_dist_peer *p) {
    struct evbuffer *out = bufferevent_get_output(c->bev);
    const pk_push_set *s = p->view->set;
    while (p->next_frame < s->nframes && evbuffer_get_length(out) < PACE_HIGH) {
        const pk_push_frame *f = &s->frames[p->next_frame++];
        d->n.frames_sent++;
        d->n.bytes_sent += f->len;
        if (bufferevent_write(c->bev, f->buf, f->len) != 0) {
            pk_log(PK_LOG_ERR, "sensor %s: cannot queue its indicator set: closing", c->sensor);
            p->view = NULL;
            p->sent[0] = '\0';
            pk_conn_close(c);
            return;
        }
    }
    if (p->next_frame < s->nframes) return;
    d->n.shares_sent++;
    d->n.left_out += s->too_long;
    pk_log(PK_LOG_INFO, "sensor %s (partner %s): indicator set %s sent, %zu indicators",
           c->sensor, c->partner, s->version, s->count);
    p->view = NULL;
}

/* Sends c its partner's share unless it already has that version. */
static void offer(pk_dist *d, pk_conn *c) {
    pk_dist_view *v = view_for(d, c->partner);
    pk_dist_peer *p = v ? peer_of(d, c) : NULL;
    if (!p || strcmp(p->sent, v->set->version) == 0) return;
    memcpy(p->sent, v->set->version, sizeof p->sent);
    p->view = v;
    p->next_frame = 0;
    write_frames(d, c, p);
    if (p->view) arm_pace(d);
}

/* Walks the connections: writes pending frames (when `write`), marks the
 * records still attached, frees those whose connection is gone. Returns
 * whether frames are still pending. */
static bool walk(pk_dist *d, bool write) {
    bool pending = false;
    for (pk_conn *c = d->coll->conns; c; c = c->next) {
        pk_dist_peer *p = c->dist;
        if (!p) continue;
        p->seen = true;
        if (p->view && c->state != PK_CONN_READY) p->view = NULL;
        if (p->view && write) write_frames(d, c, p);
        pending |= p->view != NULL;
    }
    for (pk_dist_peer **pp = &d->peers; *pp;) {
        pk_dist_peer *p = *pp;
        if (!p->seen) {
            *pp = p->next;
            free(p);
            continue;
        }
        p->seen = false;
        pp = &p->next;
    }
    return pending;
}

static void on_pace(evutil_socket_t fd, short what, void *arg) {
    pk_dist *d = arg;
    if (walk(d, true)) arm_pace(d);
}

void pk_dist_prune(pk_dist *d) { walk(d, false); }

/* ---- the set in force ------------------------------------------------------------- */

void pk_dist_install(pk_dist *d, pk_dist_set *s) {
    pk_dist_set *old = d->cur;
    for (pk_dist_peer *p = d->peers; p; p = p->next) {
        if (!p->view) continue;
        p->view = NULL;                 /* cut short: send the whole new share */
        p->sent[0] = '\0';
    }
    d->cur = s;
    d->n.sets_loaded++;
    pk_dist_set_free(old);
    pk_log(PK_LOG_INFO, "indicator set %s in force: %zu indicators, loaded in %lld ms, "
           "serialised (%zu bytes) in %lld ms", s->lines.version, s->list.n,
           (long long)s->load_ms, s->lines.len, (long long)s->serialise_ms);
    if (s->lines.unwritable)
        pk_log(PK_LOG_WARN, "%zu indicators cannot be distributed (not serialisable)",
               s->lines.unwritable);
    for (pk_conn *c = d->coll->conns; c; c = c->next)
        if (c->state == PK_CONN_READY) offer(d, c);
    walk(d, false);
}

void pk_dist_welcomed(pk_dist *d, pk_conn *c) {
    if (d && d->cur && c->state == PK_CONN_READY) offer(d, c);
}

pk_dist *pk_dist_new(pk_collector *coll) {
    pk_dist *d = calloc(1, sizeof *d);
    char err[512];
    if (!d) return NULL;
    d->coll = coll;
    d->pipe_rd = d->pipe_wr = d->notify_fd = -1;
    d->pace_ev = evtimer_new(coll->base, on_pace, d);
    if (!d->pace_ev || !pk_dist_watch_start(d)) {   /* stamps taken before loading */
        pk_log(PK_LOG_ERR, "cannot set up indicator distribution events");
        pk_dist_free(d);
        return NULL;
    }
    pk_dist_set *s = pk_dist_set_load(&coll->cfg, stderr, err, sizeof err);
    if (!s) {
        pk_log(PK_LOG_ERR, "%s", err);
        pk_dist_free(d);
        return NULL;
    }
    d->want.n = 0;
    pk_dist_set_prepare(s, &d->want, pk_dist_frame_limit(coll));
    pk_dist_install(d, s);
    return d;
}

static void metric(struct evbuffer *out, const char *name, const char *help, uint64_t v) {
    evbuffer_add_printf(out, "# HELP picket_collector_dist_%s_total %s\n"
                        "# TYPE picket_collector_dist_%s_total counter\n"
                        "picket_collector_dist_%s_total %llu\n",
                        name, help, name, name, (unsigned long long)v);
}

void pk_dist_metrics(const pk_dist *d, struct evbuffer *out) {
    if (!d) return;
    metric(out, "sets_loaded", "Indicator sets put in force.", d->n.sets_loaded);
    metric(out, "reloads_failed", "Indicator reloads that kept the set in force.",
           d->n.reloads_failed);
    metric(out, "shares_sent", "Partner shares sent to a sensor in full.", d->n.shares_sent);
    metric(out, "frames_sent", "Indicators frames queued to sensors.", d->n.frames_sent);
    metric(out, "bytes_sent", "Bytes of indicators frames queued.", d->n.bytes_sent);
    metric(out, "indicators_left_out", "Indicators of a sent share too long for a frame.",
           d->n.left_out);
}

void pk_dist_free(pk_dist *d) {
    if (!d) return;
    pk_dist_watch_stop(d);
    if (d->pace_ev) event_free(d->pace_ev);
    while (d->peers) {
        pk_dist_peer *p = d->peers;
        d->peers = p->next;
        free(p);
    }
    for (pk_conn *c = d->coll->conns; c; c = c->next) c->dist = NULL;
    pk_dist_set_free(d->cur);
    free(d);
}
