/* gen_dns.h - DNS query and response messages for picket-gen.
 *
 * Why it exists: the sensor alerts on DNS query names over UDP and TCP, so
 * picket-gen writes well-formed queries (RD set, optional EDNS0 OPT) and
 * matching responses (question echoed, compressed answer names).
 */
#ifndef PICKET_GEN_DNS_H
#define PICKET_GEN_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_packet.h"

#define GEN_DNS_A 1
#define GEN_DNS_AAAA 28
#define GEN_DNS_MAX 512

/* Returns the message length, 0 when the name is not encodable. tcp adds
 * the two-byte length prefix of DNS over TCP. */
size_t gen_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                     uint16_t qtype, bool edns, bool tcp);
/* A NOERROR answer with n addresses (of the family matching qtype). */
size_t gen_dns_response(uint8_t *buf, size_t cap, uint16_t id,
                        const char *name, uint16_t qtype, bool edns,
                        const gen_addr *answers, size_t n, uint32_t ttl,
                        bool tcp);

#endif
