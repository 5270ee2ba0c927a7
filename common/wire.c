/* wire.c - frames and message validation for the sensor <-> collector
 * protocol (see wire.h).
 *
 * Why it exists: every byte either end receives is untrusted. This module is
 * the one place that turns a frame payload into a JSON object the rest of
 * the code may trust: valid UTF-8, bounded nesting (checked before jansson
 * recurses), no duplicate members, a known type, and the members that type
 * needs with the right JSON types and in-range numbers.
 *
 * Every rejection reason starts with a stable token ("bad_utf8: ...",
 * "too_deep: ...") so callers can count rejections by kind.
 */
#include "wire.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_SEQ_MAX ((json_int_t)1 << 53)
#define WIRE_ID_MAX 128            /* sensor id, collector name */
#define WIRE_SHORT_MAX 256         /* version, format strings */
#define WIRE_REASON_MAX 4096       /* error reason text */
#define WIRE_MAX_COUNTERS 4096     /* members of a stats message */

/* ------------------------------------------------------------- frames */

pk_wire_frame_status pk_wire_frame_check(const uint8_t *buf, size_t len,
                                         uint32_t limit, size_t *frame_len) {
    if (len < 4) return PK_FRAME_NEED_MORE;
    uint32_t n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                 (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
    if (n > limit) return PK_FRAME_TOO_LARGE;
    size_t want = (size_t)n + 4;
    if (len < want) return PK_FRAME_NEED_MORE;
    if (frame_len) *frame_len = want;
    return PK_FRAME_OK;
}

void pk_wire_frame_header(uint32_t n, uint8_t hdr[4]) {
    hdr[0] = (uint8_t)(n >> 24);
    hdr[1] = (uint8_t)(n >> 16);
    hdr[2] = (uint8_t)(n >> 8);
    hdr[3] = (uint8_t)n;
}

uint8_t *pk_wire_encode(json_t *msg, uint32_t limit, size_t *out_len) {
    if (!msg || !json_is_object(msg)) return NULL;
    size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT);
    if (n == 0 || n > limit) return NULL;
    uint8_t *buf = malloc(n + 4);
    if (!buf) return NULL;
    if (json_dumpb(msg, (char *)buf + 4, n, JSON_COMPACT) != n) {
        free(buf);
        return NULL;
    }
    pk_wire_frame_header((uint32_t)n, buf);
    if (out_len) *out_len = n + 4;
    return buf;
}

/* ------------------------------------------------------------ errors */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------- raw byte screening */

size_t pk_wire_utf8_len(const uint8_t *p, size_t left) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    if (left < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
    if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
    return n;
}

/* Offset of the first invalid byte, or len when all of it is valid. */
static size_t utf8_invalid_at(const uint8_t *p, size_t len) {
    size_t i = 0;
    while (i < len) {
        if (p[i] == 0) return i;   /* a raw NUL never belongs in JSON text */
        size_t n = pk_wire_utf8_len(p + i, len - i);
        if (n == 0) return i;
        i += n;
    }
    return len;
}

/* Deepest bracket nesting outside strings, stopping early past max. */
static unsigned json_depth(const uint8_t *p, size_t len, unsigned max) {
    unsigned depth = 0, deepest = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (in_str) {
            if (esc) esc = false;
            else if (c == '\\') esc = true;
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') in_str = true;
        else if (c == '{' || c == '[') {
            if (++depth > deepest) deepest = depth;
            if (deepest > max) return deepest;
        } else if ((c == '}' || c == ']') && depth > 0) depth--;
    }
    return deepest;
}

/* -------------------------------------------------- member checks */

typedef struct wire_check {
    char *err;
    size_t errlen;
} wire_check;

static bool need_int(wire_check *wc, json_t *obj, const char *key,
                     json_int_t lo, json_int_t hi, bool required) {
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) set_err(wc->err, wc->errlen, "bad_member: missing \"%s\"", key);
        return !required;
    }
    if (!json_is_integer(v)) {
        set_err(wc->err, wc->errlen, "bad_member: \"%s\" is not an integer", key);
        return false;
    }
    json_int_t n = json_integer_value(v);
    if (n < lo || n > hi) {
        set_err(wc->err, wc->errlen, "out_of_range: \"%s\" = %lld not in %lld..%lld",
                key, (long long)n, (long long)lo, (long long)hi);
        return false;
    }
    return true;
}

