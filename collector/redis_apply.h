/* redis_apply.h - the collector's one Redis connection and what it runs.
 *
 * Why it exists: Redis is the only state that survives a collector
 * restart, and nothing is acknowledged to a sensor that Redis has not
 * applied. This module keeps one hiredis async connection on the loop's
 * event_base, loads the apply script (SCRIPT LOAD at connect, EVALSHA per
 * batch, reload on NOSCRIPT), reconnects with backoff, and parks requests
 * while Redis is away so they resume, in order, when it returns.
 */
#ifndef PICKET_COLL_REDIS_APPLY_H
#define PICKET_COLL_REDIS_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "collector.h"

struct pk_conn;
typedef struct pk_redis pk_redis;

extern const char pk_apply_lua[];   /* apply_lua.c */

/* One alert's fate in the script. */
enum { PK_APPLY_RETRANSMITTED = 0, PK_APPLY_UNIQUE = 1, PK_APPLY_DUPLICATE = 2 };

/* What the script returned for one batch; the texts point into the reply
 * and are valid only during pk_session_applied(). */
typedef struct pk_apply_result {
    long long unique, duplicate, retransmitted, sightings;
    size_t nstatus;
    const unsigned char *status;    /* per alert passed to the script */
    size_t nsight;
    const char **sight_json;        /* sighting JSON texts */
    const size_t *sight_len;
} pk_apply_result;

/* A request on behalf of one connection (the connection may go away
 * while it is in flight: then conn is NULL and no reply is sent). */
typedef struct pk_redis_op pk_redis_op;

/* Pipelining bounds. Replies come back in the order requests were sent on
 * the one Redis connection, and Redis runs scripts one at a time, so a
 * connection may have several batches in flight; their acks still go out
 * in order and only once each batch and every older one are applied. A
 * connection may always have one request outstanding; beyond that it
 * takes another frame only while it has fewer than PK_CONN_MAX_BATCHES
 * and all connections together hold less than PK_REDIS_BUDGET_BYTES of
 * batches (frames wait in the input buffer meanwhile). */
#define PK_CONN_MAX_BATCHES 16
#define PK_REDIS_BUDGET_BYTES ((size_t)64 << 20)

typedef enum pk_take {
    PK_TAKE_YES = 0,
    PK_TAKE_CONN_FULL,      /* this connection's own replies will resume it */
    PK_TAKE_BUDGET,         /* pk_conns_unblock() resumes it */
} pk_take;

pk_redis *pk_redis_new(pk_collector *coll);   /* starts connecting */
void pk_redis_free(pk_redis *r);

bool pk_redis_ready(const pk_redis *r);
uint32_t pk_redis_waiting(const pk_redis *r);

/* Looks up the sensor's applied sequence for the welcome. */
bool pk_redis_lookup_applied(pk_redis *r, struct pk_conn *c);

/* Applies a batch (takes ownership of b). */
bool pk_redis_apply(pk_redis *r, struct pk_conn *c, pk_batch *b);

/* May c hand over another request now? */
pk_take pk_redis_can_take(pk_redis *r, const struct pk_conn *c);

/* The connection is closing: its parked requests are dropped, those in
 * flight complete without it. */
void pk_redis_detach_all(struct pk_conn *c);

/* Once a second: a Redis that stopped answering is dropped and retried. */
void pk_redis_tick(pk_redis *r, int64_t now_ms);

#endif
