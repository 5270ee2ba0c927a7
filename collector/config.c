/* config.c - picket-collector's command line.
 *
 * Why it exists: every option is bounded and checked once, before anything
 * is opened, so a typo fails fast with exit code 2 and a message naming the
 * option instead of surfacing later as a strange runtime error.
 */
#include "collector.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config_file.h"

enum {
    OPT_CA = 256, OPT_CERT, OPT_KEY, OPT_REDIS, OPT_REDIS_PASSWORD, OPT_REDIS_PREFIX,
    OPT_WINDOW, OPT_DEDUP, OPT_MAXLEN, OPT_HTTP, OPT_CRL, OPT_INSECURE,
    OPT_FRAME_LIMIT, OPT_HS_TIMEOUT, OPT_IDLE_TIMEOUT, OPT_MAX_CONN,
    OPT_CONFIG, OPT_CHECK_CONFIG, OPT_SYSLOG,
    OPT_INDICATORS,
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"ca", required_argument, NULL, OPT_CA},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"redis-password", required_argument, NULL, OPT_REDIS_PASSWORD},
    {"redis-prefix", required_argument, NULL, OPT_REDIS_PREFIX},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"dedup-key", required_argument, NULL, OPT_DEDUP},
    {"stream-maxlen", required_argument, NULL, OPT_MAXLEN},
    {"http", required_argument, NULL, OPT_HTTP},
    {"output", required_argument, NULL, 'o'},
    {"crl", required_argument, NULL, OPT_CRL},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"frame-limit", required_argument, NULL, OPT_FRAME_LIMIT},
    {"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
    {"syslog", no_argument, NULL, OPT_SYSLOG},
    {"indicators", required_argument, NULL, OPT_INDICATORS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
    fputs("usage: picket-collector -l HOST:PORT --ca FILE --cert FILE --key FILE\n"
          "                        --redis HOST:PORT [options]\n"
          "\n"
          "Accepts alerts from picket sensors over mutual TLS, applies them to Redis\n"
          "(deduplicated, exactly once on the stream) and publishes unique alerts.\n"
          "\n"
          "  -l, --listen HOST:PORT     sensor listener address\n"
          "      --ca FILE              coalition CA: client certificates must chain to it\n"
          "      --cert FILE --key FILE the collector's certificate (chain) and key\n"
          "      --crl FILE             reject client certificates revoked in this CRL\n"
          "      --redis HOST:PORT      Redis server\n"
          "      --redis-password P     AUTH password (or env PICKET_REDIS_PASSWORD)\n"
          "      --redis-prefix P       key prefix (default \"picket:\")\n"
          "      --window SECONDS       dedup and sighting window (default 600)\n"
          "      --dedup-key K          indicator,community_id (default) or\n"
          "                             indicator,src_ip,dest_ip\n"
          "      --stream-maxlen N      approximate stream length cap (default 100000)\n"
          "      --http HOST:PORT       the watch-floor board (/), /api/alerts, /api/exercises,\n"
          "                             /api/stream (SSE of live traffic; ?exercise=NAME\n"
          "                             for an exercise's), /healthz, /metrics\n"
          "  -o, --output FILE          append unique live alerts as JSON lines\n"
          "      --indicators FILE      the coalition's indicator set to push to sensors\n"
          "                             (repeatable; reloaded on SIGHUP and on change)\n"
          "      --insecure             plaintext sensors (loopback listen address only)\n"
          "      --frame-limit BYTES    largest accepted frame (default 1048576)\n"
          "      --handshake-timeout S  TLS handshake + hello deadline (default 10)\n"
          "      --idle-timeout S       close a connection without a frame for S (120)\n"
          "      --max-connections N    open sensor connections at most (default 1024)\n"
          "      --config FILE          settings from FILE: one 'key = value' per line,\n"
          "                             keys are the long flag names, '#' comments,\n"
          "                             true/false for switches; flags override it\n"
          "      --check-config         check flags, certificates and files, print a\n"
          "                             summary, exit 0 (ok) or 1, start nothing\n"
          "      --syslog               log to syslog (daemon facility), not stderr\n"
          "  -h, --help                 this text\n"
          "  -V, --version              print the version\n"
          "\n"
          "Exercise coverage report (one-shot, no listener; --coverage-report --help):\n"
          "  picket-collector --coverage-report EXERCISE -I FILE... [--partners A,B,...]\n"
          "                   [--format text|json] [--redis HOST:PORT]\n"
          "                   [--redis-password P] [--redis-prefix P]\n"
          "\n"
          "Exit status: 0 ok, 1 fatal error, 2 bad usage.\n",
          f);
}

static bool parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi,
                      uint64_t *out) {
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-') goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) goto bad;
    *out = v;
    return true;
bad:
    fprintf(stderr, "picket-collector: %s: \"%s\" is not a number in %llu..%llu\n", opt,
            s ? s : "", (unsigned long long)lo, (unsigned long long)hi);
    return false;
}

static bool parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi,
                      uint32_t *out) {
    uint64_t v;
    if (!parse_u64(opt, s, lo, hi, &v)) return false;
    *out = (uint32_t)v;
    return true;
}

bool pk_parse_hostport(const char *s, pk_hostport *hp) {
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return false;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']') return false;
        h++;
        hl -= 2;
    } else if (memchr(h, ':', hl)) {
        return false;          /* a bare IPv6 address needs brackets */
    }
    if (hl == 0 || hl >= sizeof hp->host) return false;
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || !colon[1] || *end || port > 65535) return false;
    memcpy(hp->host, h, hl);
    hp->host[hl] = 0;
    hp->port = (uint16_t)port;
    return true;
}

