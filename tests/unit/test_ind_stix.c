/* test_ind_stix.c - STIX 2.1 indicators: patterns, markings, expiry,
 * revocation, unsupported patterns and hostile JSON.
 *
 * Why it exists: STIX is the richest format we read and the one where a
 * silent drop would hurt most (an AND pattern loaded as if it were an OR
 * would alert on innocent traffic). Each rule of what loads, what is
 * reported unsupported and what is fatal is pinned here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define IND_TEST_NAME "in/b.json"
#include "ind_test_util.h"

#define TLP2_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TLP2_AMBER_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define TLP2_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define TLP2_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define TLP1_WHITE "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define TLP1_GREEN "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define TLP1_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"

/* One indicator object with the given pattern and extra members. */
static char *indicator(const char *id, const char *pattern, const char *more) {
    char *s = malloc(strlen(pattern) + strlen(more) + 512);
    sprintf(s, "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
               "\"id\":\"indicator--%s\",\"pattern_type\":\"stix\","
               "\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":\"%s\"%s%s}",
            id, pattern, more[0] ? "," : "", more);
    return s;
}

static loaded *load_one(const char *pattern, const char *more) {
    char *obj = indicator("11111111-1111-4111-8111-111111111111", pattern, more);
    loaded *x = load(obj);
    free(obj);
    return x;
}

static void test_bundle(void **state) {
    (void)state;
    char *a = indicator("a", "[ipv4-addr:value = '198.51.100.23']",
                        "\"confidence\":80,\"name\":\"C2\",\"description\":\"beacon\","
                        "\"created_by_ref\":\"identity--x\",\"x_picket_partner\":\"UK\","
                        "\"object_marking_refs\":[\"" TLP2_AMBER "\"],"
                        "\"x_picket_share_with\":[\"UK\",\"JP\"]");
    char *b = indicator("b", "[domain-name:value = 'C2.Evil.Example'] OR [ipv6-addr:value = '2001:DB8::7']",
                        "\"object_marking_refs\":[\"" TLP1_GREEN "\",\"" TLP2_RED "\"],"
                        "\"created_by_ref\":\"identity--unknown\"");
    char *c = indicator("c", "[ipv4-addr:value ISSUBSET '203.0.113.77/26']",
                        "\"object_marking_refs\":[\"marking-definition--custom\"],"
                        "\"x_picket_source\":\"ops\"");
    char text[4096];
    snprintf(text, sizeof text,
             "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
             "{\"type\":\"identity\",\"id\":\"identity--x\",\"name\":\"Coalition desk\"},"
             "{\"type\":\"marking-definition\",\"id\":\"marking-definition--custom\","
             "\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"white\"}},"
             "{\"type\":\"relationship\",\"id\":\"relationship--1\"},"
             "%s,%s,%s]}", a, b, c);
    free(a);
    free(b);
    free(c);
    loaded *x = load(text);
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.format, PK_FMT_STIX);
    assert_int_equal(x->rep.loaded, 4);
    assert_int_equal(x->rep.skipped, 0);
    assert_int_equal(x->rep.ignored, 3);

    const pk_indicator *i = find(x, "198.51.100.23");
    assert_non_null(i);
    assert_int_equal(i->type, PK_IND_IPV4);
    assert_int_equal(i->tlp, PK_TLP_AMBER);
    assert_int_equal(i->confidence, 80);
    assert_string_equal(i->id, "indicator--a");
    assert_string_equal(i->source, "Coalition desk");
    assert_string_equal(i->partner, "UK");
    assert_string_equal(i->share_with, "UK,JP");
    assert_string_equal(i->description, "C2: beacon");

    const pk_indicator *d = find(x, "c2.evil.example");
    assert_non_null(d);
    assert_int_equal(d->tlp, PK_TLP_RED);           /* most restrictive */
    assert_string_equal(d->source, "identity--unknown");
    assert_string_equal(d->id, "indicator--b");
    assert_null(d->share_with);
    const pk_indicator *v6 = find(x, "2001:db8::7");
    assert_non_null(v6);
    assert_string_equal(v6->id, "indicator--b");

    const pk_indicator *n = find(x, "203.0.113.64/26");
    assert_non_null(n);
    assert_int_equal(n->type, PK_IND_CIDR);
    assert_int_equal(n->tlp, PK_TLP_CLEAR);
    assert_string_equal(n->source, "ops");
    done(x);
}

