/* dist.h - the collector distributes the coalition's indicator set.
 *
 * Why it exists: partners share indicators through the collector, and each
 * sensor must match what its partner may receive, no more (ind_push.h has
 * the rule). The collector loads its --indicators files (the sensor's
 * formats and loaders, a load report on stderr), reloads them on SIGHUP
 * and when one changes (looked at once a second), and pushes each sensor
 * its partner's share right after welcome and again whenever that share
 * changes. A partner's share is built once per version and then written to
 * all its sensors, paced so a large set never crowds out acks.
 */
#ifndef PICKET_COLL_DIST_H
#define PICKET_COLL_DIST_H

#include <stdbool.h>

#include "collector.h"
#include "conn.h"

typedef struct pk_dist pk_dist;
struct evbuffer;

/* Loads the files now (exit-worthy failure: NULL, logged naming the file)
 * and starts watching them. */
pk_dist *pk_dist_new(pk_collector *coll);
/* Joins a running load; frees every set and view. NULL is fine. */
void pk_dist_free(pk_dist *d);

/* SIGHUP: load the files again on a worker thread (a failure keeps the set
 * in force and says why). */
void pk_dist_reload(pk_dist *d);

/* c was just welcomed: queue its partner's share of the set. */
void pk_dist_welcomed(pk_dist *d, pk_conn *c);

/* Appends the distributor's counters to a /metrics page (nothing when d
 * is NULL): picket_collector_dist_{sets_loaded,reloads_failed,
 * shares_sent,frames_sent,bytes_sent,indicators_left_out}_total. */
void pk_dist_metrics(const pk_dist *d, struct evbuffer *out);

#endif
