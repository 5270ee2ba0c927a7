/* listener.c - sensor connections: accept, TLS, framing, deadlines.
 *
 * Why it exists: this is the collector's exposed surface. Each accepted
 * socket becomes a pk_conn with a bufferevent (openssl server side, or
 * plain with --insecure on loopback). Input is bounded by a read high
 * watermark just above the frame limit; a frame header announcing more
 * than the limit closes the connection. Each complete frame is handled as
 * it arrives, so several batches of one connection can be in Redis at
 * once; when the connection has its most in flight, or all connections
 * together hold the collector's budget (redis_apply.h), the frames wait in
 * the input buffer, which the watermark caps at about one frame (reading
 * goes on, so a peer that leaves is noticed and its parked requests
 * dropped). A once-a-second sweep enforces the handshake deadline (TLS +
 * hello), the idle deadline (no complete frame: this also ends
 * one-byte-a-second clients) and the flush grace of closing peers.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "redis_apply.h"
#include "session.h"
#include "tls.h"
#include "wire.h"

#define SEND_MAX (4u << 20)        /* unread output before a peer is cut off */
#define READ_SLACK 16384           /* watermark room beyond one full frame */
#define CLOSE_GRACE_MS 2000        /* time to flush a last error message */
#define ACCEPT_PAUSE_MS 1000       /* after EMFILE/ENFILE */
#define LISTEN_BACKLOG 256

static void conn_destroy(pk_conn *c) {
    pk_collector *coll = c->coll;
    if (c->prev) c->prev->next = c->next;
    else coll->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    coll->nconns--;
    pk_redis_detach_all(c);
    if (c->free_ev) event_free(c->free_ev);
    if (c->bev) {
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
        if (ssl && SSL_is_init_finished(ssl)) SSL_shutdown(ssl);   /* close_notify */
        ERR_clear_error();
        bufferevent_free(c->bev);
    }
    free(c);
}

static void on_free(evutil_socket_t fd, short what, void *arg) { conn_destroy(arg); }

static void begin_close(pk_conn *c, bool flush) {
    if (c->state == PK_CONN_CLOSING) return;
    c->state = PK_CONN_CLOSING;
    c->blocked = false;
    pk_redis_detach_all(c);
    bufferevent_disable(c->bev, EV_READ);
    if (flush && evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
        c->close_deadline_ms = pk_now_ms() + CLOSE_GRACE_MS;
        return;                       /* on_write frees it once drained */
    }
    event_active(c->free_ev, 0, 0);
}

void pk_conn_close(pk_conn *c) { begin_close(c, false); }

static bool send_room(pk_conn *c) {
    if (c->state == PK_CONN_CLOSING) return false;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) <= SEND_MAX) return true;
    c->coll->metrics.errors[PK_ERR_SEND_OVERFLOW]++;
    pk_log_limited(&c->coll->rl.peer, PK_LOG_WARN,
                   "%s: peer does not read what we send: closing", c->peer);
    pk_conn_close(c);
    return false;
}

bool pk_conn_send(pk_conn *c, json_t *msg) {
    if (!send_room(c)) return false;
    size_t n = 0;
    uint8_t *buf = pk_wire_encode(msg, c->coll->cfg.frame_limit, &n);
    if (!buf) return false;
    int rc = bufferevent_write(c->bev, buf, n);
    free(buf);
    return rc == 0;
}

bool pk_conn_send_raw(pk_conn *c, const char *json, size_t n) {
    if (!send_room(c) || n == 0 || n > c->coll->cfg.frame_limit) return false;
    uint8_t hdr[4];
    pk_wire_frame_header((uint32_t)n, hdr);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    return evbuffer_add(out, hdr, 4) == 0 && evbuffer_add(out, json, n) == 0;
}

void pk_conn_fail(pk_conn *c, const char *reason) {
    if (c->state == PK_CONN_CLOSING) return;
    json_t *m = json_pack("{s:s, s:s}", "type", "error", "reason", reason);
    if (m) pk_conn_send(c, m);
    json_decref(m);
    begin_close(c, true);
}

/* ------------------------------------------------------------ framing */

