/* test_decode_ip.c - IPv4 (options, header checks), the IPv6 extension
 * header chain (hop-by-hop, routing, destination options, fragment, AH),
 * and the transports right above them (TCP, UDP, SCTP, ICMP, ICMPv6).
 *
 * Why it exists: the IP and transport headers carry the lengths every later
 * layer trusts, so each hostile value (IHL < 5, total length past the
 * capture, TCP offset < 5 or past the segment, UDP length lies, extension
 * header loops and endless chains) is fed here and must be counted by
 * reason without a crash or a read out of bounds. Frames use the raw IP
 * link type (101) so the bytes below are IP from the first one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* ---- helpers (each decoder test file carries its own copy) ---- */

typedef struct ctr_find { const char *name; uint64_t value; bool found; } ctr_find;

static void ctr_cb(void *ctx, const char *name, uint64_t value) {
    ctr_find *f = ctx;
    if (strcmp(name, f->name) == 0) {
        f->value = value;
        f->found = true;
    }
}

/* The value of one named counter (fails when the name is unknown). */
static uint64_t ctr(const pk_decoder *d, const char *name) {
    ctr_find f = { name, 0, false };
    pk_decoder_counters(d, ctr_cb, &f);
    if (!f.found) fail_msg("no counter %s", name);
    return f.value;
}

static pk_decoder *dec_new(void) {
    pk_decoder *d = pk_decoder_new(NULL);
    assert_non_null(d);
    return d;
}

static pk_decode_result dec(pk_decoder *d, int lt, const uint8_t *b, size_t n,
                            pk_packet *p) {
    return pk_decode_packet(d, lt, b, (uint32_t)n, (uint32_t)n, 0, p);
}

static void check_coherent(pk_decode_result r, const pk_packet *p,
                           const uint8_t *buf, size_t n) {
    assert_true(p->ip_count <= PK_MAX_IP_LAYERS);
    if (r == PK_DECODE_OK) assert_true(p->ip_count >= 1);
    if (p->payload_len && !p->reassembled)
        assert_true(p->payload >= buf && p->payload + p->payload_len <= buf + n);
}

/* Decodes every prefix of a frame from an exact-size heap copy (so ASan
 * sees any read past it), once as a capture cut short (wire = full length)
 * and once as a frame that claims to be complete. */
static void all_prefixes(int lt, const uint8_t *frame, size_t len) {
    pk_decoder *d = dec_new();
    for (size_t n = 0; n <= len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, frame, n);
        for (int cut = 0; cut < 2; cut++) {
            pk_packet p;
            uint32_t wire = (uint32_t)(cut ? len : n);
            pk_decode_result r = pk_decode_packet(d, lt, copy, (uint32_t)n, wire, 0, &p);
            check_coherent(r, &p, copy, n);
        }
        free(copy);
    }
    pk_decoder_free(d);
}

/* Flips random bytes of a frame many times (fixed seed): hostile values in
 * every field must be survived the same way. */
static void mutate(int lt, const uint8_t *frame, size_t len, unsigned rounds) {
    pk_decoder *d = dec_new();
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    uint32_t x = 2463534242u;
    for (unsigned i = 0; i < rounds; i++) {
        memcpy(copy, frame, len);
        for (int k = 0; k < 3; k++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            copy[x % len] = (uint8_t)(x >> 8);
        }
        pk_packet p;
        pk_decode_result r = dec(d, lt, copy, len, &p);
        check_coherent(r, &p, copy, len);
    }
    free(copy);
    pk_decoder_free(d);
}

static void assert_ip4(const pk_ip_pair *ip, const char *src, const char *dst) {
    uint8_t s[4], t[4];
    assert_int_equal(ip->family, 4);
    assert_int_equal(inet_pton(AF_INET, src, s), 1);
    assert_int_equal(inet_pton(AF_INET, dst, t), 1);
    assert_memory_equal(ip->src, s, 4);
    assert_memory_equal(ip->dst, t, 4);
}

static void assert_ip6(const pk_ip_pair *ip, const char *src, const char *dst) {
    uint8_t s[16], t[16];
    assert_int_equal(ip->family, 6);
    assert_int_equal(inet_pton(AF_INET6, src, s), 1);
    assert_int_equal(inet_pton(AF_INET6, dst, t), 1);
    assert_memory_equal(ip->src, s, 16);
    assert_memory_equal(ip->dst, t, 16);
}

