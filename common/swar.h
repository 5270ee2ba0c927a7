/* swar.h - eight bytes at a time in one 64-bit word ("SIMD within a
 * register").
 *
 * Why it exists: the sensor lower-cases and scans every DNS name, SNI, Host
 * and URL it matches. Doing eight bytes per step with plain 64-bit
 * arithmetic beats a loop per byte and needs no CPU-specific code. The
 * tricks keep every byte apart (no carry crosses from one byte into the
 * next) and answer in each byte's high bit. Words are loaded little-endian
 * on any host, so byte i of the text is bits 8i..8i+7 of the word.
 *
 * These read and write caller memory the caller has already bounded (a
 * copy of a value, an output buffer): packet bytes still come through the
 * bounds-checked reader (reader.h).
 */
#ifndef PICKET_SWAR_H
#define PICKET_SWAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PK_SWAR_ONES 0x0101010101010101ull
#define PK_SWAR_HIGH (PK_SWAR_ONES * 0x80)
#define PK_SWAR_LOW7 (PK_SWAR_ONES * 0x7f)

static inline uint64_t pk_load_le64(const void *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void pk_store_le64(void *p, uint64_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* The high bit of each byte of x that is below c (c <= 0x80). */
static inline uint64_t pk_swar_below(uint64_t x, unsigned c) {
    return ~(((x & PK_SWAR_LOW7) + PK_SWAR_ONES * (0x80 - c)) | x) & PK_SWAR_HIGH;
}

/* The high bit of each byte of x equal to c. */
static inline uint64_t pk_swar_equal(uint64_t x, unsigned c) {
    return pk_swar_below(x ^ (PK_SWAR_ONES * c), 1);
}

/* x with ASCII 'A'..'Z' made lower case, every other byte as it was. */
static inline uint64_t pk_swar_lower(uint64_t x) {
    uint64_t upper = pk_swar_below(x, 'Z' + 1) & ~pk_swar_below(x, 'A');
    return x | upper >> 2;
}

/* The high bit of each byte of x outside 0x21..0x7e: controls, space, DEL
 * and every byte with the high bit set. */
static inline uint64_t pk_swar_unprintable(uint64_t x) {
    return pk_swar_below(x, 0x21) | (~pk_swar_below(x, 0x7f) & PK_SWAR_HIGH);
}

/* Whether the n bytes at s are all 0x21..0x7e: eight at a time, the last
 * eight overlapping the ones before; fewer than eight through a copy
 * padded with a printable byte. */
static inline bool pk_all_printable(const void *s, size_t n) {
    const char *c = s;
    if (n < 8) {
        char w[8];
        memset(w, 'a', sizeof w);
        memcpy(w, c, n);
        return pk_swar_unprintable(pk_load_le64(w)) == 0;
    }
    uint64_t bad = pk_swar_unprintable(pk_load_le64(c + n - 8));
    for (size_t i = 0; i + 8 <= n; i += 8) bad |= pk_swar_unprintable(pk_load_le64(c + i));
    return bad == 0;
}

/* Copies n bytes from src to dst with ASCII 'A'..'Z' lower-cased, eight at
 * a time, the last eight overlapping the ones before (dst and src must not
 * overlap); fewer than eight through a padded copy. */
static inline void pk_lower_copy(void *dst, const void *src, size_t n) {
    char *d = dst;
    const char *s = src;
    if (n < 8) {
        char w[8] = {0};
        memcpy(w, s, n);
        pk_store_le64(w, pk_swar_lower(pk_load_le64(w)));
        memcpy(d, w, n);
        return;
    }
    for (size_t i = 0; i + 8 <= n; i += 8)
        pk_store_le64(d + i, pk_swar_lower(pk_load_le64(s + i)));
    pk_store_le64(d + n - 8, pk_swar_lower(pk_load_le64(s + n - 8)));
}

#endif
