/* test_istore.c - the immutable match store: addresses, prefixes, names,
 * exact values, scopes, shared values and the content version.
 *
 * Why it exists: the store decides what alerts. These tests pin its
 * semantics (longest prefix, the subdomain rule, field-specific types,
 * scopes, first applicable of several feeds) and check it at scale against
 * a brute-force answer.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ind_load.h"
#include "istore.h"

/* Lookups fill this view (one lookup per assertion). */
static pk_ind_view g_view;

static pk_istore *store_from(const char *text) {
    pk_ind_list l;
    pk_load_report *rep = malloc(sizeof *rep);
    pk_ind_list_init(&l);
    assert_int_equal(pk_ind_load_buffer(&l, "t.txt", text, strlen(text), 0, rep), 0);
    assert_int_equal(rep->skipped, 0);
    free(rep);
    pk_istore *s = pk_istore_build(&l);
    assert_non_null(s);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    return s;
}

static const pk_indicator *addr(const pk_istore *s, const char *text) {
    uint8_t a[16];
    int fam = strchr(text, ':') ? 6 : 4;
    assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, text, a), 1);
    return pk_istore_match_addr(s, fam, a, 6, 443, &g_view);
}

static const char *addr_value(const pk_istore *s, const char *text) {
    const pk_indicator *i = addr(s, text);
    return i ? i->value : "none";
}

static const char *name_value(const pk_istore *s, pk_field f, const char *name) {
    const pk_indicator *i = pk_istore_match_name(s, f, name, strlen(name), 17, 53, &g_view);
    return i ? i->value : "none";
}

static void test_addresses(void **state) {
    (void)state;
    pk_istore *s = store_from("10.0.0.0/8\n10.1.0.0/16\n10.1.2.0/24\n10.1.2.3\n"
                              "2001:db8::/32\n2001:db8:1::/48\n2001:db8:1:2::/64\n"
                              "2001:db8:1:2::3\n0.0.0.0/1\n198.51.100.0/20\n");
    assert_string_equal(addr_value(s, "10.1.2.3"), "10.1.2.3");
    assert_string_equal(addr_value(s, "10.1.2.4"), "10.1.2.0/24");
    assert_string_equal(addr_value(s, "10.1.3.4"), "10.1.0.0/16");
    assert_string_equal(addr_value(s, "10.2.3.4"), "10.0.0.0/8");
    assert_string_equal(addr_value(s, "11.0.0.1"), "0.0.0.0/1");
    assert_string_equal(addr_value(s, "128.0.0.1"), "none");
    assert_string_equal(addr_value(s, "198.51.111.1"), "198.51.96.0/20");
    assert_string_equal(addr_value(s, "198.51.95.1"), "none");
    assert_string_equal(addr_value(s, "127.255.255.255"), "0.0.0.0/1");
    assert_string_equal(addr_value(s, "2001:db8:1:2::3"), "2001:db8:1:2::3");
    assert_string_equal(addr_value(s, "2001:db8:1:2::4"), "2001:db8:1:2::/64");
    assert_string_equal(addr_value(s, "2001:db8:1:3::4"), "2001:db8:1::/48");
    assert_string_equal(addr_value(s, "2001:db8:2::4"), "2001:db8::/32");
    assert_string_equal(addr_value(s, "2001:db9::1"), "none");
    uint8_t a[16] = {10, 1, 2, 3};
    assert_null(pk_istore_match_addr(s, 5, a, 6, 1, &g_view));
    pk_istore_free(s);
    /* /8../15 prefixes are filtered by the /16s they cover: the edges */
    s = store_from("172.16.0.0/12\n192.168.0.0/15\n10.0.0.0/8\n");
    assert_string_equal(addr_value(s, "172.16.0.0"), "172.16.0.0/12");
    assert_string_equal(addr_value(s, "172.31.255.255"), "172.16.0.0/12");
    assert_string_equal(addr_value(s, "172.32.0.0"), "none");
    assert_string_equal(addr_value(s, "172.15.255.255"), "none");
    assert_string_equal(addr_value(s, "192.169.255.1"), "192.168.0.0/15");
    assert_string_equal(addr_value(s, "192.170.0.1"), "none");
    assert_string_equal(addr_value(s, "192.167.255.255"), "none");
    assert_string_equal(addr_value(s, "10.255.255.255"), "10.0.0.0/8");
    assert_string_equal(addr_value(s, "11.0.0.0"), "none");
    assert_null(pk_istore_match_addr(s, 4, NULL, 6, 1, &g_view));
    assert_null(pk_istore_match_addr(NULL, 4, a, 6, 1, &g_view));
    pk_istore_free(s);
}

