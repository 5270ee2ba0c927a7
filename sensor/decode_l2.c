/* decode_l2.c - link layers: from the first captured byte to an IP header.
 *
 * Why it exists: a sensor sits on whatever the operator's tap or SPAN port
 * gives it, so the decoder accepts every link type the design names:
 * Ethernet II and 802.3/LLC+SNAP, 802.1Q/802.1ad/QinQ tags (0x8100, 0x88a8,
 * 0x9100), MPLS label stacks, PPPoE sessions, Linux cooked captures (SLL,
 * SLL2), raw IP (DLT_RAW 12/14, LINKTYPE_RAW 101, LINKTYPE_IPV4/IPV6
 * 228/229) and BSD loopback (DLT_NULL 0 in either byte order, DLT_LOOP 108).
 * Anything well formed but not IP (ARP, LLDP, STP...) is PK_DECODE_SKIP.
 */
#include "decode_int.h"

#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8
#define ET_QINQ_OLD 0x9100
#define ET_IPV6 0x86dd
#define ET_MPLS_UC 0x8847
#define ET_MPLS_MC 0x8848
#define ET_PPPOE_SESSION 0x8864

static pk_decode_result llc(pk_walk *w, pk_reader *r) {
    uint8_t dsap = rd_u8(r), ssap = rd_u8(r), ctrl = rd_u8(r);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_LLC_SHORT);
    pk_count(w, PKC_LLC);
    if (dsap != 0xaa || ssap != 0xaa || ctrl != 0x03) {
        pk_count(w, PKC_OTHER_ETHERTYPE);
        return PK_DECODE_SKIP;             /* STP, IPX, NetBIOS ... */
    }
    rd_skip(r, 3);                         /* SNAP OUI */
    uint16_t type = rd_be16(r);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_LLC_SHORT);
    return pk_dec_ethertype(w, type, r);
}

pk_decode_result pk_dec_ethernet(pk_walk *w, pk_reader *r) {
    rd_skip(r, 12);                        /* destination, source */
    uint16_t type = rd_be16(r);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_ETH_SHORT);
    pk_count(w, PKC_ETHERNET);
    if (type <= 1500) {                    /* 802.3 length field */
        pk_reader body = rd_sub(r, type <= rd_left(r) ? type : rd_left(r));
        return llc(w, &body);
    }
    return pk_dec_ethertype(w, type, r);
}

/* One 802.1Q/802.1ad tag; returns the type that follows it. */
static uint16_t vlan_tag(pk_walk *w, pk_reader *r) {
    uint16_t tci = rd_be16(r);
    uint16_t type = rd_be16(r);
    pk_packet *o = w->out;
    if (rd_ok(r) && o->vlan_count < PK_MAX_VLANS)
        o->vlan[o->vlan_count++] = tci & 0x0fff;
    return type;
}

static pk_decode_result mpls_payload(pk_walk *w, uint32_t label, pk_reader *r) {
    if (label == 0) return pk_dec_ipv4(w, r);   /* IPv4 explicit null */
    if (label == 2) return pk_dec_ipv6(w, r);   /* IPv6 explicit null */
    pk_reader peek = *r;
    uint8_t nibble = rd_u8(&peek) >> 4;
    if (!rd_ok(&peek)) return pk_short(w, r, PKC_M_MPLS_SHORT);
    if (nibble == 4 || nibble == 6) return pk_dec_ip_any(w, r);
    if (nibble == 0) {                     /* pseudowire control word */
        rd_skip(r, 4);
        if (!rd_ok(r)) return pk_short(w, r, PKC_M_MPLS_SHORT);
        return pk_tunnel_enter(w, r, pk_dec_ethernet);
    }
    pk_count(w, PKC_MPLS_OTHER);
    return PK_DECODE_SKIP;
}

static pk_decode_result mpls(pk_walk *w, pk_reader *r) {
    for (int n = 0; n < PK_MAX_MPLS_LABELS; n++) {
        uint32_t entry = rd_be32(r);
        if (!rd_ok(r)) return pk_short(w, r, PKC_M_MPLS_SHORT);
        pk_count(w, PKC_MPLS);
        if (entry & 0x100)                 /* bottom of stack */
            return mpls_payload(w, entry >> 12, r);
    }
    return pk_bad(w, PKC_M_MPLS_TOO_DEEP);
}

static pk_decode_result pppoe_session(pk_walk *w, pk_reader *r) {
    uint8_t vertype = rd_u8(r), code = rd_u8(r);
    rd_skip(r, 2);                         /* session id */
    uint16_t len = rd_be16(r);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_PPPOE_SHORT);
    if (vertype != 0x11 || code != 0) return pk_bad(w, PKC_M_PPPOE_BAD_HEADER);
    if (len > rd_left(r)) {
        if (!pk_cut_here(w, r)) return pk_bad(w, PKC_M_PPPOE_BAD_HEADER);
        w->truncated = true;
        len = (uint16_t)rd_left(r);
    }
    pk_count(w, PKC_PPPOE);
    pk_reader body = rd_sub(r, len);
    return pk_dec_ppp(w, &body);
}

