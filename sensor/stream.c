/* stream.c - first-bytes TCP reassembly (see stream.h for why and policy). */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

/* The pool owns every buffer it ever allocated (all[]), whether a stream
 * holds it or it is on the free list, and frees them all at the end. */
struct pk_stream_pool {
    uint32_t max_buffers, allocated, nfree;
    uint8_t **free_list;
    uint8_t **all;
};

pk_stream_pool *pk_stream_pool_new(uint32_t max_buffers) {
    pk_stream_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->max_buffers = max_buffers;
    p->free_list = calloc(max_buffers ? max_buffers : 1, sizeof *p->free_list);
    p->all = calloc(max_buffers ? max_buffers : 1, sizeof *p->all);
    if (!p->free_list || !p->all) {
        free(p->free_list);
        free(p->all);
        free(p);
        return NULL;
    }
    return p;
}

void pk_stream_pool_free(pk_stream_pool *p) {
    if (!p) return;
    for (uint32_t i = 0; i < p->allocated; i++) free(p->all[i]);
    free(p->free_list);
    free(p->all);
    free(p);
}

/* Buffers are allocated on first need and then recycled: no allocation on
 * the packet path once the pool has warmed up. */
static uint8_t *pool_get(pk_stream_pool *p) {
    if (p->nfree) return p->free_list[--p->nfree];
    if (p->allocated >= p->max_buffers) return NULL;
    uint8_t *b = malloc(PK_STREAM_WINDOW);
    if (b) p->all[p->allocated++] = b;
    return b;
}

void pk_stream_release(pk_stream *s, pk_stream_pool *pool) {
    if (s->buf) {
        pool->free_list[pool->nfree++] = s->buf;
        s->buf = NULL;
    }
    s->buf_len = 0;
    s->ooo_len = 0;
}

static void finish(pk_stream *s, pk_stream_pool *pool) {
    s->done = 1;
    pk_stream_release(s, pool);
}

/* Hands data to the consumer until it needs more; returns the bytes of
 * data left unconsumed (to be buffered), or 0 when done/all consumed. */
static size_t run_consumer(pk_stream *s, pk_stream_pool *pool,
                           const uint8_t *data, size_t len, size_t *offset,
                           pk_stream_consumer consume, void *ctx) {
    *offset = 0;
    while (*offset < len && !s->done) {
        bool done = false;
        size_t used = consume(ctx, data + *offset, len - *offset, &done);
        if (done) {
            finish(s, pool);
            return 0;
        }
        if (used == 0) break;
        if (used > len - *offset) {
            s->skip = (uint32_t)(used - (len - *offset));
            *offset = len;
            break;
        }
        *offset += used;
    }
    return s->done ? 0 : len - *offset;
}

/* Consumes bytes at the start of the buffer window and keeps the rest. */
static void drain_buffer(pk_stream *s, pk_stream_pool *pool,
                         pk_stream_stats *st, pk_stream_consumer consume,
                         void *ctx) {
    size_t off;
    size_t left = run_consumer(s, pool, s->buf, s->buf_len, &off, consume, ctx);
    if (s->done) return;
    if (left == 0) {
        s->buf_len = 0;
        if (!s->ooo_len) pk_stream_release(s, pool);
        return;
    }
    if (off) {
        memmove(s->buf, s->buf + off, left);
        if (s->ooo_len) s->ooo_off -= (uint16_t)off;
    } else if (left >= PK_STREAM_WINDOW) {
        st->window_full++;
        finish(s, pool);
        return;
    }
    s->buf_len = (uint16_t)left;
}

/* Appends in-order bytes to the window; false when it does not fit. */
static bool buffer_append(pk_stream *s, pk_stream_pool *pool,
                          pk_stream_stats *st, const uint8_t *data,
                          size_t len) {
    if (!s->buf) {
        s->buf = pool_get(pool);
        if (!s->buf) {
            st->pool_exhausted++;
            return false;
        }
    }
    size_t room = PK_STREAM_WINDOW - s->buf_len;
    if (len > room) len = room;
    memcpy(s->buf + s->buf_len, data, len);
    s->buf_len += (uint16_t)len;
    st->buffered += len;
    return true;
}

/* Holds a segment that arrived ahead of a gap, if it fits the window and
 * touches the one held range (or none is held). */