static void test_names(void **state) {
    (void)state;
    pk_istore *s = store_from("evil.example\nsni:tls.example\nhttp_host:web.example\n"
                              "deep.a.b.example\n");
    pk_field dns = PK_FIELD_DNS_QUERY;
    assert_string_equal(name_value(s, dns, "evil.example"), "evil.example");
    assert_string_equal(name_value(s, dns, "a.b.evil.example"), "evil.example");
    assert_string_equal(name_value(s, dns, "EVIL.example."), "evil.example");
    assert_string_equal(name_value(s, dns, "notevil.example"), "none");
    assert_string_equal(name_value(s, dns, "example"), "none");
    assert_string_equal(name_value(s, dns, "evil.example.com"), "none");
    assert_string_equal(name_value(s, dns, "x.deep.a.b.example"), "deep.a.b.example");
    assert_string_equal(name_value(s, dns, "a.b.example"), "none");
    assert_string_equal(name_value(s, dns, ""), "none");
    assert_string_equal(name_value(s, dns, "."), "none");
    assert_string_equal(name_value(s, dns, "evil.example.."), "none");
    /* parent domains are looked up in chunks: the match past the first */
    assert_string_equal(name_value(s, dns, "1.2.3.4.5.6.7.8.9.10.deep.a.b.example"),
                        "deep.a.b.example");
    assert_string_equal(name_value(s, dns, "1.2.3.4.5.6.7.8.9.10.11.12.evil.example"),
                        "evil.example");
    /* field-specific types */
    assert_string_equal(name_value(s, dns, "tls.example"), "none");
    assert_string_equal(name_value(s, PK_FIELD_TLS_SNI, "x.tls.example"), "tls.example");
    assert_string_equal(name_value(s, PK_FIELD_HTTP_HOST, "tls.example"), "none");
    assert_string_equal(name_value(s, PK_FIELD_HTTP_HOST, "Web.Example:8080"), "web.example");
    assert_string_equal(name_value(s, PK_FIELD_TLS_SNI, "web.example"), "none");
    assert_string_equal(name_value(s, PK_FIELD_TLS_SNI, "evil.example"), "evil.example");
    assert_string_equal(name_value(s, PK_FIELD_HTTP_HOST, "evil.example"), "evil.example");
    assert_string_equal(name_value(s, PK_FIELD_TLS_JA3, "evil.example"), "none");
    /* hostile names */
    char big[2000];
    memset(big, 'a', sizeof big);
    for (size_t i = 5; i < 1900; i += 6)
        big[i] = '.';
    strcpy(big + 1980, ".evil.example");
    assert_string_equal(name_value(s, dns, big), "evil.example");
    memset(big, 'a', 1999);
    big[1999] = '\0';
    assert_string_equal(name_value(s, dns, big), "none");
    const char nul[] = "evil.example\0.other";
    assert_null(pk_istore_match_name(s, dns, nul, sizeof nul - 1, 17, 53, &g_view));
    assert_non_null(pk_istore_match_name(s, dns, "x.evil.exampleZZ", 14, 17, 53, &g_view));
    assert_null(pk_istore_match_name(NULL, dns, "evil.example", 12, 17, 53, &g_view));
    assert_null(pk_istore_match_name(s, dns, NULL, 0, 17, 53, &g_view));
    pk_istore_free(s);
}

