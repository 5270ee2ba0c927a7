/* test_tls.c - unit tests of the TLS ClientHello parser (proto_tls.c).
 *
 * Why it exists: the ClientHello parser reads hostile bytes from every TLS
 * flow. These tests pin its results on real ClientHellos (oracle: tshark's
 * SNI and JA3 in the shared pcaps/<name>.truth.json files; JA4 computed by
 * hand per FoxIO's JA4.md from the fields tshark lists), on hellos spread over many
 * records, on every truncated prefix, and on hostile lengths. Prefixes and
 * mutations are parsed from exact-size heap copies so ASan sees overreads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_tls.h"
#include "tls_fingerprint.h"

/* Frame 4 of tls12-sni.pcap (10.16.1.11:54684 -> 24.244.4.23:443).
 * tshark: SNI www.google.com, JA3 39d8c2cad4b5f346d621cbcca5b6189b.
 * JA4 by hand: t12 (no supported_versions, legacy 0x0303), d, 30 ciphers,
 * 07 extensions, ALPN "http/1.1" -> h1; sha256 of the sorted cipher list
 * -> 5f39c7d2d762; of "000a,000b,000d,3374,ff01_0401,...,0202" -> 01e94b487c91. */
static const uint8_t k_tls12_google[] = {
    /* TLS record header: type 22 (handshake), version, length */
    0x16, 0x03, 0x01, 0x00, 0xc9,
    /* handshake header: type 1 (ClientHello), 24-bit length */
    0x01, 0x00, 0x00, 0xc5,
    /* ClientHello: legacy_version */
    0x03, 0x03,
    /* ClientHello: random */
    0x88, 0x02, 0x24, 0x2f, 0xae, 0x56, 0xf3, 0x38, 0x19, 0xf2, 0xfa, 0x8e,
    0x8a, 0x72, 0x23, 0x1a, 0xe3, 0xd2, 0x42, 0xff, 0x38, 0x2f, 0xe9, 0xb5,
    0x0d, 0x6c, 0x84, 0xc9, 0xd9, 0x26, 0xaf, 0x9d,
    /* ClientHello: session id (length 0) */
    0x00,
    /* ClientHello: cipher suites (length 60, 30 suites) */
    0x00, 0x3c, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x0a,
    0xc0, 0x09, 0xc0, 0x13, 0xc0, 0x23, 0xc0, 0x27, 0xc0, 0x14, 0xc0, 0x08,
    0xc0, 0x12, 0x00, 0x9e, 0xcc, 0xaa, 0x00, 0x33, 0x00, 0x32, 0x00, 0x67,
    0x00, 0x39, 0x00, 0x38, 0x00, 0x6b, 0x00, 0x16, 0x00, 0x13, 0x00, 0x9c,
    0x00, 0x2f, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x3d, 0x00, 0x0a, 0x00, 0x05,
    0x00, 0x04,
    /* ClientHello: compression methods (length 1) */
    0x01, 0x00,
    /* ClientHello: extensions length 96 */
    0x00, 0x60,
    /* extension 0 (server_name), length 19 */
    0x00, 0x00, 0x00, 0x13, 0x00, 0x11, 0x00, 0x00, 0x0e, 0x77, 0x77, 0x77,
    0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d,
    /* extension 65281 (renegotiation_info), length 1 */
    0xff, 0x01, 0x00, 0x01, 0x00,
    /* extension 10 (supported_groups), length 8 */
    0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19,
    /* extension 11 (ec_point_formats), length 2 */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
    /* extension 13172 (next_protocol_negotiation), length 0 */
    0x33, 0x74, 0x00, 0x00,
    /* extension 16 (ALPN), length 14 */
    0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f,
    0x31, 0x2e, 0x31, 0x02, 0x68, 0x32,
    /* extension 13 (signature_algorithms), length 24 */
    0x00, 0x0d, 0x00, 0x18, 0x00, 0x16, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01,
    0x02, 0x01, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x02, 0x03, 0x05, 0x02,
    0x04, 0x02, 0x02, 0x02,
};

/* Frame 4 of tls13-ipv6-sni.pcap ([2600:1f13:...]:33892 -> [2001:4860:4860::8888]:443).
 * tshark: SNI dns.google, JA3 7a15285d4efc355608b304698cd7f9ab.
 * JA4 by hand: t13 (supported_versions max 0x0304), d, 19 ciphers, 11
 * extensions, ALPN "h2"; b 9dc949149365, c e7c285222651. */
