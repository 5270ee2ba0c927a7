/* itab.h - the open-addressing table every part of the indicator store uses.
 *
 * Why it exists: the store must be compact (millions of indicators) and
 * answer lookups without allocating or locking. One slot is 8 bytes: a
 * 32-bit key (an IPv4 address, or a hash tag whose full key is checked
 * against the indicator) and a 32-bit reference (an item index, or with
 * PK_ITAB_RUN set, the offset of a run of items sharing the key).
 * Linear probing from a start derived from the hash; EMPTY ends a probe,
 * and at least one slot is always EMPTY.
 */
#ifndef PICKET_ITAB_H
#define PICKET_ITAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strhash.h"

#define PK_ITAB_EMPTY UINT32_MAX
#define PK_ITAB_RUN   0x80000000u
#define PK_ITAB_MAX_ITEMS 0x7ffffff0u

typedef struct pk_islot {
    uint32_t key;
    uint32_t ref;
} pk_islot;

typedef struct pk_itab {
    pk_islot *slots;
    uint32_t cap;             /* 0 when the table holds nothing */
    uint32_t n;
} pk_itab;

/* Sizes the table for n keys (load factor about 0.7). 0 ok, -1 no memory. */
int pk_itab_init(pk_itab *t, size_t n);
void pk_itab_free(pk_itab *t);
size_t pk_itab_bytes(const pk_itab *t);

/* Calls back to decide whether the key of the item ref equals the new one. */
typedef bool (*pk_itab_eq)(const void *ctx, uint32_t ref, uint32_t item);

/* Inserts item under key/start. When an equal key is present (same key and,
 * if eq is given, eq() true) returns that slot and sets *found; otherwise
 * fills an empty slot and returns it. NULL when the table is full. */
pk_islot *pk_itab_insert(pk_itab *t, uint32_t key, uint32_t hash,
                         uint32_t item, pk_itab_eq eq, const void *ctx,
                         bool *found);

/* Probe cursor: first slot for hash, then the next; NULL at an empty slot. */
static inline uint32_t pk_itab_first(const pk_itab *t, uint32_t hash) {
    return pk_hash_range(hash, t->cap);
}

/* Every probe ends at an EMPTY slot: pk_itab_insert always leaves one (it
 * refuses the item that would fill the last), so the loop needs no count. */
static inline const pk_islot *pk_itab_next_match(const pk_itab *t,
                                                 uint32_t key, uint32_t *pos) {
    if (t->cap == 0)
        return NULL;
    for (uint32_t i = *pos;;) {
        const pk_islot *sl = &t->slots[i];
        i = i + 1 == t->cap ? 0 : i + 1;
        if (sl->ref == PK_ITAB_EMPTY)
            return NULL;
        if (sl->key == key) {
            *pos = i;
            return sl;
        }
    }
}

#endif
