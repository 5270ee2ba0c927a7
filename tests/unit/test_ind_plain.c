/* test_ind_plain.c - plain indicator lists: inference, prefixes, comments,
 * line handling and hostile input.
 *
 * Why it exists: the plain list is the format with the most guessing (the
 * type of each value is inferred), so every rule of the guess and every
 * malformed line is pinned down here with its line number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define IND_TEST_NAME "lists/t.txt"
#include "ind_test_util.h"

static void test_inference(void **state) {
    (void)state;
    loaded *x = load("192.0.2.1\n"
                     "2001:DB8::0:1\n"
                     "198.51.100.7/24\n"
                     "2001:db8:1::/48\n"
                     "Evil.Example.\n"
                     "http://Evil.Example:80/a?b=1\n"
                     "evil.example/path\n"
                     "203.0.113.9/32\n");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.format, PK_FMT_PLAIN);
    assert_int_equal(x->rep.loaded, 8);
    assert_int_equal(x->rep.skipped, 0);
    expect_types(x, {"192.0.2.1", PK_IND_IPV4}, {"2001:db8::1", PK_IND_IPV6},
                 {"198.51.100.0/24", PK_IND_CIDR}, {"2001:db8:1::/48", PK_IND_CIDR},
                 {"evil.example", PK_IND_DOMAIN}, {"evil.example/a?b=1", PK_IND_URL},
                 {"evil.example/path", PK_IND_URL}, {"203.0.113.9", PK_IND_IPV4});
    const pk_indicator *c = find(x, "198.51.100.0/24");
    assert_int_equal(c->family, 4);
    assert_int_equal(c->prefix_len, 24);
    assert_int_equal(c->addr[3], 0);
    assert_string_equal(c->source, "t.txt");
    assert_int_equal(c->confidence, PK_CONFIDENCE_UNSET);
    assert_int_equal(x->rep.by_type[PK_IND_CIDR], 2);
    done(x);
}

static void test_prefixes(void **state) {
    (void)state;
    loaded *x = load("ip:192.0.2.2\n"
                     "cidr:192.0.2.0/28\n"
                     "domain:a.example\n"
                     "sni:b.example\n"
                     "http_host:c.example\n"
                     "url:d.example/x\n"
                     "ja3:ADA70206E40642A3E4461F35503241D5\n"
                     "ja4:t13d1516h2_8daaf6152771_e5627efa2ab1\n"
                     "JA3: ada70206e40642a3e4461f35503241d6\n"
                     "ipv6:2001:db8::5\n");
    assert_int_equal(x->rep.loaded, 10);
    expect_types(x, {"192.0.2.2", PK_IND_IPV4}, {"192.0.2.0/28", PK_IND_CIDR},
                 {"a.example", PK_IND_DOMAIN}, {"b.example", PK_IND_SNI},
                 {"c.example", PK_IND_HTTP_HOST}, {"d.example/x", PK_IND_URL},
                 {"ada70206e40642a3e4461f35503241d5", PK_IND_JA3},
                 {"ada70206e40642a3e4461f35503241d6", PK_IND_JA3},
                 {"t13d1516h2_8daaf6152771_e5627efa2ab1", PK_IND_JA4},
                 {"2001:db8::5", PK_IND_IPV6});
    done(x);
}

static void test_fingerprints_need_prefix(void **state) {
    (void)state;
    loaded *x = load("ada70206e40642a3e4461f35503241d5\n"
                     "t13d1516h2_8daaf6152771_e5627efa2ab1\n"
                     "ja3:ada70206e40642a3e4461f35503241d\n"
                     "ja3:zda70206e40642a3e4461f35503241d5\n"
                     "ja4:x13d1516h2_8daaf6152771_e5627efa2ab1\n"
                     "ja4:t13d1516h2-8daaf6152771_e5627efa2ab1\n"
                     "ja4:t13d1516h2_8daaf615277g_e5627efa2ab1\n"
                     "md5:ada70206e40642a3e4461f35503241d5\n"
                     "ja3:\n");
    assert_int_equal(x->rep.loaded, 0);
    assert_int_equal(x->rep.skipped, 9);
    expect_issues(x, {1, "ja3: prefix"}, {2, "ja4: prefix"}, {3, "JA3 must be 32 hex"},
                  {4, "JA3"}, {5, "JA4"}, {6, "JA4"}, {7, "JA4"},
                  {8, "unknown type prefix: 'md5:'"}, {9, "empty value"});
    done(x);
}

static void test_comments_and_line_endings(void **state) {
    (void)state;
    const char text[] = "\xEF\xBB\xBF# header comment\r\n"
                        "\r\n"
                        "192.0.2.10 # trailing comment\r\n"
                        "   \t\r\n"
                        "  bad.example\t# tab then comment\r\n"
                        "   # indented comment\n"
                        "url:evil.example/a#frag\n"
                        "198.51.100.1";
    loaded *x = load(text);
    assert_int_equal(x->rep.loaded, 4);
    assert_int_equal(x->rep.skipped, 0);
    assert_non_null(find(x, "192.0.2.10"));
    assert_non_null(find(x, "bad.example"));
    assert_non_null(find(x, "evil.example/a"));
    assert_non_null(find(x, "198.51.100.1"));
    done(x);
}

static void test_malformed_lines(void **state) {
    (void)state;
    loaded *x = load("192.0.2.1\n"
                     "192.0.2.300\n"
                     "192.0.2.0/33\n"
                     "justaword\n"
                     "two values.example here.example\n"
                     "bad_label-.ex ample\n"
                     "-\n"
                     "a..b.example\n"
                     "x.example\n"
                     "2001:db8::zz\n"
                     "2001:db8::/129\n"
                     "domain:localhost\n"
                     "url:http://\n"
                     "192.0.2.2\n");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 3);
    assert_int_equal(x->rep.skipped, 11);
    assert_int_equal(x->rep.issues_total, 11);
    expect_issues(x, {2, "invalid IP address: '192.0.2.300'"}, {3, "invalid prefix length"},
                  {4, "not an address, CIDR, domain or URL"}, {5, "more than one value"},
                  {6, "more than one value"}, {7, "not an address"}, {8, "invalid domain name"},
                  {10, "invalid IP address"}, {11, "invalid prefix length"},
                  {12, "single-label"}, {13, "URL"});
    done(x);
}

static void test_hostile_lines(void **state) {
    (void)state;
    size_t big = 10000;
    char *text = malloc(big + 200);
    assert_non_null(text);
    size_t n = 0;
    n += (size_t)sprintf(text + n, "192.0.2.1\n");
    memset(text + n, 'a', big);
    n += big;
    n += (size_t)sprintf(text + n, ".example\n");
    memcpy(text + n, "nul\0.example\n", 13);
    n += 13;
    n += (size_t)sprintf(text + n, "caf\xC3\xA9.example\n");
    n += (size_t)sprintf(text + n, "bad\xFF\xFE.example\n");
    n += (size_t)sprintf(text + n, "192.0.2.3\n");
    loaded *x = load_n(text, n);
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 2);
    expect_issues(x, {2, "longer than 8192"}, {3, "NUL byte"}, {4, "invalid domain name"},
                  {5, "invalid UTF-8"});
    for (uint32_t i = 0; i < x->rep.nissues; i++)
        for (const char *c = x->rep.issues[i].reason; *c; c++)
            assert_true(*c >= 0x20 && *c < 0x7f);
    done(x);
    free(text);
}

static void test_issue_cap(void **state) {
    (void)state;
    char *text = malloc(200 * 16);
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(text + n, "bogus%d\n", i);
    loaded *x = load_n(text, n);
    assert_int_equal(x->rep.skipped, 200);
    assert_int_equal(x->rep.issues_total, 200);
    assert_int_equal(x->rep.nissues, PK_LOAD_MAX_ISSUES);
    assert_int_equal(x->rep.issues[49].line, 50);
    done(x);
    free(text);
}

static void test_empty_and_comment_only(void **state) {
    (void)state;
    loaded *x = load("");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 0);
    done(x);
    x = load("# nothing here\n\n   \n");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.format, PK_FMT_PLAIN);
    assert_int_equal(x->rep.loaded, 0);
    assert_int_equal(x->rep.skipped, 0);
    done(x);
}

static void test_sample_file(void **state) {
    (void)state;
    expect_sample_file("blocklist.txt", (ind_counts){.format = PK_FMT_PLAIN, .loaded = 13});
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inference),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_fingerprints_need_prefix),
        cmocka_unit_test(test_comments_and_line_endings),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_hostile_lines),
        cmocka_unit_test(test_issue_cap),
        cmocka_unit_test(test_empty_and_comment_only),
        cmocka_unit_test(test_sample_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
