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

#endif
