/* test_stream.c - first-bytes TCP reassembly: in order, split, out of
 * order, retransmitted with different bytes (first copy wins), skipped
 * bodies, window limit, pool exhaustion. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stream.h"

/* A consumer that wants messages of the form "<n>:" + n bytes, records
 * each message, and is done after `want` messages. */
typedef struct rec {
    char got[8][64];
    int n, want;
    int skip_next;   /* > 0: announce a body of this many bytes after a message */
} rec;

static size_t consume(void *ctx, const uint8_t *d, size_t len, bool *done) {
    rec *r = ctx;
    if (len < 2) return 0;
    size_t n = (size_t)(d[0] - '0');
    if (d[1] != ':' || n > 9) { *done = true; return 0; }
    if (len < 2 + n) return 0;
    memcpy(r->got[r->n], d + 2, n);
    r->got[r->n][n] = 0;
    r->n++;
    if (r->n >= r->want) *done = true;
    size_t used = 2 + n + (size_t)r->skip_next;
    r->skip_next = 0;
    return used;
}

static void feed(pk_stream *s, pk_stream_pool *p, pk_stream_stats *st,
                 uint32_t seq, const char *data, rec *r) {
    pk_stream_segment(s, p, st, seq, false, (const uint8_t *)data, strlen(data), consume, r);
}

static void test_in_order_single_segment(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(4);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    rec r = {.want = 2};
    pk_stream_segment(&s, p, &st, 999, true, NULL, 0, consume, &r);  /* SYN */
    feed(&s, p, &st, 1000, "3:abc4:defg", &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.got[0], "abc");
    assert_string_equal(r.got[1], "defg");
    assert_true(s.done);
    assert_null(s.buf);
    assert_int_equal(st.buffered, 0);   /* parsed straight from the packet */
    pk_stream_pool_free(p);
}

static void test_split_across_segments(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(4);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    rec r = {.want = 1};
    pk_stream_segment(&s, p, &st, 99, true, NULL, 0, consume, &r);
    feed(&s, p, &st, 100, "5:h", &r);
    assert_int_equal(r.n, 0);
    assert_non_null(s.buf);
    feed(&s, p, &st, 103, "el", &r);
    feed(&s, p, &st, 105, "lo", &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.got[0], "hello");
    assert_null(s.buf);                   /* buffer back in the pool */
    pk_stream_pool_free(p);
}

static void test_out_of_order_then_gap_filled(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(4);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    rec r = {.want = 1};
    pk_stream_segment(&s, p, &st, 9, true, NULL, 0, consume, &r);
    feed(&s, p, &st, 10, "7:ab", &r);     /* in order, incomplete */
    feed(&s, p, &st, 17, "fg", &r);       /* ahead of a gap */
    assert_int_equal(r.n, 0);
    assert_int_equal(st.out_of_order, 1);
    feed(&s, p, &st, 14, "cdef", &r);     /* fills the gap, overlaps held "f" */
    assert_int_equal(r.n, 1);
    assert_string_equal(r.got[0], "abcdefg");
    pk_stream_pool_free(p);
}

static void test_retransmission_first_copy_wins(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(4);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    rec r = {.want = 1};
    pk_stream_segment(&s, p, &st, 0, true, NULL, 0, consume, &r);
    feed(&s, p, &st, 1, "4:ab", &r);
    feed(&s, p, &st, 1, "4:XYcd", &r);    /* rewrites "ab": ignored, "cd" new */
    assert_int_equal(r.n, 1);
    assert_string_equal(r.got[0], "abcd");
    assert_int_equal(st.retransmitted, 1);
    pk_stream_pool_free(p);
}

static void test_body_skipped(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(4);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    rec r = {.want = 2, .skip_next = 5};
    feed(&s, p, &st, 50, "1:a12", &r);     /* mid-stream pick-up; body "12345" */
    feed(&s, p, &st, 55, "3451:b", &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.got[1], "b");
    pk_stream_pool_free(p);
}

static void test_pool_exhausted_gives_up_counted(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(0);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    rec r = {.want = 1};
    feed(&s, p, &st, 1, "9:abc", &r);
    assert_true(s.done);
    assert_int_equal(st.pool_exhausted, 1);
    pk_stream_pool_free(p);
}

static size_t never_enough(void *ctx, const uint8_t *d, size_t len, bool *done) {
    (void)ctx; (void)d; (void)len; (void)done;
    return 0;
}

static void test_window_full_stops(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(1);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    static uint8_t chunk[1000];
    uint32_t seq = 1;
    for (int i = 0; i < 40 && !s.done; i++, seq += sizeof chunk)
        pk_stream_segment(&s, p, &st, seq, false, chunk, sizeof chunk, never_enough, NULL);
    assert_true(s.done);
    assert_int_equal(st.window_full, 1);
    pk_stream_pool_free(p);
}

/* A stream still holding a window when everything shuts down: the pool
 * owns the buffer and frees it (LeakSanitizer fails this test otherwise). */
static void test_pool_frees_buffers_streams_still_hold(void **state) {
    (void)state;
    pk_stream_pool *p = pk_stream_pool_new(2);
    pk_stream s = {0};
    pk_stream_stats st = {0};
    rec r = {.want = 1};
    feed(&s, p, &st, 1, "9:abc", &r);
    assert_non_null(s.buf);
    pk_stream_pool_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_single_segment),
        cmocka_unit_test(test_split_across_segments),
        cmocka_unit_test(test_out_of_order_then_gap_filled),
        cmocka_unit_test(test_retransmission_first_copy_wins),
        cmocka_unit_test(test_body_skipped),
        cmocka_unit_test(test_pool_exhausted_gives_up_counted),
        cmocka_unit_test(test_window_full_stops),
        cmocka_unit_test(test_pool_frees_buffers_streams_still_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
