/* uplink_int.h - the uplink object, shared by uplink.c (life cycle, the
 * capture thread's entry points, drain) and uplink_conn.c (the connection
 * and the protocol, run on the uplink thread).
 *
 * Why it exists: one object split over two files to keep each short;
 * nothing outside the uplink includes this header.
 */
#ifndef PICKET_UPLINK_INT_H
#define PICKET_UPLINK_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "log.h"
#include "uplink.h"
#include "uplink_tls.h"
#include "wire.h"

#define PK_UPLINK_MAX_WINDOW 16

/* One "alerts" batch in flight: its seqs, and how many are acked. */
typedef struct pk_batch {
    uint32_t count, done;
    uint64_t seq[PK_WIRE_MAX_BATCH];
} pk_batch;

enum pk_uplink_state { PK_UP_IDLE, PK_UP_CONNECTING, PK_UP_HELLO, PK_UP_READY };

struct pk_uplink {
    pk_uplink_config cfg;
    char *sensor_id;
    char *partner;                /* NULL when not given */
    pk_uplink_addr addr;
    pk_spool *sp;
    SSL_CTX *ssl_ctx;                /* NULL with --insecure */

    /* The uplink thread's own loop; other threads only write to wake_wr. */
    struct event_base *base;
    struct evdns_base *dns;          /* only for a host name */
    struct evdns_getaddrinfo_request *dns_req;
    struct evutil_addrinfo *ai_list, *ai_next;  /* addresses left to try */
    bool resolving;
    struct bufferevent *bev;
    struct event *wake_ev, *sync_ev, *retry_ev, *stats_ev, *shake_ev;
    int wake_rd, wake_wr;
    atomic_bool wake_pending, stop;
    pthread_t thread;
    bool started;

    /* uplink thread only */
    enum pk_uplink_state st;
    uint32_t backoff_ms;
    int64_t last_sync_ms;
    uint64_t rng;
    pk_spool_cursor cur;
    uint64_t acked, sent_max, ever_sent_max;
    pk_batch *win, *filling;
    size_t whead, wcount;
    char *pay;
    size_t paylen, paycap;
    pk_ratelimit conn_rl, proto_rl;

    /* drain: the acked seq, published under dmu */
    pthread_mutex_t dmu;
    pthread_cond_t dcv;
    _Atomic uint64_t acked_pub;
    atomic_bool busy;                /* not connected, or window full */

    _Atomic uint64_t connected, connects, disconnects, batches_sent, alerts_sent,
        alerts_acked, alerts_resent, queue_full, protocol_errors;
};

/* uplink_conn.c: the event callbacks and the thread body. */
void pk_uplink_on_wake(evutil_socket_t fd, short what, void *arg);
void pk_uplink_on_sync(evutil_socket_t fd, short what, void *arg);
void pk_uplink_on_retry(evutil_socket_t fd, short what, void *arg);
void pk_uplink_on_stats(evutil_socket_t fd, short what, void *arg);
void pk_uplink_on_shake(evutil_socket_t fd, short what, void *arg);
void *pk_uplink_thread(void *arg);

#endif
