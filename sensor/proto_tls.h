/* proto_tls.h - TLS ClientHello parser: SNI, JA3 and JA4.
 *
 * Why it exists: SNI and client fingerprints are the observables of an
 * encrypted connection. The parser takes the first bytes of the client's
 * direction of a TCP flow (TLS records, possibly a handshake spread over
 * several records), or a raw handshake message (QUIC CRYPTO frames).
 */
#ifndef PICKET_PROTO_TLS_H
#define PICKET_PROTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "proto.h"
#include "tls_fingerprint.h"

#define PK_TLS_SNI_MAX 255
#define PK_TLS_MAX_HELLO (16 * 1024)  /* bytes of handshake we reassemble */

typedef struct pk_tls_hello {
    uint16_t legacy_version;          /* ClientHello.legacy_version */
    bool has_sni;
    char sni[PK_TLS_SNI_MAX + 1];     /* lower-case, NUL-terminated */
    uint16_t sni_len;
    char ja3[33];                     /* lower-case hex MD5 } "" until */
    char ja4[40];                     /* a_b_c              } fingerprinted */
    char alpn0[16];                   /* first ALPN value (may be truncated) */
    bool sni_truncated;               /* SNI longer than PK_TLS_SNI_MAX: prefix kept */
    bool fp_truncated;                /* a list exceeded PK_TLS_LIST_MAX: JA3/JA4 partial */
    bool quic;                        /* from QUIC CRYPTO frames ('q' JA4) */
    bool fields_kept;                 /* parsed with PK_TLS_KEEP_FIELDS */
    pk_tls_fields fields;             /* what JA3 and JA4 are made of */
} pk_tls_hello;

typedef struct pk_tls_stats {
    uint64_t client_hellos;
    uint64_t malformed_record, malformed_handshake, malformed_extension,
             malformed_sni, too_large;
    uint64_t sni_truncated, lists_truncated;
} pk_tls_stats;

/* Parse flags. PK_TLS_KEEP_FIELDS keeps the value lists JA3 and JA4 are
 * made of (ciphers, extensions, groups, point formats, signature
 * algorithms, versions) in out->fields; without it they are checked for
 * structure and skipped, which spares a third of a ClientHello's parse when
 * no JA3 or JA4 indicator is loaded (tls.lists_truncated then counts only
 * hellos parsed with it). PK_TLS_QUIC: the message came in QUIC CRYPTO
 * frames (the 'q' JA4 prefix). */
#define PK_TLS_KEEP_FIELDS 1u
#define PK_TLS_QUIC 2u

/* stream: bytes of the client direction from its first byte. Returns
 * NOT_MINE unless it starts like a TLS handshake record, NEED_MORE while the
 * ClientHello is incomplete (up to PK_TLS_MAX_HELLO), OK when parsed. */
pk_parse_result pk_tls_parse_stream(const uint8_t *stream, size_t len,
                                    unsigned flags, pk_tls_hello *out,
                                    pk_tls_stats *st);

/* msg: one handshake message (type 1, 3-byte length, body), as carried in
 * QUIC CRYPTO frames. */
pk_parse_result pk_tls_parse_handshake(const uint8_t *msg, size_t len,
                                       unsigned flags, pk_tls_hello *out,
                                       pk_tls_stats *st);

/* Fills h->ja3 and h->ja4 from h->fields (a hello parsed without
 * PK_TLS_KEEP_FIELDS keeps them ""). Parsing leaves them "": two hashes
 * and their strings cost more than the rest of a ClientHello, and only a
 * store with JA3 or JA4 indicators needs them. hs may be NULL. */
void pk_tls_hello_fingerprint(pk_tls_hello *h, pk_fp_hasher *hs);

void pk_tls_counters(const pk_tls_stats *st, pk_counter_cb cb, void *ctx);

#endif
