/* main.c - picket-sensor: command line, set-up, and shutdown.
 *
 * Why it exists: it turns flags into a capture source, an indicator store
 * and an alert output, runs the capture loop on this thread, and exits 0 on
 * success, 2 on bad usage, 1 on a fatal error with one clear message.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "istore_files.h"
#include "http_metrics.h"
#include "indset.h"
#include "log.h"
#include "privdrop.h"
#include "pushed.h"
#include "sensor_opts.h"
#include "spool.h"
#include "uplink.h"
#include "uplink_tls.h"
#include "reload.h"
#include "sensor.h"

/* The only process-wide mutable state: what signal handlers may touch. */
static pk_capture_signals signal_flags;

static void on_signal(int sig) {
    if (sig == SIGHUP) signal_flags.reload = 1;
    else if (sig == SIGUSR1) signal_flags.dump_stats = 1;
    else signal_flags.stop = 1;
}

typedef struct run_ctx {
    pk_sensor sensor;
    pk_capture cap;
    pk_reloader reloader;
    FILE *alerts;                 /* NULL: collector only */
    pk_spool *spool;
    pk_uplink *uplink;
    pk_pushed pushed;             /* sets the collector pushes (with -c) */
    pk_http_metrics *http;
    uint64_t write_errors;
} run_ctx;

/* The sensor's sink: the local JSON-lines copy and/or the uplink. */
static void write_alert(void *ctx, uint64_t seq, const char *json, size_t len) {
    run_ctx *r = ctx;
    if (r->uplink) pk_uplink_submit(r->uplink, seq, json, len);
    if (!r->alerts) return;
    if (fwrite(json, 1, len, r->alerts) != len || fputc('\n', r->alerts) == EOF)
        r->write_errors++;
}

static void print_counter(void *ctx, const char *name, uint64_t v) {
    (void)ctx;
    if (v) fprintf(stderr, "  %-44s %llu\n", name, (unsigned long long)v);
}

static void print_stats(run_ctx *r) {
    fprintf(stderr, "picket-sensor: counters (zero counters omitted)\n");
    pk_sensor_counters(&r->sensor, print_counter, NULL);
    pk_capture_counters(&r->cap, print_counter, NULL);
    print_counter(NULL, "alerts.write_errors", r->write_errors);
    if (r->uplink) pk_uplink_counters(r->uplink, print_counter, NULL);
    if (r->uplink) pk_pushed_counters(&r->pushed, print_counter, NULL);
    print_counter(NULL, "reload.done", atomic_load(&r->reloader.done));
    print_counter(NULL, "reload.failed", atomic_load(&r->reloader.failed));
    print_counter(NULL, "reload.pushed_rejected", atomic_load(&r->reloader.pushed_rejected));
}

static void tick(void *ctx) {
    run_ctx *r = ctx;
    if (signal_flags.reload) {
        signal_flags.reload = 0;
        pk_reloader_request(&r->reloader);
    }
    if (signal_flags.dump_stats) {
        signal_flags.dump_stats = 0;
        print_stats(r);
    }
}

/* Waits up to timeout_s for the collector to acknowledge every alert, in
 * one-second slices so that SIGUSR1 and SIGHUP are still served and a
 * stop signal ends the wait. Returns how many alerts remain unacked. */
static uint64_t drain_uplink(run_ctx *r, double timeout_s) {
    for (;;) {
        double slice = timeout_s < 1.0 ? timeout_s : 1.0;
        uint64_t left = pk_uplink_drain(r->uplink, slice);
        timeout_s -= slice;
        if (!left || timeout_s <= 0 || signal_flags.stop) return left;
        tick(r);
    }
}

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Counters for the uplink's periodic stats message. Runs on the uplink
 * thread: reads of the capture thread's counters are approximate, and
 * pcap_stats() is not called from here (drops are the last values read). */
static void collect_counters(void *ctx, pk_counter_cb cb, void *cbctx) {
    run_ctx *r = ctx;
    pk_sensor_counters(&r->sensor, cb, cbctx);
    cb(cbctx, "capture.kernel_drops", r->cap.kernel_drops);
    cb(cbctx, "capture.interface_drops", r->cap.iface_drops);
}

/* Counters for /metrics: the sensor's, the uplink's, and the reloads. */
static void collect_all(void *ctx, pk_counter_cb cb, void *cbctx) {
    run_ctx *r = ctx;
    collect_counters(r, cb, cbctx);
    if (r->uplink) pk_uplink_counters(r->uplink, cb, cbctx);
    if (r->uplink) pk_pushed_counters(&r->pushed, cb, cbctx);
    cb(cbctx, "reload.done", atomic_load(&r->reloader.done));
    cb(cbctx, "reload.failed", atomic_load(&r->reloader.failed));
    cb(cbctx, "reload.pushed_rejected", atomic_load(&r->reloader.pushed_rejected));
    cb(cbctx, "alerts.write_errors", r->write_errors);
}

