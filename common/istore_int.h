/* istore_int.h - the layout of the indicator store, shared by its builder
 * (istore_build.c) and its lookups (istore.c).
 *
 * Why it exists: the layout is private to the store but two files need it;
 * this header keeps them agreeing on table keys and hashes.
 */
#ifndef PICKET_ISTORE_INT_H
#define PICKET_ISTORE_INT_H

#include <string.h>

#include "ind_pack.h"
#include "istore.h"
#include "itab.h"

/* Classes of string keys in the one string table. */
enum { SC_NAME = 1, SC_URL, SC_JA3, SC_JA4 };

#define PK_DEEP6_BITS (1u << 20)

#define PK_SEED_STR 0x6b3c9d2e51a7f04dull
#define PK_SEED_V6  0x1f83d9abfb41bd6bull

struct pk_istore {
    pk_ind_pack pack;         /* the indicators; table refs index its items */
    size_t n;                 /* pack.n */
    pk_itab v4;               /* exact IPv4: key = address */
    pk_itab v6;               /* exact IPv6: key = hash tag */
    pk_itab strs;             /* names, URLs, JA3, JA4: key = hash tag */
    pk_itab cidr4[33];        /* per prefix length: key = network */
    pk_itab cidr6[129];       /* per prefix length: key = hash tag */
    uint8_t lens4[33], lens6[129];   /* lengths present, longest first */
    uint8_t nlens4, nlens6;
    /* where the filters' ranges start in lens4/lens6: the first index of a
     * length below 16 and below 8 (v4), below 32 and below 16 (v6) */
    uint8_t split4[2], split6[2];
    uint32_t types;           /* bit per pk_ind_type held */
    uint32_t name_labels;     /* bit k: a name indicator has k labels (31 = more) */
    /* Prefix filters: a lookup probes a prefix length's table only when
     * the address's leading bits may hold a prefix of that length. */
    uint64_t wide4[1024];     /* bit per /16 holding a v4 prefix >= /16 */
    uint64_t narrow4[1024];   /* bit per /16 inside a v4 prefix /8../15 (exact:
                                 such a prefix is a whole number of /16s) */
    uint64_t wide6[1024];     /* bit per /16 holding a v6 prefix /16../31 */
    uint64_t deep6[PK_DEEP6_BITS / 64];   /* bit per hash of the /32 holding
                                             a v6 prefix >= /32 */
    uint32_t *runs;           /* [count, item...] for shared keys */
    size_t nruns;
    size_t memory;
    char version[17];
};

static inline int pk_str_class(int type) {
    switch (type) {
    case PK_IND_DOMAIN: case PK_IND_SNI: case PK_IND_HTTP_HOST: return SC_NAME;
    case PK_IND_URL: return SC_URL;
    case PK_IND_JA3: return SC_JA3;
    case PK_IND_JA4: return SC_JA4;
    default: return 0;
    }
}

static inline uint64_t pk_str_hash(int cls, const char *s, size_t n) {
    return pk_hash64(s, n, PK_SEED_STR + (uint64_t)cls);
}

static inline uint64_t pk_v6_hash(const uint8_t *addr, int len) {
    return pk_hash64(addr, 16, PK_SEED_V6 + (uint64_t)len);
}

static inline uint32_t pk_be32(const uint8_t *a) {
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static inline uint32_t pk_mask4(int len) {
    return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static inline void pk_mask6(const uint8_t *in, int len, uint8_t *out) {
    for (int i = 0; i < 16; i++) {
        int keep = len - i * 8;
        out[i] = keep >= 8 ? in[i] : keep <= 0 ? 0 : (uint8_t)(in[i] & (0xff << (8 - keep)));
    }
}

static inline bool pk_bit(const uint64_t *set, uint32_t k) {
    return set[k / 64] >> (k % 64) & 1u;
}

static inline void pk_bit_set(uint64_t *set, uint32_t k) {
    set[k / 64] |= 1ull << (k % 64);
}

static inline uint32_t pk_deep6_bit(const uint8_t *addr) {
    return pk_hash_u32(pk_be32(addr)) & (PK_DEEP6_BITS - 1);
}

/* A name's label count as name_labels keeps it (its bit): 31 stands for
 * 31 or more. */
static inline unsigned pk_labels_of_dots(size_t ndots) {
    return ndots < 30 ? (unsigned)ndots + 1 : 31;
}

/* The same, counting the dots of a name's text. */
static inline unsigned pk_label_bit(const char *name, size_t n) {
    size_t dots = 0;
    for (size_t i = 0; i < n && dots < 30; i++)
        dots += name[i] == '.';
    return pk_labels_of_dots(dots);
}

/* Item i's shared part (type, family, prefix, scope) and value bytes. */
static inline const pk_indicator *pk_item_meta(const pk_istore *s, uint32_t i) {
    return pk_ind_pack_meta(&s->pack, i);
}

static inline const char *pk_item_text(const pk_istore *s, uint32_t i) {
    return (const char *)pk_ind_pack_value(&s->pack, i);
}

/* Fills s->version (see istore_build.c). -1 when out of memory. */
int pk_istore_compute_version(pk_istore *s);

#endif
