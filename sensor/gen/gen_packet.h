/* gen_packet.h - Ethernet/IPv4/IPv6/TCP/UDP frame building for picket-gen.
 *
 * Why it exists: every packet picket-gen writes goes through here, so the
 * header layout, the IPv4 header checksum and the TCP/UDP checksums (with
 * the IPv4 or IPv6 pseudo-header) are right in one place.
 */
#ifndef PICKET_GEN_PACKET_H
#define PICKET_GEN_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_ETH_HLEN 14
#define GEN_ETH_MIN 60        /* frames are padded to this (FCS not kept) */
#define GEN_FRAME_MAX 1518    /* Ethernet header + 1500 MTU + slack */
#define GEN_MTU 1500
#define GEN_ADDR_STRLEN 46

typedef struct gen_addr {
    uint8_t family;           /* 4 or 6 */
    uint8_t a[16];            /* IPv4 in the first 4 bytes */
} gen_addr;

/* The IP layer of one packet. */
typedef struct gen_ip {
    const gen_addr *src, *dst;
    const uint8_t *src_mac, *dst_mac;
    uint8_t ttl;              /* hop limit for IPv6 */
    uint16_t ip_id;           /* IPv4 only */
    bool df;                  /* IPv4 don't-fragment */
    uint32_t flow_label;      /* IPv6 only, 20 bits */
} gen_ip;

typedef struct gen_tcp_seg {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;            /* PK_TH_* bits */
    uint16_t win;
    const uint8_t *opt;       /* options, a multiple of 4 bytes */
    uint8_t optlen;
    const uint8_t *data;
    size_t len;
} gen_tcp_seg;

/* Bytes of IP + transport header for a family (IPv4 20, IPv6 40). */
size_t gen_ip_hlen(int family);

/* Build a whole frame into frame (GEN_FRAME_MAX bytes). Returns its length,
 * or 0 when the packet would exceed the MTU. */
size_t gen_build_tcp(uint8_t *frame, const gen_ip *ip, const gen_tcp_seg *s);
size_t gen_build_udp(uint8_t *frame, const gen_ip *ip, uint16_t sport,
                     uint16_t dport, const uint8_t *data, size_t len);

/* Internet checksum helpers (exposed for tests). */
uint32_t gen_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t gen_csum_fold(uint32_t sum);

/* Text forms. parse: 0 on success. format: canonical (inet_ntop). */
int gen_addr_parse(const char *s, gen_addr *out);
void gen_addr_format(const gen_addr *a, char *buf, size_t cap);
bool gen_addr_equal(const gen_addr *x, const gen_addr *y);
/* A random address inside prefix/len of the given family (host bits from
 * rnd). IPv4 avoids the network and broadcast address when it can. */
void gen_addr_in_prefix(gen_addr *out, int family, const uint8_t *prefix,
                        int len, uint64_t rnd_hi, uint64_t rnd_lo);
/* A locally administered MAC derived from an address. */
void gen_mac_for(const gen_addr *a, uint8_t mac[6]);

#endif
