/* http_metrics.c - /metrics and /healthz on a thread of their own (see
 * http_metrics.h). Counter names "module.counter.reason" become Prometheus
 * names "<prefix>_module_counter_reason". */
#include "http_metrics.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "log.h"

struct pk_http_metrics {
    struct event_base *base;
    struct evhttp *http;
    pthread_t thread;
    char prefix[32];
    pk_metrics_collect_fn collect;
    void *ctx;
};

typedef struct render_ctx {
    struct evbuffer *out;
    const char *prefix;
} render_ctx;

static void render_counter(void *ctx, const char *name, uint64_t v) {
    render_ctx *r = ctx;
    char metric[160];
    int n = snprintf(metric, sizeof metric, "%s_%s", r->prefix, name);
    for (int i = 0; i < n && i < (int)sizeof metric; i++)
        if (metric[i] == '.' || metric[i] == '-') metric[i] = '_';
    evbuffer_add_printf(r->out, "%s %llu\n", metric, (unsigned long long)v);
}

static void on_metrics(struct evhttp_request *req, void *arg) {
    pk_http_metrics *m = arg;
    struct evbuffer *out = evbuffer_new();
    render_ctx r = {out, m->prefix};
    m->collect(m->ctx, render_counter, &r);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4");
    evhttp_send_reply(req, HTTP_OK, "OK", out);
    evbuffer_free(out);
}

static void on_healthz(struct evhttp_request *req, void *arg) {
    (void)arg;
    struct evbuffer *out = evbuffer_new();
    evbuffer_add_printf(out, "ok\n");
    evhttp_send_reply(req, HTTP_OK, "OK", out);
    evbuffer_free(out);
}

static void on_other(struct evhttp_request *req, void *arg) {
    (void)arg;
    evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics and /healthz");
}

static void *serve(void *arg) {
    pk_http_metrics *m = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);    /* signals stay with capture */
    event_base_dispatch(m->base);
    return NULL;
}

static int split_addr(const char *addr, char *host, size_t hostlen, int *port) {
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) return -1;
    const char *h = addr;
    size_t n = (size_t)(colon - addr);
    if (h[0] == '[' && n >= 2 && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (n >= hostlen || *end || p < 1 || p > 65535) return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = (int)p;
    return 0;
}

pk_http_metrics *pk_http_metrics_start(const char *addr, const char *prefix,
                                       pk_metrics_collect_fn collect, void *ctx,
                                       char *err, size_t errlen) {
    char host[128];
    int port;
    if (split_addr(addr, host, sizeof host, &port) != 0) {
        snprintf(err, errlen, "--http '%s': expected HOST:PORT", addr);
        return NULL;
    }
    pk_http_metrics *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    snprintf(m->prefix, sizeof m->prefix, "%s", prefix);
    m->collect = collect;
    m->ctx = ctx;
    evthread_use_pthreads();          /* stop() breaks the loop from another thread */
    m->base = event_base_new();
    m->http = m->base ? evhttp_new(m->base) : NULL;
    if (!m->http || evhttp_bind_socket(m->http, host, (uint16_t)port) != 0) {
        snprintf(err, errlen, "--http %s: cannot listen there", addr);
        pk_http_metrics_stop(m);
        return NULL;
    }
    evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_cb(m->http, "/metrics", on_metrics, m);
    evhttp_set_cb(m->http, "/healthz", on_healthz, m);
    evhttp_set_gencb(m->http, on_other, m);
    if (pthread_create(&m->thread, NULL, serve, m) != 0) {
        snprintf(err, errlen, "--http %s: cannot start a thread", addr);
        pk_http_metrics_stop(m);
        return NULL;
    }
    return m;
}

void pk_http_metrics_stop(pk_http_metrics *m) {
    if (!m) return;
    if (m->thread) {
        event_base_loopbreak(m->base);
        pthread_join(m->thread, NULL);
    }
    if (m->http) evhttp_free(m->http);
    if (m->base) event_base_free(m->base);
    free(m);
}