static void hold_out_of_order(pk_stream *s, pk_stream_pool *pool,
                              pk_stream_stats *st, uint32_t gap,
                              const uint8_t *data, size_t len) {
    st->out_of_order++;
    size_t off = (size_t)s->buf_len + gap;
    if (off + len > PK_STREAM_WINDOW || (!s->buf && !(s->buf = pool_get(pool)))) {
        st->ooo_dropped++;
        return;
    }
    size_t end = off + len, held_end = (size_t)s->ooo_off + s->ooo_len;
    if (s->ooo_len && (off > held_end || end < s->ooo_off)) {
        st->ooo_dropped++;
        return;
    }
    memcpy(s->buf + off, data, len);
    if (!s->ooo_len) {
        s->ooo_off = (uint16_t)off;
        s->ooo_len = (uint16_t)len;
        return;
    }
    size_t lo = off < s->ooo_off ? off : s->ooo_off;
    size_t hi = end > held_end ? end : held_end;
    s->ooo_off = (uint16_t)lo;
    s->ooo_len = (uint16_t)(hi - lo);
}

/* After in-order data grew, joins a held range that now touches it. */
static void join_held(pk_stream *s) {
    if (!s->ooo_len || s->ooo_off > s->buf_len) return;
    size_t held_end = (size_t)s->ooo_off + s->ooo_len;
    if (held_end > s->buf_len) {
        s->next_seq += (uint32_t)(held_end - s->buf_len);
        s->buf_len = (uint16_t)held_end;
    }
    s->ooo_len = 0;
}

/* Drops the bytes of a segment that precede next_seq (already accepted) and
 * the bytes still to be skipped. Returns false when nothing is left. */
static bool trim_segment(pk_stream *s, pk_stream_stats *st, uint32_t *seq,
                         const uint8_t **data, size_t *len) {
    int32_t behind = (int32_t)(s->next_seq - *seq);
    if (behind > 0) {
        st->retransmitted++;
        if ((size_t)behind >= *len) return false;
        *data += behind;
        *len -= (size_t)behind;
        *seq = s->next_seq;
    }
    return true;
}

static void consume_in_order(pk_stream *s, pk_stream_pool *pool,
                             pk_stream_stats *st, const uint8_t *data,
                             size_t len, pk_stream_consumer consume,
                             void *ctx) {
    s->next_seq += (uint32_t)len;
    if (s->skip) {
        size_t n = len < s->skip ? len : s->skip;
        s->skip -= (uint32_t)n;
        data += n;
        len -= n;
        if (!len) return;
    }
    if (s->buf_len == 0 && s->ooo_len == 0) {
        size_t off;
        size_t left = run_consumer(s, pool, data, len, &off, consume, ctx);
        if (left && !buffer_append(s, pool, st, data + off, left)) finish(s, pool);
        return;
    }
    if (!buffer_append(s, pool, st, data, len)) {
        finish(s, pool);
        return;
    }
    join_held(s);
    drain_buffer(s, pool, st, consume, ctx);
}

void pk_stream_segment(pk_stream *s, pk_stream_pool *pool,
                       pk_stream_stats *st, uint32_t seq, bool syn,
                       const uint8_t *data, size_t len,
                       pk_stream_consumer consume, void *ctx) {
    if (s->done) return;
    if (syn) {
        s->next_seq = seq + 1;
        s->seq_known = 1;
        seq += 1;
    }
    if (!len) return;
    st->segments++;
    if (!s->seq_known) {          /* picked up mid-stream: start here */
        s->next_seq = seq;
        s->seq_known = 1;
    }
    if (!trim_segment(s, st, &seq, &data, &len)) return;
    uint32_t gap = seq - s->next_seq;
    if (gap) {
        if (gap < PK_STREAM_WINDOW) hold_out_of_order(s, pool, st, gap, data, len);
        else st->ooo_dropped++;
        return;
    }
    st->in_order++;
    consume_in_order(s, pool, st, data, len, consume, ctx);
}

void pk_stream_counters(const pk_stream_stats *st, pk_counter_cb cb, void *ctx) {
    cb(ctx, "stream.segments", st->segments);
    cb(ctx, "stream.in_order", st->in_order);
    cb(ctx, "stream.out_of_order", st->out_of_order);
    cb(ctx, "stream.retransmitted", st->retransmitted);
    cb(ctx, "stream.bytes_buffered", st->buffered);
    cb(ctx, "stream.window_full", st->window_full);
    cb(ctx, "stream.pool_exhausted", st->pool_exhausted);
    cb(ctx, "stream.out_of_order_dropped", st->ooo_dropped);
}
