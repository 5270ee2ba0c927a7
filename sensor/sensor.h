/* sensor.h - the sensor's context: everything the capture thread owns.
 *
 * Why it exists: the packet path (decode -> flow -> protocol parse -> match
 * -> alert) needs one place that holds its state and counters, with no
 * global mutable state. The capture loop calls pk_sensor_packet() per frame.
 */
#ifndef PICKET_SENSOR_H
#define PICKET_SENSOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alert.h"
#include "batch.h"
#include "decode.h"
#include "flow.h"
#include "homenet.h"
#include "istore.h"
#include "proto_dns.h"
#include "proto_http.h"
#include "proto_quic.h"
#include "proto_tls.h"
#include "stream.h"

/* Where alert lines go; the uplink plugs in here. */
/* seq is the alert's sequence number (the number in its alert_id). */
typedef void (*pk_alert_sink_fn)(void *ctx, uint64_t seq, const char *json,
                                 size_t len);

typedef struct pk_sensor_stats {
    uint64_t packets, bytes, alerts, suppressed, alert_errors;
    uint64_t decode_ok, decode_held, decode_skip, decode_malformed;
    uint64_t no_l4;
} pk_sensor_stats;

typedef struct pk_sensor {
    pk_alert_origin origin;
    pk_homenet home;
    pk_decoder *decoder;
    pk_flow_table *flows;
    pk_fp_hasher *fp_hasher;        /* JA3/JA4 digests, fetched once */

    /* The store in force: swapped whole by the reloader; the capture thread
     * reads it once per packet (a quiescent point between packets). */
    _Atomic(pk_istore *) store;
    atomic_uint store_gen;
    atomic_uint packets_seen_gen;   /* gen the capture thread last used */

    pk_dns_stats dns;
    pk_tls_stats tls;
    pk_http_stats http;
    pk_quic_stats quic;
    pk_stream_stats stream;
    pk_sensor_stats st;

    uint64_t next_alert_seq;
    int linktype;
    const char *pcap_filename;      /* file mode only */
    uint64_t pcap_cnt;

    pk_alert_sink_fn sink;
    void *sink_ctx;
} pk_sensor;

typedef struct pk_sensor_config {
    pk_decode_config decode;
    pk_flow_config flow;
    const char *home_net;
} pk_sensor_config;

void pk_sensor_config_defaults(pk_sensor_config *cfg);
/* Returns 0, or -1 with err filled. The store is adopted. */
int pk_sensor_init(pk_sensor *s, const pk_sensor_config *cfg,
                   pk_istore *store, char *err, size_t errlen);
void pk_sensor_destroy(pk_sensor *s);

/* Forgets every flow (a new --loop pass is new traffic). */
void pk_sensor_reset_flows(pk_sensor *s);

/* One captured frame. */
void pk_sensor_packet(pk_sensor *s, const uint8_t *data, uint32_t caplen,
                      uint32_t wire_len, int64_t ts_usec);

/* Frames in capture order: the same as pk_sensor_packet() on each, with
 * their flow lookups prefetched a few frames ahead (batch.h). */
void pk_sensor_batch(pk_sensor *s, const pk_batch *b);

/* Installs a new store; returns the old one, which the caller frees once
 * the capture thread has passed a packet boundary (pk_sensor_quiesced). */
pk_istore *pk_sensor_swap_store(pk_sensor *s, pk_istore *fresh);
bool pk_sensor_quiesced(const pk_sensor *s, unsigned gen);
/* The capture thread is between packets with nothing to do (live timeout). */
void pk_sensor_idle(pk_sensor *s);

/* Every counter of every module, through one visitor. */
void pk_sensor_counters(const pk_sensor *s, pk_counter_cb cb, void *ctx);

#endif