static void reject_frame(pk_conn *c, pk_reject_reason why, const char *detail) {
    pk_collector *coll = c->coll;
    char safe[256];
    pk_sanitize(detail, safe, sizeof safe);
    coll->metrics.rejected[why]++;
    pk_log_limited(&coll->rl.frame, PK_LOG_WARN, "%s%s%s: frame rejected (%s): closing",
                   c->peer, c->sensor[0] ? " sensor " : "", c->sensor, safe);
    pk_conn_fail(c, detail);
}

static bool handle_frame(pk_conn *c, const char *payload, size_t len) {
    char err[256];
    json_t *root = NULL;
    c->last_frame_ms = pk_now_ms();
    int fast = pk_session_frame_fast(c, payload, len);
    if (fast >= 0) return fast;
    pk_wire_type t = pk_wire_parse(payload, len, &root, err, sizeof err);
    if (t == PK_MSG_INVALID) {
        reject_frame(c, pk_reject_from_err(err), err);
        return false;
    }
    bool go_on = pk_session_message(c, t, root);
    json_decref(root);
    return go_on;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Handles every complete frame in the input buffer, as long as the
 * connection takes frames (not waiting for its welcome, not closing) and
 * Redis can take another request from it (see pk_redis_can_take). */
static void conn_process(pk_conn *c) {
    struct evbuffer *in = bufferevent_get_input(c->bev);
    uint32_t limit = c->coll->cfg.frame_limit;
    while (c->state == PK_CONN_HELLO || c->state == PK_CONN_READY) {
        size_t avail = evbuffer_get_length(in), flen = 0;
        if (avail < 4) return;
        unsigned char *p = evbuffer_pullup(in, 4);
        if (pk_wire_frame_check(p, 4, limit, &flen) == PK_FRAME_TOO_LARGE) {
            char detail[96];
            snprintf(detail, sizeof detail, "too_large: header announces %u bytes (limit %u)",
                     be32(p), limit);
            reject_frame(c, PK_REJ_TOO_LARGE, detail);
            return;
        }
        size_t want = (size_t)be32(p) + 4;
        if (avail < want) return;
        pk_take take = pk_redis_can_take(c->coll->redis, c);
        if (take != PK_TAKE_YES) {
            c->blocked = take == PK_TAKE_BUDGET;
            return;
        }
        p = evbuffer_pullup(in, (ssize_t)want);
        if (!p || pk_wire_frame_check(p, want, limit, &flen) != PK_FRAME_OK) return;
        bool go_on = handle_frame(c, (const char *)p + 4, flen - 4);
        evbuffer_drain(in, flen);
        if (!go_on) return;
    }
}

void pk_conn_resume(pk_conn *c) {
    if (c->state == PK_CONN_CLOSING) return;
    c->last_frame_ms = pk_now_ms();
    conn_process(c);
}

void pk_conns_unblock(pk_collector *coll) {
    for (pk_conn *c = coll->conns; c; c = c->next) {
        if (!c->blocked) continue;
        c->blocked = false;
        pk_conn_resume(c);        /* closing only marks c: the list stays intact */
    }
}

/* ---------------------------------------------------------- callbacks */

static void on_read(struct bufferevent *bev, void *arg) { conn_process(arg); }

static void on_write(struct bufferevent *bev, void *arg) {
    pk_conn *c = arg;
    if (c->state == PK_CONN_CLOSING) event_active(c->free_ev, 0, 0);
}

static void tls_established(pk_conn *c) {
    pk_collector *coll = c->coll;
    char err[160];
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (!pk_tls_peer_identity(ssl, c->cert_id, sizeof c->cert_id, c->partner,
                              sizeof c->partner, err, sizeof err)) {
        coll->metrics.errors[PK_ERR_TLS_IDENTITY]++;
        pk_log_limited(&coll->rl.tls, PK_LOG_WARN, "%s: refused: %s", c->peer, err);
        pk_conn_fail(c, err);
        return;
    }
    c->state = PK_CONN_HELLO;
    pk_log(PK_LOG_DEBUG, "%s: TLS %s with CN=%s O=%s", c->peer, SSL_get_version(ssl),
           c->cert_id, c->partner);
    conn_process(c);
}

static void tls_failed(pk_conn *c) {
    unsigned long first = bufferevent_get_openssl_error(c->bev);
    while (bufferevent_get_openssl_error(c->bev)) {
    }
    char why[200];
    pk_tls_describe_error(bufferevent_openssl_get_ssl(c->bev), first, why, sizeof why);
    c->coll->metrics.errors[PK_ERR_TLS_HANDSHAKE]++;
    pk_log_limited(&c->coll->rl.tls, PK_LOG_WARN, "%s: TLS handshake failed: %s", c->peer, why);
    ERR_clear_error();
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    pk_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        if (c->state == PK_CONN_TLS) tls_established(c);
        return;
    }
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) return;
    if (c->state == PK_CONN_TLS) tls_failed(c);
    else if (c->state != PK_CONN_CLOSING)
        pk_log_limited(&c->coll->rl.peer, PK_LOG_INFO, "%s%s%s: connection closed by peer",
                       c->peer, c->sensor[0] ? " sensor " : "", c->sensor);
    ERR_clear_error();
    pk_conn_close(c);
}

