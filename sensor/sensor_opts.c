/* sensor_opts.c - picket-sensor's flags and help (see sensor_opts.h). */
#include "sensor_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config_file.h"
#include "exercise_name.h"
#include "uplink.h"

void sensor_opts_defaults(sensor_opts *o) {
    memset(o, 0, sizeof *o);
    o->cap.snaplen = 65535;
    o->cap.buffer_mb = 64;
    o->cap.promisc = true;
    o->spool_max_mb = 256;
    o->drain_timeout_s = 30;
    o->cap.loops = 1;
    pk_sensor_config_defaults(&o->sensor);
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
"                           With -c, the set the collector pushes is added\n"
"                           (kept in the spool; -I is then optional).\n"
"  -o, --alerts FILE        alert output, JSON lines ('-' = stdout, default)\n"
"      --sensor-id ID       sensor name in alerts (default: host name)\n"
"      --partner NAME       partner (nation/team) in alerts\n"
"      --exercise NAME      tag every alert as part of an exercise (NAME: 1-64\n"
"                           characters of [A-Za-z0-9_.-])\n"
"      --home-net CIDRS     comma-separated home prefixes for 'direction'\n"
"                           (default " PK_HOMENET_DEFAULT ")\n"
"\n"
"Capture:\n"
"      --replay-speed X     with -r: 0 = as fast as possible (default),\n"
"                           1 = capture pace, 10 = ten times faster\n"
"      --time-shift now|S   with -r: move capture time so the first packet is\n"
"                           now, or by S seconds (alerts carry the new time)\n"
"      --loop N             with -r: replay the file N times; each pass is new\n"
"                           traffic continuing after the previous one\n"
"      --no-progress        no progress line (shown with -r when stderr is a\n"
"                           terminal)\n"
"      --snaplen N          bytes captured per frame (default 65535)\n"
"      --buffer-mb N        kernel capture buffer in MiB (default 64)\n"
"      --no-promisc         do not put the interface in promiscuous mode\n"
"      --flow-memory MB     flow table bound (default 64)\n"
"      --flow-timeout S     idle flow timeout in seconds (default 120)\n"
"\n"
"Collector uplink (alerts are spooled to disk, sent over mutual TLS, and\n"
"removed once the collector has applied them):\n"
"  -c, --collector HOST:PORT  send alerts to this collector\n"
"      --ca FILE            CA that signed the collector's certificate\n"
"      --cert FILE          this sensor's certificate (CN = sensor id, O = partner:\n"
"                           --sensor-id and --partner default to them)\n"
"      --key FILE           this sensor's private key\n"
"      --spool DIR          spool directory (required with -c)\n"
"      --spool-max MB       spool bound; the oldest alerts are dropped and\n"
"                           counted beyond it (default 256)\n"
"      --drain-timeout S    with -r: wait up to S seconds at the end for the\n"
"                           collector to acknowledge every alert (default 30)\n"
"      --insecure           plaintext to a loopback collector (tests only)\n"
"  With -c, alerts go to the collector only, unless -o is given too.\n"
"\n"
"Privileges:\n"
"      --user USER          after opening the capture and outputs, switch to\n"
"                           USER (and its group, or --group GROUP)\n"
"      --group GROUP        group to switch to with --user\n"
"\n"
"Configuration:\n"
"      --config FILE        read settings from FILE: one 'key = value' per line,\n"
"                           keys are the long flag names, true/false for\n"
"                           switches; flags on the command line override it\n"
"      --check-config       check flags, files, indicators and certificates,\n"
"                           print a summary and exit (0 when all is well)\n"
"      --syslog             log to syslog instead of stderr\n"
"      --http HOST:PORT     serve /metrics (Prometheus) and /healthz\n"
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
    OPT_FLOW_TIMEOUT, OPT_USER, OPT_GROUP, OPT_CA, OPT_CERT, OPT_KEY,
    OPT_SPOOL, OPT_SPOOL_MAX, OPT_DRAIN, OPT_INSECURE, OPT_TIME_SHIFT, OPT_LOOP,
    OPT_NO_PROGRESS, OPT_CHECK_CONFIG, OPT_SYSLOG, OPT_HTTP,
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
    {"time-shift", required_argument, NULL, OPT_TIME_SHIFT},
    {"loop", required_argument, NULL, OPT_LOOP},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"collector", required_argument, NULL, 'c'},
    {"ca", required_argument, NULL, OPT_CA},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"spool", required_argument, NULL, OPT_SPOOL},
    {"spool-max", required_argument, NULL, OPT_SPOOL_MAX},
    {"drain-timeout", required_argument, NULL, OPT_DRAIN},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"user", required_argument, NULL, OPT_USER},
    {"group", required_argument, NULL, OPT_GROUP},
    {"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
    {"syslog", no_argument, NULL, OPT_SYSLOG},
    {"http", required_argument, NULL, OPT_HTTP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

#define PROG "picket-sensor"
#define bad_usage(...) pk_cli_usage_error(PROG, __VA_ARGS__)

/* Integer flags: the bounds and what the value sets. */
static const struct long_flag {
    int opt;
    const char *name;
    long lo, hi;
} long_flags[] = {
    {OPT_SNAPLEN, "--snaplen", 64, 262144},
    {OPT_BUFFER, "--buffer-mb", 1, 4096},
    {OPT_FLOW_MEM, "--flow-memory", 1, 1 << 20},
    {OPT_LOOP, "--loop", 1, 1000000},
    {OPT_SPOOL_MAX, "--spool-max", 1, 1 << 20},
    {OPT_DRAIN, "--drain-timeout", 0, 86400},
    {OPT_FLOW_TIMEOUT, "--flow-timeout", 1, 86400},
};

static void set_long(int c, long v, sensor_opts *o) {
    switch (c) {
    case OPT_SNAPLEN: o->cap.snaplen = (int)v; break;
    case OPT_BUFFER: o->cap.buffer_mb = (int)v; break;
    case OPT_FLOW_MEM: o->sensor.flow.memory_bytes = (size_t)v << 20; break;
    case OPT_LOOP: o->cap.loops = (int)v; break;
    case OPT_SPOOL_MAX: o->spool_max_mb = v; break;
    case OPT_DRAIN: o->drain_timeout_s = v; break;
    case OPT_FLOW_TIMEOUT: o->sensor.flow.idle_timeout_s = (uint32_t)v; break;
    }
}

static int numeric_opt(int c, const char *arg, sensor_opts *o) {
    switch (c) {
    case OPT_REPLAY:
        if (!pk_cli_double(arg, 0, 1e6, &o->cap.replay_speed))
            return bad_usage("bad --replay-speed '%s'", arg);
        return 0;
    case OPT_TIME_SHIFT:
        if (strcmp(arg, "now") == 0)
            o->cap.time_shift_now = true;
        else if (!pk_cli_double(arg, -1e10, 1e10, &o->cap.time_shift_s))
            return bad_usage("bad --time-shift '%s' (now or seconds)", arg);
        return 0;
    }
    for (size_t i = 0; i < sizeof long_flags / sizeof long_flags[0]; i++) {
        const struct long_flag *f = &long_flags[i];
        long v;
        if (f->opt != c) continue;
        if (!pk_cli_long(arg, f->lo, f->hi, &v)) return bad_usage("bad %s '%s'", f->name, arg);
        set_long(c, v, o);
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
    case OPT_EXERCISE:
        if (!pk_exercise_name_valid(arg, strlen(arg)))
            return bad_usage("--exercise '%s': 1-64 characters of [A-Za-z0-9_.-]", arg);
        o->exercise = arg;
        return 0;
    case OPT_STATS: o->stats = true; return 0;
    case 'c': o->collector = arg; return 0;
    case OPT_CA: o->ca = arg; return 0;
    case OPT_CERT: o->cert = arg; return 0;
    case OPT_KEY: o->key = arg; return 0;
    case OPT_SPOOL: o->spool_dir = arg; return 0;
    case OPT_INSECURE: o->insecure = true; return 0;
    case OPT_NO_PROGRESS: o->no_progress = true; return 0;
    case OPT_CHECK_CONFIG: o->check_config = true; return 0;
    case OPT_SYSLOG: o->syslog = true; return 0;
    case OPT_HTTP: o->http = arg; return 0;
    case OPT_USER: o->user = arg; return 0;
    case OPT_GROUP: o->group = arg; return 0;
    case OPT_HOME_NET: o->sensor.home_net = arg; return 0;
    case OPT_NO_PROMISC: o->cap.promisc = false; return 0;
    default: return numeric_opt(c, arg, o);
    }
}

/* The uplink's own rules (HOST:PORT, --insecure on loopback only, TLS
 * files present), plus: a spool is required, and no uplink flag alone. */
static int check_uplink(const sensor_opts *o) {
    if (!o->collector) {
        if (o->ca || o->key || o->spool_dir || o->insecure)
            return bad_usage("%s", "--ca/--key/--spool/--insecure need -c HOST:PORT");
        return -1;
    }
    if (!o->spool_dir) return bad_usage("%s", "-c needs --spool DIR (alerts wait there until acknowledged)");
    pk_uplink_config uc = {.collector = o->collector, .ca = o->ca, .cert = o->cert,
                           .key = o->key, .insecure = o->insecure,
                           .sensor_id = o->sensor_id ? o->sensor_id : "-"};
    char err[256];
    if (pk_uplink_check_config(&uc, err, sizeof err) != 0) return bad_usage("%s", err);
    return -1;
}

/* The arguments with --config expanded. They live as long as the process
 * (options point into them); held here, not only in a local, so that they
 * stay reachable and a leak checker does not report them. */
static char **expanded_argv;

int sensor_opts_parse(int argc, char **argv, sensor_opts *o) {
    char err[512];
    int crc = pk_config_expand(argc, argv, long_opts, &argc, &expanded_argv, err, sizeof err);
    if (crc != 0) {
        pk_cli_error(PROG, "%s", err);
        return crc == -2 ? 1 : PK_CLI_EXIT_USAGE;
    }
    argv = expanded_argv;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:i:f:I:o:c:hV", long_opts, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return 0; }
        if (c == 'V') { printf(PROG " %s\n", PICKET_VERSION); return 0; }
        if (c == '?') return bad_usage("unknown option '%s'", argv[optind - 1]);
        if (c == ':') return bad_usage("option '%s' needs a value", argv[optind - 1]);
        int rc = apply_opt(c, optarg, o);
        if (rc) return rc;
    }
    if (optind < argc) return bad_usage("unexpected argument '%s'", argv[optind]);
    if (!o->cap.file == !o->cap.iface)
        return bad_usage("%s", "give exactly one of -r FILE or -i INTERFACE");
    if (!o->cap.file && (o->cap.replay_speed > 0 || o->cap.loops > 1 ||
                         o->cap.time_shift_now || o->cap.time_shift_s != 0))
        return bad_usage("%s", "--replay-speed, --time-shift and --loop apply to -r only");
    o->cap.progress = o->cap.file && !o->no_progress && isatty(STDERR_FILENO);
    if (o->group && !o->user)
        return bad_usage("%s", "--group needs --user");
    int rc = check_uplink(o);
    if (rc >= 0) return rc;
    if (o->nindicator_files == 0 && !o->collector)
        return bad_usage("%s", "no indicators: give at least one -I FILE (or -c: the "
                         "collector's pushed set)");
    return -1;
}

