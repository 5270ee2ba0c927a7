/* test_ja.c - unit tests of the JA3 and JA4 fingerprint rules
 * (tls_fingerprint.c), independent of byte parsing.
 *
 * Why it exists: a fingerprint that is off by one rule matches nothing in a
 * feed. The expected values here come from the specs themselves: the JA3
 * example of SPECS.md (salesforce/ja3) and the worked example of FoxIO's
 * technical_details/JA4.md (its cipher list hashes to 8daaf6152771, its
 * extension + signature list to e5627efa2ab1, without signatures to
 * 6d807ffa2a79, the whole hello to t13d1516h2_8daaf6152771_e5627efa2ab1),
 * plus its ALPN hex rule examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tls_fingerprint.h"

/* Every fingerprint is computed twice: with digests fetched once (as the
 * sensor does) and looked up per call (hasher NULL); both must agree. */
static bool ja3_both(const pk_tls_fields *f, char *out) {
    char other[PK_JA3_LEN + 1];
    pk_fp_hasher *hs = pk_fp_hasher_new();
    assert_non_null(hs);
    bool ok = pk_ja3(hs, f, out);
    assert_int_equal(pk_ja3(NULL, f, other), ok);
    assert_string_equal(out, other);
    pk_fp_hasher_free(hs);
    return ok;
}

static bool ja4_both(const pk_tls_fields *f, bool quic, char *out) {
    char other[PK_JA4_LEN + 1];
    pk_fp_hasher *hs = pk_fp_hasher_new();
    assert_non_null(hs);
    bool ok = pk_ja4(hs, f, quic, out);
    assert_int_equal(pk_ja4(NULL, f, quic, other), ok);
    assert_string_equal(out, other);
    pk_fp_hasher_free(hs);
    return ok;
}

static void fill(pk_tls_list *l, const uint16_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) pk_tls_list_push(l, v[i]);
}
#define FILL(list, ...)                                                   \
    do {                                                                  \
        static const uint16_t v_[] = {__VA_ARGS__};                       \
        fill(list, v_, sizeof v_ / sizeof v_[0]);                         \
    } while (0)

static void set_alpn(pk_tls_fields *f, const char *s, size_t n) {
    f->has_alpn = true;
    f->alpn_len = (uint8_t)n;
    f->alpn_first = n ? (uint8_t)s[0] : 0;
    f->alpn_last = n ? (uint8_t)s[n - 1] : 0;
}

/* SPECS.md: 769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0 */
static void ja3_example(pk_tls_fields *f) {
    memset(f, 0, sizeof *f);
    f->legacy_version = 769;
    FILL(&f->ciphers, 47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4);
    FILL(&f->exts, 0, 10, 11);
    FILL(&f->groups, 23, 24, 25);
    FILL(&f->point_formats, 0);
}

static void test_ja3_spec_example(void **state) {
    (void)state;
    pk_tls_fields f;
    char s[4096], h[PK_JA3_LEN + 1];
    ja3_example(&f);
    pk_ja3_string(&f, s, sizeof s);
    assert_string_equal(s, "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,"
                           "0-10-11,23-24-25,0");
    assert_true(ja3_both(&f, h));
    assert_string_equal(h, "ada70206e40642a3e4461f35503241d5");
}

/* GREASE anywhere leaves JA3 unchanged. */
static void test_ja3_grease(void **state) {
    (void)state;
    pk_tls_fields f;
    char h[PK_JA3_LEN + 1];
    ja3_example(&f);
    pk_tls_list_push(&f.ciphers, 0x2a2a);
    pk_tls_list_push(&f.exts, 0xfafa);
    pk_tls_list_push(&f.groups, 0x0a0a);
    assert_true(ja3_both(&f, h));
    assert_string_equal(h, "ada70206e40642a3e4461f35503241d5");
}

/* SPECS.md: an empty list leaves its field empty: "769,4-5-10,,,". */
static void test_ja3_empty_lists(void **state) {
    (void)state;
    pk_tls_fields f;
    char s[64], h[PK_JA3_LEN + 1];
    memset(&f, 0, sizeof f);
    f.legacy_version = 769;
    FILL(&f.ciphers, 4, 5, 10);
    pk_ja3_string(&f, s, sizeof s);
    assert_string_equal(s, "769,4-5-10,,,");
    assert_true(ja3_both(&f, h));
    assert_string_equal(h, "73c580309d73416556b36e213d598ac1");
    assert_int_equal(pk_ja3_string(&f, s, 5), 0);       /* too small: "" */
    assert_string_equal(s, "");
}

static void test_grease_values(void **state) {
    (void)state;
    for (unsigned i = 0; i < 16; i++) {
        uint16_t v = (uint16_t)(((i << 4) | 0x0a) * 0x0101);
        assert_true(pk_tls_is_grease(v));
    }
    assert_false(pk_tls_is_grease(0x0a1a));
    assert_false(pk_tls_is_grease(0x1301));
    assert_false(pk_tls_is_grease(0x0000));
    assert_true(pk_tls_is_grease(0xaaaa));
    assert_false(pk_tls_is_grease(0x0a0b));
}

/* The hello of JA4.md's example, GREASE added as a browser would. */
static void ja4_example(pk_tls_fields *f, bool grease) {
    memset(f, 0, sizeof *f);
    f->legacy_version = 0x0303;
    if (grease) pk_tls_list_push(&f->ciphers, 0x3a3a);
    FILL(&f->ciphers, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
         0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035);
    if (grease) pk_tls_list_push(&f->exts, 0x5a5a);
    FILL(&f->exts, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d,
         0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a,
         0x0015);
    if (grease) pk_tls_list_push(&f->exts, 0x9a9a);
    FILL(&f->sig_algs, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
         0x0601);
    if (grease) pk_tls_list_push(&f->versions, 0xdada);
    FILL(&f->versions, 0x0304, 0x0303);
    f->has_sni_ext = true;
    set_alpn(f, "h2", 2);
}

