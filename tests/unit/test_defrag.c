/* test_defrag.c - IPv4/IPv6 fragment reassembly through the decoder and
 * through defrag.h directly.
 *
 * Why it exists: fragments are where sensors are evaded (overlaps that a
 * target resolves differently, tiny first fragments) and exhausted
 * (thousands of datagrams that never complete). This checks the fixed
 * policy of defrag.c: exact duplicates tolerated, any other overlap drops
 * and poisons the datagram; more than 65535 bytes refused; memory and
 * tracker bounds held under a flood; timeouts; every fragment order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "decode_test_util.h"
#include "defrag.h"

#define PK_REASM_TEST 65535

/* Ethernet header (type 802.1Q), 802.1Q tag (vid 6, type IPv4), IPv4 header
 * 192.0.2.1 -> 198.51.100.2, id 0x4242, proto TCP, 8 data bytes; frag is
 * the flags and offset word */
#define V4_SYN_FRAG_HDRS(frag, cksum) \
    ETH_HDR(0x8100), 0x00, 0x06, 0x08, 0x00, \
    IP4_HDR_FULL(28, 0x4242, frag, 6, cksum, DOC4_ADDRS)
/* Ethernet header (type IPv6), IPv6 header (next header fragment, payload
 * 24), fragment header (next header UDP, id 0x00c0ffee); offm is the
 * offset and M word */
#define V6_UDP_FRAG_HDRS(offm) \
    ETH_HDR(0x86dd), IP6_HDR(24, 44), 0x11, 0x00, BE16(offm), 0x00, 0xc0, 0xff, 0xee

static const uint8_t v4_syn_frag1[] = {
    V4_SYN_FRAG_HDRS(0x2000, 0x2c63),           /* MF, offset 0 */
    /* TCP SYN bytes 0-7: ports, sequence */
    0x9c, 0x40, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04,
};
static const uint8_t v4_syn_frag2[] = {
    V4_SYN_FRAG_HDRS(0x2001, 0x2c62),           /* MF, offset 8 */
    /* TCP SYN bytes 8-15: ack, offset/flags, window, checksum */
    0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff,
};
static const uint8_t v4_syn_frag3[] = {
    V4_SYN_FRAG_HDRS(0x0002, 0x4c61),           /* last, offset 16 */
    /* TCP SYN bytes 16-23: urgent, MSS option */
    0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};
static const uint8_t v6_udp_frag1[] = {
    V6_UDP_FRAG_HDRS(0x0001),                   /* offset 0, M */
    /* fragment data: UDP header (40000 -> 9999, length 32), payload bytes 0-7 */
    UDP_HDR(40000, 9999, 32), 'f', 'r', 'a', 'g', 'm', 'e', 'n', 't',
};
static const uint8_t v6_udp_frag2[] = {
    V6_UDP_FRAG_HDRS(0x0010),                   /* offset 16, last */
    /* fragment data: UDP payload bytes 8-23 */
    'e', 'd', '-', 'u', 'd', 'p', '-', 'p', 'a', 'y', 'l', 'o', 'a', 'd', '!', '!',
};

/* ---- builders for the many-fragment tests ---- */

