/* packet.h - what the decoder tells the rest of the packet path about one
 * captured frame.
 *
 * Why it exists: the decoder chain (link layer, tunnels, IP, transport) and
 * everything after it (flow table, protocol parsers, matching) meet here. The
 * struct lives on the capture thread's stack; pointers into it stay valid
 * until the next call of pk_decode_packet().
 */
#ifndef PICKET_PACKET_H
#define PICKET_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#define PK_MAX_IP_LAYERS 4   /* outer tunnel headers + the innermost one */
#define PK_MAX_VLANS 2       /* QinQ; more tags are decoded but not kept */

typedef struct pk_ip_pair {
    uint8_t family;          /* 4 or 6 */
    uint8_t src[16];         /* IPv4 uses the first 4 bytes, rest zero */
    uint8_t dst[16];
} pk_ip_pair;

typedef struct pk_packet {
    int64_t ts_usec;         /* capture time, microseconds since the epoch */
    uint32_t wire_len;       /* original length on the wire */

    uint16_t vlan[PK_MAX_VLANS];   /* 802.1Q ids, outermost first */
    uint8_t vlan_count;

    /* Every IP header crossed, outermost first; ip[ip_count-1] is the
     * innermost, the one the flow is keyed on. ip_count >= 1 on success.
     * Entries past ip_count hold nothing meaningful. */
    pk_ip_pair ip[PK_MAX_IP_LAYERS];
    uint8_t ip_count;

    /* Innermost transport (after IP reassembly). */
    uint8_t proto;           /* IPPROTO_* of the innermost IP payload */
    bool l4_ok;              /* transport header decoded */
    uint16_t sport, dport;   /* TCP/UDP/SCTP ports; 0 otherwise */
    uint8_t icmp_type, icmp_code;  /* ICMP/ICMPv6 only */
    uint8_t tcp_flags;       /* TH_SYN etc. */
    uint32_t tcp_seq, tcp_ack;

    const uint8_t *payload;  /* transport payload (TCP/UDP data) */
    uint32_t payload_len;

    /* The capture ended inside this packet (caplen < wire length): headers
     * and payload hold what was captured, payload_len may be short. */
    bool truncated;
    /* The innermost IP datagram was rebuilt from fragments; payload points
     * into the decoder's reassembly buffer. */
    bool reassembled;
} pk_packet;

/* TCP flag bits as on the wire. */
#define PK_TH_FIN 0x01
#define PK_TH_SYN 0x02
#define PK_TH_RST 0x04
#define PK_TH_PSH 0x08
#define PK_TH_ACK 0x10

static inline const pk_ip_pair *pk_packet_inner_ip(const pk_packet *p) {
    return &p->ip[p->ip_count - 1];
}

#endif