/* With --cert, the certificate names the sensor and its partner. */
static int identity_from_cert(sensor_opts *o) {
    static char cn[256], org[256];
    char err[512];
    if (!o->cert || (o->sensor_id && o->partner)) return 0;
    if (pk_uplink_cert_identity(o->cert, cn, sizeof cn, org, sizeof org, err, sizeof err) != 0) {
        pk_log(PK_LOG_ERR, "%s", err);
        return -1;
    }
    if (!o->sensor_id && cn[0]) o->sensor_id = cn;
    if (!o->partner && org[0]) o->partner = org;
    return 0;
}

/* A pushed set is persisted: rebuild the store (uplink thread). */
static void pushed_set_ready(void *ctx, int64_t received_ms) {
    run_ctx *r = ctx;
    pk_reloader_request_push(&r->reloader, received_ms);
}

static int start_uplink(run_ctx *r, const sensor_opts *o, const char *pushed_version) {
    char err[512];
    pk_spool_config sc = {.dir = o->spool_dir, .max_bytes = (uint64_t)o->spool_max_mb << 20};
    if (!(r->spool = pk_spool_open(&sc, err, sizeof err))) goto fail;
    uint64_t next = pk_spool_next_seq(r->spool);
    if (r->sensor.next_alert_seq < next) r->sensor.next_alert_seq = next;
    pk_uplink_config uc = {.collector = o->collector, .ca = o->ca, .cert = o->cert,
                           .key = o->key, .insecure = o->insecure,
                           .sensor_id = o->sensor_id, .partner = o->partner,
                           .collect = collect_counters,
                           .collect_ctx = r,
                           .on_indicators = pk_pushed_message,
                           .indicators_ctx = &r->pushed};
    pk_pushed_init(&r->pushed, o->spool_dir, pushed_version, pushed_set_ready, r);
    if (!(r->uplink = pk_uplink_new(&uc, r->spool, err, sizeof err))) goto fail;
    if (pk_uplink_start(r->uplink, err, sizeof err) != 0) goto fail;
    pk_log(PK_LOG_INFO, "alerts go to collector %s (spool %s)", o->collector, o->spool_dir);
    return 0;
fail:
    pk_log(PK_LOG_ERR, "%s", err);
    return -1;
}

static int open_alerts(run_ctx *r, const char *path, bool collector) {
    if (!path && collector) return 0;
    if (!path || strcmp(path, "-") == 0) {
        r->alerts = stdout;
    } else if (!(r->alerts = fopen(path, "a"))) {
        pk_log(PK_LOG_ERR, "%s: cannot open alert output: %m", path);
        return -1;
    }
    setvbuf(r->alerts, NULL, _IOLBF, 0);
    return 0;
}

static int setup(run_ctx *r, sensor_opts *o) {
    static char host[HOST_NAME_MAX + 1];
    if (identity_from_cert(o) != 0) return -1;
    if (!o->sensor_id) {
        if (gethostname(host, sizeof host) != 0) strcpy(host, "sensor");
        o->sensor_id = host;
    }
    if (open_alerts(r, o->alerts_path, o->collector != NULL) != 0) return -1;
    char err[512];
    pk_indset_info info;
    const char *pushed_dir = o->collector ? o->spool_dir : NULL;
    pk_istore *store = pk_indset_load(o->indicator_files, o->nindicator_files, pushed_dir,
                                      stderr, &info, err, sizeof err);
    if (!store) {
        pk_log(PK_LOG_ERR, "%s", err);
        return -1;
    }
    if (info.pushed_version[0])
        pk_log(PK_LOG_INFO, "pushed indicator set %s from the spool: %zu indicators",
               info.pushed_version, info.pushed_count);
    pk_log(PK_LOG_INFO, "%zu indicators loaded (set %s)", pk_istore_count(store),
           pk_istore_version(store));
    if (pk_sensor_init(&r->sensor, &o->sensor, store, err, sizeof err) != 0) {
        pk_istore_free(store);
        pk_log(PK_LOG_ERR, "%s", err);
        return -1;
    }
    r->sensor.origin = (pk_alert_origin){o->sensor_id, o->partner, o->exercise};
    r->sensor.sink = write_alert;
    r->sensor.sink_ctx = r;
    pk_reloader_init(&r->reloader, &r->sensor, o->indicator_files, o->nindicator_files);
    pk_reloader_set_pushed(&r->reloader, pushed_dir, info.pushed_version);
    if (info.pushed_rejected) atomic_fetch_add(&r->reloader.pushed_rejected, 1);
    if (o->collector && start_uplink(r, o, info.pushed_version) != 0) return -1;
    if (o->http) {
        r->http = pk_http_metrics_start(o->http, "picket_sensor", collect_all, r, err, sizeof err);
        if (!r->http) {
            pk_log(PK_LOG_ERR, "%s", err);
            return -1;
        }
    }
    if (pk_capture_open(&r->cap, &o->cap) != 0) {
        pk_log(PK_LOG_ERR, "%s", r->cap.error);
        return -1;
    }
    if (o->user && pk_drop_privileges(o->user, o->group, err, sizeof err) != 0) {
        pk_log(PK_LOG_ERR, "%s", err);
        return -1;
    }
    if (o->user) pk_log(PK_LOG_INFO, "running as user %s", o->user);
    return 0;
}

