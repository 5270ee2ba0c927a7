/* gen_flows.c - TCP and UDP flows that behave like real host stacks.
 *
 * Why it exists: see gen_flows.h. The sensor sits next to the client, so a
 * server's packet is seen about one round trip after the client's, and a
 * client's answer shortly after the server's packet.
 */
#include "gen_flows.h"

#include <netinet/in.h>
#include <string.h>

#include "packet.h"

#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WS 3
#define TCPOPT_SACKOK 4
#define TCPOPT_TS 8

void gen_flow_init(gen_flow *f, gen_emit *em, uint8_t proto, gen_host *cli,
                   uint16_t cport, gen_host *srv, uint16_t sport, int64_t ts,
                   uint32_t rtt)
{
    gen_rng *r = em->rng;
    memset(f, 0, sizeof *f);
    f->em = em;
    f->host[GEN_C2S] = cli;
    f->host[GEN_S2C] = srv;
    f->port[GEN_C2S] = cport;
    f->port[GEN_S2C] = sport;
    f->proto = proto;
    f->ts = f->t0 = ts;
    f->last_dir = -1;
    f->rtt = rtt;
    for (int d = 0; d < 2; d++) {
        f->seq[d] = (uint32_t)gen_rng_next(r);
        f->ts_base[d] = (uint32_t)gen_rng_next(r);
        f->flow_label[d] = (uint32_t)gen_rng_next(r) & 0xfffffu;
        f->mss[d] = cli->addr.family == 6 ? 1440 : 1460;
    }
    if (gen_rng_chance(r, 0.2))
        f->mss[GEN_S2C] = (uint16_t)(f->mss[GEN_S2C] - 80);   /* tunnels */
    bool win = cli->os == GEN_OS_WINDOWS;
    f->wscale[GEN_C2S] = win ? 8 : 7;
    f->wscale[GEN_S2C] = 7;
    f->win[GEN_C2S] = win ? 1026 : 502;
    f->win[GEN_S2C] = (uint16_t)(gen_rng_chance(r, 0.5) ? 509 : 501);
    f->tsopt = !win;
}

void gen_flow_tick(gen_flow *f, int dir)
{
    gen_rng *r = f->em->rng;
    if (f->last_dir < 0)
        ;                                         /* first packet */
    else if (dir == f->last_dir)
        f->ts += gen_rng_range(r, 8, 120);        /* back to back */
    else if (dir == GEN_S2C)
        f->ts += f->rtt + gen_rng_below(r, f->rtt / 10 + 1);
    else
        f->ts += gen_rng_range(r, 60, 600);       /* client reacts */
    f->last_dir = dir;
}

void gen_flow_wait(gen_flow *f, uint32_t usec)
{
    f->ts += usec;
}

static uint8_t *put_ts_opt(uint8_t *o, uint32_t val, uint32_t ecr)
{
    *o++ = TCPOPT_TS;
    *o++ = 10;
    for (int i = 3; i >= 0; i--)
        *o++ = (uint8_t)(val >> (8 * i));
    for (int i = 3; i >= 0; i--)
        *o++ = (uint8_t)(ecr >> (8 * i));
    return o;
}

/* SYN options in the order each stack sends them. */
static uint8_t syn_options(const gen_flow *f, int dir, uint32_t tsval,
                           uint8_t *o)
{
    uint8_t *p = o;
    bool linux_like = f->host[dir]->os == GEN_OS_LINUX;
    *p++ = TCPOPT_MSS;
    *p++ = 4;
    *p++ = (uint8_t)(f->mss[dir] >> 8);
    *p++ = (uint8_t)f->mss[dir];
    if (linux_like && f->tsopt) {
        *p++ = TCPOPT_SACKOK;
        *p++ = 2;
        p = put_ts_opt(p, tsval, dir == GEN_S2C ? f->ts_last[GEN_C2S] : 0);
        *p++ = TCPOPT_NOP;
    } else if (linux_like) {
        *p++ = TCPOPT_NOP;
        *p++ = TCPOPT_NOP;
        *p++ = TCPOPT_SACKOK;
        *p++ = 2;
        *p++ = TCPOPT_NOP;
    } else {
        *p++ = TCPOPT_NOP;
    }
    *p++ = TCPOPT_WS;
    *p++ = 3;
    *p++ = f->wscale[dir];
    if (!linux_like) {
        *p++ = TCPOPT_NOP;
        *p++ = TCPOPT_NOP;
        *p++ = TCPOPT_SACKOK;
        *p++ = 2;
    }
    return (uint8_t)(p - o);
}

static void fill_ip(const gen_flow *f, int dir, gen_ip *ip, bool df)
{
    gen_host *h = f->host[dir];
    ip->src = &h->addr;
    ip->dst = &f->host[!dir]->addr;
    ip->src_mac = h->mac;
    ip->dst_mac = f->host[!dir]->mac;
    ip->ttl = h->ttl;
    ip->ip_id = h->ip_id++;
    ip->df = df;
    ip->flow_label = f->flow_label[dir];
}

