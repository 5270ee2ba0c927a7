/* test_alerts_scan.c - the collector's one-pass reading of "alerts" frames
 * (collector/alerts_scan.c).
 *
 * Why it exists: the scanner replaces a jansson tree on the collector's
 * hot path. These fixtures pin down what it records (seqs, alert texts,
 * the indicator, the flow fields, the identity members, the exercise
 * name), the text it
 * writes when stamping the verified identity, and every kind of payload it
 * must hand back to pk_wire_parse instead of accepting. Each fixture is the
 * raw payload bytes of one frame (no length header), annotated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alerts_scan.h"

static pk_scan SC;

static bool scan_s(const char *payload) { return pk_alerts_scan(payload, strlen(payload), &SC); }

static void span_equal(pk_span s, const char *want) {
    if (!want) {
        assert_null(s.p);
        return;
    }
    assert_non_null(s.p);
    if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
        fail_msg("span \"%.*s\", wanted \"%s\"", (int)s.n, s.p, want);
}

/* Stamps alert i with fixed identity values and compares the text. */
static void stamped_equal(size_t i, const char *partner, const char *want) {
    const char *values[PK_STAMP__COUNT] = {"uk-01", partner, "uk-01:7"};
    size_t max = pk_scan_stamp_max(&SC.a[i], values);
    char *out = malloc(max + 1);
    assert_non_null(out);
    size_t n = pk_scan_stamp(&SC.a[i], values, out);
    assert_true(n <= max);
    out[n] = 0;
    assert_string_equal(out, want);
    free(out);
}

/* ------------------------------------------------------------ reading */

static void test_two_alerts_compact(void **state) {
    (void)state;
    /* The sensor's uplink shape: compact, seqs ascending; the first alert
     * has flow fields and a picket object claiming an identity, the second
     * a URL indicator and no flow fields. */
    static const char frame[] =
        "{\"type\":\"alerts\",\"alerts\":["
        "{\"seq\":41,\"alert\":{\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"8.8.8.8\","
        "\"community_id\":\"1:Ab+=\",\"picket\":{\"sensor\":\"liar\","
        "\"indicator\":{\"type\":\"domain\",\"value\":\"Evil.Example\"}}}},"
        "{\"seq\":42,\"alert\":{\"picket\":{\"indicator\":{\"value\":\"http://x/A\","
        "\"type\":\"url\"}}}}]}";
    assert_true(scan_s(frame));
    assert_int_equal(SC.n, 2);
    assert_int_equal(SC.a[0].seq, 41);
    assert_int_equal(SC.a[1].seq, 42);
    span_equal(SC.a[0].ind_type, "domain");
    span_equal(SC.a[0].ind_value, "Evil.Example");
    span_equal(SC.a[0].flow[PK_FLOW_CID], "1:Ab+=");
    span_equal(SC.a[0].flow[PK_FLOW_SRC], "10.0.0.1");
    span_equal(SC.a[0].flow[PK_FLOW_DST], "8.8.8.8");
    span_equal(SC.a[0].stamp[PK_STAMP_SENSOR], "\"liar\"");   /* the whole value */
    span_equal(SC.a[0].stamp[PK_STAMP_PARTNER], NULL);
    assert_int_equal(SC.a[0].picket_members, 2);
    assert_false(SC.a[0].spaced);
    span_equal(SC.a[1].ind_type, "url");
    span_equal(SC.a[1].ind_value, "http://x/A");
    span_equal(SC.a[1].flow[PK_FLOW_CID], NULL);
    /* the alert text is exactly the object, braces included */
    span_equal(SC.a[1].text,
               "{\"picket\":{\"indicator\":{\"value\":\"http://x/A\",\"type\":\"url\"}}}");
    print_message("two alerts read: seqs 41, 42; 9 spans checked\n");
}

static void test_members_any_order_and_types(void **state) {
    (void)state;
    /* "alert" before "seq", "alerts" before "type"; flow fields that are
     * not strings are not recorded; picket not an object: no picket. */
    static const char frame[] =
        "{\"alerts\":[{\"alert\":{\"src_ip\":17,\"dest_ip\":null,\"picket\":[1]},\"seq\":3}],"
        "\"type\":\"alerts\"}";
    assert_true(scan_s(frame));
    assert_int_equal(SC.n, 1);
    assert_int_equal(SC.a[0].seq, 3);
    span_equal(SC.a[0].flow[PK_FLOW_SRC], NULL);
    span_equal(SC.a[0].flow[PK_FLOW_DST], NULL);
    assert_null(SC.a[0].picket_close);
    span_equal(SC.a[0].ind_type, NULL);
}

