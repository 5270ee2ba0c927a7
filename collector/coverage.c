/* coverage.c - picket-collector --coverage-report (see coverage.h).
 *
 * Why it exists: the report needs only a synchronous look at Redis (the
 * exercise must be in P exercises; its coverage hash is read with HSCAN in
 * bounded pages) and the indicator files, so it runs before and instead of
 * the event loop. Misses are the report's data, not errors: the exit
 * status is 0 whenever the report was made.
 */
#include "coverage.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "cli.h"
#include "collector.h"
#include "coverage_render.h"
#include "coverage_table.h"
#include "exercise.h"
#include "ind_load.h"
#include "tls.h"

#define PROG "picket-collector"
#define COV_CONNECT_TIMEOUT_S 5
#define COV_REPLY_TIMEOUT_S 10
#define COV_MAX_FIELDS 10000000ULL   /* a hash beyond this is not an exercise */
#define COV_KEY_MAX 256

typedef struct cov_opts {
    const char *exercise;
    pk_hostport redis;
    const char *password, *prefix, *partners;
    const char **files;
    size_t nfiles;
    bool json;
} cov_opts;

enum { OPT_REPORT = 256, OPT_REDIS, OPT_PASSWORD, OPT_PREFIX, OPT_PARTNERS, OPT_FORMAT };

static const struct option cov_long_opts[] = {
    {"coverage-report", required_argument, NULL, OPT_REPORT},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"redis-password", required_argument, NULL, OPT_PASSWORD},
    {"redis-prefix", required_argument, NULL, OPT_PREFIX},
    {"indicators", required_argument, NULL, 'I'},
    {"partners", required_argument, NULL, OPT_PARTNERS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void cov_usage(FILE *f) {
    fputs("usage: picket-collector --coverage-report EXERCISE -I FILE... [options]\n"
          "\n"
          "Says, per indicator of the set, which partners' sensors caught it during\n"
          "the exercise and which did not, from the exercise's coverage hash in Redis\n"
          "(P exercise:<name>:coverage). Opens no listener.\n"
          "\n"
          "  -I, --indicators FILE    the indicator set the capture was made from\n"
          "                           (repeatable; any format picket-sensor reads)\n"
          "      --partners A,B,...   expected partners (default: every partner\n"
          "                           that reported anything in the exercise)\n"
          "      --format text|json   table and summary line (default), or JSON\n"
          "      --redis HOST:PORT    Redis server (default 127.0.0.1:6379)\n"
          "      --redis-password P   AUTH password (or env PICKET_REDIS_PASSWORD)\n"
          "      --redis-prefix P     key prefix (default \"picket:\")\n"
          "  -h, --help               this text\n"
          "\n"
          "Exit status: 0 report made (misses included), 1 Redis or file error,\n"
          "2 bad usage.\n",
          f);
}

bool pk_coverage_requested(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--coverage-report", 17) == 0 &&
            (argv[i][17] == 0 || argv[i][17] == '='))
            return true;
    return false;
}

static int apply_opt(cov_opts *o, int c, const char *arg) {
    switch (c) {
    case OPT_REPORT:
        if (!pk_exercise_name_valid(arg, strlen(arg)))
            return pk_cli_error(PROG, "--coverage-report: \"%s\" is not 1-64 characters of "
                                      "[A-Za-z0-9_.-]", arg);
        o->exercise = arg;
        return 0;
    case OPT_REDIS:
        if (!pk_parse_hostport(arg, &o->redis))
            return pk_cli_error(PROG, "--redis: \"%s\" is not HOST:PORT", arg);
        return 0;
    case OPT_PASSWORD: o->password = arg; return 0;
    case OPT_PREFIX: o->prefix = arg; return pk_parse_prefix(arg) ? 0 : PK_CLI_EXIT_USAGE;
    case 'I': o->files[o->nfiles++] = arg; return 0;
    case OPT_PARTNERS: o->partners = arg; return 0;
    case OPT_FORMAT:
        if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
            return pk_cli_error(PROG, "--format: \"%s\": use text or json", arg);
        o->json = strcmp(arg, "json") == 0;
        return 0;
    default: return pk_cli_usage_error(PROG, "unknown option for --coverage-report");
    }
}

