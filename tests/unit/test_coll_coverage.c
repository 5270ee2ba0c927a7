/* test_coll_coverage.c - the exercise name rule, indicator keys and the
 * coverage table of picket-collector (collector/exercise.c, indkey.c,
 * coverage_table.c, coverage_render.c).
 *
 * Why it exists: these decide which key space an alert from the wire goes
 * to and what a planner is told was missed. Pinned down here: names at
 * and beyond 64 characters and every refused character class, alerts
 * with absent/null/non-string exercises, the key text (case, URLs, hashed
 * long values), and the join of an indicator set with coverage hash fields:
 * duplicates folded, malformed fields (no tabs, bad partner or sensor,
 * zero or non-numeric counts) counted and skipped, statuses and the
 * summary with and without --partners.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coverage_render.h"
#include "coverage_table.h"
#include "exercise.h"
#include "indkey.h"

static bool name_ok(const char *s) { return pk_exercise_name_valid(s, strlen(s)); }

static void test_exercise_names(void **state) {
    char longest[PK_EXERCISE_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[PK_EXERCISE_MAX] = 0;
    assert_true(name_ok("EX1"));
    assert_true(name_ok("cyber-shield_2026.q4"));
    assert_true(name_ok(longest));
    longest[PK_EXERCISE_MAX] = 'a';
    longest[PK_EXERCISE_MAX + 1] = 0;
    assert_false(name_ok(longest));
    const char *bad[] = {"", "a b", "a:b", "a/b", "a*", "caf\xc3\xa9", "a\nb", "a\tb", "x|y"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_false(name_ok(bad[i]));
    assert_false(pk_exercise_name_valid("a\0b", 3));
    assert_false(pk_exercise_name_valid(NULL, 0));
    printf("# %zu refused names, 65 characters refused, 64 accepted\n", sizeof bad / sizeof *bad);
}

static pk_traffic traffic_of(const char *json, const char **name) {
    json_t *a = json_loads(json, 0, NULL);
    assert_non_null(a);
    pk_traffic t = pk_exercise_of(a, name);
    if (t == PK_TRAFFIC_EXERCISE) assert_string_equal(*name, "EX1");
    json_decref(a);
    return t;
}

static void test_alert_traffic(void **state) {
    const char *name;
    assert_int_equal(traffic_of("{\"picket\":{}}", &name), PK_TRAFFIC_LIVE);
    assert_null(name);
    assert_int_equal(traffic_of("{\"picket\":{\"exercise\":null}}", &name), PK_TRAFFIC_LIVE);
    assert_int_equal(traffic_of("{}", &name), PK_TRAFFIC_LIVE);
    assert_int_equal(traffic_of("{\"picket\":{\"exercise\":\"EX1\"}}", &name),
                     PK_TRAFFIC_EXERCISE);
    assert_int_equal(traffic_of("{\"picket\":{\"exercise\":5}}", &name), PK_TRAFFIC_MALFORMED);
    assert_int_equal(traffic_of("{\"picket\":{\"exercise\":\"\"}}", &name),
                     PK_TRAFFIC_MALFORMED);
    assert_int_equal(traffic_of("{\"picket\":{\"exercise\":\"a b\"}}", &name),
                     PK_TRAFFIC_MALFORMED);
    assert_int_equal(traffic_of("{\"picket\":{\"exercise\":[\"EX1\"]}}", &name),
                     PK_TRAFFIC_MALFORMED);
    char out[PK_EXERCISE_MAX + 1];
    const char *s = "{\"type\":\"sighting\",\"exercise\":\"EX1\"}";
    assert_true(pk_exercise_of_sighting(s, strlen(s), out));
    assert_string_equal(out, "EX1");
    s = "{\"type\":\"sighting\"}";
    assert_false(pk_exercise_of_sighting(s, strlen(s), out));
    assert_false(pk_exercise_of_sighting("{", 1, out));
}

static void test_indicator_keys(void **state) {
    char key[PK_INDKEY_MAX];
    assert_true(pk_indicator_key_text("domain", "Evil.Example", 12, key, sizeof key));
    assert_string_equal(key, "domain|evil.example");
    assert_true(pk_indicator_key_text("url", "a.example/X?Y=1", 15, key, sizeof key));
    assert_string_equal(key, "url|a.example/X?Y=1");
    char big[300];
    memset(big, 'a', sizeof big);
    assert_true(pk_indicator_key_text("url", big, sizeof big, key, sizeof key));
    assert_int_equal(strlen(key), strlen("url|sha256:") + 64);
    assert_false(pk_indicator_key_text("Domain", "x.example", 9, key, sizeof key));
    assert_false(pk_indicator_key_text("", "x.example", 9, key, sizeof key));
    assert_false(pk_indicator_key_text("domain", "", 0, key, sizeof key));
    assert_false(pk_indicator_key_text("domain", "a\0b", 3, key, sizeof key));
    assert_false(pk_indicator_key_text("domain", "x.example", 9, key, 8));
}

static void field(pk_coverage *c, const char *f, const char *count) {
    assert_true(pk_coverage_add_field(c, f, strlen(f), count, strlen(count)));
}

/* Five indicators (one twice, one unusable), two partners reporting. */
static void fill_table(pk_coverage *c) {
    assert_true(pk_coverage_add_indicator(c, "domain", "a.example"));
    assert_true(pk_coverage_add_indicator(c, "domain", "b.example"));
    assert_true(pk_coverage_add_indicator(c, "ipv4", "192.0.2.1"));
    assert_true(pk_coverage_add_indicator(c, "domain", "A.example"));   /* same key */
    assert_true(pk_coverage_add_indicator(c, "BAD", "x"));              /* unusable */
    assert_true(pk_coverage_add_indicator(c, "url", "c.example/"));
    assert_true(pk_coverage_index(c));
    field(c, "UK\tuk-1\tdomain|a.example", "3");
    field(c, "JP\tjp-1\tdomain|a.example", "1");
    field(c, "JP\tjp-2\tdomain|a.example", "2");
    field(c, "JP\tjp-1\tipv4|192.0.2.1", "1");
    field(c, "UK\tuk-1\tdomain|other.example", "1");                    /* not in the set */
    field(c, "UK uk-1 domain|b.example", "1");                          /* no tabs */
    field(c, "U\x01K\tuk-1\tdomain|b.example", "1");                    /* control char */
    field(c, "UK\tuk 1\tdomain|b.example", "1");                        /* bad sensor id */
    field(c, "UK\tuk-1\tdomain|b.example", "0");                        /* zero count */
    field(c, "UK\tuk-1\tdomain|b.example", "x1");                       /* not a number */
    field(c, "UK\tuk-1\t|b.example", "1");                              /* no type */
    field(c, "UK\tuk-1\tnobar", "1");                                   /* no '|' */
}

