/* gen_http.h - HTTP/1.1 requests and responses for picket-gen.
 *
 * Why it exists: the sensor alerts on the Host header and on Host + path
 * (http.url), so picket-gen writes requests the way browsers and tools do,
 * and answers them with a plausible response whose Content-Length is right.
 */
#ifndef PICKET_GEN_HTTP_H
#define PICKET_GEN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "gen_rand.h"

/* host is the Host header value (with ":port" when not 80). Returns the
 * request length, 0 if it does not fit. */
size_t gen_http_request(uint8_t *buf, size_t cap, const char *method,
                        const char *host, const char *path, gen_rng *r);
/* A 200 (or given status) response with a body of body_len bytes. */
size_t gen_http_response(uint8_t *buf, size_t cap, int status,
                         size_t body_len, int64_t unix_time, gen_rng *r);
/* Response head without Content-Length: the body runs until the server
 * closes (Connection: close), as used for bulk transfers. */
size_t gen_http_response_head(uint8_t *buf, size_t cap, int64_t unix_time);
/* A plausible request path for benign traffic. */
const char *gen_http_benign_path(gen_rng *r);

#endif
