/* coverage_table.h - which partners' sensors caught which indicator of a
 * set during one exercise.
 *
 * Why it exists: the coverage report (picket-collector --coverage-report)
 * joins two things a planner has: the indicator set a capture was made
 * from, and the exercise's coverage hash in Redis (field
 * "<partner>\t<sensor>\t<type|value>" -> count, written by the apply
 * script). This table is that join, with no I/O, so it can be tested on
 * its own; coverage.c fills it and coverage_render.c prints it.
 */
#ifndef PICKET_COLL_COVERAGE_TABLE_H
#define PICKET_COLL_COVERAGE_TABLE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pk_cov_names {
    char **v;
    size_t n, cap;
} pk_cov_names;

typedef struct pk_cov_row {
    char *type, *value;           /* as in the indicator set */
    char *key;                    /* "type|value" as the apply script keys it */
    pk_cov_names partners;        /* partners whose sensors caught it */
    pk_cov_names sensors;         /* sensors that caught it */
    unsigned long long alerts;    /* alerts applied for it, all sensors */
} pk_cov_row;

typedef struct pk_coverage {
    pk_cov_row *rows;
    size_t nrows, cap;
    pk_cov_names expected;        /* --partners, or every partner that reported */
    bool fixed_partners;          /* expected came from --partners */
    bool indexed;
    size_t unusable_indicators;   /* no key could be made: not in the report */
    size_t duplicate_indicators;  /* same key twice in the set: reported once */
    size_t malformed_fields;      /* hash fields or counts that make no sense */
    size_t other_fields;          /* fields about indicators not in the set */
} pk_coverage;

typedef enum pk_cov_status {
    PK_COV_CAUGHT_BY_ALL = 0,
    PK_COV_MISSED_BY_SOME,        /* caught by at least one expected partner */
    PK_COV_MISSED_BY_ALL,
} pk_cov_status;

typedef struct pk_cov_summary {
    size_t indicators, caught_by_all, missed_by_some, missed_by_all;
} pk_cov_summary;

void pk_coverage_init(pk_coverage *c);
void pk_coverage_free(pk_coverage *c);

/* Adds an expected partner (once); the list is then fixed. False = OOM. */
bool pk_coverage_expect(pk_coverage *c, const char *partner);

/* Adds one indicator of the set (before pk_coverage_index). False = OOM. */
bool pk_coverage_add_indicator(pk_coverage *c, const char *type, const char *value);

/* Sorts the rows by key and folds duplicates; call once, before fields. */
bool pk_coverage_index(pk_coverage *c);

/* Applies one hash field and its count text; malformed ones are counted
 * and skipped. False = OOM. */
bool pk_coverage_add_field(pk_coverage *c, const char *field, size_t flen, const char *count,
                           size_t clen);

/* True when partner is one of the row's catchers. */
bool pk_cov_row_caught_by(const pk_cov_row *r, const char *partner);

pk_cov_status pk_coverage_status(const pk_coverage *c, const pk_cov_row *r);
void pk_coverage_summary(const pk_coverage *c, pk_cov_summary *s);

#endif