/* A raw IPv4 fragment 192.0.2.1 -> 198.51.100.2 carrying data. */
static size_t v4_frag(uint8_t *b, uint16_t id, uint8_t proto, uint32_t off,
                      bool more, const uint8_t *data, size_t len) {
    size_t total = 20 + len;
    uint16_t fo = (uint16_t)((off / 8) | (more ? 0x2000 : 0));
    const uint8_t h[20] = { 0x45, 0, (uint8_t)(total >> 8), (uint8_t)total,
                            (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(fo >> 8),
                            (uint8_t)fo, 64, proto, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2 };
    memcpy(b, h, 20);
    memcpy(b + 20, data, len);
    return total;
}

/* A raw IPv6 packet 2001:db8::1 -> ::2 with a fragment header. */
static size_t v6_frag(uint8_t *b, uint32_t id, uint8_t nh, uint32_t off,
                      bool more, const uint8_t *data, size_t len) {
    size_t plen = 8 + len;
    memset(b, 0, 48);
    b[0] = 0x60;
    b[4] = (uint8_t)(plen >> 8), b[5] = (uint8_t)plen, b[6] = 44, b[7] = 64;
    b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
    b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 2;
    uint16_t offm = (uint16_t)(off | (more ? 1 : 0));
    b[40] = nh, b[42] = (uint8_t)(offm >> 8), b[43] = (uint8_t)offm;
    for (int i = 0; i < 4; i++) b[44 + i] = (uint8_t)(id >> (24 - 8 * i));
    memcpy(b + 48, data, len);
    return 48 + len;
}

/* A 48-byte UDP datagram 1111 -> 2222 with 40 bytes of data. */
static void udp_datagram(uint8_t *dg) {
    const uint8_t h[8] = { 0x04, 0x57, 0x08, 0xae, 0, 48, 0, 0 };
    memcpy(dg, h, 8);
    for (int i = 8; i < 48; i++) dg[i] = (uint8_t)('A' + i % 26);
}

static pk_decode_result feed4(pk_decoder *d, uint16_t id, uint32_t off, bool more,
                              const uint8_t *data, size_t len, int64_t ts, pk_packet *p) {
    uint8_t b[65600];
    size_t n = v4_frag(b, id, 17, off, more, data, len);
    return pk_decode_packet(d, 101, b, (uint32_t)n, (uint32_t)n, ts, p);
}

static pk_decoder *dec_cfg(size_t bytes, uint32_t trackers, uint32_t timeout_ms) {
    pk_decode_config c = { bytes, trackers, timeout_ms };
    pk_decoder *d = pk_decoder_new(&c);
    assert_non_null(d);
    return d;
}

/* ---- tests ---- */

static void test_ipv4_vlan_syn_every_order(void **state) {
    (void)state;
    const uint8_t *f[] = { v4_syn_frag1, v4_syn_frag2, v4_syn_frag3 };
    const size_t n[] = { sizeof v4_syn_frag1, sizeof v4_syn_frag2, sizeof v4_syn_frag3 };
    const int orders[6][3] = { {0,1,2}, {0,2,1}, {1,0,2}, {1,2,0}, {2,0,1}, {2,1,0} };
    for (int o = 0; o < 6; o++) {
        pk_decoder *d = dec_new();
        pk_packet p;
        for (int i = 0; i < 3; i++) {
            pk_decode_result r = dec(d, 1, f[orders[o][i]], n[orders[o][i]], &p);
            assert_int_equal(r, i < 2 ? PK_DECODE_HELD : PK_DECODE_OK);
            assert_int_equal(p.ip_count, 1);       /* held fragments show their header */
        }
        assert_true(p.reassembled);
        assert_ip4(&p.ip[0], "192.0.2.1", "198.51.100.2");
        assert_int_equal(p.vlan[0], 6);
        assert_true(p.l4_ok);
        assert_int_equal(p.tcp_flags, PK_TH_SYN);
        assert_int_equal(p.tcp_seq, 0x01020304);
        assert_int_equal(p.dport, 443);
        assert_int_equal(p.payload_len, 0);
        assert_int_equal(ctr(d, "defrag.fragments"), 3);
        assert_int_equal(ctr(d, "defrag.reassembled"), 1);
        assert_int_equal(ctr(d, "defrag.tiny"), 1);   /* 8-byte first fragment */
        assert_int_equal(ctr(d, "defrag.bytes_held"), 0);
        pk_decoder_free(d);
    }
}

static void test_ipv6_fragments(void **state) {
    (void)state;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(dec(d, 1, v6_udp_frag2, sizeof v6_udp_frag2, &p), PK_DECODE_HELD);
    assert_int_equal(dec(d, 1, v6_udp_frag1, sizeof v6_udp_frag1, &p), PK_DECODE_OK);
    assert_true(p.reassembled);
    assert_ip6(&p.ip[0], "2001:db8::1", "2001:db8::2");
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.dport, 9999);
    assert_int_equal(p.payload_len, 24);
    assert_memory_equal(p.payload, "fragmented-udp-payload!!", 24);
    pk_decoder_free(d);
}

