/* coverage_table.c - the indicator x partner join of an exercise (see
 * coverage_table.h).
 *
 * Why it exists: the hash fields come from Redis and are treated like any
 * other input: a field that is not "<partner>\t<sensor>\t<type|value>"
 * with a valid partner, a valid sensor id and a positive count is counted
 * and skipped. Rows are sorted by key once, so each field is a binary
 * search however large the set.
 */
#include "coverage_table.h"

#include <stdlib.h>
#include <string.h>

#include "indkey.h"
#include "tls.h"

#define FIELD_MAX (PK_PARTNER_MAX + PK_ID_MAX + PK_INDKEY_MAX + 2)

static bool names_has(const pk_cov_names *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return true;
    return false;
}

/* Adds s unless already there. False = OOM. */
static bool names_add(pk_cov_names *l, const char *s) {
    if (names_has(l, s)) return true;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return false;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s))) return false;
    l->n++;
    return true;
}

static void names_free(pk_cov_names *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void row_free(pk_cov_row *r) {
    free(r->type);
    free(r->value);
    free(r->key);
    names_free(&r->partners);
    names_free(&r->sensors);
}

void pk_coverage_init(pk_coverage *c) { memset(c, 0, sizeof *c); }

void pk_coverage_free(pk_coverage *c) {
    for (size_t i = 0; i < c->nrows; i++) row_free(&c->rows[i]);
    free(c->rows);
    names_free(&c->expected);
    memset(c, 0, sizeof *c);
}

bool pk_coverage_expect(pk_coverage *c, const char *partner) {
    c->fixed_partners = true;
    return names_add(&c->expected, partner);
}

bool pk_coverage_add_indicator(pk_coverage *c, const char *type, const char *value) {
    char key[PK_INDKEY_MAX];
    if (!pk_indicator_key_text(type, value, strlen(value), key, sizeof key)) {
        c->unusable_indicators++;
        return true;
    }
    if (c->nrows == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        pk_cov_row *rows = realloc(c->rows, cap * sizeof *rows);
        if (!rows) return false;
        c->rows = rows;
        c->cap = cap;
    }
    pk_cov_row *r = &c->rows[c->nrows];
    memset(r, 0, sizeof *r);
    r->type = strdup(type);
    r->value = strdup(value);
    r->key = strdup(key);
    if (!r->type || !r->value || !r->key) {
        row_free(r);
        return false;
    }
    c->nrows++;
    return true;
}

static int row_cmp(const void *a, const void *b) {
    return strcmp(((const pk_cov_row *)a)->key, ((const pk_cov_row *)b)->key);
}

bool pk_coverage_index(pk_coverage *c) {
    if (c->nrows) qsort(c->rows, c->nrows, sizeof *c->rows, row_cmp);
    size_t out = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        if (out && strcmp(c->rows[out - 1].key, c->rows[i].key) == 0) {
            row_free(&c->rows[i]);
            c->duplicate_indicators++;
            continue;
        }
        c->rows[out++] = c->rows[i];
    }
    c->nrows = out;
    c->indexed = true;
    return true;
}

static pk_cov_row *find_row(pk_coverage *c, const char *key) {
    pk_cov_row probe = {.key = (char *)key};
    return c->nrows ? bsearch(&probe, c->rows, c->nrows, sizeof *c->rows, row_cmp) : NULL;
}

/* A positive decimal count, at most 18 digits. */
static bool parse_count(const char *s, size_t n, unsigned long long *out) {
    if (n == 0 || n > 18) return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    *out = v;
    return v > 0;
}

/* Splits "partner\tsensor\tkey" in buf (a NUL-terminated copy). */
static bool split_field(char *buf, char **partner, char **sensor, char **key) {
    char *t1 = strchr(buf, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (!t2) return false;
    *t1 = *t2 = 0;
    *partner = buf;
    *sensor = t1 + 1;
    *key = t2 + 1;
    return pk_valid_partner(*partner) && pk_valid_sensor_id(*sensor) && strchr(*key, '|') &&
           strchr(*key, '|') != *key;
}

bool pk_coverage_add_field(pk_coverage *c, const char *field, size_t flen, const char *count,
                           size_t clen) {
    char buf[FIELD_MAX + 1], *partner, *sensor, *key;
    unsigned long long n;
    if (flen > FIELD_MAX || memchr(field, 0, flen) || !parse_count(count, clen, &n)) {
        c->malformed_fields++;
        return true;
    }
    memcpy(buf, field, flen);
    buf[flen] = 0;
    if (!split_field(buf, &partner, &sensor, &key)) {
        c->malformed_fields++;
        return true;
    }
    if (!c->fixed_partners && !names_add(&c->expected, partner)) return false;
    pk_cov_row *r = find_row(c, key);
    if (!r) {
        c->other_fields++;
        return true;
    }
    r->alerts += n;
    return names_add(&r->partners, partner) && names_add(&r->sensors, sensor);
}

bool pk_cov_row_caught_by(const pk_cov_row *r, const char *partner) {
    return names_has(&r->partners, partner);
}

pk_cov_status pk_coverage_status(const pk_coverage *c, const pk_cov_row *r) {
    size_t caught = 0;
    for (size_t i = 0; i < c->expected.n; i++)
        if (pk_cov_row_caught_by(r, c->expected.v[i])) caught++;
    if (caught == 0) return PK_COV_MISSED_BY_ALL;
    return caught == c->expected.n ? PK_COV_CAUGHT_BY_ALL : PK_COV_MISSED_BY_SOME;
}

void pk_coverage_summary(const pk_coverage *c, pk_cov_summary *s) {
    memset(s, 0, sizeof *s);
    s->indicators = c->nrows;
    for (size_t i = 0; i < c->nrows; i++) {
        switch (pk_coverage_status(c, &c->rows[i])) {
        case PK_COV_CAUGHT_BY_ALL: s->caught_by_all++; break;
        case PK_COV_MISSED_BY_SOME: s->missed_by_some++; break;
        default: s->missed_by_all++; break;
        }
    }
}
