/* reload.h - rebuild the indicator store off the capture thread: on SIGHUP
 * and whenever the collector pushed a new set.
 *
 * Why it exists: re-reading a million indicators takes far longer than a
 * packet, and capture must never pause. A worker thread loads the -I files
 * and the pushed set persisted in the spool (indset.h), builds a new store,
 * swaps it in with one pointer exchange, waits until the capture thread has
 * passed a packet boundary, then frees the old store. A failed reload keeps
 * the old set and says why. Requests that arrive while one runs are merged
 * into one more run after it, so a pushed set is never left unapplied.
 */
#ifndef PICKET_RELOAD_H
#define PICKET_RELOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ind_push.h"
#include "sensor.h"

typedef struct pk_reloader {
    pk_sensor *sensor;
    const char *const *paths;
    int npaths;
    const char *pushed_dir;     /* spool directory, NULL without a collector */
    pthread_t thread;
    atomic_bool busy;           /* a worker thread is running */
    atomic_bool again;          /* a request it has not served yet */
    bool joinable;
    _Atomic int64_t pushed_ms;  /* when the newest pushed set arrived */
    char last_pushed[PK_PUSH_VERSION_LEN + 1];   /* worker threads only */
    atomic_uint done, failed;   /* counters */
    atomic_uint pushed_rejected;   /* loads that refused a damaged pushed set */
} pk_reloader;

void pk_reloader_init(pk_reloader *r, pk_sensor *s, const char *const *paths, int n);
/* Reloads also take the pushed set in dir; loaded: the version already in
 * the store ("" or NULL when none). Call before any request. */
void pk_reloader_set_pushed(pk_reloader *r, const char *dir, const char *loaded);
/* Starts a reload, or has the running one go once more. */
void pk_reloader_request(pk_reloader *r);
/* A new pushed set is on disk (received_ms: pk_now_ms() of its arrival). */
void pk_reloader_request_push(pk_reloader *r, int64_t received_ms);
/* Waits for a running reload to finish. */
void pk_reloader_finish(pk_reloader *r);

#endif
