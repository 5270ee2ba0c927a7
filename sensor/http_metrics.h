/* http_metrics.h - the sensor's /metrics and /healthz (--http HOST:PORT).
 *
 * Why it exists: operators scrape every daemon with Prometheus and probe it
 * from their monitoring. A small thread with its own libevent loop serves
 * the same counters --stats prints; it never touches the capture thread
 * beyond reading counters (approximate reads of 64-bit fields).
 */
#ifndef PICKET_HTTP_METRICS_H
#define PICKET_HTTP_METRICS_H

#include <stddef.h>

#include "counters.h"

typedef struct pk_http_metrics pk_http_metrics;

/* Visits every counter to publish. */
typedef void (*pk_metrics_collect_fn)(void *ctx, pk_counter_cb cb, void *cbctx);

/* Binds addr ("127.0.0.1:9100", "[::1]:9100") and starts the thread.
 * Returns NULL with err naming the address. */
pk_http_metrics *pk_http_metrics_start(const char *addr, const char *prefix,
                                       pk_metrics_collect_fn collect, void *ctx,
                                       char *err, size_t errlen);
void pk_http_metrics_stop(pk_http_metrics *m);

#endif