static void test_tlp_ids(void **state) {
    (void)state;
    static const struct { const char *id; pk_tlp tlp; } cases[] = {
        {TLP2_CLEAR, PK_TLP_CLEAR}, {TLP2_AMBER_STRICT, PK_TLP_AMBER_STRICT},
        {TLP2_RED, PK_TLP_RED}, {TLP1_WHITE, PK_TLP_CLEAR},
        {TLP1_AMBER, PK_TLP_AMBER},
        {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", PK_TLP_GREEN},
        {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", PK_TLP_RED},
        {"marking-definition--00000000-0000-4000-8000-000000000000", PK_TLP_UNSET},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char more[160];
        snprintf(more, sizeof more, "\"object_marking_refs\":[\"%s\"]", cases[k].id);
        loaded *x = load_one("[ipv4-addr:value = '192.0.2.1']", more);
        assert_int_equal(x->rep.loaded, 1);
        assert_int_equal(x->l.items[0].tlp, cases[k].tlp);
        done(x);
    }
}

static void test_or_and_escapes(void **state) {
    (void)state;
    loaded *x = load_one("[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = '192.0.2.2'] OR "
                         "([url:value = 'http://e.example/it\\\\'s'] OR "
                         "[(domain-name:value = 'a.example' OR domain-name:value = 'b\\\\\\\\c.example')])",
                         "");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 4);
    assert_non_null(find(x, "192.0.2.1"));
    assert_non_null(find(x, "192.0.2.2"));
    assert_non_null(find(x, "e.example/it's"));
    assert_non_null(find(x, "a.example"));
    assert_int_equal(x->rep.skipped, 1);            /* b\c.example is no name */
    assert_true(has_reason(x, "invalid domain name"));
    done(x);
}

static void test_unsupported_patterns(void **state) {
    (void)state;
    static const struct { const char *pattern, *reason; } cases[] = {
        {"[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']", "AND"},
        {"[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'x.example']", "AND"},
        {"[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'x.example']", "FOLLOWEDBY"},
        {"[ipv4-addr:value = '192.0.2.1'] WITHIN 300 SECONDS", "WITHIN"},
        {"[file:hashes.'SHA-256' = 'aa']", "file:hashes.'SHA-256'"},
        {"[domain-name:value LIKE '%.example']", "LIKE"},
        {"[domain-name:value ISSUBSET 'example']", "ISSUBSET"},
        {"[ipv4-addr:value != '192.0.2.1']", "!="},
        {"[ipv4-addr:value NOT = '192.0.2.1']", "NOT"},
        {"[email-message:to_refs[*].value = 'a@b.example']", "email-message"},
        {"[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]", "IN"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        loaded *x = load_one(cases[k].pattern, "");
        assert_int_equal(x->rc, 0);
        assert_int_equal(x->rep.loaded, 0);
        assert_int_equal(x->rep.unsupported, 1);
        assert_int_equal(x->rep.skipped, 1);
        if (!has_reason(x, cases[k].reason) ||
            !has_reason(x, "indicator--11111111-1111-4111-8111-111111111111"))
            fail_msg("case %zu: %s", k, x->rep.issues[0].reason);
        done(x);
    }
}

static void test_partly_supported_or(void **state) {
    (void)state;
    loaded *x = load_one("[ipv4-addr:value = '192.0.2.9' OR file:name = 'x.exe']", "");
    assert_int_equal(x->rep.loaded, 1);
    assert_int_equal(x->rep.unsupported, 1);
    assert_true(has_reason(x, "1 OR-ed comparison(s) not loaded"));
    done(x);
}

static void test_invalid_patterns(void **state) {
    (void)state;
    static const char *const bad[] = {
        "[ipv4-addr:value = '192.0.2.1'", "ipv4-addr:value = '192.0.2.1'",
        "[ipv4-addr:value = '192.0.2.1]", "[ipv4-addr:value = '\\\\x']",
        "[ipv4-addr:value '192.0.2.1']", "[]", "[ipv4-addr:value = '1.2.3.4'] OR",
        "[ipv4-addr:value = '192.0.2.1'] garbage",
        "[ipv4-addr:value IN ('192.0.2.1', 'x]", "[ipv4-addr:value IN ('\\\\q')]", "(((((((((((((((((((((((((((((((((((("
        "[ipv4-addr:value = '192.0.2.1']))))))))))))))))))))))))))))))))))))",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        loaded *x = load_one(bad[k], "");
        assert_int_equal(x->rc, 0);
        assert_int_equal(x->rep.loaded, 0);
        assert_int_equal(x->rep.skipped, 1);
        assert_int_equal(x->rep.unsupported, 0);
        if (!has_reason(x, "invalid pattern"))
            fail_msg("case %zu: %s", k, x->rep.issues[0].reason);
        done(x);
    }
}

static void test_revoked_expired(void **state) {
    (void)state;
    char *a = indicator("r", "[ipv4-addr:value = '192.0.2.1']", "\"revoked\":true");
    char *b = indicator("e", "[ipv4-addr:value = '192.0.2.2'] OR [ipv4-addr:value = '192.0.2.3']",
                        "\"valid_until\":\"2020-01-01T00:00:00.000Z\"");
    char *c = indicator("f", "[ipv4-addr:value = '192.0.2.4']",
                        "\"valid_until\":\"2030-01-01T00:00:00+01:00\",\"revoked\":false");
    char *d = indicator("g", "[ipv4-addr:value = '192.0.2.5']", "\"valid_until\":\"tomorrow\"");
    char text[4096];
    snprintf(text, sizeof text, "[%s,%s,%s,%s]", a, b, c, d);
    loaded *x = load(text);
    assert_int_equal(x->rep.loaded, 1);
    assert_int_equal(x->rep.revoked, 1);
    assert_int_equal(x->rep.expired, 1);
    assert_int_equal(x->rep.skipped, 1);
    assert_true(has_reason(x, "valid_until"));
    assert_int_equal(find(x, "192.0.2.4")->expires, 1893452400);
    free(a);
    free(b);
    free(c);
    free(d);
    done(x);
}

static void test_bad_objects(void **state) {
    (void)state;
    loaded *x = load("{\"type\":\"bundle\",\"objects\":[1,\"x\",{\"id\":\"indicator--n\"},"
                     "{\"type\":\"indicator\",\"id\":\"indicator--p\"},"
                     "{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
                     "\"pattern_type\":\"sigma\"},"
                     "{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
                     "\"confidence\":1e300},"
                     "{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
                     "\"confidence\":\"high\"},"
                     "{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
                     "\"object_marking_refs\":\"x\"},"
                     "{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
                     "\"x_picket_share_with\":\"UK\"},"
                     "{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\","
                     "\"confidence\":123456789012345678901234567890}]}");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.loaded, 0);
    assert_int_equal(x->rep.skipped, 10);
    assert_int_equal(x->rep.unsupported, 1);
    expect_reasons(x, "object 1: not a JSON object", "object 3 (indicator--n): no type",
                   "object 4 (indicator--p): no pattern", "pattern_type 'sigma'", "confidence",
                   "object_marking_refs", "x_picket_share_with");
    done(x);
}

static void test_fatal_json(void **state) {
    (void)state;
    static const char *const bad[] = {
        "{\"type\":\"bundle\",\"objects\":[", "[1,2,", "{\"a\":1e999}",
        "{\"type\":\"indicator\",\"pattern\":\"caf\xC3\"}",
        "{\"type\":\"bundle\",\"objects\":{}}", "{\"no\":\"type\"}",
        "{\"a\":\"\\u0000\"}",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        loaded *x = load(bad[k]);
        assert_int_equal(x->rc, -1);
        assert_non_null(strstr(x->rep.error, "in/b.json: "));
        done(x);
    }
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    loaded *x = load(deep);
    assert_int_equal(x->rc, -1);
    done(x);
    free(deep);
}

static void test_single_object_and_empty(void **state) {
    (void)state;
    loaded *x = load_one("[url:value = 'HTTPS://Evil.Example:443']", "");
    assert_int_equal(x->rep.loaded, 1);
    assert_non_null(find(x, "evil.example/"));
    done(x);
    x = load("  \n[]");
    assert_int_equal(x->rc, 0);
    assert_int_equal(x->rep.format, PK_FMT_STIX);
    assert_int_equal(x->rep.loaded, 0);
    done(x);
    x = load("{\"type\":\"bundle\",\"id\":\"bundle--x\"}");
    assert_int_equal(x->rc, 0);
    done(x);
}

static void test_sample_bundle(void **state) {
    (void)state;
    expect_sample_file("coalition.stix.json",
                       (ind_counts){.format = PK_FMT_STIX, .loaded = 8, .skipped = 2,
                                    .unsupported = 2, .expired = 1, .revoked = 1});
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle),
        cmocka_unit_test(test_tlp_ids),
        cmocka_unit_test(test_or_and_escapes),
        cmocka_unit_test(test_unsupported_patterns),
        cmocka_unit_test(test_partly_supported_or),
        cmocka_unit_test(test_invalid_patterns),
        cmocka_unit_test(test_revoked_expired),
        cmocka_unit_test(test_bad_objects),
        cmocka_unit_test(test_fatal_json),
        cmocka_unit_test(test_single_object_and_empty),
        cmocka_unit_test(test_sample_bundle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
