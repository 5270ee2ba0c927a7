/* http.c - /healthz, /metrics and the /api/stream SSE feed (see http.h);
 * the board and /api/alerts hang off it (board.c).
 *
 * Why it exists: operators and watch floors look at the collector through
 * HTTP. evhttp runs on the same event loop as the sensors and Redis, so
 * every page reflects the live state without locks. Stream clients get a
 * bounded output buffer: one that stops reading is dropped (and counted)
 * rather than allowed to hold memory; a comment line every 15 s keeps
 * proxies from timing out and reveals dead peers.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "board.h"
#include "conn.h"
#include "exercise.h"
#include "dist.h"
#include "log.h"
#include "metrics.h"
#include "redis_apply.h"

#define SSE_MAX_CLIENTS 64
#define SSE_MAX_BUFFER (1u << 20)    /* unsent bytes before a client is dropped */
#define SSE_PING_MS 15000
#define HTTP_TIMEOUT_S 30
#define HTTP_MAX_HEADERS 8192

typedef struct sse_client {
    struct sse_client *prev, *next;
    struct pk_http *h;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    char exercise[PK_EXERCISE_MAX + 1];   /* "" = live traffic */
} sse_client;

struct pk_http {
    pk_collector *coll;
    struct evhttp *http;
    sse_client *clients;
    uint32_t nclients;
    int64_t last_ping_ms;
    pk_board *board;            /* /, /board, /api/alerts (board.c) */
};

static void unlink_client(sse_client *c) {
    pk_http *h = c->h;
    if (c->prev) c->prev->next = c->next;
    else h->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    h->nclients--;
}

/* The peer went away (or evhttp gave up on it). evhttp has detached our
 * unfinished request from the dying connection and leaves it to us: ending
 * a request without a connection frees it. */
static void on_client_closed(struct evhttp_connection *evcon, void *arg) {
    sse_client *c = arg;
    struct evhttp_request *req = c->req;
    unlink_client(c);
    free(c);
    if (req && !evhttp_request_get_connection(req)) evhttp_send_reply_end(req);
}

static void drop_client(sse_client *c) {
    struct evhttp_connection *evcon = c->evcon;
    unlink_client(c);
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    free(c);
    evhttp_connection_free(evcon);
}

static size_t client_backlog(const sse_client *c) {
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* Queues text for one client; drops it when it is too far behind. */
static void send_to(sse_client *c, struct evbuffer *chunk) {
    if (client_backlog(c) + evbuffer_get_length(chunk) > SSE_MAX_BUFFER) {
        c->h->coll->metrics.errors[PK_ERR_SSE_DROPPED]++;
        pk_log_limited(&c->h->coll->rl.http, PK_LOG_WARN,
                       "/api/stream client too slow (over %u bytes behind): dropped",
                       SSE_MAX_BUFFER);
        drop_client(c);
        return;
    }
    evhttp_send_reply_chunk(c->req, chunk);
}

/* Which clients a chunk goes to: EVERY_CLIENT (keepalives), NULL (live
 * traffic), or an exercise name. */
static const char EVERY_CLIENT[] = "*";

static bool client_wants(const sse_client *c, const char *exercise) {
    if (exercise == EVERY_CLIENT) return true;
    return exercise ? strcmp(c->exercise, exercise) == 0 : c->exercise[0] == 0;
}

static void broadcast(pk_http *h, const char *exercise, const char *head, const char *body,
                      size_t blen, const char *tail) {
    for (sse_client *c = h->clients, *next; c; c = next) {
        next = c->next;
        if (!client_wants(c, exercise)) continue;
        struct evbuffer *chunk = evbuffer_new();
        if (!chunk) return;
        evbuffer_add(chunk, head, strlen(head));
        if (body) evbuffer_add(chunk, body, blen);
        evbuffer_add(chunk, tail, strlen(tail));
        send_to(c, chunk);
        evbuffer_free(chunk);
    }
}

void pk_http_publish(pk_http *h, const char *event, const char *exercise, const char *json,
                     size_t len) {
    if (!h || !h->clients) return;
    char head[64];
    snprintf(head, sizeof head, "event: %s\ndata: ", event);
    broadcast(h, exercise, head, json, len, "\n\n");
}

void pk_http_tick(pk_http *h, int64_t now_ms) {
    if (!h || now_ms - h->last_ping_ms < SSE_PING_MS) return;
    h->last_ping_ms = now_ms;
    broadcast(h, EVERY_CLIENT, ": ping", NULL, 0, "\n\n");
}

uint32_t pk_http_clients(const pk_http *h) { return h ? h->nclients : 0; }

/* ----------------------------------------------------------- handlers */

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *ctype, struct evbuffer *body) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    evhttp_send_reply(req, code, reason, body);
}

static void reply_simple(struct evhttp_request *req, int code, const char *reason,
                         const char *text) {
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, "Out of memory");
        return;
    }
    evbuffer_add(b, text, strlen(text));
    reply_text(req, code, reason, "text/plain; charset=utf-8", b);
    evbuffer_free(b);
}

