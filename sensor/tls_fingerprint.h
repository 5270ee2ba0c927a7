/* tls_fingerprint.h - JA3 and JA4 client fingerprints from ClientHello
 * fields.
 *
 * Why it exists: indicator feeds carry client fingerprints (ja3:<md5>,
 * ja4:<a_b_c>). The ClientHello parser fills a pk_tls_fields with the values
 * as they appear on the wire (GREASE included); this module turns them into
 * the published fingerprint strings, kept apart from parsing so that each
 * can be tested against the spec's own examples.
 *
 * JA3 (salesforce/ja3): md5 of "version,ciphers,extensions,groups,formats",
 * decimal values joined with '-', GREASE left out of every list.
 * JA4 (FoxIO-LLC/ja4, technical_details/JA4.md): a_b_c as in SPECS.md.
 */
#ifndef PICKET_TLS_FINGERPRINT_H
#define PICKET_TLS_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define PK_TLS_LIST_MAX 128   /* values kept per list; more are counted */
#define PK_JA3_LEN 32         /* hex md5 */
#define PK_JA4_LEN 36         /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */

/* A list of 16-bit values in wire order. total counts every value seen,
 * n only those kept (n < total means the fingerprints are incomplete). */
typedef struct pk_tls_list {
    uint16_t v[PK_TLS_LIST_MAX];
    uint16_t n;
    uint32_t total;
} pk_tls_list;

typedef struct pk_tls_fields {
    uint16_t legacy_version;          /* ClientHello.legacy_version */
    pk_tls_list ciphers;              /* cipher_suites */
    pk_tls_list exts;                 /* extension types, in order */
    pk_tls_list groups;               /* supported_groups (10) */
    pk_tls_list point_formats;        /* ec_point_formats (11), 8-bit values */
    pk_tls_list sig_algs;             /* signature_algorithms (13) */
    pk_tls_list versions;             /* supported_versions (43) */
    bool has_sni_ext;                 /* server_name (0) present */
    bool has_alpn;                    /* a first ALPN value was read */
    uint8_t alpn_len;                 /* its length (0: empty value) */
    uint8_t alpn_first, alpn_last;    /* its first and last bytes */
} pk_tls_fields;

/* GREASE (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
bool pk_tls_is_grease(uint16_t v);

/* Appends v to l (kept while there is room, always counted). */
static inline void pk_tls_list_push(pk_tls_list *l, uint16_t v) {
    if (l->n < PK_TLS_LIST_MAX) l->v[l->n++] = v;
    if (l->total < UINT32_MAX) l->total++;
}

/* Appends every 16-bit value v holds (see rd_be16_run). */
static inline void pk_tls_list_read(pk_tls_list *l, pk_reader *v) {
    size_t room = (size_t)(PK_TLS_LIST_MAX - l->n);
    size_t n = rd_be16_run(v, l->v + l->n, room);
    l->n = (uint16_t)(l->n + (n < room ? n : room));
    l->total = n > UINT32_MAX - l->total ? UINT32_MAX : l->total + (uint32_t)n;
}

/* Empties every list and flag (the lists' storage is left as it was). */
void pk_tls_fields_clear(pk_tls_fields *f);

/* True when some list held more values than it keeps. */
bool pk_tls_fields_truncated(const pk_tls_fields *f);

/* Writes the JA3 string (NUL-terminated) into buf; returns its length, or
 * 0 when cap is too small (buf then holds ""). 4096 bytes always suffice. */
size_t pk_ja3_string(const pk_tls_fields *f, char *buf, size_t cap);

/* MD5 and SHA-256 fetched from OpenSSL once, with one digest context.
 * Without it every hash looks its algorithm up by name (OpenSSL 3 takes
 * locks and walks its provider tables), which costs more than all the rest
 * of a fingerprint. One per thread; NULL from the constructor when OpenSSL
 * cannot provide them. */
typedef struct pk_fp_hasher pk_fp_hasher;
pk_fp_hasher *pk_fp_hasher_new(void);
void pk_fp_hasher_free(pk_fp_hasher *hs);

/* hs may be NULL (the digests are then looked up per call).
 * out: PK_JA3_LEN + 1 bytes. False (out "") only if hashing failed. */
bool pk_ja3(pk_fp_hasher *hs, const pk_tls_fields *f, char *out);

/* out: PK_JA4_LEN + 1 bytes; quic selects the 'q' prefix, else 't'. */
bool pk_ja4(pk_fp_hasher *hs, const pk_tls_fields *f, bool quic, char *out);

/* The JA4 version code for a 16-bit TLS version ("13", "s3", "00"...). */
const char *pk_ja4_version_code(uint16_t v);

#endif
