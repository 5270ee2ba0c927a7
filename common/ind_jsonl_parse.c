/* ind_jsonl_parse.c - one picket-jsonl line, parsed in place (see
 * ind_jsonl_int.h).
 *
 * Why it exists: applying a pushed set means reading every one of its
 * lines; this strict, allocation-free reader of one flat JSON object is an
 * order of magnitude faster than building a JSON tree per line. Every read
 * is bounded by the line's end, nesting by PK_JSONL_MAX_DEPTH, and decoded
 * strings by the caller's buffer; the first error stops the parse.
 */
#include "ind_jsonl_int.h"

#include <string.h>

const char *const pk_jsonl_keys[PK_JK__COUNT] = {
    [PK_JK_VALUE] = "value",         [PK_JK_TYPE] = "type",
    [PK_JK_SOURCE] = "source",       [PK_JK_PARTNER] = "partner",
    [PK_JK_TLP] = "tlp",             [PK_JK_CONFIDENCE] = "confidence",
    [PK_JK_EXPIRES] = "expires",     [PK_JK_ID] = "id",
    [PK_JK_DESCRIPTION] = "description", [PK_JK_SHARE_WITH] = "share_with",
    [PK_JK_EXTRA] = "extra",         [PK_JK_PORT] = "port",
    [PK_JK_PROTO] = "proto",
};

typedef struct jp {
    const char *p, *end;
    char *buf;                /* decoded strings; NULL when only checking */
    size_t cap, used;
    const char *why;
} jp;

static bool fail(jp *j, const char *why) {
    if (!j->why) j->why = why;
    return false;
}

