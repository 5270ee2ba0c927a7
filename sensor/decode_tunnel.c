/* decode_tunnel.c - encapsulations: GRE (v0 with checksum/key/sequence,
 * v1 PPTP), ERSPAN types I, II and III, transparent Ethernet bridging,
 * IPv4-in-IP (4), IPv6-in-IP (41), VXLAN (UDP 4789) and Geneve (UDP 6081).
 *
 * Why it exists: mirrored and overlay traffic (ERSPAN from a remote switch,
 * VXLAN in a data centre, GRE between sites) hides the hosts an indicator
 * names one or more headers deep. Every IP header crossed is recorded in
 * out->ip[] (outermost first) and the innermost one keys the flow.
 *
 * Every encapsulation goes through pk_tunnel_enter(), which bounds nesting
 * (PK_MAX_TUNNEL_DEPTH, and PK_MAX_IP_LAYERS recorded headers) so a frame
 * of nested tunnels cannot recurse without limit, and which applies the
 * inner-failure rule: when what is inside a tunnel is malformed, cut by the
 * capture, or not IP, the packet is reported as it stood at the tunnel
 * (the outer IP header and its GRE/UDP), the inner reason counted, plus
 * "decode.tunnel_inner_malformed" for malformations.
 */
#include "decode_int.h"

#define GRE_CSUM 0x8000
#define GRE_ROUTING 0x4000
#define GRE_KEY 0x2000
#define GRE_SEQ 0x1000
#define GRE_SSR 0x0800
#define GRE_ACK 0x0080      /* version 1 only */

#define GP_TEB 0x6558
#define GP_ERSPAN_12 0x88be
#define GP_ERSPAN_3 0x22eb
#define GP_PPP 0x880b

#define UDP_VXLAN 4789
#define UDP_GENEVE 6081

pk_decode_result pk_tunnel_enter(pk_walk *w, pk_reader *r, pk_layer_fn inner) {
    if (w->depth >= PK_MAX_TUNNEL_DEPTH) {
        pk_count(w, PKC_M_TUNNEL_DEPTH);
        return w->out->ip_count ? PK_DECODE_OK : PK_DECODE_MALFORMED;
    }
    pk_packet saved = *w->out;
    w->depth++;
    pk_decode_result res = inner(w, r);
    w->depth--;
    if (res == PK_DECODE_OK || res == PK_DECODE_HELD || saved.ip_count == 0)
        return res;
    if (res == PK_DECODE_MALFORMED) pk_count(w, PKC_TUNNEL_INNER_BAD);
    *w->out = saved;
    return PK_DECODE_OK;
}

/* ERSPAN type II: 8 bytes, version 1, then the mirrored Ethernet frame. */
static pk_decode_result erspan2(pk_walk *w, pk_reader *r) {
    uint16_t ver_vlan = rd_be16(r);
    rd_skip(r, 6);                         /* COS, En, T, session, index */
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_ERSPAN_SHORT);
    if (ver_vlan >> 12 != 1) return pk_bad(w, PKC_M_ERSPAN_BAD_VERSION);
    pk_count(w, PKC_ERSPAN);
    return pk_dec_ethernet(w, r);
}

/* ERSPAN type III: 12 bytes, version 2, an optional 8-byte platform
 * subheader (O bit), then Ethernet (frame type 0) or IP (frame type 2). */
static pk_decode_result erspan3(pk_walk *w, pk_reader *r) {
    uint16_t ver_vlan = rd_be16(r);
    rd_skip(r, 8);                         /* COS..session, timestamp, SGT */
    uint16_t bits = rd_be16(r);
    if (bits & 1) rd_skip(r, 8);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_ERSPAN_SHORT);
    if (ver_vlan >> 12 != 2) return pk_bad(w, PKC_M_ERSPAN_BAD_VERSION);
    pk_count(w, PKC_ERSPAN);
    switch ((bits >> 10) & 0x1f) {
    case 0: return pk_dec_ethernet(w, r);
    case 2: return pk_dec_ip_any(w, r);
    default:
        pk_count(w, PKC_OTHER_ETHERTYPE);
        return PK_DECODE_SKIP;
    }
}