static const uint8_t k_tls13_dns_google[] = {
    /* TLS record header: type 22 (handshake), version, length */
    0x16, 0x03, 0x01, 0x01, 0x13,
    /* handshake header: type 1 (ClientHello), 24-bit length */
    0x01, 0x00, 0x01, 0x0f,
    /* ClientHello: legacy_version */
    0x03, 0x03,
    /* ClientHello: random */
    0xf8, 0xeb, 0x97, 0xc1, 0xcf, 0x96, 0x85, 0x64, 0x20, 0x0e, 0x3a, 0xc7,
    0x5c, 0xe7, 0x4f, 0x3b, 0xe6, 0x94, 0xa9, 0x2e, 0xa1, 0x7d, 0x03, 0xaf,
    0xce, 0x58, 0x22, 0x5d, 0x1c, 0xd6, 0x65, 0xe3,
    /* ClientHello: session id (length 32) */
    0x20, 0x51, 0xc6, 0x27, 0xd7, 0xd3, 0xb9, 0x1a, 0xc5, 0x3a, 0x0e, 0xb9,
    0x82, 0x51, 0x7d, 0x2e, 0xc3, 0x22, 0x25, 0xcd, 0x5a, 0xec, 0x60, 0x01,
    0x02, 0x77, 0x43, 0x2a, 0x7b, 0xbe, 0x41, 0xda, 0xde,
    /* ClientHello: cipher suites (length 38, 19 suites) */
    0x00, 0x26, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9,
    0xcc, 0xa8, 0xc0, 0x09, 0xc0, 0x13, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x9c,
    0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35, 0xc0, 0x12, 0x00, 0x0a, 0x13, 0x01,
    0x13, 0x02, 0x13, 0x03,
    /* ClientHello: compression methods (length 1) */
    0x01, 0x00,
    /* ClientHello: extensions length 160 */
    0x00, 0xa0,
    /* extension 0 (server_name), length 15 */
    0x00, 0x00, 0x00, 0x0f, 0x00, 0x0d, 0x00, 0x00, 0x0a, 0x64, 0x6e, 0x73,
    0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65,
    /* extension 5 (status_request), length 5 */
    0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00,
    /* extension 10 (supported_groups), length 10 */
    0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    0x00, 0x19,
    /* extension 11 (ec_point_formats), length 2 */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
    /* extension 13 (signature_algorithms), length 26 */
    0x00, 0x0d, 0x00, 0x1a, 0x00, 0x18, 0x08, 0x04, 0x04, 0x03, 0x08, 0x07,
    0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x05, 0x03,
    0x06, 0x03, 0x02, 0x01, 0x02, 0x03,
    /* extension 65281 (renegotiation_info), length 1 */
    0xff, 0x01, 0x00, 0x01, 0x00,
    /* extension 23 (extended_master_secret), length 0 */
    0x00, 0x17, 0x00, 0x00,
    /* extension 16 (ALPN), length 14 */
    0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74,
    0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31,
    /* extension 18 (signed_certificate_timestamp), length 0 */
    0x00, 0x12, 0x00, 0x00,
    /* extension 43 (supported_versions), length 5 */
    0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03,
    /* extension 51 (key_share), length 38 */
    0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0xc7, 0x27,
    0xb4, 0xa5, 0xd6, 0x14, 0xe9, 0x48, 0x7a, 0xf6, 0xa4, 0xed, 0xb2, 0x25,
    0x8b, 0x06, 0x6d, 0x69, 0x97, 0x85, 0x19, 0xa9, 0xf6, 0xa3, 0x11, 0x19,
    0xf0, 0x44, 0x43, 0xda, 0xdc, 0x7d,
};