static void test_exact_values(void **state) {
    (void)state;
    pk_istore *s = store_from("http://Evil.Example/a?x=1\nevil.example/b\n"
                              "ja3:ada70206e40642a3e4461f35503241d5\n"
                              "ja4:t13d1516h2_8daaf6152771_e5627efa2ab1\n");
    const char *u1 = "HTTPS://EVIL.example:443/a?x=1#f", *u2 = "evil.example/a?x=2";
    assert_non_null(pk_istore_match_exact(s, PK_FIELD_HTTP_URL, u1, strlen(u1), 6, 80, &g_view));
    assert_null(pk_istore_match_exact(s, PK_FIELD_HTTP_URL, u2, strlen(u2), 6, 80, &g_view));
    assert_non_null(pk_istore_match_exact(s, PK_FIELD_HTTP_URL, "evil.example/b", 14, 6, 80, &g_view));
    assert_null(pk_istore_match_exact(s, PK_FIELD_HTTP_URL, "evil.example/B", 14, 6, 80, &g_view));
    const char *j3 = "ADA70206E40642A3E4461F35503241D5";
    assert_non_null(pk_istore_match_exact(s, PK_FIELD_TLS_JA3, j3, 32, 6, 443, &g_view));
    assert_null(pk_istore_match_exact(s, PK_FIELD_TLS_JA3, j3, 31, 6, 443, &g_view));
    assert_null(pk_istore_match_exact(s, PK_FIELD_TLS_JA4, j3, 32, 6, 443, &g_view));
    const char *j4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
    const pk_indicator *i = pk_istore_match_exact(s, PK_FIELD_TLS_JA4, j4, 36, 6, 443, &g_view);
    assert_non_null(i);
    assert_int_equal(i->type, PK_IND_JA4);
    assert_null(pk_istore_match_exact(s, PK_FIELD_TLS_JA3, j4, 36, 6, 443, &g_view));
    assert_null(pk_istore_match_exact(s, PK_FIELD_DNS_QUERY, "evil.example", 12, 17, 53, &g_view));
    assert_null(pk_istore_match_name(s, PK_FIELD_DNS_QUERY, "evil.example", 12, 17, 53, &g_view));
    /* the store holds URL, JA3 and JA4 indicators, no name or address */
    static const struct { pk_field f; bool may; } fields[] = {
        {PK_FIELD_HTTP_URL, true}, {PK_FIELD_TLS_JA3, true}, {PK_FIELD_TLS_JA4, true},
        {PK_FIELD_DNS_QUERY, false}, {PK_FIELD_TLS_SNI, false},
        {PK_FIELD_HTTP_HOST, false}, {PK_FIELD_IP_SRC, false}, {PK_FIELD_IP_DST, false},
        {PK_FIELD__COUNT, false},
    };
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
        assert_int_equal(pk_istore_may_match(s, fields[k].f), fields[k].may);
    assert_false(pk_istore_may_match(NULL, PK_FIELD_HTTP_URL));
    pk_istore_free(s);
}

static void add(pk_ind_list *l, const char *value, pk_ind_type t, const char *src,
                uint8_t proto, uint16_t port) {
    pk_indicator in = {.value = value, .type = (uint8_t)t, .source = src,
                       .proto = proto, .port = port, .confidence = PK_CONFIDENCE_UNSET};
    assert_non_null(pk_ind_list_add(l, &in));
}

