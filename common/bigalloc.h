/* bigalloc.h - allocation of the large arrays an indicator set needs.
 *
 * Why it exists: a million indicators mean arrays of a hundred megabytes;
 * touching them page by page costs more than parsing the file (every 4 KiB
 * page is a fault). Large blocks are 2 MiB aligned and advised as huge
 * pages, which cuts the faults by 512x where the kernel allows it. Blocks
 * come from the C allocator, so free() and realloc() work on them.
 */
#ifndef PICKET_BIGALLOC_H
#define PICKET_BIGALLOC_H

#include <stddef.h>

/* n bytes, uninitialised; NULL when out of memory. */
void *pk_big_alloc(size_t n);
/* Like realloc(), for blocks from pk_big_alloc() or malloc(). */
void *pk_big_realloc(void *p, size_t old_n, size_t n);

#endif
