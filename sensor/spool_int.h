/* spool_int.h - what spool.c (open, state, writer) and spool_read.c
 * (records, reader) share.
 *
 * Why it exists: the spool is one object split over two files to keep each
 * short; nothing outside the spool includes this header.
 *
 * Record on disk (all integers big-endian):
 *   magic "PKS1" (4) | json length (4) | seq (8) | crc (4) | json bytes
 * crc = CRC-32 over seq, length and json. The magic lets a reader find the
 * next good record after a damaged one.
 */
#ifndef PICKET_SPOOL_INT_H
#define PICKET_SPOOL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "log.h"
#include "spool.h"

#define PK_REC_MAGIC 0x504b5331u        /* "PKS1" */
#define PK_REC_HDR 20u

/* One segment file. For the writer's (newest) segment, bytes/records/seqs
 * in the list are stale; the live numbers are the writer's and the atomics. */
typedef struct pk_seg {
    uint64_t id;
    uint64_t bytes;              /* file length */
    uint64_t records;
    uint64_t first_seq, last_seq; /* 0 when the segment holds no record */
} pk_seg;

typedef struct pk_recbuf {
    uint8_t *p;
    size_t cap;
} pk_recbuf;

/* Walks the records of one open segment file between off and end. */
typedef struct pk_rec_iter {
    int fd;
    uint64_t off, end;
    pk_recbuf *rb;
    uint64_t corrupt;            /* damaged regions skipped */
    uint64_t corrupt_off;        /* start of the last damaged region */
} pk_rec_iter;

typedef struct pk_rec {
    uint64_t seq, off, next;     /* record start and the offset after it */
    const char *json;
    uint32_t len;
} pk_rec;

struct pk_spool {
    char *dir;
    int dirfd, lockfd;
    uint64_t max_bytes;
    uint32_t seg_bytes;
    uint64_t next_seq;

    /* Guards the list. The writer only appends to it (trylock); the reader
     * only removes from its front and never removes the newest entry. */
    pthread_mutex_t mu;
    pk_seg *segs;
    size_t nsegs, segcap;
    _Atomic uint64_t bytes_done, records_done;  /* finished segments */

    /* writer (capture thread) only */
    int wfd;
    pk_seg w;
    int64_t rotate_retry_ms;
    pk_ratelimit write_rl;

    /* published by the writer */
    _Atomic uint64_t cur_len, cur_records, last_seq;

    /* reader (uplink thread) only */
    int rfd, sfd;
    uint64_t rfd_id, sfd_id;
    uint64_t synced_id, synced_len;
    uint64_t hw_seg, hw_off;     /* damage before here is already counted */
    pk_recbuf rb;
    pk_seg *snap;
    size_t snapcap;
    uint64_t state_acked, state_last;
    int64_t state_ms;
    pk_ratelimit drop_rl, io_rl;

    _Atomic uint64_t acked;
    _Atomic uint64_t dropped, corrupt, write_errors, fsync_errors;
};

/* spool_read.c */
void pk_rec_iter_init(pk_rec_iter *it, int fd, uint64_t off, uint64_t end,
                      pk_recbuf *rb);
bool pk_rec_next(pk_rec_iter *it, pk_rec *r);
void pk_recbuf_free(pk_recbuf *rb);
int pk_seg_open(const pk_spool *sp, uint64_t id, int flags);
void pk_seg_name(uint64_t id, char *buf, size_t n);

/* spool.c */
int pk_spool_state_write(pk_spool *sp, uint64_t acked, uint64_t last);
uint64_t pk_spool_known_last(const pk_spool *sp);

#endif
