/* spool_test_util.h - helpers shared by the spool test programs
 * (test_spool.c, test_uplink.c).
 *
 * Why it exists: both programs run a real spool in a private temporary
 * directory, look counters up by name, count the segment files and read the
 * spool's state file. They used to carry a copy each; the build makes every
 * tests/unit/test_*.c its own program and compiles no other .c file here,
 * so the one copy lives in this header as static inline functions (an
 * unused one costs nothing and warns about nothing). Include it after
 * <cmocka.h> and its prerequisites.
 */
#ifndef PICKET_SPOOL_TEST_UTIL_H
#define PICKET_SPOOL_TEST_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"

/* ---- the temporary directory ---- */

/* dir: /tmp/picket-<what>-XXXXXX, made 0700 by mkdtemp; spool: dir/spool,
 * not made (the spool creates its own directory). */
typedef struct spool_tmp {
    char dir[64], spool[96];
} spool_tmp;

static inline bool spool_tmp_make(spool_tmp *t, const char *what) {
    snprintf(t->dir, sizeof t->dir, "/tmp/picket-%s-XXXXXX", what);
    if (!mkdtemp(t->dir))
        return false;
    snprintf(t->spool, sizeof t->spool, "%s/spool", t->dir);
    return true;
}

/* Removes dir and all below it; 0 on success. */
static inline int spool_tmp_remove(const spool_tmp *t) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A test entry run between the including program's setup() and teardown(). */
#define fixture_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- counters by name ----
 *     counter_query q = {name, COUNTER_ABSENT};
 *     pk_spool_counters(sp, find_counter, &q);   (or pk_uplink_counters)
 *     return counter_found(&q);                  (fails the test if absent) */

#define COUNTER_ABSENT UINT64_MAX

typedef struct counter_query {
    const char *name;
    uint64_t v;
} counter_query;

static inline void find_counter(void *ctx, const char *name, uint64_t v) {
    counter_query *q = ctx;
    if (strcmp(name, q->name) == 0)
        q->v = v;
}

static inline uint64_t counter_found(const counter_query *q) {
    if (q->v == COUNTER_ABSENT)
        fail_msg("no counter %s", q->name);
    return q->v;
}

/* ---- the spool directory's files ---- */

/* Segment files (seg-*) in the spool directory. */
static inline int count_segments(const char *spool_dir) {
    DIR *d = opendir(spool_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, "seg-", 4) == 0;
    closedir(d);
    return n;
}

/* The spool's state file records `acked` as the highest acknowledged seq. */
static inline void expect_state_acked(const char *spool_dir, uint64_t acked) {
    char path[256], buf[128] = "", want[40];
    snprintf(path, sizeof path, "%s/state", spool_dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    buf[fread(buf, 1, sizeof buf - 1, fp)] = '\0';
    fclose(fp);
    snprintf(want, sizeof want, "acked %llu\n", (unsigned long long)acked);
    if (!strstr(buf, want))
        fail_msg("%s has no '%s': '%s'", path, want, buf);
}

#endif
