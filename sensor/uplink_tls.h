/* uplink_tls.h - the uplink's address and TLS helpers (internal to the
 * uplink; main.c uses uplink.h).
 *
 * Why it exists: the rules for reaching the collector (which addresses
 * count as loopback for --insecure, how the collector's certificate and
 * name are verified) deserve one small file of their own, apart from the
 * connection state machine.
 */
#ifndef PICKET_UPLINK_TLS_H
#define PICKET_UPLINK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

struct bufferevent;

typedef struct pk_uplink_addr {
    char host[256];              /* without brackets */
    char port[8];
    bool is_ip;                  /* host is an IPv4/IPv6 literal */
    struct sockaddr_storage sa;  /* when is_ip */
    int salen;
} pk_uplink_addr;

/* "HOST:PORT", "[V6]:PORT". Returns 0, or -1 with err. */
int pk_uplink_parse_addr(const char *s, pk_uplink_addr *a, char *err, size_t errlen);

/* 127.0.0.0/8, ::1, ::ffff:127.x, or the name "localhost". */
bool pk_uplink_addr_loopback(const pk_uplink_addr *a);

/* Client context: TLS 1.2+, peer verified against ca, our cert and key.
 * Returns NULL with err naming the file that failed. */
SSL_CTX *pk_uplink_tls_ctx(const char *ca, const char *cert, const char *key,
                           char *err, size_t errlen);

/* One connection's SSL, checking the certificate names host (DNS name or
 * IP address, as given on the command line). */
SSL *pk_uplink_tls_ssl(SSL_CTX *ctx, const pk_uplink_addr *a);

/* Why a connection failed: verification, TLS, DNS or socket error. */
void pk_uplink_describe_error(struct bufferevent *bev, bool tls, char *buf, size_t n);

#endif
