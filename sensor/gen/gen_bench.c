/* gen_bench.c - the bench mode's packet loop.
 *
 * Why it exists: see gen_bench.h. A window of flow slots is live at once;
 * each packet goes to a randomly chosen live slot, which writes the next
 * packet of its flow (handshake, request, server data with a delayed ACK
 * every second segment, FIN close) straight to the pcap. When a flow has
 * written its budget the slot starts the next flow.
 */
#include "gen_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

static size_t seg_size(bench *b, const bench_slot *s)
{
    size_t max = gen_tcp_max_payload(&s->f, GEN_S2C);
    if (gen_rng_chance(&b->c->rng, 0.5))
        return max;
    return gen_rng_range(&b->c->rng, 40, (uint32_t)max);
}

/* First server segment: the prepared head (ServerHello+CCS or HTTP
 * response head) completed with data up to the segment size. */
static size_t first_data(bench *b, bench_slot *s, size_t want)
{
    size_t n = s->resp_len;
    memcpy(b->seg, s->resp, n);
    if (s->kind == BK_TLS) {
        size_t rec = want > n + 5 + 16 ? want - n - 5 : 16;
        b->seg[n] = 0x17;
        b->seg[n + 1] = 0x03;
        b->seg[n + 2] = 0x03;
        b->seg[n + 3] = (uint8_t)(rec >> 8);
        b->seg[n + 4] = (uint8_t)rec;
        memcpy(b->seg + n + 5, b->pool, rec);
        return n + 5 + rec;
    }
    size_t body = want > n ? want - n : 64;
    memcpy(b->seg + n, b->text, body);
    return n + body;
}

static size_t next_data(bench *b, bench_slot *s, size_t want)
{
    gen_rng *r = &b->c->rng;
    size_t off = gen_rng_below(r, GEN_BENCH_POOL - GEN_MTU);
    if (s->kind != BK_TLS) {
        memcpy(b->seg, b->text + off, want);
        return want;
    }
    size_t rec = want > 5 + 16 ? want - 5 : 16;
    b->seg[0] = 0x17;
    b->seg[1] = 0x03;
    b->seg[2] = 0x03;
    b->seg[3] = (uint8_t)(rec >> 8);
    b->seg[4] = (uint8_t)rec;
    memcpy(b->seg + 5, b->pool + off, rec);
    return rec + 5;
}

static void data_step(bench *b, bench_slot *s)
{
    gen_flow *f = &s->f;
    if (s->srv_unacked >= 2) {
        gen_tcp_segment(f, GEN_C2S, PK_TH_ACK, NULL, 0);
        s->srv_unacked = 0;
        return;
    }
    size_t want = seg_size(b, s), n;
    if (s->first_data)
        n = first_data(b, s, want);
    else
        n = next_data(b, s, want);
    s->first_data = false;
    gen_tcp_segment(f, GEN_S2C, PK_TH_ACK | PK_TH_PSH, b->seg, n);
    s->srv_unacked++;
}

static void req_step(bench_slot *s)
{
    size_t n = s->nsplit ? s->split[s->piece++] : s->req_len;
    gen_tcp_segment(&s->f, GEN_C2S, PK_TH_ACK | PK_TH_PSH, s->req + s->req_off, n);
    s->req_off = (uint16_t)(s->req_off + n);
    if (s->req_off >= s->req_len)
        s->phase = BP_DATA;
}

static void tcp_step(bench *b, bench_slot *s)
{
    gen_flow *f = &s->f;
    if (s->phase == BP_DATA && s->budget == 3)
        s->phase = BP_FIN1;
    switch (s->phase) {
    case BP_SYN:
        gen_tcp_segment(f, GEN_C2S, PK_TH_SYN, NULL, 0);
        break;
    case BP_SYNACK:
        gen_tcp_segment(f, GEN_S2C, PK_TH_SYN | PK_TH_ACK, NULL, 0);
        break;
    case BP_ACK:
        gen_tcp_segment(f, GEN_C2S, PK_TH_ACK, NULL, 0);
        break;
    case BP_REQ:
        req_step(s);
        return;
    case BP_DATA:
        data_step(b, s);
        return;
    case BP_FIN1:
        gen_tcp_segment(f, GEN_S2C, PK_TH_FIN | PK_TH_ACK, NULL, 0);
        break;
    case BP_FIN2:
        gen_tcp_segment(f, GEN_C2S, PK_TH_FIN | PK_TH_ACK, NULL, 0);
        break;
    default:
        gen_tcp_segment(f, GEN_S2C, PK_TH_ACK, NULL, 0);
        break;
    }
    s->phase++;
}

static void step(bench *b, bench_slot *s)
{
    s->f.ts = b->clock;
    if (s->kind == BK_TLS || s->kind == BK_HTTP)
        tcp_step(b, s);
    else if (s->step % 2 == 0)     /* a longer budget repeats the query */
        gen_udp_datagram(&s->f, GEN_C2S, s->req, s->req_len);
    else
        gen_udp_datagram(&s->f, GEN_S2C, s->resp, s->resp_len);
    s->step++;
    s->budget--;
}

static void fill_pools(bench *b)
{
    static const char lorem[] =
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
        "eiusmod tempor incididunt ut labore et dolore magna aliqua.\n";
    gen_rng_fill(&b->c->rng, b->pool, GEN_BENCH_POOL);
    for (size_t i = 0; i < GEN_BENCH_POOL; i++)
        b->text[i] = (uint8_t)lorem[i % (sizeof lorem - 1)];
}

static void loop(bench *b, size_t *active)
{
    gen_rng *r = &b->c->rng;
    while (b->nactive) {
        size_t k = gen_rng_below(r, (uint32_t)b->nactive);
        bench_slot *s = &b->slots[active[k]];
        b->clock += 1 + gen_rng_below(r, 6);
        step(b, s);
        if (s->budget)
            continue;
        if (b->flows_left)
            gen_bench_flow_start(b, s);
        else
            active[k] = active[--b->nactive];
    }
}

int gen_bench_run(gen_ctx *c)
{
    bench *b = calloc(1, sizeof *b);
    size_t nslots = c->opt->flows < GEN_BENCH_SLOTS ? (size_t)c->opt->flows
                                                    : GEN_BENCH_SLOTS;
    size_t *active = calloc(nslots, sizeof *active);
    bench_slot *slots = calloc(nslots, sizeof *slots);
    int rc = -1;
    if (!b || !active || !slots)
        goto out;
    b->c = c;
    b->slots = slots;
    b->flows_left = c->opt->flows;
    b->packets_left = c->opt->packets;
    b->clock = c->clock;
    if (gen_bench_hits_init(b) != 0)
        goto out;
    fill_pools(b);
    for (size_t i = 0; i < nslots; i++) {
        active[i] = i;
        gen_bench_flow_start(b, &slots[i]);
    }
    b->nactive = nslots;
    loop(b, active);
    c->sessions = c->opt->flows;
    if (!c->opt->quiet)
        fprintf(stderr, "picket-gen: bench: %llu flows, %llu indicator hits\n",
                (unsigned long long)c->opt->flows, (unsigned long long)b->hits);
    rc = 0;
out:
    if (b)
        free(b->hit_idx);
    free(b);
    free(active);
    free(slots);
    return rc;
}
