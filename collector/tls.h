/* tls.h - the collector's TLS server context and peer identity.
 *
 * Why it exists: who a sensor is comes only from its certificate. This
 * module builds the one SSL_CTX (TLS 1.2+, modern ciphers, client
 * certificate required and verified against the coalition CA, optional
 * CRL) and reads a verified peer's CN (sensor id) and O (partner).
 */
#ifndef PICKET_COLL_TLS_H
#define PICKET_COLL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "collector.h"

/* Builds the server context from cfg; logs what failed and returns NULL. */
SSL_CTX *pk_tls_server_ctx(const pk_coll_config *cfg);

/* Reads the verified peer certificate's CN and O. Returns false with err
 * set when there is none, verification failed, or a name is unusable. */
bool pk_tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *org, size_t orglen,
                          char *err, size_t errlen);

/* Appends the queued OpenSSL errors (or the verify result) to buf. */
void pk_tls_describe_error(SSL *ssl, unsigned long first_err, char *buf, size_t len);

/* Sensor ids end up in Redis keys and log lines: [A-Za-z0-9._:-], 1..64. */
bool pk_valid_sensor_id(const char *s);

/* Partner names: 1..64 bytes, no control characters. */
bool pk_valid_partner(const char *s);

#endif
