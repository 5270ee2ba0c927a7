/* session.h - what sensor messages mean: hello/welcome, alerts/ack, stats.
 *
 * Why it exists: listener.c only frames and validates bytes; this is where
 * a sensor becomes a session (its hello must match its certificate, one
 * live connection per sensor id, a newer one replacing the older), where a
 * batch goes to Redis, and where an ack is sent only after Redis applied it.
 */
#ifndef PICKET_COLL_SESSION_H
#define PICKET_COLL_SESSION_H

#include <stdbool.h>

#include <jansson.h>

#include "batch.h"
#include "conn.h"
#include "redis_apply.h"
#include "wire.h"

/* Handles one validated message. Returns false when c stopped taking
 * frames (paused for Redis, or closing). */
bool pk_session_message(pk_conn *c, pk_wire_type type, json_t *root);

/* Redis answered the applied lookup: send the welcome. */
void pk_session_welcome(pk_conn *c, long long applied);

/* Redis applied a batch: count, publish, and ack it (c may be NULL when
 * the connection went away meanwhile: then nothing is acked). */
void pk_session_applied(pk_collector *coll, pk_conn *c, const pk_batch *b,
                        const pk_apply_result *res);

/* Redis refused a request: tell the sensor and close (it will retry). */
void pk_session_redis_error(pk_conn *c, const char *why);

#endif