static bool parse_addr(const char *opt, const char *s, pk_hostport *hp) {
    if (pk_parse_hostport(s, hp)) return true;
    fprintf(stderr, "picket-collector: %s: \"%s\" is not HOST:PORT\n", opt, s);
    return false;
}

bool pk_parse_prefix(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) goto bad;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) goto bad;
    return true;
bad:
    fprintf(stderr, "picket-collector: --redis-prefix: 1..64 printable characters, no spaces\n");
    return false;
}

static bool parse_dedup(const char *s, pk_dedup_mode *m) {
    if (strcmp(s, "indicator,community_id") == 0) *m = PK_DEDUP_COMMUNITY;
    else if (strcmp(s, "indicator,src_ip,dest_ip") == 0) *m = PK_DEDUP_ADDRS;
    else {
        fprintf(stderr, "picket-collector: --dedup-key: \"%s\": use indicator,community_id "
                        "or indicator,src_ip,dest_ip\n", s);
        return false;
    }
    return true;
}

static void defaults(pk_coll_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->redis_prefix = "picket:";
    cfg->window_s = 600;
    cfg->stream_maxlen = 100000;
    cfg->frame_limit = 1u << 20;
    cfg->handshake_timeout_s = 10;
    cfg->idle_timeout_s = 120;
    cfg->max_connections = 1024;
    cfg->redis_password = getenv("PICKET_REDIS_PASSWORD");
}

static bool apply_opt(pk_coll_config *cfg, int c, const char *arg) {
    switch (c) {
    case 'l': return parse_addr("--listen", arg, &cfg->listen);
    case OPT_CA: cfg->ca = arg; return true;
    case OPT_CERT: cfg->cert = arg; return true;
    case OPT_KEY: cfg->key = arg; return true;
    case OPT_CRL: cfg->crl = arg; return true;
    case OPT_REDIS: return parse_addr("--redis", arg, &cfg->redis);
    case OPT_REDIS_PASSWORD: cfg->redis_password = arg; return true;
    case OPT_REDIS_PREFIX: cfg->redis_prefix = arg; return pk_parse_prefix(arg);
    case OPT_WINDOW: return parse_u64("--window", arg, 1, 30 * 86400, &cfg->window_s);
    case OPT_DEDUP: return parse_dedup(arg, &cfg->dedup);
    case OPT_MAXLEN: return parse_u64("--stream-maxlen", arg, 1, 1000000000, &cfg->stream_maxlen);
    case OPT_HTTP: cfg->http_on = true; return parse_addr("--http", arg, &cfg->http);
    case 'o': cfg->output_path = arg; return true;
    case OPT_INSECURE: cfg->insecure = true; return true;
    case OPT_CHECK_CONFIG: cfg->check_config = true; return true;
    case OPT_SYSLOG: cfg->syslog = true; return true;
    case OPT_CONFIG: return true;          /* expanded before parsing */
    case OPT_FRAME_LIMIT:
        return parse_u32("--frame-limit", arg, 1024, 64u << 20, &cfg->frame_limit);
    case OPT_HS_TIMEOUT:
        return parse_u32("--handshake-timeout", arg, 1, 3600, &cfg->handshake_timeout_s);
    case OPT_IDLE_TIMEOUT:
        return parse_u32("--idle-timeout", arg, 1, 86400, &cfg->idle_timeout_s);
    case OPT_MAX_CONN:
        return parse_u32("--max-connections", arg, 1, 65536, &cfg->max_connections);
    case OPT_INDICATORS:
        if (cfg->nindicator_files == PK_COLL_MAX_IND_FILES) {
            fprintf(stderr, "picket-collector: --indicators: at most %d files\n",
                    PK_COLL_MAX_IND_FILES);
            return false;
        }
        cfg->indicator_files[cfg->nindicator_files++] = arg;
        return true;
    default: return false;
    }
}

static bool check_required(const pk_coll_config *cfg) {
    const char *missing = NULL;
    if (!cfg->listen.host[0]) missing = "-l HOST:PORT";
    else if (!cfg->redis.host[0]) missing = "--redis HOST:PORT";
    else if (!cfg->insecure && !cfg->ca) missing = "--ca FILE";
    else if (!cfg->insecure && !cfg->cert) missing = "--cert FILE";
    else if (!cfg->insecure && !cfg->key) missing = "--key FILE";
    if (missing) {
        fprintf(stderr, "picket-collector: missing %s (see --help)\n", missing);
        return false;
    }
    return true;
}

int pk_coll_parse_args(pk_coll_config *cfg, int argc, char **argv, bool *done) {
    defaults(cfg);
    *done = false;
    char err[512];
    int crc = pk_config_expand(argc, argv, long_opts, &cfg->argc, &cfg->argv, err, sizeof err);
    if (crc != 0) {
        pk_cli_error("picket-collector", "%s", err);
        return crc == -2 ? 1 : PK_CLI_EXIT_USAGE;
    }
    argc = cfg->argc;
    argv = cfg->argv;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "l:o:hV", long_opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            *done = true;
            return 0;
        }
        if (c == 'V') {
            printf("picket-collector %s\n", PICKET_VERSION);
            *done = true;
            return 0;
        }
        if (c == '?' || !apply_opt(cfg, c, optarg)) {
            if (c == '?') usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "picket-collector: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    return check_required(cfg) ? 0 : 2;
}

void pk_coll_config_free(pk_coll_config *cfg, char **original_argv) {
    pk_config_free(cfg->argc, cfg->argv, original_argv);
    cfg->argv = NULL;
}