static bool need_str(wire_check *wc, json_t *obj, const char *key,
                     size_t minlen, size_t maxlen, bool required) {
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) set_err(wc->err, wc->errlen, "bad_member: missing \"%s\"", key);
        return !required;
    }
    if (!json_is_string(v)) {
        set_err(wc->err, wc->errlen, "bad_member: \"%s\" is not a string", key);
        return false;
    }
    size_t n = json_string_length(v);
    if (n < minlen || n > maxlen) {
        set_err(wc->err, wc->errlen, "out_of_range: \"%s\" length %zu not in %zu..%zu",
                key, n, minlen, maxlen);
        return false;
    }
    if (memchr(json_string_value(v), 0, n)) {
        set_err(wc->err, wc->errlen, "bad_member: \"%s\" contains NUL", key);
        return false;
    }
    return true;
}

/* "version" may be a string or a non-negative integer. */
static bool need_version(wire_check *wc, json_t *obj, bool required) {
    json_t *v = json_object_get(obj, "version");
    if (v && json_is_integer(v))
        return need_int(wc, obj, "version", 0, WIRE_SEQ_MAX, required);
    return need_str(wc, obj, "version", 1, WIRE_SHORT_MAX, required);
}

static bool check_hello(wire_check *wc, json_t *o) {
    return need_str(wc, o, "sensor", 1, WIRE_ID_MAX, true) &&
           need_version(wc, o, false) &&
           need_int(wc, o, "last_acked", 0, WIRE_SEQ_MAX, false);
}

static bool check_welcome(wire_check *wc, json_t *o) {
    return need_int(wc, o, "applied", 0, WIRE_SEQ_MAX, true) &&
           need_str(wc, o, "collector", 0, WIRE_ID_MAX, false);
}

static bool check_ack(wire_check *wc, json_t *o) {
    return need_int(wc, o, "seq", 1, WIRE_SEQ_MAX, true);
}

static bool check_error(wire_check *wc, json_t *o) {
    return need_str(wc, o, "reason", 0, WIRE_REASON_MAX, true);
}

/* Optional "part"/"parts": both or neither, 1 <= part <= parts. */
static bool check_parts(wire_check *wc, json_t *o) {
    json_t *part = json_object_get(o, "part"), *parts = json_object_get(o, "parts");
    if (!part && !parts) return true;
    if (!part || !parts) {
        set_err(wc->err, wc->errlen, "bad_member: \"part\" and \"parts\" go together");
        return false;
    }
    return need_int(wc, o, "parts", 1, PK_WIRE_MAX_PARTS, true) &&
           need_int(wc, o, "part", 1, json_integer_value(parts), true);
}

static bool check_indicators(wire_check *wc, json_t *o) {
    return need_version(wc, o, true) &&
           need_str(wc, o, "format", 1, WIRE_SHORT_MAX, true) &&
           need_str(wc, o, "data", 0, SIZE_MAX, true) && check_parts(wc, o);
}

static bool check_stats(wire_check *wc, json_t *o) {
    json_t *c = json_object_get(o, "counters");
    if (!c || !json_is_object(c)) {
        set_err(wc->err, wc->errlen, "bad_member: \"counters\" missing or not an object");
        return false;
    }
    if (json_object_size(c) > WIRE_MAX_COUNTERS) {
        set_err(wc->err, wc->errlen, "out_of_range: %zu counters (max %d)",
                json_object_size(c), WIRE_MAX_COUNTERS);
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(c, k, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            set_err(wc->err, wc->errlen,
                    "bad_member: counter \"%.64s\" is not a non-negative integer", k);
            return false;
        }
    }
    return true;
}

static bool check_one_alert(wire_check *wc, json_t *item, size_t i, json_int_t *prev) {
    if (!json_is_object(item)) {
        set_err(wc->err, wc->errlen, "bad_member: alerts[%zu] is not an object", i);
        return false;
    }
    json_t *seq = json_object_get(item, "seq");
    if (!seq || !json_is_integer(seq)) {
        set_err(wc->err, wc->errlen, "bad_member: alerts[%zu].seq missing or not an integer", i);
        return false;
    }
    json_int_t n = json_integer_value(seq);
    if (n < 1 || n > WIRE_SEQ_MAX) {
        set_err(wc->err, wc->errlen, "out_of_range: alerts[%zu].seq = %lld not in 1..2^53",
                i, (long long)n);
        return false;
    }
    if (n <= *prev) {
        set_err(wc->err, wc->errlen, "bad_order: alerts[%zu].seq %lld not above %lld",
                i, (long long)n, (long long)*prev);
        return false;
    }
    *prev = n;
    if (!json_is_object(json_object_get(item, "alert"))) {
        set_err(wc->err, wc->errlen, "bad_member: alerts[%zu].alert missing or not an object", i);
        return false;
    }
    return true;
}

