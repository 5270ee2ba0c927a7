/* gen_session.h - one application exchange on one flow: DNS, TLS, HTTP, NTP.
 *
 * Why it exists: planners (indicator sessions, background, bench hits) think
 * in exchanges ("resolve this name", "open TLS with this SNI"), not packets.
 * Each function writes a whole flow from handshake to close and returns the
 * time of its last packet so callers can chain a story (DNS, then TLS).
 */
#ifndef PICKET_GEN_SESSION_H
#define PICKET_GEN_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_flows.h"
#include "gen_manifest.h"
#include "gen_tls.h"

typedef struct gen_sess {
    gen_emit *em;
    gen_host *cli, *srv;
    uint16_t cport, sport;
    int64_t start;            /* usec */
    uint32_t rtt;             /* usec */
    uint8_t *buf, *buf2;      /* scratch, GEN_SCRATCH bytes each */
    size_t cap;
} gen_sess;

/* The flow's 5-tuple as the client opened it. */
void gen_sess_tuple(const gen_sess *s, uint8_t proto, gen_tuple *t);

/* A query for name (A or AAAA) answered with ans (may be NULL: one random
 * benchmark-range address); tcp uses DNS over TCP. */
int64_t gen_sess_dns(const gen_sess *s, const char *name, uint16_t qtype,
                     const gen_addr *ans, bool tcp);
/* Full TLS connection: ClientHello (in nsplit segments when >= 2), server
 * flight, client finish, a request and a response, close. sni NULL sends
 * no SNI. */
int64_t gen_sess_tls(const gen_sess *s, const gen_profile *p, const char *sni,
                     int nsplit);
/* HTTP/1.1 GET for path with the given Host header, response, close. */
int64_t gen_sess_http(const gen_sess *s, const char *host, const char *path);
/* NTP client request and server reply (UDP 123). */
int64_t gen_sess_ntp(const gen_sess *s);
/* One 48-byte NTPv4 message: mode 3 (client) or 4 (server). */
size_t gen_ntp_packet(uint8_t *b, int mode, int64_t now_usec, gen_rng *r);
/* A short UDP exchange on any port: DNS on 53, NTP on 123, else opaque. */
int64_t gen_sess_udp(const gen_sess *s);

#endif
