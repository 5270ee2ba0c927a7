/* istore_version.c - the content version of an indicator store.
 *
 * Why it exists: sensors report which indicator set produced an alert, and
 * the collector distributes sets by version, so the same indicators must
 * give the same version whatever order the files listed them in. Each
 * indicator's (type, value, source, partner, tlp) is hashed twice (two
 * independent 64-bit hashes); the hashes are combined with order-free sums
 * (a multiset hash: no sort, no temporary array the size of the set), and
 * SHA-256 over the count and the sums, cut to 16 hex digits, is the version.
 * An address or network is hashed as its packed bytes and prefix length (the
 * canonical text follows from them; formatting a million addresses would
 * cost more than the rest of the load).
 */
#include "istore_int.h"

#include <openssl/evp.h>
#include <stdio.h>

#define SEED_A 0x243f6a8885a308d3ull
#define SEED_B 0x13198a2e03707344ull

typedef struct multiset {
    uint64_t count, sum_a, sum_b, sum_mix;
} multiset;

static bool is_ip_type(int t) {
    return t == PK_IND_IPV4 || t == PK_IND_IPV6 || t == PK_IND_CIDR;
}

static uint64_t tuple_hash(const pk_indicator *m, const uint8_t *val,
                           const size_t len[3], uint64_t seed) {
    uint64_t h = seed ^ ((uint64_t)m->type << 8 | m->tlp);
    if (is_ip_type(m->type))
        h ^= (uint64_t)m->prefix_len << 16 | (uint64_t)m->family << 24;
    h = pk_hash64(val, len[0], h);
    h = pk_hash64(m->source ? m->source : "", len[1], h);
    return pk_hash64(m->partner ? m->partner : "", len[2], h);
}

/* Item i of the store: m its shared part, val its packed value. */
static void add_item(multiset *ms, const pk_indicator *m, const uint8_t *val) {
    size_t vlen = !is_ip_type(m->type) ? strlen((const char *)val)
                : m->family == 4 ? 4 : 16;
    size_t len[3] = {vlen, m->source ? strlen(m->source) : 0,
                     m->partner ? strlen(m->partner) : 0};
    uint64_t a = tuple_hash(m, val, len, SEED_A), b = tuple_hash(m, val, len, SEED_B);
    __uint128_t p = (__uint128_t)(a | 1) * (b | 1);
    ms->count++;
    ms->sum_a += a;
    ms->sum_b += b;
    ms->sum_mix += (uint64_t)p ^ (uint64_t)(p >> 64);
}

static void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

int pk_istore_compute_version(pk_istore *s) {
    multiset m = {0};
    for (uint32_t i = 0; i < s->n; i++)
        add_item(&m, pk_item_meta(s, i), (const uint8_t *)pk_item_text(s, i));
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
