/* test_dns.c - unit tests of the DNS query parser (proto_dns.c).
 *
 * Why it exists: DNS names are the classic hostile input (compression
 * loops, forward pointers, lengths past the end, absurd counts). These tests
 * pin the parser on real queries from the shared captures (names as
 * tshark's truth files give them), on every truncated prefix, on each kind
 * of hostile name, and on the strict plausibility test used for non-DNS
 * ports. Inputs are parsed from exact-size heap copies so ASan sees any
 * read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_dns.h"

/* dns-udp-a-aaaa-mx.pcap frame 1: query google.com A, with EDNS. */
static const uint8_t k_udp_query[] = {
    /* DNS header: id 0x1a2d, flags 0x0120 (RD, AD), qd 1, an 0, ns 0, ar 1 */
    0x1a, 0x2d, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    /* question: name "google.com" */
    0x06, 'g', 'o', 'o', 'g', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
    /* question: type A, class IN */
    0x00, 0x01, 0x00, 0x01,
    /* additional: OPT (root, type 41, size 4096, ttl 0, rdlength 0) */
    0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* dns-udp-a-aaaa-mx.pcap frame 4: response to google.com AAAA. */
static const uint8_t k_udp_response[] = {
    /* DNS header: id 0x8d70, flags 0x8180 (QR, RD, RA), qd 1, an 1, ns 0, ar 1 */
    0x8d, 0x70, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    /* question: name "google.com", type AAAA, class IN */
    0x06, 'g', 'o', 'o', 'g', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
    0x00, 0x1c, 0x00, 0x01,
    /* answer: name pointer to offset 12, AAAA IN, ttl 299, rdlength 16 */
    0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2b, 0x00, 0x10,
    0x26, 0x07, 0xf8, 0xb0, 0x40, 0x0f, 0x08, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x20, 0x0e,
    /* additional: OPT */
    0x00, 0x00, 0x29, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* dns-tcp-google.pcap frame 4: query www.google.com A over TCP. */
static const uint8_t k_tcp_query[] = {
    /* TCP length prefix: 55 */
    0x00, 0x37,
    /* DNS header: id 0x5f78, flags 0x0120, qd 1, an 0, ns 0, ar 1 */
    0x5f, 0x78, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    /* question: name "www.google.com", type A, class IN */
    0x03, 'w', 'w', 'w', 0x06, 'g', 'o', 'o', 'g', 'l', 'e', 0x03, 'c', 'o',
    'm', 0x00, 0x00, 0x01, 0x00, 0x01,
    /* additional: OPT with a 12-byte cookie option */
    0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
    0x00, 0x0a, 0x00, 0x08, 0x5a, 0x76, 0x07, 0x30, 0xfb, 0x2b, 0x37, 0xd5,
};

/* DNS header of a plain query with qd questions (helper for hostile names). */
#define HDR(qd) 0x12, 0x34, 0x01, 0x00, 0x00, (qd), 0x00, 0x00, 0x00, 0x00, 0x00, 0x00

static pk_parse_result parse_copy(const uint8_t *in, size_t n, bool strict,
                                  pk_dns_query *q, pk_dns_stats *st) {
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    if (n) memcpy(buf, in, n);
    pk_parse_result r = pk_dns_parse(buf, n, strict, q, st);
    free(buf);
    return r;
}

static void test_real_query(void **state) {
    (void)state;
    pk_dns_query q;
    pk_dns_stats st = {0};
    for (int strict = 0; strict < 2; strict++) {
        assert_int_equal(parse_copy(k_udp_query, sizeof k_udp_query, strict, &q, &st),
                         PK_PARSE_OK);
        assert_int_equal(q.id, 0x1a2d);
        assert_false(q.is_response);
        assert_int_equal(q.opcode, 0);
        assert_int_equal(q.qdcount, 1);
        assert_int_equal(q.nquestions, 1);
        assert_string_equal(q.q[0].name, "google.com");
        assert_int_equal(q.q[0].name_len, 10);
        assert_int_equal(q.q[0].qtype, 1);
        assert_int_equal(q.q[0].qclass, 1);
    }
    assert_int_equal(st.queries, 2);
}

static void test_real_response(void **state) {
    (void)state;
    pk_dns_query q;
    pk_dns_stats st = {0};
    assert_int_equal(parse_copy(k_udp_response, sizeof k_udp_response, false, &q, &st),
                     PK_PARSE_OK);
    assert_true(q.is_response);
    assert_string_equal(q.q[0].name, "google.com");
    assert_int_equal(q.q[0].qtype, 28);
    assert_int_equal(st.responses, 1);
    assert_int_equal(parse_copy(k_udp_response, sizeof k_udp_response, true, &q, &st),
                     PK_PARSE_NOT_MINE);
    assert_int_equal(st.not_plausible, 1);
}

static void test_tcp(void **state) {
    (void)state;
    pk_dns_query q;
    pk_dns_stats st = {0};
    assert_int_equal(pk_dns_parse_tcp(k_tcp_query, sizeof k_tcp_query, &q, &st),
                     PK_PARSE_OK);
    assert_string_equal(q.q[0].name, "www.google.com");
    for (size_t n = 0; n < sizeof k_tcp_query; n++) {
        uint8_t *b = malloc(n ? n : 1);
        if (n) memcpy(b, k_tcp_query, n);
        assert_int_equal(pk_dns_parse_tcp(b, n, &q, &st), PK_PARSE_NEED_MORE);
        free(b);
    }
    static const uint8_t tiny[] = {0x00, 0x05, 1, 2, 3, 4, 5};  /* < header */
    assert_int_equal(pk_dns_parse_tcp(tiny, sizeof tiny, &q, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_short, 1);
}

/* A datagram cut anywhere is malformed, never OK, never read past. */
static void test_every_prefix(void **state) {
    (void)state;
    const struct { const uint8_t *p; size_t n; } fx[] = {
        {k_udp_query, sizeof k_udp_query},
        {k_udp_response, sizeof k_udp_response},
        {k_tcp_query + 2, sizeof k_tcp_query - 2},
    };
    for (size_t f = 0; f < sizeof fx / sizeof fx[0]; f++) {
        for (size_t n = 0; n < fx[f].n; n++) {
            pk_dns_query q;
            pk_dns_stats st = {0};
            pk_parse_result r = parse_copy(fx[f].p, n, false, &q, &st);
            assert_int_equal(r, PK_PARSE_MALFORMED);
            r = parse_copy(fx[f].p, n, true, &q, &st);
            assert_int_equal(r, PK_PARSE_NOT_MINE);
        }
    }
}

/* Parses a hostile message; expects MALFORMED counted in *field. */
#define EXPECT_MALFORMED(msg, field)                                          \
    do {                                                                      \
        pk_dns_query q_;                                                      \
        pk_dns_stats st_ = {0};                                               \
        assert_int_equal(parse_copy(msg, sizeof msg, false, &q_, &st_),       \
                         PK_PARSE_MALFORMED);                                 \
        assert_int_equal(st_.field, 1);                                       \
        assert_int_equal(st_.queries + st_.responses, 0);                     \
        assert_int_equal(parse_copy(msg, sizeof msg, true, &q_, &st_),        \
                         PK_PARSE_NOT_MINE);                                  \
    } while (0)

static void test_compression_attacks(void **state) {
    (void)state;
    /* header; question: name = pointer to itself (offset 12) */
    static const uint8_t self_ptr[] = {HDR(1), 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(self_ptr, malformed_compression_loop);
    /* header; question: name = label "a", then pointer back to its start */
    static const uint8_t label_loop[] = {HDR(1), 0x01, 'a', 0xc0, 0x0c,
                                         0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(label_loop, malformed_compression_loop);
    /* header; q1 at 12: "a" + pointer to q2 (offset 20, forward); q2 at
     * 20: pointer back to q1's pointer: the loop is refused at its forward
     * half */
    static const uint8_t two_ptr_loop[] = {HDR(2),
        0x01, 'a', 0xc0, 0x14, 0x00, 0x01, 0x00, 0x01,
        0xc0, 0x0e, 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(two_ptr_loop, malformed_pointer);
    /* header; question: pointer forward (to offset 18) */
    static const uint8_t fwd_ptr[] = {HDR(1), 0xc0, 0x12, 0x00, 0x01, 0x00, 0x01,
                                      0x01, 'a', 0x00};
    EXPECT_MALFORMED(fwd_ptr, malformed_pointer);
    /* header; question: pointer into the header (offset 2) */
    static const uint8_t hdr_ptr[] = {HDR(1), 0xc0, 0x02, 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(hdr_ptr, malformed_pointer);
    /* header; question: pointer beyond the message (offset 0x3fff) */
    static const uint8_t far_ptr[] = {HDR(1), 0xff, 0xff, 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(far_ptr, malformed_pointer);
}

/* 40 questions, each a pointer to the previous one's name: legal
 * backward pointers, but past 32 jumps the chain is refused. */
static void test_pointer_chain(void **state) {
    (void)state;
    uint8_t b[12 + 5 + 39 * 6];
    static const uint8_t hdr[] = {HDR(40)};
    memcpy(b, hdr, sizeof hdr);
    size_t o = 12, prev = 12;
    b[o++] = 0x00; b[o++] = 0; b[o++] = 1; b[o++] = 0; b[o++] = 1;  /* root */
    for (int i = 1; i < 40; i++) {
        size_t at = o;
        b[o++] = (uint8_t)(0xc0 | (prev >> 8)); b[o++] = (uint8_t)prev;
        b[o++] = 0; b[o++] = 1; b[o++] = 0; b[o++] = 1;
        prev = at;
    }
    pk_dns_query q;
    pk_dns_stats st = {0};
    assert_int_equal(parse_copy(b, o, false, &q, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_compression_loop, 1);
    b[5] = 30;                                   /* 30 questions: 29 jumps */
    assert_int_equal(parse_copy(b, 12 + 5 + 29 * 6, false, &q, &st), PK_PARSE_OK);
    assert_int_equal(st.questions_not_kept, 26);
}

static void test_label_attacks(void **state) {
    (void)state;
    /* header; question: label length 20 past the end of the message */
    static const uint8_t past_end[] = {HDR(1), 0x14, 'a', 'b', 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(past_end, malformed_short);
    /* header; question: reserved label type 0x40 */
    static const uint8_t ext_label[] = {HDR(1), 0x41, 'a', 0x00, 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(ext_label, malformed_label);
    /* header; question count 65535 with one question's worth of bytes */
    static const uint8_t many[] = {0x12, 0x34, 0x01, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0,
                                   0x00, 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(many, malformed_counts);
    /* header: an 0x4000 records in a 17-byte message */
    static const uint8_t many_an[] = {0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x40, 0x00,
                                      0, 0, 0, 0, 0x00, 0x00, 0x01, 0x00, 0x01};
    EXPECT_MALFORMED(many_an, malformed_counts);
}

/* Name of n labels of 63 'x' (wire 64 * n + 1). */
static size_t long_name(uint8_t *b, int labels, uint8_t fill_byte) {
    static const uint8_t hdr[] = {HDR(1)};
    size_t o = sizeof hdr;
    memcpy(b, hdr, o);
    for (int i = 0; i < labels; i++) {
        b[o++] = 63;
        memset(b + o, fill_byte, 63);
        o += 63;
    }
    b[o++] = 0;
    b[o++] = 0; b[o++] = 1; b[o++] = 0; b[o++] = 1;
    return o;
}

static void test_name_lengths(void **state) {
    (void)state;
    uint8_t b[600];
    pk_dns_query q;
    pk_dns_stats st = {0};
    /* 3 x 63 + 61: 253 characters, the longest legal name */
    size_t n = long_name(b, 4, 'x');
    b[12 + 3 * 64] = 61;
    memmove(b + 12 + 3 * 64 + 1 + 61, b + 12 + 4 * 64, 5);
    n -= 2;
    assert_int_equal(parse_copy(b, n, false, &q, &st), PK_PARSE_OK);
    assert_int_equal(q.q[0].name_len, 253);
    assert_int_equal(strlen(q.q[0].name), 253);
    /* 4 x 63: wire 257 > 255 */
    n = long_name(b, 4, 'x');
    assert_int_equal(parse_copy(b, n, false, &q, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_name_too_long, 1);
    /* 2 x 63 dots: legal on the wire, 2 x 252 + 1 characters escaped */
    n = long_name(b, 2, '.');
    assert_int_equal(parse_copy(b, n, false, &q, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.malformed_name_too_long, 2);
}

static void test_root_and_escapes(void **state) {
    (void)state;
    pk_dns_query q;
    pk_dns_stats st = {0};
    /* header; question: root name (zero-length label), type NS, class IN */
    static const uint8_t root[] = {HDR(1), 0x00, 0x00, 0x02, 0x00, 0x01};
    assert_int_equal(parse_copy(root, sizeof root, false, &q, &st), PK_PARSE_OK);
    assert_string_equal(q.q[0].name, "");
    assert_int_equal(q.q[0].name_len, 0);
    /* header; question: "A.b" label with a dot, then "CoM" */
    static const uint8_t esc[] = {HDR(1), 0x03, 'A', '.', 'b', 0x03, 'C', 'o', 'M',
                                  0x00, 0x00, 0x01, 0x00, 0x01};
    assert_int_equal(parse_copy(esc, sizeof esc, false, &q, &st), PK_PARSE_OK);
    assert_string_equal(q.q[0].name, "a\\046b.com");
    /* header; question: "a\0b" (NUL inside a label) */
    static const uint8_t nul[] = {HDR(1), 0x03, 'a', 0x00, 'b', 0x00,
                                  0x00, 0x01, 0x00, 0x01};
    assert_int_equal(parse_copy(nul, sizeof nul, false, &q, &st), PK_PARSE_OK);
    assert_string_equal(q.q[0].name, "a\\000b");
}

/* Names are first copied label by label and decoded again byte by byte
 * when a label needs an escape: a plain label then an escaped one, an
 * escape reached through a pointer, upper case, and the 253-character
 * limit with and without escapes. */
static void test_plain_then_escaped(void **state) {
    (void)state;
    pk_dns_query q;
    pk_dns_stats st = {0};
    static const uint8_t mixed[] = {HDR(1), 0x03, 'W', 'w', 'W', 0x04, 'a', 0x7f, 'B', '\\',
                                    0x02, 'C', 'o', 0x00, 0x00, 0x01, 0x00, 0x01};
    assert_int_equal(parse_copy(mixed, sizeof mixed, false, &q, &st), PK_PARSE_OK);
    assert_string_equal(q.q[0].name, "www.a\\127b\\092.co");
    assert_int_equal(q.q[0].name_len, strlen("www.a\\127b\\092.co"));
    static const uint8_t ptr[] = {HDR(2),
        /* q1 at 12: "x y.Org" */
        0x03, 'x', ' ', 'y', 0x03, 'O', 'r', 'g', 0x00, 0x00, 0x01, 0x00, 0x01,
        /* q2: "Abc" + pointer to q1 */
        0x03, 'A', 'b', 'c', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01};
    assert_int_equal(parse_copy(ptr, sizeof ptr, false, &q, &st), PK_PARSE_OK);
    assert_string_equal(q.q[0].name, "x\\032y.org");
    assert_string_equal(q.q[1].name, "abc.x\\032y.org");
    /* 63, 63, 63, last: 253 characters with last = 61; an escape ('.')
     * adds 3, in the first label or the last */
    static const struct { int last; size_t at; pk_parse_result r; size_t len; } cases[] = {
        {61, 0, PK_PARSE_OK, 253}, {61, 1 + 60 + 3 * 64, PK_PARSE_MALFORMED, 0},
        {58, 1 + 57 + 3 * 64, PK_PARSE_OK, 253}, {58, 1, PK_PARSE_OK, 253},
        {59, 1, PK_PARSE_MALFORMED, 0}, {59, 0, PK_PARSE_OK, 251},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[600];
        size_t n = long_name(b, 4, 'X');
        b[12 + 3 * 64] = (uint8_t)cases[i].last;
        memmove(b + 12 + 3 * 64 + 1 + cases[i].last, b + 12 + 4 * 64, 5);
        n -= (size_t)(63 - cases[i].last);
        if (cases[i].at) b[12 + cases[i].at] = '.';
        pk_dns_stats st2 = {0};
        assert_int_equal(parse_copy(b, n, false, &q, &st2), cases[i].r);
        if (cases[i].r == PK_PARSE_OK) {
            assert_int_equal(q.q[0].name_len, cases[i].len);
            assert_int_equal(strlen(q.q[0].name), cases[i].len);
            assert_int_equal(q.q[0].name[0], cases[i].at == 1 ? '\\' : 'x');
        } else {
            assert_int_equal(st2.malformed_name_too_long, 1);
        }
    }
}

/* Six questions: four kept, two counted; valid backward pointers. */
static void test_many_questions(void **state) {
    (void)state;
    static const uint8_t six[] = {HDR(6),
        /* q1 at 12: "ex.com" */
        0x02, 'e', 'x', 0x03, 'c', 'o', 'm', 0x00, 0x00, 0x01, 0x00, 0x01,
        /* q2 at 24: "a" + pointer to q1 */
        0x01, 'a', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01,
        /* q3 at 32: "b" + pointer to q2 (which points to q1) */
        0x01, 'b', 0xc0, 0x18, 0x00, 0x01, 0x00, 0x01,
        /* q4..q6: pointer to "com" inside q1 */
        0xc0, 0x0f, 0x00, 0x01, 0x00, 0x01,
        0xc0, 0x0f, 0x00, 0x01, 0x00, 0x01,
        0xc0, 0x0f, 0x00, 0x01, 0x00, 0x01};
    pk_dns_query q;
    pk_dns_stats st = {0};
    assert_int_equal(parse_copy(six, sizeof six, false, &q, &st), PK_PARSE_OK);
    assert_int_equal(q.qdcount, 6);
    assert_int_equal(q.nquestions, PK_DNS_MAX_QUESTIONS);
    assert_string_equal(q.q[0].name, "ex.com");
    assert_string_equal(q.q[1].name, "a.ex.com");
    assert_string_equal(q.q[2].name, "b.a.ex.com");
    assert_string_equal(q.q[3].name, "com");
    assert_int_equal(st.questions_not_kept, 2);
    assert_int_equal(parse_copy(six, sizeof six, true, &q, &st), PK_PARSE_NOT_MINE);
}

static void test_strict(void **state) {
    (void)state;
    pk_dns_query q;
    pk_dns_stats st = {0};
    uint8_t b[sizeof k_udp_query];
    /* opcode 2 (status), class 0x1234, trailing bytes with ar 0, qd 0 */
    static const struct { size_t off; uint8_t v; } edits[] = {
        {2, 0x11}, {27, 0x12}, {11, 0x00}, {5, 0x00}, {3, 0x60}};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(b, k_udp_query, sizeof b);
        b[edits[i].off] = edits[i].v;
        assert_int_equal(parse_copy(b, sizeof b, true, &q, &st), PK_PARSE_NOT_MINE);
    }
    assert_int_equal(st.not_plausible, 5);
    static const uint8_t junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00\x00";
    assert_int_equal(parse_copy(junk, sizeof junk, true, &q, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(st.malformed_short + st.malformed_counts + st.malformed_label, 0);
    /* non-strict: a class nobody uses still parses */
    memcpy(b, k_udp_query, sizeof b);
    b[27] = 0x12;
    assert_int_equal(parse_copy(b, sizeof b, false, &q, &st), PK_PARSE_OK);
}

/* Every byte replaced by a few values: no overread, names well formed. */
static void test_mutations(void **state) {
    (void)state;
    static const uint8_t vals[] = {0x00, 0x01, 0x3f, 0x40, 0xc0, 0xff};
    uint8_t b[sizeof k_udp_response];
    for (size_t i = 0; i < sizeof b; i++) {
        for (size_t v = 0; v < sizeof vals; v++) {
            memcpy(b, k_udp_response, sizeof b);
            b[i] = vals[v];
            pk_dns_query q;
            pk_dns_stats st = {0};
            if (parse_copy(b, sizeof b, false, &q, &st) != PK_PARSE_OK) continue;
            for (int k = 0; k < q.nquestions; k++)
                assert_int_equal(strlen(q.q[k].name), q.q[k].name_len);
        }
    }
}

typedef struct seen { int n; uint64_t loops; } seen;

static void counter_cb(void *ctx, const char *name, uint64_t value) {
    seen *s = ctx;
    s->n++;
    assert_memory_equal(name, "dns.", 4);
    if (strcmp(name, "dns.malformed.compression_loop") == 0) s->loops = value;
}

static void test_counters(void **state) {
    (void)state;
    pk_dns_stats st = {0};
    st.malformed_compression_loop = 3;
    seen s = {0, 0};
    pk_dns_counters(&st, counter_cb, &s);
    assert_int_equal(s.n, 10);
    assert_int_equal(s.loops, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_query),
        cmocka_unit_test(test_real_response),
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_compression_attacks),
        cmocka_unit_test(test_pointer_chain),
        cmocka_unit_test(test_label_attacks),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_root_and_escapes),
        cmocka_unit_test(test_plain_then_escaped),
        cmocka_unit_test(test_many_questions),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
