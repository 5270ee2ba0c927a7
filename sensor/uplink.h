/* uplink.h - the sensor's link to the collector: a thread that sends the
 * spooled alerts over mutual TLS and deletes them once acknowledged.
 *
 * Why it exists: the capture thread must never wait on the network. It
 * hands each alert to pk_uplink_submit(), which appends it to the spool
 * (a write into the page cache) and wakes the uplink thread through a
 * non-blocking pipe. The uplink thread, with its own libevent loop, fsyncs
 * the spool in batches, sends what is on disk in "alerts" batches with a
 * window of unacknowledged batches, resends after every reconnect whatever
 * the collector has not applied, and reports counters every 10 s.
 */
#ifndef PICKET_UPLINK_H
#define PICKET_UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "counters.h"
#include "spool.h"

typedef struct pk_uplink pk_uplink;

/* Visits the sensor's own counters (not the uplink's: those are added).
 * Runs on the uplink thread while the capture thread updates them: the
 * values are approximate, unsynchronised reads of uint64_t fields. */
typedef void (*pk_uplink_collect_fn)(void *ctx, pk_counter_cb cb, void *cbctx);

typedef struct pk_uplink_config {
    const char *collector;        /* -c HOST:PORT or [IPV6]:PORT */
    const char *ca, *cert, *key;  /* --ca --cert --key (all required with TLS) */
    bool insecure;                /* --insecure: plaintext, loopback only */
    const char *sensor_id;        /* sent in hello */
    const char *partner;          /* sent in hello (the collector trusts it only
                                     with --insecure; with TLS the certificate's O) */
    pk_uplink_collect_fn collect; /* may be NULL */
    void *collect_ctx;
    /* An "indicators" message (validated by pk_wire_parse) after welcome,
     * on the uplink thread; msg is released after the call. NULL: the
     * message is logged and ignored. */
    void (*on_indicators)(void *ctx, json_t *msg);
    void *indicators_ctx;
    /* Tunables; 0 means the default in brackets. */
    uint32_t window;              /* unacknowledged batches in flight [4] */
    uint32_t stats_interval_ms;   /* [10000] */
    uint32_t backoff_min_ms;      /* first reconnect delay [500] */
    uint32_t backoff_max_ms;      /* [30000] */
    uint32_t sync_interval_ms;    /* fsync batching [100] */
    uint32_t handshake_timeout_ms;/* connect + TLS + welcome [15000] */
} pk_uplink_config;

/* Usage checks, no I/O: HOST:PORT parses, --insecure only on loopback,
 * --ca/--cert/--key present unless --insecure. Returns 0 or -1 with err. */
int pk_uplink_check_config(const pk_uplink_config *cfg, char *err, size_t errlen);

/* Loads the TLS files (errors name the file) and prepares the thread's
 * event loop. The spool stays the caller's; close it after pk_uplink_free.
 * Returns NULL with err. */
pk_uplink *pk_uplink_new(const pk_uplink_config *cfg, pk_spool *sp, char *err,
                         size_t errlen);

/* Starts the uplink thread (signals blocked in it). Returns 0 or -1. */
int pk_uplink_start(pk_uplink *u, char *err, size_t errlen);

/* A pk_alert_sink_fn (ctx = the pk_uplink): spools the alert and wakes the
 * uplink thread. Never blocks on the network or on fsync. */
void pk_uplink_submit(void *ctx, uint64_t seq, const char *json, size_t len);

/* Waits until every spooled alert is acknowledged or timeout_s passed.
 * Returns how many are still unacknowledged (they stay in the spool). */
uint64_t pk_uplink_drain(pk_uplink *u, double timeout_s);

/* Stops and joins the thread (a last fsync included), frees. NULL is fine. */
void pk_uplink_free(pk_uplink *u);

/* uplink.* and spool.* counters. Any thread; each value is read atomically.
 *   uplink.connected       1 while a connection is up (after TLS), else 0
 *   uplink.connects        connections established; .disconnects lost
 *   uplink.batches_sent    "alerts" messages; .alerts_sent alerts in them
 *   uplink.alerts_acked    alerts sent by this process and then acknowledged
 *   uplink.alerts_resent   alerts sent again after a reconnect
 *   uplink.queue_full      alerts that arrived while the uplink could not
 *                          take them at once (not connected, or its window
 *                          of unacknowledged batches full): they wait, safe,
 *                          in the spool (there is no memory queue to fill)
 *   uplink.protocol_errors bad frames from the collector (connection closed)
 *   uplink.acked_seq       highest seq the collector has acknowledged
 *   spool.*                see pk_spool_counters() */
void pk_uplink_counters(const pk_uplink *u, pk_counter_cb cb, void *ctx);

/* Subject CN and O of a PEM certificate ("" when absent), for defaulting
 * --sensor-id and --partner. Returns 0, or -1 with err naming the file. */
int pk_uplink_cert_identity(const char *cert_path, char *cn, size_t cnlen, char *o,
                            size_t olen, char *err, size_t errlen);

#endif