/* A small hand-made hello: GREASE cipher and version, upper-case SNI. */
static const uint8_t k_small[] = {
    /* TLS record header: handshake, version 0x0301, length 90 */
    0x16, 0x03, 0x01, 0x00, 0x5a,
    /* handshake header: ClientHello, length 86 */
    0x01, 0x00, 0x00, 0x56,
    /* ClientHello: legacy_version TLS 1.2 */
    0x03, 0x03,
    /* ClientHello: random */
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    /* ClientHello: session id (empty) */
    0x00,
    /* ClientHello: cipher suites: GREASE 0a0a, 1301, 002f */
    0x00, 0x06, 0x0a, 0x0a, 0x13, 0x01, 0x00, 0x2f,
    /* ClientHello: compression methods: null */
    0x01, 0x00,
    /* ClientHello: extensions length 39 (offset 54) */
    0x00, 0x27,
    /* extension 0 (server_name), length 17 (offset 56); list length 15
     * (offset 60); host_name, name length 12 (offset 63) "Evil.Example" */
    0x00, 0x00, 0x00, 0x11, 0x00, 0x0f, 0x00, 0x00, 0x0c,
    'E', 'v', 'i', 'l', '.', 'E', 'x', 'a', 'm', 'p', 'l', 'e',
    /* extension 16 (ALPN), length 5: list 3, "h2" */
    0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'h', '2',
    /* extension 43 (supported_versions), length 5: GREASE 7a7a, 0304 */
    0x00, 0x2b, 0x00, 0x05, 0x04, 0x7a, 0x7a, 0x03, 0x04,
};
enum { OFF_EXTS_LEN = 54, OFF_SNI_EXT_LEN = 58, OFF_SNI_LIST_LEN = 60,
       OFF_SNI_NAME_LEN = 63, OFF_SNI_NAME = 65, OFF_SID_LEN = 43,
       OFF_CS_LEN = 44, OFF_HS_LEN = 6, OFF_REC_LEN = 3 };

/* Parses an exact-size heap copy of in[0..n). */
static pk_parse_result parse_copy(const uint8_t *in, size_t n, pk_tls_hello *h,
                                  pk_tls_stats *st) {
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    if (n) memcpy(buf, in, n);
    pk_parse_result r = pk_tls_parse_stream(buf, n, PK_TLS_KEEP_FIELDS, h, st);
    free(buf);
    if (r == PK_PARSE_OK) {
        assert_string_equal(h->ja3, "");      /* not computed until asked for */
        pk_tls_hello_fingerprint(h, NULL);
    }
    return r;
}

static void expect_hello(const uint8_t *in, size_t n, const char *sni,
                         const char *ja3, const char *ja4) {
    pk_tls_hello h;
    pk_tls_stats st = {0};
    assert_int_equal(parse_copy(in, n, &h, &st), PK_PARSE_OK);
    assert_true(h.has_sni);
    assert_string_equal(h.sni, sni);
    assert_int_equal(h.sni_len, strlen(sni));
    assert_string_equal(h.ja3, ja3);
    assert_string_equal(h.ja4, ja4);
    assert_int_equal(st.client_hellos, 1);
}

static void test_real_tls12(void **state) {
    (void)state;
    expect_hello(k_tls12_google, sizeof k_tls12_google, "www.google.com",
                 "39d8c2cad4b5f346d621cbcca5b6189b",
                 "t12d3007h1_5f39c7d2d762_01e94b487c91");
}

static void test_real_tls13(void **state) {
    (void)state;
    expect_hello(k_tls13_dns_google, sizeof k_tls13_dns_google, "dns.google",
                 "7a15285d4efc355608b304698cd7f9ab",
                 "t13d1911h2_9dc949149365_e7c285222651");
}

/* JA3 "771,4865-47,0-16-43,," (GREASE out); JA4 by hand: t13d0203h2,
 * sha256("002f,1301") -> 84cdcbea686c, sha256("002b") -> b9a491fefe05. */
static void test_small_hello(void **state) {
    (void)state;
    pk_tls_hello h;
    pk_tls_stats st = {0};
    expect_hello(k_small, sizeof k_small, "evil.example",
                 "0dff0b998ab37147af0e21014288b664",
                 "t13d0203h2_84cdcbea686c_b9a491fefe05");
    assert_int_equal(parse_copy(k_small, sizeof k_small, &h, &st), PK_PARSE_OK);
    assert_string_equal(h.alpn0, "h2");
    assert_int_equal(h.legacy_version, 0x0303);
    assert_false(h.fp_truncated);
}

/* QUIC carries the bare handshake message: same fields, 'q' prefix. */
static void test_quic_handshake(void **state) {
    (void)state;
    pk_tls_hello h;
    pk_tls_stats st = {0};
    assert_int_equal(pk_tls_parse_handshake(k_small + 5, sizeof k_small - 5,
                                            PK_TLS_KEEP_FIELDS | PK_TLS_QUIC, &h, &st), PK_PARSE_OK);
    pk_tls_hello_fingerprint(&h, NULL);
    assert_string_equal(h.ja4, "q13d0203h2_84cdcbea686c_b9a491fefe05");
    assert_int_equal(pk_tls_parse_handshake(k_small + 5, 40, PK_TLS_KEEP_FIELDS | PK_TLS_QUIC, &h, &st),
                     PK_PARSE_NEED_MORE);
}

