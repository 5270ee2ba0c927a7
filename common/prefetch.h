/* prefetch.h - a cache prefetch the optimiser must keep.
 *
 * Why it exists: the packet path hides cache misses by prefetching table
 * slots several packets ahead, often from small functions that do nothing
 * else (pk_flow_prefetch_slot, pk_istore_prefetch_addr). GCC treats
 * __builtin_prefetch as free of side effects, so with link-time
 * optimisation it judged such a function "const" and deleted its calls:
 * the store's address prefetches vanished and the full indicator set ran
 * 9% slower with LTO than without. The empty volatile asm that consumes the
 * address is a side effect the optimiser has to keep, and it costs no
 * instruction.
 */
#ifndef PICKET_PREFETCH_H
#define PICKET_PREFETCH_H

/* Read prefetch of the line holding p. */
static inline void pk_prefetch(const void *p) {
    __builtin_prefetch(p);
    __asm__ volatile("" : : "r"(p));
}

/* Prefetch of the line holding p, which is about to be written. */
static inline void pk_prefetch_w(const void *p) {
    __builtin_prefetch(p, 1);
    __asm__ volatile("" : : "r"(p));
}

#endif