static void test_table(void **state) {
    pk_coverage c;
    pk_coverage_init(&c);
    fill_table(&c);
    assert_int_equal(c.nrows, 4);
    assert_int_equal(c.duplicate_indicators, 1);
    assert_int_equal(c.unusable_indicators, 1);
    assert_int_equal(c.malformed_fields, 7);
    assert_int_equal(c.other_fields, 1);
    assert_int_equal(c.expected.n, 2);                       /* UK, JP: both reported */
    const pk_cov_row *a = &c.rows[0];
    assert_string_equal(a->key, "domain|a.example");
    assert_int_equal(a->alerts, 6);
    assert_int_equal(a->sensors.n, 3);
    assert_int_equal(pk_coverage_status(&c, a), PK_COV_CAUGHT_BY_ALL);
    assert_int_equal(pk_coverage_status(&c, &c.rows[1]), PK_COV_MISSED_BY_ALL);   /* b */
    assert_int_equal(pk_coverage_status(&c, &c.rows[2]), PK_COV_MISSED_BY_SOME);  /* ipv4 */
    pk_cov_summary s;
    pk_coverage_summary(&c, &s);
    assert_int_equal(s.indicators, 4);
    assert_int_equal(s.caught_by_all, 1);
    assert_int_equal(s.missed_by_some, 1);
    assert_int_equal(s.missed_by_all, 2);
    printf("# 4 rows, 1 duplicate, 1 unusable, 7 malformed fields, 1 other\n");
    pk_coverage_free(&c);
}

static void test_fixed_partners_and_json(void **state) {
    pk_coverage c;
    pk_coverage_init(&c);
    assert_true(pk_coverage_expect(&c, "JP"));
    assert_true(pk_coverage_expect(&c, "JP"));
    assert_true(pk_coverage_expect(&c, "FR"));
    fill_table(&c);
    assert_int_equal(c.expected.n, 2);                       /* JP, FR: UK not added */
    json_t *j = pk_coverage_json(&c, "EX1");
    assert_non_null(j);
    json_t *sum = json_object_get(j, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "caught_by_all")), 0);
    assert_int_equal(json_integer_value(json_object_get(sum, "missed_by_some")), 2);
    assert_int_equal(json_integer_value(json_object_get(sum, "missed_by_all")), 2);
    json_t *row = json_array_get(json_object_get(j, "indicators"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "status")), "missed_by_some");
    json_t *missed = json_object_get(row, "missed_by");
    assert_int_equal(json_array_size(missed), 1);
    assert_string_equal(json_string_value(json_array_get(missed, 0)), "FR");
    assert_int_equal(json_array_size(json_object_get(row, "caught_by")), 2);   /* UK, JP */
    assert_string_equal(json_string_value(json_object_get(j, "partners_from")), "option");
    json_decref(j);
    pk_coverage_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exercise_names),
        cmocka_unit_test(test_alert_traffic),
        cmocka_unit_test(test_indicator_keys),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fixed_partners_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
