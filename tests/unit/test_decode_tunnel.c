/* test_decode_tunnel.c - encapsulations: GRE (v0 options, v1/PPTP), ERSPAN
 * I/II/III, Ethernet bridging, IP-in-IP, 6in4, 4in6, VXLAN and Geneve.
 *
 * Why it exists: every IP header crossed must be recorded outermost first,
 * the innermost must key the flow, a malformed inside must leave the outer
 * packet reported (not lost), and a tunnel bomb must stop at the nesting
 * limit without deep recursion. Fixtures are raw frames written layer by
 * layer, common headers from the macros below and decode_test_util.h (their
 * layering was checked with tshark).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "decode_test_util.h"

/* Headers these frames share (beside decode_test_util.h's). */

/* outer IPv4 header: 203.0.113.1 -> 203.0.113.2 */
#define OUTER_IP4(total, proto, cksum) \
    IP4_HDR_FULL(total, 0x1234, 0, proto, cksum, 203, 0, 113, 1, 203, 0, 113, 2)
/* inner IPv4 header: 10.0.0.1 -> 10.0.0.2 */
#define INNER_IP4(total, proto, cksum) \
    IP4_HDR_FULL(total, 0x1234, 0, proto, cksum, 10, 0, 0, 1, 10, 0, 0, 2)
/* UDP header 40000 -> 9999 (length 13) and the payload "inner" */
#define UDP_INNER UDP_HDR(40000, 9999, 13), 'i', 'n', 'n', 'e', 'r'
/* inner IPv4 header (proto UDP, total 33), UDP_INNER */
#define INNER_IP4_UDP INNER_IP4(33, 17, 0x5496), UDP_INNER
/* mirrored Ethernet header (type IPv4), IPv4 10.0.0.1 -> 10.0.0.2 (proto
 * TCP), TCP 40000 -> 80 (offset 5, flags 0x18), payload "GET / HTTP/1.1\r\n" */
#define MIRRORED_ETH_IP4_TCP \
    ETH_HDR(0x0800), INNER_IP4(56, 6, 0x548a), TCP_HDR(80, 0x5018), \
    'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'