/* Returns -1 to go on, or the exit status (0 after --help). */
static int parse_args(cov_opts *o, int argc, char **argv) {
    o->redis = (pk_hostport){"127.0.0.1", 6379};
    o->prefix = "picket:";
    o->password = getenv("PICKET_REDIS_PASSWORD");
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "I:h", cov_long_opts, NULL)) != -1) {
        if (c == 'h') {
            cov_usage(stdout);
            return 0;
        }
        if (c == '?') return pk_cli_usage_error(PROG, "bad --coverage-report arguments");
        int rc = apply_opt(o, c, optarg);
        if (rc) return rc;
    }
    if (optind < argc)
        return pk_cli_usage_error(PROG, "unexpected argument \"%s\"", argv[optind]);
    if (!o->nfiles)
        return pk_cli_usage_error(PROG, "--coverage-report needs -I FILE (the indicator set)");
    return -1;
}

/* --partners A,B: every name a valid partner. */
static int expect_partners(pk_coverage *cov, const char *list) {
    char *copy = strdup(list), *save = NULL;
    if (!copy) return 1;
    int rc = 0;
    for (char *p = strtok_r(copy, ",", &save); p && !rc; p = strtok_r(NULL, ",", &save)) {
        if (!pk_valid_partner(p)) rc = pk_cli_error(PROG, "--partners: \"%s\" is not a partner "
                                                          "name", p);
        else if (!pk_coverage_expect(cov, p)) rc = 1;
    }
    if (!rc && cov->expected.n == 0) rc = pk_cli_error(PROG, "--partners: no partner given");
    free(copy);
    return rc;
}

static int load_indicators(pk_coverage *cov, const cov_opts *o) {
    pk_ind_list l;
    pk_ind_list_init(&l);
    int rc = 0;
    for (size_t i = 0; i < o->nfiles && !rc; i++) {
        pk_load_report rep;
        if (pk_ind_load_file(&l, o->files[i], (int64_t)time(NULL), &rep) != 0) {
            fprintf(stderr, "%s: %s\n", PROG, rep.error);
            rc = 1;
        } else if (rep.skipped) {
            pk_load_report_print(stderr, &rep);
        }
    }
    for (size_t i = 0; i < l.n && !rc; i++)
        if (!pk_coverage_add_indicator(cov, pk_ind_type_name(l.items[i].type), l.items[i].value))
            rc = 1;
    pk_ind_list_free(&l);
    if (!rc) pk_coverage_index(cov);
    return rc;
}

static void redis_failed(const cov_opts *o, const char *what, const redisContext *rc,
                         const redisReply *rep) {
    const char *why = rep && rep->type == REDIS_REPLY_ERROR ? rep->str
                      : rc && rc->err                        ? rc->errstr
                                                              : "unexpected reply";
    fprintf(stderr, "%s: redis %s:%u: %s: %s\n", PROG, o->redis.host, o->redis.port, what, why);
}

static redisContext *redis_open(const cov_opts *o) {
    struct timeval connect_tv = {COV_CONNECT_TIMEOUT_S, 0}, reply_tv = {COV_REPLY_TIMEOUT_S, 0};
    redisContext *rc = redisConnectWithTimeout(o->redis.host, o->redis.port, connect_tv);
    if (!rc || rc->err) {
        redis_failed(o, "cannot connect", rc, NULL);
        if (rc) redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, reply_tv);
    if (!o->password) return rc;
    redisReply *rep = redisCommand(rc, "AUTH %s", o->password);
    bool ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (!ok) redis_failed(o, "AUTH failed", rc, rep);
    if (rep) freeReplyObject(rep);
    if (ok) return rc;
    redisFree(rc);
    return NULL;
}

