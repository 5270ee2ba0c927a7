/* istore_build.c - builds the immutable indicator store from a list.
 *
 * Why it exists: building is the only time the store changes. It runs off
 * the capture thread: it takes a pack of indicators (ind_pack.c: parsed,
 * normalised, 8 bytes each plus the value), sizes every table once, inserts
 * item indices, folds indicators that share a value (several feeds) into
 * runs kept in list order, and computes the content version. After that
 * the store is only read.
 */
#include "istore_int.h"

#include <stdlib.h>

typedef struct builder {
    pk_istore *s;
    uint32_t *next;           /* chain of items sharing a key, or NULL */
    uint32_t *tail;
    size_t runs_cap;
} builder;

/* ---- sizing ------------------------------------------------------------------- */

#define NTABLES (3 + 33 + 129)

/* Tables in one numbering: v4, v6, strings, cidr4[0..32], cidr6[0..128]. */
static size_t table_index(const pk_indicator *it) {   /* it: item's meta */
    switch (it->type) {
    case PK_IND_IPV4: return 0;
    case PK_IND_IPV6: return 1;
    case PK_IND_CIDR:
        return it->family == 4 ? 3 + (it->prefix_len <= 32 ? it->prefix_len : 32)
                               : 36 + (it->prefix_len <= 128 ? it->prefix_len : 128);
    default: return 2;
    }
}

static pk_itab *table_at(pk_istore *s, size_t k) {
    return k == 0 ? &s->v4 : k == 1 ? &s->v6 : k == 2 ? &s->strs
         : k < 36 ? &s->cidr4[k - 3] : &s->cidr6[k - 36];
}

static pk_itab *table_of(pk_istore *s, uint32_t i) {
    return table_at(s, table_index(pk_item_meta(s, i)));
}

static int size_tables(pk_istore *s) {
    size_t count[NTABLES] = {0};
    for (size_t i = 0; i < s->n; i++) {
        const pk_indicator *m = pk_item_meta(s, (uint32_t)i);
        count[table_index(m)]++;
        s->types |= 1u << m->type;
    }
    for (size_t k = 0; k < NTABLES; k++)
        if (pk_itab_init(table_at(s, k), count[k]) < 0)
            return -1;
    return 0;
}

/* ---- inserting ------------------------------------------------------------------ */

static bool eq_v6(const void *ctx, uint32_t a, uint32_t b) {
    const pk_istore *s = ctx;
    return memcmp(pk_item_text(s, a), pk_item_text(s, b), 16) == 0;
}

static bool eq_str(const void *ctx, uint32_t a, uint32_t b) {
    const pk_istore *s = ctx;
    return pk_str_class(pk_item_meta(s, a)->type) ==
               pk_str_class(pk_item_meta(s, b)->type) &&
           strcmp(pk_item_text(s, a), pk_item_text(s, b)) == 0;
}

static int chain(builder *b, uint32_t head, uint32_t item) {
    if (!b->next) {
        b->next = malloc(b->s->n * sizeof *b->next);
        b->tail = malloc(b->s->n * sizeof *b->tail);
        if (!b->next || !b->tail)
            return -1;
        memset(b->next, 0xff, b->s->n * sizeof *b->next);
    }
    uint32_t last = b->next[head] == PK_ITAB_EMPTY ? head : b->tail[head];
    b->next[last] = item;
    b->tail[head] = item;
    return 0;
}

static int index_item(builder *b, uint32_t i) {
    pk_istore *s = b->s;
    const pk_indicator *it = pk_item_meta(s, i);
    const uint8_t *val = (const uint8_t *)pk_item_text(s, i);
    pk_itab *t = table_of(s, i);
    uint32_t key, hash;
    pk_itab_eq eq = NULL;
    if (t == &s->v4 || (it->type == PK_IND_CIDR && it->family == 4)) {
        key = pk_be32(val);
        hash = pk_hash_u32(key);
    } else {
        uint64_t h = t == &s->strs
            ? pk_str_hash(pk_str_class(it->type), (const char *)val,
                          strlen((const char *)val))
            : pk_v6_hash(val, it->type == PK_IND_CIDR ? it->prefix_len : 128);
        key = (uint32_t)h;
        hash = (uint32_t)(h >> 32);
        eq = t == &s->strs ? eq_str : eq_v6;
    }
    bool found;
    pk_islot *sl = pk_itab_insert(t, key, hash, i, eq, s, &found);
    if (!sl)
        return -1;
    return found ? chain(b, sl->ref, i) : 0;
}

/* ---- runs of items sharing a key --------------------------------------------------- */

static int push_run(builder *b, pk_islot *sl) {
    pk_istore *s = b->s;
    size_t count = 0;
    for (uint32_t i = sl->ref; i != PK_ITAB_EMPTY; i = b->next[i])
        count++;
    if (s->nruns + count + 1 > b->runs_cap) {
        size_t cap = (s->nruns + count + 1) * 2;
        uint32_t *runs = realloc(s->runs, cap * sizeof *runs);
        if (!runs)
            return -1;
        s->runs = runs;
        b->runs_cap = cap;
    }
    if (s->nruns + count + 1 >= PK_ITAB_RUN)
        return -1;
    size_t off = s->nruns;
    s->runs[s->nruns++] = (uint32_t)count;
    for (uint32_t i = sl->ref; i != PK_ITAB_EMPTY; i = b->next[i])
        s->runs[s->nruns++] = i;
    sl->ref = PK_ITAB_RUN | (uint32_t)off;
    return 0;
}

