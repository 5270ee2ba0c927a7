/* main.c - picket-sensor: command line, set-up, and shutdown.
 *
 * Why it exists: it turns flags into a capture source, an indicator store
 * and an alert output, runs the capture loop on this thread, and exits 0 on
 * success, 2 on bad usage, 1 on a fatal error with one clear message.
 */
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "istore_files.h"
#include "log.h"
#include "privdrop.h"
#include "reload.h"
#include "sensor.h"

#define MAX_INDICATOR_FILES 256

typedef struct sensor_opts {
    pk_capture_config cap;
    pk_sensor_config sensor;
    const char *indicator_files[MAX_INDICATOR_FILES];
    int nindicator_files;
    const char *alerts_path;
    const char *sensor_id, *partner, *exercise;
    const char *user, *group;
    bool stats;
} sensor_opts;

/* The only process-wide mutable state: what signal handlers may touch. */
static pk_capture_signals signal_flags;

static void on_signal(int sig) {
    if (sig == SIGHUP) signal_flags.reload = 1;
    else if (sig == SIGUSR1) signal_flags.dump_stats = 1;
    else signal_flags.stop = 1;
}

static void usage(FILE *f) {
    fprintf(f,
"usage: picket-sensor -r FILE | -i IFACE  -I INDICATORS... [options]\n"
"\n"
"Matches traffic against shared indicators and writes one EVE-compatible\n"
"JSON alert per line.\n"
"\n"
"Source (exactly one):\n"
"  -r, --read FILE          read a pcap or pcapng capture file\n"
"  -i, --interface IF       capture live on interface IF\n"
"  -f, --filter BPF         BPF filter applied to the source\n"
"\n"
"Indicators and alerts:\n"
"  -I, --indicators FILE    indicator file (Zeek intel, STIX 2.1, iprep CSV or\n"
"                           plain list; detected by content); repeatable.\n"
"                           SIGHUP re-reads them without pausing capture.\n"
"  -o, --alerts FILE        alert output, JSON lines ('-' = stdout, default)\n"
"      --sensor-id ID       sensor name in alerts (default: host name)\n"
"      --partner NAME       partner (nation/team) in alerts\n"
"      --exercise NAME      tag every alert as part of an exercise\n"
"      --home-net CIDRS     comma-separated home prefixes for 'direction'\n"
"                           (default " PK_HOMENET_DEFAULT ")\n"
"\n"
"Capture:\n"
"      --replay-speed X     with -r: 0 = as fast as possible (default),\n"
"                           1 = capture pace, 10 = ten times faster\n"
"      --snaplen N          bytes captured per frame (default 65535)\n"
"      --buffer-mb N        kernel capture buffer in MiB (default 64)\n"
"      --no-promisc         do not put the interface in promiscuous mode\n"
"      --flow-memory MB     flow table bound (default 64)\n"
"      --flow-timeout S     idle flow timeout in seconds (default 120)\n"
"\n"
"Privileges:\n"
"      --user USER          after opening the capture and outputs, switch to\n"
"                           USER (and its group, or --group GROUP)\n"
"      --group GROUP        group to switch to with --user\n"
"\n"
"Other:\n"
"      --stats              print counters on exit and on SIGUSR1 (packets,\n"
"                           bytes, decoded by layer, malformed by reason,\n"
"                           flows, alerts, pcap drops)\n"
"  -h, --help               this help\n"
"  -V, --version            version\n"
"\n"
"Exit status: 0 success, 1 fatal error, 2 bad usage.\n");
}

enum {
    OPT_SENSOR_ID = 256, OPT_PARTNER, OPT_EXERCISE, OPT_REPLAY, OPT_STATS,
    OPT_HOME_NET, OPT_SNAPLEN, OPT_BUFFER, OPT_NO_PROMISC, OPT_FLOW_MEM,
    OPT_FLOW_TIMEOUT, OPT_USER, OPT_GROUP,
};

