/* stream.h - in-order reassembly of the first bytes of each TCP direction.
 *
 * Why it exists: a ClientHello or an HTTP request may be split over several
 * segments, arrive out of order, or be retransmitted. Parsers want one
 * contiguous byte string. Most messages arrive in one segment and are parsed
 * straight from the packet; only a message left incomplete is copied into a
 * window buffer (PK_STREAM_WINDOW bytes) taken from a bounded pool.
 *
 * Overlap policy: the first copy of a byte wins (retransmitted or overlapping
 * data is never used to rewrite bytes already accepted).
 */
#ifndef PICKET_STREAM_H
#define PICKET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define PK_STREAM_WINDOW (16 * 1024)

typedef struct pk_stream {
    uint8_t *buf;           /* window buffer from the pool, or NULL */
    uint32_t next_seq;      /* sequence number of the next in-order byte */
    uint32_t skip;          /* in-order bytes still to skip (message bodies) */
    uint16_t buf_len;       /* contiguous unconsumed bytes in buf */
    uint16_t ooo_off, ooo_len;  /* one held out-of-order range, offset from buf */
    uint8_t seq_known;      /* next_seq is valid */
    uint8_t done;           /* parsers want no more of this direction */
    uint8_t app;            /* protocol chosen for this direction (app.h) */
    uint8_t app_msgs;       /* messages parsed so far */
} pk_stream;

typedef struct pk_stream_stats {
    uint64_t segments, in_order, out_of_order, retransmitted, buffered,
             window_full, pool_exhausted, ooo_dropped;
} pk_stream_stats;

typedef struct pk_stream_pool pk_stream_pool;

pk_stream_pool *pk_stream_pool_new(uint32_t max_buffers);
void pk_stream_pool_free(pk_stream_pool *p);

/* Called with the contiguous unconsumed bytes of a direction. Returns how
 * many bytes it consumed: 0 = needs more; more than len = also skip the
 * bytes that follow (a message body). Sets *done when it wants no more. */
typedef size_t (*pk_stream_consumer)(void *ctx, const uint8_t *data,
                                     size_t len, bool *done);

/* Feeds one segment of this direction. syn marks a SYN (its sequence number
 * is the ISN). */
void pk_stream_segment(pk_stream *s, pk_stream_pool *pool,
                       pk_stream_stats *st, uint32_t seq, bool syn,
                       const uint8_t *data, size_t len,
                       pk_stream_consumer consume, void *ctx);

/* Gives the direction's buffer back (flow end, or parsing done). */
void pk_stream_release(pk_stream *s, pk_stream_pool *pool);

void pk_stream_counters(const pk_stream_stats *st, pk_counter_cb cb, void *ctx);

#endif