static const uint8_t gre_ipv4_udp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(57, 47, 0xf05d),                  /* proto GRE */
    /* GRE header: no options, protocol IPv4 */
    0x00, 0x00, 0x08, 0x00,
    INNER_IP4_UDP,
};
static const uint8_t gre_cks_ipv6_tcp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(99, 47, 0xf033),                  /* proto GRE */
    /* GRE header: C, K, S set, protocol IPv6; checksum 0 (not verified), reserved, key 42, sequence 7 */
    0xb0, 0x00, 0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00,
    0x00, 0x07,
    IP6_HDR(23, 6),                             /* inner, next header TCP */
    TCP_HDR(80, 0x5018),
    'G', 'E', 'T',                              /* TCP payload */
};
static const uint8_t gre_teb_eth_ipv4[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(75, 47, 0xf04b),                  /* proto GRE */
    /* GRE header: K set, protocol transparent Ethernet bridging; key 5 */
    0x20, 0x00, 0x65, 0x58, 0x00, 0x00, 0x00, 0x05,
    ETH_HDR(0x0800),                            /* inner Ethernet header */
    INNER_IP4_UDP,
};
static const uint8_t erspan2_eth_ipv4_tcp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(106, 47, 0xf02c),                 /* proto GRE */
    /* GRE header: S set, protocol ERSPAN (0x88be); sequence 9 */
    0x10, 0x00, 0x88, 0xbe, 0x00, 0x00, 0x00, 0x09,
    /* ERSPAN type II header: version 1, vlan 7, session 5, index 18 */
    0x10, 0x07, 0x00, 0x05, 0x00, 0x00, 0x00, 0x12,
    MIRRORED_ETH_IP4_TCP,
};
static const uint8_t erspan1_eth_ipv4_tcp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(94, 47, 0xf038),                  /* proto GRE */
    /* GRE header: S clear, protocol ERSPAN (0x88be): type I, no ERSPAN header */
    0x00, 0x00, 0x88, 0xbe,
    MIRRORED_ETH_IP4_TCP,
};
static const uint8_t erspan3_eth_ipv4_tcp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(118, 47, 0xf020),                 /* proto GRE */
    /* GRE header: S set, protocol ERSPAN type III (0x22eb); sequence 10 */
    0x10, 0x00, 0x22, 0xeb, 0x00, 0x00, 0x00, 0x0a,
    /* ERSPAN type III header: version 2, vlan 7, session 5, timestamp, SGT, P/FT 0 (Ethernet)/HW/D/Gra/O=1 */
    0x20, 0x07, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x01,
    /* ERSPAN type III platform-specific subheader */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    MIRRORED_ETH_IP4_TCP,
};
static const uint8_t ipip_udp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(53, 4, 0xf08c),                   /* proto IPv4-in-IP (4) */
    INNER_IP4_UDP,
};
static const uint8_t sixin4_udp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(73, 41, 0xf053),                  /* proto IPv6 (41) */
    IP6_HDR(13, 17),                            /* inner, next header UDP */
    UDP_INNER,
};
static const uint8_t fourin6_udp[] = {
    ETH_HDR(0x86dd),
    /* outer IPv6 header: 2001:db8:ffff::1 -> 2001:db8:ffff::2, next header IPv4 (4) */
    0x60, 0x00, 0x00, 0x00, 0x00, 0x21, 0x04, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    INNER_IP4_UDP,
};
static const uint8_t vxlan_eth_ipv4_udp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(79, 17, 0xf065),                  /* proto UDP */
    UDP_HDR(54321, 4789, 59),                   /* outer UDP header: to VXLAN */
    /* VXLAN header: flags 0x08 (I), reserved, VNI 4096, reserved */
    0x08, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
    ETH_HDR(0x0800),                            /* inner Ethernet header */
    INNER_IP4(29, 17, 0x549a),                  /* proto UDP */
    UDP_HDR(40000, 9999, 9),
    'q',                                        /* UDP payload */
};
static const uint8_t geneve_eth_ipv6_udp[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(111, 17, 0xf045),                 /* proto UDP */
    UDP_HDR(54321, 6081, 91),                   /* outer UDP header: to Geneve */
    /* Geneve header: version 0, options length 2 (8 bytes), protocol 0x6558 (Ethernet), VNI 77 */
    0x02, 0x00, 0x65, 0x58, 0x00, 0x00, 0x4d, 0x00,
    /* Geneve option: class 0x0102, type 1, length 1 (4 bytes of data) */
    0x01, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    ETH_HDR(0x86dd),                            /* inner Ethernet header */
    IP6_HDR(13, 17),                            /* inner, next header UDP */
    UDP_INNER,
};
static const uint8_t gre_pptp_ppp_ipv4[] = {
    ETH_HDR(0x0800),
    OUTER_IP4(69, 47, 0xf051),                  /* proto GRE */
    /* GRE v1 (PPTP) header: K, S set, version 1, protocol PPP; payload length, call id, sequence */
    0x30, 0x01, 0x88, 0x0b, 0x00, 0x25, 0x12, 0x34, 0x00, 0x00, 0x00, 0x03,
    /* PPP: address 0xff, control 0x03, protocol IPv4 (0x0021) */
    0xff, 0x03, 0x00, 0x21,
    INNER_IP4_UDP,
};

/* ---- tests ---- */

static const char *const O1 = "203.0.113.1", *const O2 = "203.0.113.2";

