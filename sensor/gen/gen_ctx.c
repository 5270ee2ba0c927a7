/* gen_ctx.c - host pool, addresses, names and clocks for picket-gen.
 *
 * Why it exists: see gen_ctx.h. Every address comes from ranges that can
 * never be real Internet hosts: clients in 10.0.0.0/8 and fd00::/8,
 * servers in the benchmark ranges 198.18.0.0/15 and 2001:2::/48, and each
 * pick is checked against the indicator set so background stays benign.
 */
#include "gen_ctx.h"

#include <stdio.h>
#include <string.h>

#define PICK_TRIES 64

static const char *const host_labels[] = {
    "www", "api", "cdn", "static", "img", "mail", "login", "updates", "time",
    "news", "docs", "shop", "m", "assets", "portal", "files", "media", "auth",
};
static const char *const benign_domains[] = {
    "example.com", "example.org", "example.net", "corp.example",
    "shop.example", "intranet.test",
};

void gen_ctx_shapes(gen_ctx *c)
{
    size_t n;
    const gen_profile *p = gen_profiles(&n);
    c->nshapes = 0;
    for (size_t i = 0; i < n && c->nshapes + 2 <= GEN_MAX_SHAPES; i++)
        for (int sni = 1; sni >= 0; sni--) {
            gen_shape *s = &c->shapes[c->nshapes++];
            s->p = &p[i];
            s->sni = sni;
            gen_profile_fingerprint(&p[i], sni, &s->fp);
            s->flagged = gen_guard_fp(&c->guard, s->fp.ja3) ||
                         gen_guard_fp(&c->guard, s->fp.ja4);
        }
}

static void pick_addr(gen_ctx *c, int family, const uint8_t *prefix, int plen,
                      gen_addr *out)
{
    for (int i = 0; i < PICK_TRIES; i++) {
        gen_addr_in_prefix(out, family, prefix, plen, gen_rng_next(&c->rng),
                           gen_rng_next(&c->rng));
        if (!gen_guard_addr(&c->guard, out))
            return;
    }
}

/* A host on the home network: a free address in net4/plen4 or net6/64 and
 * the MAC that goes with it; the caller sets the rest. */
static void home_host(gen_ctx *c, gen_host *h, int family,
                      const uint8_t *net4, int plen4, const uint8_t *net6)
{
    memset(h, 0, sizeof *h);
    if (family == 6)
        pick_addr(c, 6, net6, 64, &h->addr);
    else
        pick_addr(c, 4, net4, plen4, &h->addr);
    gen_mac_for(&h->addr, h->mac);
}

static void make_client(gen_ctx *c, gen_host *h, uint16_t *port, int family)
{
    static const uint8_t net4[4] = {10, 0, 0, 0};
    static const uint8_t net6[16] = {0xfd, 0x00, 0x5e, 0x71, 0x0c, 0x2a};
    home_host(c, h, family, net4, 8, net6);
    h->os = gen_rng_chance(&c->rng, 0.55) ? GEN_OS_WINDOWS : GEN_OS_LINUX;
    h->ttl = h->os == GEN_OS_WINDOWS ? 128 : 64;
    h->ip_id = (uint16_t)gen_rng_next(&c->rng);
    *port = (uint16_t)(h->os == GEN_OS_WINDOWS ? gen_rng_range(&c->rng, 49152, 65000)
                                               : gen_rng_range(&c->rng, 32768, 60000));
}

void gen_ctx_hosts(gen_ctx *c)
{
    static const uint8_t gw[6] = {0x02, 0x1a, 0x2b, 0x3c, 0x00, 0x01};
    memcpy(c->gw_mac, gw, 6);
    for (int i = 0; i < GEN_NCLIENTS4 + GEN_NCLIENTS6; i++)
        make_client(c, &c->clients[i], &c->next_port[i],
                    i < GEN_NCLIENTS4 ? 4 : 6);
    gen_addr r4, r6;
    gen_addr_parse("198.18.0.53", &r4);
    gen_addr_parse("2001:2::53", &r6);
    if (gen_guard_addr(&c->guard, &r4))
        gen_ctx_server_addr(c, 4, false, &r4);
    if (gen_guard_addr(&c->guard, &r6))
        gen_ctx_server_addr(c, 6, false, &r6);
    gen_ctx_remote(c, &r4, &c->resolver[0]);
    gen_ctx_remote(c, &r6, &c->resolver[1]);
    c->resolver[0].ttl = c->resolver[1].ttl = 61;
}

gen_host *gen_ctx_client(gen_ctx *c, int family)
{
    if (family == 6)
        return &c->clients[GEN_NCLIENTS4 + gen_rng_below(&c->rng, GEN_NCLIENTS6)];
    return &c->clients[gen_rng_below(&c->rng, GEN_NCLIENTS4)];
}