#define FIX(lt, a) { #a, lt, a, sizeof a }
typedef struct fixture { const char *name; int lt; const uint8_t *b; size_t n; } fixture;

static const uint8_t ipv4_opts_tcp[] = {
    /* IPv4 header: 192.0.2.1 -> 198.51.100.2, IHL 8 (NOP, NOP, record route, EOL), proto TCP */
    0x48, 0x00, 0x00, 0x4d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x6d, 0x38, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02, 0x01, 0x01, 0x07, 0x07, 0x04, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    /* TCP header: 40000 -> 80, data offset 7, flags 0x18 */
    0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x70, 0x18,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02,
    /* TCP payload */
    0x47, 0x45, 0x54, 0x20, 0x2f, 0x78, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e,
    0x31, 0x0d, 0x0a,
};
static const uint8_t ipv6_ext_tcp[] = {
    /* IPv6 header: 2001:db8::1 -> 2001:db8::2, next header 0, payload 63 */
    0x60, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    /* IPv6 hop-by-hop: next header routing (43), length 0, PadN */
    0x2b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* IPv6 routing header: next header dest options (60), length 2, type 4 (SRH), segments left 0 */
    0x3c, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    /* IPv6 destination options: next header TCP (6), length 0, PadN */
    0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* TCP header: 40000 -> 443, data offset 5, flags 0x02 */
    0x9c, 0x40, 0x01, 0xbb, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x02,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    /* TCP payload */
    0x61, 0x62, 0x63,
};
static const uint8_t ipv6_ah_udp[] = {
    /* IPv6 header: 2001:db8::1 -> 2001:db8::2, next header 51, payload 35 */
    0x60, 0x00, 0x00, 0x00, 0x00, 0x23, 0x33, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    /* IPsec AH: next header UDP (17), length 4 (24 bytes), SPI, sequence, ICV */
    0x11, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* UDP header: 40000 -> 9999, length 11 */
    0x9c, 0x40, 0x27, 0x0f, 0x00, 0x0b, 0x00, 0x00,
    /* UDP payload */
    0x61, 0x68, 0x21,
};
static const uint8_t ipv4_ah_tcp[] = {
    /* IPv4 header: 192.0.2.1 -> 198.51.100.2, proto 51, total 65 */
    0x45, 0x00, 0x00, 0x41, 0x12, 0x34, 0x00, 0x00, 0x40, 0x33, 0x7c, 0x1f, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02,
    /* IPsec AH: next header TCP (6), length 4 (24 bytes), SPI, sequence, ICV */
    0x06, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* TCP header: 40000 -> 80, data offset 5, flags 0x18 */
    0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x18,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    /* TCP payload */
    0x7a,
};
static const uint8_t ipv6_atomic_icmpv6[] = {
    /* IPv6 header: 2001:db8::1 -> 2001:db8::2, next header 44, payload 20 */
    0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    /* IPv6 fragment header: next header ICMPv6 (58), offset 0, M 0 (atomic), id 0x0badcafe */
    0x3a, 0x00, 0x00, 0x00, 0x0b, 0xad, 0xca, 0xfe,
    /* ICMPv6 header: echo request (128), code 0 */
    0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
    /* ICMPv6 payload */
    0x70, 0x69, 0x6e, 0x67,
};
static const uint8_t ipv4_icmp[] = {
    /* IPv4 header: 192.0.2.1 -> 198.51.100.2, proto 1, total 32 */
    0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x7c, 0x72, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02,
    /* ICMP header: type 8 code 0 */
    0x08, 0x00, 0x19, 0x2d, 0x00, 0x01, 0x00, 0x01,
    /* ICMP payload */
    0x70, 0x69, 0x6e, 0x67,
};
static const uint8_t ipv4_sctp[] = {
    /* IPv4 header: 192.0.2.1 -> 198.51.100.2, proto 132, total 36 */
    0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x00, 0x40, 0x84, 0x7b, 0xeb, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02,
    /* SCTP common header: 5000 -> 6000, verification tag, checksum */
    0x13, 0x88, 0x17, 0x70, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x00,
    /* SCTP chunk: DATA (start) */
    0x00, 0x03, 0x00, 0x04,
};
static const uint8_t ipv4_tcp[] = {
    /* IPv4 header: 192.0.2.1 -> 198.51.100.2, proto 6, total 45 */
    0x45, 0x00, 0x00, 0x2d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x7c, 0x60, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02,
    /* TCP header: 40000 -> 80, data offset 5, flags 0x18 */
    0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x18,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    /* TCP payload */
    0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
static const uint8_t ipv4_udp[] = {
    /* IPv4 header: 192.0.2.1 -> 198.51.100.2, proto 17, total 33 */
    0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x7c, 0x61, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02,
    /* UDP header: 40000 -> 9999, length 13 */
    0x9c, 0x40, 0x27, 0x0f, 0x00, 0x0d, 0x00, 0x00,
    /* UDP payload */
    0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* ---- tests ---- */

static uint8_t *copy_of(const uint8_t *b, size_t n) {
    uint8_t *c = malloc(n);
    assert_non_null(c);
    memcpy(c, b, n);
    return c;
}

static void test_ipv4_options_and_tcp(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 101, ipv4_opts_tcp, sizeof ipv4_opts_tcp, &p), PK_DECODE_OK);
    assert_ip4(&p.ip[0], "192.0.2.1", "198.51.100.2");
    assert_true(p.l4_ok);
    assert_int_equal(p.tcp_flags, PK_TH_PSH | PK_TH_ACK);
    assert_int_equal(p.tcp_seq, 1000);
    assert_int_equal(p.tcp_ack, 2000);
    assert_int_equal(p.payload_len, 17);        /* IP payload - 28-byte TCP header */
    assert_memory_equal(p.payload, "GET /x", 6);
    assert_int_equal(ctr(d, "decode.ipv4_checksum_bad"), 0);
    pk_decoder_free(d);
}