static void on_healthz(struct evhttp_request *req, void *arg) {
    pk_http *h = arg;
    if (pk_redis_ready(h->coll->redis)) reply_simple(req, 200, "OK", "ok\n");
    else reply_simple(req, 503, "Service Unavailable", "redis unavailable\n");
}

static void on_metrics(struct evhttp_request *req, void *arg) {
    pk_http *h = arg;
    pk_collector *coll = h->coll;
    pk_gauges g = {
        .connections = coll->nconns,
        .sensors = pk_conns_sensors(coll),
        .sse_clients = h->nclients,
        .redis_connected = pk_redis_ready(coll->redis),
        .redis_waiting = pk_redis_waiting(coll->redis),
    };
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, "Out of memory");
        return;
    }
    pk_metrics_render(&coll->metrics, &g, b);
    pk_dist_metrics(coll->dist, b);
    reply_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
    evbuffer_free(b);
}

/* The ?exercise=NAME of /api/stream into out ("" when there is no query);
 * false for any other parameter or a name that breaks the exercise name
 * rule. */
static bool stream_exercise(struct evhttp_request *req, char out[PK_EXERCISE_MAX + 1]) {
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq params;
    out[0] = 0;
    if (!query || !*query) return true;
    TAILQ_INIT(&params);
    if (evhttp_parse_query_str(query, &params) != 0) return false;
    const char *name = evhttp_find_header(&params, "exercise");
    const struct evkeyval *first = TAILQ_FIRST(&params);
    bool only_one = first && !TAILQ_NEXT(first, next);     /* no other parameter */
    bool ok = name && only_one && pk_exercise_name_valid(name, strlen(name));
    if (name && ok) memcpy(out, name, strlen(name) + 1);
    evhttp_clear_headers(&params);
    return ok;
}

static void on_stream(struct evhttp_request *req, void *arg) {
    pk_http *h = arg;
    char exercise[PK_EXERCISE_MAX + 1];
    if (!stream_exercise(req, exercise)) {
        reply_simple(req, 400, "Bad Request",
                     "/api/stream takes only exercise=NAME (1-64 of A-Z a-z 0-9 _ . -)\n");
        return;
    }
    if (h->nclients >= SSE_MAX_CLIENTS) {
        reply_simple(req, 503, "Service Unavailable", "too many stream clients\n");
        return;
    }
    sse_client *c = calloc(1, sizeof *c);
    if (!c) {
        evhttp_send_error(req, 500, "Out of memory");
        return;
    }
    c->h = h;
    c->req = req;
    memcpy(c->exercise, exercise, sizeof c->exercise);
    c->evcon = evhttp_request_get_connection(req);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", "text/event-stream");
    evhttp_add_header(hdr, "Cache-Control", "no-cache");
    evhttp_add_header(hdr, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(c->evcon, on_client_closed, c);
    c->next = h->clients;
    if (h->clients) h->clients->prev = c;
    h->clients = c;
    h->nclients++;
    struct evbuffer *hello = evbuffer_new();
    if (!hello) return;
    evbuffer_add_printf(hello, ": picket-collector stream\nretry: 3000\n\n");
    send_to(c, hello);
    evbuffer_free(hello);
}

static void on_other(struct evhttp_request *req, void *arg) {
    reply_simple(req, 404, "Not Found",
                 "not found: try / (board), /healthz, /metrics, /api/stream, /api/alerts\n");
}

/* ------------------------------------------------------------ set-up */

pk_http *pk_http_start(pk_collector *coll) {
    pk_http *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->coll = coll;
    h->http = evhttp_new(coll->base);
    const pk_hostport *hp = &coll->cfg.http;
    if (!h->http || !evhttp_bind_socket_with_handle(h->http, hp->host, hp->port)) {
        pk_log(PK_LOG_ERR, "cannot listen for HTTP on %s:%u", hp->host, hp->port);
        if (h->http) evhttp_free(h->http);
        free(h);
        return NULL;
    }
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS);
    evhttp_set_max_body_size(h->http, 0);
    evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
    evhttp_set_cb(h->http, "/healthz", on_healthz, h);
    evhttp_set_cb(h->http, "/metrics", on_metrics, h);
    evhttp_set_cb(h->http, "/api/stream", on_stream, h);
    evhttp_set_gencb(h->http, on_other, h);
    if (!(h->board = pk_board_start(coll, h->http))) {
        pk_log(PK_LOG_ERR, "out of memory setting up the web board");
        evhttp_free(h->http);
        free(h);
        return NULL;
    }
    pk_log(PK_LOG_INFO, "HTTP on %s:%u: / (board) /healthz /metrics /api/stream /api/alerts",
           hp->host, hp->port);
    return h;
}

void pk_http_stop(pk_http *h) {
    if (!h) return;
    for (sse_client *c = h->clients, *next; c; c = next) {
        next = c->next;
        drop_client(c);
    }
    pk_board_stop(h->board);
    evhttp_free(h->http);
    free(h);
}
