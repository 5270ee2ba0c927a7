/* conn.h - one sensor connection: state, framing, timeouts.
 *
 * Why it exists: a connection is the unit of isolation. Whatever one peer
 * sends (garbage, a 4 GiB frame header, one byte a second, nothing at all)
 * is bounded and ends that connection only. listener.c owns the socket
 * side; session.c decides what each message means.
 */
#ifndef PICKET_COLL_CONN_H
#define PICKET_COLL_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "collector.h"

struct bufferevent;
struct pk_redis_op;
struct pk_dist_peer;

typedef enum pk_conn_state {
    PK_CONN_TLS = 0,        /* TLS handshake in progress */
    PK_CONN_HELLO,          /* waiting for the sensor's hello */
    PK_CONN_WELCOME,        /* hello accepted, looking up "applied" in Redis */
    PK_CONN_READY,          /* welcomed: alerts and stats flow */
    PK_CONN_CLOSING,        /* flushing a last message, then freed */
} pk_conn_state;

typedef struct pk_conn {
    struct pk_conn *prev, *next;
    pk_collector *coll;
    struct bufferevent *bev;
    struct event *free_ev;          /* frees the connection from the loop */
    uint64_t id;
    pk_conn_state state;
    char peer[64];                  /* "address:port" for log lines */
    char cert_id[PK_ID_MAX + 1];    /* certificate CN (empty with --insecure) */
    char sensor[PK_ID_MAX + 1];     /* accepted sensor id */
    char partner[PK_PARTNER_MAX + 1];
    int64_t accepted_ms;
    int64_t last_frame_ms;          /* last complete frame (or Redis reply) */
    int64_t close_deadline_ms;
    /* Redis requests of this connection, oldest first: the applied lookup,
     * then alerts batches (several may be in flight; acks follow this
     * order). */
    struct pk_redis_op *ops_head, *ops_tail;
    uint32_t nops;
    long long chain_seq;            /* max seq of the last batch submitted */
    bool blocked;                   /* a frame waits for the global budget */
    struct pk_dist_peer *dist;      /* indicator push state (dist.c owns it) */
} pk_conn;

/* Opens the sensor listener; false (logged, naming the address) on failure. */
bool pk_listener_start(pk_collector *coll);
/* The listen address resolves and, with --insecure, is loopback only
 * (logs why not). */
bool pk_listen_address_ok(const pk_coll_config *cfg);
void pk_listener_stop(pk_collector *coll);

/* Sends one message; false if it cannot be encoded or the peer is too far
 * behind reading (the connection is then closed). */
bool pk_conn_send(pk_conn *c, json_t *msg);

/* Sends one message already serialised as compact JSON (n bytes). */
bool pk_conn_send_raw(pk_conn *c, const char *json, size_t n);

/* Sends {"type":"error","reason":...} and closes once it is flushed. */
void pk_conn_fail(pk_conn *c, const char *reason);

/* Closes now-ish: stops reading, detaches the Redis request and the
 * session; the memory is released from the event loop. Idempotent. */
void pk_conn_close(pk_conn *c);

/* A Redis request finished: handle the frames that arrived meanwhile.
 * (While a connection has PK_CONN_MAX_BATCHES batches outstanding, or the
 * collector's global budget is spent, frames are left in the input buffer,
 * which the read watermark bounds; reading goes on so a peer that leaves
 * is noticed.) */
void pk_conn_resume(pk_conn *c);

/* Resumes the connections whose frames waited for the global budget. */
void pk_conns_unblock(pk_collector *coll);

/* Once a second: deadlines for handshakes, idle peers and closing flushes. */
void pk_conns_sweep(pk_collector *coll, int64_t now_ms);

/* Frees every connection immediately (shutdown). */
void pk_conns_destroy_all(pk_collector *coll);

/* Connections that completed a hello. */
uint32_t pk_conns_sensors(const pk_collector *coll);

#endif