static void test_scopes_and_shared_values(void **state) {
    (void)state;
    pk_ind_list l;
    pk_ind_list_init(&l);
    add(&l, "192.0.2.1", PK_IND_IPV4, "udp53", 17, 53);
    add(&l, "192.0.2.1", PK_IND_IPV4, "tcp-any", 6, 0);
    add(&l, "192.0.2.1", PK_IND_IPV4, "any", 0, 0);
    add(&l, "192.0.2.0/24", PK_IND_CIDR, "net8443", 6, 8443);
    add(&l, "evil.example", PK_IND_DOMAIN, "feed-a", 0, 0);
    add(&l, "evil.example", PK_IND_SNI, "feed-b", 0, 0);
    add(&l, "EVIL.example.", PK_IND_DOMAIN, "feed-c", 0, 0);
    add(&l, "2001:db8::1", PK_IND_IPV6, "v6-tcp80", 6, 80);
    add(&l, "not an address", PK_IND_IPV4, "junk", 0, 0);
    add(&l, "bad..name", PK_IND_DOMAIN, "junk", 0, 0);
    pk_istore *s = pk_istore_build(&l);
    assert_non_null(s);
    assert_int_equal(pk_istore_count(s), 8);
    uint8_t a[16] = {192, 0, 2, 1};
    assert_string_equal(pk_istore_match_addr(s, 4, a, 17, 53, &g_view)->source, "udp53");
    assert_string_equal(pk_istore_match_addr(s, 4, a, 6, 53, &g_view)->source, "tcp-any");
    assert_string_equal(pk_istore_match_addr(s, 4, a, 1, 0, &g_view)->source, "any");
    a[3] = 9;
    assert_null(pk_istore_match_addr(s, 4, a, 6, 443, &g_view));
    assert_string_equal(pk_istore_match_addr(s, 4, a, 6, 8443, &g_view)->source, "net8443");
    const pk_indicator *d = pk_istore_match_name(s, PK_FIELD_TLS_SNI, "x.evil.example", 14, 6, 443, &g_view);
    assert_string_equal(d->source, "feed-a");
    assert_int_equal(d->type, PK_IND_DOMAIN);
    assert_int_equal(g_view.item, 4);
    pk_ind_view v6item;
    const pk_indicator *it = pk_istore_item(s, 6, &g_view);
    assert_string_equal(it->value, "evil.example");            /* normalised */
    assert_string_equal(it->source, "feed-c");
    it = pk_istore_item(s, 7, &v6item);
    assert_int_equal(it->family, 6);                            /* parsed */
    assert_string_equal(it->value, "2001:db8::1");
    uint8_t v6[16];
    inet_pton(AF_INET6, "2001:db8::1", v6);
    assert_null(pk_istore_match_addr(s, 6, v6, 6, 443, &g_view));
    assert_string_equal(pk_istore_match_addr(s, 6, v6, 6, 80, &g_view)->source, "v6-tcp80");
    pk_istore_free(s);
}

static pk_istore *store_of(const char *const *values, size_t n, const char *src) {
    pk_ind_list l;
    pk_ind_list_init(&l);
    for (size_t i = 0; i < n; i++) {
        pk_indicator in = {.value = values[i], .source = src,
                           .type = strchr(values[i], '.') && !strchr(values[i], '/') &&
                                   values[i][0] > '9' ? PK_IND_DOMAIN : PK_IND_IPV4};
        pk_ind_list_add(&l, &in);
    }
    return pk_istore_build(&l);
}

static void test_version(void **state) {
    (void)state;
    const char *a[] = {"192.0.2.1", "evil.example", "198.51.100.0/24", "192.0.2.1"};
    const char *b[] = {"198.51.100.0/24", "192.0.2.1", "192.0.2.1", "evil.example"};
    const char *c[] = {"198.51.100.0/24", "192.0.2.1", "evil.example"};
    pk_istore *sa = store_of(a, 4, "f"), *sb = store_of(b, 4, "f");
    pk_istore *sc = store_of(c, 3, "f"), *sd = store_of(a, 4, "g");
    pk_istore *e1 = store_of(NULL, 0, "f"), *e2 = store_of(NULL, 0, "f");
    assert_int_equal(strlen(pk_istore_version(sa)), 16);
    assert_string_equal(pk_istore_version(sa), pk_istore_version(sb));
    assert_string_not_equal(pk_istore_version(sa), pk_istore_version(sc));
    assert_string_not_equal(pk_istore_version(sa), pk_istore_version(sd));
    assert_string_equal(pk_istore_version(e1), pk_istore_version(e2));
    assert_string_not_equal(pk_istore_version(e1), pk_istore_version(sc));
    assert_int_equal(pk_istore_count(e1), 0);
    assert_true(pk_istore_memory(sa) > pk_istore_memory(e1));
    uint8_t x[16] = {192, 0, 2, 1};
    assert_null(pk_istore_match_addr(e1, 4, x, 6, 1, &g_view));
    assert_null(pk_istore_match_name(e1, PK_FIELD_DNS_QUERY, "a.example", 9, 6, 1, &g_view));
    assert_null(pk_istore_match_exact(e1, PK_FIELD_HTTP_URL, "a.example/", 10, 6, 1, &g_view));
    assert_string_equal(pk_istore_version(NULL), "");
    assert_int_equal(pk_istore_count(NULL), 0);
    pk_istore *all[] = {sa, sb, sc, sd, e1, e2};
    for (size_t i = 0; i < 6; i++)
        pk_istore_free(all[i]);
    pk_istore_free(NULL);
}