/* ----------------------------------------------------------- stamping */

static void test_stamp_replaces_and_appends(void **state) {
    (void)state;
    /* picket.sensor present (replaced in place, even when not a string),
     * partner and alert_id absent (appended in that order). */
    static const char frame[] =
        "{\"type\":\"alerts\",\"alerts\":[{\"seq\":7,\"alert\":{\"a\":1,"
        "\"picket\":{\"sensor\":[\"x\",{\"y\":2}],\"field\":\"dns.query\"},\"z\":true}}]}";
    assert_true(scan_s(frame));
    stamped_equal(0, "UK",
                  "{\"a\":1,\"picket\":{\"sensor\":\"uk-01\",\"field\":\"dns.query\","
                  "\"partner\":\"UK\",\"alert_id\":\"uk-01:7\"},\"z\":true}");
}

static void test_stamp_empty_picket_spaced_and_escaped(void **state) {
    (void)state;
    /* Whitespace everywhere outside strings (kept inside them), an empty
     * picket object, and a value that needs escaping (quote, backslash,
     * a control byte). */
    static const char frame[] =
        " { \"type\" : \"alerts\" ,\n\t\"alerts\" : [ { \"seq\" : 7 , \"alert\" : "
        "{ \"msg\" : \"a b\" , \"picket\" : { } } } ] } \r\n";
    assert_true(scan_s(frame));
    assert_true(SC.a[0].spaced);
    assert_int_equal(SC.a[0].picket_members, 0);
    stamped_equal(0, "P \"q\" \\\x01",
                  "{\"msg\":\"a b\",\"picket\":{\"sensor\":\"uk-01\","
                  "\"partner\":\"P \\\"q\\\" \\\\\\u0001\",\"alert_id\":\"uk-01:7\"}}");
}

/* ----------------------------------------------- not for the fast path */

static void test_gives_up(void **state) {
    (void)state;
    static const struct {
        const char *why, *payload;
    } cases[] = {
        {"another message type", "{\"type\":\"stats\",\"counters\":{}}"},
        {"no alerts", "{\"type\":\"alerts\",\"alerts\":[]}"},
        {"alerts not an array", "{\"type\":\"alerts\",\"alerts\":{}}"},
        {"alert not an object", "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":[]}]}"},
        {"item without alert", "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1}]}"},
        {"seq 0", "{\"type\":\"alerts\",\"alerts\":[{\"seq\":0,\"alert\":{}}]}"},
        {"seq not rising",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":2,\"alert\":{}},{\"seq\":2,\"alert\":{}}]}"},
        {"seq above 2^53",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":9007199254740993,\"alert\":{}}]}"},
        {"seq with a fraction", "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1.0,\"alert\":{}}]}"},
        {"duplicate member",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"a\":1,\"a\":2}}]}"},
        {"escaped member name",
         "{\"ty\\u0070e\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{}}]}"},
        {"escaped indicator value (pk_wire_parse's tree reads it)",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"picket\":{\"indicator\":"
         "{\"type\":\"domain\",\"value\":\"a\\u002eb\"}}}}]}"},
        {"escaped exercise name (pk_wire_parse's tree reads it)",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"picket\":{"
         "\"exercise\":\"ex\\u0041\"}}}]}"},
        {"\\u0000 in a string",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"x\":\"\\u0000\"}}]}"},
        {"lone surrogate escape",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"x\":\"\\ud800\"}}]}"},
        {"number with exponent",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"x\":1e400}}]}"},
        {"leading zero", "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"x\":01}}]}"},
        {"raw tab in a string",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"x\":\"a\tb\"}}]}"},
        {"overlong UTF-8 (C0 AF)",
         "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"x\":\"\xc0\xaf\"}}]}"},
        {"trailing bytes", "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{}}]} x"},
        {"byte order mark", "\xef\xbb\xbf{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{}}]}"},
        {"cut short", "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{}}"},
        {"not an object", "[{\"type\":\"alerts\"}]"},
        {"empty", ""},
    };
    size_t n = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < n; i++)
        if (scan_s(cases[i].payload)) fail_msg("accepted: %s", cases[i].why);
    print_message("%zu payloads handed back to pk_wire_parse\n", n);
}

