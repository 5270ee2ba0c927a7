/* test_batch.c - the frame batch the capture loop fills (sensor/batch.c):
 * frames are copied, not referenced; the batch refuses a frame once it
 * holds PK_BATCH_FRAMES or its arena cannot take the bytes, and an emptied
 * batch takes any frame up to PK_BATCH_BYTES.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"

static void test_frames_are_copies(void **state) {
    (void)state;
    pk_batch b;
    assert_int_equal(pk_batch_init(&b), 0);
    uint8_t frame[60];
    memset(frame, 0xab, sizeof frame);
    assert_true(pk_batch_add(&b, frame, sizeof frame, 1514, 42));
    memset(frame, 0, sizeof frame);          /* libpcap reuses its buffer */
    assert_int_equal(b.n, 1);
    assert_int_equal(b.frames[0].caplen, 60);
    assert_int_equal(b.frames[0].wire_len, 1514);
    assert_int_equal(b.frames[0].ts_usec, 42);
    for (int i = 0; i < 60; i++) assert_int_equal(b.frames[0].data[i], 0xab);
    assert_true(pk_batch_add(&b, NULL, 0, 0, 43));   /* an empty frame is a frame */
    assert_int_equal(b.n, 2);
    assert_int_equal((uintptr_t)b.frames[1].data % 16, 0);
    pk_batch_free(&b);
}

static void test_full_by_count(void **state) {
    (void)state;
    pk_batch b;
    assert_int_equal(pk_batch_init(&b), 0);
    uint8_t frame[64] = {1};
    for (int i = 0; i < PK_BATCH_FRAMES; i++) {
        assert_false(pk_batch_full(&b));
        assert_true(pk_batch_add(&b, frame, sizeof frame, sizeof frame, i));
    }
    assert_true(pk_batch_full(&b));
    assert_false(pk_batch_add(&b, frame, sizeof frame, sizeof frame, 0));
    assert_int_equal(b.n, PK_BATCH_FRAMES);
    pk_batch_clear(&b);
    assert_true(pk_batch_add(&b, frame, sizeof frame, sizeof frame, 0));
    pk_batch_free(&b);
}

static void test_full_by_bytes(void **state) {
    (void)state;
    pk_batch b;
    assert_int_equal(pk_batch_init(&b), 0);
    size_t big = 256 * 1024;                  /* libpcap's largest snaplen */
    uint8_t *frame = calloc(1, PK_BATCH_BYTES);
    assert_non_null(frame);
    for (size_t i = 0; i < PK_BATCH_BYTES / big; i++)
        assert_true(pk_batch_add(&b, frame, (uint32_t)big, (uint32_t)big, 0));
    assert_false(pk_batch_add(&b, frame, 1, 1, 0));  /* arena used up */
    pk_batch_clear(&b);
    assert_true(pk_batch_add(&b, frame, PK_BATCH_BYTES, PK_BATCH_BYTES, 0));
    pk_batch_clear(&b);
    assert_false(pk_batch_add(&b, frame, PK_BATCH_BYTES + 1u, PK_BATCH_BYTES + 1u, 0));
    assert_int_equal(b.n, 0);
    free(frame);
    pk_batch_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_are_copies),
        cmocka_unit_test(test_full_by_count),
        cmocka_unit_test(test_full_by_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
