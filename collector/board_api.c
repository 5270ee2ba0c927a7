/* board_api.c - GET /api/alerts and /api/exercises: the alerts stream read
 * from Redis with each entry's repeat count, and the exercises seen (see
 * board.h and README "Watch-floor board").
 *
 * Why it exists: scripts want the recent unique alerts without a Redis
 * client, and the board wants their repeat counts, which the live stream
 * does not carry (a repeat only raises a count in Redis). A request costs
 * two commands on the collector's own hiredis async connection, so the
 * event loop never blocks: XRANGE <stream> <since> + COUNT <limit> (or,
 * without since, XREVRANGE <stream> + - COUNT <limit>: the newest), then
 * one EVAL reading the count of each entry's alert record. Live traffic
 * lives under P (--redis-prefix): P..alerts, P..alert:<alert_id>; an
 * exercise's under P..exercise:<name>: (same names after it).
 * Entries are checked before they are echoed (ids must be stream ids,
 * alerts must parse as JSON objects). At most API_MAX_PENDING requests
 * wait for Redis at once; a client that leaves meanwhile is answered into
 * the void (evhttp frees a request without a connection when it is
 * answered), and at shutdown waiting requests are orphaned so their late
 * replies touch nothing that is gone.
 */
#include "board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "log.h"
#include "redis_int.h"

#define API_DEFAULT_LIMIT 100
#define API_MAX_LIMIT 1000
#define API_MAX_PENDING 16
#define API_ID_MAX 48              /* "<u64>-<u64>" and its NUL */
#define API_ALERT_ID_MAX 256

static const char count_lua[] =
    "local out = {}\n"
    "for i, k in ipairs(KEYS) do out[i] = redis.call('HGET', k, 'count') end\n"
    "return out\n";

typedef struct api_entry {
    char id[API_ID_MAX];
    char *json;                    /* the stored alert, checked; NULL if unusable */
    size_t json_len;
    char *key;                     /* P..alert:<alert_id>; NULL without an id */
    long long count;               /* -1: unknown (record expired, or no id) */
} api_entry;

typedef struct api_query {
    struct api_query *prev, *next;
    pk_board_api *api;             /* NULL once orphaned */
    struct evhttp_request *req;    /* NULL once orphaned */
    char start[API_ID_MAX];        /* XRANGE start argument */
    char cursor[API_ID_MAX];       /* "next" when nothing is returned */
    char exercise[PK_EXERCISE_MAX + 1]; /* "" for live operations */
    char *base;                    /* key prefix: P.. or P..exercise:<name>: */
    unsigned limit;
    bool empty;                    /* nothing can follow "since" */
    bool newest;                   /* no since: the newest limit entries */
    api_entry *e;
    size_t n;
} api_query;

struct pk_board_api {
    pk_collector *coll;
    api_query *pending;
    uint32_t npending;
};

/* --------------------------------------------------------- parameters */

