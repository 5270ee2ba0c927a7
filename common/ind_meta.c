/* ind_meta.c - line splitting and metadata parsing shared by the readers.
 *
 * Why it exists: every text format needs the same handling of CRLF, a BOM,
 * overlong lines, NUL bytes and invalid UTF-8, and every format carries the
 * same kinds of metadata (expiry times, confidence, free text, partner
 * lists). One implementation keeps the formats consistent and bounded.
 */
#include "ind_load_int.h"

#include <string.h>

/* ---- lines ------------------------------------------------------------------ */

void pk_lines_init(pk_lines *it, const char *buf, size_t len) {
    it->p = buf ? buf : "";
    it->end = it->p + (buf ? len : 0);
    it->no = 0;
    if (len >= 3 && memcmp(it->p, "\xEF\xBB\xBF", 3) == 0)
        it->p += 3;
}

bool pk_lines_next(pk_lines *it, const char **s, size_t *n) {
    if (it->p >= it->end)
        return false;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *stop = nl ? nl : it->end;
    *s = it->p;
    *n = (size_t)(stop - it->p);
    if (*n > 0 && (*s)[*n - 1] == '\r')
        (*n)--;
    it->p = nl ? nl + 1 : it->end;
    it->no++;
    return true;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

void pk_ld_trim(const char **s, size_t *n) {
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

bool pk_ld_line_ok(pk_ldctx *c, uint32_t no, const char *s, size_t n) {
    if (n > PK_LOAD_MAX_LINE) {
        pk_ld_issue(c, no, "line longer than %u bytes", PK_LOAD_MAX_LINE);
        return false;
    }
    if (memchr(s, '\0', n)) {
        pk_ld_issue(c, no, "NUL byte in line");
        return false;
    }
    if (!pk_utf8_valid(s, n)) {
        pk_ld_issue(c, no, "invalid UTF-8");
        return false;
    }
    return true;
}

/* ---- numbers and times ---------------------------------------------------------- */

/* Reads exactly w digits at *p. */
static bool digits(const char **p, const char *end, int w, int *out) {
    int v = 0;
    for (int i = 0; i < w; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9')
            return false;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_since_epoch(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool parse_offset(const char *p, const char *end, int64_t *off) {
    if (p == end)
        return true;                      /* no zone: taken as UTC */
    if ((*p == 'Z' || *p == 'z') && p + 1 == end)
        return true;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1, hh, mm;
    if (!digits(&p, end, 2, &hh))
        return false;
    if (p < end && *p == ':')
        p++;
    if (!digits(&p, end, 2, &mm) || p != end || hh > 23 || mm > 59)
        return false;
    *off = sign * (hh * 3600 + mm * 60);
    return true;
}

static int parse_unix(const char *s, size_t n, int64_t *out) {
    int64_t v = 0;
    size_t i = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > 253402300799LL)           /* year 9999 */
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return -1;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ;
    if (i != n)
        return -1;
    *out = v;
    return 0;
}

int pk_ld_parse_time(const char *s, size_t n, int64_t *out) {
    pk_ld_trim(&s, &n);
    if (n == 0 || n > 64)
        return -1;
    if (n < 10 || s[4] != '-')
        return parse_unix(s, n, out);
    const char *p = s, *end = s + n;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t off = 0;
    if (!digits(&p, end, 4, &y) || *p++ != '-' || !digits(&p, end, 2, &mo) ||
        p >= end || *p++ != '-' || !digits(&p, end, 2, &d))
        return -1;
    if (p < end) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -1;
        p++;
        if (!digits(&p, end, 2, &h) || p >= end || *p++ != ':' ||
            !digits(&p, end, 2, &mi) || p >= end || *p++ != ':' ||
            !digits(&p, end, 2, &sec))
            return -1;
        if (p < end && *p == '.')
            for (p++; p < end && *p >= '0' && *p <= '9'; p++)
                ;
        if (!parse_offset(p, end, &off))
            return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60)
        return -1;
    *out = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return 0;
}

int pk_ld_parse_confidence(const char *s, size_t n, uint8_t *out) {
    pk_ld_trim(&s, &n);
    size_t i = 0;
    int v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > 100)
            return -1;
    }
    if (i == 0)
        return -1;
    bool round_up = false;
    if (i < n && s[i] == '.') {
        i++;
        round_up = i < n && s[i] >= '5' && s[i] <= '9';
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i != n || v + round_up > 100)
        return -1;
    *out = (uint8_t)(v + round_up);
    return 0;
}

/* ---- scratch strings --------------------------------------------------------------- */

/* Cuts n to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max) {
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

const char *pk_scratch_text(pk_scratch *sc, const char *s, size_t n, size_t max) {
    pk_ld_trim(&s, &n);
    if (n == 0 || (n == 1 && s[0] == '-'))
        return NULL;
    n = utf8_cut(s, n, max);
    if (n >= sc->cap - sc->used)
        return NULL;
    char *p = sc->buf + sc->used;
    memcpy(p, s, n);
    p[n] = '\0';
    sc->used += n + 1;
    return p;
}

const char *pk_scratch_share(pk_scratch *sc, const char *s, size_t n) {
    if (n + 1 > sc->cap - sc->used)
        return NULL;
    char *out = sc->buf + sc->used;
    size_t len = 0;
    while (n > 0) {
        const char *comma = memchr(s, ',', n);
        size_t k = comma ? (size_t)(comma - s) : n;
        const char *item = s;
        size_t ilen = k;
        pk_ld_trim(&item, &ilen);
        if (ilen > 0) {
            if (len > 0)
                out[len++] = ',';
            memcpy(out + len, item, ilen);
            len += ilen;
        }
        s += comma ? k + 1 : k;
        n -= comma ? k + 1 : k;
    }
    out[len] = '\0';
    sc->used += len + 1;
    return out;
}