/* The handshake message of in re-cut into records of chunk bytes. */
static size_t rechunk(const uint8_t *in, size_t n, size_t chunk, uint8_t *out) {
    size_t o = 0;
    for (size_t i = 5; i < n; i += chunk) {
        size_t c = n - i < chunk ? n - i : chunk;
        out[o++] = 0x16; out[o++] = 0x03; out[o++] = 0x03;
        out[o++] = (uint8_t)(c >> 8); out[o++] = (uint8_t)c;
        memcpy(out + o, in + i, c);
        o += c;
    }
    return o;
}

static void test_many_records(void **state) {
    (void)state;
    static const size_t chunks[] = {1, 2, 3, 7, 64, 100, 300};
    static uint8_t buf[sizeof k_tls13_dns_google * 6];
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        size_t n = rechunk(k_tls13_dns_google, sizeof k_tls13_dns_google,
                           chunks[i], buf);
        expect_hello(buf, n, "dns.google", "7a15285d4efc355608b304698cd7f9ab",
                     "t13d1911h2_9dc949149365_e7c285222651");
        pk_tls_hello h;
        pk_tls_stats st = {0};
        for (size_t k = 0; k < n; k++)
            assert_int_equal(parse_copy(buf, k, &h, &st), PK_PARSE_NEED_MORE);
    }
}

/* Every strict prefix of a valid stream waits for more. */
static void test_every_prefix(void **state) {
    (void)state;
    const struct { const uint8_t *p; size_t n; } fx[] = {
        {k_tls12_google, sizeof k_tls12_google},
        {k_tls13_dns_google, sizeof k_tls13_dns_google},
        {k_small, sizeof k_small},
    };
    for (size_t f = 0; f < sizeof fx / sizeof fx[0]; f++) {
        for (size_t n = 0; n < fx[f].n; n++) {
            pk_tls_hello h;
            pk_tls_stats st = {0};
            assert_int_equal(parse_copy(fx[f].p, n, &h, &st), PK_PARSE_NEED_MORE);
            uint8_t *hs = malloc(n ? n : 1);
            if (n > 5) memcpy(hs, fx[f].p + 5, n - 5);
            assert_int_equal(pk_tls_parse_handshake(hs, n > 5 ? n - 5 : 0,
                                                    PK_TLS_KEEP_FIELDS, &h, &st),
                             PK_PARSE_NEED_MORE);
            free(hs);
        }
    }
}

/* k_small with one big-endian 16-bit field patched. */
static pk_parse_result patched16(size_t off, uint16_t v, pk_tls_hello *h,
                                 pk_tls_stats *st) {
    uint8_t b[sizeof k_small];
    memcpy(b, k_small, sizeof b);
    b[off] = (uint8_t)(v >> 8);
    b[off + 1] = (uint8_t)v;
    return parse_copy(b, sizeof b, h, st);
}

