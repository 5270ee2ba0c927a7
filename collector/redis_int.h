/* redis_int.h - internals shared by redis_link.c (the connection) and
 * redis_apply.c (the requests).
 *
 * Why it exists: keeping the connection lifecycle (connect, AUTH, SCRIPT
 * LOAD, backoff, watchdog) apart from request handling (queueing, EVALSHA,
 * reply checks) keeps each file about one thing; both need the same state.
 */
#ifndef PICKET_COLL_REDIS_INT_H
#define PICKET_COLL_REDIS_INT_H

#include <hiredis/async.h>

#include "redis_apply.h"

#define PK_REDIS_TIMEOUT_MS 10000     /* no reply for this long: reconnect */
#define PK_REDIS_BACKOFF_MIN_MS 100
#define PK_REDIS_BACKOFF_MAX_MS 5000
#define PK_REDIS_MAX_RELOADS 3        /* NOSCRIPT retries per request */

typedef enum pk_op_kind { PK_OP_APPLIED = 0, PK_OP_BATCH } pk_op_kind;

struct pk_redis_op {
    pk_op_kind kind;
    struct pk_conn *conn;      /* NULL once the connection is gone */
    pk_redis *redis;
    pk_batch *batch;           /* PK_OP_BATCH, until applied */
    pk_redis_op *next;         /* in the wait queue */
    pk_redis_op *conn_next;    /* in the connection's list, oldest first */
    bool parked;               /* in the wait queue now */
    bool done;                 /* applied; its ack waits for older batches */
    long long max_seq;         /* of the batch */
    size_t bytes;              /* counted in pk_redis.held_bytes */
    int64_t sent_us;
    int reloads;
};

struct pk_redis {
    pk_collector *coll;
    redisAsyncContext *ac;     /* NULL while disconnected */
    bool ready;                /* connected, authenticated, script loaded */
    bool loading;              /* SCRIPT LOAD in flight */
    bool stopping;
    char sha[41];
    char applied_key[128];
    struct event *retry_ev;
    int64_t backoff_ms;
    int64_t attempt_ms;        /* when the current connection attempt began */
    uint64_t rng;
    pk_redis_op *wait_head, *wait_tail;
    uint32_t nwait;
    uint32_t inflight;         /* requests sent, reply pending */
    int64_t progress_ms;       /* last reply (or first send after idle) */
    size_t held_bytes;         /* batches submitted and not yet applied */
    bool blocked;              /* a connection waits for held_bytes to drop */
};

/* redis_apply.c */
void pk_redis_flush(pk_redis *r);                 /* send parked requests */
void pk_redis_park(pk_redis *r, pk_redis_op *op); /* or drop if orphaned */
void pk_redis_op_free(pk_redis_op *op);

/* redis_link.c */
void pk_redis_load_script(pk_redis *r);
void pk_redis_lost(pk_redis *r, const char *why);
int64_t pk_mono_us(void);

#endif