/* ------------------------------------------------------------- accept */

static void format_peer(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen) {
    char host[INET6_ADDRSTRLEN] = "?", serv[8] = "?";
    getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

static struct bufferevent *make_bev(pk_collector *coll, evutil_socket_t fd) {
    int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
    if (!coll->ssl_ctx) return bufferevent_socket_new(coll->base, fd, opts);
    SSL *ssl = SSL_new(coll->ssl_ctx);
    if (!ssl) return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(coll->base, fd, ssl,
                                                             BUFFEREVENT_SSL_ACCEPTING, opts);
    if (bev) bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static pk_conn *conn_new(pk_collector *coll, evutil_socket_t fd, const char *peer) {
    pk_conn *c = calloc(1, sizeof *c);
    if (!c) {
        evutil_closesocket(fd);
        return NULL;
    }
    c->bev = make_bev(coll, fd);
    c->free_ev = event_new(coll->base, -1, 0, on_free, c);
    if (!c->bev || !c->free_ev) {
        if (c->free_ev) event_free(c->free_ev);
        if (c->bev) bufferevent_free(c->bev);    /* closes fd */
        else evutil_closesocket(fd);
        free(c);
        return NULL;
    }
    c->coll = coll;
    c->id = ++coll->next_conn_id;
    c->state = coll->ssl_ctx ? PK_CONN_TLS : PK_CONN_HELLO;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    c->accepted_ms = c->last_frame_ms = pk_now_ms();
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, (size_t)coll->cfg.frame_limit + 4 + READ_SLACK);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->next = coll->conns;
    if (coll->conns) coll->conns->prev = c;
    coll->conns = c;
    coll->nconns++;
    coll->metrics.connections_total++;
    return c;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg) {
    pk_collector *coll = arg;
    char peer[64];
    format_peer(sa, (socklen_t)salen, peer, sizeof peer);
    if (coll->nconns >= coll->cfg.max_connections) {
        coll->metrics.errors[PK_ERR_CONNECTION_LIMIT]++;
        pk_log_limited(&coll->rl.accept, PK_LOG_WARN,
                       "%s: refused: %u connections open (--max-connections)", peer,
                       coll->nconns);
        evutil_closesocket(fd);
        return;
    }
    if (!conn_new(coll, fd, peer))   /* conn_new closed fd */
        pk_log_limited(&coll->rl.accept, PK_LOG_ERR, "%s: cannot set up connection", peer);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg) {
    pk_collector *coll = arg;
    if (coll->listener) evconnlistener_enable(coll->listener);
}

static void on_accept_error(struct evconnlistener *l, void *arg) {
    pk_collector *coll = arg;
    int err = EVUTIL_SOCKET_ERROR();
    pk_log_limited(&coll->rl.accept, PK_LOG_ERR, "accept: %s", strerror(err));
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) return;
    evconnlistener_disable(l);
    struct timeval tv = {ACCEPT_PAUSE_MS / 1000, (ACCEPT_PAUSE_MS % 1000) * 1000};
    evtimer_add(coll->accept_resume_ev, &tv);
}

/* ---------------------------------------------------------- listening */

static bool is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

static struct addrinfo *resolve_listen(const pk_hostport *hp) {
    struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", hp->port);
    int rc = getaddrinfo(hp->host, port, &hints, &res);
    if (rc != 0) {
        pk_log(PK_LOG_ERR, "cannot resolve listen address %s:%u: %s", hp->host, hp->port,
               gai_strerror(rc));
        return NULL;
    }
    return res;
}