static bool parse_u64(const char *s, size_t len, uint64_t *out) {
    if (len == 0 || len > 20) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* "<ms>": entries from that millisecond on; "<ms>-<seq>": entries after
 * that one (so a script passes back "next" as it came). */
static bool parse_since(const char *s, api_query *q) {
    const char *dash = strchr(s, '-');
    unsigned long long ms, seq;
    uint64_t v;
    if (!dash) {
        if (!parse_u64(s, strlen(s), &v)) return false;
        snprintf(q->start, sizeof q->start, "%llu", (unsigned long long)v);
        snprintf(q->cursor, sizeof q->cursor, "%llu", (unsigned long long)v);
        return true;
    }
    if (!parse_u64(s, (size_t)(dash - s), &v)) return false;
    ms = v;
    if (!parse_u64(dash + 1, strlen(dash + 1), &v)) return false;
    seq = v;
    snprintf(q->cursor, sizeof q->cursor, "%llu-%llu", ms, seq);
    if (seq < UINT64_MAX)
        snprintf(q->start, sizeof q->start, "%llu-%llu", ms, seq + 1);
    else if (ms < UINT64_MAX)
        snprintf(q->start, sizeof q->start, "%llu-0", ms + 1);
    else
        q->empty = true;
    return true;
}

/* NULL when the query string is acceptable, else why not. */
static const char *parse_params(struct evhttp_request *req, api_query *q) {
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (!query || !*query) return NULL;
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    if (evhttp_parse_query_str(query, &params) != 0) {
        evhttp_clear_headers(&params);
        return "malformed query string";
    }
    bool since = false, limit = false, exercise = false;
    const char *why = NULL;
    for (struct evkeyval *kv = TAILQ_FIRST(&params); kv && !why; kv = TAILQ_NEXT(kv, next)) {
        uint64_t v;
        if (strcmp(kv->key, "since") == 0) {
            q->newest = false;
            if (since) why = "since: given twice";
            else if (!parse_since(kv->value, q))
                why = "since: expected a stream id (1732355555123-0) or milliseconds since the "
                      "epoch";
            since = true;
        } else if (strcmp(kv->key, "limit") == 0) {
            if (limit) why = "limit: given twice";
            else if (!parse_u64(kv->value, strlen(kv->value), &v) || v < 1 || v > API_MAX_LIMIT)
                why = "limit: expected an integer from 1 to 1000";
            else q->limit = (unsigned)v;
            limit = true;
        } else if (strcmp(kv->key, "exercise") == 0) {
            if (exercise) why = "exercise: given twice";
            else if (!pk_exercise_name_valid(kv->value, strlen(kv->value)))
                why = "exercise: expected 1 to 64 characters of A-Z a-z 0-9 _ . -";
            else snprintf(q->exercise, sizeof q->exercise, "%s", kv->value);
            exercise = true;
        } else {
            why = "unknown parameter: only since, limit and exercise are accepted";
        }
    }
    evhttp_clear_headers(&params);
    return why;
}

/* ------------------------------------------------------------ replies */

static void reply_json(struct evhttp_request *req, int code, const char *reason,
                       struct evbuffer *body) {
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", "application/json");
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
    evhttp_send_reply(req, code, reason, body);
}

static void reply_error(struct evhttp_request *req, int code, const char *reason,
                        const char *why) {
    struct evbuffer *b = evbuffer_new();
    json_t *msg = json_pack("{s:s}", "error", why);
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (!b || !text) {
        free(text);
        if (b) evbuffer_free(b);
        evhttp_send_error(req, 500, "Out of memory");
        return;
    }
    evbuffer_add_printf(b, "%s\n", text);
    free(text);
    reply_json(req, code, reason, b);
    evbuffer_free(b);
}

static void query_free(api_query *q) {
    for (size_t i = 0; i < q->n; i++) {
        free(q->e[i].json);
        free(q->e[i].key);
    }
    free(q->e);
    free(q->base);
    free(q);
}

/* Takes q off the pending list and frees it (its request is answered). */
static void query_done(api_query *q) {
    pk_board_api *api = q->api;
    if (api) {
        if (q->prev) q->prev->next = q->next;
        else api->pending = q->next;
        if (q->next) q->next->prev = q->prev;
        api->npending--;
    }
    query_free(q);
}

static void finish_error(api_query *q, int code, const char *reason, const char *why) {
    reply_error(q->req, code, reason, why);
    query_done(q);
}

static void finish(api_query *q) {
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(q->req, 500, "Out of memory");
        query_done(q);
        return;
    }
    evbuffer_add_printf(b, "{\"alerts\":[");
    for (size_t i = 0; i < q->n; i++) {
        const api_entry *e = &q->e[i];
        evbuffer_add_printf(b, "%s{\"id\":\"%s\",\"alert\":", i ? "," : "", e->id);
        if (e->json) evbuffer_add(b, e->json, e->json_len);
        else evbuffer_add_printf(b, "null");
        if (e->count >= 0) evbuffer_add_printf(b, ",\"count\":%lld}", e->count);
        else evbuffer_add_printf(b, ",\"count\":null}");
    }
    evbuffer_add_printf(b, "],\"next\":\"%s\"}\n", q->n ? q->e[q->n - 1].id : q->cursor);
    reply_json(q->req, 200, "OK", b);
    evbuffer_free(b);
    query_done(q);
}

