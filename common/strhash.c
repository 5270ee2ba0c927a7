/* strhash.c - a small multiply-and-fold string hash.
 *
 * Why it exists: see strhash.h. Each 8-byte word is folded in with a 64x64
 * -> 128-bit multiply, which mixes well and costs a few cycles per word;
 * indicator values are short, so this keeps lookups and loads cheap.
 */
#include "strhash.h"

#include <string.h>

#include "swar.h"

static inline uint64_t load_tail(const uint8_t *s, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)s[i] << (8 * i);
    return v;
}

uint64_t pk_hash64(const void *p, size_t n, uint64_t seed) {
    const uint8_t *s = p;
    uint64_t h = seed ^ pk_fold_mul(seed ^ PK_HASH_K1, (uint64_t)n ^ PK_HASH_K2);
    while (n >= 16) {
        h = pk_fold_mul(pk_load_le64(s) ^ PK_HASH_K2, pk_load_le64(s + 8) ^ h ^ PK_HASH_K3);
        s += 16;
        n -= 16;
    }
    if (n >= 8) {
        h = pk_fold_mul(pk_load_le64(s) ^ PK_HASH_K3, h ^ PK_HASH_K4);
        s += 8;
        n -= 8;
    }
    if (n > 0)
        h = pk_fold_mul(load_tail(s, n) ^ PK_HASH_K4, h ^ PK_HASH_K1);
    return pk_fold_mul(h ^ PK_HASH_K2, h ^ PK_HASH_K1 ^ 0x2d358dccaa6c78a5ull);
}
