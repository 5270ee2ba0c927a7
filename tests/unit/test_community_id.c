/* test_community_id.c - Community ID v1 against the spec's published test
 * vectors (community-id-spec, seed 0), in both flow directions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "community_id.h"

static void check(int family, const char *src, uint16_t sport, const char *dst,
                  uint16_t dport, uint8_t proto, const char *expect) {
    uint8_t s[16] = {0}, d[16] = {0};
    assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, src, s), 1);
    assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, dst, d), 1);
    char out[PK_COMMUNITY_ID_LEN];
    pk_community_id(0, family, s, d, proto, sport, dport, out);
    assert_string_equal(out, expect);
}

static void test_tcp_both_directions(void **state) {
    (void)state;
    check(4, "128.232.110.120", 34855, "66.35.250.204", 80, 6,
          "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    check(4, "66.35.250.204", 80, "128.232.110.120", 34855, 6,
          "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

static void test_udp(void **state) {
    (void)state;
    check(4, "192.168.1.52", 54585, "8.8.8.8", 53, 17,
          "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    check(4, "8.8.8.8", 53, "192.168.1.52", 54585, 17,
          "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
}

static void test_sctp(void **state) {
    (void)state;
    check(4, "192.168.170.8", 7, "192.168.170.56", 7, 132,
          "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
}

static void test_icmp_echo_pair(void **state) {
    (void)state;
    /* request: type 8 code 0; the reply (type 0) must give the same id */
    check(4, "192.168.0.89", 8, "192.168.0.1", 0, 1,
          "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    check(4, "192.168.0.1", 0, "192.168.0.89", 0, 1,
          "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
}

static void test_icmpv6_router_advert(void **state) {
    (void)state;
    check(6, "fe80::260:97ff:fe07:69ea", 134, "ff02::1", 0, 58,
          "1:pkvHqCL88/tg1k4cPigmZXUtL00=");
}

static void test_tcp_ipv6(void **state) {
    (void)state;
    check(6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
          "2607:f8b0:400c:c03::1a", 25, 6, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
    check(6, "2607:f8b0:400c:c03::1a", 25,
          "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, 6,
          "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
}

static void test_one_way_icmp_not_swapped(void **state) {
    (void)state;
    /* destination unreachable (type 3) has no counterpart: the two
     * directions are different one-way flows. */
    uint8_t a[4] = {10, 0, 0, 2}, b[4] = {10, 0, 0, 1};
    char x[PK_COMMUNITY_ID_LEN], y[PK_COMMUNITY_ID_LEN];
    pk_community_id(0, 4, a, b, 1, 3, 1, x);
    pk_community_id(0, 4, b, a, 1, 3, 1, y);
    assert_string_not_equal(x, y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_both_directions),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_sctp),
        cmocka_unit_test(test_icmp_echo_pair),
        cmocka_unit_test(test_icmpv6_router_advert),
        cmocka_unit_test(test_tcp_ipv6),
        cmocka_unit_test(test_one_way_icmp_not_swapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
