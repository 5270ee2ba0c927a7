/* alerts_scan.c - one-pass reading of "alerts" frames (see alerts_scan.h).
 *
 * Why it exists: the collector's CPU per alert went mostly to building,
 * walking and freeing jansson trees. A recursive-descent scanner with a
 * role per nesting level (root, the alerts array, an item, an alert, its
 * picket object, the indicator) checks the grammar of RFC 8259 and the
 * rules pk_wire_parse adds (UTF-8, no NUL, depth, no duplicate members,
 * the alerts message's shape) while noting where the collector's inputs
 * are. Anything it is not sure about makes it give up, so the caller falls
 * back to pk_wire_parse: giving up is always safe, accepting never is
 * unless pk_wire_parse would accept too.
 */
#include "alerts_scan.h"

#include <stdint.h>
#include <string.h>

#define SCAN_MAX_MEMBERS 64          /* per object; more: not mine */
#define SCAN_MAX_INT_DIGITS 18       /* fits a long long whatever the digits */
#define SCAN_MAX_REAL_LEN 40         /* no exponent: always finite */
#define SCAN_SEQ_MAX (1ll << 53)

typedef enum role {
    R_OTHER = 0,
    R_ROOT,
    R_ALERTS,          /* the "alerts" array */
    R_ITEM,            /* {"seq":N,"alert":{...}} */
    R_ALERT,
    R_PICKET,
    R_INDICATOR,
} role;

typedef struct scanner {
    const unsigned char *p, *end;
    size_t spaces;                   /* whitespace bytes skipped so far */
    pk_scan *out;
    pk_scan_alert *cur;              /* the alert being read */
    bool type_alerts;                /* root "type" is "alerts" */
    bool have_alerts;
    long long prev_seq;
} scanner;

static bool scan_value(scanner *s, unsigned depth, role r, pk_span *str);

static void skip_ws(scanner *s) {
    const unsigned char *p = s->p;
    while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    s->spaces += (size_t)(p - s->p);
    s->p = p;
}

/* After a member of an object or array: ',' (then whitespace) = another
 * follows (1), `close` = the container ends here (0, s->p on it), anything
 * else is not JSON this scanner takes (-1). */
static int after_member(scanner *s, char close) {
    skip_ws(s);
    if (s->p >= s->end) return -1;
    if (*s->p == ',') {
        s->p++;
        skip_ws(s);
        return 1;
    }
    return *s->p == close ? 0 : -1;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A string at s->p. *content: its raw contents; *escaped: it holds a
 * backslash escape. */
static bool scan_string(scanner *s, pk_span *content, bool *escaped) {
    const unsigned char *p = s->p + 1, *end = s->end;
    *escaped = false;
    for (;;) {
        if (p >= end) return false;
        unsigned char c = *p;
        if (c == '"') break;
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            p++;
            continue;
        }
        if (c < 0x20) return false;
        if (c == '\\') {
            *escaped = true;
            if (end - p < 2) return false;
            unsigned char e = p[1];
            if (e == 'u') {
                if (end - p < 6) return false;
                int v = 0;
                for (int i = 2; i < 6; i++) {
                    int h = hexval(p[i]);
                    if (h < 0) return false;
                    v = v << 4 | h;
                }
                if (v == 0 || (v >= 0xD800 && v <= 0xDFFF)) return false;
                p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                p += 2;
            } else {
                return false;
            }
            continue;
        }
        size_t n = pk_wire_utf8_len(p, (size_t)(end - p));
        if (!n) return false;
        p += n;
    }
    content->p = (const char *)s->p + 1;
    content->n = (size_t)(p - s->p - 1);
    s->p = p + 1;
    return true;
}

/* A number: *integer and *v when it has no fraction. */
static bool scan_number(scanner *s, bool *integer, long long *v) {
    const unsigned char *p = s->p, *end = s->end, *start = p;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    if (p >= end) return false;
    const unsigned char *digits = p;
    long long n = 0;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') {
            if (p - digits >= SCAN_MAX_INT_DIGITS) return false;
            n = n * 10 + (*p - '0');
            p++;
        }
    } else {
        return false;
    }
    *integer = true;
    if (p < end && *p == '.') {
        p++;
        const unsigned char *frac = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == frac || p - start > SCAN_MAX_REAL_LEN) return false;
        *integer = false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) return false;
    *v = neg ? -n : n;
    s->p = p;
    return true;
}

static bool scan_literal(scanner *s, const char *word, size_t n) {
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return false;
    s->p += n;
    return true;
}

static bool is_key(pk_span k, const char *name, size_t n) {
    return k.n == n && memcmp(k.p, name, n) == 0;
}

#define KEY(k, lit) is_key(k, lit, sizeof lit - 1)

