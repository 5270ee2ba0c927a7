/* fuzz_alerts_scan.c - fuzzes the collector's alerts fast path
 * (collector/alerts_scan.h) against pk_wire_parse.
 *
 * Why: the scanner reads every "alerts" frame a sensor sends without a JSON
 * tree; it may give up on anything, but it must never accept a payload
 * pk_wire_parse refuses, nor read anything different from what the tree
 * holds, nor write past the bound it announces when stamping.
 *
 * Input: one frame payload (a JSON text, hostile or not).
 *
 * Checked: scan accepted => pk_wire_parse accepts it as "alerts"; the same
 * number of alerts and seqs; each alert's text parses to the tree's alert;
 * the picket object, indicator type/value and flow members are found
 * exactly when the tree has them (with equal bytes); the alert's traffic
 * (pk_scan_traffic) is what pk_exercise_of says of the tree, with the same
 * exercise name; the stamped text
 * (pk_scan_stamp) stays within pk_scan_stamp_max, is compact, and equals
 * the tree after json_object_set of picket.sensor/partner/alert_id.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "alerts_scan.h"
#include "fuzz_util.h"
#include "wire.h"

static bool span_is(pk_span s, json_t *v) {
    if (!json_is_string(v)) return s.p == NULL;
    return s.p && s.n == json_string_length(v) && memcmp(s.p, json_string_value(v), s.n) == 0;
}

/* No whitespace outside strings. */
static bool compact(const char *p, size_t n) {
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (esc) esc = false;
            else if (c == '\\') esc = true;
            else if (c == '"') in_str = false;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            return false;
        } else if (c == '"') {
            in_str = true;
        }
    }
    return true;
}

static void check_stamp(const pk_scan_alert *a, json_t *alert) {
    static const char *const values[PK_STAMP__COUNT] = {"sensor-1", "P \"q\" \\ \xc3\xa9",
                                                        "sensor-1:77"};
    size_t max = pk_scan_stamp_max(a, values);
    char *out = malloc(max + 1);
    FZ_CHECK(out != NULL);
    size_t n = pk_scan_stamp(a, values, out);
    FZ_CHECK(n <= max);
    json_t *want = json_deep_copy(alert), *pk = json_object_get(want, "picket");
    json_object_set_new(pk, "sensor", json_string(values[PK_STAMP_SENSOR]));
    json_object_set_new(pk, "partner", json_string(values[PK_STAMP_PARTNER]));
    json_object_set_new(pk, "alert_id", json_string(values[PK_STAMP_ID]));
    json_t *got = json_loadb(out, n, JSON_REJECT_DUPLICATES, NULL);
    FZ_CHECK(got != NULL && json_equal(got, want) && compact(out, n));
    json_decref(got);
    json_decref(want);
    free(out);
}

static void check_alert(const pk_scan_alert *a, json_t *item) {
    static const char *const flows[PK_FLOW__COUNT] = {"community_id", "src_ip", "dest_ip"};
    json_t *alert = json_object_get(item, "alert");
    FZ_CHECK(a->seq == json_integer_value(json_object_get(item, "seq")));
    json_t *text = json_loadb(a->text.p, a->text.n, JSON_REJECT_DUPLICATES, NULL);
    FZ_CHECK(text != NULL && json_equal(text, alert));
    json_decref(text);
    json_t *pk = json_object_get(alert, "picket");
    FZ_CHECK((a->picket_close != NULL) == json_is_object(pk));
    json_t *ind = json_is_object(pk) ? json_object_get(pk, "indicator") : NULL;
    if (!json_is_object(ind)) ind = NULL;
    FZ_CHECK(span_is(a->ind_type, ind ? json_object_get(ind, "type") : NULL));
    FZ_CHECK(span_is(a->ind_value, ind ? json_object_get(ind, "value") : NULL));
    for (int i = 0; i < PK_FLOW__COUNT; i++)
        FZ_CHECK(span_is(a->flow[i], json_object_get(alert, flows[i])));
    pk_span name;
    const char *tree_name;
    FZ_CHECK(pk_scan_traffic(a, &name) == pk_exercise_of(alert, &tree_name));
    FZ_CHECK(tree_name ? name.p && name.n == strlen(tree_name) &&
                             memcmp(name.p, tree_name, name.n) == 0
                       : name.p == NULL);
    if (json_is_object(pk)) check_stamp(a, alert);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static pk_scan sc;
    char *copy = (char *)fz_dup(data, size);
    char err[256];
    json_t *root = NULL;
    pk_wire_type t = pk_wire_parse(copy, size, &root, err, sizeof err);
    if (pk_alerts_scan(copy, size, &sc)) {
        if (t != PK_MSG_ALERTS) fprintf(stderr, "pk_wire_parse refused: %s\n", err);
        FZ_CHECK(t == PK_MSG_ALERTS);
        json_t *alerts = json_object_get(root, "alerts");
        FZ_CHECK(sc.n == json_array_size(alerts));
        for (size_t i = 0; i < sc.n; i++) check_alert(&sc.a[i], json_array_get(alerts, i));
    }
    json_decref(root);
    free(copy);
    return 0;
}