static void test_gre_variants(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, gre_ipv4_udp, sizeof gre_ipv4_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 2);
    assert_ip4(&p.ip[0], O1, O2);
    assert_ip4(&p.ip[1], "10.0.0.1", "10.0.0.2");
    assert_ip4(pk_packet_inner_ip(&p), "10.0.0.1", "10.0.0.2");
    assert_int_equal(p.dport, 9999);
    assert_int_equal(p.payload_len, 5);
    assert_memory_equal(p.payload, "inner", 5);
    assert_int_equal(dec(d, 1, gre_cks_ipv6_tcp, sizeof gre_cks_ipv6_tcp, &p), PK_DECODE_OK);
    assert_ip6(&p.ip[1], "2001:db8::1", "2001:db8::2");
    assert_int_equal(p.dport, 80);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(dec(d, 1, gre_teb_eth_ipv4, sizeof gre_teb_eth_ipv4, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 2);
    assert_int_equal(dec(d, 1, gre_pptp_ppp_ipv4, sizeof gre_pptp_ppp_ipv4, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 2);
    assert_int_equal(p.payload_len, 5);
    assert_int_equal(ctr(d, "decode.gre"), 4);
    assert_int_equal(ctr(d, "decode.teb"), 1);
    assert_int_equal(ctr(d, "decode.ppp"), 1);
    pk_decoder_free(d);
}

static void test_erspan(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    const uint8_t *f[] = { erspan1_eth_ipv4_tcp, erspan2_eth_ipv4_tcp, erspan3_eth_ipv4_tcp };
    const size_t n[] = { sizeof erspan1_eth_ipv4_tcp, sizeof erspan2_eth_ipv4_tcp,
                         sizeof erspan3_eth_ipv4_tcp };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dec(d, 1, f[i], n[i], &p), PK_DECODE_OK);
        assert_int_equal(p.ip_count, 2);
        assert_ip4(&p.ip[1], "10.0.0.1", "10.0.0.2");
        assert_int_equal(p.dport, 80);
        assert_int_equal(p.payload_len, 16);
    }
    assert_int_equal(ctr(d, "decode.erspan"), 3);
    pk_decoder_free(d);
}

static void test_ip_in_ip(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, ipip_udp, sizeof ipip_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 2);
    assert_ip4(&p.ip[1], "10.0.0.1", "10.0.0.2");
    assert_int_equal(dec(d, 1, sixin4_udp, sizeof sixin4_udp, &p), PK_DECODE_OK);
    assert_ip4(&p.ip[0], O1, O2);
    assert_ip6(&p.ip[1], "2001:db8::1", "2001:db8::2");
    assert_int_equal(dec(d, 1, fourin6_udp, sizeof fourin6_udp, &p), PK_DECODE_OK);
    assert_ip6(&p.ip[0], "2001:db8:ffff::1", "2001:db8:ffff::2");
    assert_ip4(&p.ip[1], "10.0.0.1", "10.0.0.2");
    assert_int_equal(p.dport, 9999);
    assert_int_equal(ctr(d, "decode.ipip"), 2);
    assert_int_equal(ctr(d, "decode.ip6_in_ip"), 1);
    pk_decoder_free(d);
}

static void test_udp_overlays(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, vxlan_eth_ipv4_udp, sizeof vxlan_eth_ipv4_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 2);
    assert_int_equal(p.dport, 9999);
    assert_int_equal(p.payload_len, 1);
    assert_int_equal(dec(d, 1, geneve_eth_ipv6_udp, sizeof geneve_eth_ipv6_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 2);
    assert_ip6(&p.ip[1], "2001:db8::1", "2001:db8::2");
    assert_int_equal(p.payload_len, 5);
    assert_int_equal(ctr(d, "decode.vxlan"), 1);
    assert_int_equal(ctr(d, "decode.geneve"), 1);
    pk_decoder_free(d);
}

