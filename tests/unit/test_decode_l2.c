/* test_decode_l2.c - link layer decoding: Ethernet II, 802.3/LLC/SNAP,
 * 802.1Q/802.1ad/QinQ, MPLS, PPPoE, Linux SLL/SLL2, raw IP, DLT_NULL/LOOP.
 *
 * Why it exists: every link type the sensor accepts must reach the same IP
 * header, trim Ethernet padding, and survive every truncation and hostile
 * value. Fixtures are raw frames written layer by layer, common headers
 * from decode_test_util.h's macros (their layering was checked with tshark
 * when they were written).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "decode_test_util.h"

/* IPv4 header (192.0.2.1 -> 198.51.100.2, proto UDP, total 30), UDP header
 * sport -> 9999 (length 10), payload "hi" */
#define IP4_UDP_HI(sport) IP4_HDR(30, 17, 0x7c64), UDP_HDR(sport, 9999, 10), 'h', 'i'
/* IPv6 header (2001:db8::1 -> 2001:db8::2, next header UDP, payload 10),
 * UDP header sport -> 9999 (length 10), payload "hi" */
#define IP6_UDP_HI(sport) IP6_HDR(10, 17), UDP_HDR(sport, 9999, 10), 'h', 'i'

static const uint8_t eth_ipv4_udp_padded[] = {
    ETH_HDR(0x0800),
    IP4_UDP_HI(40000),
    /* Ethernet padding (not part of the IP datagram) */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00,
};
static const uint8_t eth_vlan_ipv4_udp[] = {
    ETH_HDR(0x8100),                            /* type 802.1Q */
    /* 802.1Q tag: TCI (vid 100), type 0x0800 */
    0x00, 0x64, 0x08, 0x00,
    IP4_UDP_HI(40001),
};
static const uint8_t eth_qinq_ipv6_udp[] = {
    ETH_HDR(0x88a8),                            /* type 802.1ad */
    /* 802.1ad tag tag: TCI (vid 10), type 0x8100 */
    0x00, 0x0a, 0x81, 0x00,
    /* 802.1Q tag tag: TCI (vid 20), type 0x86dd */
    0x00, 0x14, 0x86, 0xdd,
    IP6_UDP_HI(40001),
};
static const uint8_t eth8023_snap_ipv4_icmp[] = {
    ETH_HDR(40),                                /* 802.3 header: length 40 */
    /* 802.2 LLC: DSAP 0xaa, SSAP 0xaa, control 0x03 (SNAP) */
    0xaa, 0xaa, 0x03,
    /* SNAP: OUI 00-00-00, type IPv4 */
    0x00, 0x00, 0x00, 0x08, 0x00,
    IP4_HDR(32, 1, 0x7c72),                     /* proto ICMP */
    /* ICMP header: type 8 code 0 */
    0x08, 0x00, 0x19, 0x2d, 0x00, 0x01, 0x00, 0x01,
    'p', 'i', 'n', 'g',                         /* ICMP payload */
};
static const uint8_t eth8023_stp[] = {
    /* 802.3 header: dst, src, length 38 */
    0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x26,
    /* 802.2 LLC: DSAP 0x42, SSAP 0x42 (STP), control 0x03 */
    0x42, 0x42, 0x03,
    /* STP BPDU (start) */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t eth_arp[] = {
    ETH_HDR(0x0806),                            /* type ARP */
    /* ARP request: Ethernet/IPv4, who-has */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x33, 0x64, 0x02,
};
static const uint8_t sll_ipv4_tcp[] = {
    /* Linux SLL header: packet type 0 (to us), ARPHRD_ETHER, addr len 6, addr, protocol IPv4 */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00,
    0x08, 0x00,
    IP4_HDR(62, 6, 0x7c4f),                     /* proto TCP */
    TCP_HDR(80, 0x6018), 0x02, 0x04, 0x05, 0xb4, /* offset 6: MSS option */
    /* TCP payload */
    'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '0', '\r', '\n',
    '\r', '\n',
};
static const uint8_t sll2_ipv6_tcp[] = {
    /* Linux SLL2 header: protocol IPv6, reserved, ifindex 2, ARPHRD_ETHER, packet type 4 (outgoing), addr len 6, addr */
    0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06, 0x00, 0x11,
    0x22, 0x33, 0x44, 0x55, 0x00, 0x00,
    IP6_HDR(23, 6),                             /* next header TCP */
    TCP_HDR(443, 0x5018),
    0x16, 0x03, 0x01,                           /* TCP payload */
};
static const uint8_t raw_ipv4_udp[] = {
    IP4_UDP_HI(40002),
};
static const uint8_t raw_ipv6_udp[] = {
    IP6_UDP_HI(40002),
};
static const uint8_t null_le_ipv4_udp[] = {
    /* DLT_NULL family: AF_INET (2), little-endian */
    0x02, 0x00, 0x00, 0x00,
    IP4_UDP_HI(40002),
};
static const uint8_t null_le_ipv6_udp[] = {
    /* DLT_NULL family: AF_INET6 Darwin (30), little-endian */
    0x1e, 0x00, 0x00, 0x00,
    IP6_UDP_HI(40002),
};
static const uint8_t eth_mpls_ipv4_udp[] = {
    ETH_HDR(0x8847),                            /* type MPLS unicast */
    /* MPLS label 1000, TC 0, S 0, TTL 64 */
    0x00, 0x3e, 0x80, 0x40,
    /* MPLS label 2000, TC 0, S 1 (bottom), TTL 64 */
    0x00, 0x7d, 0x01, 0x40,
    IP4_UDP_HI(40002),
};
static const uint8_t eth_mpls_null6_udp[] = {
    ETH_HDR(0x8848),                            /* type MPLS multicast */
    /* MPLS label 2 (IPv6 explicit null), S 1, TTL 64 */
    0x00, 0x00, 0x21, 0x40,
    IP6_UDP_HI(40002),
};
static const uint8_t eth_mpls_pw_eth_ipv4[] = {
    ETH_HDR(0x8847),                            /* type MPLS unicast */
    /* MPLS label 3000, S 1, TTL 64 */
    0x00, 0xbb, 0x81, 0x40,
    /* pseudowire control word */
    0x00, 0x00, 0x00, 0x00,
    ETH_HDR(0x0800),                            /* inner Ethernet header (pseudowire) */
    IP4_UDP_HI(40002),
};
static const uint8_t eth_pppoe_ipv4_udp[] = {
    ETH_HDR(0x8864),                            /* type PPPoE session */
    /* PPPoE header: ver/type 0x11, code 0, session 0x0042, length 32 */
    0x11, 0x00, 0x00, 0x42, 0x00, 0x20,
    /* PPP protocol: IPv4 (0x0021) */
    0x00, 0x21,
    IP4_UDP_HI(40002),
};
static const uint8_t eth_pppoe_lcp[] = {
    ETH_HDR(0x8864),                            /* type PPPoE session */
    /* PPPoE header: ver/type 0x11, code 0, session 0x0042, length 6 */
    0x11, 0x00, 0x00, 0x42, 0x00, 0x06,
    /* PPP protocol: LCP (0xc021) */
    0xc0, 0x21,
    /* LCP echo request (start) */
    0x09, 0x01, 0x00, 0x04,
};

/* ---- tests ---- */

static void test_ethernet_padding_trimmed(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, eth_ipv4_udp_padded, sizeof eth_ipv4_udp_padded, &p), PK_DECODE_OK);
    assert_int_equal(p.ip_count, 1);
    assert_ip4(&p.ip[0], "192.0.2.1", "198.51.100.2");
    assert_int_equal(p.proto, 17);
    assert_true(p.l4_ok);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 9999);
    assert_int_equal(p.payload_len, 2);       /* padding is not payload */
    assert_memory_equal(p.payload, "hi", 2);
    assert_false(p.truncated);
    assert_int_equal(ctr(d, "decode.ethernet"), 1);
    assert_int_equal(ctr(d, "decode.ipv4"), 1);
    assert_int_equal(ctr(d, "decode.udp"), 1);
    assert_int_equal(ctr(d, "decode.ipv4_checksum_bad"), 0);
    pk_decoder_free(d);
}

