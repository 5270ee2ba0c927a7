/* batch.c - an "alerts" message as EVALSHA arguments (see batch.h).
 *
 * Why it exists: the sensor's claims about itself are never trusted; this
 * is where the verified identity is written into every alert and where the
 * dedup rule (indicator x community_id, or indicator x src_ip x dest_ip)
 * becomes a concrete key. Keys are bounded: long indicator values are
 * replaced by their SHA-256.
 */
#include "batch.h"

#include "exercise.h"
#include "indkey.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_FIELD_MAX 128       /* community_id, addresses */

bool pk_indicator_key(json_t *alert, char *out, size_t len) {
    json_t *ind = json_object_get(json_object_get(alert, "picket"), "indicator");
    json_t *jt = json_object_get(ind, "type"), *jv = json_object_get(ind, "value");
    if (!json_is_string(jt) || !json_is_string(jv)) return false;
    return pk_indicator_key_mem(json_string_value(jt), json_string_length(jt),
                                json_string_value(jv), json_string_length(jv), out, len);
}

/* A flow field usable in a dedup key, or {NULL, 0}. */
static pk_span flow_span(const char *p, size_t n) {
    if (!p || n == 0 || n > FLOW_FIELD_MAX || memchr(p, 0, n)) return (pk_span){NULL, 0};
    return (pk_span){p, n};
}

static pk_span flow_field(json_t *alert, const char *name) {
    json_t *v = json_object_get(alert, name);
    if (!json_is_string(v)) return (pk_span){NULL, 0};
    return flow_span(json_string_value(v), json_string_length(v));
}

/* ------------------------------------------------------ argument text */

/* Every argument is appended to one growing buffer (b->text) and NUL
 * terminated; argv points into it once the batch is complete, so a batch
 * costs a handful of allocations instead of four per alert. */

static bool reserve(pk_batch *b, size_t more) {
    if (b->text_cap - b->text_len >= more) return true;
    size_t cap = b->text_cap ? b->text_cap : 4096;
    while (cap - b->text_len < more) {
        if (cap > SIZE_MAX / 2) return false;
        cap *= 2;
    }
    char *t = realloc(b->text, cap);
    if (!t) return false;
    b->text = t;
    b->text_cap = cap;
    return true;
}

static void arg_open(pk_batch *b) { b->off[b->argc] = b->text_len; }

static bool arg_close(pk_batch *b) {
    if (!reserve(b, 1)) return false;
    b->argvlen[b->argc] = b->text_len - b->off[b->argc];
    b->text[b->text_len++] = 0;
    b->argc++;
    return true;
}

static bool append(pk_batch *b, const char *s, size_t n) {
    if (!reserve(b, n)) return false;
    memcpy(b->text + b->text_len, s, n);
    b->text_len += n;
    return true;
}

static bool push_mem(pk_batch *b, const char *s, size_t n) {
    arg_open(b);
    return append(b, s, n) && arg_close(b);
}

static bool push_str(pk_batch *b, const char *s) { return push_mem(b, s, strlen(s)); }

