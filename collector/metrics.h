/* metrics.h - the collector's counters and their Prometheus rendering.
 *
 * Why it exists: /metrics is how an operator sees whether sensors are
 * connected, whether Redis keeps up and what hostile input is arriving.
 * Counters live in one plain struct the loop updates; labels (error kind,
 * frame rejection reason) are fixed enums so the label set stays bounded
 * whatever a peer sends.
 */
#ifndef PICKET_COLL_METRICS_H
#define PICKET_COLL_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

typedef enum pk_err_kind {
    PK_ERR_TLS_HANDSHAKE = 0,
    PK_ERR_TLS_IDENTITY,
    PK_ERR_IDENTITY_MISMATCH,
    PK_ERR_HANDSHAKE_TIMEOUT,
    PK_ERR_IDLE_TIMEOUT,
    PK_ERR_CONNECTION_LIMIT,
    PK_ERR_SEND_OVERFLOW,
    PK_ERR_ALERT_INVALID,
    PK_ERR_REDIS_CONNECT,
    PK_ERR_REDIS_REPLY,
    PK_ERR_REDIS_TIMEOUT,
    PK_ERR_OUTPUT,
    PK_ERR_SSE_DROPPED,
    PK_ERR_EXERCISE_INVALID,
    PK_ERR__COUNT
} pk_err_kind;

typedef enum pk_reject_reason {
    PK_REJ_TOO_LARGE = 0,
    PK_REJ_EMPTY,
    PK_REJ_BAD_UTF8,
    PK_REJ_TOO_DEEP,
    PK_REJ_BAD_JSON,
    PK_REJ_NOT_OBJECT,
    PK_REJ_NO_TYPE,
    PK_REJ_UNKNOWN_TYPE,
    PK_REJ_BAD_MEMBER,
    PK_REJ_OUT_OF_RANGE,
    PK_REJ_BAD_ORDER,
    PK_REJ_UNEXPECTED,
    PK_REJ_OTHER,
    PK_REJ__COUNT
} pk_reject_reason;

/* Redis round-trip histogram bucket bounds, seconds. */
#define PK_LAT_BUCKETS 12

typedef struct pk_latency {
    uint64_t bucket[PK_LAT_BUCKETS];   /* non-cumulative counts */
    uint64_t count;
    double sum;
} pk_latency;

typedef struct pk_metrics {
    uint64_t connections_total;
    uint64_t batches_total;
    uint64_t alerts_received;
    uint64_t alerts_unique;
    uint64_t alerts_duplicate;
    uint64_t alerts_retransmitted;
    uint64_t sightings;
    uint64_t sessions_replaced;
    uint64_t stats_messages;
    uint64_t errors[PK_ERR__COUNT];
    uint64_t rejected[PK_REJ__COUNT];
    pk_latency redis_latency;
} pk_metrics;

/* Gauges read at render time. */
typedef struct pk_gauges {
    uint32_t connections;
    uint32_t sensors;
    uint32_t sse_clients;
    int redis_connected;
    uint32_t redis_waiting;
} pk_gauges;

/* Maps a pk_wire_parse error text ("bad_json: ...") to its reason. */
pk_reject_reason pk_reject_from_err(const char *err);

void pk_latency_observe(pk_latency *l, double seconds);

/* Appends the Prometheus text exposition to out. */
void pk_metrics_render(const pk_metrics *m, const pk_gauges *g, struct evbuffer *out);

#endif
