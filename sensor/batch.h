/* batch.h - captured frames gathered for the packet path to take together.
 *
 * Why it exists: libpcap hands over one frame at a time and reuses its
 * buffer for the next, while the packet path is fastest when it sees a few
 * frames ahead: it decodes them and prefetches their flow table entries, so
 * the cache misses of several lookups overlap instead of each stalling the
 * core in turn. A batch copies frames (bytes and header) into one arena;
 * the capture loop hands it to pk_sensor_batch() when it is full, after
 * every pcap_dispatch() call and before any wait, so no frame waits longer
 * than libpcap's own batching made it wait.
 */
#ifndef PICKET_BATCH_H
#define PICKET_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PK_BATCH_FRAMES 256
#define PK_BATCH_BYTES (1024 * 1024)   /* > libpcap's largest snaplen (256 KiB) */

typedef struct pk_frame {
    const uint8_t *data;
    uint32_t caplen, wire_len;
    int64_t ts_usec;
} pk_frame;

typedef struct pk_batch {
    pk_frame frames[PK_BATCH_FRAMES];
    uint32_t n;
    size_t used;              /* bytes of the arena in use */
    uint8_t *arena;           /* PK_BATCH_BYTES */
} pk_batch;

/* Returns 0, or -1 when out of memory. */
int pk_batch_init(pk_batch *b);
void pk_batch_free(pk_batch *b);

/* Copies one frame in; false when it does not fit (hand the batch over and
 * add it again: an empty batch takes any frame up to PK_BATCH_BYTES). */
bool pk_batch_add(pk_batch *b, const uint8_t *data, uint32_t caplen,
                  uint32_t wire_len, int64_t ts_usec);

static inline bool pk_batch_full(const pk_batch *b) { return b->n == PK_BATCH_FRAMES; }

/* Forgets the frames (after the packet path took them). */
static inline void pk_batch_clear(pk_batch *b) {
    b->n = 0;
    b->used = 0;
}

#endif
