/* reload.c - indicator store hot reload (see reload.h). */
#include "reload.h"

#include <stdio.h>
#include <time.h>

#include "istore_files.h"
#include "log.h"

static void wait_quiescent(pk_sensor *s, unsigned gen) {
    /* The capture thread marks a quiescent point after every packet and on
     * every idle timeout (100 ms), so this wait is short and bounded. */
    while (!pk_sensor_quiesced(s, gen)) {
        struct timespec d = {0, 1000000};
        nanosleep(&d, NULL);
    }
}

static void *reload_main(void *arg) {
    pk_reloader *r = arg;
    int64_t t0 = pk_now_ms();
    char err[512];
    pk_istore *fresh = pk_istore_load_files(r->paths, r->npaths, stderr, err, sizeof err);
    if (!fresh) {
        pk_log(PK_LOG_ERR, "reload failed, keeping the indicator set in force: %s", err);
        atomic_fetch_add(&r->failed, 1);
        atomic_store(&r->busy, false);
        return NULL;
    }
    pk_istore *old = pk_sensor_swap_store(r->sensor, fresh);
    unsigned gen = atomic_load(&r->sensor->store_gen);
    wait_quiescent(r->sensor, gen);
    pk_istore_free(old);
    pk_log(PK_LOG_INFO, "reloaded %zu indicators (set %s) in %lld ms",
           pk_istore_count(fresh), pk_istore_version(fresh),
           (long long)(pk_now_ms() - t0));
    atomic_fetch_add(&r->done, 1);
    atomic_store(&r->busy, false);
    return NULL;
}

void pk_reloader_init(pk_reloader *r, pk_sensor *s, const char *const *paths, int n) {
    r->sensor = s;
    r->paths = paths;
    r->npaths = n;
    r->joinable = false;
    atomic_init(&r->busy, false);
    atomic_init(&r->done, 0);
    atomic_init(&r->failed, 0);
}

void pk_reloader_request(pk_reloader *r) {
    if (atomic_exchange(&r->busy, true)) {
        pk_log(PK_LOG_INFO, "reload already running; request merged into it");
        return;
    }
    if (r->joinable) pthread_join(r->thread, NULL);
    r->joinable = pthread_create(&r->thread, NULL, reload_main, r) == 0;
    if (!r->joinable) {
        pk_log(PK_LOG_ERR, "reload: cannot start a thread");
        atomic_store(&r->busy, false);
    }
}

void pk_reloader_finish(pk_reloader *r) {
    if (r->joinable) pthread_join(r->thread, NULL);
    r->joinable = false;
}
