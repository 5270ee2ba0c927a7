/* collector.h - the one context every part of picket-collector shares.
 *
 * Why it exists: the collector is a single libevent loop with no global
 * mutable state. Everything a callback needs (configuration, the listener,
 * the live connections, Redis, the HTTP side, counters, log rate limits)
 * hangs off one pk_collector, and each module sees the others only through
 * the small functions declared in their own headers.
 */
#ifndef PICKET_COLLECTOR_H
#define PICKET_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "metrics.h"

struct event_base;
struct event;
struct evconnlistener;
struct ssl_ctx_st;
struct pk_conn;
struct pk_redis;
struct pk_http;
struct pk_output;
struct pk_dist;

#define PK_HOST_MAX 256
#define PK_ID_MAX 64              /* sensor id (certificate CN) */
#define PK_PARTNER_MAX 64         /* partner (certificate O) */
#define PK_COLL_MAX_IND_FILES 64  /* --indicators files */

typedef enum pk_dedup_mode {
    PK_DEDUP_COMMUNITY = 0,       /* indicator x community_id */
    PK_DEDUP_ADDRS,               /* indicator x src_ip x dest_ip */
} pk_dedup_mode;

typedef struct pk_hostport {
    char host[PK_HOST_MAX];
    uint16_t port;
} pk_hostport;

typedef struct pk_coll_config {
    pk_hostport listen;
    pk_hostport redis;
    pk_hostport http;
    bool http_on;
    const char *ca, *cert, *key, *crl;
    const char *redis_password;
    const char *redis_prefix;
    const char *output_path;
    uint64_t window_s;
    uint64_t stream_maxlen;
    pk_dedup_mode dedup;
    bool insecure;
    uint32_t frame_limit;
    uint32_t handshake_timeout_s;
    uint32_t idle_timeout_s;
    uint32_t max_connections;
    bool check_config;                /* --check-config: check, start nothing */
    bool syslog;                      /* --syslog */
    int argc;                         /* the arguments with --config expanded; */
    char **argv;                      /* options point into them */
    const char *indicator_files[PK_COLL_MAX_IND_FILES];   /* --indicators */
    int nindicator_files;
} pk_coll_config;

/* One rate limit per kind of log line a peer can provoke. */
typedef struct pk_coll_limits {
    pk_ratelimit accept, tls, frame, proto, timeout, redis, http, output, peer;
} pk_coll_limits;

typedef struct pk_collector {
    pk_coll_config cfg;
    char name[PK_HOST_MAX];           /* our name in "welcome" */
    struct event_base *base;
    struct ssl_ctx_st *ssl_ctx;       /* NULL with --insecure */
    struct evconnlistener *listener;
    struct event *accept_resume_ev;   /* re-enables accept after EMFILE */
    struct event *sweep_ev;
    struct event *sig_ev[3];
    struct pk_conn *conns;            /* every open connection */
    uint32_t nconns;
    uint64_t next_conn_id;
    struct pk_redis *redis;
    struct pk_http *http;
    struct pk_output *out;
    struct pk_dist *dist;             /* indicator distribution (dist.h) */
    pk_metrics metrics;
    pk_coll_limits rl;
} pk_collector;

/* config.c: parses argv into cfg. Returns 0, or the exit code to use
 * (0 after -h/-V with *done set, 2 on bad usage). */
int pk_coll_parse_args(pk_coll_config *cfg, int argc, char **argv, bool *done);
/* Frees what --config expansion allocated (nothing without --config). */
void pk_coll_config_free(pk_coll_config *cfg, char **original_argv);

/* Parses "HOST:PORT" or "[V6]:PORT". */
bool pk_parse_hostport(const char *s, pk_hostport *hp);

/* Checks a --redis-prefix (1..64 printable characters, no spaces); prints
 * why not to stderr. */
bool pk_parse_prefix(const char *s);

/* Copies peer-supplied text for a log line: control characters become '?',
 * truncated to outlen - 1 bytes. */
void pk_sanitize(const char *in, char *out, size_t outlen);

/* Wall-clock time: milliseconds since the epoch and an EVE timestamp. */
int64_t pk_wall_ms(void);
void pk_wall_iso(int64_t ms, char *buf, size_t len);

#endif
