/* strhash.h - the hash functions the indicator store and its version use.
 *
 * Why it exists: the store's tables and its content version both need a
 * fast, well-mixed hash that gives the same result on every machine (the
 * version is compared between sensors and the collector), so it is defined
 * here once, reading bytes in little-endian order on any host.
 */
#ifndef PICKET_STRHASH_H
#define PICKET_STRHASH_H

#include <stddef.h>
#include <stdint.h>

/* The odd 64-bit constants pk_hash64 (and the flow table's key hash) mix
 * with. */
#define PK_HASH_K1 0xa0761d6478bd642full
#define PK_HASH_K2 0xe7037ed1a0b428dbull
#define PK_HASH_K3 0x8ebc6af09c88c6e3ull
#define PK_HASH_K4 0x589965cc75374cc3ull

/* The two halves of the 128-bit product a * b, xor-ed: the mixing step of
 * pk_hash64 (and of the flow table's key hash). */
static inline uint64_t pk_fold_mul(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* 64-bit hash of n bytes; different seeds give independent hashes. */
uint64_t pk_hash64(const void *p, size_t n, uint64_t seed);

/* A well-spread 32-bit hash of a 32-bit key (an IPv4 address). */
static inline uint32_t pk_hash_u32(uint32_t x) {
    uint64_t m = (uint64_t)(x ^ 0x5bd1e995u) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(m >> 32) ^ (uint32_t)m;
}

/* Maps a 32-bit hash onto [0, n) without a division. */
static inline uint32_t pk_hash_range(uint32_t h, uint32_t n) {
    return (uint32_t)(((uint64_t)h * n) >> 32);
}

#endif