/* 1 known, 0 not in P exercises, -1 Redis error. */
static int exercise_known(redisContext *rc, const cov_opts *o) {
    redisReply *rep = redisCommand(rc, "SISMEMBER %sexercises %s", o->prefix, o->exercise);
    int known = rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer == 1 : -1;
    if (known < 0) redis_failed(o, "SISMEMBER failed", rc, rep);
    if (rep) freeReplyObject(rep);
    return known;
}

/* One HSCAN page: checks its shape, applies its fields, moves the cursor. */
static int scan_page(redisContext *rc, const cov_opts *o, pk_coverage *cov, char *cursor,
                     unsigned long long *nfields) {
    redisReply *rep = redisCommand(rc, "HSCAN %sexercise:%s:coverage %s COUNT 1000",
                                   o->prefix, o->exercise, cursor);
    bool shape = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
                 rep->element[0]->type == REDIS_REPLY_STRING && rep->element[0]->len < 32 &&
                 rep->element[1]->type == REDIS_REPLY_ARRAY &&
                 rep->element[1]->elements % 2 == 0;
    int status = shape ? 0 : 1;
    if (!shape) redis_failed(o, "HSCAN failed", rc, rep);
    for (size_t i = 0; shape && !status && i < rep->element[1]->elements; i += 2) {
        const redisReply *f = rep->element[1]->element[i], *v = rep->element[1]->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            cov->malformed_fields++;
            continue;
        }
        if (++*nfields > COV_MAX_FIELDS) {
            fprintf(stderr, "%s: exercise %s: more than %llu coverage fields: refused\n", PROG,
                    o->exercise, COV_MAX_FIELDS);
            status = 1;
        } else if (!pk_coverage_add_field(cov, f->str, f->len, v->str, v->len)) {
            status = 1;
        }
    }
    if (shape) memcpy(cursor, rep->element[0]->str, rep->element[0]->len + 1);
    if (rep) freeReplyObject(rep);
    return status;
}

static int read_coverage(pk_coverage *cov, const cov_opts *o) {
    redisContext *rc = redis_open(o);
    if (!rc) return 1;
    int status = 1, known = exercise_known(rc, o);
    if (known == 0)
        fprintf(stderr, "%s: exercise \"%s\" is unknown: not in %sexercises (no alert of it "
                        "was applied)\n", PROG, o->exercise, o->prefix);
    if (known == 1) {
        char cursor[32] = "0";
        unsigned long long nfields = 0;
        do status = scan_page(rc, o, cov, cursor, &nfields);
        while (!status && strcmp(cursor, "0") != 0);
    }
    redisFree(rc);
    return status;
}

static int print_report(const pk_coverage *cov, const cov_opts *o) {
    if (!o->json) {
        pk_coverage_print_text(cov, o->exercise, stdout);
    } else {
        json_t *j = pk_coverage_json(cov, o->exercise);
        if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
            json_decref(j);
            fprintf(stderr, "%s: cannot write the JSON report\n", PROG);
            return 1;
        }
        json_decref(j);
        fputc('\n', stdout);
    }
    if (cov->malformed_fields)
        fprintf(stderr, "%s: exercise %s: %zu malformed coverage fields skipped\n", PROG,
                o->exercise, cov->malformed_fields);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int run(cov_opts *o, pk_coverage *cov, int argc, char **argv) {
    int rc = parse_args(o, argc, argv);
    if (rc >= 0) return rc;
    if (!o->exercise) return pk_cli_usage_error(PROG, "--coverage-report needs an exercise");
    if (o->partners && (rc = expect_partners(cov, o->partners)) != 0) return rc;
    if ((rc = load_indicators(cov, o)) != 0) return rc;
    if ((rc = read_coverage(cov, o)) != 0) return rc;
    return print_report(cov, o);
}

int pk_coverage_main(int argc, char **argv) {
    cov_opts o = {0};
    o.files = calloc((size_t)argc, sizeof *o.files);
    if (!o.files) return 1;
    pk_coverage cov;
    pk_coverage_init(&cov);
    int rc = run(&o, &cov, argc, argv);
    free(o.files);
    pk_coverage_free(&cov);
    return rc;
}
