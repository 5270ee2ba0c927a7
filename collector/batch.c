/* batch.c - an "alerts" message as EVALSHA arguments (see batch.h).
 *
 * Why it exists: the sensor's claims about itself are never trusted; this
 * is where the verified identity is written into every alert and where the
 * dedup rule (indicator x community_id, or indicator x src_ip x dest_ip)
 * becomes a concrete key. Keys are bounded: long indicator values are
 * replaced by their SHA-256.
 */
#include "batch.h"

#include "exercise.h"
#include "indkey.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_FIELD_MAX 128       /* community_id, addresses */
#define KEY_MAX 640

bool pk_indicator_key(json_t *alert, char *out, size_t len) {
    json_t *ind = json_object_get(json_object_get(alert, "picket"), "indicator");
    json_t *jt = json_object_get(ind, "type"), *jv = json_object_get(ind, "value");
    if (!json_is_string(jt) || !json_is_string(jv)) return false;
    return pk_indicator_key_text(json_string_value(jt), json_string_value(jv),
                                 json_string_length(jv), out, len);
}

static const char *flow_field(json_t *alert, const char *name) {
    json_t *v = json_object_get(alert, name);
    if (!json_is_string(v)) return NULL;
    size_t n = json_string_length(v);
    if (n == 0 || n > FLOW_FIELD_MAX || memchr(json_string_value(v), 0, n)) return NULL;
    return json_string_value(v);
}

/* The dedup rule. Without the fields the rule needs, an alert is its own
 * key (never folded into another). */
static void dedup_key(pk_dedup_mode mode, json_t *alert, const char *indkey,
                      const char *alert_id, char *out, size_t len) {
    const char *cid = flow_field(alert, "community_id");
    const char *src = flow_field(alert, "src_ip");
    const char *dst = flow_field(alert, "dest_ip");
    if (mode == PK_DEDUP_COMMUNITY && cid)
        snprintf(out, len, "%s|%s", indkey, cid);
    else if (src && dst)
        snprintf(out, len, "%s|%s|%s", indkey, src, dst);
    else
        snprintf(out, len, "%s|alert:%s", indkey, alert_id);
}

static bool push(pk_batch *b, char *s, size_t len, bool owned) {
    if (!s) return false;
    b->argv[b->argc] = s;
    b->argvlen[b->argc] = len;
    b->owned[b->argc] = owned ? s : NULL;
    b->argc++;
    return true;
}

static bool push_str(pk_batch *b, const char *s) {
    char *d = strdup(s);
    return push(b, d, d ? strlen(d) : 0, true);
}

