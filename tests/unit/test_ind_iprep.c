/* test_ind_iprep.c - Suricata iprep CSV: records, score scaling, errors.
 *
 * Why it exists: an iprep file looks like any CSV, so the tests check it is
 * recognised by content, that the score maps onto confidence the same way
 * every time, and that malformed records are reported by line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define IND_TEST_NAME "rep/list.dat"
#include "ind_test_util.h"

static void test_valid(void **state) {
    (void)state;
    loaded *x = load("# reputation\r\n"
                     "198.51.100.90,1,127\r\n"
                     " 203.0.113.5/24 , 2 , 64 \r\n"
                     "2001:db8:dead::/48,BadHosts,1\r\n"
                     "2001:db8::1,3,100\r\n"
                     "192.0.2.1/32,4,50\r\n");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.format, PK_FMT_IPREP);
    assert_int_equal(x->rep.loaded, 5);
    const pk_indicator *a = find(x, "198.51.100.90");
    assert_non_null(a);
    assert_int_equal(a->confidence, 100);
    assert_string_equal(a->extra, "{\"category\":\"1\",\"score\":127}");
    assert_string_equal(a->description, "iprep category 1");
    assert_string_equal(a->source, "list.dat");
    const pk_indicator *b = find(x, "203.0.113.0/24");
    assert_non_null(b);
    assert_int_equal(b->type, PK_IND_CIDR);
    assert_int_equal(b->confidence, 50);
    assert_int_equal(find(x, "2001:db8:dead::/48")->confidence, 1);
    assert_int_equal(find(x, "2001:db8::1")->type, PK_IND_IPV6);
    assert_int_equal(find(x, "192.0.2.1")->type, PK_IND_IPV4);
    done(x);
}

static void test_malformed(void **state) {
    (void)state;
    loaded *x = load("192.0.2.1,1,10\n"
                     "192.0.2.2,1\n"
                     "192.0.2.3,1,10,4\n"
                     "192.0.2.4,1,0\n"
                     "192.0.2.5,1,128\n"
                     "192.0.2.6,1,-3\n"
                     "192.0.2.7,,5\n"
                     "192.0.2.8,a\"b,5\n"
                     "evil.example,1,5\n"
                     "192.0.2.10,1,99999999999999\n"
                     "192.0.2.11,1,\xFF\n"
                     "192.0.2.12,1,12\n");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 2);
    assert_int_equal(x->rep.skipped, 10);
    expect_issues(x, {2, "expected ip,category,score"}, {3, "expected ip,category,score"},
                  {4, "score must be 1-127"}, {5, "score"}, {6, "score"},
                  {7, "invalid category"}, {8, "invalid category"},
                  {9, "invalid IP address: 'evil.example'"}, {10, "score"}, {11, "UTF-8"});
    done(x);
}

static void test_detection(void **state) {
    (void)state;
    assert_int_equal(pk_ind_detect_format("# c\n\n192.0.2.1,1,20\n", 18), PK_FMT_IPREP);
    assert_int_equal(pk_ind_detect_format("192.0.2.1\n192.0.2.2,1,3\n", 24), PK_FMT_PLAIN);
    assert_int_equal(pk_ind_detect_format("192.0.2.1,x,y\n", 14), PK_FMT_PLAIN);
    loaded *x = load("192.0.2.1\n192.0.2.2,1,3\n");
    assert_int_equal(x->rep.loaded, 1);
    assert_true(has_issue(x, 2, "invalid domain name"));
    done(x);
}

static void test_sample_file(void **state) {
    (void)state;
    expect_sample_file("iprep.csv", (ind_counts){.format = PK_FMT_IPREP, .loaded = 5});
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_detection),
        cmocka_unit_test(test_sample_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
