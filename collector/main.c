/* main.c - picket-collector: accepts alerts from many sensors over mutual
 * TLS, applies them to Redis exactly once per dedup window, and publishes
 * unique alerts and coalition sightings to watch floors.
 *
 * Why it exists: this file only wires the parts together on one libevent
 * loop (listener, Redis, HTTP, output, signals, the once-a-second sweep)
 * and tears them down in the reverse order, so a SIGTERM leaves nothing
 * behind. Exit status: 0 ok, 1 fatal (the message names the file or
 * address), 2 bad usage.
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "collector.h"
#include "conn.h"
#include "coverage.h"
#include "dist.h"
#include "http.h"
#include "istore_files.h"
#include "output.h"
#include "redis_apply.h"
#include "tls.h"

static void on_sweep(evutil_socket_t fd, short what, void *arg) {
    pk_collector *coll = arg;
    int64_t now = pk_now_ms();
    pk_conns_sweep(coll, now);
    pk_redis_tick(coll->redis, now);
    pk_http_tick(coll->http, now);
}

static void on_signal(evutil_socket_t sig, short what, void *arg) {
    pk_collector *coll = arg;
    if (sig == SIGHUP) {
        if (coll->out) pk_output_reopen(coll->out);
        pk_dist_reload(coll->dist);
        return;
    }
    pk_log(PK_LOG_INFO, "signal %d: shutting down", (int)sig);
    event_base_loopexit(coll->base, NULL);
}

static bool add_events(pk_collector *coll) {
    static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        coll->sig_ev[i] = evsignal_new(coll->base, sigs[i], on_signal, coll);
        if (!coll->sig_ev[i] || evsignal_add(coll->sig_ev[i], NULL) != 0) return false;
    }
    coll->sweep_ev = event_new(coll->base, -1, EV_PERSIST, on_sweep, coll);
    struct timeval one = {1, 0};
    return coll->sweep_ev && event_add(coll->sweep_ev, &one) == 0;
}

static bool setup_tls(pk_collector *coll) {
    if (coll->cfg.insecure) {
        if (coll->cfg.ca || coll->cfg.cert || coll->cfg.key || coll->cfg.crl)
            pk_log(PK_LOG_WARN, "--insecure: --ca/--cert/--key/--crl are ignored");
        return true;
    }
    coll->ssl_ctx = pk_tls_server_ctx(&coll->cfg);
    return coll->ssl_ctx != NULL;
}

static bool setup(pk_collector *coll) {
    if (gethostname(coll->name, sizeof coll->name - 1) != 0 || !coll->name[0])
        snprintf(coll->name, sizeof coll->name, "picket-collector");
    coll->base = event_base_new();
    if (!coll->base) {
        pk_log(PK_LOG_ERR, "cannot create the event loop");
        return false;
    }
    if (!setup_tls(coll)) return false;
    if (coll->cfg.output_path && !(coll->out = pk_output_open(coll->cfg.output_path)))
        return false;
    if (!add_events(coll)) {
        pk_log(PK_LOG_ERR, "cannot set up signal and timer events");
        return false;
    }
    coll->redis = pk_redis_new(coll);
    if (!coll->redis) {
        pk_log(PK_LOG_ERR, "cannot set up Redis %s:%u", coll->cfg.redis.host,
               coll->cfg.redis.port);
        return false;
    }
    if (coll->cfg.nindicator_files && !(coll->dist = pk_dist_new(coll))) return false;
    if (!pk_listener_start(coll)) return false;
    if (coll->cfg.http_on && !(coll->http = pk_http_start(coll))) return false;
    return true;
}

static void teardown(pk_collector *coll) {
    pk_http_stop(coll->http);
    pk_listener_stop(coll);
    pk_conns_destroy_all(coll);
    pk_dist_free(coll->dist);
    pk_redis_free(coll->redis);
    pk_output_close(coll->out);
    for (int i = 0; i < 3; i++)
        if (coll->sig_ev[i]) event_free(coll->sig_ev[i]);
    if (coll->sweep_ev) event_free(coll->sweep_ev);
    if (coll->ssl_ctx) SSL_CTX_free(coll->ssl_ctx);
    if (coll->base) event_base_free(coll->base);
}

static void log_start(const pk_collector *coll) {
    const pk_coll_config *c = &coll->cfg;
    pk_log(PK_LOG_INFO,
           "picket-collector %s: redis %s:%u prefix \"%s\", window %llu s, dedup %s, "
           "stream maxlen %llu", PICKET_VERSION, c->redis.host, c->redis.port, c->redis_prefix,
           (unsigned long long)c->window_s,
           c->dedup == PK_DEDUP_COMMUNITY ? "indicator,community_id" : "indicator,src_ip,dest_ip",
           (unsigned long long)c->stream_maxlen);
}

/* -o FILE must be appendable: the file itself, or its directory when the
 * file does not exist yet. */
