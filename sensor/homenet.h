/* homenet.h - which addresses are "ours", for an alert's direction.
 *
 * Why it exists: analysts triage differently an internal host reaching out
 * (outbound) and an outside host coming in (inbound). --home-net lists the
 * mission network's prefixes (default RFC 1918 + ULA).
 */
#ifndef PICKET_HOMENET_H
#define PICKET_HOMENET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PK_HOMENET_MAX 64

typedef struct pk_homenet {
    struct { uint8_t family, len; uint8_t addr[16]; } net[PK_HOMENET_MAX];
    int n;
} pk_homenet;

/* Parses "10.0.0.0/8,fd00::/8"; returns 0, or -1 with err filled. */
int pk_homenet_parse(pk_homenet *h, const char *spec, char *err, size_t errlen);
bool pk_homenet_contains(const pk_homenet *h, int family, const uint8_t *addr);
/* "inbound", "outbound", "internal" or "external". */
const char *pk_homenet_direction(const pk_homenet *h, int family,
                                 const uint8_t *src, const uint8_t *dst);

#define PK_HOMENET_DEFAULT "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"

#endif