/* -------------------------------------------------------------- Redis */

static void redis_failed(api_query *q, const redisReply *rep, const char *what) {
    pk_collector *coll = q->api->coll;
    coll->metrics.errors[PK_ERR_REDIS_REPLY]++;
    pk_log_limited(&coll->rl.http, PK_LOG_WARN, "%s: %.200s", what,
                   rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
    finish_error(q, 502, "Bad Gateway", "redis could not answer the query");
}

/* A Redis reply arrived for q: false when there is nothing to do with it
 * (q was orphaned, or the connection went: answered 503). */
static bool still_wanted(api_query *q, const redisReply *rep) {
    if (!q->req) {
        query_free(q);
        return false;
    }
    if (!rep) {
        finish_error(q, 503, "Service Unavailable", "redis connection lost");
        return false;
    }
    return true;
}

static bool valid_stream_id(const char *s, size_t len) {
    const char *dash = memchr(s, '-', len);
    uint64_t v;
    return dash && parse_u64(s, (size_t)(dash - s), &v) &&
           parse_u64(dash + 1, len - (size_t)(dash - s) - 1, &v);
}

/* The entry's alert JSON and, when it names one, its record's key. */
static void take_alert(const char *base, api_entry *e, const redisReply *fields) {
    const redisReply *val = NULL;
    for (size_t j = 0; j + 1 < fields->elements; j += 2) {
        const redisReply *k = fields->element[j];
        if (k->type == REDIS_REPLY_STRING && k->len == 5 && memcmp(k->str, "alert", 5) == 0)
            val = fields->element[j + 1];
    }
    if (!val || val->type != REDIS_REPLY_STRING) return;
    json_t *root = json_loadb(val->str, val->len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return;
    }
    json_t *id = json_object_get(json_object_get(root, "picket"), "alert_id");
    if (json_is_string(id) && json_string_length(id) <= API_ALERT_ID_MAX &&
        asprintf(&e->key, "%salert:%s", base, json_string_value(id)) < 0)
        e->key = NULL;
    json_decref(root);
    e->json = malloc(val->len);
    if (!e->json) return;
    memcpy(e->json, val->str, val->len);
    e->json_len = val->len;
}

static bool take_entries(api_query *q, const redisReply *rep) {
    q->e = calloc(rep->elements ? rep->elements : 1, sizeof *q->e);
    if (!q->e) return false;
    for (size_t i = 0; i < rep->elements; i++) {
        /* XREVRANGE answers newest first: put them back in stream order. */
        const redisReply *ent = rep->element[q->newest ? rep->elements - 1 - i : i];
        if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 2) return false;
        const redisReply *id = ent->element[0], *fields = ent->element[1];
        if (id->type != REDIS_REPLY_STRING || id->len >= API_ID_MAX ||
            !valid_stream_id(id->str, id->len))
            return false;
        api_entry *e = &q->e[q->n++];
        memcpy(e->id, id->str, id->len);
        e->id[id->len] = 0;
        e->count = -1;
        if (fields->type == REDIS_REPLY_ARRAY) take_alert(q->base, e, fields);
    }
    return true;
}

static void on_counts(redisAsyncContext *ac, void *reply, void *priv) {
    api_query *q = priv;
    const redisReply *rep = reply;
    if (!still_wanted(q, rep)) return;
    if (rep->type != REDIS_REPLY_ARRAY) {
        redis_failed(q, rep, "count lookup failed");
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < q->n && k < rep->elements; i++) {
        if (!q->e[i].key) continue;
        const redisReply *c = rep->element[k++];
        uint64_t v;
        if (c->type == REDIS_REPLY_STRING && parse_u64(c->str, c->len, &v) && v <= INT64_MAX)
            q->e[i].count = (long long)v;
        else if (c->type == REDIS_REPLY_INTEGER && c->integer >= 0)
            q->e[i].count = c->integer;
    }
    finish(q);
}