/* Decodes a patched copy of a fixture and checks result and counter. */
static void expect(const uint8_t *base, size_t n, size_t at, uint8_t val,
                   int lt, pk_decode_result want, const char *counter) {
    pk_decoder *d = dec_new();
    uint8_t *b = copy_of(base, n);
    b[at] = val;
    pk_packet p;
    assert_int_equal(dec(d, lt, b, n, &p), want);
    if (want == PK_DECODE_OK) assert_false(p.l4_ok);
    assert_int_equal(ctr(d, counter), 1);
    free(b);
    pk_decoder_free(d);
}

static void test_ipv4_hostile(void **state) {
    (void)state;
    const size_t n = sizeof ipv4_tcp;
    expect(ipv4_tcp, n, 0, 0x44, 101, PK_DECODE_MALFORMED, "decode.malformed.ipv4_bad_ihl");
    expect(ipv4_tcp, n, 0, 0x45 + 0x10, 228, PK_DECODE_MALFORMED, "decode.malformed.ipv4_bad_version");
    expect(ipv4_tcp, n, 0, 0x95, 101, PK_DECODE_MALFORMED, "decode.malformed.ip_unknown_version");
    expect(ipv4_tcp, n, 3, 10, 101, PK_DECODE_MALFORMED, "decode.malformed.ipv4_bad_total_len");
    expect(ipv4_tcp, n, 3, (uint8_t)(n + 1), 101, PK_DECODE_MALFORMED, "decode.malformed.ipv4_bad_total_len");
    expect(ipv4_tcp, n, 0, 0x4f, 101, PK_DECODE_MALFORMED, "decode.malformed.ipv4_header_short");
    /* record route option: length 1, then length past the header */
    expect(ipv4_opts_tcp, sizeof ipv4_opts_tcp, 23, 1, 101, PK_DECODE_MALFORMED, "decode.malformed.ipv4_bad_option");
    expect(ipv4_opts_tcp, sizeof ipv4_opts_tcp, 23, 40, 101, PK_DECODE_MALFORMED, "decode.malformed.ipv4_bad_option");
    /* a bad header checksum is only counted */
    pk_decoder *d = dec_new();
    uint8_t *b = copy_of(ipv4_tcp, n);
    b[10] ^= 0xff;
    pk_packet p;
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_OK);
    assert_int_equal(ctr(d, "decode.ipv4_checksum_bad"), 1);
    /* total length past the capture, capture cut short: what was captured */
    b[10] ^= 0xff;
    assert_int_equal(pk_decode_packet(d, 101, b, (uint32_t)n - 3, (uint32_t)n, 0, &p), PK_DECODE_OK);
    assert_true(p.truncated);
    assert_int_equal(p.payload_len, 2);
    free(b);
    pk_decoder_free(d);
}

