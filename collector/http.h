/* http.h - the collector's HTTP side: /healthz, /metrics, /api/stream.
 *
 * Why it exists: watch floors and monitoring need to see the collector
 * without talking to Redis: a health probe that reflects whether alerts
 * can be applied, Prometheus metrics, and a Server-Sent Events stream of
 * unique alerts and coalition sightings (live operations, or one exercise:
 * ?exercise=NAME) with a bounded buffer per client
 * (a client that falls behind is dropped, never allowed to grow memory).
 */
#ifndef PICKET_COLL_HTTP_H
#define PICKET_COLL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector.h"

typedef struct pk_http pk_http;

/* Binds --http; NULL (logged, naming the address) on failure. */
pk_http *pk_http_start(pk_collector *coll);
void pk_http_stop(pk_http *h);

/* Sends "event: <event>\ndata: <json>\n\n" to the stream clients of the
 * traffic it belongs to: exercise NULL = live (/api/stream), a name = that
 * exercise (/api/stream?exercise=NAME). */
void pk_http_publish(pk_http *h, const char *event, const char *exercise, const char *json,
                     size_t len);

/* Once a second: keepalive comments to stream clients. */
void pk_http_tick(pk_http *h, int64_t now_ms);

uint32_t pk_http_clients(const pk_http *h);

#endif
