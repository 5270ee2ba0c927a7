/* decode_int.h - what the decoder's source files share and nobody else sees.
 *
 * Why it exists: the decoder chain is split by layer (decode_l2.c,
 * decode_ip.c, decode_tunnel.c, decode_l4.c) but every layer needs the same
 * per-frame walk state, the same counter table and the same way of calling
 * the next layer. Keeping that here keeps decode.h (the public interface)
 * small.
 *
 * Conventions every layer follows:
 *  - a layer takes a pk_reader positioned at its first byte and bounded to
 *    the bytes that belong to it (an IP layer trims Ethernet padding by
 *    handing the next layer a rd_sub() of its declared length);
 *  - a malformed header is counted once, by reason, with pk_bad();
 *  - a layer returns the result of the next layer it calls.
 */
#ifndef PICKET_DECODE_INT_H
#define PICKET_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "defrag.h"
#include "reader.h"

#define PK_MAX_TUNNEL_DEPTH 4   /* encapsulations entered (GRE, VXLAN, ...) */
#define PK_MAX_VLAN_TAGS 8      /* 802.1Q/802.1ad tags walked in one frame */
#define PK_MAX_MPLS_LABELS 16   /* label stack entries walked */
#define PK_MAX_IP_EXT 8         /* IPv6 extension headers (and IPv4 AH) */
#define PK_REASM_BUF 65535u     /* largest reassembled fragmentable part */

