/* ind_iprep.c - reads Suricata IP reputation files ("ip,category,score").
 *
 * Why it exists: sites that already feed Suricata's iprep keep their lists
 * in that CSV; reading it directly saves a conversion. The address may be an
 * IPv4 or IPv6 address or a CIDR; the category is kept in extra; Suricata's
 * score (1..127) is scaled to a 0..100 confidence.
 */
#include "ind_load_int.h"

#include <stdio.h>
#include <string.h>

#define IPREP_MAX_SCORE 127

typedef struct csv3 {
    const char *f[3];
    size_t n[3];
} csv3;

/* Splits "a,b,c" into three trimmed fields; false for any other count. */
static bool split3(const char *s, size_t n, csv3 *out) {
    for (int i = 0; i < 3; i++) {
        const char *comma = i < 2 ? memchr(s, ',', n) : NULL;
        size_t len = comma ? (size_t)(comma - s) : n;
        if (i < 2 && !comma)
            return false;
        out->f[i] = s;
        out->n[i] = len;
        pk_ld_trim(&out->f[i], &out->n[i]);
        s += len + (comma ? 1 : 0);
        n -= len + (comma ? 1 : 0);
    }
    return !memchr(out->f[2], ',', out->n[2]);
}

static bool all_digits(const char *s, size_t n) {
    if (n == 0 || n > 9)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool category_ok(const char *s, size_t n) {
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

bool pk_iprep_line_like(const char *s, size_t n) {
    csv3 r;
    return split3(s, n, &r) && all_digits(r.f[2], r.n[2]) && r.n[0] > 0;
}

static void issue_field(pk_ldctx *c, uint32_t no, const char *what,
                        const char *s, size_t n) {
    char ex[64];
    pk_ld_excerpt(ex, sizeof ex, s, n);
    pk_ld_issue(c, no, "%s: '%s'", what, ex);
}

static int iprep_record(pk_ldctx *c, uint32_t no, const char *s, size_t n) {
    csv3 r;
    if (!split3(s, n, &r)) {
        issue_field(c, no, "expected ip,category,score", s, n);
        return 0;
    }
    if (!category_ok(r.f[1], r.n[1])) {
        issue_field(c, no, "invalid category", r.f[1], r.n[1]);
        return 0;
    }
    unsigned score = 0;
    for (size_t i = 0; all_digits(r.f[2], r.n[2]) && i < r.n[2]; i++)
        score = score * 10 + (unsigned)(r.f[2][i] - '0');
    if (!all_digits(r.f[2], r.n[2]) || score < 1 || score > IPREP_MAX_SCORE) {
        issue_field(c, no, "score must be 1-127", r.f[2], r.n[2]);
        return 0;
    }
    char buf[128], extra[96], desc[96];
    const char *why;
    pk_indicator ind = {0};
    if (pk_ind_set_value(&ind, PK_IND_IPV4, r.f[0], r.n[0], buf, sizeof buf, &why) < 0) {
        issue_field(c, no, why, r.f[0], r.n[0]);
        return 0;
    }
    ind.confidence = (uint8_t)((score * 100 + IPREP_MAX_SCORE / 2) / IPREP_MAX_SCORE);
    snprintf(extra, sizeof extra, "{\"category\":\"%.*s\",\"score\":%u}",
             (int)r.n[1], r.f[1], score);
    snprintf(desc, sizeof desc, "iprep category %.*s", (int)r.n[1], r.f[1]);
    ind.extra = extra;
    ind.description = desc;
    return pk_ld_emit(c, &ind) < 0 ? -1 : 0;
}

static int iprep_line(pk_ldctx *c, void *state, uint32_t no, const char *s,
                      size_t n) {
    (void)state;
    pk_ld_trim(&s, &n);
    if (n == 0 || s[0] == '#' || !pk_ld_line_ok(c, no, s, n))
        return 0;
    return iprep_record(c, no, s, n);
}

const pk_line_format pk_iprep_format = {0, NULL, iprep_line, NULL};