static void test_hostile_lengths(void **state) {
    (void)state;
    pk_tls_hello h;
    pk_tls_stats st = {0};
    /* extension length runs past the extension block */
    assert_int_equal(patched16(OFF_SNI_EXT_LEN, 0x00ff, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_extension, 1);
    /* extension block length runs past the hello */
    assert_int_equal(patched16(OFF_EXTS_LEN, 0x0100, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_extension, 2);
    /* SNI list length lies (longer, then shorter than the extension) */
    assert_int_equal(patched16(OFF_SNI_LIST_LEN, 0x0020, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(patched16(OFF_SNI_LIST_LEN, 0x0005, &h, &st), PK_PARSE_MALFORMED);
    /* host_name length runs past the list */
    assert_int_equal(patched16(OFF_SNI_NAME_LEN, 0x00ff, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_sni, 3);
    /* odd cipher suite length */
    assert_int_equal(patched16(OFF_CS_LEN, 0x0005, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_handshake, 1);
    /* record length 0 and beyond any TLS record */
    assert_int_equal(patched16(OFF_REC_LEN, 0, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(patched16(OFF_REC_LEN, 0xffff, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_record, 2);
    assert_int_equal(st.client_hellos, 0);
}

static void test_huge_handshake(void **state) {
    (void)state;
    /* TLS record header, then a ClientHello claiming 16 MiB */
    static const uint8_t huge[] = {0x16, 0x03, 0x01, 0x40, 0x00,
                                   0x01, 0xff, 0xff, 0xff, 0x03, 0x03};
    pk_tls_hello h;
    pk_tls_stats st = {0};
    assert_int_equal(parse_copy(huge, sizeof huge, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.too_large, 1);
    /* session id longer than 32 */
    uint8_t b[sizeof k_small];
    memcpy(b, k_small, sizeof b);
    b[OFF_SID_LEN] = 33;
    assert_int_equal(parse_copy(b, sizeof b, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_handshake, 1);
}

static void test_not_tls(void **state) {
    (void)state;
    pk_tls_hello h;
    pk_tls_stats st = {0};
    static const uint8_t http[] = "GET / HTTP/1.1\r\n";
    static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    static const uint8_t sslv2[] = {0x16, 0x02};
    /* record header, then a ServerHello (type 2) */
    static const uint8_t server[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00};
    assert_int_equal(parse_copy(http, sizeof http - 1, &h, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_copy(alert, sizeof alert, &h, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_copy(sslv2, sizeof sslv2, &h, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_copy(server, sizeof server, &h, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_copy(k_small, 1, &h, &st), PK_PARSE_NEED_MORE);
}

/* A second record that is not a handshake before the hello is complete. */
static void test_interleaved_record(void **state) {
    (void)state;
    uint8_t buf[sizeof k_small * 6];
    size_t n = rechunk(k_small, sizeof k_small, 40, buf);
    buf[45] = 0x15;                      /* second record: alert */
    pk_tls_hello h;
    pk_tls_stats st = {0};
    assert_int_equal(parse_copy(buf, n, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_record, 1);
    assert_int_equal(parse_copy(buf, 46, &h, &st), PK_PARSE_MALFORMED);
}

/* A NUL inside the host name: the hello parses, the SNI is not kept. */
static void test_sni_bad_bytes(void **state) {
    (void)state;
    uint8_t b[sizeof k_small];
    memcpy(b, k_small, sizeof b);
    b[OFF_SNI_NAME + 4] = 0x00;
    pk_tls_hello h;
    pk_tls_stats st = {0};
    assert_int_equal(parse_copy(b, sizeof b, &h, &st), PK_PARSE_OK);
    assert_false(h.has_sni);
    assert_string_equal(h.sni, "");
    assert_int_equal(st.malformed_sni, 1);
    assert_int_equal(h.ja4[3], 'd');     /* the extension is still there */
}

/* Builds "record + ClientHello" with nciph ciphers and an SNI of sni_len
 * 'a's; returns the length. */
static size_t build_big(uint8_t *b, size_t nciph, size_t sni_len) {
    size_t o = 9;
    b[o++] = 3; b[o++] = 3;
    memset(b + o, 0, 33); o += 33;                       /* random, sid */
    b[o++] = (uint8_t)(nciph * 2 >> 8); b[o++] = (uint8_t)(nciph * 2);
    for (size_t i = 0; i < nciph; i++) { b[o++] = 0xc0; b[o++] = (uint8_t)i; }
    b[o++] = 1; b[o++] = 0;
    size_t ext = sni_len + 9;
    b[o++] = (uint8_t)(ext >> 8); b[o++] = (uint8_t)ext;
    b[o++] = 0; b[o++] = 0;
    b[o++] = (uint8_t)((sni_len + 5) >> 8); b[o++] = (uint8_t)(sni_len + 5);
    b[o++] = (uint8_t)((sni_len + 3) >> 8); b[o++] = (uint8_t)(sni_len + 3);
    b[o++] = 0;
    b[o++] = (uint8_t)(sni_len >> 8); b[o++] = (uint8_t)sni_len;
    memset(b + o, 'a', sni_len); o += sni_len;
    size_t hl = o - 9, rl = o - 5;
    b[0] = 0x16; b[1] = 3; b[2] = 1; b[3] = (uint8_t)(rl >> 8); b[4] = (uint8_t)rl;
    b[5] = 1; b[6] = 0; b[7] = (uint8_t)(hl >> 8); b[8] = (uint8_t)hl;
    return o;
}

static void test_caps_flagged(void **state) {
    (void)state;
    static uint8_t b[4096];
    pk_tls_hello h;
    pk_tls_stats st = {0};
    size_t n = build_big(b, 200, 300);
    assert_int_equal(parse_copy(b, n, &h, &st), PK_PARSE_OK);
    assert_true(h.has_sni);
    assert_true(h.sni_truncated);
    assert_int_equal(h.sni_len, PK_TLS_SNI_MAX);
    assert_int_equal(strlen(h.sni), PK_TLS_SNI_MAX);
    assert_true(h.fp_truncated);
    assert_int_equal(h.fields.ciphers.n, PK_TLS_LIST_MAX);   /* kept */
    assert_int_equal(h.fields.ciphers.total, 200);            /* counted */
    assert_int_equal(h.fields.ciphers.v[0], 0xc000);
    assert_int_equal(h.fields.ciphers.v[PK_TLS_LIST_MAX - 1], 0xc07f);
    assert_int_equal(st.sni_truncated, 1);
    assert_int_equal(st.lists_truncated, 1);
    assert_memory_equal(h.ja4, "t12d9901", 8);  /* count capped at 99 */
}

/* Without PK_TLS_KEEP_FIELDS the lists are checked and skipped: the same
 * SNI, ALPN and result, no fingerprint, no list counted as truncated. */
static void test_fields_not_kept(void **state) {
    (void)state;
    static uint8_t big[4096];
    size_t nbig = build_big(big, 200, 300);
    const struct { const uint8_t *p; size_t n; const char *sni; } fx[] = {
        {k_tls13_dns_google, sizeof k_tls13_dns_google, "dns.google"},
        {k_small, sizeof k_small, "evil.example"},
        {big, nbig, NULL},
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        pk_tls_hello h;
        pk_tls_stats st = {0};
        assert_int_equal(pk_tls_parse_stream(fx[i].p, fx[i].n, 0, &h, &st), PK_PARSE_OK);
        assert_true(h.has_sni);
        if (fx[i].sni) assert_string_equal(h.sni, fx[i].sni);
        assert_false(h.fields_kept);
        assert_false(h.fp_truncated);
        assert_int_equal(h.fields.ciphers.n, 0);
        assert_int_equal(h.fields.exts.total, 0);
        pk_tls_hello_fingerprint(&h, NULL);
        assert_string_equal(h.ja3, "");
        assert_string_equal(h.ja4, "");
        assert_int_equal(st.client_hellos, 1);
        assert_int_equal(st.lists_truncated, 0);
    }
    /* A list whose length breaks the extension is malformed either way. */
    uint8_t bad[sizeof k_small];
    memcpy(bad, k_small, sizeof bad);
    bad[OFF_CS_LEN + 1] ^= 1;                 /* odd cipher_suites length */
    pk_tls_hello h;
    pk_tls_stats st = {0};
    assert_int_equal(pk_tls_parse_stream(bad, sizeof bad, 0, &h, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_handshake, 1);
}

/* Every byte replaced by a few values: whatever comes back, no overread
 * and the outputs are well-formed strings. */
static void test_mutations(void **state) {
    (void)state;
    static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    uint8_t b[sizeof k_tls13_dns_google];
    for (size_t i = 0; i < sizeof b; i++) {
        for (size_t v = 0; v < sizeof vals; v++) {
            memcpy(b, k_tls13_dns_google, sizeof b);
            b[i] = vals[v];
            pk_tls_hello h;
            pk_tls_stats st = {0};
            if (parse_copy(b, sizeof b, &h, &st) != PK_PARSE_OK) continue;
            assert_int_equal(strlen(h.sni), h.sni_len);
            assert_int_equal(strlen(h.ja3), 32);
            assert_int_equal(strlen(h.ja4), 36);
        }
    }
}

typedef struct seen { int n; uint64_t hellos; } seen;

static void counter_cb(void *ctx, const char *name, uint64_t value) {
    seen *s = ctx;
    s->n++;
    assert_memory_equal(name, "tls.", 4);
    if (strcmp(name, "tls.client_hellos") == 0) s->hellos = value;
}

static void test_counters(void **state) {
    (void)state;
    pk_tls_stats st = {0};
    pk_tls_hello h;
    parse_copy(k_small, sizeof k_small, &h, &st);
    seen s = {0, 0};
    pk_tls_counters(&st, counter_cb, &s);
    assert_int_equal(s.n, 8);
    assert_int_equal(s.hellos, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_tls12),
        cmocka_unit_test(test_real_tls13),
        cmocka_unit_test(test_small_hello),
        cmocka_unit_test(test_quic_handshake),
        cmocka_unit_test(test_many_records),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_hostile_lengths),
        cmocka_unit_test(test_huge_handshake),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_interleaved_record),
        cmocka_unit_test(test_sni_bad_bytes),
        cmocka_unit_test(test_caps_flagged),
        cmocka_unit_test(test_fields_not_kept),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
