/* spool.h - the sensor's disk spool: every alert, kept until the collector
 * has applied it.
 *
 * Why it exists: delivery is at least once. An alert is appended here before
 * it can be sent, and removed only after the collector acknowledged it, so a
 * collector outage, a sensor restart or a lost connection loses nothing
 * (within --spool-max). The spool also remembers the highest alert sequence
 * number ever used, so alert_ids never repeat across restarts.
 *
 * Layout of DIR (mode 0700):
 *   seg-<16 hex digits>.pks  append-only segments; ids increase
 *   state                    "acked N" and "last N", replaced via rename
 *   lock                     flock'd while a sensor owns the spool
 *
 * Threads: one writer (the capture thread) calls pk_spool_append(); one
 * reader (the uplink thread) calls everything marked "reader". They run
 * concurrently. The writer never waits: it takes the list lock only with
 * trylock (to rotate a segment) and never fsyncs; the reader fsyncs in
 * batches and only reads records it has fsynced (pk_spool_sync).
 */
#ifndef PICKET_SPOOL_H
#define PICKET_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define PK_SPOOL_DEFAULT_MAX_MB 256
#define PK_SPOOL_SEGMENT_BYTES (4u << 20)
/* Largest alert JSON a record holds: it must fit one wire frame. */
#define PK_SPOOL_MAX_RECORD ((1u << 20) - 4096)

typedef struct pk_spool pk_spool;

typedef struct pk_spool_config {
    const char *dir;            /* created (one level) if missing */
    uint64_t max_bytes;         /* --spool-max; 0 = default 256 MiB */
    uint32_t segment_bytes;     /* 0 = min(4 MiB, max_bytes / 4) */
} pk_spool_config;

/* Position of the reader in the spool. Zero-initialise, or pk_spool_rewind. */
typedef struct pk_spool_cursor {
    uint64_t seg, off;
} pk_spool_cursor;

/* Opens (or creates) the spool, scans every segment (torn or corrupt
 * records are skipped and counted) and starts a fresh segment for writing.
 * Returns NULL with err naming the path on failure. */
pk_spool *pk_spool_open(const pk_spool_config *cfg, char *err, size_t errlen);

/* Fsyncs what was written, persists the state, closes. NULL is fine. */
void pk_spool_close(pk_spool *sp);

/* The sequence number the next alert should get: greater than every seq in
 * the spool, the acked seq and the last seq recorded in the state file. */
uint64_t pk_spool_next_seq(const pk_spool *sp);

/* Writer: appends one record (a write(2) into the page cache, no fsync).
 * seq must exceed every seq appended before. Returns 0, or -1 when the
 * alert could not be spooled (counted as spool.write_errors, logged). */
int pk_spool_append(pk_spool *sp, uint64_t seq, const char *json, size_t len);

/* Highest seq appended so far (any thread). */
uint64_t pk_spool_last_seq(const pk_spool *sp);
/* Highest seq the collector acknowledged (any thread). */
uint64_t pk_spool_acked(const pk_spool *sp);

/* Reader: fsyncs everything appended so far and makes it readable. Also
 * enforces max_bytes by dropping the oldest segments (counted, logged).
 * Returns 0, or -1 if an fsync failed (logged; the data stays unreadable
 * until a later sync succeeds). */
int pk_spool_sync(pk_spool *sp);

/* Called once per record; return true to take it, false to stop before it
 * (the cursor then stays on that record). */
typedef bool (*pk_spool_rec_fn)(void *ctx, uint64_t seq, const char *json,
                                size_t len);

/* Reader: moves the cursor to the oldest record. */
void pk_spool_rewind(pk_spool *sp, pk_spool_cursor *cur);

/* Reader: hands fn the synced records after the cursor whose seq exceeds
 * after_seq, in order, until fn says stop or nothing readable is left.
 * Returns the number of records fn took. */
size_t pk_spool_read(pk_spool *sp, pk_spool_cursor *cur, uint64_t after_seq,
                     pk_spool_rec_fn fn, void *ctx);

/* Reader: every seq <= seq is applied. Persists the state (at most once a
 * second unless segments are to be deleted) and deletes every segment but
 * the newest whose records are all acked. */
void pk_spool_ack(pk_spool *sp, uint64_t seq);

/* Any thread: records in the spool with seq > after (scans at most the one
 * segment that straddles after). */
uint64_t pk_spool_count_after(pk_spool *sp, uint64_t after);

/* spool.bytes, spool.records, spool.dropped_alerts, spool.corrupt_records,
 * spool.write_errors, spool.fsync_errors. Any thread; approximate. */
void pk_spool_counters(const pk_spool *sp, pk_counter_cb cb, void *ctx);

/* The CRC-32 (IEEE) each record carries; exposed for the tests. */
uint32_t pk_spool_crc32(uint32_t crc, const void *data, size_t n);

#endif
