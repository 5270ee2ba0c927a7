/* uplink.c - the uplink's life cycle and the entry points other threads
 * call: submit (capture thread), drain and counters (main thread). The
 * connection itself runs on the uplink thread (uplink_conn.c).
 *
 * Why it exists: the capture thread must hand over alerts without ever
 * waiting on the network or the disk's fsync, and the main thread must be
 * able to wait, bounded, for the collector to acknowledge everything at the
 * end of a capture file.
 */
#include "uplink_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>

static uint32_t or_default(uint32_t v, uint32_t def) { return v ? v : def; }

int pk_uplink_check_config(const pk_uplink_config *cfg, char *err, size_t errlen) {
    pk_uplink_addr a;
    if (pk_uplink_parse_addr(cfg->collector, &a, err, errlen) != 0) return -1;
    if (cfg->insecure && !pk_uplink_addr_loopback(&a)) {
        snprintf(err, errlen, "--insecure (plaintext) is refused for '%s': only a "
                 "loopback collector (127.0.0.0/8, ::1, localhost) may be reached "
                 "without TLS", cfg->collector);
        return -1;
    }
    if (!cfg->insecure && (!cfg->ca || !cfg->cert || !cfg->key)) {
        snprintf(err, errlen, "-c needs --ca, --cert and --key (mutual TLS), or "
                 "--insecure for a loopback collector");
        return -1;
    }
    if (!cfg->sensor_id || !*cfg->sensor_id || strlen(cfg->sensor_id) > 128) {
        snprintf(err, errlen, "sensor id must be 1 to 128 characters");
        return -1;
    }
    return 0;
}

static void set_defaults(pk_uplink *u, const pk_uplink_config *cfg) {
    u->cfg = *cfg;
    u->cfg.window = or_default(cfg->window, 4);
    if (u->cfg.window > PK_UPLINK_MAX_WINDOW) u->cfg.window = PK_UPLINK_MAX_WINDOW;
    u->cfg.stats_interval_ms = or_default(cfg->stats_interval_ms, 10000);
    u->cfg.backoff_min_ms = or_default(cfg->backoff_min_ms, 500);
    u->cfg.backoff_max_ms = or_default(cfg->backoff_max_ms, 30000);
    if (u->cfg.backoff_max_ms < u->cfg.backoff_min_ms)
        u->cfg.backoff_max_ms = u->cfg.backoff_min_ms;
    u->cfg.sync_interval_ms = or_default(cfg->sync_interval_ms, 100);
    u->cfg.handshake_timeout_ms = or_default(cfg->handshake_timeout_ms, 15000);
    u->backoff_ms = u->cfg.backoff_min_ms;
    u->wake_rd = u->wake_wr = -1;
    u->st = PK_UP_IDLE;
    u->rng = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() ^
             (uint64_t)(uintptr_t)u;
    if (!u->rng) u->rng = 1;
    atomic_store(&u->busy, true);
}

static int init_sync(pk_uplink *u) {
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&u->dcv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) return -1;
    pthread_mutex_init(&u->dmu, NULL);
    return 0;
}

static int init_events(pk_uplink *u, char *err, size_t errlen) {
    int fds[2];
    u->base = event_base_new();
    if (!u->base || pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "uplink: cannot set up its event loop: %s", strerror(errno));
        return -1;
    }
    u->wake_rd = fds[0];
    u->wake_wr = fds[1];
    if (!u->addr.is_ip &&
        !(u->dns = evdns_base_new(u->base, EVDNS_BASE_INITIALIZE_NAMESERVERS))) {
        snprintf(err, errlen, "uplink: cannot set up name resolution for '%s'",
                 u->addr.host);
        return -1;
    }
    u->wake_ev = event_new(u->base, u->wake_rd, EV_READ | EV_PERSIST, pk_uplink_on_wake, u);
    u->sync_ev = evtimer_new(u->base, pk_uplink_on_sync, u);
    u->retry_ev = evtimer_new(u->base, pk_uplink_on_retry, u);
    u->shake_ev = evtimer_new(u->base, pk_uplink_on_shake, u);
    u->stats_ev = event_new(u->base, -1, EV_PERSIST, pk_uplink_on_stats, u);
    if (!u->wake_ev || !u->sync_ev || !u->retry_ev || !u->shake_ev || !u->stats_ev ||
        event_add(u->wake_ev, NULL) != 0) {
        snprintf(err, errlen, "uplink: out of memory for events");
        return -1;
    }
    return 0;
}