static void test_overlap_poisons_datagram(void **state) {
    (void)state;
    uint8_t dg[48], evil[16];
    udp_datagram(dg);
    memset(evil, 'X', sizeof evil);
    pk_decoder *d = dec_cfg(0, 0, 1000);
    pk_packet p;
    assert_int_equal(feed4(d, 7, 0, true, dg, 16, 0, &p), PK_DECODE_HELD);
    assert_int_equal(feed4(d, 7, 8, true, evil, 16, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(feed4(d, 7, 16, true, dg + 16, 16, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(feed4(d, 7, 32, false, dg + 32, 16, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(feed4(d, 7, 0, true, dg, 16, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "defrag.overlaps"), 1);
    assert_int_equal(ctr(d, "defrag.dropped_poisoned"), 3);
    assert_int_equal(ctr(d, "defrag.reassembled"), 0);
    assert_int_equal(ctr(d, "defrag.bytes_held"), 0);
    /* once the poisoned tracker times out, the id can be used again */
    int64_t later = 2000000;
    assert_int_equal(feed4(d, 7, 0, true, dg, 24, later, &p), PK_DECODE_HELD);
    assert_int_equal(feed4(d, 7, 24, false, dg + 24, 24, later, &p), PK_DECODE_OK);
    assert_int_equal(p.payload_len, 40);
    assert_int_equal(ctr(d, "defrag.timeouts"), 0);   /* poisoned: not a timeout */
    pk_decoder_free(d);
}

static void test_duplicates_and_end_conflicts(void **state) {
    (void)state;
    uint8_t dg[48], other[16];
    udp_datagram(dg);
    memcpy(other, dg, 16);
    other[15] ^= 1;
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(feed4(d, 1, 0, true, dg, 16, 0, &p), PK_DECODE_HELD);
    assert_int_equal(feed4(d, 1, 0, true, dg, 16, 0, &p), PK_DECODE_HELD);
    assert_int_equal(feed4(d, 1, 16, false, dg + 16, 32, 0, &p), PK_DECODE_OK);
    assert_int_equal(ctr(d, "defrag.duplicates"), 1);
    assert_int_equal(feed4(d, 2, 0, true, dg, 16, 0, &p), PK_DECODE_HELD);   /* same place, other bytes */
    assert_int_equal(feed4(d, 2, 0, true, other, 16, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(feed4(d, 3, 32, false, dg + 32, 16, 0, &p), PK_DECODE_HELD);   /* two ends */
    assert_int_equal(feed4(d, 3, 24, false, dg + 24, 8, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(feed4(d, 4, 16, false, dg + 16, 16, 0, &p), PK_DECODE_HELD);   /* past the end */
    assert_int_equal(feed4(d, 4, 32, true, dg + 32, 8, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "defrag.overlaps"), 3);
    pk_decoder_free(d);
}

static void test_limits_on_size_and_length(void **state) {
    (void)state;
    static uint8_t big[65536];
    uint8_t b[128];
    pk_decoder *d = dec_new();
    pk_packet p;
    assert_int_equal(feed4(d, 9, 65512, false, big, 24, 0, &p), PK_DECODE_MALFORMED);
    size_t n = v6_frag(b, 9, 17, 65528, false, big, 16);
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "defrag.too_large"), 2);
    assert_int_equal(feed4(d, 10, 0, true, big, 12, 0, &p), PK_DECODE_MALFORMED);
    n = v6_frag(b, 10, 17, 0, true, big, 0);
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed.frag_bad_length"), 2);
    /* the largest legal IPv4 datagram still reassembles */
    assert_int_equal(feed4(d, 11, 0, true, big, 32768, 0, &p), PK_DECODE_HELD);
    assert_int_equal(feed4(d, 11, 32768, false, big, 65535 - 20 - 32768, 0, &p), PK_DECODE_OK);
    assert_int_equal(p.proto, 17);
    assert_true(p.reassembled);
    n = v4_frag(b, 12, 17, 0, true, big, 16);   /* cut by the capture */
    assert_int_equal(pk_decode_packet(d, 101, b, (uint32_t)n - 4, (uint32_t)n, 0, &p), PK_DECODE_MALFORMED);
    assert_int_equal(ctr(d, "decode.malformed.frag_truncated"), 1);
    pk_decoder_free(d);
}

static void test_timeouts(void **state) {
    (void)state;
    uint8_t dg[48];
    udp_datagram(dg);
    pk_decoder *d = dec_new();                  /* 30 s default */
    pk_packet p;
    assert_int_equal(feed4(d, 1, 0, true, dg, 16, 0, &p), PK_DECODE_HELD);
    pk_decoder_expire(d, 29 * 1000000LL);
    assert_int_equal(ctr(d, "defrag.trackers_active"), 1);
    pk_decoder_expire(d, 31 * 1000000LL);
    assert_int_equal(ctr(d, "defrag.timeouts"), 1);
    assert_int_equal(ctr(d, "defrag.trackers_active"), 0);
    assert_int_equal(feed4(d, 1, 16, false, dg + 16, 32, 31 * 1000000LL, &p), PK_DECODE_HELD);
    /* packet time alone also expires: a fragment 40 s later */
    assert_int_equal(feed4(d, 2, 0, true, dg, 16, 71 * 1000000LL, &p), PK_DECODE_HELD);
    assert_int_equal(ctr(d, "defrag.timeouts"), 2);
    pk_decoder_free(d);
}

/* Thousands of datagrams that never complete, against small bounds. */
static void flood(pk_decoder *d, size_t max_bytes, uint32_t max_trackers) {
    static uint8_t data[1024];
    pk_packet p;
    for (uint32_t i = 0; i < 5000; i++) {
        uint8_t b[1100];
        size_t n = v4_frag(b, (uint16_t)i, 17, 0, true, data, sizeof data);
        b[12] = (uint8_t)(i >> 8);              /* many sources as well */
        assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_HELD);
        assert_true(ctr(d, "defrag.bytes_held") <= max_bytes);
        assert_true(ctr(d, "defrag.trackers_active") <= max_trackers);
    }
}

static void test_memory_and_tracker_bounds(void **state) {
    (void)state;
    uint8_t dg[48];
    udp_datagram(dg);
    pk_decoder *d = dec_cfg(64 * 1024, 4096, 0);
    flood(d, 64 * 1024, 4096);
    assert_true(ctr(d, "defrag.dropped_memory") > 4000);
    pk_packet p;
    assert_int_equal(feed4(d, 1, 0, true, dg, 16, 0, &p), PK_DECODE_HELD);
    assert_int_equal(feed4(d, 1, 16, false, dg + 16, 32, 0, &p), PK_DECODE_OK);
    pk_decoder_free(d);
    d = dec_cfg(0, 128, 0);                     /* 4 MiB, 128 trackers */
    flood(d, 4u << 20, 128);
    assert_true(ctr(d, "defrag.dropped_trackers") > 4000);
    assert_int_equal(ctr(d, "defrag.dropped_memory"), 0);
    pk_decoder_free(d);                         /* frees what is still held */
}

static void test_api_every_arrival_order(void **state) {
    (void)state;
    uint8_t dg[64], out[PK_REASM_TEST];
    for (int i = 0; i < 64; i++) dg[i] = (uint8_t)(i * 7);
    pk_defrag *df = pk_defrag_new(1 << 20, 16, 1000);
    assert_non_null(df);
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        int order[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
        for (int i = 7; i > 0; i--) {           /* shuffle */
            x = x * 1103515245u + 12345u;
            int j = (int)((x >> 16) % (uint32_t)(i + 1)), t = order[i];
            order[i] = order[j], order[j] = t;
        }
        for (int i = 0; i < 8; i++) {
            pk_frag_in in = { .offset = (uint32_t)order[i] * 8, .data = dg + order[i] * 8,
                              .len = 8, .more = order[i] != 7, .next_proto = 17 };
            in.key.family = 4, in.key.id = (uint32_t)round;
            uint32_t len = 0;
            uint8_t proto = 0;
            pk_frag_result r = pk_defrag_add(df, &in, out, sizeof out, &len, &proto);
            assert_int_equal(r, i < 7 ? PK_FRAG_HELD : PK_FRAG_DONE);
            if (r == PK_FRAG_DONE) {
                assert_int_equal(len, 64);
                assert_int_equal(proto, 17);
                assert_memory_equal(out, dg, 64);
            }
        }
        assert_int_equal(pk_defrag_bytes_held(df), 0);
        assert_int_equal(pk_defrag_trackers_active(df), 0);
    }
    pk_defrag_free(df);
}

static void test_nested_fragment_and_tunnel(void **state) {
    (void)state;
    uint8_t inner[16] = { 17, 0, 0, 1, 0, 0, 0, 9 }, b[256], dg[48];  /* fragment header, M set */
    pk_decoder *d = dec_new();
    pk_packet p;
    size_t n = v6_frag(b, 5, 44, 0, false, inner, 16);   /* atomic, then a real one */
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_HELD);
    pk_decoder_free(d);
    d = dec_new();
    n = v6_frag(b, 6, 44, 0, true, inner, 8);
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_HELD);
    n = v6_frag(b, 6, 44, 8, false, inner + 8, 8);
    assert_int_equal(dec(d, 101, b, n, &p), PK_DECODE_OK);   /* rebuilt holds a fragment header */
    assert_false(p.l4_ok);
    assert_int_equal(ctr(d, "decode.malformed.ipv6_nested_fragment"), 1);
    udp_datagram(dg);                           /* IPv4 fragments inside IPv4-in-IPv4 */
    for (int i = 0; i < 2; i++) {
        size_t m = v4_frag(b + 20, 77, 17, i * 24, i == 0, dg + i * 24, 24);
        v4_frag(b, 1, 4, 0, false, b + 20, m);
        pk_decode_result r = dec(d, 101, b, 20 + m, &p);
        assert_int_equal(r, i == 0 ? PK_DECODE_HELD : PK_DECODE_OK);
        assert_int_equal(p.ip_count, 2);
    }
    assert_true(p.reassembled);
    assert_int_equal(p.dport, 2222);
    assert_int_equal(p.payload_len, 40);
    pk_decoder_free(d);
}

static const fixture fixtures[] = {
    FIX(1, v4_syn_frag1), FIX(1, v4_syn_frag2), FIX(1, v4_syn_frag3),
    FIX(1, v6_udp_frag1), FIX(1, v6_udp_frag2),
};

static void test_every_prefix_and_mutation(void **state) {
    (void)state;
    sweep_fixtures(fixtures, sizeof fixtures / sizeof fixtures[0], 5000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_vlan_syn_every_order),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_overlap_poisons_datagram),
        cmocka_unit_test(test_duplicates_and_end_conflicts),
        cmocka_unit_test(test_limits_on_size_and_length),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_memory_and_tracker_bounds),
        cmocka_unit_test(test_api_every_arrival_order),
        cmocka_unit_test(test_nested_fragment_and_tunnel),
        cmocka_unit_test(test_every_prefix_and_mutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