static bool push_fmt(pk_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool push_fmt(pk_batch *b, const char *fmt, ...) {
    arg_open(b);
    for (int pass = 0; pass < 2; pass++) {
        size_t room = b->text_cap - b->text_len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(room ? b->text + b->text_len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) return false;
        if ((size_t)n < room) {
            b->text_len += (size_t)n;
            return arg_close(b);
        }
        if (!reserve(b, (size_t)n + 1)) return false;
    }
    return false;
}

static int dump_cb(const char *buf, size_t size, void *data) {
    return append(data, buf, size) ? 0 : -1;
}

/* ----------------------------------------------------------- the batch */

static pk_batch *batch_alloc(size_t nalerts, size_t text_hint) {
    pk_batch *b = calloc(1, sizeof *b);
    size_t cap = PK_BATCH_FIXED_ARGS + PK_BATCH_PER_ALERT * nalerts;
    if (!b) return NULL;
    b->argv = calloc(cap, sizeof *b->argv);
    b->argvlen = calloc(cap, sizeof *b->argvlen);
    b->off = calloc(cap, sizeof *b->off);
    b->json = calloc(nalerts ? nalerts : 1, sizeof *b->json);
    b->json_len = calloc(nalerts ? nalerts : 1, sizeof *b->json_len);
    b->exercise = calloc(nalerts ? nalerts : 1, sizeof *b->exercise);
    if (!b->argv || !b->argvlen || !b->off || !b->json || !b->json_len || !b->exercise ||
        !reserve(b, text_hint)) {
        pk_batch_free(b);
        return NULL;
    }
    b->bytes = sizeof *b + cap * (sizeof *b->argv + sizeof *b->argvlen + sizeof *b->off) +
               nalerts * (sizeof *b->json + sizeof *b->json_len);
    return b;
}

void pk_batch_free(pk_batch *b) {
    if (!b) return;
    free(b->text);
    free(b->off);
    free(b->argv);
    free(b->argvlen);
    free(b->json);
    free(b->json_len);
    free(b->exercise);
    free(b);
}

#define N_SLOT 15                 /* argv index of the alert count */
#define N_SLOT_WIDTH 20

static bool push_fixed(pk_batch *b, const pk_coll_config *cfg, const char *sensor,
                       const char *partner, long long prev) {
    char iso[40];
    int64_t now = pk_wall_ms();
    pk_wall_iso(now, iso, sizeof iso);
    const char *p = cfg->redis_prefix;
    bool ok = push_str(b, "EVALSHA") && push_str(b, "") && push_str(b, "4") &&
              push_fmt(b, "%sapplied", p) && push_fmt(b, "%salerts", p) &&
              push_fmt(b, "%ssightings", p) && push_fmt(b, "%sexercises", p) &&
              push_str(b, p) && push_str(b, sensor) &&
              push_str(b, partner) &&
              push_fmt(b, "%llu", (unsigned long long)cfg->window_s * 1000) &&
              push_fmt(b, "%llu", (unsigned long long)cfg->stream_maxlen) &&
              push_fmt(b, "%lld", (long long)now) && push_str(b, iso) &&
              push_fmt(b, "%*s", N_SLOT_WIDTH, "") &&          /* max seq, set at the end */
              push_fmt(b, "%*s", N_SLOT_WIDTH, "") &&          /* n, set at the end */
              push_fmt(b, "%lld", prev);
    return ok && b->argc == PK_BATCH_FIXED_ARGS;
}

/* Writes a number into a slot push_fixed reserved. */
static void fill_slot(pk_batch *b, int slot, long long v) {
    char *at = b->text + b->off[slot];
    b->argvlen[slot] = (size_t)snprintf(at, N_SLOT_WIDTH + 1, "%lld", v);
}

/* Stamps the verified identity into the alert. */
static bool stamp(json_t *alert, const char *sensor, const char *partner, const char *id) {
    json_t *pk = json_object_get(alert, "picket");
    return json_is_object(pk) && json_object_set_new(pk, "sensor", json_string(sensor)) == 0 &&
           json_object_set_new(pk, "partner", json_string(partner)) == 0 &&
           json_object_set_new(pk, "alert_id", json_string(id)) == 0;
}

/* The dedup rule, as the key under the alert's key space (the script puts
 * P..dedup: or P..exercise:<name>:dedup: before it). Without the fields
 * the rule needs, an alert is its own key (never folded into another). */
static bool push_dedup_key(pk_batch *b, const pk_coll_config *cfg, pk_span cid, pk_span src,
                           pk_span dst, const char *indkey, const char *alert_id) {
    if (cfg->dedup == PK_DEDUP_COMMUNITY && cid.p)
        return push_fmt(b, "%s|%.*s", indkey, (int)cid.n, cid.p);
    if (src.p && dst.p)
        return push_fmt(b, "%s|%.*s|%.*s", indkey, (int)src.n, src.p, (int)dst.n, dst.p);
    return push_fmt(b, "%s|alert:%s", indkey, alert_id);
}

static void skipped(pk_collector *coll, const char *sensor, long long seq) {
    pk_log_limited(&coll->rl.proto, PK_LOG_WARN,
                   "sensor %s: alert seq %lld has no usable picket.indicator: skipped", sensor,
                   seq);
}

/* False (counted, logged) when the alert's picket.exercise is malformed:
 * it is skipped, never made part of a key. */
static bool traffic_ok(pk_batch *b, pk_collector *coll, const char *sensor, long long seq,
                       pk_traffic t) {
    if (t != PK_TRAFFIC_MALFORMED) return true;
    b->bad_exercise++;
    pk_log_limited(&coll->rl.proto, PK_LOG_WARN,
                   "sensor %s: alert seq %lld: picket.exercise is not 1-64 characters "
                   "of [A-Za-z0-9_.-]: skipped", sensor, seq);
    return false;
}

/* Adds one alert's group; returns 1 added, 0 skipped (unusable), -1 OOM. */
static int push_alert(pk_batch *b, pk_collector *coll, const char *sensor,
                      const char *partner, json_t *item) {
    json_t *alert = json_object_get(item, "alert");
    long long seq = (long long)json_integer_value(json_object_get(item, "seq"));
    if (seq > b->max_seq) b->max_seq = seq;
    char indkey[PK_INDKEY_MAX], id[PK_ID_MAX + 32];
    snprintf(id, sizeof id, "%s:%lld", sensor, seq);
    const char *exercise;
    if (!traffic_ok(b, coll, sensor, seq, pk_exercise_of(alert, &exercise))) return 0;
    if (!pk_indicator_key(alert, indkey, sizeof indkey) || !stamp(alert, sensor, partner, id)) {
        skipped(coll, sensor, seq);
        return 0;
    }
    if (!push_fmt(b, "%lld", seq) ||
        !push_dedup_key(b, &coll->cfg, flow_field(alert, "community_id"),
                        flow_field(alert, "src_ip"), flow_field(alert, "dest_ip"), indkey, id) ||
        !push_str(b, indkey))
        return -1;
    arg_open(b);
    if (json_dump_callback(alert, dump_cb, b, JSON_COMPACT) != 0 || !arg_close(b) ||
        !push_str(b, exercise ? exercise : ""))
        return -1;
    b->n++;
    return 1;
}

/* The same from a scanned frame: the alert text is copied with the
 * identity replaced instead of being dumped from a tree. */
static int push_scanned(pk_batch *b, pk_collector *coll, const char *sensor,
                        const char *partner, const pk_scan_alert *a) {
    if (a->seq > b->max_seq) b->max_seq = a->seq;
    char indkey[PK_INDKEY_MAX], id[PK_ID_MAX + 32];
    snprintf(id, sizeof id, "%s:%lld", sensor, a->seq);
    pk_span exercise;
    if (!traffic_ok(b, coll, sensor, a->seq, pk_scan_traffic(a, &exercise))) return 0;
    if (!a->picket_close || !a->ind_type.p || !a->ind_value.p ||
        !pk_indicator_key_mem(a->ind_type.p, a->ind_type.n, a->ind_value.p, a->ind_value.n,
                              indkey, sizeof indkey)) {
        skipped(coll, sensor, a->seq);
        return 0;
    }
    if (!push_fmt(b, "%lld", a->seq) ||
        !push_dedup_key(b, &coll->cfg, flow_span(a->flow[PK_FLOW_CID].p, a->flow[PK_FLOW_CID].n),
                        flow_span(a->flow[PK_FLOW_SRC].p, a->flow[PK_FLOW_SRC].n),
                        flow_span(a->flow[PK_FLOW_DST].p, a->flow[PK_FLOW_DST].n), indkey, id) ||
        !push_str(b, indkey))
        return -1;
    const char *values[PK_STAMP__COUNT] = {sensor, partner, id};
    arg_open(b);
    if (!reserve(b, pk_scan_stamp_max(a, values))) return -1;
    b->text_len += pk_scan_stamp(a, values, b->text + b->text_len);
    if (!arg_close(b) || !push_mem(b, exercise.p ? exercise.p : "", exercise.n)) return -1;
    b->n++;
    return 1;
}

/* Points argv and json into the text once it no longer moves. */
static void finish(pk_batch *b) {
    fill_slot(b, N_SLOT - 1, b->max_seq);
    fill_slot(b, N_SLOT, (long long)b->n);
    for (int a = 0; a < b->argc; a++) b->argv[a] = b->text + b->off[a];
    b->argv[PK_BATCH_SHA_ARG] = NULL;                  /* redis_apply.c sets it */
    for (size_t k = 0; k < b->n; k++) {
        int a = PK_BATCH_FIXED_ARGS + (int)k * PK_BATCH_PER_ALERT + 3;
        b->json[k] = b->argv[a];
        b->json_len[k] = b->argvlen[a];
        b->exercise[k] = b->argvlen[a + 1] ? b->argv[a + 1] : NULL;
    }
    b->bytes += b->text_cap;
}

/* A batch for n alerts with its fixed arguments, or NULL (out of memory). */
static pk_batch *batch_begin(pk_collector *coll, const char *sensor, const char *partner,
                             long long prev, size_t n, size_t text_hint) {
    pk_batch *b = batch_alloc(n, text_hint);
    if (!b) return NULL;
    b->received = n;
    if (!push_fixed(b, &coll->cfg, sensor, partner, prev)) {
        pk_batch_free(b);
        return NULL;
    }
    return b;
}

/* Counts one push_alert/push_scanned result; false when out of memory. */
static bool batch_took(pk_batch *b, int r) {
    if (r == 0) b->invalid++;
    return r >= 0;
}

/* Completes b, or frees it when a push failed. */
static pk_batch *batch_end(pk_batch *b, bool ok) {
    if (!ok) {
        pk_batch_free(b);
        return NULL;
    }
    finish(b);
    return b;
}

pk_batch *pk_batch_build_scanned(pk_collector *coll, const char *sensor, const char *partner,
                                 long long prev, const pk_scan *sc) {
    size_t text = 1024;
    for (size_t i = 0; i < sc->n; i++) text += sc->a[i].text.n + 512;
    pk_batch *b = batch_begin(coll, sensor, partner, prev, sc->n, text);
    if (!b) return NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < sc->n; i++)
        ok = batch_took(b, push_scanned(b, coll, sensor, partner, &sc->a[i]));
    return batch_end(b, ok);
}

pk_batch *pk_batch_build(pk_collector *coll, const char *sensor, const char *partner,
                         long long prev, json_t *msg) {
    json_t *alerts = json_object_get(msg, "alerts");
    size_t total = json_array_size(alerts);
    pk_batch *b = batch_begin(coll, sensor, partner, prev, total, 1024 + total * 1024);
    if (!b) return NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < total; i++)
        ok = batch_took(b, push_alert(b, coll, sensor, partner, json_array_get(alerts, i)));
    return batch_end(b, ok);
}
