/* dist_int.h - the indicator distributor's state, shared by dist.c (the
 * per-partner views and writing them to sensors) and dist_load.c (loading
 * the files on a worker thread and watching them for changes).
 *
 * Why it exists: one object split over two files to keep each short;
 * nothing outside the distributor includes this header.
 */
#ifndef PICKET_COLL_DIST_INT_H
#define PICKET_COLL_DIST_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dist.h"
#include "ind_push.h"
#include "indicator.h"

struct event;

/* One partner's share of a set, as finished frames. */
typedef struct pk_dist_view {
    char partner[PK_PARTNER_MAX + 1];
    pk_push_set *set;
} pk_dist_view;

/* One loaded version of the coalition set, with the partner views built
 * so far (on the loader thread for the partners known then, on the loop
 * for a partner first seen later). */
typedef struct pk_dist_set {
    pk_ind_list list;
    pk_push_lines lines;          /* every indicator's picket-jsonl line */
    int64_t load_ms, serialise_ms;
    pk_dist_view **views;
    size_t nviews, capviews;
} pk_dist_set;

/* Partners whose views are built with the set. */
#define PK_DIST_MAX_PREBUILT 256
typedef struct pk_dist_partners {
    size_t n;
    char name[PK_DIST_MAX_PREBUILT][PK_PARTNER_MAX + 1];
} pk_dist_partners;

/* What the distributor knows of one connection (pk_conn.dist points here).
 * Records live in the distributor's list; one whose connection has gone is
 * noticed by a walk over the connections (seen stays false) and freed. */
typedef struct pk_dist_peer {
    struct pk_dist_peer *next;
    char sent[PK_PUSH_VERSION_LEN + 1];   /* version last queued to it */
    pk_dist_view *view;           /* frames still being written, or NULL */
    size_t next_frame;
    bool seen;
} pk_dist_peer;

/* A watched file's identity and state at the last look. */
typedef struct pk_dist_stamp {
    bool present;
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
} pk_dist_stamp;

/* The distributor's counters (rendered by pk_dist_metrics). */
typedef struct pk_dist_counters {
    uint64_t sets_loaded;         /* sets put in force (start-up and reloads) */
    uint64_t reloads_failed;      /* reloads that kept the set in force */
    uint64_t shares_sent;         /* partner shares fully queued to a sensor */
    uint64_t frames_sent;
    uint64_t bytes_sent;          /* frame headers included */
    uint64_t left_out;            /* indicators of a share too long for a frame */
} pk_dist_counters;

struct pk_dist {
    pk_collector *coll;
    pk_dist_counters n;
    pk_dist_set *cur;
    pk_dist_peer *peers;
    struct event *pace_ev;        /* writes pending frames while any is left */
    struct event *watch_ev;       /* once a second: have the files changed? */
    struct event *done_ev;        /* the loader thread has finished */
    struct event *notify_ev;      /* inotify: a watched directory changed */
    int notify_fd;
    pk_dist_stamp stamps[PK_COLL_MAX_IND_FILES];

    /* The loader thread: it reads `want` and writes `result`/`err`; the
     * loop fills `want` before starting it and reads the rest after
     * pthread_join. */
    pthread_t thread;
    bool loading, again;
    int pipe_rd, pipe_wr;
    pk_dist_partners want;
    pk_dist_set *result;
    char err[512];
};

/* dist_load.c */
pk_dist_set *pk_dist_set_load(const pk_coll_config *cfg, FILE *report, char *err,
                              size_t errlen);
void pk_dist_set_free(pk_dist_set *s);
bool pk_dist_watch_start(pk_dist *d);     /* the stamps, the timer, the pipe */
void pk_dist_watch_stop(pk_dist *d);      /* joins a running load */

/* dist.c: builds the views of the partners in want and of every partner
 * named in the set (any thread; the set is not yet shared). */
void pk_dist_set_prepare(pk_dist_set *s, pk_dist_partners *want, uint32_t frame_limit);
/* dist.c: the partners of the connected sensors, into want. */
void pk_dist_connected_partners(const pk_dist *d, pk_dist_partners *want);
uint32_t pk_dist_frame_limit(const pk_collector *coll);
/* dist.c: a new set is in force; every connected sensor gets its share. */
void pk_dist_install(pk_dist *d, pk_dist_set *s);
/* dist.c: frees the records of connections that have gone. */
void pk_dist_prune(pk_dist *d);

#endif
