/* ind_test_util.h - helpers shared by the indicator loader test programs
 * (test_ind_plain.c, test_ind_zeek.c, test_ind_iprep.c, test_ind_stix.c,
 * test_indicator.c).
 *
 * Why it exists: each of those programs loads a text (or a sample file from
 * $PICKET_SRC/rules) into a fresh list and report, looks values up, checks
 * the reported issues and the report's counts. They used to carry a copy
 * each; the build makes every tests/unit/test_*.c its own program and
 * compiles no other .c file here, so the one copy lives in this header as
 * static inline functions (an unused one costs nothing and warns about
 * nothing). Include it after <cmocka.h> and its prerequisites.
 *
 * IND_TEST_NAME is the file name load() and load_n() give the loader (it
 * shows in messages and is the default indicator source); a program that
 * checks it defines it before including this header (default "test.txt").
 */
#ifndef PICKET_IND_TEST_UTIL_H
#define PICKET_IND_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ind_load.h"

#define NOW 1790000000   /* 2026-09: "now" for expiry checks */

#ifndef IND_TEST_NAME
#define IND_TEST_NAME "test.txt"
#endif

/* ---- loading ---- */

/* One load: the list, its report and pk_ind_load_*'s return code. */
typedef struct loaded {
    pk_ind_list l;
    pk_load_report rep;
    int rc;
} loaded;

/* An empty list and report (for tests that load more than once into it). */
static inline loaded *loaded_new(void) {
    loaded *x = calloc(1, sizeof *x);
    assert_non_null(x);
    pk_ind_list_init(&x->l);
    return x;
}

/* n bytes of text loaded as the file `name` at time now. */
static inline loaded *load_named(const char *name, const char *text, size_t n, int64_t now) {
    loaded *x = loaded_new();
    x->rc = pk_ind_load_buffer(&x->l, name, text, n, now, &x->rep);
    return x;
}

static inline loaded *load_n(const char *text, size_t n) {
    return load_named(IND_TEST_NAME, text, n, NOW);
}

static inline loaded *load(const char *text) { return load_n(text, strlen(text)); }

/* The file at path, read by pk_ind_load_file at time now. */
static inline loaded *load_path(const char *path, int64_t now) {
    loaded *x = loaded_new();
    x->rc = pk_ind_load_file(&x->l, path, now, &x->rep);
    return x;
}

static inline void done(loaded *x) {
    pk_ind_list_free(&x->l);
    free(x);
}

/* ---- looking at the result ---- */

static inline const pk_indicator *find(const loaded *x, const char *value) {
    for (size_t i = 0; i < x->l.n; i++)
        if (strcmp(x->l.items[i].value, value) == 0)
            return &x->l.items[i];
    return NULL;
}

/* An issue kept for this line whose reason contains text. */
static inline bool has_issue(const loaded *x, uint32_t line, const char *text) {
    for (uint32_t i = 0; i < x->rep.nissues; i++)
        if (x->rep.issues[i].line == line && strstr(x->rep.issues[i].reason, text))
            return true;
    return false;
}

/* An issue kept for any line (STIX reports objects, not lines) whose
 * reason contains text. */
static inline bool has_reason(const loaded *x, const char *text) {
    for (uint32_t i = 0; i < x->rep.nissues; i++)
        if (strstr(x->rep.issues[i].reason, text))
            return true;
    return false;
}

/* ---- tables of expectations ----
 * expect_types(x, {"value", PK_IND_...}, ...)  each value loaded with that type
 * expect_issues(x, {line, "text"}, ...)         each is has_issue()
 * expect_reasons(x, "text", ...)                each is has_reason()
 * A failure names the caller's file and line, not this header's. */

typedef struct type_want {
    const char *value;
    pk_ind_type type;
} type_want;

typedef struct issue_want {
    uint32_t line;
    const char *text;
} issue_want;

typedef const char *reason_want;

/* The array of a brace list and its length. */
#define IND_TABLE_(type, ...) \
    (const type[]){__VA_ARGS__}, sizeof((const type[]){__VA_ARGS__}) / sizeof(type)

#define expect_types(x, ...) \
    expect_types_((x), IND_TABLE_(type_want, __VA_ARGS__), __FILE__, __LINE__)
#define expect_issues(x, ...) \
    expect_issues_((x), IND_TABLE_(issue_want, __VA_ARGS__), __FILE__, __LINE__)
#define expect_reasons(x, ...) \
    expect_reasons_((x), IND_TABLE_(reason_want, __VA_ARGS__), __FILE__, __LINE__)

static inline void expect_types_(const loaded *x, const type_want *w, size_t n,
                                 const char *file, int line) {
    for (size_t i = 0; i < n; i++) {
        const pk_indicator *ind = find(x, w[i].value);
        if (!ind)
            print_error("'%s' not loaded\n", w[i].value);
        else if (ind->type != w[i].type)
            print_error("'%s' is %s, want %s\n", w[i].value, pk_ind_type_name(ind->type),
                        pk_ind_type_name(w[i].type));
        else
            continue;
        _fail(file, line);
    }
}

static inline void expect_issues_(const loaded *x, const issue_want *w, size_t n,
                                  const char *file, int line) {
    for (size_t i = 0; i < n; i++)
        if (!has_issue(x, w[i].line, w[i].text)) {
            print_error("no issue at line %u with '%s'\n", w[i].line, w[i].text);
            _fail(file, line);
        }
}

static inline void expect_reasons_(const loaded *x, const reason_want *w, size_t n,
                                   const char *file, int line) {
    for (size_t i = 0; i < n; i++)
        if (!has_reason(x, w[i])) {
            print_error("no issue with '%s'\n", w[i]);
            _fail(file, line);
        }
}

/* The report's counts, all of them compared. */
typedef struct ind_counts {
    pk_ind_format format;
    uint64_t loaded, skipped, unsupported, expired, revoked;
} ind_counts;

static inline void expect_count_(const char *what, uint64_t got, uint64_t want) {
    if (got != want)
        fail_msg("%s: %llu, want %llu", what, (unsigned long long)got,
                 (unsigned long long)want);
}

static inline void expect_counts(const loaded *x, ind_counts want) {
    expect_count_("format", x->rep.format, want.format);
    expect_count_("loaded", x->rep.loaded, want.loaded);
    expect_count_("skipped", x->rep.skipped, want.skipped);
    expect_count_("unsupported", x->rep.unsupported, want.unsupported);
    expect_count_("expired", x->rep.expired, want.expired);
    expect_count_("revoked", x->rep.revoked, want.revoked);
}

/* rules/<file> of the source tree ($PICKET_SRC; the test is skipped
 * without it) loads without a fatal error and reports exactly want. */
static inline void expect_sample_file(const char *file, ind_counts want) {
    const char *src = getenv("PICKET_SRC");
    if (!src)
        skip();
    char path[1024];
    snprintf(path, sizeof path, "%s/rules/%s", src, file);
    loaded *x = load_path(path, NOW);
    assert_int_equal(x->rc, 0);
    expect_counts(x, want);
    done(x);
}

#endif
