/* reload.h - SIGHUP: rebuild the indicator store off the capture thread.
 *
 * Why it exists: re-reading a million indicators takes far longer than a
 * packet, and capture must never pause. A worker thread loads the files and
 * builds a new store, swaps it in with one pointer exchange, waits until the
 * capture thread has passed a packet boundary, then frees the old store. A
 * failed reload keeps the old set and says why.
 */
#ifndef PICKET_RELOAD_H
#define PICKET_RELOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "sensor.h"

typedef struct pk_reloader {
    pk_sensor *sensor;
    const char *const *paths;
    int npaths;
    pthread_t thread;
    atomic_bool busy;      /* a reload is running */
    bool joinable;
    atomic_uint done, failed;   /* counters */
} pk_reloader;

void pk_reloader_init(pk_reloader *r, pk_sensor *s, const char *const *paths, int n);
/* Starts a reload unless one is running (then the request is coalesced). */
void pk_reloader_request(pk_reloader *r);
/* Waits for a running reload to finish. */
void pk_reloader_finish(pk_reloader *r);

#endif