static bool output_writable(const char *path) {
    if (access(path, F_OK) == 0) return access(path, W_OK) == 0;
    char *copy = strdup(path);
    bool ok = copy && access(dirname(copy), W_OK | X_OK) == 0;
    free(copy);
    return ok;
}

/* The --indicators files load (their reports go to stderr); *count gets
 * how many indicators they hold. */
static bool indicators_load(const pk_coll_config *c, size_t *count) {
    char err[512];
    pk_ind_list list;
    pk_ind_list_init(&list);
    bool ok = pk_ind_list_load_files(&list, c->indicator_files, c->nindicator_files, stderr,
                                     err, sizeof err) == 0;
    if (!ok) pk_log(PK_LOG_ERR, "--indicators: %s", err);
    *count = list.n;
    pk_ind_list_free(&list);
    return ok;
}

/* --check-config: what setup() would read or open, nothing started. */
static int check_config(pk_collector *coll) {
    const pk_coll_config *c = &coll->cfg;
    int bad = 0;
    if (!pk_listen_address_ok(c)) bad++;
    if (!c->insecure && !setup_tls(coll)) bad++;
    if (c->output_path && !output_writable(c->output_path)) {
        pk_log(PK_LOG_ERR, "-o %s: cannot append there: %m", c->output_path);
        bad++;
    }
    size_t nind = 0;
    if (c->nindicator_files && !indicators_load(c, &nind)) bad++;
    if (bad) return 1;
    printf("configuration OK: listen %s:%u (%s), redis %s:%u prefix \"%s\", window %llu s, "
           "http %s, output %s, %zu indicators to distribute\n", c->listen.host, c->listen.port,
           c->insecure ? "plaintext" : "mutual TLS", c->redis.host, c->redis.port,
           c->redis_prefix, (unsigned long long)c->window_s, c->http_on ? c->http.host : "off",
           c->output_path ? c->output_path : "none", nind);
    return 0;
}

int main(int argc, char **argv) {
    pk_log_setup("picket-collector", PK_LOG_INFO, false);
    signal(SIGPIPE, SIG_IGN);
    if (pk_coverage_requested(argc, argv)) return pk_coverage_main(argc, argv);
    pk_collector *coll = calloc(1, sizeof *coll);
    if (!coll) return 1;
    bool done = false;
    int rc = pk_coll_parse_args(&coll->cfg, argc, argv, &done);
    if (rc != 0 || done) {
        pk_coll_config_free(&coll->cfg, argv);
        free(coll);
        return rc;
    }
    if (coll->cfg.syslog) pk_log_setup("picket-collector", PK_LOG_INFO, true);
    if (coll->cfg.check_config) {
        rc = check_config(coll);
        teardown(coll);
        pk_coll_config_free(&coll->cfg, argv);
        free(coll);
        return rc;
    }
    log_start(coll);
    rc = 1;
    if (setup(coll)) {
        event_base_dispatch(coll->base);
        rc = 0;
    }
    teardown(coll);
    pk_coll_config_free(&coll->cfg, argv);
    free(coll);
    pk_log(PK_LOG_INFO, "stopped");
    return rc;
}
