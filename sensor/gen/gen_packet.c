/* gen_packet.c - frame building with correct IPv4/TCP/UDP checksums.
 *
 * Why it exists: a sensor (and tshark) must read picket-gen's frames as
 * real ones, so every header field and checksum is computed as a host
 * stack would. No allocation: callers pass a GEN_FRAME_MAX buffer.
 */
#include "gen_packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define ETHERTYPE_V4 0x0800
#define ETHERTYPE_V6 0x86dd

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t gen_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    uint64_t acc = sum;
    while (n >= 8) {
        acc += ((uint32_t)p[0] << 8 | p[1]) + ((uint32_t)p[2] << 8 | p[3]) +
               ((uint32_t)p[4] << 8 | p[5]) + ((uint32_t)p[6] << 8 | p[7]);
        p += 8;
        n -= 8;
    }
    while (n >= 2) {
        acc += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        acc += (uint32_t)p[0] << 8;
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

uint16_t gen_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t gen_ip_hlen(int family)
{
    return family == 6 ? 40 : 20;
}

static uint8_t *put_eth(uint8_t *f, const gen_ip *ip)
{
    memcpy(f, ip->dst_mac, 6);
    memcpy(f + 6, ip->src_mac, 6);
    put16(f + 12, ip->src->family == 6 ? ETHERTYPE_V6 : ETHERTYPE_V4);
    return f + GEN_ETH_HLEN;
}

static void put_ipv4(uint8_t *p, const gen_ip *ip, uint8_t proto, size_t l4len)
{
    p[0] = 0x45;
    p[1] = 0;
    put16(p + 2, (uint16_t)(20 + l4len));
    put16(p + 4, ip->ip_id);
    put16(p + 6, ip->df ? 0x4000 : 0);
    p[8] = ip->ttl;
    p[9] = proto;
    put16(p + 10, 0);
    memcpy(p + 12, ip->src->a, 4);
    memcpy(p + 16, ip->dst->a, 4);
    put16(p + 10, gen_csum_fold(gen_csum_add(0, p, 20)));
}

static void put_ipv6(uint8_t *p, const gen_ip *ip, uint8_t proto, size_t l4len)
{
    put32(p, 0x60000000u | (ip->flow_label & 0xfffffu));
    put16(p + 4, (uint16_t)l4len);
    p[6] = proto;
    p[7] = ip->ttl;
    memcpy(p + 8, ip->src->a, 16);
    memcpy(p + 24, ip->dst->a, 16);
}

/* Sum of the pseudo-header (RFC 793 / RFC 8200 section 8.1). */
static uint32_t pseudo_sum(const gen_ip *ip, uint8_t proto, size_t l4len)
{
    uint8_t tail[8];
    int alen = ip->src->family == 6 ? 16 : 4;
    uint32_t s = gen_csum_add(0, ip->src->a, (size_t)alen);
    s = gen_csum_add(s, ip->dst->a, (size_t)alen);
    put32(tail, (uint32_t)l4len);
    put32(tail + 4, proto);
    return gen_csum_add(s, tail, 8);
}

/* Writes the IP header in front of an already built transport segment. */
static size_t finish_frame(uint8_t *frame, const gen_ip *ip, uint8_t proto,
                           size_t l4len)
{
    uint8_t *l3 = frame + GEN_ETH_HLEN;
    if (ip->src->family == 6)
        put_ipv6(l3, ip, proto, l4len);
    else
        put_ipv4(l3, ip, proto, l4len);
    size_t total = GEN_ETH_HLEN + gen_ip_hlen(ip->src->family) + l4len;
    if (total < GEN_ETH_MIN) {
        memset(frame + total, 0, GEN_ETH_MIN - total);
        total = GEN_ETH_MIN;
    }
    return total;
}

size_t gen_build_tcp(uint8_t *frame, const gen_ip *ip, const gen_tcp_seg *s)
{
    size_t hl = 20 + s->optlen;
    size_t l4len = hl + s->len;
    if (gen_ip_hlen(ip->src->family) + l4len > GEN_MTU || (s->optlen & 3))
        return 0;
    uint8_t *t = put_eth(frame, ip) + gen_ip_hlen(ip->src->family);
    put16(t, s->sport);
    put16(t + 2, s->dport);
    put32(t + 4, s->seq);
    put32(t + 8, s->ack);
    t[12] = (uint8_t)((hl / 4) << 4);
    t[13] = s->flags;
    put16(t + 14, s->win);
    put32(t + 16, 0);                 /* checksum, urgent pointer */
    if (s->optlen)
        memcpy(t + 20, s->opt, s->optlen);
    if (s->len)
        memcpy(t + hl, s->data, s->len);
    uint32_t sum = pseudo_sum(ip, IPPROTO_TCP, l4len);
    put16(t + 16, gen_csum_fold(gen_csum_add(sum, t, l4len)));
    return finish_frame(frame, ip, IPPROTO_TCP, l4len);
}

size_t gen_build_udp(uint8_t *frame, const gen_ip *ip, uint16_t sport,
                     uint16_t dport, const uint8_t *data, size_t len)
{
    size_t l4len = 8 + len;
    if (gen_ip_hlen(ip->src->family) + l4len > GEN_MTU)
        return 0;
    uint8_t *u = put_eth(frame, ip) + gen_ip_hlen(ip->src->family);
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (uint16_t)l4len);
    put16(u + 6, 0);
    if (len)
        memcpy(u + 8, data, len);
    uint16_t c = gen_csum_fold(gen_csum_add(pseudo_sum(ip, IPPROTO_UDP, l4len),
                                            u, l4len));
    put16(u + 6, c ? c : 0xffff);     /* 0 means "no checksum" in UDP */
    return finish_frame(frame, ip, IPPROTO_UDP, l4len);
}