static void test_exercise(void **state) {
    (void)state;
    /* picket.exercise decides the key space: absent or null is live, a
     * name of 1-64 [A-Za-z0-9_.-] an exercise, anything else malformed
     * (the alert is skipped and counted, as on the JSON path). */
    static const struct {
        const char *member;               /* inside "picket":{...} */
        pk_traffic want;
        const char *name;
    } cases[] = {
        {"", PK_TRAFFIC_LIVE, NULL},
        {"\"exercise\":null", PK_TRAFFIC_LIVE, NULL},
        {"\"exercise\":\"Cyber-Shield_2026.1\"", PK_TRAFFIC_EXERCISE, "Cyber-Shield_2026.1"},
        {"\"exercise\" : \"x\"", PK_TRAFFIC_EXERCISE, "x"},
        {"\"exercise\":\"\"", PK_TRAFFIC_MALFORMED, NULL},
        {"\"exercise\":\"a b\"", PK_TRAFFIC_MALFORMED, NULL},
        {"\"exercise\":\"a:b\"", PK_TRAFFIC_MALFORMED, NULL},
        {"\"exercise\":\"\xc3\xa9t\xc3\xa9\"", PK_TRAFFIC_MALFORMED, NULL},
        {"\"exercise\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
         PK_TRAFFIC_MALFORMED, NULL},                                   /* 65 characters */
        {"\"exercise\":7", PK_TRAFFIC_MALFORMED, NULL},
        {"\"exercise\":false", PK_TRAFFIC_MALFORMED, NULL},
        {"\"exercise\":[\"x\"]", PK_TRAFFIC_MALFORMED, NULL},
        {"\"exercise\":{\"name\":\"x\"}", PK_TRAFFIC_MALFORMED, NULL},
    };
    size_t n = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < n; i++) {
        char frame[512];
        snprintf(frame, sizeof frame,
                 "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"picket\":{%s}}}]}",
                 cases[i].member);
        if (!scan_s(frame)) fail_msg("handed back: %s", frame);
        pk_span name;
        if (pk_scan_traffic(&SC.a[0], &name) != cases[i].want) fail_msg("traffic of %s", frame);
        span_equal(name, cases[i].name);
    }
    /* an "exercise" member outside picket is any other member */
    assert_true(scan_s("{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":"
                       "{\"exercise\":1,\"picket\":{}}}]}"));
    pk_span name;
    assert_int_equal(pk_scan_traffic(&SC.a[0], &name), PK_TRAFFIC_LIVE);
    print_message("%zu picket.exercise values classified\n", n + 1);
}

/* Builds {"type":"alerts","alerts":[{"seq":1,"alert":{"x":[[..]]}}]} with
 * the innermost array at the given depth (root 1, alerts 2, item 3,
 * alert 4). */
static char *nested(unsigned depth) {
    size_t cap = 128 + 2 * depth;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t o = (size_t)snprintf(s, cap, "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"x\":");
    for (unsigned d = 4; d < depth; d++) s[o++] = '[';
    for (unsigned d = 4; d < depth; d++) s[o++] = ']';
    memcpy(s + o, "}}]}", 5);
    return s;
}

static void test_limits(void **state) {
    (void)state;
    char *at = nested(PK_WIRE_MAX_DEPTH), *over = nested(PK_WIRE_MAX_DEPTH + 1);
    assert_true(scan_s(at));
    assert_false(scan_s(over));
    free(at);
    free(over);
    /* PK_WIRE_MAX_BATCH alerts taken, one more handed back */
    for (int extra = 0; extra <= 1; extra++) {
        size_t cap = 64 + 40 * (PK_WIRE_MAX_BATCH + 1), o = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        o += (size_t)snprintf(s + o, cap - o, "{\"type\":\"alerts\",\"alerts\":[");
        for (int i = 1; i <= PK_WIRE_MAX_BATCH + extra; i++)
            o += (size_t)snprintf(s + o, cap - o, "%s{\"seq\":%d,\"alert\":{}}", i > 1 ? "," : "", i);
        snprintf(s + o, cap - o, "]}");
        assert_int_equal(scan_s(s), extra == 0);
        if (!extra) assert_int_equal(SC.n, PK_WIRE_MAX_BATCH);
        free(s);
    }
    print_message("depth %d taken, %d handed back; %d alerts taken, %d handed back\n",
                  PK_WIRE_MAX_DEPTH, PK_WIRE_MAX_DEPTH + 1, PK_WIRE_MAX_BATCH,
                  PK_WIRE_MAX_BATCH + 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_alerts_compact),
        cmocka_unit_test(test_members_any_order_and_types),
        cmocka_unit_test(test_stamp_replaces_and_appends),
        cmocka_unit_test(test_stamp_empty_picket_spaced_and_escaped),
        cmocka_unit_test(test_exercise),
        cmocka_unit_test(test_gives_up),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