static bool push_fmt(pk_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool push_fmt(pk_batch *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n >= 0 && push(b, s, (size_t)n, true);
}

static pk_batch *batch_alloc(size_t nalerts) {
    pk_batch *b = calloc(1, sizeof *b);
    size_t cap = PK_BATCH_FIXED_ARGS + PK_BATCH_PER_ALERT * nalerts;
    if (!b) return NULL;
    b->argv = calloc(cap, sizeof *b->argv);
    b->argvlen = calloc(cap, sizeof *b->argvlen);
    b->owned = calloc(cap, sizeof *b->owned);
    b->json = calloc(nalerts ? nalerts : 1, sizeof *b->json);
    b->json_len = calloc(nalerts ? nalerts : 1, sizeof *b->json_len);
    b->exercise = calloc(nalerts ? nalerts : 1, sizeof *b->exercise);
    if (!b->argv || !b->argvlen || !b->owned || !b->json || !b->json_len || !b->exercise) {
        pk_batch_free(b);
        return NULL;
    }
    return b;
}

void pk_batch_free(pk_batch *b) {
    if (!b) return;
    for (int i = 0; i < b->argc; i++) free(b->owned[i]);
    free(b->argv);
    free(b->argvlen);
    free(b->owned);
    free(b->json);
    free(b->json_len);
    free(b->exercise);
    free(b);
}

static bool push_fixed(pk_batch *b, const pk_coll_config *cfg, const char *sensor,
                       const char *partner, size_t nvalid) {
    char iso[40];
    int64_t now = pk_wall_ms();
    pk_wall_iso(now, iso, sizeof iso);
    const char *p = cfg->redis_prefix;
    return push(b, (char *)"EVALSHA", 7, false) && push(b, (char *)"", 0, false) &&
           push(b, (char *)"4", 1, false) && push_fmt(b, "%sapplied", p) &&
           push_fmt(b, "%salerts", p) && push_fmt(b, "%ssightings", p) &&
           push_fmt(b, "%sexercises", p) && push_str(b, p) &&
           push_str(b, sensor) && push_str(b, partner) &&
           push_fmt(b, "%llu", (unsigned long long)cfg->window_s * 1000) &&
           push_fmt(b, "%llu", (unsigned long long)cfg->stream_maxlen) &&
           push_fmt(b, "%lld", (long long)now) && push_str(b, iso) &&
           push_fmt(b, "%lld", b->max_seq) && push_fmt(b, "%zu", nvalid);
}

/* Stamps the verified identity into the alert. */
static bool stamp(json_t *alert, const char *sensor, const char *partner, const char *id) {
    json_t *pk = json_object_get(alert, "picket");
    return json_is_object(pk) && json_object_set_new(pk, "sensor", json_string(sensor)) == 0 &&
           json_object_set_new(pk, "partner", json_string(partner)) == 0 &&
           json_object_set_new(pk, "alert_id", json_string(id)) == 0;
}

/* The key space an alert is applied in: "" for live traffic, else its
 * exercise name (each alert carries its own, so a batch that mixes live and
 * exercise alerts is split inside the one atomic script run). False when
 * the alert's picket.exercise is malformed. */
static bool traffic_arg(json_t *alert, const char **exercise) {
    pk_traffic t = pk_exercise_of(alert, exercise);
    if (t == PK_TRAFFIC_LIVE) *exercise = "";
    return t != PK_TRAFFIC_MALFORMED;
}

/* Adds one alert's group; returns 1 added, 0 skipped (unusable), -1 OOM. */
static int push_alert(pk_batch *b, pk_collector *coll, const char *sensor,
                      const char *partner, json_t *item) {
    json_t *alert = json_object_get(item, "alert");
    long long seq = (long long)json_integer_value(json_object_get(item, "seq"));
    char indkey[KEY_MAX], dkey[KEY_MAX * 2], id[PK_ID_MAX + 32];
    const char *exercise;
    snprintf(id, sizeof id, "%s:%lld", sensor, seq);
    if (!traffic_arg(alert, &exercise)) {
        b->bad_exercise++;
        pk_log_limited(&coll->rl.proto, PK_LOG_WARN,
                       "sensor %s: alert seq %lld: picket.exercise is not 1-64 characters "
                       "of [A-Za-z0-9_.-]: skipped", sensor, seq);
        return 0;
    }
    if (!pk_indicator_key(alert, indkey, sizeof indkey) || !stamp(alert, sensor, partner, id)) {
        pk_log_limited(&coll->rl.proto, PK_LOG_WARN,
                       "sensor %s: alert seq %lld has no usable picket.indicator: skipped",
                       sensor, seq);
        return 0;
    }
    dedup_key(coll->cfg.dedup, alert, indkey, id, dkey, sizeof dkey);
    char *js = json_dumps(alert, JSON_COMPACT);
    if (!js) return -1;
    b->json[b->n] = js;
    b->json_len[b->n] = strlen(js);
    b->n++;
    if (!push_fmt(b, "%lld", seq) || !push_str(b, dkey) || !push_str(b, indkey)) {
        free(js);
        b->n--;
        return -1;
    }
    if (!push(b, js, b->json_len[b->n - 1], true) || !push_str(b, exercise)) return -1;
    b->exercise[b->n - 1] = *exercise ? b->argv[b->argc - 1] : NULL;
    return 1;
}

static size_t count_valid(json_t *alerts, long long *max_seq) {
    size_t i, valid = 0;
    json_t *item;
    char key[KEY_MAX];
    const char *exercise;
    json_array_foreach(alerts, i, item) {
        long long seq = (long long)json_integer_value(json_object_get(item, "seq"));
        json_t *alert = json_object_get(item, "alert");
        if (seq > *max_seq) *max_seq = seq;
        if (traffic_arg(alert, &exercise) && pk_indicator_key(alert, key, sizeof key)) valid++;
    }
    return valid;
}

pk_batch *pk_batch_build(pk_collector *coll, const char *sensor, const char *partner,
                         json_t *msg) {
    json_t *alerts = json_object_get(msg, "alerts");
    size_t total = json_array_size(alerts);
    pk_batch *b = batch_alloc(total);
    if (!b) return NULL;
    b->received = total;
    size_t valid = count_valid(alerts, &b->max_seq);
    if (!push_fixed(b, &coll->cfg, sensor, partner, valid)) goto oom;
    size_t i;
    json_t *item;
    json_array_foreach(alerts, i, item) {
        int r = push_alert(b, coll, sensor, partner, item);
        if (r < 0) goto oom;
        if (r == 0) b->invalid++;
    }
    if (b->n != valid) goto oom;   /* the count in ARGV must match the groups */
    return b;
oom:
    pk_batch_free(b);
    return NULL;
}
