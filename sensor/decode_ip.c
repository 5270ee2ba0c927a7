/* decode_ip.c - IPv4 and IPv6 headers, the IPv6 extension header chain, and
 * the hand-off of fragments to defrag.c.
 *
 * Why it exists: the IP header is what every indicator of type ip/cidr is
 * matched on and what the flow is keyed on, so it is checked strictly
 * (version, IHL, total/payload length against the bytes present, IPv4
 * options well formed) and each header crossed is recorded in out->ip[].
 * The IP length trims link-layer padding for every layer above.
 *
 * IPv6 extension headers (hop-by-hop, routing, destination options,
 * fragment, AH, mobility, HIP, shim6) are walked up to PK_MAX_IP_EXT of
 * them; hop-by-hop anywhere but first, a second fragment header, or a chain
 * that is too long or runs past the payload is counted and the packet is
 * reported with l4_ok false (its addresses are valid). An atomic fragment
 * (offset 0, M clear, RFC 6946) is decoded at once.
 *
 * The IPv4 header checksum is verified only to count bad ones
 * ("decode.ipv4_checksum_bad"): captures on a sending host often carry
 * checksums the NIC fills in later, so the packet is kept.
 */
#include <string.h>

#include "decode_int.h"

#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

typedef struct v4fixed {
    uint8_t version, ihl, proto;
    uint16_t total, id, frag;
    uint8_t src[4], dst[4];
    uint64_t sum;            /* checksum words of the fixed header, unfolded */
} v4fixed;

typedef struct v6chain {
    uint8_t nh;              /* next header to decode */
    unsigned count;          /* extension headers crossed */
    uint32_t hdr_bytes;      /* extension header bytes crossed */
    bool reassembled;        /* r holds a rebuilt fragmentable part */
} v6chain;

static uint16_t be16_at(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

/* Ones' complement sum of 4-byte words, folded to 16 bits: the RFC 1071
 * sum in the host's byte order, which is 0xffff for a valid header in
 * either order. */
static uint64_t csum_add(uint64_t sum, const uint8_t *b, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t w;
        memcpy(&w, b + i, 4);
        sum += w;
    }
    return sum;
}

