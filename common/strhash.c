/* strhash.c - a small multiply-and-fold string hash.
 *
 * Why it exists: see strhash.h. Each 8-byte word is folded in with a 64x64
 * -> 128-bit multiply, which mixes well and costs a few cycles per word;
 * indicator values are short, so this keeps lookups and loads cheap.
 */
#include "strhash.h"

#include <string.h>

#define K1 0xa0761d6478bd642full
#define K2 0xe7037ed1a0b428dbull
#define K3 0x8ebc6af09c88c6e3ull
#define K4 0x589965cc75374cc3ull

static inline uint64_t fold(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load_le64(const uint8_t *s) {
    uint64_t v;
    memcpy(&v, s, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t load_tail(const uint8_t *s, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)s[i] << (8 * i);
    return v;
}

uint64_t pk_hash64(const void *p, size_t n, uint64_t seed) {
    const uint8_t *s = p;
    uint64_t h = seed ^ fold(seed ^ K1, (uint64_t)n ^ K2);
    while (n >= 16) {
        h = fold(load_le64(s) ^ K2, load_le64(s + 8) ^ h ^ K3);
        s += 16;
        n -= 16;
    }
    if (n >= 8) {
        h = fold(load_le64(s) ^ K3, h ^ K4);
        s += 8;
        n -= 8;
    }
    if (n > 0)
        h = fold(load_tail(s, n) ^ K4, h ^ K1);
    return fold(h ^ K2, h ^ K1 ^ 0x2d358dccaa6c78a5ull);
}
