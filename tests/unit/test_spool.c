/* test_spool.c - the disk spool on real files in a temporary directory:
 * append, reopen and resume with alert numbering that never repeats, reads
 * only after fsync, torn and damaged records skipped and counted, deletion
 * after acks, the size bound dropping the oldest alerts and counting them,
 * the directory lock and its permissions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "spool_test_util.h"

/* The spool under test lives in f->spool. */
typedef spool_tmp fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || !spool_tmp_make(f, "spool")) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    if (spool_tmp_remove(f) != 0) return -1;
    free(f);
    return 0;
}

static pk_spool *open_spool(const fixture *f, uint64_t max_bytes, uint32_t seg) {
    char err[256];
    pk_spool_config cfg = {.dir = f->spool, .max_bytes = max_bytes, .segment_bytes = seg};
    pk_spool *sp = pk_spool_open(&cfg, err, sizeof err);
    if (!sp) print_error("%s\n", err);
    assert_non_null(sp);
    return sp;
}

static void append_n(pk_spool *sp, uint64_t from, uint64_t to) {
    for (uint64_t s = from; s <= to; s++) {
        char json[128];
        int n = snprintf(json, sizeof json, "{\"alert_id\":\"t:%llu\",\"pad\":\"%040d\"}",
                         (unsigned long long)s, 0);
        assert_int_equal(pk_spool_append(sp, s, json, (size_t)n), 0);
    }
}

/* A spool holding alerts 1..last (written, not yet synced). */
static pk_spool *spool_of(const fixture *f, uint64_t max_bytes, uint32_t seg, uint64_t last) {
    pk_spool *sp = open_spool(f, max_bytes, seg);
    append_n(sp, 1, last);
    return sp;
}

typedef struct got {
    uint64_t seq[4096];
    size_t n, stop_at;
    bool bad_json;
} got;

static bool collect(void *ctx, uint64_t seq, const char *json, size_t len) {
    got *g = ctx;
    if (g->stop_at && g->n == g->stop_at) return false;
    char want[64];
    snprintf(want, sizeof want, "{\"alert_id\":\"t:%llu\"", (unsigned long long)seq);
    if (strncmp(json, want, strlen(want)) != 0 || json[len - 1] != '}') g->bad_json = true;
    g->seq[g->n++] = seq;
    return true;
}

/* Everything readable after `after`, from the oldest record. */
static void read_all(pk_spool *sp, uint64_t after, got *g) {
    pk_spool_cursor c;
    memset(g, 0, sizeof *g);
    pk_spool_rewind(sp, &c);
    pk_spool_read(sp, &c, after, collect, g);
    assert_false(g->bad_json);
}

static uint64_t counter(const pk_spool *sp, const char *name) {
    counter_query q = {name, COUNTER_ABSENT};
    pk_spool_counters(sp, find_counter, &q);
    return counter_found(&q);
}

static void test_crc32_vector(void **state) {
    (void)state;
    assert_int_equal(pk_spool_crc32(0, "123456789", 9), 0xcbf43926u);
    uint32_t part = pk_spool_crc32(0, "1234", 4);
    assert_int_equal(pk_spool_crc32(part, "56789", 5), 0xcbf43926u);
}

