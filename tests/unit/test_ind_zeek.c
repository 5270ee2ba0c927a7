/* test_ind_zeek.c - Zeek intel files: types, meta columns, malformed rows.
 *
 * Why it exists: partners' Zeek intel files carry their own meta columns;
 * these tests pin down which Intel:: types load, how meta.* columns map to
 * indicator fields (the rest kept as JSON), and that every bad row is
 * reported with its line while the rest of the file still loads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define IND_TEST_NAME "feeds/jp.dat"
#include "ind_test_util.h"

#define HDR "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\t" \
            "meta.cif_confidence\tmeta.tlp\tmeta.partner\tmeta.share_with\t" \
            "meta.expires\tmeta.do_notice\tmeta.url\n"

static void test_valid_file(void **state) {
    (void)state;
    loaded *x = load("#separator \\x09\n"
                     "#path\tintel\n" HDR
                     "198.51.100.77\tIntel::ADDR\tjp-feed\tC2 server\t85\tamber\tJP\tUK, US,\t-\tT\thttps://intel.example/r/1\n"
                     "2001:DB8::99\tIntel::ADDR\tjp-feed\t-\t-\tTLP:GREEN\t-\t-\t-\t-\t-\n"
                     "203.0.113.70/26\tIntel::SUBNET\tjp-feed\trange\t60.5\tclear\tJP\t-\t2099-12-31T00:00:00Z\tF\t-\n"
                     "Update.Bad.Test.\tintel::domain\tjp-feed\t-\t90\tamber+strict\tJP\t(empty)\t-\tT\t-\n"
                     "CDN.evil.example:443/ka/loader.js\tIntel::URL\t-\t-\t75\tred\tJP\t-\t4102444800\t-\t-\n");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.format, PK_FMT_ZEEK);
    assert_int_equal(x->rep.loaded, 5);
    assert_int_equal(x->rep.skipped, 0);

    const pk_indicator *a = find(x, "198.51.100.77");
    assert_non_null(a);
    assert_int_equal(a->type, PK_IND_IPV4);
    assert_string_equal(a->source, "jp-feed");
    assert_string_equal(a->description, "C2 server");
    assert_int_equal(a->confidence, 85);
    assert_int_equal(a->tlp, PK_TLP_AMBER);
    assert_string_equal(a->partner, "JP");
    assert_string_equal(a->share_with, "UK,US");
    assert_int_equal(a->expires, 0);
    assert_string_equal(a->extra, "{\"do_notice\":\"T\",\"url\":\"https://intel.example/r/1\"}");

    const pk_indicator *b = find(x, "2001:db8::99");
    assert_non_null(b);
    assert_int_equal(b->type, PK_IND_IPV6);
    assert_int_equal(b->tlp, PK_TLP_GREEN);
    assert_null(b->description);
    assert_null(b->partner);
    assert_null(b->extra);
    assert_int_equal(b->confidence, PK_CONFIDENCE_UNSET);

    const pk_indicator *c = find(x, "203.0.113.64/26");
    assert_non_null(c);
    assert_int_equal(c->type, PK_IND_CIDR);
    assert_int_equal(c->confidence, 61);
    assert_int_equal(c->tlp, PK_TLP_CLEAR);
    assert_int_equal(c->expires, 4102358400);

    const pk_indicator *d = find(x, "update.bad.test");
    assert_non_null(d);
    assert_int_equal(d->type, PK_IND_DOMAIN);
    assert_int_equal(d->tlp, PK_TLP_AMBER_STRICT);
    assert_null(d->share_with);

    const pk_indicator *e = find(x, "cdn.evil.example/ka/loader.js");
    assert_non_null(e);
    assert_int_equal(e->type, PK_IND_URL);
    assert_string_equal(e->source, "jp.dat");
    assert_int_equal(e->expires, 4102444800);
    done(x);
}

static void test_unsupported_types(void **state) {
    (void)state;
    loaded *x = load("#fields\tindicator\tindicator_type\tmeta.source\n"
                     "EvilAgent/2.1\tIntel::SOFTWARE\tf\n"
                     "a@b.example\tIntel::EMAIL\tf\n"
                     "e3b0c44298fc1c149afbf4c8996fb924\tIntel::FILE_HASH\tf\n"
                     "00aa\tIntel::CERT_HASH\tf\n"
                     "192.0.2.1\tIntel::ADDR\tf\n"
                     "x\tIntel::BOGUS\tf\n");
    assert_int_equal(x->rep.loaded, 1);
    assert_int_equal(x->rep.skipped, 5);
    assert_int_equal(x->rep.unsupported, 4);
    expect_issues(x, {2, "unsupported indicator type Intel::SOFTWARE"}, {3, "Intel::EMAIL"},
                  {4, "Intel::FILE_HASH"}, {5, "Intel::CERT_HASH"},
                  {7, "unknown indicator type 'Intel::BOGUS'"});
    done(x);
}

static void test_malformed_rows(void **state) {
    (void)state;
    loaded *x = load(HDR
                     "192.0.2.1\tIntel::ADDR\tf\td\t50\tgreen\tP\t-\t-\t-\t-\n"
                     "192.0.2.2\tIntel::ADDR\tf\n"
                     "-\tIntel::ADDR\tf\td\t50\tgreen\tP\t-\t-\t-\t-\n"
                     "192.0.2.400\tIntel::ADDR\tf\td\t50\tgreen\tP\t-\t-\t-\t-\n"
                     "192.0.2.5\tIntel::ADDR\tf\td\t150\tgreen\tP\t-\t-\t-\t-\n"
                     "192.0.2.6\tIntel::ADDR\tf\td\t50\tpurple\tP\t-\t-\t-\t-\n"
                     "192.0.2.7\tIntel::ADDR\tf\td\t50\tgreen\tP\t-\tsoon\t-\t-\n"
                     "bad..name\tIntel::DOMAIN\tf\td\t50\tgreen\tP\t-\t-\t-\t-\n"
                     "192.0.2.9\tIntel::ADDR\tf\td\t50\tgreen\tP\t-\t-\t-\t-\textra\n"
                     "192.0.2.10\tIntel::ADDR\tf\td\t50\tgreen\tP\t-\t2001-01-01\t-\t-\n"
                     "192.0.2.11\tIntel::ADDR\tf\td\t50\tgreen\tP\t-\t-\t-\t-\n");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 2);
    assert_int_equal(x->rep.expired, 1);
    assert_int_equal(x->rep.skipped, 8);
    expect_issues(x, {3, "expected 11 columns, found 3"}, {4, "empty indicator"},
                  {5, "invalid IP address"}, {6, "meta.cif_confidence"}, {7, "meta.tlp"},
                  {8, "meta.expires"}, {9, "invalid domain name"},
                  {10, "expected 11 columns, found 12"});
    assert_non_null(find(x, "192.0.2.11"));
    done(x);
}

static void test_scope_and_confidence_columns(void **state) {
    (void)state;
    loaded *x = load("#fields\tindicator\tindicator_type\tmeta.confidence\tmeta.port\tmeta.proto\n"
                     "192.0.2.1\tIntel::ADDR\t40\t8443\ttcp\n"
                     "192.0.2.2\tIntel::ADDR\t-\t53\t17\n"
                     "192.0.2.3\tIntel::ADDR\t-\t70000\t-\n"
                     "192.0.2.4\tIntel::ADDR\t-\t-\tbogus\n");
    assert_int_equal(x->rep.loaded, 2);
    const pk_indicator *a = find(x, "192.0.2.1");
    assert_int_equal(a->port, 8443);
    assert_int_equal(a->proto, 6);
    assert_int_equal(a->confidence, 40);
    assert_int_equal(find(x, "192.0.2.2")->proto, 17);
    expect_issues(x, {4, "meta.port"}, {5, "meta.proto"});
    done(x);
}

static void test_header_problems(void **state) {
    (void)state;
    loaded *x = load("#fields\tvalue\ttype\n192.0.2.1\tIntel::ADDR\n");
    assert_int_equal(x->rc, -1);
    assert_non_null(strstr(x->rep.error, "feeds/jp.dat"));
    assert_non_null(strstr(x->rep.error, "indicator"));
    done(x);
    x = load("#fields indicator indicator_type\n192.0.2.1 Intel::ADDR\n");
    assert_int_equal(x->rc, -1);
    assert_non_null(strstr(x->rep.error, "TAB"));
    done(x);
}

static void test_other_separator(void **state) {
    (void)state;
    loaded *x = load("#separator \\x2c\n"
                     "#fields,indicator,indicator_type,meta.source\n"
                     "192.0.2.1,Intel::ADDR,csv-feed\n");
    assert_int_equal(x->rep.format, PK_FMT_ZEEK);
    assert_int_equal(x->rep.loaded, 1);
    assert_string_equal(find(x, "192.0.2.1")->source, "csv-feed");
    done(x);
}

static void test_hostile_rows(void **state) {
    (void)state;
    size_t big = 10000;
    char *text = malloc(big + 512);
    size_t n = (size_t)sprintf(text, "#fields\tindicator\tindicator_type\tmeta.desc\n");
    n += (size_t)sprintf(text + n, "192.0.2.1\tIntel::ADDR\t");
    memset(text + n, 'd', big);
    n += big;
    text[n++] = '\n';
    memcpy(text + n, "192.0.2.2\tIntel::ADDR\tx\0y\n", 26);
    n += 26;
    n += (size_t)sprintf(text + n, "192.0.2.3\tIntel::ADDR\t\xC0\xAF\n");
    n += (size_t)sprintf(text + n, "192.0.2.4\tIntel::ADDR\t\t\t\t\t\t\t\t\t\n");
    n += (size_t)sprintf(text + n, "192.0.2.5\tIntel::ADDR\tok\r\n");
    loaded *x = load_n(text, n);
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 1);
    expect_issues(x, {2, "longer than"}, {3, "NUL"}, {4, "UTF-8"}, {5, "expected 3 columns"});
    assert_string_equal(find(x, "192.0.2.5")->description, "ok");
    done(x);
    free(text);
}

static void test_many_columns(void **state) {
    (void)state;
    char text[2048];
    size_t n = (size_t)sprintf(text, "#fields\tindicator\tindicator_type");
    for (int i = 0; i < 70; i++)
        n += (size_t)sprintf(text + n, "\tmeta.c%d", i);
    sprintf(text + n, "\n192.0.2.1\tIntel::ADDR\n");
    loaded *x = load(text);
    assert_int_equal(x->rc, -1);
    assert_non_null(strstr(x->rep.error, "columns"));
    done(x);
}

static void test_sample_file(void **state) {
    (void)state;
    expect_sample_file("partner-jp.intel",
                       (ind_counts){.format = PK_FMT_ZEEK, .loaded = 5, .skipped = 2,
                                    .unsupported = 2, .expired = 1});
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_file),
        cmocka_unit_test(test_unsupported_types),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_scope_and_confidence_columns),
        cmocka_unit_test(test_header_problems),
        cmocka_unit_test(test_other_separator),
        cmocka_unit_test(test_hostile_rows),
        cmocka_unit_test(test_many_columns),
        cmocka_unit_test(test_sample_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