pk_decode_result pk_dec_ppp(pk_walk *w, pk_reader *r) {
    pk_reader peek = *r;
    if (rd_u8(&peek) == 0xff && rd_u8(&peek) == 0x03) rd_skip(r, 2);
    uint16_t proto = rd_u8(r);
    if (!(proto & 1)) proto = (uint16_t)(proto << 8 | rd_u8(r));
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_PPP_SHORT);
    pk_count(w, PKC_PPP);
    switch (proto) {
    case 0x0021: return pk_dec_ipv4(w, r);   /* also the compressed 0x21 */
    case 0x0057: return pk_dec_ipv6(w, r);
    default:
        pk_count(w, PKC_OTHER_ETHERTYPE);  /* LCP, IPCP, CHAP ... */
        return PK_DECODE_SKIP;
    }
}

pk_decode_result pk_dec_ethertype(pk_walk *w, uint16_t type, pk_reader *r) {
    for (int tags = 0;; tags++) {
        switch (type) {
        case ET_VLAN: case ET_QINQ: case ET_QINQ_OLD:
            if (tags >= PK_MAX_VLAN_TAGS) return pk_bad(w, PKC_M_VLAN_TOO_MANY);
            type = vlan_tag(w, r);
            if (!rd_ok(r)) return pk_short(w, r, PKC_M_VLAN_SHORT);
            pk_count(w, PKC_VLAN);
            continue;
        case ET_IPV4: return pk_dec_ipv4(w, r);
        case ET_IPV6: return pk_dec_ipv6(w, r);
        case ET_MPLS_UC: case ET_MPLS_MC: return mpls(w, r);
        case ET_PPPOE_SESSION: return pppoe_session(w, r);
        case ET_ARP:
            pk_count(w, PKC_ARP);
            return PK_DECODE_SKIP;
        default:
            pk_count(w, PKC_OTHER_ETHERTYPE);
            return PK_DECODE_SKIP;
        }
    }
}

/* SLL and SLL2 carry the Ethernet type, except for a few special values. */
static pk_decode_result cooked_payload(pk_walk *w, uint16_t hatype,
                                       uint16_t proto, pk_reader *r) {
    if (hatype == 824 || proto == 0x0001 || proto == 0x0004) {
        pk_count(w, PKC_OTHER_ETHERTYPE);  /* netlink, raw 802.3, 802.2 */
        return PK_DECODE_SKIP;
    }
    return pk_dec_ethertype(w, proto, r);
}

static pk_decode_result sll(pk_walk *w, pk_reader *r) {
    rd_skip(r, 2);                         /* packet type */
    uint16_t hatype = rd_be16(r);
    rd_skip(r, 10);                        /* address length, address */
    uint16_t proto = rd_be16(r);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_SLL_SHORT);
    pk_count(w, PKC_SLL);
    return cooked_payload(w, hatype, proto, r);
}

static pk_decode_result sll2(pk_walk *w, pk_reader *r) {
    uint16_t proto = rd_be16(r);
    rd_skip(r, 6);                         /* reserved, interface index */
    uint16_t hatype = rd_be16(r);
    rd_skip(r, 10);                        /* packet type, addr len, addr */
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_SLL2_SHORT);
    pk_count(w, PKC_SLL2);
    return cooked_payload(w, hatype, proto, r);
}

/* DLT_NULL stores the address family in the capturing host's byte order,
 * DLT_LOOP in network order; a value above 0xffff means the other order. */
static pk_decode_result null_loop(pk_walk *w, pk_reader *r, bool loop) {
    uint32_t af = loop ? rd_be32(r) : rd_le32(r);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_NULL_SHORT);
    if (af > 0xffff) af = __builtin_bswap32(af);
    pk_count(w, PKC_NULLLOOP);
    switch (af) {
    case 2:                               /* AF_INET everywhere */
        return pk_dec_ipv4(w, r);
    case 10:                              /* AF_INET6 Linux */
    case 24:                              /* NetBSD, OpenBSD, BSD/OS */
    case 28:                              /* FreeBSD, DragonFly */
    case 30:                              /* Darwin */
        return pk_dec_ipv6(w, r);
    default:
        pk_count(w, PKC_OTHER_ETHERTYPE);
        return PK_DECODE_SKIP;
    }
}

static pk_decode_result raw(pk_walk *w, int linktype, pk_reader *r) {
    pk_count(w, PKC_RAW);
    if (linktype == 228) return pk_dec_ipv4(w, r);
    if (linktype == 229) return pk_dec_ipv6(w, r);
    return pk_dec_ip_any(w, r);
}

pk_decode_result pk_dec_link(pk_walk *w, int linktype, pk_reader *r) {
    switch (linktype) {
    case 1: return pk_dec_ethernet(w, r);
    case 113: return sll(w, r);
    case 276: return sll2(w, r);
    case 0: return null_loop(w, r, false);
    case 108: return null_loop(w, r, true);
    case 12: case 14: case 101: case 228: case 229: return raw(w, linktype, r);
    default:
        pk_count(w, PKC_UNSUPPORTED_LINK);
        return PK_DECODE_SKIP;
    }
}