/* Skips the optional GRE fields; false when the flags are not acceptable.
 * RFC 2784 receivers discard routing / strict source route; version 1
 * (RFC 2637, PPTP) needs the key, carries PPP, has no checksum. */
static bool gre_options(uint16_t flags, uint16_t ptype, pk_reader *r) {
    if (flags & (GRE_ROUTING | GRE_SSR)) return false;
    if ((flags & 7) == 1) {
        if (!(flags & GRE_KEY) || (flags & GRE_CSUM) || ptype != GP_PPP)
            return false;
        rd_skip(r, 4);                     /* payload length, call id */
        if (flags & GRE_SEQ) rd_skip(r, 4);
        if (flags & GRE_ACK) rd_skip(r, 4);
        return true;
    }
    if (flags & GRE_CSUM) rd_skip(r, 4);   /* checksum, reserved1 */
    if (flags & GRE_KEY) rd_skip(r, 4);
    if (flags & GRE_SEQ) rd_skip(r, 4);
    return true;
}

static pk_decode_result gre(pk_walk *w, pk_reader *r) {
    uint16_t flags = rd_be16(r);
    uint16_t ptype = rd_be16(r);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_GRE_SHORT);
    if ((flags & 7) > 1) return pk_bad(w, PKC_M_GRE_BAD_VERSION);
    if (!gre_options(flags, ptype, r)) return pk_bad(w, PKC_M_GRE_BAD_FLAGS);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_GRE_SHORT);
    pk_count(w, PKC_GRE);
    switch (ptype) {
    case GP_ERSPAN_12:
        if (flags & GRE_SEQ) return erspan2(w, r);
        pk_count(w, PKC_ERSPAN);           /* type I: no ERSPAN header */
        return pk_dec_ethernet(w, r);
    case GP_ERSPAN_3: return erspan3(w, r);
    case GP_TEB:
        pk_count(w, PKC_TEB);
        return pk_dec_ethernet(w, r);
    case GP_PPP: return pk_dec_ppp(w, r);
    default: return pk_dec_ethertype(w, ptype, r);
    }
}

static pk_decode_result vxlan(pk_walk *w, pk_reader *r) {
    uint8_t flags = rd_u8(r);
    rd_skip(r, 7);                         /* reserved, VNI, reserved */
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_VXLAN_SHORT);
    if (!(flags & 0x08)) return pk_bad(w, PKC_M_VXLAN_BAD_FLAGS);
    pk_count(w, PKC_VXLAN);
    return pk_dec_ethernet(w, r);
}

static pk_decode_result geneve(pk_walk *w, pk_reader *r) {
    uint8_t ver_optlen = rd_u8(r);
    rd_skip(r, 1);                         /* O, C, reserved */
    uint16_t ptype = rd_be16(r);
    rd_skip(r, 4);                         /* VNI, reserved */
    rd_skip(r, (size_t)(ver_optlen & 0x3f) * 4);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_GENEVE_SHORT);
    if (ver_optlen >> 6 != 0) return pk_bad(w, PKC_M_GENEVE_BAD_VERSION);
    pk_count(w, PKC_GENEVE);
    if (ptype == GP_TEB) return pk_dec_ethernet(w, r);
    return pk_dec_ethertype(w, ptype, r);
}

pk_decode_result pk_dec_ip_tunnel(pk_walk *w, uint8_t proto, pk_reader *r) {
    switch (proto) {
    case 4:
        pk_count(w, PKC_IPIP);
        return pk_tunnel_enter(w, r, pk_dec_ipv4);
    case 41:
        pk_count(w, PKC_IP6IP);
        return pk_tunnel_enter(w, r, pk_dec_ipv6);
    default:
        return pk_tunnel_enter(w, r, gre);
    }
}

pk_decode_result pk_dec_udp_tunnel(pk_walk *w, uint16_t dport, pk_reader *r) {
    if (dport == UDP_VXLAN) return pk_tunnel_enter(w, r, vxlan);
    if (dport == UDP_GENEVE) return pk_tunnel_enter(w, r, geneve);
    return PK_DECODE_OK;
}
