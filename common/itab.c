/* itab.c - building the store's open-addressing tables (see itab.h).
 *
 * Why it exists: insertion runs once per indicator while a store is built,
 * off the packet path; keeping it apart from the inline probe in itab.h
 * keeps the lookup side small.
 */
#include "itab.h"

#include <stdlib.h>

#include "bigalloc.h"

int pk_itab_init(pk_itab *t, size_t n) {
    t->n = 0;
    t->cap = 0;
    t->slots = NULL;
    if (n == 0)
        return 0;
    if (n > PK_ITAB_MAX_ITEMS / 2)
        return -1;
    size_t cap = n + n / 2 + 1;   /* load factor <= 2/3 */
    t->slots = pk_big_alloc(cap * sizeof *t->slots);
    if (!t->slots)
        return -1;
    for (size_t i = 0; i < cap; i++)
        t->slots[i] = (pk_islot){0, PK_ITAB_EMPTY};
    t->cap = (uint32_t)cap;
    return 0;
}

void pk_itab_free(pk_itab *t) {
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = 0;
}

size_t pk_itab_bytes(const pk_itab *t) {
    return (size_t)t->cap * sizeof(pk_islot);
}

pk_islot *pk_itab_insert(pk_itab *t, uint32_t key, uint32_t hash,
                         uint32_t item, pk_itab_eq eq, const void *ctx,
                         bool *found) {
    *found = false;
    if (t->cap == 0 || t->n >= t->cap - 1)
        return NULL;
    uint32_t i = pk_itab_first(t, hash);
    for (;;) {
        pk_islot *sl = &t->slots[i];
        if (sl->ref == PK_ITAB_EMPTY) {
            *sl = (pk_islot){key, item};
            t->n++;
            return sl;
        }
        if (sl->key == key && (!eq || eq(ctx, sl->ref, item))) {
            *found = true;
            return sl;
        }
        i = i + 1 == t->cap ? 0 : i + 1;
    }
}