int gen_addr_parse(const char *s, gen_addr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, s, out->a) == 1) {
        out->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->a) == 1) {
        out->family = 6;
        return 0;
    }
    return -1;
}

void gen_addr_format(const gen_addr *a, char *buf, size_t cap)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf,
                   (socklen_t)cap))
        snprintf(buf, cap, "?");
}

bool gen_addr_equal(const gen_addr *x, const gen_addr *y)
{
    return x->family == y->family &&
           memcmp(x->a, y->a, x->family == 6 ? 16 : 4) == 0;
}

void gen_addr_in_prefix(gen_addr *out, int family, const uint8_t *prefix,
                        int len, uint64_t rnd_hi, uint64_t rnd_lo)
{
    int bits = family == 6 ? 128 : 32;
    uint8_t rnd[16];
    for (int i = 0; i < 8; i++) {
        rnd[i] = (uint8_t)(rnd_hi >> (56 - 8 * i));
        rnd[8 + i] = (uint8_t)(rnd_lo >> (56 - 8 * i));
    }
    memset(out, 0, sizeof *out);
    out->family = (uint8_t)family;
    for (int b = 0; b < bits; b++) {
        const uint8_t *src = b < len ? prefix : (family == 6 ? rnd : rnd + 12);
        int bit = (src[b / 8] >> (7 - b % 8)) & 1;
        out->a[b / 8] |= (uint8_t)(bit << (7 - b % 8));
    }
    if (family == 4 && len <= 30) {
        uint8_t last = out->a[3], hostmask = (uint8_t)(len >= 24 ? (0xff >> (len - 24)) : 0xff);
        if ((last & hostmask) == 0)
            out->a[3] |= 1;                          /* not the network */
        else if ((last & hostmask) == hostmask)
            out->a[3] &= (uint8_t)~1;                /* not broadcast */
    }
}

void gen_mac_for(const gen_addr *a, uint8_t mac[6])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ a->a[i]) * 16777619u;
    mac[0] = 0x02;                    /* locally administered, unicast */
    mac[1] = (uint8_t)(0x50 + a->family);
    mac[2] = (uint8_t)(h >> 24);
    mac[3] = (uint8_t)(h >> 16);
    mac[4] = (uint8_t)(h >> 8);
    mac[5] = (uint8_t)h;
}
