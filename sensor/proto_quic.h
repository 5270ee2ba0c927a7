/* proto_quic.h - QUIC v1 client Initial: decryption and ClientHello.
 *
 * Why it exists: HTTP/3 hides its ClientHello (SNI, JA3, JA4 with the 'q'
 * prefix) inside QUIC Initial packets. Those are encrypted, but with keys
 * anyone can derive from the packet's Destination Connection ID (RFC 9001
 * section 5.2), so a passive sensor can read them: derive the keys, remove
 * header protection, decrypt, gather the CRYPTO frames in offset order and
 * hand the handshake message to pk_tls_parse_handshake(quic=true).
 */
#ifndef PICKET_PROTO_QUIC_H
#define PICKET_PROTO_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "proto.h"
#include "proto_tls.h"

#define PK_QUIC_MAX_PACKET 8192   /* larger Initial packets are counted, skipped */
#define PK_QUIC_CID_MAX 20

typedef struct pk_quic_stats {
    uint64_t initials;            /* client Initial packets decrypted */
    uint64_t decrypt_failed;      /* AEAD check failed (e.g. a server Initial) */
    uint64_t unsupported_version, malformed_header, malformed_frame, too_large;
} pk_quic_stats;

/* The client's CRYPTO stream as gathered so far (the ClientHello may span
 * several Initial packets and datagrams, its frames in any order). Zero it
 * (pk_quic_crypto_init) before the first datagram of a flow. */
typedef struct pk_quic_crypto {
    uint8_t data[PK_TLS_MAX_HELLO];
    uint8_t have[PK_TLS_MAX_HELLO / 8];   /* one bit per byte of data */
    uint8_t odcid[PK_QUIC_CID_MAX];       /* keys come from the first DCID */
    uint8_t odcid_len;
    bool keyed;
} pk_quic_crypto;

void pk_quic_crypto_init(pk_quic_crypto *cs);

/* One UDP datagram of the client direction. NOT_MINE unless it starts with
 * a QUIC v1 long-header packet that decrypts as a client Initial; NEED_MORE
 * while the ClientHello is incomplete (call again with the next datagram
 * and the same cs); OK: out filled; MALFORMED: counted in st or tls_st.
 * tls_flags: PK_TLS_KEEP_FIELDS or 0 (see proto_tls.h). */
pk_parse_result pk_quic_parse_datagram(const uint8_t *udp, size_t len,
                                       pk_quic_crypto *cs, unsigned tls_flags,
                                       pk_tls_hello *out, pk_tls_stats *tls_st,
                                       pk_quic_stats *st);

/* The same for a ClientHello that fits in one datagram (the usual case). */
pk_parse_result pk_quic_parse_initial(const uint8_t *udp, size_t len,
                                      unsigned tls_flags, pk_tls_hello *out,
                                      pk_tls_stats *tls_st, pk_quic_stats *st);

/* RFC 9001 5.2 client Initial keys for a Destination Connection ID (AEAD
 * key 16, IV 12, header protection key 16); exposed for the RFC's test
 * vectors. */
bool pk_quic_client_keys(const uint8_t *dcid, size_t dcid_len, uint8_t key[16],
                         uint8_t iv[12], uint8_t hp[16]);

void pk_quic_counters(const pk_quic_stats *st, pk_counter_cb cb, void *ctx);

#endif
