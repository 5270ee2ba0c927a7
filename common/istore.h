/* istore.h - the immutable indicator store the packet path matches against.
 *
 * Why it exists: matching must be fast and lock-free. A store is built once
 * from a list (off the capture thread), never changed, and swapped in as a
 * whole by pointer on reload.
 */
#ifndef PICKET_ISTORE_H
#define PICKET_ISTORE_H

#include <stddef.h>
#include <stdint.h>

#include "ind_pack.h"
#include "indicator.h"

typedef enum pk_field {
    PK_FIELD_IP_SRC = 0,
    PK_FIELD_IP_DST,
    PK_FIELD_DNS_QUERY,
    PK_FIELD_TLS_SNI,
    PK_FIELD_TLS_JA3,
    PK_FIELD_TLS_JA4,
    PK_FIELD_HTTP_HOST,
    PK_FIELD_HTTP_URL,
    PK_FIELD__COUNT
} pk_field;

const char *pk_field_name(pk_field f);   /* "ip.src", "dns.query", ... */

typedef struct pk_istore pk_istore;

/* Takes the list over (the store owns it afterwards; *l is emptied).
 * Items pushed without a parsed address (family 0) are parsed from their
 * value and values not yet normalised are normalised; items whose value is
 * invalid for their type are dropped. NULL when out of memory: the list is
 * then left to the caller (pk_ind_list_free). */
pk_istore *pk_istore_build(pk_ind_list *l);
/* Same from a pack (the way files are loaded: no full records on the way).
 * On success *p is emptied; NULL when out of memory, *p left to the caller. */
pk_istore *pk_istore_build_pack(pk_ind_pack *p);
void pk_istore_free(pk_istore *s);

size_t pk_istore_count(const pk_istore *s);
/* Stable content hash, 16 hex chars: same indicators -> same version. */
const char *pk_istore_version(const pk_istore *s);
/* Bytes the store occupies (tables + packed indicators), for reports. */
size_t pk_istore_memory(const pk_istore *s);
/* Indicator i (i < count) rebuilt into *v, for iteration; returns &v->ind. */
/* Whether the store holds an indicator of a type field is matched
 * against: work that only such an indicator could use (a JA3 hash, a URL's
 * normalisation) can be skipped when it does not. */
bool pk_istore_may_match(const pk_istore *s, pk_field field);
const pk_indicator *pk_istore_item(const pk_istore *s, size_t i, pk_ind_view *v);

/* Every lookup below fills *out with the indicator found and returns
 * &out->ind, or returns NULL when nothing matches (out is then untouched).
 * out->item is the indicator's index in the store. */

/* Address: exact IPV4/IPV6 first, then the longest CIDR. proto/port is the
 * packet's transport protocol and the port on the side of this address, to
 * honour indicator scopes. NULL when nothing matches. */
const pk_indicator *pk_istore_match_addr(const pk_istore *s, int family,
                                         const uint8_t *addr, uint8_t proto,
                                         uint16_t port, pk_ind_view *out);

/* A hint: starts loading the memory an address lookup reads first (the
 * exact-address table slot), for a caller that will look it up soon. */
void pk_istore_prefetch_addr(const pk_istore *s, int family, const uint8_t *addr);

/* Names for dns.query, tls.sni, http.host: the name itself and every parent
 * domain is looked up (most specific first) among DOMAIN indicators and the
 * field's own type (SNI for tls.sni, HTTP_HOST for http.host). name need not
 * be normalised (case and a trailing dot are handled). */
const pk_indicator *pk_istore_match_name(const pk_istore *s, pk_field field,
                                         const char *name, size_t len,
                                         uint8_t proto, uint16_t port,
                                         pk_ind_view *out);

/* Exact values: PK_FIELD_HTTP_URL (normalised with pk_url_normalize),
 * PK_FIELD_TLS_JA3, PK_FIELD_TLS_JA4. */
const pk_indicator *pk_istore_match_exact(const pk_istore *s, pk_field field,
                                          const char *value, size_t len,
                                          uint8_t proto, uint16_t port,
                                          pk_ind_view *out);

#endif
