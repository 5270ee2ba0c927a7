/* test_ind_pack.c - packed indicators: shared metadata, binary addresses,
 * round trips, invalid values, and the size a large feed packs into.
 *
 * Why it exists: the match store keeps its indicators only in this form, so
 * every field an alert shows must come back exactly as it went in, while a
 * feed's repeated metadata is kept once (the store's memory target depends
 * on it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ind_load.h"
#include "ind_pack.h"

static pk_indicator ind(const char *value, pk_ind_type t, const char *source) {
    return (pk_indicator){.value = value, .type = (uint8_t)t, .source = source,
                          .confidence = PK_CONFIDENCE_UNSET};
}

static void test_round_trip(void **state) {
    (void)state;
    pk_ind_pack p;
    pk_ind_pack_init(&p);
    pk_indicator a = ind("192.0.2.7", PK_IND_IPV4, "feed");
    a.partner = "cert-x";
    a.tlp = PK_TLP_AMBER;
    a.confidence = 80;
    a.port = 443;
    a.proto = 6;
    a.expires = 1900000000;
    a.description = "c2";
    pk_indicator b = ind("2001:DB8:0:0::1", PK_IND_IPV6, "feed");
    pk_indicator c = ind("10.20.0.0/14", PK_IND_CIDR, "feed");
    pk_indicator d = ind("Evil.Example.", PK_IND_DOMAIN, "feed");
    pk_indicator e = ind("HTTP://Evil.Example:80/a?b", PK_IND_URL, "feed");
    const pk_indicator *in[] = {&a, &b, &c, &d, &e};
    const char *want[] = {"192.0.2.7", "2001:db8::1", "10.20.0.0/14",
                          "evil.example", "evil.example/a?b"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(pk_ind_pack_add(&p, in[i]), 1);
    pk_ind_view v;
    for (int i = 0; i < 5; i++) {
        const pk_indicator *o = pk_ind_pack_get(&p, (size_t)i, &v);
        assert_ptr_equal(o, &v.ind);
        assert_int_equal(v.item, i);
        assert_string_equal(o->value, want[i]);
        assert_int_equal(o->type, in[i]->type);
    }
    const pk_indicator *o = pk_ind_pack_get(&p, 0, &v);
    assert_string_equal(o->source, "feed");
    assert_ptr_not_equal(o->source, a.source);           /* copied */
    assert_string_equal(o->partner, "cert-x");
    assert_string_equal(o->description, "c2");
    assert_int_equal(o->tlp, PK_TLP_AMBER);
    assert_int_equal(o->confidence, 80);
    assert_int_equal(o->port, 443);
    assert_int_equal(o->proto, 6);
    assert_int_equal(o->expires, 1900000000);
    assert_int_equal(o->family, 4);
    assert_memory_equal(o->addr, "\xc0\x00\x02\x07", 4);
    o = pk_ind_pack_get(&p, 2, &v);
    assert_int_equal(o->prefix_len, 14);
    assert_memory_equal(o->addr, "\x0a\x14\x00\x00", 4);
    printf("round trip: 5 indicators, %u metadata records\n", p.nmetas);
    pk_ind_pack_free(&p);
}

static void test_invalid_values(void **state) {
    (void)state;
    pk_ind_pack p;
    pk_ind_pack_init(&p);
    pk_indicator bad[] = {ind("not an address", PK_IND_IPV4, NULL),
                          ind("bad..name", PK_IND_DOMAIN, NULL),
                          ind("abc", PK_IND_JA3, NULL),
                          ind("10.0.0.0/33", PK_IND_CIDR, NULL)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(pk_ind_pack_add(&p, &bad[i]), 0);
    pk_indicator none = {.type = PK_IND_DOMAIN};
    assert_int_equal(pk_ind_pack_add(&p, &none), 0);
    assert_int_equal(p.n, 0);
    pk_ind_pack_free(&p);
}

/* A feed of 100k addresses with one source shares one metadata record per
 * (type, prefix length) and packs into well under the text's size. */
static void test_feed_packs_small(void **state) {
    (void)state;
    size_t n = 100000, cap = n * 24;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, i % 10 == 9 ? "%zu.%zu.0.0/16\n"
                                : "%zu.%zu.%zu.%zu\n", 11 + i % 200, i / 200 % 250,
                                i / 50000 % 250, i % 250);
    pk_ind_pack p;
    pk_ind_pack_init(&p);
    char path[] = "/tmp/picket-pack-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    pk_load_report *rep = malloc(sizeof *rep);
    assert_non_null(rep);
    assert_int_equal(pk_ind_load_file_packed(&p, path, 0, rep), 0);
    unlink(path);
    size_t loaded = p.n;
    assert_true(loaded > 90000);
    assert_int_equal(rep->loaded, loaded);
    assert_int_equal(p.nmetas, 2);               /* ipv4 and cidr /16 */
    pk_ind_pack_trim(&p);
    size_t bytes = pk_ind_pack_bytes(&p);
    printf("feed: %zu bytes of text, %zu indicators, %u metadata, %zu bytes packed\n",
           len, loaded, p.nmetas, bytes);
    assert_true(bytes < len);
    pk_ind_view v;
    assert_string_equal(pk_ind_pack_get(&p, 0, &v)->source,
                        strrchr(path, '/') + 1);
    free(rep);
    free(text);
    pk_ind_pack_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_invalid_values),
        cmocka_unit_test(test_feed_packs_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
