/* ind_jsonl.c - writes and reads picket-jsonl (see ind_jsonl.h).
 *
 * Why it exists: pushed indicator sets cross the network and sit in a
 * sensor's spool, so the reader treats every line as hostile: bounded line
 * length, strict UTF-8 and JSON (ind_jsonl_parse.c), no duplicate members,
 * every value re-parsed and normalised for its type exactly as the
 * partner-format loaders do, and each refused line reported with its
 * number. The writer is the inverse, so a set read back is the set that
 * was written. Both work without a JSON tree: a set is written once per
 * change on the collector and read on every rebuild of a sensor's store.
 */
#include "ind_jsonl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ind_jsonl_int.h"
#include "ind_load_int.h"

#define JSONL_MAX_EXPIRES 253402300799LL   /* 9999-12-31T23:59:59Z */
#define JSONL_MAX_SHARE 4096u              /* share_with bytes */

/* ---- writing ------------------------------------------------------------------ */

typedef struct wbuf {
    char *p;
    size_t len, cap;          /* len counts on past cap: the size needed */
    bool ok;
} wbuf;

static void put(wbuf *w, const char *s, size_t n) {
    if (n > 0 && w->len <= w->cap && n <= w->cap - w->len)
        memcpy(w->p + w->len, s, n);
    w->len += n;
}

/* "\"", "\\", "\n", "\r", "\t" or "\u00XX" for one byte; its length. */
static size_t escape_of(unsigned char c, char esc[6]) {
    static const char hex[] = "0123456789abcdef";
    esc[0] = '\\';
    esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : (char)c;
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
        return 2;
    memcpy(esc + 1, "u00", 3);
    esc[4] = hex[c >> 4];
    esc[5] = hex[c & 15];
    return 6;
}

static void put_json_string(wbuf *w, const char *s) {
    size_t n = strlen(s);
    if (!pk_utf8_valid(s, n)) {
        w->ok = false;
        return;
    }
    put(w, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && s[k] != '"' && s[k] != '\\' && (unsigned char)s[k] >= 0x20) k++;
        put(w, s + i, k - i);
        if (k == n) break;
        char esc[6];
        put(w, esc, escape_of((unsigned char)s[k], esc));
        i = k + 1;
    }
    put(w, "\"", 1);
}

static void member_str(wbuf *w, const char *key, const char *v) {
    if (!v) return;
    put(w, ",\"", 2);
    put(w, key, strlen(key));
    put(w, "\":", 2);
    put_json_string(w, v);
}

static void member_int(wbuf *w, const char *key, int64_t v, bool present) {
    char num[40];
    if (!present) return;
    int n = snprintf(num, sizeof num, ",\"%s\":%lld", key, (long long)v);
    put(w, num, (size_t)n);
}

size_t pk_ind_jsonl_write(const pk_indicator *ind, char *buf, size_t cap) {
    if (!ind || !ind->value || ind->type >= PK_IND__COUNT)
        return 0;
    wbuf w = {buf, 0, cap, true};
    put(&w, "{\"value\":", 9);
    put_json_string(&w, ind->value);
    member_str(&w, "type", pk_ind_type_name((pk_ind_type)ind->type));
    member_str(&w, "source", ind->source);
    member_str(&w, "partner", ind->partner);
    member_str(&w, "tlp", pk_tlp_name((pk_tlp)ind->tlp));
    member_int(&w, "confidence", ind->confidence, ind->confidence != PK_CONFIDENCE_UNSET);
    member_int(&w, "expires", ind->expires, ind->expires != 0);
    member_str(&w, "id", ind->id);
    member_str(&w, "description", ind->description);
    member_str(&w, "share_with", ind->share_with);
    member_str(&w, "extra", ind->extra);
    member_int(&w, "port", ind->port, ind->port != 0);
    member_int(&w, "proto", ind->proto, ind->proto != 0);
    put(&w, "}", 1);
    if (!w.ok || w.len > PK_JSONL_MAX_LINE)
        return 0;
    if (w.len < cap)
        buf[w.len] = '\0';
    return w.len;
}

/* ---- reading: one line --------------------------------------------------------- */

typedef struct jline {
    pk_ldctx *c;
    pk_scratch *sc;           /* decoded strings, then share_with and cut texts */
    uint32_t no;
    pk_jval v[PK_JK__COUNT];
} jline;

