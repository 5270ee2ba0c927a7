/* proto_http.h - HTTP/1.x request line and Host header parser.
 *
 * Why it exists: HTTP Host and URL are matched against host, domain and URL
 * indicators. Only the start of the client direction is read: the request
 * line and headers up to the blank line (bounded).
 */
#ifndef PICKET_PROTO_HTTP_H
#define PICKET_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "proto.h"

#define PK_HTTP_HOST_MAX 255
#define PK_HTTP_URL_MAX 4096
#define PK_HTTP_MAX_HEADER (16 * 1024)

typedef struct pk_http_request {
    char method[16];
    char host[PK_HTTP_HOST_MAX + 1];   /* lower-case, port and trailing dot removed
                                        * (IPv6 literals without brackets) */
    uint16_t host_len;
    bool has_host;
    /* http://host[:port]/path as a client asked for it: absolute-form
     * targets kept as sent (scheme/host lower-cased), origin-form joined with
     * Host. */
    char url[PK_HTTP_URL_MAX + 1];
    uint16_t url_len;
    bool url_truncated;               /* counted; url holds the prefix */
    /* So the caller can step to the next request of a keep-alive
     * connection: bytes of request line + headers including the blank
     * line, and the body length announced by Content-Length (0 if none;
     * chunked set for Transfer-Encoding: chunked). content_length is
     * UINT64_MAX when the body cannot be stepped over (an invalid
     * Content-Length, or headers cut at PK_HTTP_MAX_HEADER, header_len then
     * being the bytes examined). */
    uint32_t header_len;
    uint64_t content_length;
    bool chunked;
} pk_http_request;

typedef struct pk_http_stats {
    uint64_t requests;
    uint64_t malformed_request_line, malformed_header, no_host, too_large,
             url_truncated;
} pk_http_stats;

/* stream: the client direction from its first byte. NOT_MINE unless it
 * starts with an HTTP method token and a space; NEED_MORE until the end of
 * the headers (or PK_HTTP_MAX_HEADER bytes); OK when parsed. */
pk_parse_result pk_http_parse_request(const uint8_t *stream, size_t len,
                                      pk_http_request *out, pk_http_stats *st);

void pk_http_counters(const pk_http_stats *st, pk_counter_cb cb, void *ctx);

#endif
