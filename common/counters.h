/* counters.h - one way for every module to report its counters.
 *
 * Why it exists: each decoder and parser keeps its own counters (decoded,
 * malformed by reason). --stats, the stats message and /metrics all want the
 * same list, so modules expose them through one visitor instead of each
 * printer knowing every struct.
 */
#ifndef PICKET_COUNTERS_H
#define PICKET_COUNTERS_H

#include <stdint.h>

/* name is "module.counter" (e.g. "dns.malformed.compression_loop"). */
typedef void (*pk_counter_cb)(void *ctx, const char *name, uint64_t value);

#endif
