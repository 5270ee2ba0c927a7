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

#include "decode_test_util.h"

static const uint8_t ipv4_opts_tcp[] = {
    /* IPv4 header: 192.0.2.1 -> 198.51.100.2, IHL 8 (NOP, NOP, record route, EOL), proto TCP */
    0x48, 0x00, 0x00, 0x4d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x6d, 0x38, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02, 0x01, 0x01, 0x07, 0x07, 0x04, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    /* TCP header: 40000 -> 80, data offset 7 (MSS, NOP, NOP, SACK permitted), flags 0x18 */
    TCP_HDR(80, 0x7018), 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02,
    /* TCP payload */
    'G', 'E', 'T', ' ', '/', 'x', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n',
};
static const uint8_t ipv6_ext_tcp[] = {
    IP6_HDR(63, 0),                             /* next header hop-by-hop (0) */
    /* IPv6 hop-by-hop: next header routing (43), length 0, PadN */
    0x2b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* IPv6 routing header: next header dest options (60), length 2, type 4 (SRH), segments left 0 */
    0x3c, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    /* IPv6 destination options: next header TCP (6), length 0, PadN */
    0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    TCP_HDR(443, 0x5002),                       /* flags SYN */
    'a', 'b', 'c',                              /* TCP payload */
};
static const uint8_t ipv6_ah_udp[] = {
    IP6_HDR(35, 51),                            /* next header AH */
    /* IPsec AH: next header UDP (17), length 4 (24 bytes), SPI, sequence, ICV */
    0x11, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    UDP_HDR(40000, 9999, 11),
    'a', 'h', '!',                              /* UDP payload */
};
static const uint8_t ipv4_ah_tcp[] = {
    IP4_HDR(65, 51, 0x7c1f),                    /* proto AH */
    /* IPsec AH: next header TCP (6), length 4 (24 bytes), SPI, sequence, ICV */
    0x06, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    TCP_HDR(80, 0x5018),
    'z',                                        /* TCP payload */
};
static const uint8_t ipv6_atomic_icmpv6[] = {
    IP6_HDR(20, 44),                            /* next header fragment */
    /* IPv6 fragment header: next header ICMPv6 (58), offset 0, M 0 (atomic), id 0x0badcafe */
    0x3a, 0x00, 0x00, 0x00, 0x0b, 0xad, 0xca, 0xfe,
    /* ICMPv6 header: echo request (128), code 0 */
    0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
    'p', 'i', 'n', 'g',                         /* ICMPv6 payload */
};
static const uint8_t ipv4_icmp[] = {
    IP4_HDR(32, 1, 0x7c72),                     /* proto ICMP */
    /* ICMP header: type 8 code 0 */
    0x08, 0x00, 0x19, 0x2d, 0x00, 0x01, 0x00, 0x01,
    'p', 'i', 'n', 'g',                         /* ICMP payload */
};
static const uint8_t ipv4_sctp[] = {
    IP4_HDR(36, 132, 0x7beb),                   /* proto SCTP */
    /* SCTP common header: 5000 -> 6000, verification tag, checksum */
    0x13, 0x88, 0x17, 0x70, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x00,
    /* SCTP chunk: DATA (start) */
    0x00, 0x03, 0x00, 0x04,
};
static const uint8_t ipv4_tcp[] = {
    IP4_HDR(45, 6, 0x7c60),                     /* proto TCP */
    TCP_HDR(80, 0x5018),
    'h', 'e', 'l', 'l', 'o',                    /* TCP payload */
};
static const uint8_t ipv4_udp[] = {
    IP4_HDR(33, 17, 0x7c61),                    /* proto UDP */
    UDP_HDR(40000, 9999, 13),
    'h', 'e', 'l', 'l', 'o',                    /* UDP payload */
};

/* ---- tests ---- */

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
    /* the options are part of the checksum: a changed route pointer is counted */
    uint8_t *b = copy_of(ipv4_opts_tcp, sizeof ipv4_opts_tcp);
    b[24] = 0x08;
    assert_int_equal(dec(d, 101, b, sizeof ipv4_opts_tcp, &p), PK_DECODE_OK);
    assert_int_equal(ctr(d, "decode.ipv4_checksum_bad"), 1);
    free(b);
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
    sweep_fixtures(fixtures, sizeof fixtures / sizeof fixtures[0], 5000);
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