/* The role of a member's value, and what to record about it. */
static role member_role(scanner *s, role r, pk_span key, pk_span **str) {
    *str = NULL;
    pk_scan_alert *a = s->cur;
    switch (r) {
    case R_ROOT:
        return KEY(key, "alerts") ? R_ALERTS : R_OTHER;
    case R_ITEM:
        return KEY(key, "alert") ? R_ALERT : R_OTHER;
    case R_ALERT:
        if (KEY(key, "picket")) return R_PICKET;
        if (KEY(key, "community_id")) *str = &a->flow[PK_FLOW_CID];
        else if (KEY(key, "src_ip")) *str = &a->flow[PK_FLOW_SRC];
        else if (KEY(key, "dest_ip")) *str = &a->flow[PK_FLOW_DST];
        return R_OTHER;
    case R_PICKET:
        if (KEY(key, "indicator")) return R_INDICATOR;
        if (KEY(key, "exercise")) *str = &a->exercise;
        return R_OTHER;
    case R_INDICATOR:
        if (KEY(key, "type")) *str = &a->ind_type;
        else if (KEY(key, "value")) *str = &a->ind_value;
        return R_OTHER;
    default:
        return R_OTHER;
    }
}

static int stamp_slot(pk_span key) {
    if (KEY(key, "sensor")) return PK_STAMP_SENSOR;
    if (KEY(key, "partner")) return PK_STAMP_PARTNER;
    if (KEY(key, "alert_id")) return PK_STAMP_ID;
    return -1;
}

/* An item's "seq" and "alert" are read by scan_item around scan_object. */
static bool scan_object(scanner *s, unsigned depth, role r, long long *seq, bool *have_seq) {
    pk_span keys[SCAN_MAX_MEMBERS];
    size_t nkeys = 0;
    bool have_alert = false;
    const unsigned char *open = s->p;
    if (r == R_ALERT) {
        s->cur->text.p = (const char *)open;
        s->cur->picket_close = NULL;
    }
    size_t spaces0 = s->spaces;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        goto done;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"') return false;
        pk_span key;
        bool esc;
        if (!scan_string(s, &key, &esc) || esc) return false;
        for (size_t i = 0; i < nkeys; i++)
            if (keys[i].n == key.n && memcmp(keys[i].p, key.p, key.n) == 0) return false;
        if (nkeys == SCAN_MAX_MEMBERS) return false;
        keys[nkeys++] = key;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':') return false;
        s->p++;
        skip_ws(s);
        if (s->p >= s->end) return false;
        pk_span *want = NULL, got = {NULL, 0};
        role sub = member_role(s, r, key, &want);
        const unsigned char *vstart = s->p;
        if (r == R_ROOT && KEY(key, "type")) {
            if (*s->p != '"' || !scan_string(s, &got, &esc) || esc) return false;
            s->type_alerts = got.n == 6 && memcmp(got.p, "alerts", 6) == 0;
        } else if (r == R_ITEM && KEY(key, "seq")) {
            bool integer;
            if (!scan_number(s, &integer, seq) || !integer) return false;
            *have_seq = true;
        } else if (sub != R_OTHER && *s->p == (sub == R_ALERTS ? '[' : '{')) {
            if (sub == R_ALERT) have_alert = true;
            if (sub == R_ALERTS) s->have_alerts = true;
            if (!scan_value(s, depth, sub, NULL)) return false;
        } else if (r == R_ITEM && sub == R_ALERT) {
            return false;                  /* "alert" not an object: wire's error */
        } else if (r == R_ROOT && sub == R_ALERTS) {
            return false;                  /* "alerts" not an array */
        } else {
            if (!scan_value(s, depth, R_OTHER, want ? &got : NULL)) return false;
            if (want && got.p) *want = got;
        }
        if (r == R_PICKET) {
            if (KEY(key, "exercise")) s->cur->exercise_first = (char)*vstart;
            int slot = stamp_slot(key);
            if (slot >= 0) {
                s->cur->stamp[slot].p = (const char *)vstart;
                s->cur->stamp[slot].n = (size_t)(s->p - vstart);
            }
        }
        int more = after_member(s, '}');
        if (more < 0) return false;
        if (more) continue;
        if (r == R_PICKET) {
            s->cur->picket_close = (const char *)s->p;
            s->cur->picket_members = nkeys;
        }
        s->p++;
        break;
    }
done:
    if (r == R_ALERT) {
        s->cur->text.n = (size_t)(s->p - open);
        s->cur->spaced = s->spaces != spaces0;
    }
    if (r == R_PICKET && nkeys == 0) {
        s->cur->picket_close = (const char *)s->p - 1;
        s->cur->picket_members = 0;
    }
    if (r == R_ITEM && !have_alert) return false;
    return true;
}

static bool scan_item(scanner *s, unsigned depth) {
    if (s->out->n == PK_WIRE_MAX_BATCH) return false;
    pk_scan_alert *a = &s->out->a[s->out->n];
    memset(a, 0, sizeof *a);
    s->cur = a;
    long long seq = 0;
    bool have_seq = false;
    if (!scan_object(s, depth, R_ITEM, &seq, &have_seq)) return false;
    if (!have_seq || seq < 1 || seq > SCAN_SEQ_MAX || seq <= s->prev_seq) return false;
    a->seq = seq;
    s->prev_seq = seq;
    s->out->n++;
    return true;
}