static void test_tcp_hostile(void **state) {
    (void)state;
    const size_t n = sizeof ipv4_tcp;
    expect(ipv4_tcp, n, 32, 0x40, 101, PK_DECODE_OK, "decode.malformed.tcp_bad_offset");
    expect(ipv4_tcp, n, 32, 0x00, 101, PK_DECODE_OK, "decode.malformed.tcp_bad_offset");
    expect(ipv4_tcp, n, 32, 0xf0, 101, PK_DECODE_OK, "decode.malformed.tcp_bad_offset");
    expect(ipv4_tcp, n, 3, 30, 101, PK_DECODE_OK, "decode.malformed.tcp_header_short");
    /* IP total length shorter than the frame: TCP payload follows the IP length */
    pk_decoder *d = dec_new();
    uint8_t *b = copy_of(ipv4_tcp, n);
    b[3] = 42;
    pk_packet p;
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_OK);
    assert_true(p.l4_ok);
    assert_int_equal(p.payload_len, 2);
    assert_int_equal(ctr(d, "decode.ipv4_checksum_bad"), 1);
    free(b);
    pk_decoder_free(d);
}

static void test_udp_lengths(void **state) {
    (void)state;
    const size_t n = sizeof ipv4_udp;
    expect(ipv4_udp, n, 25, 7, 101, PK_DECODE_OK, "decode.malformed.udp_bad_len");
    expect(ipv4_udp, n, 25, 100, 101, PK_DECODE_OK, "decode.malformed.udp_bad_len");
    pk_decoder *d = dec_new();
    uint8_t *b = copy_of(ipv4_udp, n);
    b[25] = 10;                                 /* UDP says 2 bytes of data */
    pk_packet p;
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_OK);
    assert_true(p.l4_ok);
    assert_int_equal(p.payload_len, 2);
    free(b);
    pk_decoder_free(d);
}

static void test_ipv6_extension_chain(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 101, ipv6_ext_tcp, sizeof ipv6_ext_tcp, &p), PK_DECODE_OK);
    assert_ip6(&p.ip[0], "2001:db8::1", "2001:db8::2");
    assert_true(p.l4_ok);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.tcp_flags, PK_TH_SYN);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(ctr(d, "decode.ipv6_ext"), 3);
    pk_decoder_free(d);
}

/* IPv6 followed by n destination options headers, each naming the next. */
static size_t build_dstopt_chain(uint8_t *b, size_t cap, unsigned n) {
    size_t len = 40 + 8 * (size_t)n;
    assert_true(len <= cap);
    memset(b, 0, len);
    b[0] = 0x60;                                /* IPv6 header */
    b[4] = (uint8_t)((8 * n) >> 8);
    b[5] = (uint8_t)(8 * n);
    b[6] = 60;
    for (unsigned i = 0; i < n; i++)            /* destination options */
        b[40 + 8 * i] = i + 1 < n ? 60 : 59;
    return len;
}

static void test_ipv6_hostile_chains(void **state) {
    (void)state;
    uint8_t b[40 + 8 * 64];
    pk_decoder *d = dec_new();
    pk_packet p;
    size_t n = build_dstopt_chain(b, sizeof b, 8);
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_OK);   /* 8: the limit */
    assert_int_equal(p.proto, 59);
    n = build_dstopt_chain(b, sizeof b, 64);
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_OK);
    assert_false(p.l4_ok);
    assert_int_equal(ctr(d, "decode.malformed.ipv6_ext_chain_too_long"), 1);
    pk_decoder_free(d);
    const size_t m = sizeof ipv6_ext_tcp;
    expect(ipv6_ext_tcp, m, 40, 0, 101, PK_DECODE_OK, "decode.malformed.ipv6_hbh_not_first");
    expect(ipv6_ext_tcp, m, 49, 200, 101, PK_DECODE_OK, "decode.malformed.ipv6_ext_short");
    expect(ipv6_ext_tcp, m, 5, 200, 101, PK_DECODE_MALFORMED, "decode.malformed.ipv6_bad_payload_len");
    expect(ipv6_ext_tcp, m, 0, 0x70, 229, PK_DECODE_MALFORMED, "decode.malformed.ipv6_bad_version");
    expect(ipv6_ext_tcp, m, 5, 10, 101, PK_DECODE_OK, "decode.malformed.ipv6_ext_short");
}