static void test_vlan_and_qinq(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, eth_vlan_ipv4_udp, sizeof eth_vlan_ipv4_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 100);
    assert_int_equal(dec(d, 1, eth_qinq_ipv6_udp, sizeof eth_qinq_ipv6_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.vlan_count, 2);
    assert_int_equal(p.vlan[0], 10);
    assert_int_equal(p.vlan[1], 20);
    assert_ip6(&p.ip[0], "2001:db8::1", "2001:db8::2");
    assert_int_equal(p.payload_len, 2);
    uint8_t old_tpid[sizeof eth_qinq_ipv6_udp];       /* 0x9100 instead of 0x88a8 */
    memcpy(old_tpid, eth_qinq_ipv6_udp, sizeof old_tpid);
    old_tpid[12] = 0x91;
    old_tpid[13] = 0x00;
    assert_int_equal(dec(d, 1, old_tpid, sizeof old_tpid, &p), PK_DECODE_OK);
    assert_int_equal(p.vlan_count, 2);
    assert_int_equal(ctr(d, "decode.vlan"), 5);
    pk_decoder_free(d);
}

static void test_llc_snap_stp_arp(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, eth8023_snap_ipv4_icmp, sizeof eth8023_snap_ipv4_icmp, &p), PK_DECODE_OK);
    assert_int_equal(p.proto, 1);
    assert_int_equal(p.icmp_type, 8);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(dec(d, 1, eth8023_stp, sizeof eth8023_stp, &p), PK_DECODE_SKIP);
    assert_int_equal(p.ip_count, 0);
    assert_int_equal(dec(d, 1, eth_arp, sizeof eth_arp, &p), PK_DECODE_SKIP);
    assert_int_equal(ctr(d, "decode.llc"), 2);
    assert_int_equal(ctr(d, "decode.arp"), 1);
    assert_int_equal(ctr(d, "decode.skipped"), 2);
    pk_decoder_free(d);
}