static uint16_t csum_fold(uint64_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Reads the fixed IPv4 header from a copy of the cursor (one bounds check
 * for the 20 bytes; the fields are read from the local copy). */
static bool v4_read(pk_reader r, v4fixed *h) {
    uint8_t b[20];
    if (!rd_copy(&r, b, sizeof b)) return false;
    h->version = b[0] >> 4;
    h->ihl = b[0] & 0x0f;
    h->total = be16_at(b + 2);
    h->id = be16_at(b + 4);
    h->frag = be16_at(b + 6);
    h->proto = b[9];
    memcpy(h->src, b + 12, 4);
    memcpy(h->dst, b + 16, 4);
    h->sum = csum_add(0, b, sizeof b);
    return true;
}

/* hdr: the options after the fixed header (a multiple of 4 bytes). */
static bool v4_checksum_ok(const v4fixed *h, pk_reader opts) {
    uint64_t sum = h->sum;
    while (rd_left(&opts) >= 4) {
        uint8_t w[4];
        rd_copy(&opts, w, 4);
        sum = csum_add(sum, w, 4);
    }
    return csum_fold(sum) == 0xffff;
}

/* Options: EOL ends them, NOP is one byte, others are type, length, data. */
static bool v4_options_ok(pk_reader opt) {
    while (rd_left(&opt)) {
        uint8_t type = rd_u8(&opt);
        if (type == 0) return true;
        if (type == 1) continue;
        uint8_t len = rd_u8(&opt);
        if (!rd_ok(&opt) || len < 2 || (size_t)(len - 2) > rd_left(&opt))
            return false;
        rd_skip(&opt, (size_t)len - 2);
    }
    return true;
}

static void record_ip(pk_walk *w, uint8_t family, const uint8_t *src,
                      const uint8_t *dst, size_t alen) {
    pk_ip_pair *ip = &w->out->ip[w->out->ip_count++];
    memset(ip, 0, sizeof *ip);
    ip->family = family;
    memcpy(ip->src, src, alen);
    memcpy(ip->dst, dst, alen);
}

/* Trims r to the IP-declared length n, or to what was captured. */
static bool take_body(pk_walk *w, pk_reader *r, size_t n, pk_reader *body) {
    if (n > rd_left(r)) {
        if (!pk_cut_here(w, r)) return false;
        w->truncated = true;
        n = rd_left(r);
    }
    *body = rd_sub(r, n);
    return true;
}

static void frag_key(pk_walk *w, pk_frag_key *k, uint8_t family,
                     uint8_t proto, uint32_t id) {
    const pk_ip_pair *ip = &w->out->ip[w->out->ip_count - 1];
    memset(k, 0, sizeof *k);
    k->family = family;
    k->proto = proto;
    k->layer = (uint8_t)(w->out->ip_count - 1);
    k->vlan[0] = w->out->vlan[0];
    k->vlan[1] = w->out->vlan[1];
    k->id = id;
    memcpy(k->src, ip->src, sizeof k->src);
    memcpy(k->dst, ip->dst, sizeof k->dst);
}

/* Checks a fragment's length and hands it to defrag. Returns PK_DECODE_OK
 * with *rebuilt over the datagram's fragmentable part when it completed. */
static pk_decode_result feed(pk_walk *w, pk_frag_in *in, pk_reader *body,
                             pk_reader *rebuilt, uint8_t *proto) {
    pk_defrag *df = w->d->defrag;
    in->len = (uint32_t)rd_left(body);
    in->data = rd_take(body, in->len);
    in->ts_usec = w->ts_usec;
    w->out->proto = in->next_proto;
    if (w->truncated) {
        pk_defrag_note_refused(df);
        return pk_bad(w, PKC_M_FRAG_TRUNCATED);
    }
    if (in->more && (in->len == 0 || in->len % 8)) {
        pk_defrag_note_refused(df);
        return pk_bad(w, PKC_M_FRAG_BAD_LEN);
    }
    uint8_t *buf = w->d->reasm[in->key.layer];
    uint32_t len = 0;
    switch (pk_defrag_add(df, in, buf, PK_REASM_BUF, &len, proto)) {
    case PK_FRAG_HELD: return PK_DECODE_HELD;
    case PK_FRAG_DROPPED: return PK_DECODE_MALFORMED;  /* counted by defrag */
    case PK_FRAG_DONE: break;
    }
    rd_init(rebuilt, buf, len);
    w->out->reassembled = true;
    return PK_DECODE_OK;
}

static pk_decode_result v4_fragment(pk_walk *w, const v4fixed *h,
                                    pk_reader *body) {
    pk_frag_in in = {
        .offset = (uint32_t)(h->frag & IPV4_OFFMASK) * 8,
        .more = (h->frag & IPV4_MF) != 0,
        .next_proto = h->proto,
        .unfrag_len = (uint16_t)(h->ihl * 4),
    };
    frag_key(w, &in.key, 4, h->proto, h->id);
    pk_reader rebuilt;
    uint8_t proto = h->proto;
    pk_decode_result res = feed(w, &in, body, &rebuilt, &proto);
    if (res != PK_DECODE_OK) return res;
    return pk_dec_ip_payload(w, proto, &rebuilt);
}

pk_decode_result pk_dec_ipv4(pk_walk *w, pk_reader *r) {
    v4fixed h;
    if (!v4_read(*r, &h)) return pk_short(w, r, PKC_M_IPV4_HEADER_SHORT);
    if (h.version != 4) return pk_bad(w, PKC_M_IPV4_BAD_VERSION);
    if (h.ihl < 5) return pk_bad(w, PKC_M_IPV4_BAD_IHL);
    size_t hl = (size_t)h.ihl * 4;
    if (rd_left(r) < hl) return pk_short(w, r, PKC_M_IPV4_HEADER_SHORT);
    if (h.total < hl) return pk_bad(w, PKC_M_IPV4_BAD_TOTAL_LEN);
    if (w->out->ip_count >= PK_MAX_IP_LAYERS) return pk_bad(w, PKC_M_TUNNEL_DEPTH);
    pk_reader hdr = rd_sub(r, hl);
    rd_skip(&hdr, 20);
    if (!v4_checksum_ok(&h, hdr)) pk_count(w, PKC_IPV4_CSUM_BAD);
    if (!v4_options_ok(hdr)) return pk_bad(w, PKC_M_IPV4_BAD_OPTION);
    pk_reader body;
    if (!take_body(w, r, h.total - hl, &body))
        return pk_bad(w, PKC_M_IPV4_BAD_TOTAL_LEN);
    record_ip(w, 4, h.src, h.dst, 4);
    pk_count(w, PKC_IPV4);
    if (h.frag & (IPV4_MF | IPV4_OFFMASK)) return v4_fragment(w, &h, &body);
    return pk_dec_ip_payload(w, h.proto, &body);
}

static bool is_v6_ext(uint8_t nh) {
    switch (nh) {
    case 0: case 43: case 44: case 51: case 60: case 135: case 139: case 140:
        return true;
    default:
        return false;
    }
}

/* An extension header in the common shape (AH counts 4-byte units). */
static bool v6_skip_ext(pk_walk *w, v6chain *c, pk_reader *r) {
    uint8_t nh = rd_u8(r);
    uint8_t len = rd_u8(r);
    size_t size = c->nh == 51 ? ((size_t)len + 2) * 4 : ((size_t)len + 1) * 8;
    rd_skip(r, size - 2);
    if (!rd_ok(r)) return false;
    pk_count(w, c->nh == 51 ? PKC_AH : PKC_IPV6_EXT);
    c->hdr_bytes += (uint32_t)size;
    c->nh = nh;
    return true;
}

static pk_decode_result v6_chain(pk_walk *w, v6chain *c, pk_reader *r);

static pk_decode_result v6_fragment(pk_walk *w, v6chain *c, pk_reader *r) {
    uint8_t nh = rd_u8(r);
    rd_skip(r, 1);
    uint16_t offm = rd_be16(r);
    uint32_t id = rd_be32(r);
    if (!rd_ok(r)) return pk_short_l4(w, r, PKC_M_IPV6_EXT_SHORT);
    pk_count(w, PKC_IPV6_EXT);
    if ((offm & 0xfff8) == 0 && !(offm & 1)) {
        pk_defrag_note_atomic(w->d->defrag);
        c->nh = nh;
        c->hdr_bytes += 8;
        return v6_chain(w, c, r);
    }
    if (c->reassembled) return pk_bad_l4(w, PKC_M_IPV6_DUP_FRAG);
    pk_frag_in in = {
        .offset = offm & 0xfff8u, .more = (offm & 1) != 0,
        .next_proto = nh, .unfrag_len = (uint16_t)c->hdr_bytes,
    };
    frag_key(w, &in.key, 6, 0, id);
    pk_reader rebuilt;
    pk_decode_result res = feed(w, &in, r, &rebuilt, &c->nh);
    if (res != PK_DECODE_OK) return res;
    c->reassembled = true;
    return v6_chain(w, c, &rebuilt);
}

static pk_decode_result v6_chain(pk_walk *w, v6chain *c, pk_reader *r) {
    while (is_v6_ext(c->nh)) {
        w->out->proto = c->nh;
        if (++c->count > PK_MAX_IP_EXT) return pk_bad_l4(w, PKC_M_IPV6_EXT_TOO_LONG);
        if (c->nh == 0 && c->count != 1) return pk_bad_l4(w, PKC_M_IPV6_HBH_NOT_FIRST);
        if (c->nh == 44) return v6_fragment(w, c, r);
        if (!v6_skip_ext(w, c, r)) return pk_short_l4(w, r, PKC_M_IPV6_EXT_SHORT);
    }
    return pk_dec_ip_payload(w, c->nh, r);
}

pk_decode_result pk_dec_ipv6(pk_walk *w, pk_reader *r) {
    uint32_t vtf = rd_be32(r);
    uint16_t plen = rd_be16(r);
    uint8_t nh = rd_u8(r);
    rd_skip(r, 1);                         /* hop limit */
    uint8_t src[16], dst[16];
    rd_copy(r, src, 16);
    rd_copy(r, dst, 16);
    if (!rd_ok(r)) return pk_short(w, r, PKC_M_IPV6_HEADER_SHORT);
    if (vtf >> 28 != 6) return pk_bad(w, PKC_M_IPV6_BAD_VERSION);
    if (w->out->ip_count >= PK_MAX_IP_LAYERS) return pk_bad(w, PKC_M_TUNNEL_DEPTH);
    /* A jumbogram (RFC 2675) says 0 here: its payload is the rest. */
    size_t n = (plen == 0 && nh == 0) ? rd_left(r) : plen;
    pk_reader body;
    if (!take_body(w, r, n, &body)) return pk_bad(w, PKC_M_IPV6_BAD_PAYLOAD_LEN);
    record_ip(w, 6, src, dst, 16);
    pk_count(w, PKC_IPV6);
    v6chain c = { .nh = nh };
    return v6_chain(w, &c, &body);
}

pk_decode_result pk_dec_ip_any(pk_walk *w, pk_reader *r) {
    pk_reader peek = *r;
    uint8_t version = rd_u8(&peek) >> 4;
    if (!rd_ok(&peek)) return pk_short(w, &peek, PKC_M_IP_UNKNOWN_VERSION);
    if (version == 4) return pk_dec_ipv4(w, r);
    if (version == 6) return pk_dec_ipv6(w, r);
    return pk_bad(w, PKC_M_IP_UNKNOWN_VERSION);
}