pk_uplink *pk_uplink_new(const pk_uplink_config *cfg, pk_spool *sp, char *err,
                         size_t errlen) {
    if (pk_uplink_check_config(cfg, err, errlen) != 0) return NULL;
    pk_uplink *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "uplink: out of memory");
        return NULL;
    }
    set_defaults(u, cfg);
    u->sp = sp;
    u->acked = pk_spool_acked(sp);
    atomic_store(&u->acked_pub, u->acked);
    u->sensor_id = strdup(cfg->sensor_id);
    u->partner = cfg->partner ? strdup(cfg->partner) : NULL;
    u->win = calloc(PK_UPLINK_MAX_WINDOW, sizeof *u->win);
    if (init_sync(u) != 0 || !u->sensor_id || !u->win) {
        snprintf(err, errlen, "uplink: out of memory");
        free(u->sensor_id);
        free(u->partner);
        free(u->win);
        free(u);
        return NULL;
    }
    u->cfg.collector = NULL;   /* parsed below; the caller's strings are not kept */
    if (pk_uplink_parse_addr(cfg->collector, &u->addr, err, errlen) != 0 ||
        (!cfg->insecure &&
         !(u->ssl_ctx = pk_uplink_tls_ctx(cfg->ca, cfg->cert, cfg->key, err, errlen))) ||
        init_events(u, err, errlen) != 0) {
        pk_uplink_free(u);
        return NULL;
    }
    u->cfg.ca = u->cfg.cert = u->cfg.key = u->cfg.sensor_id = NULL;
    return u;
}

int pk_uplink_start(pk_uplink *u, char *err, size_t errlen) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&u->thread, NULL, pk_uplink_thread, u);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "uplink: cannot start its thread: %s", strerror(rc));
        return -1;
    }
    u->started = true;
    return 0;
}

static void wake(pk_uplink *u) {
    if (atomic_exchange(&u->wake_pending, true)) return;
    char c = 1;
    /* Non-blocking: a full pipe already holds a wake-up. */
    if (write(u->wake_wr, &c, 1) < 0 && errno != EAGAIN)
        atomic_store(&u->wake_pending, false);
}

void pk_uplink_submit(void *ctx, uint64_t seq, const char *json, size_t len) {
    pk_uplink *u = ctx;
    if (pk_spool_append(u->sp, seq, json, len) != 0) return;
    if (atomic_load_explicit(&u->busy, memory_order_relaxed))
        atomic_fetch_add_explicit(&u->queue_full, 1, memory_order_relaxed);
    wake(u);
}

static struct timespec deadline_after(double s) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (s < 0) s = 0;
    if (s > 1e7) s = 1e7;
    time_t whole = (time_t)s;
    ts.tv_sec += whole;
    ts.tv_nsec += (long)((s - (double)whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

uint64_t pk_uplink_drain(pk_uplink *u, double timeout_s) {
    uint64_t target = pk_spool_last_seq(u->sp);
    struct timespec deadline = deadline_after(timeout_s);
    wake(u);
    pthread_mutex_lock(&u->dmu);
    while (atomic_load(&u->acked_pub) < target)
        if (pthread_cond_timedwait(&u->dcv, &u->dmu, &deadline) == ETIMEDOUT) break;
    pthread_mutex_unlock(&u->dmu);
    return pk_spool_count_after(u->sp, atomic_load(&u->acked_pub));
}

static void stop_thread(pk_uplink *u) {
    if (!u->started) return;
    atomic_store(&u->stop, true);
    char c = 0;
    if (write(u->wake_wr, &c, 1) < 0 && errno != EAGAIN)
        pk_log(PK_LOG_ERR, "uplink: cannot signal its thread to stop: %m");
    pthread_join(u->thread, NULL);
    u->started = false;
}

void pk_uplink_free(pk_uplink *u) {
    if (!u) return;
    stop_thread(u);
    if (u->bev) bufferevent_free(u->bev);
    struct event *evs[] = {u->wake_ev, u->sync_ev, u->retry_ev, u->shake_ev, u->stats_ev};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (evs[i]) event_free(evs[i]);
    if (u->ai_list) evutil_freeaddrinfo(u->ai_list);
    if (u->dns) evdns_base_free(u->dns, 0);
    if (u->base) event_base_free(u->base);
    if (u->wake_rd >= 0) close(u->wake_rd);
    if (u->wake_wr >= 0) close(u->wake_wr);
    SSL_CTX_free(u->ssl_ctx);
    pthread_mutex_destroy(&u->dmu);
    pthread_cond_destroy(&u->dcv);
    free(u->pay);
    free(u->win);
    free(u->sensor_id);
    free(u->partner);
    free(u);
}

void pk_uplink_counters(const pk_uplink *u, pk_counter_cb cb, void *ctx) {
    cb(ctx, "uplink.connected", atomic_load(&u->connected));
    cb(ctx, "uplink.connects", atomic_load(&u->connects));
    cb(ctx, "uplink.disconnects", atomic_load(&u->disconnects));
    cb(ctx, "uplink.batches_sent", atomic_load(&u->batches_sent));
    cb(ctx, "uplink.alerts_sent", atomic_load(&u->alerts_sent));
    cb(ctx, "uplink.alerts_acked", atomic_load(&u->alerts_acked));
    cb(ctx, "uplink.alerts_resent", atomic_load(&u->alerts_resent));
    cb(ctx, "uplink.queue_full", atomic_load(&u->queue_full));
    cb(ctx, "uplink.protocol_errors", atomic_load(&u->protocol_errors));
    cb(ctx, "uplink.acked_seq", atomic_load(&u->acked_pub));
    pk_spool_counters(u->sp, cb, ctx);
}
