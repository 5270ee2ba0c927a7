/* uplink_conn.c - the uplink thread: connect (TLS or loopback plaintext),
 * hello/welcome, batches with a window, acks, stats, reconnect with backoff.
 *
 * Why it exists: delivery is at least once. Only records the spool has
 * fsynced are sent; a welcome or an ack tells which seqs the collector has
 * applied, and after every reconnect the spool is read again from the
 * oldest record, skipping what was applied, so anything in flight when a
 * connection died is sent again (the collector drops the duplicates).
 *
 * Everything here runs on the uplink thread, inside its event loop.
 */
#include "uplink_int.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#ifndef PICKET_VERSION
#define PICKET_VERSION "0"
#endif

#define BATCH_HEAD "{\"type\":\"alerts\",\"alerts\":["

static void conn_lost(pk_uplink *u, const char *why);
static void pump(pk_uplink *u);

static struct timeval ms_tv(int64_t ms) {
    if (ms < 0) ms = 0;
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

static uint64_t next_rand(pk_uplink *u) {
    u->rng ^= u->rng << 13;
    u->rng ^= u->rng >> 7;
    u->rng ^= u->rng << 17;
    return u->rng;
}

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* ---- sending ----------------------------------------------------------- */

static void send_msg(pk_uplink *u, json_t *msg) {
    size_t n;
    uint8_t *buf = msg ? pk_wire_encode(msg, PK_WIRE_MAX_FRAME, &n) : NULL;
    json_decref(msg);
    if (!buf) {
        pk_log_limited(&u->proto_rl, PK_LOG_ERR, "uplink: cannot encode a message");
        return;
    }
    bufferevent_write(u->bev, buf, n);
    free(buf);
}

static bool pay_add(pk_uplink *u, const char *s, size_t n) {
    if (u->paylen + n > u->paycap) {
        size_t cap = u->paycap ? u->paycap : 65536;
        while (cap < u->paylen + n) cap *= 2;
        char *p = realloc(u->pay, cap);
        if (!p) return false;
        u->pay = p;
        u->paycap = cap;
    }
    memcpy(u->pay + u->paylen, s, n);
    u->paylen += n;
    return true;
}

/* pk_spool_rec_fn: adds one alert to the batch being filled. */
static bool add_alert(void *ctx, uint64_t seq, const char *json, size_t len) {
    pk_uplink *u = ctx;
    pk_batch *b = u->filling;
    if (b->count == PK_WIRE_MAX_BATCH) return false;
    if (!len || json[0] != '{') {
        pk_log_limited(&u->proto_rl, PK_LOG_ERR, "uplink: spooled alert %" PRIu64
                       " is not a JSON object; skipped", seq);
        return true;
    }
    char pre[64];
    int n = snprintf(pre, sizeof pre, "%s{\"seq\":%" PRIu64 ",\"alert\":",
                     b->count ? "," : "", seq);
    size_t after = u->paylen + (size_t)n + len + 1 + 2;   /* "}" and "]}" */
    if (after > PK_WIRE_MAX_FRAME) return false;
    size_t mark = u->paylen;
    if (!pay_add(u, pre, (size_t)n) || !pay_add(u, json, len) || !pay_add(u, "}", 1)) {
        u->paylen = mark;
        return false;
    }
    b->seq[b->count++] = seq;
    if (seq <= u->ever_sent_max) atomic_fetch_add(&u->alerts_resent, 1);
    return true;
}

/* Sends one batch of the next readable records; false when there are none. */
static bool send_batch(pk_uplink *u) {
    pk_batch *b = &u->win[(u->whead + u->wcount) % PK_UPLINK_MAX_WINDOW];
    b->count = b->done = 0;
    u->filling = b;
    u->paylen = 0;
    if (!pay_add(u, BATCH_HEAD, strlen(BATCH_HEAD))) return false;
    pk_spool_read(u->sp, &u->cur, max64(u->acked, u->sent_max), add_alert, u);
    if (!b->count || !pay_add(u, "]}", 2)) return false;
    uint8_t hdr[4];
    pk_wire_frame_header((uint32_t)u->paylen, hdr);
    bufferevent_write(u->bev, hdr, sizeof hdr);
    bufferevent_write(u->bev, u->pay, u->paylen);
    u->sent_max = b->seq[b->count - 1];
    u->ever_sent_max = max64(u->ever_sent_max, u->sent_max);
    u->wcount++;
    atomic_fetch_add(&u->batches_sent, 1);
    atomic_fetch_add(&u->alerts_sent, b->count);
    return true;
}

static void pump(pk_uplink *u) {
    while (u->st == PK_UP_READY && u->wcount < u->cfg.window && send_batch(u)) {
    }
    atomic_store(&u->busy, u->st != PK_UP_READY || u->wcount >= u->cfg.window);
}

/* ---- acknowledgements ---------------------------------------------------- */

static void publish_acked(pk_uplink *u) {
    pthread_mutex_lock(&u->dmu);
    atomic_store(&u->acked_pub, u->acked);
    pthread_cond_broadcast(&u->dcv);
    pthread_mutex_unlock(&u->dmu);
}

/* Every seq <= n is applied: retire batches, free the spool. */
static void note_acked(pk_uplink *u, uint64_t n) {
    while (u->wcount) {
        pk_batch *b = &u->win[u->whead];
        while (b->done < b->count && b->seq[b->done] <= n) {
            b->done++;
            atomic_fetch_add(&u->alerts_acked, 1);
        }
        if (b->done < b->count) break;
        u->whead = (u->whead + 1) % PK_UPLINK_MAX_WINDOW;
        u->wcount--;
    }
    if (n <= u->acked) return;
    u->acked = n;
    pk_spool_ack(u->sp, n);
    publish_acked(u);
}

static void protocol_error(pk_uplink *u, const char *why) {
    atomic_fetch_add(&u->protocol_errors, 1);
    char buf[320];
    snprintf(buf, sizeof buf, "protocol error: %s", why);
    conn_lost(u, buf);
}

static uint64_t get_seq(json_t *root, const char *key) {
    json_int_t v = json_integer_value(json_object_get(root, key));
    return v > 0 ? (uint64_t)v : 0;
}

static void on_welcome(pk_uplink *u, json_t *root) {
    if (u->st != PK_UP_HELLO) {
        protocol_error(u, "welcome out of turn");
        return;
    }
    uint64_t applied = get_seq(root, "applied");
    const char *name = json_string_value(json_object_get(root, "collector"));
    evtimer_del(u->shake_ev);
    u->st = PK_UP_READY;
    u->backoff_ms = u->cfg.backoff_min_ms;
    pk_log_limited(&u->conn_rl, PK_LOG_INFO, "collector %s:%s (%s) has applied up "
                   "to seq %" PRIu64 "; sending what follows", u->addr.host,
                   u->addr.port, name ? name : "?", applied);
    if (applied > pk_spool_last_seq(u->sp) && applied >= pk_spool_next_seq(u->sp))
        pk_log(PK_LOG_WARN, "collector has applied seq %" PRIu64 ", beyond anything "
               "in this sensor's spool (a new or lost spool?): alerts must be numbered "
               "above it or the collector takes them for retransmissions", applied);
    note_acked(u, applied);
    pk_spool_rewind(u->sp, &u->cur);
    u->sent_max = 0;
    pump(u);
}

static void on_ack(pk_uplink *u, json_t *root) {
    if (u->st != PK_UP_READY) {
        protocol_error(u, "ack before welcome");
        return;
    }
    uint64_t n = get_seq(root, "seq"), ceiling = max64(u->ever_sent_max, u->acked);
    if (n > ceiling) {
        /* Never let a confused collector delete alerts it was not sent. */
        pk_log_limited(&u->proto_rl, PK_LOG_WARN, "collector acked seq %" PRIu64
                       " beyond the last sent (%" PRIu64 "); taken as %" PRIu64,
                       n, ceiling, ceiling);
        n = ceiling;
    }
    note_acked(u, n);
    pump(u);
}

static void on_indicators(pk_uplink *u, json_t *root) {
    if (u->st != PK_UP_READY) {
        protocol_error(u, "indicators before welcome");
        return;
    }
    if (u->cfg.on_indicators) u->cfg.on_indicators(u->cfg.indicators_ctx, root);
    else pk_log_limited(&u->proto_rl, PK_LOG_INFO, "collector sent an indicator set; "
                        "this sensor reads its indicators from -I files and ignores it");
}

static void handle_frame(pk_uplink *u, const char *payload, size_t len) {
    json_t *root = NULL;
    char err[256];
    pk_wire_type t = pk_wire_parse(payload, len, &root, err, sizeof err);
    if (t == PK_MSG_WELCOME) on_welcome(u, root);
    else if (t == PK_MSG_ACK) on_ack(u, root);
    else if (t == PK_MSG_INDICATORS) on_indicators(u, root);
    else if (t == PK_MSG_ERROR) {
        char why[300];
        snprintf(why, sizeof why, "collector said: %.250s",
                 json_string_value(json_object_get(root, "reason")));
        conn_lost(u, why);
    } else if (t == PK_MSG_INVALID) protocol_error(u, err);
    else protocol_error(u, pk_wire_type_name(t));
    json_decref(root);
}

static void on_read(struct bufferevent *bev, void *arg) {
    pk_uplink *u = arg;
    while (u->bev == bev) {
        struct evbuffer *in = bufferevent_get_input(bev);
        size_t avail = evbuffer_get_length(in), flen = 0;
        if (avail < 4) return;
        uint8_t *p = evbuffer_pullup(in, 4);
        if (pk_wire_frame_check(p, 4, PK_WIRE_MAX_FRAME, &flen) == PK_FRAME_TOO_LARGE) {
            protocol_error(u, "frame over the 1 MiB limit");
            return;
        }
        size_t want = 4 + ((size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
        if (avail < want) return;
        p = evbuffer_pullup(in, (ev_ssize_t)want);
        handle_frame(u, (const char *)p + 4, want - 4);
        if (u->bev == bev) evbuffer_drain(in, want);
    }
}

/* ---- the connection ------------------------------------------------------ */

static void set_keepalive(struct bufferevent *bev) {
    evutil_socket_t fd = bufferevent_getfd(bev);
    int on = 1, idle = 30, intvl = 10, cnt = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

static void on_connected(pk_uplink *u) {
    u->st = PK_UP_HELLO;
    atomic_fetch_add(&u->connects, 1);
    atomic_store(&u->connected, 1);
    set_keepalive(u->bev);
    pk_log_limited(&u->conn_rl, PK_LOG_INFO, "connected to collector %s:%s%s",
                   u->addr.host, u->addr.port,
                   u->ssl_ctx ? " (TLS)" : " (plaintext, loopback)");
    json_t *hello = json_pack("{s:s, s:s, s:s, s:I}", "type", "hello", "sensor",
                              u->sensor_id, "version", PICKET_VERSION, "last_acked",
                              (json_int_t)u->acked);
    if (hello && u->partner) json_object_set_new(hello, "partner", json_string(u->partner));
    send_msg(u, hello);
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    pk_uplink *u = arg;
    if (u->bev != bev) return;
    if (what & BEV_EVENT_CONNECTED) {
        on_connected(u);
        return;
    }
    char why[300];
    if (what & BEV_EVENT_EOF) snprintf(why, sizeof why, "closed by the collector");
    else pk_uplink_describe_error(bev, u->ssl_ctx != NULL, why, sizeof why);
    conn_lost(u, why);
}

static void drop_conn(pk_uplink *u) {
    if (u->bev) bufferevent_free(u->bev);
    u->bev = NULL;
    if (u->resolving && u->dns_req) evdns_getaddrinfo_cancel(u->dns_req);
    u->resolving = false;
    u->dns_req = NULL;
    evtimer_del(u->shake_ev);
    u->st = PK_UP_IDLE;
    u->wcount = u->whead = 0;
    atomic_store(&u->connected, 0);
    atomic_store(&u->busy, true);
}

static void schedule_retry(pk_uplink *u) {
    uint32_t b = u->backoff_ms;
    int64_t delay = (int64_t)b - b / 4 + (int64_t)(next_rand(u) % (b / 2 + 1));
    u->backoff_ms = b >= u->cfg.backoff_max_ms / 2 ? u->cfg.backoff_max_ms : b * 2;
    struct timeval tv = ms_tv(delay);
    evtimer_add(u->retry_ev, &tv);
}

static void start_connect(pk_uplink *u);

static void conn_lost(pk_uplink *u, const char *why) {
    bool was_up = u->st == PK_UP_HELLO || u->st == PK_UP_READY;
    drop_conn(u);
    if (was_up) atomic_fetch_add(&u->disconnects, 1);
    pk_log_limited(&u->conn_rl, PK_LOG_WARN, "collector %s:%s: %s (%s); retrying, "
                   "alerts stay in the spool", u->addr.host, u->addr.port,
                   was_up ? "connection lost" : "cannot connect", why);
    if (!was_up && u->ai_next) {
        start_connect(u);          /* the name has another address: try it now */
        return;
    }
    u->ai_next = NULL;
    schedule_retry(u);
}

static struct bufferevent *new_bev(pk_uplink *u) {
    if (!u->ssl_ctx) return bufferevent_socket_new(u->base, -1, BEV_OPT_CLOSE_ON_FREE);
    SSL *ssl = pk_uplink_tls_ssl(u->ssl_ctx, &u->addr);
    if (!ssl) return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        u->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static void connect_to(pk_uplink *u, const struct sockaddr *sa, int salen) {
    struct bufferevent *bev = new_bev(u);
    if (!bev) {
        conn_lost(u, "out of memory for a connection");
        return;
    }
    u->bev = bev;
    u->st = PK_UP_CONNECTING;
    bufferevent_setcb(bev, on_read, NULL, on_event, u);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    /* A failure may already have been reported through on_event. */
    if (bufferevent_socket_connect(bev, (struct sockaddr *)sa, salen) != 0 &&
        u->bev == bev)
        conn_lost(u, "cannot start connecting");
}

static void on_resolved(int code, struct evutil_addrinfo *res, void *arg) {
    pk_uplink *u = arg;
    if (code == EVUTIL_EAI_CANCEL) return;
    u->resolving = false;
    u->dns_req = NULL;
    if (code != 0) {
        char why[160];
        snprintf(why, sizeof why, "name lookup: %s", evutil_gai_strerror(code));
        conn_lost(u, why);
        return;
    }
    if (u->ai_list) evutil_freeaddrinfo(u->ai_list);
    u->ai_list = u->ai_next = res;
    start_connect(u);
}

static void resolve(pk_uplink *u) {
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                    .ai_protocol = IPPROTO_TCP,
                                    .ai_flags = EVUTIL_AI_ADDRCONFIG};
    u->st = PK_UP_CONNECTING;
    u->resolving = true;
    struct evdns_getaddrinfo_request *r =
        evdns_getaddrinfo(u->dns, u->addr.host, u->addr.port, &hints, on_resolved, u);
    if (u->resolving) u->dns_req = r;     /* else it answered at once */
}

/* Connects to the literal address, the next address the name gave, or
 * looks the name up again. The handshake timer bounds each attempt. */
static void start_connect(pk_uplink *u) {
    struct timeval tv = ms_tv(u->cfg.handshake_timeout_ms);
    evtimer_add(u->shake_ev, &tv);
    if (u->addr.is_ip) {
        connect_to(u, (struct sockaddr *)&u->addr.sa, u->addr.salen);
    } else if (u->ai_next) {
        struct evutil_addrinfo *ai = u->ai_next;
        u->ai_next = ai->ai_next;
        connect_to(u, ai->ai_addr, (int)ai->ai_addrlen);
    } else {
        resolve(u);
    }
}

/* ---- timers and the thread ---------------------------------------------- */

void pk_uplink_on_retry(evutil_socket_t fd, short what, void *arg) {
    start_connect(arg);
}

void pk_uplink_on_shake(evutil_socket_t fd, short what, void *arg) {
    pk_uplink *u = arg;
    char why[96];
    snprintf(why, sizeof why, "no welcome within %u ms", u->cfg.handshake_timeout_ms);
    conn_lost(u, why);
}

void pk_uplink_on_sync(evutil_socket_t fd, short what, void *arg) {
    pk_uplink *u = arg;
    u->last_sync_ms = pk_now_ms();
    pk_spool_sync(u->sp);
    pump(u);
}

void pk_uplink_on_wake(evutil_socket_t fd, short what, void *arg) {
    pk_uplink *u = arg;
    char buf[64];
    /* Empty the pipe first, then allow the next wake-up to write: cleared
     * the other way round, a submit in between would leave its byte read
     * here and wake_pending set, and no wake-up would ever come again.
     * A submit between the two is covered by the sync planned below. */
    while (read(fd, buf, sizeof buf) > 0) {
    }
    atomic_store(&u->wake_pending, false);
    if (atomic_load(&u->stop)) {
        event_base_loopbreak(u->base);
        return;
    }
    if (evtimer_pending(u->sync_ev, NULL)) return;
    struct timeval tv = ms_tv(u->last_sync_ms + u->cfg.sync_interval_ms - pk_now_ms());
    evtimer_add(u->sync_ev, &tv);
}

static void add_counter(void *ctx, const char *name, uint64_t v) {
    json_object_set_new(ctx, name, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

void pk_uplink_on_stats(evutil_socket_t fd, short what, void *arg) {
    pk_uplink *u = arg;
    if (u->st != PK_UP_READY) return;
    json_t *c = json_object();
    if (!c) return;
    if (u->cfg.collect) u->cfg.collect(u->cfg.collect_ctx, add_counter, c);
    pk_uplink_counters(u, add_counter, c);
    send_msg(u, json_pack("{s:s, s:o}", "type", "stats", "counters", c));
}

void *pk_uplink_thread(void *arg) {
    pk_uplink *u = arg;
    pk_spool_sync(u->sp);
    u->last_sync_ms = pk_now_ms();
    struct timeval tv = ms_tv(u->cfg.stats_interval_ms);
    event_add(u->stats_ev, &tv);
    start_connect(u);
    event_base_dispatch(u->base);
    drop_conn(u);
    pk_spool_sync(u->sp);
    return NULL;
}
