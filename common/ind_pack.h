/* ind_pack.h - indicators packed for the match store: 8 bytes each plus
 * the value.
 *
 * Why it exists: a full pk_indicator is 88 bytes and its value text is
 * longer than the address it names; a million indicators of one feed would
 * take several times the size of the file they came from. Indicators of one
 * file share their metadata (source, partner, TLP, scope...), so a pack keeps
 * each distinct set of metadata once and, per indicator, only the index of
 * its metadata and the offset of its value: 4 or 16 address bytes, or the
 * normalised name/URL/fingerprint text. The full record is rebuilt on
 * request into a pk_ind_view (the alert path, iteration), never on lookups.
 */
#ifndef PICKET_IND_PACK_H
#define PICKET_IND_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "indicator.h"

typedef struct pk_ind_rec {
    uint32_t value;           /* offset in vals: address bytes or text + NUL */
    uint32_t meta;            /* index in metas */
} pk_ind_rec;

#define PK_PACK_RECENT 256

typedef struct pk_ind_pack {
    pk_ind_rec *recs;
    size_t n, cap;
    uint8_t *vals;
    size_t vals_len, vals_cap;
    pk_indicator *metas;      /* value NULL, addr zero: the shared part */
    uint32_t nmetas, metas_cap;
    uint32_t *meta_slots;     /* open addressing over metas (index + 1) */
    uint32_t meta_mask;
    uint32_t recent[PK_PACK_RECENT];   /* metas index + 1, see meta_index() */
    pk_arena strings;         /* metadata strings */
} pk_ind_pack;

/* An indicator rebuilt from a pack: ind.value points into text for
 * addresses and networks, into the pack for everything else. */
#define PK_IND_TEXT_MAX 56
typedef struct pk_ind_view {
    pk_indicator ind;
    uint32_t item;            /* its index in the pack */
    char text[PK_IND_TEXT_MAX];
} pk_ind_view;

#define PK_PACK_MAX_ITEMS 0x7ffffff0u
#define PK_PACK_MAX_VALS  0xfffffff0u

void pk_ind_pack_init(pk_ind_pack *p);
void pk_ind_pack_free(pk_ind_pack *p);
/* Makes room for `more` indicators (a loader calls it with a line count). */
bool pk_ind_pack_reserve(pk_ind_pack *p, size_t more);
/* Adds a copy of ind. Addresses not yet parsed (family 0) are parsed from
 * the value and values not yet normalised are normalised. 1 = added,
 * 0 = the value is invalid for its type (not added), -1 = out of memory or
 * the pack is full. */
int pk_ind_pack_add(pk_ind_pack *p, const pk_indicator *ind);
/* Shrinks the arrays to their contents (after the last add). */
void pk_ind_pack_trim(pk_ind_pack *p);
/* Bytes held (records, values, metadata, strings). */
size_t pk_ind_pack_bytes(const pk_ind_pack *p);

/* The shared part of item i (type, family, prefix_len, scope, metadata). */
static inline const pk_indicator *pk_ind_pack_meta(const pk_ind_pack *p,
                                                   size_t i) {
    return &p->metas[p->recs[i].meta];
}

/* Item i's value bytes: 4/16 address bytes, or NUL-terminated text. */
static inline const uint8_t *pk_ind_pack_value(const pk_ind_pack *p, size_t i) {
    return p->vals + p->recs[i].value;
}

/* Rebuilds item i into *v; returns &v->ind. */
const pk_indicator *pk_ind_pack_get(const pk_ind_pack *p, size_t i,
                                    pk_ind_view *v);

#endif
