/* fuzz_util.h - what the fuzz targets share: a cursor over the fuzzer's
 * input and the check that turns a broken contract into a crash.
 *
 * Why it exists: several targets split one input into a header and parts
 * (link type selector, frames with length prefixes, QUIC packet pieces),
 * and every target checks the documented output contract of the API it
 * drives (NUL-terminated names whose length matches, offsets inside the
 * input...). A violated contract aborts with a message, so libFuzzer keeps
 * the input as a crash and the regression replay fails on it.
 */
#ifndef PICKET_FUZZ_UTIL_H
#define PICKET_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts (a libFuzzer crash) when a contract the target checks is broken. */
#define FZ_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__,        \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* A NUL-terminated string inside a fixed array, of the length announced. */
#define FZ_CHECK_STR(arr, len)                                                \
    do {                                                                      \
        FZ_CHECK(memchr((arr), '\0', sizeof(arr)) != NULL);                   \
        FZ_CHECK(strlen(arr) == (size_t)(len));                               \
    } while (0)

typedef struct fz_cursor {
    const uint8_t *p;
    size_t left;
} fz_cursor;

static inline void fz_init(fz_cursor *c, const uint8_t *p, size_t n) {
    c->p = p;
    c->left = n;
}

/* 0 when nothing is left (inputs that run out just get default values). */
static inline uint8_t fz_u8(fz_cursor *c) {
    if (c->left == 0) return 0;
    c->left--;
    return *c->p++;
}

static inline uint16_t fz_be16(fz_cursor *c) {
    uint16_t hi = fz_u8(c);
    return (uint16_t)(hi << 8 | fz_u8(c));
}

/* Up to n bytes (fewer when the input ends); *got says how many. */
static inline const uint8_t *fz_take(fz_cursor *c, size_t n, size_t *got) {
    const uint8_t *p = c->p;
    if (n > c->left) n = c->left;
    c->p += n;
    c->left -= n;
    *got = n;
    return p;
}

/* A copy of the next n bytes in a malloc'd buffer of exactly that size, so
 * ASan sees a read past the part as an overflow (the fuzzer's own buffer
 * would hide it behind the next part). */
static inline uint8_t *fz_dup(const uint8_t *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (!d) abort();
    if (n) memcpy(d, p, n);
    return d;
}

#endif