static void test_ah(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 101, ipv6_ah_udp, sizeof ipv6_ah_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.dport, 9999);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(dec(d, 101, ipv4_ah_tcp, sizeof ipv4_ah_tcp, &p), PK_DECODE_OK);
    assert_int_equal(p.dport, 80);
    assert_int_equal(p.payload_len, 1);
    assert_int_equal(ctr(d, "decode.ah"), 2);
    uint8_t b[20 + 12 * 16] = { 0x45, 0, 0, 20 + 12 * 16, [8] = 64, [9] = 51 };
    for (int i = 0; i < 16; i++) {              /* 16 AH headers in a row */
        b[20 + 12 * i] = 51;
        b[20 + 12 * i + 1] = 1;
    }
    assert_int_equal(dec(d, 101, b, sizeof b, &p), PK_DECODE_OK);
    assert_false(p.l4_ok);
    assert_int_equal(ctr(d, "decode.malformed.ah_chain_too_long"), 1);
    pk_decoder_free(d);
}

static void test_atomic_fragment_icmp_sctp(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 101, ipv6_atomic_icmpv6, sizeof ipv6_atomic_icmpv6, &p), PK_DECODE_OK);
    assert_int_equal(p.proto, 58);
    assert_int_equal(p.icmp_type, 128);
    assert_int_equal(p.payload_len, 4);
    assert_false(p.reassembled);
    assert_int_equal(ctr(d, "defrag.atomic"), 1);
    assert_int_equal(ctr(d, "defrag.fragments"), 0);
    assert_int_equal(dec(d, 101, ipv4_icmp, sizeof ipv4_icmp, &p), PK_DECODE_OK);
    assert_int_equal(p.icmp_type, 8);
    assert_int_equal(p.icmp_code, 0);
    assert_int_equal(dec(d, 101, ipv4_sctp, sizeof ipv4_sctp, &p), PK_DECODE_OK);
    assert_int_equal(p.sport, 5000);
    assert_int_equal(p.dport, 6000);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(ctr(d, "decode.icmpv6"), 1);
    assert_int_equal(ctr(d, "decode.icmp"), 1);
    assert_int_equal(ctr(d, "decode.sctp"), 1);
    pk_decoder_free(d);
}

typedef struct name_list { const char *v[256]; size_t n; } name_list;

static void collect_name(void *ctx, const char *name, uint64_t value) {
    (void)value;
    name_list *l = ctx;
    assert_true(l->n < 256);
    l->v[l->n++] = name;
}

static void test_counter_names(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    name_list l = { .n = 0 };
    pk_decoder_counters(d, collect_name, &l);
    assert_true(l.n > 80);
    for (size_t i = 0; i < l.n; i++) {
        assert_true(strncmp(l.v[i], "decode.", 7) == 0 || strncmp(l.v[i], "defrag.", 7) == 0);
        for (size_t j = i + 1; j < l.n; j++) assert_string_not_equal(l.v[i], l.v[j]);
    }
    pk_decoder_free(d);
}

static const fixture fixtures[] = {
    FIX(101, ipv4_opts_tcp), FIX(101, ipv6_ext_tcp), FIX(101, ipv6_ah_udp),
    FIX(101, ipv4_ah_tcp), FIX(101, ipv6_atomic_icmpv6), FIX(101, ipv4_icmp),
    FIX(101, ipv4_sctp), FIX(101, ipv4_tcp), FIX(101, ipv4_udp),
};

static void test_every_prefix_and_mutation(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        all_prefixes(fixtures[i].lt, fixtures[i].b, fixtures[i].n);
        mutate(fixtures[i].lt, fixtures[i].b, fixtures[i].n, 5000);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_options_and_tcp),
        cmocka_unit_test(test_ipv4_hostile),
        cmocka_unit_test(test_tcp_hostile),
        cmocka_unit_test(test_udp_lengths),
        cmocka_unit_test(test_ipv6_extension_chain),
        cmocka_unit_test(test_ipv6_hostile_chains),
        cmocka_unit_test(test_ah),
        cmocka_unit_test(test_atomic_fragment_icmp_sctp),
        cmocka_unit_test(test_counter_names),
        cmocka_unit_test(test_every_prefix_and_mutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