/* 1: no entry to count; 0: sent; -1: could not send. */
static int send_counts(api_query *q, redisAsyncContext *ac) {
    size_t nk = 0;
    for (size_t i = 0; i < q->n; i++) nk += q->e[i].key != NULL;
    if (!nk) return 1;
    const char **argv = calloc(nk + 3, sizeof *argv);
    size_t *lens = calloc(nk + 3, sizeof *lens);
    char nkeys[24];
    int rc = REDIS_ERR;
    if (argv && lens) {
        snprintf(nkeys, sizeof nkeys, "%zu", nk);
        argv[0] = "EVAL";
        argv[1] = count_lua;
        argv[2] = nkeys;
        size_t a = 3;
        for (size_t i = 0; i < q->n; i++)
            if (q->e[i].key) argv[a++] = q->e[i].key;
        for (size_t i = 0; i < a; i++) lens[i] = strlen(argv[i]);
        rc = redisAsyncCommandArgv(ac, on_counts, q, (int)a, argv, lens);
    }
    free(argv);
    free(lens);
    return rc == REDIS_OK ? 0 : -1;
}

static void on_range(redisAsyncContext *ac, void *reply, void *priv) {
    api_query *q = priv;
    const redisReply *rep = reply;
    if (!still_wanted(q, rep)) return;
    if (rep->type != REDIS_REPLY_ARRAY || !take_entries(q, rep)) {
        redis_failed(q, rep, "XRANGE failed");
        return;
    }
    int sent = send_counts(q, ac);
    if (sent == 1) finish(q);
    else if (sent < 0) finish_error(q, 503, "Service Unavailable", "redis unavailable");
}

static bool send_range(api_query *q, redisAsyncContext *ac) {
    char count[16], *key = NULL;
    snprintf(count, sizeof count, "%u", q->limit);
    if (asprintf(&key, "%salerts", q->base) < 0) return false;
    const char *xrange[6] = {"XRANGE", key, q->start, "+", "COUNT", count};
    const char *xrevrange[6] = {"XREVRANGE", key, "+", "-", "COUNT", count};
    const char **argv = q->newest ? xrevrange : xrange;
    size_t lens[6];
    for (int i = 0; i < 6; i++) lens[i] = strlen(argv[i]);
    bool ok = redisAsyncCommandArgv(ac, on_range, q, 6, argv, lens) == REDIS_OK;
    free(key);
    return ok;
}

/* ---------------------------------------------------------- exercises */

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SMEMBERS P..exercises: the valid names, sorted, at most API_MAX_LIMIT. */
static void on_members(redisAsyncContext *ac, void *reply, void *priv) {
    api_query *q = priv;
    const redisReply *rep = reply;
    if (!still_wanted(q, rep)) return;
    if (rep->type != REDIS_REPLY_ARRAY) {
        redis_failed(q, rep, "SMEMBERS failed");
        return;
    }
    const char **names = calloc(rep->elements ? rep->elements : 1, sizeof *names);
    struct evbuffer *b = evbuffer_new();
    if (!names || !b) {
        free(names);
        if (b) evbuffer_free(b);
        evhttp_send_error(q->req, 500, "Out of memory");
        query_done(q);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < rep->elements && n < API_MAX_LIMIT; i++) {
        const redisReply *m = rep->element[i];
        if (m->type == REDIS_REPLY_STRING && strlen(m->str) == m->len &&
            pk_exercise_name_valid(m->str, strlen(m->str)))
            names[n++] = m->str;
    }
    qsort(names, n, sizeof *names, cmp_names);
    evbuffer_add_printf(b, "{\"exercises\":[");
    for (size_t i = 0; i < n; i++) evbuffer_add_printf(b, "%s\"%s\"", i ? "," : "", names[i]);
    evbuffer_add_printf(b, "]}\n");
    free(names);
    reply_json(q->req, 200, "OK", b);
    evbuffer_free(b);
    query_done(q);
}

