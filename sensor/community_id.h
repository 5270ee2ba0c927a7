/* community_id.h - Community ID v1 flow hashing.
 *
 * Why it exists: analysts pivot between picket, Zeek and Suricata on the same
 * flow through its Community ID. It is computed once per flow, exactly as the
 * corelight community-id-spec says (seed, SHA-1, base64, "1:" prefix).
 */
#ifndef PICKET_COMMUNITY_ID_H
#define PICKET_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#define PK_COMMUNITY_ID_LEN 31   /* "1:" + 28 base64 chars + NUL */

/* family 4 or 6; addresses in network byte order (4 or 16 bytes); for ICMP
 * and ICMPv6 sport/dport are the type and code. Writes a NUL-terminated id
 * into out (at least PK_COMMUNITY_ID_LEN bytes). */
void pk_community_id(uint16_t seed, int family, const uint8_t *src,
                     const uint8_t *dst, uint8_t proto, uint16_t sport,
                     uint16_t dport, char out[PK_COMMUNITY_ID_LEN]);

#endif