/* Deterministic pseudo-random numbers for the scale test. */
static uint32_t next_rand(uint64_t *st) {
    *st = *st * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*st >> 33);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void test_scale_against_brute_force(void **state) {
    (void)state;
    enum { N = 50000 };
    uint64_t st = 42;
    uint32_t *keys = malloc(N * sizeof *keys);
    pk_ind_list l;
    pk_ind_list_init(&l);
    for (int i = 0; i < N; i++) {
        keys[i] = next_rand(&st) & 0x00ffffffu;    /* collisions and repeats */
        char text[32];
        snprintf(text, sizeof text, "10.%u.%u.%u", keys[i] >> 16, (keys[i] >> 8) & 255,
                 keys[i] & 255);
        add(&l, text, PK_IND_IPV4, i % 2 ? "odd" : "even", 0, 0);
    }
    pk_istore *s = pk_istore_build(&l);
    assert_non_null(s);
    qsort(keys, N, sizeof *keys, cmp_u32);
    for (int i = 0; i < 200000; i++) {
        uint32_t k = next_rand(&st) & 0x00ffffffu;
        uint8_t a[4] = {10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
        bool want = bsearch(&k, keys, N, sizeof *keys, cmp_u32) != NULL;
        assert_int_equal(pk_istore_match_addr(s, 4, a, 6, 1, &g_view) != NULL, want);
    }
    for (int i = 0; i < N; i += 97) {
        uint32_t k = keys[i];
        uint8_t a[4] = {10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
        assert_non_null(pk_istore_match_addr(s, 4, a, 6, 1, &g_view));
    }
    free(keys);
    pk_istore_free(s);
}

/* Names are lower-cased and their dots found 8 bytes at a time: dots and
 * upper case at every offset around a word's edge, names of 4 to 28 bytes,
 * the last word overlapping the one before it. */
static void test_name_word_edges(void **state) {
    (void)state;
    pk_istore *s = store_from("ab.example\nq.zz\n");
    pk_field dns = PK_FIELD_DNS_QUERY;
    char name[64];
    for (size_t pre = 0; pre < 16; pre++) {
        memset(name, 'X', pre);
        if (pre > 0)
            name[pre - 1] = '.';
        strcpy(name + pre, "AB.Example");
        assert_string_equal(name_value(s, dns, name), "ab.example");
        strcpy(name + pre, "aB.exaMPLE.");
        assert_string_equal(name_value(s, dns, name), "ab.example");
        strcpy(name + pre, "xab.example");
        assert_string_equal(name_value(s, dns, name), "none");
        strcpy(name + pre, "Q.zZ");
        assert_string_equal(name_value(s, dns, name), "q.zz");
        if (pre > 0) {
            name[pre - 1] = 'x';
            assert_string_equal(name_value(s, dns, name), "none");
        }
    }
    pk_istore_free(s);
}

static void test_field_names(void **state) {
    (void)state;
    assert_string_equal(pk_field_name(PK_FIELD_IP_SRC), "ip.src");
    assert_string_equal(pk_field_name(PK_FIELD_IP_DST), "ip.dst");
    assert_string_equal(pk_field_name(PK_FIELD_DNS_QUERY), "dns.query");
    assert_string_equal(pk_field_name(PK_FIELD_TLS_SNI), "tls.sni");
    assert_string_equal(pk_field_name(PK_FIELD_TLS_JA3), "tls.ja3");
    assert_string_equal(pk_field_name(PK_FIELD_TLS_JA4), "tls.ja4");
    assert_string_equal(pk_field_name(PK_FIELD_HTTP_HOST), "http.host");
    assert_string_equal(pk_field_name(PK_FIELD_HTTP_URL), "http.url");
    assert_string_equal(pk_field_name(PK_FIELD__COUNT), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_name_word_edges),
        cmocka_unit_test(test_exact_values),
        cmocka_unit_test(test_scopes_and_shared_values),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_scale_against_brute_force),
        cmocka_unit_test(test_field_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
