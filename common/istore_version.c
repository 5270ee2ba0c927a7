/* istore_version.c - the content version of an indicator store.
 *
 * Why it exists: sensors report which indicator set produced an alert, and
 * the collector distributes sets by version, so the same indicators must
 * give the same version whatever order the files listed them in. Each
 * indicator's (type, value, source, partner, tlp) is hashed twice (two
 * independent 64-bit hashes); the hashes are combined with order-free sums
 * (a multiset hash: no sort, no temporary array the size of the set), and
 * SHA-256 over the count and the sums, cut to 16 hex digits, is the version.
 */
#include "istore_int.h"

#include <openssl/evp.h>
#include <stdio.h>

#define SEED_A 0x243f6a8885a308d3ull
#define SEED_B 0x13198a2e03707344ull

typedef struct multiset {
    uint64_t count, sum_a, sum_b, sum_mix;
} multiset;

static uint64_t tuple_hash(const pk_indicator *it, const size_t len[3],
                           uint64_t seed) {
    uint64_t h = seed ^ ((uint64_t)it->type << 8 | it->tlp);
    h = pk_hash64(it->value, len[0], h);
    h = pk_hash64(it->source ? it->source : "", len[1], h);
    return pk_hash64(it->partner ? it->partner : "", len[2], h);
}

static void add_item(multiset *m, const pk_indicator *it) {
    size_t len[3] = {strlen(it->value), it->source ? strlen(it->source) : 0,
                     it->partner ? strlen(it->partner) : 0};
    uint64_t a = tuple_hash(it, len, SEED_A), b = tuple_hash(it, len, SEED_B);
    __uint128_t p = (__uint128_t)(a | 1) * (b | 1);
    m->count++;
    m->sum_a += a;
    m->sum_b += b;
    m->sum_mix += (uint64_t)p ^ (uint64_t)(p >> 64);
}

static void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

int pk_istore_compute_version(pk_istore *s) {
    multiset m = {0};
    for (size_t i = 0; i < s->n; i++)
        add_item(&m, &s->items[i]);
    uint8_t block[32], sum[EVP_MAX_MD_SIZE];
    unsigned sumlen = 0;
    put_be64(block, m.count);
    put_be64(block + 8, m.sum_a);
    put_be64(block + 16, m.sum_b);
    put_be64(block + 24, m.sum_mix);
    if (!EVP_Digest(block, sizeof block, sum, &sumlen, EVP_sha256(), NULL) ||
        sumlen < 8)
        return -1;
    for (int i = 0; i < 8; i++)
        snprintf(s->version + 2 * i, 3, "%02x", sum[i]);
    return 0;
}
