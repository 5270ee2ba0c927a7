/* reload.c - indicator store hot reload (see reload.h). */
#include "reload.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "indset.h"
#include "log.h"

static void wait_quiescent(pk_sensor *s, unsigned gen) {
    /* The capture thread marks a quiescent point after every packet and on
     * every idle timeout (100 ms), so this wait is short and bounded. */
    while (!pk_sensor_quiesced(s, gen)) {
        struct timespec d = {0, 1000000};
        nanosleep(&d, NULL);
    }
}

/* One line per store put in force; a new pushed set names its version,
 * its size and how long it took from its arrival to being in force. */
static void log_applied(pk_reloader *r, const pk_istore *fresh, const pk_indset_info *info,
                        int64_t t0) {
    int64_t now = pk_now_ms(), since = atomic_load(&r->pushed_ms);
    if (info->pushed_version[0] && strcmp(info->pushed_version, r->last_pushed) != 0) {
        pk_log(PK_LOG_INFO, "applied pushed indicator set %s: %zu indicators; store set %s "
               "with the local files: %zu indicators; took %lld ms", info->pushed_version,
               info->pushed_count, pk_istore_version(fresh), pk_istore_count(fresh),
               (long long)(now - (since && since < t0 ? since : t0)));
        memcpy(r->last_pushed, info->pushed_version, sizeof r->last_pushed);
        return;
    }
    pk_log(PK_LOG_INFO, "reloaded %zu indicators (set %s) in %lld ms",
           pk_istore_count(fresh), pk_istore_version(fresh), (long long)(now - t0));
}

static void reload_once(pk_reloader *r) {
    int64_t t0 = pk_now_ms();
    char err[512];
    pk_indset_info info;
    pk_istore *fresh = pk_indset_load(r->paths, r->npaths, r->pushed_dir, stderr, &info,
                                      err, sizeof err);
    if (info.pushed_rejected) atomic_fetch_add(&r->pushed_rejected, 1);
    if (!fresh) {
        pk_log(PK_LOG_ERR, "reload failed, keeping the indicator set in force: %s", err);
        atomic_fetch_add(&r->failed, 1);
        return;
    }
    pk_istore *old = pk_sensor_swap_store(r->sensor, fresh);
    unsigned gen = atomic_load(&r->sensor->store_gen);
    log_applied(r, fresh, &info, t0);
    wait_quiescent(r->sensor, gen);
    pk_istore_free(old);
    atomic_fetch_add(&r->done, 1);
}

/* Serves requests until none is left. A request made after the last check
 * either finds busy cleared (and starts a thread) or is taken here. */
static void *reload_main(void *arg) {
    pk_reloader *r = arg;
    do {
        while (atomic_exchange(&r->again, false)) reload_once(r);
        atomic_store(&r->busy, false);
    } while (atomic_load(&r->again) && !atomic_exchange(&r->busy, true));
    return NULL;
}

void pk_reloader_init(pk_reloader *r, pk_sensor *s, const char *const *paths, int n) {
    r->sensor = s;
    r->paths = paths;
    r->npaths = n;
    r->pushed_dir = NULL;
    r->joinable = false;
    r->last_pushed[0] = '\0';
    atomic_init(&r->busy, false);
    atomic_init(&r->again, false);
    atomic_init(&r->pushed_ms, 0);
    atomic_init(&r->done, 0);
    atomic_init(&r->failed, 0);
    atomic_init(&r->pushed_rejected, 0);
}

void pk_reloader_set_pushed(pk_reloader *r, const char *dir, const char *loaded) {
    r->pushed_dir = dir;
    snprintf(r->last_pushed, sizeof r->last_pushed, "%s", loaded ? loaded : "");
}

void pk_reloader_request(pk_reloader *r) {
    atomic_store(&r->again, true);
    if (atomic_exchange(&r->busy, true)) {
        pk_log(PK_LOG_INFO, "reload already running; it will run once more");
        return;
    }
    if (r->joinable) pthread_join(r->thread, NULL);
    r->joinable = pthread_create(&r->thread, NULL, reload_main, r) == 0;
    if (!r->joinable) {
        pk_log(PK_LOG_ERR, "reload: cannot start a thread");
        atomic_store(&r->again, false);
        atomic_store(&r->busy, false);
    }
}

void pk_reloader_request_push(pk_reloader *r, int64_t received_ms) {
    atomic_store(&r->pushed_ms, received_ms);
    pk_reloader_request(r);
}

void pk_reloader_finish(pk_reloader *r) {
    if (r->joinable) pthread_join(r->thread, NULL);
    r->joinable = false;
}