/* Every counter the decoder keeps, with the name it is reported under. */
#define PK_DECODE_COUNTERS(X)                                              \
    X(PACKETS, "decode.packets")                                           \
    X(ETHERNET, "decode.ethernet")                                         \
    X(LLC, "decode.llc")                                                   \
    X(VLAN, "decode.vlan")                                                 \
    X(MPLS, "decode.mpls")                                                 \
    X(PPPOE, "decode.pppoe")                                               \
    X(PPP, "decode.ppp")                                                   \
    X(SLL, "decode.sll")                                                   \
    X(SLL2, "decode.sll2")                                                 \
    X(NULLLOOP, "decode.null")                                             \
    X(RAW, "decode.raw")                                                   \
    X(IPV4, "decode.ipv4")                                                 \
    X(IPV6, "decode.ipv6")                                                 \
    X(IPV6_EXT, "decode.ipv6_ext")                                         \
    X(AH, "decode.ah")                                                     \
    X(GRE, "decode.gre")                                                   \
    X(ERSPAN, "decode.erspan")                                             \
    X(TEB, "decode.teb")                                                   \
    X(VXLAN, "decode.vxlan")                                               \
    X(GENEVE, "decode.geneve")                                             \
    X(IPIP, "decode.ipip")                                                 \
    X(IP6IP, "decode.ip6_in_ip")                                           \
    X(TCP, "decode.tcp")                                                   \
    X(UDP, "decode.udp")                                                   \
    X(SCTP, "decode.sctp")                                                 \
    X(ICMP, "decode.icmp")                                                 \
    X(ICMPV6, "decode.icmpv6")                                             \
    X(OTHER_PROTO, "decode.other_proto")                                   \
    X(ARP, "decode.arp")                                                   \
    X(OTHER_ETHERTYPE, "decode.other_ethertype")                           \
    X(MPLS_OTHER, "decode.mpls_other_payload")                             \
    X(UNSUPPORTED_LINK, "decode.unsupported_linktype")                     \
    X(TRUNCATED, "decode.truncated")                                       \
    X(IPV4_CSUM_BAD, "decode.ipv4_checksum_bad")                           \
    X(TUNNEL_INNER_BAD, "decode.tunnel_inner_malformed")                   \
    X(MALFORMED_FRAMES, "decode.malformed_frames")                         \
    X(SKIPPED, "decode.skipped")                                           \
    X(HELD, "decode.held")                                                 \
    X(M_ETH_SHORT, "decode.malformed.ethernet_short")                      \
    X(M_LLC_SHORT, "decode.malformed.llc_short")                           \
    X(M_VLAN_SHORT, "decode.malformed.vlan_short")                         \
    X(M_VLAN_TOO_MANY, "decode.malformed.vlan_too_many")                   \
    X(M_MPLS_SHORT, "decode.malformed.mpls_short")                         \
    X(M_MPLS_TOO_DEEP, "decode.malformed.mpls_too_deep")                   \
    X(M_PPPOE_SHORT, "decode.malformed.pppoe_short")                       \
    X(M_PPPOE_BAD_HEADER, "decode.malformed.pppoe_bad_header")             \
    X(M_PPP_SHORT, "decode.malformed.ppp_short")                           \
    X(M_SLL_SHORT, "decode.malformed.sll_short")                           \
    X(M_SLL2_SHORT, "decode.malformed.sll2_short")                         \
    X(M_NULL_SHORT, "decode.malformed.null_short")                         \
    X(M_IP_UNKNOWN_VERSION, "decode.malformed.ip_unknown_version")         \
    X(M_IPV4_HEADER_SHORT, "decode.malformed.ipv4_header_short")           \
    X(M_IPV4_BAD_VERSION, "decode.malformed.ipv4_bad_version")             \
    X(M_IPV4_BAD_IHL, "decode.malformed.ipv4_bad_ihl")                     \
    X(M_IPV4_BAD_TOTAL_LEN, "decode.malformed.ipv4_bad_total_len")         \
    X(M_IPV4_BAD_OPTION, "decode.malformed.ipv4_bad_option")               \
    X(M_IPV6_HEADER_SHORT, "decode.malformed.ipv6_header_short")           \
    X(M_IPV6_BAD_VERSION, "decode.malformed.ipv6_bad_version")             \
    X(M_IPV6_BAD_PAYLOAD_LEN, "decode.malformed.ipv6_bad_payload_len")     \
    X(M_IPV6_EXT_SHORT, "decode.malformed.ipv6_ext_short")                 \
    X(M_IPV6_EXT_TOO_LONG, "decode.malformed.ipv6_ext_chain_too_long")     \
    X(M_IPV6_HBH_NOT_FIRST, "decode.malformed.ipv6_hbh_not_first")         \
    X(M_IPV6_DUP_FRAG, "decode.malformed.ipv6_nested_fragment")            \
    X(M_AH_SHORT, "decode.malformed.ah_short")                             \
    X(M_AH_TOO_MANY, "decode.malformed.ah_chain_too_long")                 \
    X(M_FRAG_BAD_LEN, "decode.malformed.frag_bad_length")                  \
    X(M_FRAG_TRUNCATED, "decode.malformed.frag_truncated")                 \
    X(M_GRE_SHORT, "decode.malformed.gre_short")                           \
    X(M_GRE_BAD_VERSION, "decode.malformed.gre_bad_version")               \
    X(M_GRE_BAD_FLAGS, "decode.malformed.gre_bad_flags")                   \
    X(M_ERSPAN_SHORT, "decode.malformed.erspan_short")                     \
    X(M_ERSPAN_BAD_VERSION, "decode.malformed.erspan_bad_version")         \
    X(M_VXLAN_SHORT, "decode.malformed.vxlan_short")                       \
    X(M_VXLAN_BAD_FLAGS, "decode.malformed.vxlan_bad_flags")               \
    X(M_GENEVE_SHORT, "decode.malformed.geneve_short")                     \
    X(M_GENEVE_BAD_VERSION, "decode.malformed.geneve_bad_version")         \
    X(M_TUNNEL_DEPTH, "decode.malformed.tunnel_depth")                     \
    X(M_TCP_HEADER_SHORT, "decode.malformed.tcp_header_short")             \
    X(M_TCP_BAD_OFFSET, "decode.malformed.tcp_bad_offset")                 \
    X(M_UDP_HEADER_SHORT, "decode.malformed.udp_header_short")             \
    X(M_UDP_BAD_LEN, "decode.malformed.udp_bad_len")                       \
    X(M_SCTP_SHORT, "decode.malformed.sctp_short")                         \
    X(M_ICMP_SHORT, "decode.malformed.icmp_short")                         \
    X(M_ICMPV6_SHORT, "decode.malformed.icmpv6_short")