static const struct option long_opts[] = {
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"filter", required_argument, NULL, 'f'},
    {"indicators", required_argument, NULL, 'I'},
    {"alerts", required_argument, NULL, 'o'},
    {"sensor-id", required_argument, NULL, OPT_SENSOR_ID},
    {"partner", required_argument, NULL, OPT_PARTNER},
    {"exercise", required_argument, NULL, OPT_EXERCISE},
    {"replay-speed", required_argument, NULL, OPT_REPLAY},
    {"stats", no_argument, NULL, OPT_STATS},
    {"home-net", required_argument, NULL, OPT_HOME_NET},
    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
    {"buffer-mb", required_argument, NULL, OPT_BUFFER},
    {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
    {"flow-memory", required_argument, NULL, OPT_FLOW_MEM},
    {"flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT},
    {"user", required_argument, NULL, OPT_USER},
    {"group", required_argument, NULL, OPT_GROUP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

__attribute__((format(printf, 1, 2)))
static int bad_usage(const char *fmt, ...) {
    fprintf(stderr, "picket-sensor: ");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'picket-sensor --help'.\n");
    return 2;
}

static bool parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int numeric_opt(int c, const char *arg, sensor_opts *o) {
    long v;
    double d;
    char *end;
    switch (c) {
    case OPT_REPLAY:
        d = strtod(arg, &end);
        if (!*arg || *end || d < 0 || d > 1e6) return bad_usage("bad --replay-speed '%s'", arg);
        o->cap.replay_speed = d;
        return 0;
    case OPT_SNAPLEN:
        if (!parse_long(arg, 64, 262144, &v)) return bad_usage("bad --snaplen '%s'", arg);
        o->cap.snaplen = (int)v;
        return 0;
    case OPT_BUFFER:
        if (!parse_long(arg, 1, 4096, &v)) return bad_usage("bad --buffer-mb '%s'", arg);
        o->cap.buffer_mb = (int)v;
        return 0;
    case OPT_FLOW_MEM:
        if (!parse_long(arg, 1, 1 << 20, &v)) return bad_usage("bad --flow-memory '%s'", arg);
        o->sensor.flow.memory_bytes = (size_t)v << 20;
        return 0;
    case OPT_FLOW_TIMEOUT:
        if (!parse_long(arg, 1, 86400, &v)) return bad_usage("bad --flow-timeout '%s'", arg);
        o->sensor.flow.idle_timeout_s = (uint32_t)v;
        return 0;
    }
    return bad_usage("internal: unknown option %d", c);
}

static int apply_opt(int c, const char *arg, sensor_opts *o) {
    switch (c) {
    case 'r': o->cap.file = arg; return 0;
    case 'i': o->cap.iface = arg; return 0;
    case 'f': o->cap.filter = arg; return 0;
    case 'o': o->alerts_path = arg; return 0;
    case 'I':
        if (o->nindicator_files >= MAX_INDICATOR_FILES)
            return bad_usage("too many -I files (at most 256): '%s'", arg);
        o->indicator_files[o->nindicator_files++] = arg;
        return 0;
    case OPT_SENSOR_ID: o->sensor_id = arg; return 0;
    case OPT_PARTNER: o->partner = arg; return 0;
    case OPT_EXERCISE: o->exercise = arg; return 0;
    case OPT_STATS: o->stats = true; return 0;
    case OPT_USER: o->user = arg; return 0;
    case OPT_GROUP: o->group = arg; return 0;
    case OPT_HOME_NET: o->sensor.home_net = arg; return 0;
    case OPT_NO_PROMISC: o->cap.promisc = false; return 0;
    default: return numeric_opt(c, arg, o);
    }
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, sensor_opts *o) {
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:i:f:I:o:hV", long_opts, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return 0; }
        if (c == 'V') { printf("picket-sensor %s\n", PICKET_VERSION); return 0; }
        if (c == '?') return bad_usage("unknown option '%s'", argv[optind - 1]);
        if (c == ':') return bad_usage("option '%s' needs a value", argv[optind - 1]);
        int rc = apply_opt(c, optarg, o);
        if (rc) return rc;
    }
    if (optind < argc) return bad_usage("unexpected argument '%s'", argv[optind]);
    if (!o->cap.file == !o->cap.iface)
        return bad_usage("%s", "give exactly one of -r FILE or -i INTERFACE");
    if (o->cap.replay_speed > 0 && !o->cap.file)
        return bad_usage("%s", "--replay-speed applies to -r only");
    if (o->group && !o->user)
        return bad_usage("%s", "--group needs --user");
    if (o->nindicator_files == 0)
        return bad_usage("%s", "no indicators: give at least one -I FILE");
    return -1;
}

typedef struct run_ctx {
    pk_sensor sensor;
    pk_capture cap;
    pk_reloader reloader;
    FILE *alerts;
    uint64_t write_errors;
} run_ctx;

static void write_alert(void *ctx, uint64_t seq, const char *json, size_t len) {
    run_ctx *r = ctx;
    (void)seq;
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
    print_counter(NULL, "reload.done", atomic_load(&r->reloader.done));
    print_counter(NULL, "reload.failed", atomic_load(&r->reloader.failed));
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

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

static int open_alerts(run_ctx *r, const char *path) {
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
    if (!o->sensor_id) {
        if (gethostname(host, sizeof host) != 0) strcpy(host, "sensor");
        o->sensor_id = host;
    }
    if (open_alerts(r, o->alerts_path) != 0) return -1;
    char err[512];
    pk_istore *store = pk_istore_load_files(o->indicator_files, o->nindicator_files,
                                            stderr, err, sizeof err);
    if (!store) {
        pk_log(PK_LOG_ERR, "%s", err);
        return -1;
    }
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
    if (pk_capture_open(&r->cap, &o->cap) != 0) {
        pk_log(PK_LOG_ERR, "%s", r->cap.error);
        return -1;
    }
    pk_reloader_init(&r->reloader, &r->sensor, o->indicator_files, o->nindicator_files);
    if (o->user && pk_drop_privileges(o->user, o->group, err, sizeof err) != 0) {
        pk_log(PK_LOG_ERR, "%s", err);
        return -1;
    }
    if (o->user) pk_log(PK_LOG_INFO, "running as user %s", o->user);
    return 0;
}

static void teardown(run_ctx *r) {
    pk_sensor_idle(&r->sensor);
    pk_reloader_finish(&r->reloader);
    pk_capture_close(&r->cap);
    if (r->sensor.flows) pk_sensor_destroy(&r->sensor);
    if (r->alerts && r->alerts != stdout) fclose(r->alerts);
    else if (r->alerts) fflush(r->alerts);
}

int main(int argc, char **argv) {
    sensor_opts o;
    memset(&o, 0, sizeof o);
    o.cap.snaplen = 65535;
    o.cap.buffer_mb = 64;
    o.cap.promisc = true;
    pk_sensor_config_defaults(&o.sensor);
    pk_log_setup("picket-sensor", PK_LOG_INFO, false);
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) return rc;

    run_ctx *r = calloc(1, sizeof *r);
    if (!r) return 1;
    if (setup(r, &o) != 0) {
        teardown(r);
        free(r);
        return 1;
    }
    install_signals();
    if (r->cap.live) pk_log(PK_LOG_INFO, "listening on %s", o.cap.iface);
    int status = pk_capture_run(&r->cap, &r->sensor, &signal_flags, tick, r) == 0 ? 0 : 1;
    if (status) pk_log(PK_LOG_ERR, "%s", r->cap.error);
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