static void test_fresh_dir_mode_and_seq(void **state) {
    fixture *f = *state;
    pk_spool *sp = open_spool(f, 0, 0);
    struct stat st;
    assert_int_equal(stat(f->spool, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(pk_spool_next_seq(sp), 1);
    pk_spool_close(sp);
}

static void test_read_only_after_sync(void **state) {
    fixture *f = *state;
    pk_spool *sp = spool_of(f, 0, 0, 3);
    got g;
    read_all(sp, 0, &g);
    assert_int_equal(g.n, 0);
    assert_int_equal(pk_spool_sync(sp), 0);
    read_all(sp, 0, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.seq[0], 1);
    assert_int_equal(g.seq[2], 3);
    pk_spool_close(sp);
}

static void test_cursor_resumes(void **state) {
    fixture *f = *state;
    pk_spool *sp = spool_of(f, 0, 4096, 100);
    assert_int_equal(pk_spool_sync(sp), 0);
    got g;
    memset(&g, 0, sizeof g);
    g.stop_at = 30;
    pk_spool_cursor c;
    pk_spool_rewind(sp, &c);
    assert_int_equal(pk_spool_read(sp, &c, 0, collect, &g), 30);
    g.stop_at = 0;
    assert_int_equal(pk_spool_read(sp, &c, 0, collect, &g), 70);
    for (size_t i = 0; i < 100; i++) assert_int_equal(g.seq[i], i + 1);
    append_n(sp, 101, 105);
    assert_int_equal(pk_spool_read(sp, &c, 0, collect, &g), 0);
    assert_int_equal(pk_spool_sync(sp), 0);
    assert_int_equal(pk_spool_read(sp, &c, 0, collect, &g), 5);
    assert_int_equal(g.seq[104], 105);
    pk_spool_close(sp);
}

static void test_reopen_resume_next_seq(void **state) {
    fixture *f = *state;
    pk_spool *sp = spool_of(f, 0, 0, 10);
    assert_int_equal(pk_spool_append(sp, 10, "{}", 2), -1);   /* never reused */
    assert_int_equal(counter(sp, "spool.write_errors"), 1);
    pk_spool_sync(sp);
    pk_spool_ack(sp, 4);
    pk_spool_close(sp);

    sp = open_spool(f, 0, 0);
    assert_int_equal(pk_spool_next_seq(sp), 11);
    assert_int_equal(pk_spool_acked(sp), 4);
    assert_int_equal(pk_spool_count_after(sp, 4), 6);
    got g;
    read_all(sp, pk_spool_acked(sp), &g);
    assert_int_equal(g.n, 6);
    assert_int_equal(g.seq[0], 5);
    assert_int_equal(g.seq[5], 10);
    append_n(sp, 11, 12);
    pk_spool_sync(sp);
    pk_spool_ack(sp, 12);      /* all acked: older segments are deleted */
    pk_spool_close(sp);

    sp = open_spool(f, 0, 0);
    assert_int_equal(pk_spool_next_seq(sp), 13);
    assert_int_equal(pk_spool_count_after(sp, 0), 0);
    pk_spool_close(sp);
}

/* Path of the newest segment file holding records. */
static void last_full_segment(const fixture *f, char *path, size_t n) {
    DIR *d = opendir(f->spool);
    char best[300] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[600];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", f->spool, e->d_name);
        if (strncmp(e->d_name, "seg-", 4) == 0 && stat(p, &st) == 0 && st.st_size > 0 &&
            strcmp(e->d_name, best) > 0)
            snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    assert_true(best[0]);
    snprintf(path, n, "%s/%s", f->spool, best);
}

/* Alerts 1..5 spooled and the spool closed; path: the segment holding them. */
static void five_alerts_on_disk(const fixture *f, char *path, size_t n) {
    pk_spool_close(spool_of(f, 0, 0, 5));
    last_full_segment(f, path, n);
}

static void test_torn_last_record(void **state) {
    fixture *f = *state;
    char path[700];
    five_alerts_on_disk(f, path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 7), 0);   /* a crash mid-write */

    pk_spool *sp = open_spool(f, 0, 0);
    assert_int_equal(counter(sp, "spool.corrupt_records"), 1);
    assert_true(pk_spool_next_seq(sp) >= 6);
    got g;
    read_all(sp, 0, &g);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.seq[3], 4);
    read_all(sp, 0, &g);   /* read again: counted once */
    assert_int_equal(counter(sp, "spool.corrupt_records"), 1);
    append_n(sp, pk_spool_next_seq(sp), pk_spool_next_seq(sp));
    pk_spool_sync(sp);
    read_all(sp, 0, &g);
    assert_int_equal(g.n, 5);
    pk_spool_close(sp);
}