static bool check_alerts(wire_check *wc, json_t *o) {
    json_t *a = json_object_get(o, "alerts");
    if (!a || !json_is_array(a)) {
        set_err(wc->err, wc->errlen, "bad_member: \"alerts\" missing or not an array");
        return false;
    }
    size_t n = json_array_size(a);
    if (n == 0 || n > PK_WIRE_MAX_BATCH) {
        set_err(wc->err, wc->errlen, "out_of_range: %zu alerts in a batch (1..%d)",
                n, PK_WIRE_MAX_BATCH);
        return false;
    }
    json_int_t prev = 0;
    for (size_t i = 0; i < n; i++)
        if (!check_one_alert(wc, json_array_get(a, i), i, &prev)) return false;
    return true;
}

/* ------------------------------------------------------------ types */

static const struct {
    pk_wire_type type;
    const char *name;
    bool (*check)(wire_check *, json_t *);
} wire_types[] = {
    {PK_MSG_HELLO, "hello", check_hello},
    {PK_MSG_WELCOME, "welcome", check_welcome},
    {PK_MSG_ALERTS, "alerts", check_alerts},
    {PK_MSG_ACK, "ack", check_ack},
    {PK_MSG_STATS, "stats", check_stats},
    {PK_MSG_INDICATORS, "indicators", check_indicators},
    {PK_MSG_ERROR, "error", check_error},
};

#define WIRE_NTYPES (sizeof wire_types / sizeof wire_types[0])

const char *pk_wire_type_name(pk_wire_type t) {
    for (size_t i = 0; i < WIRE_NTYPES; i++)
        if (wire_types[i].type == t) return wire_types[i].name;
    return "invalid";
}

static bool screen_bytes(const char *payload, size_t len, char *err, size_t errlen) {
    if (!payload || len == 0) {
        set_err(err, errlen, "empty: zero-length payload");
        return false;
    }
    size_t bad = utf8_invalid_at((const uint8_t *)payload, len);
    if (bad < len) {
        set_err(err, errlen, "bad_utf8: invalid byte 0x%02x at offset %zu",
                (unsigned)(uint8_t)payload[bad], bad);
        return false;
    }
    unsigned depth = json_depth((const uint8_t *)payload, len, PK_WIRE_MAX_DEPTH);
    if (depth > PK_WIRE_MAX_DEPTH) {
        set_err(err, errlen, "too_deep: nesting deeper than %d", PK_WIRE_MAX_DEPTH);
        return false;
    }
    return true;
}

static json_t *load_object(const char *payload, size_t len, char *err, size_t errlen) {
    json_error_t je;
    json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        set_err(err, errlen, "bad_json: %s at offset %d", je.text, je.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        set_err(err, errlen, "not_object: payload is not a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

static pk_wire_type check_typed(json_t *root, char *err, size_t errlen) {
    json_t *t = json_object_get(root, "type");
    if (!t || !json_is_string(t)) {
        set_err(err, errlen, "no_type: \"type\" missing or not a string");
        return PK_MSG_INVALID;
    }
    const char *name = json_string_value(t);
    for (size_t i = 0; i < WIRE_NTYPES; i++) {
        if (strcmp(name, wire_types[i].name) != 0) continue;
        wire_check wc = {err, errlen};
        return wire_types[i].check(&wc, root) ? wire_types[i].type : PK_MSG_INVALID;
    }
    set_err(err, errlen, "unknown_type: \"%.32s\"", name);
    return PK_MSG_INVALID;
}

pk_wire_type pk_wire_parse(const char *payload, size_t len, json_t **root,
                           char *err, size_t errlen) {
    if (root) *root = NULL;
    set_err(err, errlen, "ok");
    if (!screen_bytes(payload, len, err, errlen)) return PK_MSG_INVALID;
    json_t *obj = load_object(payload, len, err, errlen);
    if (!obj) return PK_MSG_INVALID;
    pk_wire_type t = check_typed(obj, err, errlen);
    if (t == PK_MSG_INVALID || !root) {
        json_decref(obj);
        return t;
    }
    *root = obj;
    return t;
}