static bool insecure_allowed(const struct addrinfo *res, const pk_hostport *hp) {
    for (const struct addrinfo *a = res; a; a = a->ai_next) {
        if (is_loopback(a->ai_addr)) continue;
        pk_log(PK_LOG_ERR, "--insecure refused: listen address %s:%u is not loopback", hp->host,
               hp->port);
        return false;
    }
    return true;
}

bool pk_listen_address_ok(const pk_coll_config *cfg) {
    struct addrinfo *res = resolve_listen(&cfg->listen);
    bool ok = res && (!cfg->insecure || insecure_allowed(res, &cfg->listen));
    if (res) freeaddrinfo(res);
    return ok;
}

bool pk_listener_start(pk_collector *coll) {
    const pk_hostport *hp = &coll->cfg.listen;
    struct addrinfo *res = resolve_listen(hp);
    if (!res) return false;
    if (coll->cfg.insecure && !insecure_allowed(res, hp)) {
        freeaddrinfo(res);
        return false;
    }
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    coll->listener = evconnlistener_new_bind(coll->base, on_accept, coll, flags, LISTEN_BACKLOG,
                                             res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    coll->accept_resume_ev = evtimer_new(coll->base, on_accept_resume, coll);
    if (!coll->listener || !coll->accept_resume_ev) {
        pk_log(PK_LOG_ERR, "cannot listen on %s:%u: %s", hp->host, hp->port, strerror(errno));
        return false;
    }
    evconnlistener_set_error_cb(coll->listener, on_accept_error);
    pk_log(PK_LOG_INFO, "listening for sensors on %s:%u (%s)", hp->host, hp->port,
           coll->ssl_ctx ? "mutual TLS" : "INSECURE plaintext, loopback only");
    return true;
}

void pk_listener_stop(pk_collector *coll) {
    if (coll->listener) evconnlistener_free(coll->listener);
    if (coll->accept_resume_ev) event_free(coll->accept_resume_ev);
    coll->listener = NULL;
    coll->accept_resume_ev = NULL;
}

/* -------------------------------------------------------------- sweep */

static void sweep_one(pk_conn *c, int64_t now) {
    pk_collector *coll = c->coll;
    if (c->state == PK_CONN_CLOSING) {
        if (c->close_deadline_ms && now >= c->close_deadline_ms) event_active(c->free_ev, 0, 0);
        return;
    }
    bool handshaking = c->state == PK_CONN_TLS || c->state == PK_CONN_HELLO;
    if (handshaking && now - c->accepted_ms >= (int64_t)coll->cfg.handshake_timeout_s * 1000) {
        coll->metrics.errors[PK_ERR_HANDSHAKE_TIMEOUT]++;
        pk_log_limited(&coll->rl.timeout, PK_LOG_WARN, "%s: no %s within %u s: closing", c->peer,
                       c->state == PK_CONN_TLS ? "TLS handshake" : "hello",
                       coll->cfg.handshake_timeout_s);
        if (c->state == PK_CONN_TLS) pk_conn_close(c);
        else pk_conn_fail(c, "handshake timeout");
        return;
    }
    if (c->state == PK_CONN_READY && c->nops == 0 &&
        now - c->last_frame_ms >= (int64_t)coll->cfg.idle_timeout_s * 1000) {
        coll->metrics.errors[PK_ERR_IDLE_TIMEOUT]++;
        pk_log_limited(&coll->rl.timeout, PK_LOG_INFO,
                       "%s sensor %s: no complete frame for %u s: closing", c->peer, c->sensor,
                       coll->cfg.idle_timeout_s);
        pk_conn_fail(c, "idle timeout");
    }
}

void pk_conns_sweep(pk_collector *coll, int64_t now_ms) {
    for (pk_conn *c = coll->conns, *next; c; c = next) {
        next = c->next;
        sweep_one(c, now_ms);
    }
}

void pk_conns_destroy_all(pk_collector *coll) {
    for (pk_conn *c = coll->conns, *next; c; c = next) {
        next = c->next;
        conn_destroy(c);
    }
}

uint32_t pk_conns_sensors(const pk_collector *coll) {
    uint32_t n = 0;
    for (const pk_conn *c = coll->conns; c; c = c->next)
        if (c->state == PK_CONN_WELCOME || c->state == PK_CONN_READY) n++;
    return n;
}
