/* gen_flows.h - TCP connections and UDP exchanges between two hosts.
 *
 * Why it exists: a sensor keys on flows and reassembles TCP, so picket-gen's
 * flows must behave like a real stack's: SYN options (MSS, SACK, window
 * scale, timestamps) by operating system, random ISNs, exact seq/ack
 * arithmetic, delayed ACKs, MSS-sized segments, FIN close, IPv4 ids and TTLs,
 * IPv6 flow labels, and timestamps that grow with a round-trip time as seen
 * by a sensor sitting next to the client.
 */
#ifndef PICKET_GEN_FLOWS_H
#define PICKET_GEN_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_packet.h"
#include "gen_rand.h"
#include "gen_writer.h"

enum { GEN_OS_LINUX = 0, GEN_OS_WINDOWS = 1 };
enum { GEN_C2S = 0, GEN_S2C = 1 };

typedef struct gen_host {
    gen_addr addr;
    uint8_t mac[6];           /* for remote hosts: the gateway's MAC */
    uint8_t ttl;              /* TTL/hop limit as seen at the sensor */
    uint8_t os;               /* GEN_OS_* */
    uint16_t ip_id;           /* next IPv4 identification */
} gen_host;

/* Where frames go: one per run, owned by the caller's context. */
typedef struct gen_emit {
    gen_writer *w;
    gen_rng *rng;
    uint8_t frame[GEN_FRAME_MAX];
} gen_emit;

typedef struct gen_flow {
    gen_emit *em;
    gen_host *host[2];        /* [GEN_C2S] client, [GEN_S2C] server */
    uint16_t port[2];         /* client port, server port */
    uint8_t proto;            /* IPPROTO_TCP or IPPROTO_UDP */
    int64_t ts;               /* time of the last packet written */
    int last_dir;             /* direction of the last packet, -1 none */
    uint32_t rtt;             /* sensor <-> server round trip, usec */
    uint32_t seq[2];          /* next sequence number to send per side */
    uint32_t ts_base[2];      /* TCP timestamp clocks (1 kHz) */
    uint32_t ts_last[2];      /* last TSval sent per side */
    int64_t t0;
    uint32_t flow_label[2];
    uint16_t win[2];          /* window field after the handshake */
    uint16_t mss[2];          /* advertised MSS per side */
    uint8_t wscale[2];
    bool tsopt;               /* timestamps negotiated */
    uint8_t unacked[2];       /* segments received by side i not yet acked */
} gen_flow;

/* Sets up a flow; no packet is written. ts is the time of the first one. */
void gen_flow_init(gen_flow *f, gen_emit *em, uint8_t proto, gen_host *cli,
                   uint16_t cport, gen_host *srv, uint16_t sport, int64_t ts,
                   uint32_t rtt);

/* Advances the clock as the next packet (sent by side dir) would be seen. */
void gen_flow_tick(gen_flow *f, int dir);
/* Adds application think time before the next packet. */
void gen_flow_wait(gen_flow *f, uint32_t usec);

/* One TCP segment from side dir at the current f->ts, with correct
 * seq/ack/options. SYN segments carry the OS's SYN options. */
void gen_tcp_segment(gen_flow *f, int dir, uint8_t flags, const uint8_t *data,
                     size_t len);
/* SYN, SYN-ACK, ACK. */
void gen_tcp_open(gen_flow *f);
/* data from side dir, in MSS-sized segments, or in exactly nsplit pieces
 * when nsplit >= 2 (to exercise reassembly). The receiver ACKs every second
 * segment, and at the end unless reply_follows. */
void gen_tcp_send(gen_flow *f, int dir, const uint8_t *data, size_t len,
                  int nsplit, bool reply_follows);
/* FIN from side first, FIN from the other, last ACK. */
void gen_tcp_close(gen_flow *f, int first);
/* Largest payload per segment from side dir. */
size_t gen_tcp_max_payload(const gen_flow *f, int dir);

/* One UDP datagram from side dir (advances the clock first). */
void gen_udp_send(gen_flow *f, int dir, const uint8_t *data, size_t len);
/* The same at the current f->ts, without advancing the clock. */
void gen_udp_datagram(gen_flow *f, int dir, const uint8_t *data, size_t len);

#endif
