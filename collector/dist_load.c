/* dist_load.c - loading the collector's indicator files, on start-up
 * directly and afterwards on a worker thread, and noticing changes.
 *
 * Why it exists: the collector is one event loop that must keep acking
 * alerts; reading and serialising a large set takes long. A reload (SIGHUP,
 * or a file whose identity, size or modification time changed since the
 * last look, once a second) runs on a thread of its own; the loop learns
 * it finished through a pipe, joins it and puts the new set in force. A
 * request while one runs makes one more run after it. A failed load keeps
 * the set in force and says why. inotify on the files' directories (a file
 * closed after writing, or renamed into place) makes the look happen at
 * once; the once-a-second look remains for what inotify does not see.
 */
#include "dist_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "istore_files.h"
#include "log.h"

#define WATCH_MS 1000

/* ---- one load ------------------------------------------------------------------ */

void pk_dist_set_free(pk_dist_set *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nviews; i++) {
        pk_push_set_free(s->views[i]->set);
        free(s->views[i]);
    }
    free(s->views);
    pk_push_lines_free(&s->lines);
    pk_ind_list_free(&s->list);
    free(s);
}

pk_dist_set *pk_dist_set_load(const pk_coll_config *cfg, FILE *report, char *err,
                              size_t errlen) {
    pk_dist_set *s = calloc(1, sizeof *s);
    int64_t t0 = pk_now_ms();
    if (!s) {
        snprintf(err, errlen, "out of memory loading indicators");
        return NULL;
    }
    pk_ind_list_init(&s->list);
    if (pk_ind_list_load_files(&s->list, cfg->indicator_files, cfg->nindicator_files,
                               report, err, errlen) != 0) {
        pk_dist_set_free(s);
        return NULL;
    }
    int64_t t1 = pk_now_ms();
    if (pk_push_lines_build(&s->lines, &s->list) != 0) {
        snprintf(err, errlen, "out of memory serialising %zu indicators", s->list.n);
        pk_dist_set_free(s);
        return NULL;
    }
    s->load_ms = t1 - t0;
    s->serialise_ms = pk_now_ms() - t1;
    return s;
}

/* ---- the worker thread ------------------------------------------------------------ */

static void *load_main(void *arg) {
    pk_dist *d = arg;
    d->result = pk_dist_set_load(&d->coll->cfg, stderr, d->err, sizeof d->err);
    if (d->result) pk_dist_set_prepare(d->result, &d->want, pk_dist_frame_limit(d->coll));
    char one = 1;
    while (write(d->pipe_wr, &one, 1) < 0 && errno == EINTR) {
    }
    return NULL;
}

static void start_load(pk_dist *d) {
    sigset_t all, old;
    d->result = NULL;
    d->err[0] = '\0';
    pk_dist_connected_partners(d, &d->want);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&d->thread, NULL, load_main, d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pk_log(PK_LOG_ERR, "indicator reload: cannot start a thread: %s", strerror(rc));
        return;
    }
    d->loading = true;
}

static void request(pk_dist *d) {
    if (d->loading) d->again = true;
    else start_load(d);
}

static void on_done(evutil_socket_t fd, short what, void *arg) {
    pk_dist *d = arg;
    char buf[16];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    if (!d->loading) return;
    pthread_join(d->thread, NULL);
    d->loading = false;
    if (d->result) {
        pk_dist_install(d, d->result);
    } else {
        d->n.reloads_failed++;
        pk_log(PK_LOG_ERR, "indicator reload failed, keeping set %s in force: %s",
               d->cur ? d->cur->lines.version : "-", d->err);
    }
    d->result = NULL;
    if (d->again) {
        d->again = false;
        start_load(d);
    }
}

void pk_dist_reload(pk_dist *d) {
    if (!d) return;
    pk_log(PK_LOG_INFO, "reloading %d indicator file%s", d->coll->cfg.nindicator_files,
           d->coll->cfg.nindicator_files == 1 ? "" : "s");
    request(d);
}

/* ---- watching the files ------------------------------------------------------------ */

static pk_dist_stamp stamp_of(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return (pk_dist_stamp){0};
    return (pk_dist_stamp){true, st.st_dev, st.st_ino, st.st_size,
                           (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec};
}

static bool same_stamp(const pk_dist_stamp *a, const pk_dist_stamp *b) {
    return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
           a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* The first file that changed since the last look (all are looked at). */
static const char *changed_file(pk_dist *d) {
    const pk_coll_config *cfg = &d->coll->cfg;
    const char *first = NULL;
    for (int i = 0; i < cfg->nindicator_files; i++) {
        pk_dist_stamp now = stamp_of(cfg->indicator_files[i]);
        if (same_stamp(&now, &d->stamps[i])) continue;
        d->stamps[i] = now;
        if (!first) first = cfg->indicator_files[i];
    }
    return first;
}

static void look(pk_dist *d) {
    const char *path = changed_file(d);
    if (path) {
        pk_log(PK_LOG_INFO, "indicator file %s changed: reloading", path);
        request(d);
    }
}

static void on_watch(evutil_socket_t fd, short what, void *arg) {
    pk_dist *d = arg;
    look(d);
    pk_dist_prune(d);
}

/* Something was written or renamed in a watched directory. */
static void on_notify(evutil_socket_t fd, short what, void *arg) {
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, buf, sizeof buf) > 0) {
    }
    look(arg);
}

/* Watches the directory of every file; false leaves the timer alone. */
static bool notify_start(pk_dist *d) {
    const pk_coll_config *cfg = &d->coll->cfg;
    d->notify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (d->notify_fd < 0) return false;
    for (int i = 0; i < cfg->nindicator_files; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", cfg->indicator_files[i]);
        if (inotify_add_watch(d->notify_fd, dirname(dir),
                              IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_ATTRIB) < 0)
            return false;
    }
    d->notify_ev = event_new(d->coll->base, d->notify_fd, EV_READ | EV_PERSIST, on_notify, d);
    return d->notify_ev && event_add(d->notify_ev, NULL) == 0;
}

bool pk_dist_watch_start(pk_dist *d) {
    int fds[2];
    changed_file(d);                     /* the stamps of what was just loaded */
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
    d->pipe_rd = fds[0];
    d->pipe_wr = fds[1];
    d->done_ev = event_new(d->coll->base, d->pipe_rd, EV_READ | EV_PERSIST, on_done, d);
    d->watch_ev = event_new(d->coll->base, -1, EV_PERSIST, on_watch, d);
    struct timeval tv = {WATCH_MS / 1000, (WATCH_MS % 1000) * 1000};
    if (!notify_start(d))
        pk_log(PK_LOG_WARN, "indicator files: no inotify (%s); looking once a second",
               strerror(errno));
    return d->done_ev && d->watch_ev && event_add(d->done_ev, NULL) == 0 &&
           event_add(d->watch_ev, &tv) == 0;
}

void pk_dist_watch_stop(pk_dist *d) {
    if (d->loading) {
        pthread_join(d->thread, NULL);
        pk_dist_set_free(d->result);
        d->result = NULL;
        d->loading = false;
    }
    if (d->done_ev) event_free(d->done_ev);
    if (d->watch_ev) event_free(d->watch_ev);
    if (d->notify_ev) event_free(d->notify_ev);
    if (d->notify_fd >= 0) close(d->notify_fd);
    d->done_ev = d->watch_ev = d->notify_ev = NULL;
    d->notify_fd = -1;
    if (d->pipe_rd >= 0) close(d->pipe_rd);
    if (d->pipe_wr >= 0) close(d->pipe_wr);
    d->pipe_rd = d->pipe_wr = -1;
}
