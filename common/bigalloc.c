/* bigalloc.c - huge-page friendly allocation (see bigalloc.h). */
#include "bigalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)
#define BIG_BLOCK (4u << 20)   /* smaller blocks use plain malloc */

void *pk_big_alloc(size_t n) {
    if (n < BIG_BLOCK)
        return malloc(n ? n : 1);
    size_t rounded = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    void *p = NULL;
    if (rounded < n || posix_memalign(&p, HUGE_PAGE, rounded) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

void *pk_big_realloc(void *p, size_t old_n, size_t n) {
    if (n < BIG_BLOCK)
        return realloc(p, n ? n : 1);
    void *q = pk_big_alloc(n);
    if (!q)
        return NULL;
    if (p)
        memcpy(q, p, old_n < n ? old_n : n);
    free(p);
    return q;
}