static int bad(jline *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(jline *x, const char *fmt, ...) {
    char msg[150];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pk_ld_issue(x->c, x->no, "%s", msg);
    return -1;
}

/* Cuts n to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max) {
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* A string member: absent or null gives NULL. -1 (reported) when it is not
 * a string or is longer than max (cut instead when cut). */
static int get_str(jline *x, pk_jkey key, size_t max, bool cut, const char **out,
                   size_t *outlen) {
    const pk_jval *v = &x->v[key];
    *out = NULL;
    if (v->kind == PK_JV_ABSENT || v->kind == PK_JV_NULL)
        return 0;
    if (v->kind != PK_JV_STRING)
        return bad(x, "\"%s\" is not a string", pk_jsonl_keys[key]);
    size_t n = v->n;
    if (n > max && !cut)
        return bad(x, "\"%s\" is longer than %zu bytes", pk_jsonl_keys[key], max);
    if (n > max)          /* decoded in place: cutting it is writing one NUL */
        ((char *)v->s)[n = utf8_cut(v->s, n, max)] = '\0';
    *out = v->s;
    if (outlen)
        *outlen = n;
    return 0;
}

/* An integer member in lo..hi; absent or null leaves *out alone. */
static int get_int(jline *x, pk_jkey key, int64_t lo, int64_t hi, int64_t *out) {
    const pk_jval *v = &x->v[key];
    if (v->kind == PK_JV_ABSENT || v->kind == PK_JV_NULL)
        return 0;
    if (v->kind != PK_JV_INT)
        return bad(x, "\"%s\" is not an integer", pk_jsonl_keys[key]);
    if (v->i < lo || v->i > hi)
        return bad(x, "\"%s\" = %lld is not in %lld..%lld", pk_jsonl_keys[key],
                   (long long)v->i, (long long)lo, (long long)hi);
    *out = v->i;
    return 0;
}

static int read_value(jline *x, pk_indicator *ind, char *buf, size_t cap) {
    const char *t, *v, *why = NULL;
    size_t tn = 0, vn = 0;
    if (get_str(x, PK_JK_TYPE, 32, false, &t, &tn) < 0 ||
        get_str(x, PK_JK_VALUE, PK_IND_VALUE_MAX, false, &v, &vn) < 0)
        return -1;
    if (!v || !t)
        return bad(x, "missing \"%s\"", v ? "type" : "value");
    int type = pk_ind_type_parse(t, tn);
    char ex[64];
    pk_ld_excerpt(ex, sizeof ex, t, tn);
    if (type < 0)
        return bad(x, "unknown type '%s'", ex);
    if (pk_ind_set_value(ind, (pk_ind_type)type, v, vn, buf, cap, &why) < 0) {
        pk_ld_excerpt(ex, sizeof ex, v, vn);
        return bad(x, "%s: '%s'", why ? why : "invalid value", ex);
    }
    return 0;
}

static int read_tlp(jline *x, pk_indicator *ind) {
    const char *s;
    size_t n = 0;
    if (get_str(x, PK_JK_TLP, 32, false, &s, &n) < 0)
        return -1;
    int t = s ? pk_tlp_parse(s) : PK_TLP_UNSET;
    if (t < 0) {
        char ex[64];
        pk_ld_excerpt(ex, sizeof ex, s, n);
        return bad(x, "\"tlp\" is not a TLP level: '%s'", ex);
    }
    ind->tlp = (uint8_t)t;
    return 0;
}

static int read_numbers(jline *x, pk_indicator *ind) {
    int64_t conf = PK_CONFIDENCE_UNSET, expires = 0, port = 0, proto = 0;
    if (get_int(x, PK_JK_CONFIDENCE, 0, 100, &conf) < 0 ||
        get_int(x, PK_JK_EXPIRES, 0, JSONL_MAX_EXPIRES, &expires) < 0 ||
        get_int(x, PK_JK_PORT, 0, 65535, &port) < 0 ||
        get_int(x, PK_JK_PROTO, 0, 255, &proto) < 0)
        return -1;
    ind->confidence = (uint8_t)conf;
    ind->expires = expires;
    ind->port = (uint16_t)port;
    ind->proto = (uint8_t)proto;
    return 0;
}

static int read_texts(jline *x, pk_indicator *ind) {
    const char *share;
    size_t sn = 0, en = 0;
    if (get_str(x, PK_JK_SOURCE, PK_LOAD_MAX_LABEL, false, &ind->source, NULL) < 0 ||
        get_str(x, PK_JK_PARTNER, PK_LOAD_MAX_LABEL, false, &ind->partner, NULL) < 0 ||
        get_str(x, PK_JK_ID, PK_LOAD_MAX_LABEL, false, &ind->id, NULL) < 0 ||
        get_str(x, PK_JK_DESCRIPTION, PK_LOAD_MAX_DESC, true, &ind->description, NULL) < 0 ||
        get_str(x, PK_JK_SHARE_WITH, JSONL_MAX_SHARE, false, &share, &sn) < 0 ||
        get_str(x, PK_JK_EXTRA, PK_JSONL_MAX_LINE, false, &ind->extra, &en) < 0)
        return -1;
    if (ind->extra && !pk_jsonl_is_object(ind->extra, en))
        return bad(x, "\"extra\" is not a JSON object");
    if (share && !(ind->share_with = pk_scratch_share(x->sc, share, sn)))
        return bad(x, "\"share_with\" does not fit the line buffer");
    return 0;
}

static bool line_ok(jline *x, const char *s, size_t n) {
    const char *why;
    size_t col = 0;
    if (n > PK_JSONL_MAX_LINE)
        bad(x, "line longer than %u bytes", PK_JSONL_MAX_LINE);
    else if (memchr(s, '\0', n))
        bad(x, "NUL byte in line");
    else if (!pk_utf8_valid(s, n))
        bad(x, "invalid UTF-8");
    else if (pk_jsonl_parse(s, n, x->v, x->sc->buf, x->sc->cap, &why, &col) != 0)
        bad(x, "not a JSON object: %s (column %zu)", why, col);
    else
        return true;
    return false;
}

/* One line: 0 (loaded, expired or reported), -1 fatal. */
static int jsonl_line(pk_ldctx *c, pk_scratch *sc, uint32_t no, const char *s, size_t n) {
    jline x = {c, sc, no, {{0}}};
    pk_ld_trim(&s, &n);
    if (n == 0)
        return 0;
    sc->used = 0;
    if (!line_ok(&x, s, n))
        return 0;
    sc->used = n + 1;         /* the decoded strings stay; share_with goes after */
    char buf[PK_IND_VALUE_MAX + 1];
    pk_indicator ind = {.confidence = PK_CONFIDENCE_UNSET};
    if (read_value(&x, &ind, buf, sizeof buf) == 0 && read_tlp(&x, &ind) == 0 &&
        read_numbers(&x, &ind) == 0 && read_texts(&x, &ind) == 0)
        return pk_ld_emit(c, &ind) < 0 ? -1 : 0;
    return 0;
}

/* ---- reading: the text ----------------------------------------------------------- */

int pk_load_jsonl(pk_ldctx *c, const char *buf, size_t len) {
    c->defsource = NULL;      /* a written set names its sources itself */
    size_t cap = 2 * (size_t)PK_JSONL_MAX_LINE + JSONL_MAX_SHARE + 64;
    pk_scratch sc = {malloc(cap), 0, cap};
    if (!sc.buf)
        return pk_ld_fatal(c, "out of memory");
    size_t lines = pk_ld_count_lines(buf, len);
    pk_ind_list_reserve(c->list, lines < PK_LOAD_MAX_ITEMS ? lines : PK_LOAD_MAX_ITEMS);
    pk_lines it;
    const char *s;
    size_t n;
    int rc = 0;
    pk_lines_init(&it, buf, len);
    while (rc == 0 && pk_lines_next(&it, &s, &n))
        rc = jsonl_line(c, &sc, it.no, s, n);
    free(sc.buf);
    return rc;
}

int pk_ind_jsonl_load(pk_ind_list *l, const char *name, const char *buf,
                      size_t len, int64_t now, pk_load_report *rep) {
    memset(rep, 0, sizeof *rep);
    rep->path = name ? name : "(buffer)";
    rep->format = PK_FMT_JSONL;
    pk_ldctx c = {.list = l, .rep = rep, .name = rep->path, .now = now};
    if (!buf && len > 0)
        return pk_ld_fatal(&c, "no data");
    if (len > PK_LOAD_MAX_FILE)
        return pk_ld_fatal(&c, "larger than %u MiB", PK_LOAD_MAX_FILE >> 20);
    return pk_load_jsonl(&c, buf ? buf : "", len);
}
