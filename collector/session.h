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

/* Handles one validated message. Returns false when c must not take
 * further frames now (its hello awaits the applied lookup, or it is
 * closing); whether Redis can take more is the caller's check. */
bool pk_session_message(pk_conn *c, pk_wire_type type, json_t *root);

/* An alerts frame of a welcomed sensor, read without a JSON tree (see
 * alerts_scan.h). Returns -1 when the frame is not one the fast path
 * takes (pk_wire_parse and pk_session_message then handle it), else what
 * pk_session_message would. */
int pk_session_frame_fast(pk_conn *c, const char *payload, size_t len);

/* Redis answered the applied lookup: send the welcome. */
void pk_session_welcome(pk_conn *c, long long applied);

/* Redis applied a batch: count and publish it (whether or not its
 * connection is still there). */
void pk_session_applied(pk_collector *coll, const pk_batch *b, const pk_apply_result *res);

/* Every batch of c up to seq is applied: ack it and take further frames. */
void pk_session_acked(pk_conn *c, long long seq);

/* Redis refused a request: tell the sensor and close (it will retry). */
void pk_session_redis_error(pk_conn *c, const char *why);

#endif