static void teardown(run_ctx *r) {
    pk_http_metrics_stop(r->http);      /* reads counters of everything below */
    pk_uplink_free(r->uplink);          /* its thread reads sensor counters */
    pk_pushed_free(&r->pushed);
    pk_spool_close(r->spool);
    pk_sensor_idle(&r->sensor);
    pk_reloader_finish(&r->reloader);
    pk_capture_close(&r->cap);
    if (r->sensor.flows) pk_sensor_destroy(&r->sensor);
    if (r->alerts && r->alerts != stdout) fclose(r->alerts);
    else if (r->alerts) fflush(r->alerts);
}

/* --check-config: everything setup() would read, nothing started. */
static int check_config(sensor_opts *o) {
    char err[512];
    int bad = 0;
    if (identity_from_cert(o) != 0) bad++;
    pk_istore *store = pk_istore_load_files(o->indicator_files, o->nindicator_files,
                                            stderr, err, sizeof err);
    if (!store) {
        pk_log(PK_LOG_ERR, "%s", err);
        bad++;
    }
    pk_capture cap;
    if (o->cap.file || geteuid() == 0) {
        if (pk_capture_open(&cap, &o->cap) != 0) {
            pk_log(PK_LOG_ERR, "%s", cap.error);
            bad++;
        }
        pk_capture_close(&cap);
    }
    if (o->collector && !o->insecure) {
        SSL_CTX *ctx = pk_uplink_tls_ctx(o->ca, o->cert, o->key, err, sizeof err);
        if (!ctx) {
            pk_log(PK_LOG_ERR, "%s", err);
            bad++;
        }
        SSL_CTX_free(ctx);
    }
    if (!bad)
        printf("configuration OK: %s %s, %zu indicators (set %s)%s%s, sensor %s, partner %s\n",
               o->cap.file ? "file" : "interface", o->cap.file ? o->cap.file : o->cap.iface,
               pk_istore_count(store), pk_istore_version(store),
               o->collector ? ", collector " : "", o->collector ? o->collector : "",
               o->sensor_id ? o->sensor_id : "(host name)", o->partner ? o->partner : "-");
    pk_istore_free(store);
    return bad ? 1 : 0;
}

int main(int argc, char **argv) {
    sensor_opts o;
    sensor_opts_defaults(&o);
    pk_log_setup("picket-sensor", PK_LOG_INFO, false);
    int rc = sensor_opts_parse(argc, argv, &o);
    if (rc >= 0) return rc;
    if (o.syslog) pk_log_setup("picket-sensor", PK_LOG_INFO, true);
    if (o.check_config) return check_config(&o);

    run_ctx *r = calloc(1, sizeof *r);
    if (!r) return 1;
    /* Before setup: a SIGHUP or SIGTERM that arrives while indicators load
     * is kept as a flag and acted on once capture runs, never fatal. */
    install_signals();
    if (setup(r, &o) != 0) {
        teardown(r);
        free(r);
        return 1;
    }
    if (r->cap.live) pk_log(PK_LOG_INFO, "listening on %s", o.cap.iface);
    else pk_log(PK_LOG_INFO, "reading capture %s",
                strcmp(o.cap.file, "-") ? o.cap.file : "from standard input");
    int status = pk_capture_run(&r->cap, &r->sensor, &signal_flags, tick, r) == 0 ? 0 : 1;
    if (status) pk_log(PK_LOG_ERR, "%s", r->cap.error);
    /* What the benchmark times the sensor's read loop by. */
    pk_log(PK_LOG_INFO, "capture ended: %llu packets in %.6f s (%.6f s of CPU in the read loop)",
           (unsigned long long)r->sensor.st.packets, (double)r->cap.loop_wall_usec / 1e6,
           (double)r->cap.loop_cpu_usec / 1e6);
    if (r->uplink && !r->cap.live) {
        uint64_t left = drain_uplink(r, (double)o.drain_timeout_s);
        if (left)
            pk_log(PK_LOG_WARN, "%llu alerts not yet acknowledged by the collector; kept in the spool",
                   (unsigned long long)left);
    }
    if (o.stats) print_stats(r);
    if (r->write_errors) {
        pk_log(PK_LOG_ERR, "%llu alerts could not be written",
               (unsigned long long)r->write_errors);
        status = 1;
    }
    teardown(r);
    free(r);
    return status;
}