static void test_linux_cooked(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 113, sll_ipv4_tcp, sizeof sll_ipv4_tcp, &p), PK_DECODE_OK);
    assert_int_equal(p.dport, 80);
    assert_int_equal(p.payload_len, 18);
    assert_memory_equal(p.payload, "GET / ", 6);
    assert_int_equal(dec(d, 276, sll2_ipv6_tcp, sizeof sll2_ipv6_tcp, &p), PK_DECODE_OK);
    assert_int_equal(p.ip[0].family, 6);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(ctr(d, "decode.sll"), 1);
    assert_int_equal(ctr(d, "decode.sll2"), 1);
    pk_decoder_free(d);
}

static void test_raw_linktypes(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    const int v4types[] = { 12, 14, 101, 228 }, v6types[] = { 12, 14, 101, 229 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(dec(d, v4types[i], raw_ipv4_udp, sizeof raw_ipv4_udp, &p), PK_DECODE_OK);
        assert_int_equal(p.ip[0].family, 4);
        assert_int_equal(dec(d, v6types[i], raw_ipv6_udp, sizeof raw_ipv6_udp, &p), PK_DECODE_OK);
        assert_int_equal(p.ip[0].family, 6);
    }
    assert_int_equal(dec(d, 228, raw_ipv6_udp, sizeof raw_ipv6_udp, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed.ipv4_bad_version"), 1);
    assert_int_equal(ctr(d, "decode.raw"), 9);
    pk_decoder_free(d);
}

/* Writes a 4-byte family into a copy of a NULL/LOOP frame. */
static void set_family(uint8_t *f, uint32_t af, bool big_endian) {
    for (int i = 0; i < 4; i++)
        f[i] = (uint8_t)(af >> (big_endian ? 24 - 8 * i : 8 * i));
}

static void test_null_and_loop(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    uint8_t f4[sizeof null_le_ipv4_udp], f6[sizeof null_le_ipv6_udp];
    memcpy(f4, null_le_ipv4_udp, sizeof f4);
    memcpy(f6, null_le_ipv6_udp, sizeof f6);
    for (int lt = 0; lt <= 108; lt += 108) {
        for (int be = 0; be < 2; be++) {
            set_family(f4, 2, be);
            assert_int_equal(dec(d, lt, f4, sizeof f4, &p), PK_DECODE_OK);
            assert_int_equal(p.ip[0].family, 4);
            const uint32_t v6fams[] = { 10, 24, 28, 30 };
            for (int i = 0; i < 4; i++) {
                set_family(f6, v6fams[i], be);
                assert_int_equal(dec(d, lt, f6, sizeof f6, &p), PK_DECODE_OK);
                assert_int_equal(p.ip[0].family, 6);
            }
        }
    }
    set_family(f4, 7, false);                   /* not an IP family */
    assert_int_equal(dec(d, 0, f4, sizeof f4, &p), PK_DECODE_SKIP);
    assert_int_equal(dec(d, 108, f4, 3, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed.null_short"), 1);
    pk_decoder_free(d);
}

static void test_mpls(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, eth_mpls_ipv4_udp, sizeof eth_mpls_ipv4_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.ip[0].family, 4);
    assert_int_equal(ctr(d, "decode.mpls"), 2);
    assert_int_equal(dec(d, 1, eth_mpls_null6_udp, sizeof eth_mpls_null6_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.ip[0].family, 6);
    assert_int_equal(dec(d, 1, eth_mpls_pw_eth_ipv4, sizeof eth_mpls_pw_eth_ipv4, &p), PK_DECODE_OK);
    assert_int_equal(p.dport, 9999);
    assert_int_equal(ctr(d, "decode.ethernet"), 4);
    /* 17 label stack entries, none with the bottom-of-stack bit */
    uint8_t deep[14 + 17 * 4 + 20] = { [12] = 0x88, [13] = 0x47 };
    for (int i = 0; i < 17; i++) deep[14 + 4 * i] = 0x01;
    assert_int_equal(dec(d, 1, deep, sizeof deep, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed.mpls_too_deep"), 1);
    pk_decoder_free(d);
}

static void test_pppoe(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, eth_pppoe_ipv4_udp, sizeof eth_pppoe_ipv4_udp, &p), PK_DECODE_OK);
    assert_int_equal(p.payload_len, 2);
    assert_int_equal(dec(d, 1, eth_pppoe_lcp, sizeof eth_pppoe_lcp, &p), PK_DECODE_SKIP);
    uint8_t lying[sizeof eth_pppoe_ipv4_udp];   /* PPPoE length past the frame */
    memcpy(lying, eth_pppoe_ipv4_udp, sizeof lying);
    lying[19] = 0xff;
    assert_int_equal(dec(d, 1, lying, sizeof lying, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.pppoe"), 2);
    assert_int_equal(ctr(d, "decode.malformed.pppoe_bad_header"), 1);
    pk_decoder_free(d);
}

static void test_vlan_bomb_and_short_frames(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    uint8_t tags[14 + 9 * 4 + 20] = { [12] = 0x81, [13] = 0x00 };
    for (int i = 0; i < 9; i++) {               /* each tag announces another */
        tags[14 + 4 * i + 2] = 0x81;
        tags[14 + 4 * i + 3] = 0x00;
    }
    assert_int_equal(dec(d, 1, tags, sizeof tags, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed.vlan_too_many"), 1);
    assert_int_equal(p.vlan_count, PK_MAX_VLANS);
    assert_int_equal(dec(d, 1, eth_arp, 13, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed.ethernet_short"), 1);
    assert_int_equal(pk_decode_packet(d, 1, NULL, 0, 0, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed_frames"), 3);
    pk_decoder_free(d);
}

static void test_linktype_support(void **state) {
    (void)state;
    const int yes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(pk_decode_linktype_supported(yes[i]));
    assert_false(pk_decode_linktype_supported(105));
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 105, raw_ipv4_udp, sizeof raw_ipv4_udp, &p), PK_DECODE_SKIP);
    assert_int_equal(ctr(d, "decode.unsupported_linktype"), 1);
    pk_decoder_free(d);
}

static void test_truncated_capture(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    uint32_t wire = sizeof eth_vlan_ipv4_udp;
    assert_int_equal(pk_decode_packet(d, 1, eth_vlan_ipv4_udp, wire - 1, wire, 5, &p), PK_DECODE_OK);
    assert_true(p.truncated);
    assert_true(p.l4_ok);
    assert_int_equal(p.payload_len, 1);         /* what was captured */
    assert_int_equal(p.wire_len, wire);
    assert_int_equal(p.ts_usec, 5);
    /* The same bytes claiming to be the whole frame: the IP length lies. */
    assert_int_equal(dec(d, 1, eth_vlan_ipv4_udp, wire - 1, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.truncated"), 1);
    assert_int_equal(ctr(d, "decode.malformed.ipv4_bad_total_len"), 1);
    pk_decoder_free(d);
}

static const fixture fixtures[] = {
    FIX(1, eth_ipv4_udp_padded), FIX(1, eth_vlan_ipv4_udp), FIX(1, eth_qinq_ipv6_udp),
    FIX(1, eth8023_snap_ipv4_icmp), FIX(1, eth8023_stp), FIX(1, eth_arp),
    FIX(113, sll_ipv4_tcp), FIX(276, sll2_ipv6_tcp), FIX(101, raw_ipv4_udp),
    FIX(229, raw_ipv6_udp), FIX(0, null_le_ipv4_udp), FIX(108, null_le_ipv6_udp),
    FIX(1, eth_mpls_ipv4_udp), FIX(1, eth_mpls_null6_udp), FIX(1, eth_mpls_pw_eth_ipv4),
    FIX(1, eth_pppoe_ipv4_udp), FIX(1, eth_pppoe_lcp),
};

static void test_every_prefix_and_mutation(void **state) {
    (void)state;
    sweep_fixtures(fixtures, sizeof fixtures / sizeof fixtures[0], 3000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_padding_trimmed),
        cmocka_unit_test(test_vlan_and_qinq),
        cmocka_unit_test(test_llc_snap_stp_arp),
        cmocka_unit_test(test_linux_cooked),
        cmocka_unit_test(test_raw_linktypes),
        cmocka_unit_test(test_null_and_loop),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_pppoe),
        cmocka_unit_test(test_vlan_bomb_and_short_frames),
        cmocka_unit_test(test_linktype_support),
        cmocka_unit_test(test_truncated_capture),
        cmocka_unit_test(test_every_prefix_and_mutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
