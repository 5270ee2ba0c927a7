/* test_swar.c - the eight-bytes-at-a-time helpers (common/swar.h) against
 * byte-by-byte references, at every length around the 8-byte steps and
 * with the odd byte at every position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swar.h"

static bool printable_ref(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f) return false;
    return true;
}

static char lower_ref(unsigned char c) {
    return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* Every byte value at every position of every length up to 40, in a
 * buffer otherwise printable: the answer is the reference's. */
static void test_all_printable(void **state) {
    (void)state;
    unsigned char buf[40];
    for (size_t n = 0; n <= sizeof buf; n++) {
        memset(buf, 'Q', sizeof buf);
        assert_true(pk_all_printable(buf, n));
        for (size_t at = 0; at < n; at++) {
            for (unsigned v = 0; v < 256; v++) {
                buf[at] = (unsigned char)v;
                assert_int_equal(pk_all_printable(buf, n), printable_ref(buf, n));
            }
            buf[at] = 'Q';
        }
    }
}

/* Random bytes (every value) at every length up to 40: the copy is the
 * reference's, and nothing past n is written. */
static void test_lower_copy(void **state) {
    (void)state;
    srand(7);
    unsigned char src[40];
    char dst[48], want[48];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof src; i++) src[i] = (unsigned char)(rand() & 0xff);
        for (size_t n = 0; n <= sizeof src; n++) {
            memset(dst, '#', sizeof dst);
            memset(want, '#', sizeof want);
            for (size_t i = 0; i < n; i++) want[i] = lower_ref(src[i]);
            pk_lower_copy(dst, src, n);
            assert_memory_equal(dst, want, sizeof dst);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_printable),
        cmocka_unit_test(test_lower_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
