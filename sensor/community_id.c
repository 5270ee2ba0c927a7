/* community_id.c - Community ID v1 (see community_id.h for why).
 *
 * Input hashed, network byte order: seed(2) | src addr | dst addr | proto(1)
 * | pad 0 (1) | src port(2) | dst port(2), ports only for TCP, UDP, SCTP,
 * ICMP and ICMPv6. The endpoints are ordered so both directions of a flow
 * give the same id; ICMP types that come in request/reply pairs are mapped
 * to their counterpart so both halves of an exchange share one id.
 */
#include "community_id.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ICMP6 = 58, P_SCTP = 132 };

/* Returns the counterpart type of an ICMP/ICMPv6 request or reply, and
 * whether the message is one-way (no counterpart). */
static bool icmp_counterpart(uint8_t proto, uint8_t type, uint8_t *peer) {
    static const uint8_t v4[][2] = {
        {8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
        {10, 9}, {9, 10}, {17, 18}, {18, 17},
    };
    static const uint8_t v6[][2] = {
        {128, 129}, {129, 128}, {133, 134}, {134, 133}, {135, 136},
        {136, 135}, {130, 131}, {131, 130}, {139, 140}, {140, 139},
        {144, 145}, {145, 144},
    };
    const uint8_t (*table)[2] = proto == P_ICMP ? v4 : v6;
    size_t n = proto == P_ICMP ? sizeof v4 / sizeof v4[0] : sizeof v6 / sizeof v6[0];
    for (size_t i = 0; i < n; i++) {
        if (table[i][0] == type) {
            *peer = table[i][1];
            return true;
        }
    }
    return false;
}

static bool has_ports(uint8_t proto) {
    return proto == P_TCP || proto == P_UDP || proto == P_SCTP ||
           proto == P_ICMP || proto == P_ICMP6;
}

/* True when (a, ap) sorts strictly before (b, bp). */
static bool endpoint_less(const uint8_t *a, uint16_t ap, const uint8_t *b,
                          uint16_t bp, size_t alen) {
    int c = memcmp(a, b, alen);
    return c < 0 || (c == 0 && ap < bp);
}

void pk_community_id(uint16_t seed, int family, const uint8_t *src,
                     const uint8_t *dst, uint8_t proto, uint16_t sport,
                     uint16_t dport, char out[PK_COMMUNITY_ID_LEN]) {
    size_t alen = family == 6 ? 16 : 4;
    bool one_way = false;

    if (proto == P_ICMP || proto == P_ICMP6) {
        uint8_t peer;
        if (icmp_counterpart(proto, (uint8_t)sport, &peer))
            dport = peer;
        else
            one_way = true;
    }
    if (!one_way && !endpoint_less(src, sport, dst, dport, alen)) {
        const uint8_t *ta = src; src = dst; dst = ta;
        uint16_t tp = sport; sport = dport; dport = tp;
    }

    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, src, alen); n += alen;
    memcpy(buf + n, dst, alen); n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (has_ports(proto)) {
        buf[n++] = (uint8_t)(sport >> 8);
        buf[n++] = (uint8_t)sport;
        buf[n++] = (uint8_t)(dport >> 8);
        buf[n++] = (uint8_t)dport;
    }

    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1(buf, n, digest);
    out[0] = '1';
    out[1] = ':';
    EVP_EncodeBlock((unsigned char *)out + 2, digest, SHA_DIGEST_LENGTH);
}