uint16_t gen_ctx_port(gen_ctx *c, const gen_host *client)
{
    size_t i = (size_t)(client - c->clients);
    if (i >= GEN_NCLIENTS4 + GEN_NCLIENTS6)
        return (uint16_t)gen_rng_range(&c->rng, 32768, 60999);
    bool win = client->os == GEN_OS_WINDOWS;
    uint32_t lo = win ? 49152 : 32768, hi = win ? 65535 : 60999;
    uint32_t p = c->next_port[i] + 1 + gen_rng_below(&c->rng, 24);
    if (p > hi)
        p = lo + (p - hi);
    c->next_port[i] = (uint16_t)p;
    return (uint16_t)p;
}

void gen_ctx_remote(gen_ctx *c, const gen_addr *addr, gen_host *out)
{
    static const uint8_t initial[] = {64, 64, 64, 128, 128, 255};
    memset(out, 0, sizeof *out);
    out->addr = *addr;
    memcpy(out->mac, c->gw_mac, 6);
    out->ttl = (uint8_t)(GEN_PICK(&c->rng, initial) - gen_rng_range(&c->rng, 6, 24));
    out->os = GEN_OS_LINUX;
    out->ip_id = (uint16_t)gen_rng_next(&c->rng);
}

void gen_ctx_home_server(gen_ctx *c, int family, gen_host *out)
{
    static const uint8_t net4[4] = {10, 1, 0, 0};
    static const uint8_t net6[16] = {0xfd, 0x00, 0x5e, 0x71, 0x0c, 0x2a, 0, 0x10};
    home_host(c, out, family, net4, 16, net6);
    out->ttl = 64;
    out->os = GEN_OS_LINUX;
    out->ip_id = (uint16_t)gen_rng_next(&c->rng);
}

void gen_ctx_server_addr(gen_ctx *c, int family, bool hostile, gen_addr *out)
{
    uint8_t net4[4] = {198, hostile ? 19 : 18, 0, 0};
    uint8_t net6[16] = {0x20, 0x01, 0x00, 0x02, 0, 0, hostile ? 0x80 : 0x00};
    if (family == 6)
        pick_addr(c, 6, net6, 49, out);
    else
        pick_addr(c, 4, net4, 16, out);
}

bool gen_ctx_benign_name(gen_ctx *c, char *out, size_t cap)
{
    for (int i = 0; i < PICK_TRIES; i++) {
        const char *dom = GEN_PICK(&c->rng, benign_domains);
        if (gen_rng_chance(&c->rng, 0.2))
            snprintf(out, cap, "ws-%03u.%s", gen_rng_below(&c->rng, 1000), dom);
        else
            snprintf(out, cap, "%s.%s", GEN_PICK(&c->rng, host_labels), dom);
        if (!gen_guard_name(&c->guard, out))
            return true;
    }
    return false;
}

const gen_shape *gen_ctx_clean_shape(gen_ctx *c)
{
    /* Browser-heavy mix: chrome, firefox, openssl, go, legacy. */
    static const uint32_t weight[] = {50, 20, 12, 10, 8};
    const gen_shape *pick[GEN_MAX_SHAPES];
    uint32_t w[GEN_MAX_SHAPES], total = 0;
    size_t n = 0;
    for (size_t i = 0; i < c->nshapes; i++) {
        const gen_shape *s = &c->shapes[i];
        if (!s->sni || s->flagged)
            continue;
        pick[n] = s;
        w[n] = i / 2 < sizeof weight / sizeof weight[0] ? weight[i / 2] : 5;
        total += w[n++];
    }
    if (!n)
        return NULL;
    uint32_t x = gen_rng_below(&c->rng, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return pick[i];
        x -= w[i];
    }
    return pick[n - 1];
}

int gen_ctx_family(gen_ctx *c)
{
    return gen_rng_chance(&c->rng, c->opt->ipv6_share) ? 6 : 4;
}

uint32_t gen_ctx_rtt(gen_ctx *c)
{
    if (gen_rng_chance(&c->rng, 0.7))
        return gen_rng_range(&c->rng, 4000, 60000);
    return gen_rng_range(&c->rng, 60000, 250000);
}

int64_t gen_ctx_next_start(gen_ctx *c)
{
    int64_t t = c->clock;
    c->clock += 2000 + (int64_t)gen_rng_exp(&c->rng, 150000.0);
    c->sessions++;
    return t;
}

void gen_ctx_sess(gen_ctx *c, gen_sess *s, gen_host *cli, gen_host *srv,
                  uint16_t sport, int64_t start)
{
    memset(s, 0, sizeof *s);
    s->em = &c->em;
    s->cli = cli;
    s->srv = srv;
    s->cport = gen_ctx_port(c, cli);
    s->sport = sport;
    s->start = start;
    s->rtt = gen_ctx_rtt(c);
    s->buf = c->buf[0];
    s->buf2 = c->buf[1];
    s->cap = GEN_SCRATCH;
}