static int fold_runs(builder *b, pk_itab *t) {
    for (uint32_t k = 0; b->next && k < t->cap; k++) {
        pk_islot *sl = &t->slots[k];
        if (sl->ref != PK_ITAB_EMPTY && b->next[sl->ref] != PK_ITAB_EMPTY &&
            push_run(b, sl) < 0)
            return -1;
    }
    return 0;
}

static int index_all(builder *b) {
    pk_istore *s = b->s;
    for (size_t i = 0; i < s->n; i++)
        if (index_item(b, (uint32_t)i) < 0)
            return -1;
    for (size_t k = 0; k < NTABLES; k++)
        if (fold_runs(b, table_at(s, k)) < 0)
            return -1;
    return 0;
}

/* Sets the prefix filters' bits for one network (see istore_int.h). */
static void note_filter(pk_istore *s, const pk_indicator *it, const uint8_t *net) {
    uint32_t top = pk_be32(net);
    int len = it->prefix_len;
    if (it->family == 4 && len >= 16)
        pk_bit_set(s->wide4, top >> 16);
    else if (it->family == 4 && len >= 8)
        for (uint32_t b = 0; b < 1u << (16 - len); b++)
            pk_bit_set(s->narrow4, (top >> 16) + b);
    else if (it->family == 6 && len >= 32)
        pk_bit_set(s->deep6, pk_deep6_bit(net));
    else if (it->family == 6 && len >= 16)
        pk_bit_set(s->wide6, top >> 16);
}

/* lens is sorted longest first: the first index holding a length < bound. */
static uint8_t first_below(const uint8_t *lens, uint8_t n, int bound) {
    uint8_t i = 0;
    while (i < n && lens[i] >= bound)
        i++;
    return i;
}

static void note_prefixes(pk_istore *s) {
    for (int l = 32; l >= 0; l--)
        if (s->cidr4[l].n)
            s->lens4[s->nlens4++] = (uint8_t)l;
    for (int l = 128; l >= 0; l--)
        if (s->cidr6[l].n)
            s->lens6[s->nlens6++] = (uint8_t)l;
    s->split4[0] = first_below(s->lens4, s->nlens4, 16);
    s->split4[1] = first_below(s->lens4, s->nlens4, 8);
    s->split6[0] = first_below(s->lens6, s->nlens6, 32);
    s->split6[1] = first_below(s->lens6, s->nlens6, 16);
    for (uint32_t i = 0; i < s->n; i++) {
        const pk_indicator *it = pk_item_meta(s, i);
        const char *v = pk_item_text(s, i);
        if (pk_str_class(it->type) == SC_NAME)
            s->name_labels |= 1u << pk_label_bit(v, strlen(v));
        if (it->type == PK_IND_CIDR)
            note_filter(s, it, (const uint8_t *)v);
    }
}

static void free_tables(pk_istore *s) {
    for (size_t k = 0; k < NTABLES; k++)
        pk_itab_free(table_at(s, k));
    free(s->runs);
}

static size_t memory_of(pk_istore *s) {
    size_t m = sizeof *s + pk_ind_pack_bytes(&s->pack) + s->nruns * sizeof *s->runs;
    for (size_t k = 0; k < NTABLES; k++)
        m += pk_itab_bytes(table_at(s, k));
    return m;
}

pk_istore *pk_istore_build_pack(pk_ind_pack *p) {
    if (!p || p->n >= PK_ITAB_MAX_ITEMS)
        return NULL;
    pk_istore *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pk_ind_pack_trim(p);
    s->pack = *p;
    s->n = p->n;
    builder b = {s, NULL, NULL, 0};
    int rc = size_tables(s) == 0 && index_all(&b) == 0 ? 0 : -1;
    free(b.next);
    free(b.tail);
    if (rc == 0)
        note_prefixes(s);
    if (rc != 0 || pk_istore_compute_version(s) < 0) {
        free_tables(s);
        free(s);
        return NULL;
    }
    if (s->runs && s->nruns < b.runs_cap) {
        uint32_t *r = realloc(s->runs, s->nruns * sizeof *r);
        s->runs = r ? r : s->runs;
    }
    pk_ind_pack_init(p);
    s->memory = memory_of(s);
    return s;
}

pk_istore *pk_istore_build(pk_ind_list *l) {
    if (!l)
        return NULL;
    pk_ind_pack p;
    pk_ind_pack_init(&p);
    if (!pk_ind_pack_reserve(&p, l->n)) {
        pk_ind_pack_free(&p);
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++)
        if (pk_ind_pack_add(&p, &l->items[i]) < 0) {
            pk_ind_pack_free(&p);
            return NULL;
        }
    pk_istore *s = pk_istore_build_pack(&p);
    if (!s) {
        pk_ind_pack_free(&p);
        return NULL;
    }
    pk_ind_list_free(l);
    return s;
}

void pk_istore_free(pk_istore *s) {
    if (!s)
        return;
    free_tables(s);
    pk_ind_pack_free(&s->pack);
    free(s);
}