/* A patched copy must come back as the outer packet, the reason counted. */
static void expect_outer(const uint8_t *base, size_t n, size_t at, uint8_t val,
                         uint8_t proto, const char *counter) {
    pk_decoder *d = dec_new();
    uint8_t *b = copy_of(base, n);
    b[at] = val;
    pk_packet p;
    assert_int_equal(dec(d, 1, b, n, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 1);
    assert_ip4(&p.ip[0], O1, O2);
    assert_int_equal(p.proto, proto);
    assert_int_equal(p.l4_ok, proto == 17);     /* a UDP overlay stays UDP */
    assert_int_equal(p.payload_len, n - 34 - (proto == 17 ? 8 : 0));
    assert_int_equal(ctr(d, counter), 1);
    assert_int_equal(ctr(d, "decode.tunnel_inner_malformed"), 1);
    free(b);
    pk_decoder_free(d);
}

static void test_inner_failure_keeps_outer(void **state) {
    (void)state;
    expect_outer(gre_ipv4_udp, sizeof gre_ipv4_udp, 38, 0x43, 47, "decode.malformed.ipv4_bad_ihl");
    expect_outer(gre_ipv4_udp, sizeof gre_ipv4_udp, 35, 2, 47, "decode.malformed.gre_bad_version");
    expect_outer(gre_ipv4_udp, sizeof gre_ipv4_udp, 34, 0x40, 47, "decode.malformed.gre_bad_flags");
    expect_outer(gre_pptp_ppp_ipv4, sizeof gre_pptp_ppp_ipv4, 34, 0x10, 47, "decode.malformed.gre_bad_flags");
    expect_outer(erspan2_eth_ipv4_tcp, sizeof erspan2_eth_ipv4_tcp, 42, 0x30, 47, "decode.malformed.erspan_bad_version");
    expect_outer(vxlan_eth_ipv4_udp, sizeof vxlan_eth_ipv4_udp, 42, 0x00, 17, "decode.malformed.vxlan_bad_flags");
    expect_outer(geneve_eth_ipv6_udp, sizeof geneve_eth_ipv6_udp, 42, 0x42, 17, "decode.malformed.geneve_bad_version");
}

static void test_truncated_inside_tunnel(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    uint32_t wire = sizeof vxlan_eth_ipv4_udp;
    assert_int_equal(pk_decode_packet(d, 1, vxlan_eth_ipv4_udp, 56, wire, 0, &p), PK_DECODE_OK);
    assert_true(p.truncated);
    assert_int_equal(p.ip_count, 1);
    assert_int_equal(p.dport, 4789);
    assert_int_equal(ctr(d, "decode.tunnel_inner_malformed"), 0);
    pk_decoder_free(d);
}

/* ---- nesting bombs, built in place ---- */

/* IPv4 header 10.0.0.x -> 10.0.0.2 (x varies with the position). */
static size_t put_ipv4(uint8_t *b, size_t at, uint8_t proto, size_t total) {
    const uint8_t h[20] = { 0x45, 0, (uint8_t)(total >> 8), (uint8_t)total,
                            [8] = 64, proto, [12] = 10, 0, 0, (uint8_t)(at + 1),
                            10, 0, 0, 2 };
    memcpy(b + at, h, 20);
    return at + 20;
}

static size_t put_udp(uint8_t *b, size_t at, uint16_t dport, size_t len) {
    const uint8_t h[8] = { 0x9c, 0x40, (uint8_t)(dport >> 8), (uint8_t)dport,
                           (uint8_t)(len >> 8), (uint8_t)len, 0, 0 };
    memcpy(b + at, h, 8);
    return at + 8;
}

static size_t put_eth(uint8_t *b, size_t at, uint16_t type) {
    memset(b + at, 0x02, 12);
    b[at + 12] = (uint8_t)(type >> 8), b[at + 13] = (uint8_t)type;
    return at + 14;
}

/* kind 0: IPv4 in IPv4; 1: IPv4/GRE; 2: IPv4/UDP/VXLAN/Ethernet. */
static size_t build_bomb(uint8_t *b, size_t cap, int kind, int levels) {
    const size_t step[] = { 20, 24, 50 };
    size_t len = 14 + levels * step[kind] + 20 + 8;
    assert_true(len <= cap);
    size_t at = put_eth(b, 0, 0x0800);
    for (int i = 0; i < levels; i++) {
        size_t rest = len - at;
        if (kind == 0) { at = put_ipv4(b, at, 4, rest); continue; }
        at = put_ipv4(b, at, kind == 1 ? 47 : 17, rest);
        if (kind == 1) {
            memset(b + at, 0, 4);
            b[at + 2] = 0x08;                   /* GRE, protocol IPv4 */
            at += 4;
            continue;
        }
        at = put_udp(b, at, 4789, rest - 20);
        memset(b + at, 0, 8);
        b[at] = 0x08;                           /* VXLAN, I flag */
        at = put_eth(b, at + 8, 0x0800);
    }
    at = put_ipv4(b, at, 17, 28);
    put_udp(b, at, 9999, 8);
    return len;
}

static void test_nesting_bombs(void **state) {
    (void)state;
    static uint8_t b[14 + 64 * 50 + 28];
    for (int kind = 0; kind < 3; kind++) {
        pk_decoder *d = dec_new();
        size_t n = build_bomb(b, sizeof b, kind, 64);
        pk_packet p;
        assert_int_equal(dec(d, 1, b, n, &p), PK_DECODE_OK);
        assert_int_equal(p.ip_count, PK_MAX_IP_LAYERS);
        assert_true(ctr(d, "decode.malformed.tunnel_depth") >= 1);
        n = build_bomb(b, sizeof b, kind, 2);      /* within the limits */
        assert_int_equal(dec(d, 1, b, n, &p), PK_DECODE_OK);
        assert_int_equal(p.ip_count, 3);
        assert_int_equal(p.dport, 9999);
        pk_decoder_free(d);
        n = build_bomb(b, sizeof b, kind, 8);
        all_prefixes(1, b, n);
    }
}

static void test_mpls_pseudowire_bomb(void **state) {
    (void)state;
    static uint8_t b[22 * 300 + 28];
    size_t at = 0;
    for (int i = 0; i < 300; i++) {             /* Ethernet/MPLS/control word */
        at = put_eth(b, at, 0x8847);
        memset(b + at, 0, 8);                   /* label 16, bottom of stack */
        b[at + 1] = 0x01;
        b[at + 2] = 0x01;
        at += 8;
    }
    at = put_ipv4(b, at, 17, 28);
    put_udp(b, at, 9999, 8);
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, b, sizeof b, &p), PK_DECODE_MALFORMED);
    assert_int_equal(p.ip_count, 0);
    assert_int_equal(ctr(d, "decode.malformed.tunnel_depth"), 1);
    pk_decoder_free(d);
}

static const fixture fixtures[] = {
    FIX(1, gre_ipv4_udp), FIX(1, gre_cks_ipv6_tcp), FIX(1, gre_teb_eth_ipv4),
    FIX(1, erspan2_eth_ipv4_tcp), FIX(1, erspan1_eth_ipv4_tcp),
    FIX(1, erspan3_eth_ipv4_tcp), FIX(1, ipip_udp), FIX(1, sixin4_udp),
    FIX(1, fourin6_udp), FIX(1, vxlan_eth_ipv4_udp), FIX(1, geneve_eth_ipv6_udp),
    FIX(1, gre_pptp_ppp_ipv4),
};

static void test_every_prefix_and_mutation(void **state) {
    (void)state;
    sweep_fixtures(fixtures, sizeof fixtures / sizeof fixtures[0], 3000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gre_variants),
        cmocka_unit_test(test_erspan),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_udp_overlays),
        cmocka_unit_test(test_inner_failure_keeps_outer),
        cmocka_unit_test(test_truncated_inside_tunnel),
        cmocka_unit_test(test_nesting_bombs),
        cmocka_unit_test(test_mpls_pseudowire_bomb),
        cmocka_unit_test(test_every_prefix_and_mutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