#define PK_DC_ENUM(id, name) PKC_##id,
typedef enum pk_dcounter { PK_DECODE_COUNTERS(PK_DC_ENUM) PKC__COUNT } pk_dcounter;
#undef PK_DC_ENUM

struct pk_decoder {
    pk_decode_config cfg;
    uint64_t ctr[PKC__COUNT];
    pk_defrag *defrag;
    uint8_t *reasm[PK_MAX_IP_LAYERS];  /* one buffer per IP layer index */
};

/* The state of one frame's walk down the layers. */
typedef struct pk_walk {
    pk_decoder *d;
    pk_packet *out;
    const uint8_t *cap_end;  /* one past the last captured byte */
    bool cap_short;          /* caplen < wire_len */
    bool truncated;          /* some layer was cut by the capture length */
    uint8_t depth;           /* encapsulations entered so far */
    uint8_t ext_seen;        /* IPv6 extension headers / AH crossed */
    int64_t ts_usec;
} pk_walk;

static inline void pk_count(pk_walk *w, pk_dcounter c) { w->d->ctr[c]++; }

static inline pk_decode_result pk_bad(pk_walk *w, pk_dcounter reason) {
    w->d->ctr[reason]++;
    return PK_DECODE_MALFORMED;
}

/* True when r ends where the capture ended and the capture was cut short:
 * a length field pointing past r's end is then truncation, not a lie. */
static inline bool pk_cut_here(const pk_walk *w, const pk_reader *r) {
    return w->cap_short && rd_ptr(r) + rd_left(r) == w->cap_end;
}

/* A transport-level malformation under a valid IP header: counted, and the
 * packet is still reported (with l4_ok false) so address matching works. */
static inline pk_decode_result pk_bad_l4(pk_walk *w, pk_dcounter reason) {
    w->d->ctr[reason]++;
    w->out->l4_ok = false;
    return PK_DECODE_OK;
}

/* A header that did not fit in r. When the capture was cut right there it
 * is truncation (flagged, not malformed) and the walk stops with what it
 * has (PK_DECODE_SKIP, which an enclosing tunnel turns into its outer
 * packet); otherwise it is malformed. */
static inline pk_decode_result pk_short(pk_walk *w, const pk_reader *r,
                                        pk_dcounter reason) {
    if (pk_cut_here(w, r)) {
        w->truncated = true;
        return PK_DECODE_SKIP;
    }
    return pk_bad(w, reason);
}

/* The same for a header under a valid IP header: the packet is reported
 * with l4_ok false either way. */
static inline pk_decode_result pk_short_l4(pk_walk *w, const pk_reader *r,
                                           pk_dcounter reason) {
    if (pk_cut_here(w, r)) {
        w->truncated = true;
        w->out->l4_ok = false;
        return PK_DECODE_OK;
    }
    return pk_bad_l4(w, reason);
}

typedef pk_decode_result (*pk_layer_fn)(pk_walk *w, pk_reader *r);

/* decode_l2.c */
pk_decode_result pk_dec_link(pk_walk *w, int linktype, pk_reader *r);
pk_decode_result pk_dec_ethernet(pk_walk *w, pk_reader *r);
pk_decode_result pk_dec_ethertype(pk_walk *w, uint16_t type, pk_reader *r);
pk_decode_result pk_dec_ppp(pk_walk *w, pk_reader *r);

/* decode_ip.c */
pk_decode_result pk_dec_ipv4(pk_walk *w, pk_reader *r);
pk_decode_result pk_dec_ipv6(pk_walk *w, pk_reader *r);
pk_decode_result pk_dec_ip_any(pk_walk *w, pk_reader *r); /* by first nibble */

/* decode_l4.c: what follows an IP header (transport, AH, tunnels). */
pk_decode_result pk_dec_ip_payload(pk_walk *w, uint8_t proto, pk_reader *r);

/* decode_tunnel.c */
pk_decode_result pk_tunnel_enter(pk_walk *w, pk_reader *r, pk_layer_fn inner);
pk_decode_result pk_dec_ip_tunnel(pk_walk *w, uint8_t proto, pk_reader *r);
pk_decode_result pk_dec_udp_tunnel(pk_walk *w, uint16_t dport, pk_reader *r);

#endif
