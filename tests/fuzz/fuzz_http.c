/* fuzz_http.c - fuzzes the HTTP/1.x request parser (sensor/proto_http.h):
 * pk_http_parse_request, stepping through keep-alive requests as the
 * sensor does.
 *
 * Why: every TCP direction that is not TLS is offered to this parser, on
 * any port. It splits lines, parses the request target in its four forms
 * (origin, absolute, authority for CONNECT, "*"), the Host header with
 * ports and IPv6 literals, and Content-Length / Transfer-Encoding to step
 * over bodies to the next request. The input is the start of a client
 * direction; after each parsed request the harness skips header_len +
 * content_length bytes (unless the body is chunked or unknowable), as
 * sensor/app.c does, up to 64 requests.
 *
 * Checked (proto_http.h contract): results are one of the four codes; on OK
 * the method is a NUL-terminated upper-case token, host and url are
 * NUL-terminated with host_len/url_len == strlen, url within
 * PK_HTTP_URL_MAX (and exactly that long when truncated), host lower case,
 * header_len within the bytes given; a request whose headers end before
 * PK_HTTP_MAX_HEADER parses to the same result from exactly its
 * header_len bytes, and one byte fewer is not yet a whole request.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "proto_http.h"

#define FZ_MAX_REQUESTS 64

static void check_request(const pk_http_request *q, size_t len) {
    FZ_CHECK(memchr(q->method, '\0', sizeof q->method) != NULL);
    FZ_CHECK(q->method[0] != '\0');
    for (const char *m = q->method; *m; m++)
        FZ_CHECK((*m >= 'A' && *m <= 'Z') || *m == '-');
    FZ_CHECK_STR(q->host, q->host_len);
    if (!q->has_host) FZ_CHECK(q->host_len == 0);
    for (size_t i = 0; i < q->host_len; i++)
        FZ_CHECK(!(q->host[i] >= 'A' && q->host[i] <= 'Z'));
    FZ_CHECK(memchr(q->url, '\0', sizeof q->url) != NULL);
    FZ_CHECK(q->url_len <= PK_HTTP_URL_MAX);
    FZ_CHECK(strlen(q->url) == q->url_len);
    if (q->url_truncated) FZ_CHECK(q->url_len == PK_HTTP_URL_MAX);
    FZ_CHECK(q->header_len > 0 && q->header_len <= len);
    FZ_CHECK(q->header_len <= PK_HTTP_MAX_HEADER);
}

/* The same request from exactly its header bytes, and one byte short. */
static void check_prefix(const uint8_t *d, const pk_http_request *q) {
    pk_http_stats st;
    pk_http_request again;
    memset(&st, 0, sizeof st);
    uint8_t *copy = fz_dup(d, q->header_len);
    FZ_CHECK(pk_http_parse_request(copy, q->header_len, &again, &st) == PK_PARSE_OK);
    FZ_CHECK(again.header_len == q->header_len);
    FZ_CHECK(strcmp(again.host, q->host) == 0 && strcmp(again.url, q->url) == 0);
    FZ_CHECK(again.content_length == q->content_length && again.chunked == q->chunked);
    FZ_CHECK(pk_http_parse_request(copy, q->header_len - 1, &again, &st) ==
             PK_PARSE_NEED_MORE);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pk_http_stats st;
    memset(&st, 0, sizeof st);
    size_t off = 0;
    for (int i = 0; i < FZ_MAX_REQUESTS && off < size; i++) {
        pk_http_request q;
        size_t len = size - off;
        pk_parse_result r = pk_http_parse_request(data + off, len, &q, &st);
        FZ_CHECK(r == PK_PARSE_OK || r == PK_PARSE_NEED_MORE ||
                 r == PK_PARSE_NOT_MINE || r == PK_PARSE_MALFORMED);
        if (r != PK_PARSE_OK) break;
        check_request(&q, len);
        bool capped = q.content_length == UINT64_MAX && q.header_len == PK_HTTP_MAX_HEADER;
        if (!capped) check_prefix(data + off, &q);
        if (q.chunked || q.content_length == UINT64_MAX ||
            q.content_length > size - off - q.header_len)
            break;
        off += q.header_len + (size_t)q.content_length;
    }
    return 0;
}