static void skip_ws(jp *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool expect(jp *j, char c, const char *why) {
    skip_ws(j);
    if (j->p >= j->end || *j->p != c) return fail(j, why);
    j->p++;
    return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- strings ------------------------------------------------------------------ */

static bool put(jp *j, bool keep, const char *s, size_t n) {
    if (!keep) return true;
    if (n > j->cap - j->used) return fail(j, "string too long for the buffer");
    memcpy(j->buf + j->used, s, n);
    j->used += n;
    return true;
}

static bool hex4(jp *j, uint32_t *out) {
    uint32_t v = 0;
    if (j->end - j->p < 4) return fail(j, "short \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = *j->p++;
        int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) return fail(j, "bad \\u escape");
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return true;
}

static bool put_code_point(jp *j, bool keep, uint32_t cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return put(j, keep, u, n);
}

/* \uXXXX, a surrogate pair taken whole; NUL and lone surrogates refused. */
static bool unicode_escape(jp *j, bool keep) {
    uint32_t cp, lo;
    if (!hex4(j, &cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(j, "lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
            return fail(j, "lone high surrogate");
        j->p += 2;
        if (!hex4(j, &lo)) return false;
        if (lo < 0xDC00 || lo > 0xDFFF) return fail(j, "lone high surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0) return fail(j, "NUL in a string");
    return put_code_point(j, keep, cp);
}

static bool escape(jp *j, bool keep) {
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (j->p >= j->end) return fail(j, "unterminated string");
    char c = *j->p++;
    if (c == 'u') return unicode_escape(j, keep);
    const char *k = memchr(from, c, sizeof from - 1);
    if (!k) return fail(j, "bad escape");
    return put(j, keep, &to[k - from], 1);
}

/* A string at j->p (its opening quote); decoded into the buffer when keep. */
static bool string(jp *j, bool keep, const char **s, size_t *n) {
    size_t start = j->used;
    j->p++;
    while (j->p < j->end) {
        const char *q = j->p;
        while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
        if (!put(j, keep, j->p, (size_t)(q - j->p))) return false;
        j->p = q;
        if (q == j->end) break;
        if ((unsigned char)*q < 0x20) return fail(j, "control character in a string");
        j->p++;
        if (*q == '\\' && !escape(j, keep)) return false;
        if (*q != '"') continue;
        if (!keep) return true;
        if (!put(j, true, "", 1)) return false;
        *s = j->buf + start;
        *n = j->used - start - 1;
        return true;
    }
    return fail(j, "unterminated string");
}

/* ---- numbers and other values ---------------------------------------------------- */

static bool digits(jp *j) {
    const char *q = j->p;
    while (j->p < j->end && is_digit(*j->p)) j->p++;
    return j->p > q || fail(j, "bad number");
}

static bool number(jp *j, pk_jval *v) {
    const char *q = j->p;
    bool neg = *j->p == '-';
    j->p += neg;
    if (j->p >= j->end || !is_digit(*j->p)) return fail(j, "bad number");
    if (*j->p == '0') j->p++;
    else digits(j);
    const char *int_end = j->p;
    bool plain = true;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        plain = false;
        if (!digits(j)) return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        plain = false;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (!digits(j)) return false;
    }
    if (!v) return true;
    v->kind = plain ? PK_JV_INT : PK_JV_OTHER;
    int64_t x = 0;
    for (const char *d = q + neg; plain && d < int_end; d++)
        x = x > (INT64_MAX - 9) / 10 ? INT64_MAX : x * 10 + (*d - '0');   /* saturates */
    v->i = neg ? -x : x;
    return true;
}

static bool literal(jp *j, const char *w) {
    size_t k = strlen(w);
    if ((size_t)(j->end - j->p) < k || memcmp(j->p, w, k) != 0) return fail(j, "bad literal");
    j->p += k;
    return true;
}

static bool object(jp *j, pk_jval *out, int depth);
static bool array(jp *j, int depth);

/* Any value; stored in v (NULL: checked and skipped). */
static bool value(jp *j, pk_jval *v, int depth) {
    pk_jval ignored;
    pk_jval *d = v ? v : &ignored;
    skip_ws(j);
    if (j->p >= j->end) return fail(j, "value expected");
    char c = *j->p;
    d->kind = PK_JV_OTHER;
    if (c == '"') {
        d->kind = PK_JV_STRING;
        return string(j, v != NULL, &d->s, &d->n);
    }
    if (c == '{' || c == '[') {
        if (depth >= PK_JSONL_MAX_DEPTH) return fail(j, "nested too deep");
        return c == '{' ? object(j, NULL, depth + 1) : array(j, depth + 1);
    }
    if (c == 't') return literal(j, "true");
    if (c == 'f') return literal(j, "false");
    if (c == 'n') {
        d->kind = PK_JV_NULL;
        return literal(j, "null");
    }
    if (c == '-' || is_digit(c)) return number(j, v);
    return fail(j, "value expected");
}

static bool array(jp *j, int depth) {
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return true;
    }
    for (;;) {
        if (!value(j, NULL, depth)) return false;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        return expect(j, ']', "',' or ']' expected");
    }
}

static int known_key(const char *k, size_t n) {
    for (int i = 0; i < PK_JK__COUNT; i++)
        if (strlen(pk_jsonl_keys[i]) == n && memcmp(pk_jsonl_keys[i], k, n) == 0) return i;
    return -1;
}

/* One member "name": value. */
static bool member(jp *j, pk_jval *out, int depth) {
    const char *k = NULL;
    size_t kn = 0, mark = j->used;
    skip_ws(j);
    if (j->p >= j->end || *j->p != '"') return fail(j, "member name expected");
    if (!string(j, out != NULL, &k, &kn)) return false;
    int key = out ? known_key(k, kn) : -1;
    j->used = mark;
    if (!expect(j, ':', "':' expected")) return false;
    if (key < 0) return value(j, NULL, depth);
    if (out[key].kind != PK_JV_ABSENT) return fail(j, "duplicate member");
    return value(j, &out[key], depth);
}

static bool object(jp *j, pk_jval *out, int depth) {
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return true;
    }
    for (;;) {
        if (!member(j, out, depth)) return false;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        return expect(j, '}', "',' or '}' expected");
    }
}

/* ---- entry points ------------------------------------------------------------------ */

static bool top(jp *j, pk_jval *out) {
    skip_ws(j);
    if (j->p >= j->end || *j->p != '{') return fail(j, "not an object");
    if (!object(j, out, 1)) return false;
    skip_ws(j);
    return j->p == j->end || fail(j, "text after the object");
}

int pk_jsonl_parse(const char *s, size_t n, pk_jval out[PK_JK__COUNT], char *buf,
                   size_t cap, const char **why, size_t *col) {
    jp j = {s, s + n, buf, cap, 0, NULL};
    memset(out, 0, PK_JK__COUNT * sizeof *out);
    if (top(&j, out)) return 0;
    *why = j.why ? j.why : "invalid";
    *col = (size_t)(j.p - s) + 1;
    return -1;
}

bool pk_jsonl_is_object(const char *s, size_t n) {
    jp j = {s, s + n, NULL, 0, 0, NULL};
    return top(&j, NULL);
}