static bool scan_array(scanner *s, unsigned depth, role r) {
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return true;
    }
    for (;;) {
        if (s->p >= s->end) return false;
        if (r == R_ALERTS) {
            if (*s->p != '{' || depth + 1 > PK_WIRE_MAX_DEPTH || !scan_item(s, depth + 1))
                return false;
        } else if (!scan_value(s, depth, R_OTHER, NULL)) {
            return false;
        }
        int more = after_member(s, ']');
        if (more < 0) return false;
        if (more) continue;
        s->p++;
        return true;
    }
}

/* One value at s->p (whitespace skipped), nested one level below depth.
 * str: where to note a string value without escapes. */
static bool scan_value(scanner *s, unsigned depth, role r, pk_span *str) {
    if (s->p >= s->end) return false;
    bool esc, integer;
    long long v;
    pk_span content;
    switch (*s->p) {
    case '{': {
        if (depth + 1 > PK_WIRE_MAX_DEPTH) return false;
        bool have_seq = false;
        return scan_object(s, depth + 1, r, &v, &have_seq);
    }
    case '[':
        if (depth + 1 > PK_WIRE_MAX_DEPTH) return false;
        return scan_array(s, depth + 1, r);
    case '"':
        if (!scan_string(s, &content, &esc)) return false;
        if (str) {
            if (esc) return false;            /* a string we read, escaped: not mine */
            *str = content;
        }
        return true;
    case 't': return scan_literal(s, "true", 4);
    case 'f': return scan_literal(s, "false", 5);
    case 'n': return scan_literal(s, "null", 4);
    default: return scan_number(s, &integer, &v);
    }
}

bool pk_alerts_scan(const char *payload, size_t len, pk_scan *out) {
    scanner s = {.p = (const unsigned char *)payload, .end = (const unsigned char *)payload + len,
                 .out = out};
    out->n = 0;
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{') return false;
    if (!scan_value(&s, 0, R_ROOT, NULL)) return false;
    skip_ws(&s);
    return s.p == s.end && s.type_alerts && s.have_alerts && out->n > 0;
}

pk_traffic pk_scan_traffic(const pk_scan_alert *a, pk_span *name) {
    *name = (pk_span){NULL, 0};
    if (!a->exercise_first || a->exercise_first == 'n') return PK_TRAFFIC_LIVE;
    if (a->exercise_first != '"' || !pk_exercise_name_valid(a->exercise.p, a->exercise.n))
        return PK_TRAFFIC_MALFORMED;
    *name = a->exercise;
    return PK_TRAFFIC_EXERCISE;
}

/* ------------------------------------------------------------ stamping */

static size_t put_json_string(char *out, const char *v) {
    size_t n = 0;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*p;
        } else if (*p < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[*p >> 4];
            out[n + 5] = hex[*p & 15];
            n += 6;
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n++] = '"';
    return n;
}

size_t pk_scan_stamp_max(const pk_scan_alert *a, const char *const values[PK_STAMP__COUNT]) {
    size_t n = a->text.n + 1;
    for (int i = 0; i < PK_STAMP__COUNT; i++) n += 6 * strlen(values[i]) + 16;
    return n;
}

/* Copies [p, end) without whitespace between tokens (p is outside any
 * string). */
static size_t copy_compact(char *out, const char *p, const char *end, bool spaced) {
    size_t n = (size_t)(end - p);
    if (!spaced) {
        memcpy(out, p, n);
        return n;
    }
    size_t o = 0;
    bool in_str = false, esc = false;
    for (; p < end; p++) {
        char c = *p;
        if (in_str) {
            out[o++] = c;
            if (esc) esc = false;
            else if (c == '\\') esc = true;
            else if (c == '"') in_str = false;
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            out[o++] = c;
            if (c == '"') in_str = true;
        }
    }
    return o;
}

size_t pk_scan_stamp(const pk_scan_alert *a, const char *const values[PK_STAMP__COUNT],
                     char *out) {
    static const char *const names[PK_STAMP__COUNT] = {"sensor", "partner", "alert_id"};
    int order[PK_STAMP__COUNT], n = 0;
    for (int i = 0; i < PK_STAMP__COUNT; i++)
        if (a->stamp[i].p) order[n++] = i;
    for (int i = 1; i < n; i++)          /* present members in text order */
        for (int j = i; j > 0 && a->stamp[order[j]].p < a->stamp[order[j - 1]].p; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    const char *at = a->text.p, *end = a->text.p + a->text.n;
    size_t o = 0;
    for (int k = 0; k < n; k++) {
        const pk_span *v = &a->stamp[order[k]];
        o += copy_compact(out + o, at, v->p, a->spaced);
        o += put_json_string(out + o, values[order[k]]);
        at = v->p + v->n;
    }
    o += copy_compact(out + o, at, a->picket_close, a->spaced);
    size_t members = a->picket_members;
    for (int i = 0; i < PK_STAMP__COUNT; i++) {
        if (a->stamp[i].p) continue;
        if (members++) out[o++] = ',';
        o += put_json_string(out + o, names[i]);
        out[o++] = ':';
        o += put_json_string(out + o, values[i]);
    }
    o += copy_compact(out + o, a->picket_close, end, a->spaced);
    return o;
}