static void test_ja4_spec_example(void **state) {
    (void)state;
    pk_tls_fields f;
    char out[PK_JA4_LEN + 1];
    ja4_example(&f, false);
    assert_true(ja4_both(&f, false, out));
    assert_string_equal(out, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    ja4_example(&f, true);
    assert_true(ja4_both(&f, false, out));
    assert_string_equal(out, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_true(ja4_both(&f, true, out));
    assert_string_equal(out, "q13d1516h2_8daaf6152771_e5627efa2ab1");
}

/* JA4.md: without signature algorithms the list ends without '_'. */
static void test_ja4_no_sigalgs(void **state) {
    (void)state;
    pk_tls_fields f;
    char out[PK_JA4_LEN + 1];
    ja4_example(&f, false);
    f.sig_algs.n = 0;
    f.sig_algs.total = 0;
    assert_true(ja4_both(&f, false, out));
    assert_string_equal(out, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

static void alpn_case(const char *bytes, size_t n, const char *want) {
    pk_tls_fields f;
    char out[PK_JA4_LEN + 1];
    ja4_example(&f, false);
    set_alpn(&f, bytes, n);
    assert_true(ja4_both(&f, false, out));
    assert_memory_equal(out + 8, want, 2);
}

/* JA4.md's "ALPN Extension Value" rules and examples. */
static void test_ja4_alpn(void **state) {
    (void)state;
    alpn_case("http/1.1", 8, "h1");
    alpn_case("h2", 2, "h2");
    alpn_case("h", 1, "hh");
    alpn_case("", 0, "00");
    alpn_case("\xab", 1, "ab");
    alpn_case("\xab\xcd", 2, "ad");
    alpn_case("\x30\xab", 2, "3b");
    alpn_case("\x30\x31\xab\xcd", 4, "3d");
    alpn_case("\x30\xab\xcd\x31", 4, "01");
    pk_tls_fields f;
    char out[PK_JA4_LEN + 1];
    ja4_example(&f, false);
    f.has_alpn = false;
    assert_true(ja4_both(&f, false, out));
    assert_memory_equal(out, "t13d151600_", 11);
}

static void test_ja4_versions(void **state) {
    (void)state;
    assert_string_equal(pk_ja4_version_code(0x0304), "13");
    assert_string_equal(pk_ja4_version_code(0x0303), "12");
    assert_string_equal(pk_ja4_version_code(0x0302), "11");
    assert_string_equal(pk_ja4_version_code(0x0301), "10");
    assert_string_equal(pk_ja4_version_code(0x0300), "s3");
    assert_string_equal(pk_ja4_version_code(0x0002), "s2");
    assert_string_equal(pk_ja4_version_code(0xfeff), "d1");
    assert_string_equal(pk_ja4_version_code(0xfefd), "d2");
    assert_string_equal(pk_ja4_version_code(0xfefc), "d3");
    assert_string_equal(pk_ja4_version_code(0x1234), "00");
    /* only GREASE in supported_versions: the legacy version counts */
    pk_tls_fields f;
    char out[PK_JA4_LEN + 1];
    ja4_example(&f, false);
    f.versions.n = 0;
    f.versions.total = 0;
    pk_tls_list_push(&f.versions, 0x4a4a);
    assert_true(ja4_both(&f, false, out));
    assert_memory_equal(out, "t12d", 4);
}

/* JA4.md: no ciphers -> b is twelve zeros; likewise c with no extensions
 * (SNI and ALPN left out). */
static void test_ja4_empty(void **state) {
    (void)state;
    pk_tls_fields f;
    char out[PK_JA4_LEN + 1];
    memset(&f, 0, sizeof f);
    f.legacy_version = 0x0301;
    assert_true(ja4_both(&f, false, out));
    assert_string_equal(out, "t10i000000_000000000000_000000000000");
    FILL(&f.exts, 0x0000, 0x0010);
    f.has_sni_ext = true;
    assert_true(ja4_both(&f, false, out));
    assert_string_equal(out, "t10d000200_000000000000_000000000000");
}

/* Counts cap at 99; values past the kept ones still count. */
static void test_ja4_counts_cap(void **state) {
    (void)state;
    pk_tls_fields f;
    char out[PK_JA4_LEN + 1];
    memset(&f, 0, sizeof f);
    f.legacy_version = 0x0303;
    for (uint16_t i = 0; i < 300; i++) pk_tls_list_push(&f.ciphers, (uint16_t)(0x0100 + i));
    for (uint16_t i = 0; i < 50; i++) pk_tls_list_push(&f.exts, (uint16_t)(0x0100 + i));
    assert_int_equal(f.ciphers.n, PK_TLS_LIST_MAX);
    assert_int_equal(f.ciphers.total, 300);
    assert_true(pk_tls_fields_truncated(&f));
    assert_true(ja4_both(&f, false, out));
    assert_memory_equal(out, "t12i995000_", 11);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ja3_spec_example),
        cmocka_unit_test(test_ja3_grease),
        cmocka_unit_test(test_ja3_empty_lists),
        cmocka_unit_test(test_grease_values),
        cmocka_unit_test(test_ja4_spec_example),
        cmocka_unit_test(test_ja4_no_sigalgs),
        cmocka_unit_test(test_ja4_alpn),
        cmocka_unit_test(test_ja4_versions),
        cmocka_unit_test(test_ja4_empty),
        cmocka_unit_test(test_ja4_counts_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
