/* gen_ctx.h - picket-gen's run context and the helpers every planner uses.
 *
 * Why it exists: no global mutable state: the options, the random source,
 * the output, the indicator list and guard, the manifest, the client pool
 * and the scratch buffers all live in one context passed down explicitly.
 * The helpers pick clients, ephemeral ports, safe server addresses and
 * benign names, and hand out session start times.
 */
#ifndef PICKET_GEN_CTX_H
#define PICKET_GEN_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_flows.h"
#include "gen_guard.h"
#include "gen_manifest.h"
#include "gen_rand.h"
#include "gen_session.h"
#include "gen_tls.h"
#include "gen_writer.h"
#include "indicator.h"

#define GEN_MAX_FILES 256
#define GEN_MAX_SHAPES 16
#define GEN_NCLIENTS4 24
#define GEN_NCLIENTS6 8
#define GEN_SCRATCH (96 * 1024)
#define GEN_NAME_MAX 256

typedef struct gen_opts {
    const char *files[GEN_MAX_FILES];
    size_t nfiles;
    const char *out;
    const char *manifest;
    uint64_t seed;
    uint32_t background;
    int64_t start;            /* unix seconds of the first packet */
    double ipv6_share;
    bool bench;
    uint64_t packets, flows;  /* bench mode */
    bool list_profiles;
    bool quiet;
} gen_opts;

/* One ClientHello shape: a profile sent with or without SNI. */
typedef struct gen_shape {
    const gen_profile *p;
    bool sni;
    gen_fp fp;
    bool flagged;             /* its JA3 or JA4 is an indicator */
} gen_shape;

typedef struct gen_ctx {
    const gen_opts *opt;
    gen_rng rng;
    gen_writer w;
    gen_emit em;
    pk_ind_list inds;
    gen_guard guard;
    gen_manifest man;
    gen_shape shapes[GEN_MAX_SHAPES];
    size_t nshapes;
    gen_host clients[GEN_NCLIENTS4 + GEN_NCLIENTS6];
    gen_host resolver[2];     /* [0] IPv4, [1] IPv6 */
    uint16_t next_port[GEN_NCLIENTS4 + GEN_NCLIENTS6];
    uint8_t gw_mac[6];
    int64_t clock;            /* start of the next session, usec */
    uint64_t sessions;
    uint8_t buf[2][GEN_SCRATCH];
} gen_ctx;

/* Computes every profile's fingerprints (with and without SNI). */
void gen_ctx_shapes(gen_ctx *c);
/* Sets up the client pool, resolvers and gateway (after the guard). */
void gen_ctx_hosts(gen_ctx *c);

gen_host *gen_ctx_client(gen_ctx *c, int family);
uint16_t gen_ctx_port(gen_ctx *c, const gen_host *client);
/* A remote host at addr, seen through the gateway. */
void gen_ctx_remote(gen_ctx *c, const gen_addr *addr, gen_host *out);
/* A home-network server (for inbound sessions). */
void gen_ctx_home_server(gen_ctx *c, int family, gen_host *out);
/* A server address in benchmark space (198.18.0.0/15, 2001:2::/48) that
 * matches no indicator; hostile picks come from a separate block. */
void gen_ctx_server_addr(gen_ctx *c, int family, bool hostile, gen_addr *out);
/* A benign host name under a reserved domain that matches no indicator;
 * false if none was found. */
bool gen_ctx_benign_name(gen_ctx *c, char *out, size_t cap);
/* A shape whose fingerprints are not indicators, preferring SNI shapes. */
const gen_shape *gen_ctx_clean_shape(gen_ctx *c);
int gen_ctx_family(gen_ctx *c);
uint32_t gen_ctx_rtt(gen_ctx *c);
/* Start time of the next session (advances the session clock). */
int64_t gen_ctx_next_start(gen_ctx *c);
/* Sets up s for an exchange from cli (on a fresh ephemeral port) to
 * srv:sport starting at start, with a round-trip time and the context's
 * scratch buffers. */
void gen_ctx_sess(gen_ctx *c, gen_sess *s, gen_host *cli, gen_host *srv,
                  uint16_t sport, int64_t start);

#endif