static void test_damaged_middle_record(void **state) {
    fixture *f = *state;
    char path[700];
    five_alerts_on_disk(f, path, sizeof path);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    struct stat st;
    fstat(fd, &st);
    off_t rec = st.st_size / 5;             /* records are the same size */
    assert_int_equal(pwrite(fd, "X", 1, rec + rec / 2), 1);   /* inside record 2 */
    close(fd);

    pk_spool *sp = open_spool(f, 0, 0);
    assert_int_equal(counter(sp, "spool.corrupt_records"), 1);
    got g;
    read_all(sp, 0, &g);
    assert_int_equal(g.n, 4);
    uint64_t want[] = {1, 3, 4, 5};
    for (int i = 0; i < 4; i++) assert_int_equal(g.seq[i], want[i]);
    pk_spool_close(sp);
}

static void test_ack_deletes_segments(void **state) {
    fixture *f = *state;
    pk_spool *sp = spool_of(f, 0, 4096, 200);
    pk_spool_sync(sp);
    int before = count_segments(f->spool);
    assert_true(before >= 4);
    uint64_t bytes = counter(sp, "spool.bytes");
    pk_spool_ack(sp, 120);
    int after = count_segments(f->spool);
    assert_true(after < before);
    assert_true(counter(sp, "spool.bytes") < bytes);
    assert_int_equal(pk_spool_count_after(sp, 120), 80);
    got g;
    read_all(sp, 120, &g);
    assert_int_equal(g.n, 80);
    assert_int_equal(g.seq[0], 121);
    /* Records <= 120 may remain only in the one segment straddling 120. */
    read_all(sp, 0, &g);
    assert_true(g.n >= 80 && g.n - 80 <= 4096 / 60);
    pk_spool_ack(sp, 200);
    assert_int_equal(count_segments(f->spool), 1);      /* only the writer's segment */
    pk_spool_close(sp);
    expect_state_acked(f->spool, 200);
}

static void test_max_drops_oldest(void **state) {
    fixture *f = *state;
    pk_spool *sp = open_spool(f, 16384, 4096);
    for (uint64_t s = 1; s <= 400; s += 20) {
        append_n(sp, s, s + 19);
        pk_spool_sync(sp);
    }
    uint64_t dropped = counter(sp, "spool.dropped_alerts");
    assert_true(dropped > 0);
    assert_true(counter(sp, "spool.bytes") <= 16384);
    got g;
    read_all(sp, 0, &g);
    assert_int_equal(g.n + dropped, 400);
    assert_int_equal(g.seq[g.n - 1], 400);         /* the newest survive */
    assert_int_equal(g.seq[0], dropped + 1);        /* the oldest went */
    assert_int_equal(counter(sp, "spool.records"), g.n);
    pk_spool_close(sp);
    sp = open_spool(f, 16384, 4096);
    assert_int_equal(pk_spool_next_seq(sp), 401);
    pk_spool_close(sp);
}

static void test_lock_and_errors(void **state) {
    fixture *f = *state;
    pk_spool *sp = open_spool(f, 0, 0);
    char err[256];
    pk_spool_config cfg = {.dir = f->spool};
    assert_null(pk_spool_open(&cfg, err, sizeof err));
    assert_non_null(strstr(err, f->spool));
    assert_non_null(strstr(err, "in use"));
    pk_spool_close(sp);

    pk_spool_config bad = {.dir = "/nonexistent-picket/a/b"};
    assert_null(pk_spool_open(&bad, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-picket/a/b"));
}

static void test_loose_permissions_tightened(void **state) {
    fixture *f = *state;
    assert_int_equal(mkdir(f->spool, 0755), 0);
    pk_spool *sp = open_spool(f, 0, 0);
    struct stat st;
    assert_int_equal(stat(f->spool, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    pk_spool_close(sp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_vector),
        fixture_test(test_fresh_dir_mode_and_seq),
        fixture_test(test_read_only_after_sync),
        fixture_test(test_cursor_resumes),
        fixture_test(test_reopen_resume_next_seq),
        fixture_test(test_torn_last_record),
        fixture_test(test_damaged_middle_record),
        fixture_test(test_ack_deletes_segments),
        fixture_test(test_max_drops_oldest),
        fixture_test(test_lock_and_errors),
        fixture_test(test_loose_permissions_tightened),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