static bool send_members(api_query *q, redisAsyncContext *ac) {
    char *key = NULL;
    if (asprintf(&key, "%sexercises", q->base) < 0) return false;
    const char *argv[2] = {"SMEMBERS", key};
    size_t lens[2] = {8, strlen(key)};
    bool ok = redisAsyncCommandArgv(ac, on_members, q, 2, argv, lens) == REDIS_OK;
    free(key);
    return ok;
}

/* ------------------------------------------------------------ handler */

/* Queues q for Redis (send_range or send_members); answers 503 instead
 * when Redis is away or too many queries wait already. */
static void submit(pk_board_api *api, api_query *q,
                   bool (*send)(api_query *, redisAsyncContext *)) {
    const pk_redis *r = api->coll->redis;
    redisAsyncContext *ac = pk_redis_ready(r) ? r->ac : NULL;
    if (!ac || api->npending >= API_MAX_PENDING) {
        reply_error(q->req, 503, "Service Unavailable",
                    ac ? "too many API requests waiting" : "redis unavailable");
        query_free(q);
        return;
    }
    q->api = api;
    q->next = api->pending;
    if (api->pending) api->pending->prev = q;
    api->pending = q;
    api->npending++;
    if (!send(q, ac)) finish_error(q, 503, "Service Unavailable", "redis unavailable");
}

static api_query *query_new(pk_board_api *api, struct evhttp_request *req) {
    api_query *q = calloc(1, sizeof *q);
    if (!q) {
        evhttp_send_error(req, 500, "Out of memory");
        return NULL;
    }
    q->req = req;
    q->limit = API_DEFAULT_LIMIT;
    q->newest = true;              /* until a since says otherwise */
    snprintf(q->start, sizeof q->start, "-");
    snprintf(q->cursor, sizeof q->cursor, "0-0");
    return q;
}

void pk_board_api_handle(pk_board_api *api, struct evhttp_request *req) {
    api_query *q = query_new(api, req);
    if (!q) return;
    const char *why = parse_params(req, q);
    const char *prefix = api->coll->cfg.redis_prefix;
    int rc = why ? 0
             : q->exercise[0] ? asprintf(&q->base, "%sexercise:%s:", prefix, q->exercise)
                              : asprintf(&q->base, "%s", prefix);
    if (why || rc < 0) {
        if (why) reply_error(req, 400, "Bad Request", why);
        else evhttp_send_error(req, 500, "Out of memory");
        query_free(q);
        return;
    }
    if (q->empty) {
        finish(q);
        return;
    }
    submit(api, q, send_range);
}

void pk_board_api_exercises(pk_board_api *api, struct evhttp_request *req) {
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (query && *query) {
        reply_error(req, 400, "Bad Request", "/api/exercises takes no parameters");
        return;
    }
    api_query *q = query_new(api, req);
    if (!q) return;
    if (asprintf(&q->base, "%s", api->coll->cfg.redis_prefix) < 0) {
        evhttp_send_error(req, 500, "Out of memory");
        query_free(q);
        return;
    }
    submit(api, q, send_members);
}

pk_board_api *pk_board_api_new(pk_collector *coll) {
    pk_board_api *api = calloc(1, sizeof *api);
    if (!api) return NULL;
    api->coll = coll;
    return api;
}

void pk_board_api_free(pk_board_api *api) {
    if (!api) return;
    for (api_query *q = api->pending, *next; q; q = next) {
        next = q->next;
        /* A request whose client already left is ours to free (answering
         * it does); the others go with their connections in evhttp_free. */
        if (!evhttp_request_get_connection(q->req)) evhttp_send_error(q->req, 503, NULL);
        q->api = NULL;
        q->req = NULL;
        q->prev = q->next = NULL;
    }
    free(api);
}
