/* gen_bench.h - picket-gen --bench: big, fast, deterministic captures.
 *
 * Why it exists: the sensor's throughput benchmark needs millions of
 * packets over many concurrent flows with a realistic size mix (ACKs, DNS,
 * ClientHellos, full-size data segments), IPv4 and IPv6, DNS names, SNIs
 * and HTTP Hosts in a realistic share, and a few indicator hits. A fixed
 * window of concurrent flow slots is allocated once; each packet is built
 * in place and streamed out, with no allocation per packet.
 */
#ifndef PICKET_GEN_BENCH_H
#define PICKET_GEN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_ctx.h"

#define GEN_BENCH_SLOTS 512
#define GEN_BENCH_REQ 2048
#define GEN_BENCH_POOL 65536
#define GEN_BENCH_HIT_RATE 0.001

enum bench_kind { BK_DNS, BK_NTP, BK_TLS, BK_HTTP };
enum bench_phase { BP_SYN, BP_SYNACK, BP_ACK, BP_REQ, BP_DATA, BP_FIN1,
                   BP_FIN2, BP_LAST, BP_DONE };

typedef struct bench_slot {
    gen_flow f;
    gen_host cli, srv;
    uint8_t kind;             /* enum bench_kind */
    uint8_t phase;            /* enum bench_phase (TCP) */
    uint64_t budget;          /* packets left to write for this flow */
    uint32_t step;            /* packets written */
    uint16_t req_len, req_off;
    uint16_t split[3];
    uint8_t nsplit, piece;
    uint8_t srv_unacked;
    bool first_data;
    const gen_shape *shape;
    uint8_t req[GEN_BENCH_REQ];    /* query, ClientHello or HTTP request */
    uint16_t resp_len;
    uint8_t resp[GEN_BENCH_REQ];   /* DNS answer / first server bytes */
} bench_slot;

typedef struct bench {
    gen_ctx *c;
    bench_slot *slots;
    size_t nactive;
    uint64_t flows_left;      /* flows not yet started */
    uint64_t packets_left;    /* packets not yet given to a flow */
    int64_t clock;
    size_t *hit_idx;          /* exercisable indicators */
    size_t nhits;
    uint64_t hits;
    uint8_t pool[GEN_BENCH_POOL];   /* random bytes for data segments */
    uint8_t text[GEN_BENCH_POOL];   /* HTTP body bytes */
    uint8_t seg[GEN_MTU];
} bench;

/* Writes opt->packets packets over opt->flows flows. Returns 0 or -1. */
int gen_bench_run(gen_ctx *c);

/* Starts a new flow in slot s (gen_bench_flow.c). */
void gen_bench_flow_start(bench *b, bench_slot *s);
/* Lists the indicators a bench flow can hit (gen_bench_flow.c). */
int gen_bench_hits_init(bench *b);

#endif
