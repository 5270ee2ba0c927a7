/* istore_version.c - the content version of an indicator store.
 *
 * Why it exists: sensors report which indicator set produced an alert, and
 * the collector distributes sets by version, so the same indicators must
 * give the same version whatever order the files listed them in. Each
 * indicator's (type, value, source, partner, tlp) is hashed to 64 bits; the
 * hashes are sorted (radix sort: a million indicators sort in milliseconds)
 * and SHA-256 over the sorted list, cut to 16 hex digits, is the version.
 */
#include "istore_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "bigalloc.h"

#define SEED 0x243f6a8885a308d3ull
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
_Static_assert((64 + RADIX_BITS - 1) / RADIX_BITS % 2 == 0, "even pass count");

static uint64_t tuple_hash(const pk_indicator *it, const size_t len[3],
                           uint64_t seed) {
    uint64_t h = seed ^ ((uint64_t)it->type << 8 | it->tlp);
    h = pk_hash64(it->value, len[0], h);
    h = pk_hash64(it->source ? it->source : "", len[1], h);
    return pk_hash64(it->partner ? it->partner : "", len[2], h);
}

static void hash_items(const pk_istore *s, uint64_t *out) {
    for (size_t i = 0; i < s->n; i++) {
        const pk_indicator *it = &s->items[i];
        size_t len[3] = {strlen(it->value), it->source ? strlen(it->source) : 0,
                         it->partner ? strlen(it->partner) : 0};
        out[i] = tuple_hash(it, len, SEED);
    }
}

/* LSD radix sort; a ends sorted (tmp is scratch of the same size). */
static int radix_sort(uint64_t *a, uint64_t *tmp, size_t n) {
    size_t *count = calloc(RADIX_SIZE, sizeof *count);
    if (!count)
        return -1;
    for (unsigned shift = 0; shift < 64; shift += RADIX_BITS) {
        memset(count, 0, RADIX_SIZE * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(a[i] >> shift) & (RADIX_SIZE - 1)]++;
        size_t sum = 0;
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & (RADIX_SIZE - 1)]++] = a[i];
        uint64_t *swap = a;
        a = tmp;
        tmp = swap;
    }
    free(count);
    return 0;                 /* an even number of passes: a holds the result */
}

static void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static int digest(const uint64_t *a, size_t n, char out[17]) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t block[8 * 512], sum[EVP_MAX_MD_SIZE];
    unsigned sumlen = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < n; i += 512) {
        size_t k = n - i < 512 ? n - i : 512;
        for (size_t j = 0; j < k; j++)
            put_be64(block + 8 * j, a[i + j]);
        ok = EVP_DigestUpdate(md, block, 8 * k);
    }
    ok = ok && EVP_DigestFinal_ex(md, sum, &sumlen) && sumlen >= 8;
    EVP_MD_CTX_free(md);
    for (int i = 0; ok && i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", sum[i]);
    return ok ? 0 : -1;
}

int pk_istore_compute_version(pk_istore *s) {
    size_t n = s->n ? s->n : 1;
    uint64_t *a = pk_big_alloc(n * sizeof *a), *tmp = pk_big_alloc(n * sizeof *tmp);
    int rc = -1;
    if (a && tmp) {
        hash_items(s, a);
        if (radix_sort(a, tmp, s->n) == 0)
            rc = digest(a, s->n, s->version);
    }
    free(a);
    free(tmp);
    return rc;
}
