/* decode_l4.c - what follows an IP header: TCP, UDP, SCTP, ICMP, ICMPv6,
 * IPv4 AH, and the hand-off to tunnels.
 *
 * Why it exists: the flow table keys on the transport ports and the
 * protocol parsers read the transport payload, so this is where the payload
 * boundaries are fixed: TCP payload = IP payload minus the TCP header (data
 * offset), UDP payload = the UDP length minus 8 (never more than the IP
 * payload). A transport header that is malformed (TCP offset < 5 or past
 * the segment, UDP length < 8 or past the datagram, a header cut short) is
 * counted and the packet still reported with l4_ok false, because its IP
 * header is valid and address indicators must still see it.
 */
#include "decode_int.h"

#define P_ICMP 1
#define P_IPIP 4
#define P_TCP 6
#define P_UDP 17
#define P_IPV6 41
#define P_GRE 47
#define P_AH 51
#define P_ICMPV6 58
#define P_SCTP 132

static pk_decode_result tcp(pk_walk *w, pk_reader *r) {
    pk_reader h = rd_sub(r, 20);
    if (!rd_ok(&h)) return pk_short_l4(w, r, PKC_M_TCP_HEADER_SHORT);
    uint16_t sport = rd_be16(&h), dport = rd_be16(&h);
    uint32_t seq = rd_be32(&h), ack = rd_be32(&h);
    uint16_t off_flags = rd_be16(&h);
    size_t hl = (size_t)(off_flags >> 12) * 4;
    if (hl < 20) return pk_bad_l4(w, PKC_M_TCP_BAD_OFFSET);
    rd_skip(r, hl - 20);                   /* options */
    if (!rd_ok(r)) return pk_short_l4(w, r, PKC_M_TCP_BAD_OFFSET);
    pk_packet *o = w->out;
    o->sport = sport;
    o->dport = dport;
    o->tcp_seq = seq;
    o->tcp_ack = ack;
    o->tcp_flags = (uint8_t)(off_flags & 0xff);
    o->payload = rd_ptr(r);
    o->payload_len = (uint32_t)rd_left(r);
    o->l4_ok = true;
    pk_count(w, PKC_TCP);
    return PK_DECODE_OK;
}

static pk_decode_result udp(pk_walk *w, pk_reader *r) {
    pk_reader h = rd_sub(r, 8);
    if (!rd_ok(&h)) return pk_short_l4(w, r, PKC_M_UDP_HEADER_SHORT);
    uint16_t sport = rd_be16(&h), dport = rd_be16(&h);
    uint16_t ulen = rd_be16(&h);
    if (ulen < 8) return pk_bad_l4(w, PKC_M_UDP_BAD_LEN);
    size_t n = (size_t)ulen - 8;
    if (n > rd_left(r)) {
        if (!pk_cut_here(w, r)) return pk_bad_l4(w, PKC_M_UDP_BAD_LEN);
        w->truncated = true;
        n = rd_left(r);
    }
    pk_reader body = rd_sub(r, n);
    pk_packet *o = w->out;
    o->sport = sport;
    o->dport = dport;
    o->payload = rd_ptr(&body);
    o->payload_len = (uint32_t)n;
    o->l4_ok = true;
    pk_count(w, PKC_UDP);
    return pk_dec_udp_tunnel(w, dport, &body);
}

static pk_decode_result sctp(pk_walk *w, pk_reader *r) {
    pk_reader h = rd_sub(r, 12);           /* ports, tag, checksum */
    if (!rd_ok(&h)) return pk_short_l4(w, r, PKC_M_SCTP_SHORT);
    pk_packet *o = w->out;
    o->sport = rd_be16(&h);
    o->dport = rd_be16(&h);
    o->payload = rd_ptr(r);
    o->payload_len = (uint32_t)rd_left(r);
    o->l4_ok = true;
    pk_count(w, PKC_SCTP);
    return PK_DECODE_OK;
}

/* ICMP and ICMPv6 share the shape: type, code, checksum, 4 more bytes. */
static pk_decode_result icmp(pk_walk *w, pk_reader *r, bool v6) {
    pk_reader h = rd_sub(r, 8);
    if (!rd_ok(&h))
        return pk_short_l4(w, r, v6 ? PKC_M_ICMPV6_SHORT : PKC_M_ICMP_SHORT);
    pk_packet *o = w->out;
    o->icmp_type = rd_u8(&h);
    o->icmp_code = rd_u8(&h);
    o->payload = rd_ptr(r);
    o->payload_len = (uint32_t)rd_left(r);
    o->l4_ok = true;
    pk_count(w, v6 ? PKC_ICMPV6 : PKC_ICMP);
    return PK_DECODE_OK;
}

/* AH after an IPv4 header: skipped, its next header decoded. IPv6 walks AH
 * in its extension chain. Returns false when it does not fit. */
static bool skip_ah(pk_walk *w, pk_reader *r, uint8_t *proto) {
    uint8_t nh = rd_u8(r);
    uint8_t len = rd_u8(r);
    rd_skip(r, ((size_t)len + 2) * 4 - 2);
    if (!rd_ok(r)) return false;
    pk_count(w, PKC_AH);
    *proto = nh;
    return true;
}

static void set_default(pk_walk *w, uint8_t proto, const pk_reader *r) {
    pk_packet *o = w->out;
    o->proto = proto;
    o->l4_ok = false;
    o->sport = o->dport = 0;
    o->payload = rd_ptr(r);
    o->payload_len = (uint32_t)rd_left(r);
}

pk_decode_result pk_dec_ip_payload(pk_walk *w, uint8_t proto, pk_reader *r) {
    while (proto == P_AH) {
        set_default(w, proto, r);
        if (++w->ext_seen > PK_MAX_IP_EXT) return pk_bad_l4(w, PKC_M_AH_TOO_MANY);
        if (!skip_ah(w, r, &proto)) return pk_short_l4(w, r, PKC_M_AH_SHORT);
    }
    set_default(w, proto, r);
    switch (proto) {
    case P_TCP: return tcp(w, r);
    case P_UDP: return udp(w, r);
    case P_SCTP: return sctp(w, r);
    case P_ICMP: return icmp(w, r, false);
    case P_ICMPV6: return icmp(w, r, true);
    case P_IPIP: case P_IPV6: case P_GRE: return pk_dec_ip_tunnel(w, proto, r);
    default:
        pk_count(w, PKC_OTHER_PROTO);
        return PK_DECODE_OK;
    }
}