void gen_tcp_segment(gen_flow *f, int dir, uint8_t flags, const uint8_t *data,
                     size_t len)
{
    uint8_t opt[40];
    gen_tcp_seg s = {0};
    uint32_t tsval = f->ts_base[dir] + (uint32_t)((f->ts - f->t0) / 1000);
    bool syn = flags & PK_TH_SYN;
    s.sport = f->port[dir];
    s.dport = f->port[!dir];
    s.seq = f->seq[dir];
    s.ack = (flags & PK_TH_ACK) ? f->seq[!dir] : 0;
    s.flags = flags;
    s.data = data;
    s.len = len;
    s.opt = opt;
    if (syn) {
        s.win = (dir == GEN_C2S) ? 64240 : 65160;
        s.optlen = syn_options(f, dir, tsval, opt);
    } else {
        s.win = f->win[dir];
        if (f->tsopt) {
            opt[0] = opt[1] = TCPOPT_NOP;
            put_ts_opt(opt + 2, tsval, f->ts_last[!dir]);
            s.optlen = 12;
        }
    }
    if (f->tsopt || syn)
        f->ts_last[dir] = tsval;
    gen_ip ip;
    fill_ip(f, dir, &ip, true);
    size_t n = gen_build_tcp(f->em->frame, &ip, &s);
    gen_writer_put(f->em->w, f->ts, f->em->frame, n);
    f->seq[dir] += (uint32_t)len + (syn ? 1u : 0u) + ((flags & PK_TH_FIN) ? 1u : 0u);
    if (flags & PK_TH_ACK)
        f->unacked[dir] = 0;
    if (len)
        f->unacked[!dir]++;
}

void gen_tcp_open(gen_flow *f)
{
    gen_flow_tick(f, GEN_C2S);
    gen_tcp_segment(f, GEN_C2S, PK_TH_SYN, NULL, 0);
    gen_flow_tick(f, GEN_S2C);
    gen_tcp_segment(f, GEN_S2C, PK_TH_SYN | PK_TH_ACK, NULL, 0);
    gen_flow_tick(f, GEN_C2S);
    gen_tcp_segment(f, GEN_C2S, PK_TH_ACK, NULL, 0);
}

size_t gen_tcp_max_payload(const gen_flow *f, int dir)
{
    uint16_t m = f->mss[0] < f->mss[1] ? f->mss[0] : f->mss[1];
    return (size_t)m - (f->tsopt ? 12u : 0u);
}

static void ack_from(gen_flow *f, int side)
{
    gen_flow_tick(f, side);
    gen_tcp_segment(f, side, PK_TH_ACK, NULL, 0);
}

/* Cut points for exactly nsplit pieces, each within max; 0 if impossible. */
static int plan_split(gen_flow *f, size_t len, int nsplit, size_t max,
                      size_t *sizes)
{
    if (nsplit < 2 || len < (size_t)nsplit || len > max * (size_t)nsplit)
        return 0;
    size_t left = len;
    for (int i = 0; i < nsplit - 1; i++) {
        size_t rest = (size_t)(nsplit - 1 - i);
        size_t lo = left > max * rest ? left - max * rest : 1;
        size_t hi = left - rest < max ? left - rest : max;
        sizes[i] = lo + gen_rng_below(f->em->rng, (uint32_t)(hi - lo + 1));
        left -= sizes[i];
    }
    sizes[nsplit - 1] = left;
    return nsplit;
}

void gen_tcp_send(gen_flow *f, int dir, const uint8_t *data, size_t len,
                  int nsplit, bool reply_follows)
{
    size_t max = gen_tcp_max_payload(f, dir);
    size_t sizes[8];
    int pieces = plan_split(f, len, nsplit < 8 ? nsplit : 8, max, sizes);
    size_t off = 0;
    for (int i = 0; off < len; i++) {
        size_t n = pieces ? sizes[i] : (len - off < max ? len - off : max);
        bool last = off + n == len;
        gen_flow_tick(f, dir);
        gen_tcp_segment(f, dir, PK_TH_ACK | (last ? PK_TH_PSH : 0),
                        data + off, n);
        off += n;
        if (f->unacked[!dir] >= 2 && !last)
            ack_from(f, !dir);
    }
    if (!reply_follows && f->unacked[!dir])
        ack_from(f, !dir);
}

void gen_tcp_close(gen_flow *f, int first)
{
    gen_flow_tick(f, first);
    gen_tcp_segment(f, first, PK_TH_FIN | PK_TH_ACK, NULL, 0);
    gen_flow_tick(f, !first);
    gen_tcp_segment(f, !first, PK_TH_FIN | PK_TH_ACK, NULL, 0);
    gen_flow_tick(f, first);
    gen_tcp_segment(f, first, PK_TH_ACK, NULL, 0);
}

void gen_udp_send(gen_flow *f, int dir, const uint8_t *data, size_t len)
{
    gen_flow_tick(f, dir);
    gen_udp_datagram(f, dir, data, len);
}

void gen_udp_datagram(gen_flow *f, int dir, const uint8_t *data, size_t len)
{
    gen_ip ip;
    fill_ip(f, dir, &ip, false);
    size_t n = gen_build_udp(f->em->frame, &ip, f->port[dir], f->port[!dir],
                             data, len);
    gen_writer_put(f->em->w, f->ts, f->em->frame, n);
}
