/* test_wire.c - frames and message validation of the sensor <-> collector
 * protocol (common/wire.c).
 *
 * Why it exists: both ends trust nothing but what pk_wire_parse accepted.
 * These tests pin down every rule: frame lengths and truncations, a 4 GiB
 * header, each message type's required members, number ranges (seq 0,
 * negative, 2^53, 2^60), wrong JSON types, nesting depth, invalid UTF-8,
 * duplicate members, and the reason tokens callers count by.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static pk_wire_type parse_s(const char *s, char *err, size_t errlen) {
    json_t *root = NULL;
    pk_wire_type t = pk_wire_parse(s, strlen(s), &root, err, errlen);
    if (t == PK_MSG_INVALID) assert_null(root);
    else assert_non_null(root);
    json_decref(root);
    return t;
}

/* Asserts s is rejected with a reason starting with token. */
static void rejects(const char *s, const char *token) {
    char err[256];
    pk_wire_type t = parse_s(s, err, sizeof err);
    if (t != PK_MSG_INVALID || strncmp(err, token, strlen(token)) != 0)
        fail_msg("%s: got type %d, err \"%s\", wanted %s", s, t, err, token);
}

static void accepts(const char *s, pk_wire_type want) {
    char err[256];
    pk_wire_type t = parse_s(s, err, sizeof err);
    if (t != want) fail_msg("%s: got type %d (%s), wanted %d", s, t, err, want);
}

/* ------------------------------------------------------------- frames */

static void test_frame_ok_and_truncations(void **state) {
    const char *payload = "{\"type\":\"ack\",\"seq\":7}";
    uint8_t buf[64];
    size_t n = strlen(payload), flen = 0;
    pk_wire_frame_header((uint32_t)n, buf);
    memcpy(buf + 4, payload, n);
    assert_int_equal(pk_wire_frame_check(buf, n + 4, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_OK);
    assert_int_equal(flen, n + 4);
    for (size_t cut = 0; cut < n + 4; cut++)
        assert_int_equal(pk_wire_frame_check(buf, cut, PK_WIRE_MAX_FRAME, &flen),
                         PK_FRAME_NEED_MORE);
    /* extra bytes after the frame belong to the next one */
    assert_int_equal(pk_wire_frame_check(buf, sizeof buf, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_OK);
    assert_int_equal(flen, n + 4);
}

static void test_frame_limits(void **state) {
    uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
    size_t flen = 99;
    assert_int_equal(pk_wire_frame_check(huge, 4, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_TOO_LARGE);
    assert_int_equal(flen, 99);
    uint8_t hdr[4];
    pk_wire_frame_header(PK_WIRE_MAX_FRAME, hdr);
    assert_int_equal(pk_wire_frame_check(hdr, 4, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_NEED_MORE);
    pk_wire_frame_header(PK_WIRE_MAX_FRAME + 1, hdr);
    assert_int_equal(pk_wire_frame_check(hdr, 4, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_TOO_LARGE);
    pk_wire_frame_header(0, hdr);
    assert_int_equal(pk_wire_frame_check(hdr, 4, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_OK);
    assert_int_equal(flen, 4);
    assert_int_equal(pk_wire_frame_check(NULL, 0, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_NEED_MORE);
}

static void test_frame_header_bytes(void **state) {
    uint8_t hdr[4];
    pk_wire_frame_header(0x01020304u, hdr);
    assert_int_equal(hdr[0], 1);
    assert_int_equal(hdr[1], 2);
    assert_int_equal(hdr[2], 3);
    assert_int_equal(hdr[3], 4);
}

static void test_encode_roundtrip(void **state) {
    json_t *m = json_pack("{s:s, s:I}", "type", "ack", "seq", (json_int_t)42);
    size_t n = 0, flen = 0;
    uint8_t *buf = pk_wire_encode(m, PK_WIRE_MAX_FRAME, &n);
    assert_non_null(buf);
    assert_int_equal(pk_wire_frame_check(buf, n, PK_WIRE_MAX_FRAME, &flen), PK_FRAME_OK);
    assert_int_equal(flen, n);
    json_t *root = NULL;
    char err[128];
    assert_int_equal(pk_wire_parse((char *)buf + 4, n - 4, &root, err, sizeof err), PK_MSG_ACK);
    assert_int_equal(json_integer_value(json_object_get(root, "seq")), 42);
    json_decref(root);
    free(buf);
    assert_null(pk_wire_encode(m, 10, &n));          /* over the limit */
    json_decref(m);
    json_t *arr = json_array();
    assert_null(pk_wire_encode(arr, PK_WIRE_MAX_FRAME, &n));   /* not an object */
    json_decref(arr);
}

/* ----------------------------------------------------------- messages */

static void test_valid_messages(void **state) {
    accepts("{\"type\":\"hello\",\"sensor\":\"uk-dco-01\",\"version\":\"0.1.0\",\"last_acked\":0}",
            PK_MSG_HELLO);
    accepts("{\"type\":\"hello\",\"sensor\":\"s\"}", PK_MSG_HELLO);
    accepts("{\"type\":\"welcome\",\"applied\":9007199254740992,\"collector\":\"c\"}",
            PK_MSG_WELCOME);
    accepts("{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{}},{\"seq\":5,\"alert\":"
            "{\"picket\":{}}}]}", PK_MSG_ALERTS);
    accepts("{\"type\":\"ack\",\"seq\":9007199254740992}", PK_MSG_ACK);
    accepts("{\"type\":\"stats\",\"counters\":{\"dns.parsed\":12,\"x\":0}}", PK_MSG_STATS);
    accepts("{\"type\":\"indicators\",\"version\":\"ab12\",\"format\":\"plain\",\"data\":\"x\"}",
            PK_MSG_INDICATORS);
    accepts("{\"type\":\"indicators\",\"version\":3,\"format\":\"stix\",\"data\":\"\"}",
            PK_MSG_INDICATORS);
    accepts("{\"type\":\"error\",\"reason\":\"no\"}", PK_MSG_ERROR);
    accepts("{\"type\":\"ack\",\"seq\":1,\"future_member\":[1,2]}", PK_MSG_ACK);
}

static void test_every_truncation_rejected(void **state) {
    const char *msg = "{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":{\"picket\":"
                      "{\"indicator\":{\"value\":\"\xc3\xa9vil.example\",\"type\":\"domain\"}}}}]}";
    size_t n = strlen(msg);
    char err[256];
    for (size_t cut = 0; cut < n; cut++) {
        json_t *root = NULL;
        pk_wire_type t = pk_wire_parse(msg, cut, &root, err, sizeof err);
        if (t != PK_MSG_INVALID) fail_msg("prefix of %zu bytes accepted", cut);
        assert_null(root);
    }
    accepts(msg, PK_MSG_ALERTS);
}

static void test_seq_ranges(void **state) {
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":0,\"alert\":{}}]}", "out_of_range");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":-1,\"alert\":{}}]}", "out_of_range");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":1152921504606846976,\"alert\":{}}]}",
            "out_of_range");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":9007199254740993,\"alert\":{}}]}",
            "out_of_range");
    accepts("{\"type\":\"alerts\",\"alerts\":[{\"seq\":9007199254740992,\"alert\":{}}]}",
            PK_MSG_ALERTS);
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":99999999999999999999999,\"alert\":{}}]}",
            "bad_json");
    rejects("{\"type\":\"ack\",\"seq\":0}", "out_of_range");
    rejects("{\"type\":\"hello\",\"sensor\":\"s\",\"last_acked\":-1}", "out_of_range");
    rejects("{\"type\":\"welcome\",\"applied\":-3}", "out_of_range");
    rejects("{\"type\":\"stats\",\"counters\":{\"a\":-1}}", "bad_member");
}

static void test_seq_order(void **state) {
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":5,\"alert\":{}},{\"seq\":5,\"alert\":{}}]}",
            "bad_order");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":5,\"alert\":{}},{\"seq\":4,\"alert\":{}}]}",
            "bad_order");
}

static void test_wrong_types(void **state) {
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":\"1\",\"alert\":{}}]}", "bad_member");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":1.0,\"alert\":{}}]}", "bad_member");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":true,\"alert\":{}}]}", "bad_member");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":1,\"alert\":[]}]}", "bad_member");
    rejects("{\"type\":\"alerts\",\"alerts\":[{\"seq\":1}]}", "bad_member");
    rejects("{\"type\":\"alerts\",\"alerts\":[7]}", "bad_member");
    rejects("{\"type\":\"alerts\",\"alerts\":{}}", "bad_member");
    rejects("{\"type\":\"alerts\"}", "bad_member");
    rejects("{\"type\":\"alerts\",\"alerts\":[]}", "out_of_range");
    rejects("{\"type\":\"hello\",\"sensor\":5}", "bad_member");
    rejects("{\"type\":\"hello\",\"sensor\":\"\"}", "out_of_range");
    rejects("{\"type\":\"hello\"}", "bad_member");
    rejects("{\"type\":\"hello\",\"sensor\":\"s\",\"version\":[]}", "bad_member");
    rejects("{\"type\":\"hello\",\"sensor\":\"a\\u0000b\"}", "bad_json");   /* no NULs */
    rejects("{\"type\":\"ack\",\"seq\":null}", "bad_member");
    rejects("{\"type\":\"stats\",\"counters\":[]}", "bad_member");
    rejects("{\"type\":\"stats\",\"counters\":{\"a\":\"1\"}}", "bad_member");
    rejects("{\"type\":\"indicators\",\"version\":\"1\",\"format\":\"plain\"}", "bad_member");
    rejects("{\"type\":\"error\"}", "bad_member");
    rejects("{\"type\":7}", "no_type");
    rejects("{\"seq\":1}", "no_type");
    rejects("{\"type\":\"gimme\"}", "unknown_type");
    rejects("[1,2]", "not_object");
    rejects("\"hello\"", "bad_json");        /* jansson wants an object or array */
}

static void test_batch_size(void **state) {
    size_t cap = 64 + (PK_WIRE_MAX_BATCH + 1) * 32;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t off = (size_t)snprintf(s, cap, "{\"type\":\"alerts\",\"alerts\":[");
    for (int i = 1; i <= PK_WIRE_MAX_BATCH + 1; i++)
        off += (size_t)snprintf(s + off, cap - off, "%s{\"seq\":%d,\"alert\":{}}",
                                i > 1 ? "," : "", i);
    snprintf(s + off, cap - off, "]}");
    rejects(s, "out_of_range");
    free(s);
}

static char *nested(int depth) {
    char *s = malloc((size_t)depth * 2 + 64);
    size_t off = (size_t)sprintf(s, "{\"type\":\"ack\",\"seq\":1,\"x\":");
    for (int i = 0; i < depth - 1; i++) s[off++] = '[';
    for (int i = 0; i < depth - 1; i++) s[off++] = ']';
    strcpy(s + off, "}");
    return s;
}

static void test_depth(void **state) {
    char *ok = nested(PK_WIRE_MAX_DEPTH);
    accepts(ok, PK_MSG_ACK);
    free(ok);
    char *deep = nested(PK_WIRE_MAX_DEPTH + 1);
    rejects(deep, "too_deep");
    free(deep);
    char *abyss = nested(100000);
    rejects(abyss, "too_deep");
    free(abyss);
    /* brackets inside strings are not nesting */
    accepts("{\"type\":\"error\",\"reason\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}",
            PK_MSG_ERROR);
}

static void test_utf8(void **state) {
    rejects("{\"type\":\"error\",\"reason\":\"\xc3\x28\"}", "bad_utf8");           /* bad cont. */
    rejects("{\"type\":\"error\",\"reason\":\"\xc0\x80\"}", "bad_utf8");           /* overlong */
    rejects("{\"type\":\"error\",\"reason\":\"\xe0\x80\xaf\"}", "bad_utf8");       /* overlong */
    rejects("{\"type\":\"error\",\"reason\":\"\xed\xa0\x80\"}", "bad_utf8");       /* surrogate */
    rejects("{\"type\":\"error\",\"reason\":\"\xf4\x90\x80\x80\"}", "bad_utf8");   /* > 10FFFF */
    rejects("{\"type\":\"error\",\"reason\":\"\xf5\x80\x80\x80\"}", "bad_utf8");
    rejects("{\"type\":\"error\",\"reason\":\"\xff\"}", "bad_utf8");
    rejects("{\"type\":\"error\",\"reason\":\"\xe2\x82\"}", "bad_utf8");           /* truncated */
    accepts("{\"type\":\"error\",\"reason\":\"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\"}",
            PK_MSG_ERROR);
    char err[128];
    const char nul[] = "{\"type\":\"error\",\"reason\":\"a\0b\"}";
    assert_int_equal(pk_wire_parse(nul, sizeof nul - 1, NULL, err, sizeof err), PK_MSG_INVALID);
    assert_string_equal(strtok(err, ":"), "bad_utf8");
}

static void test_hostile_json(void **state) {
    rejects("", "empty");
    rejects("{\"type\":\"ack\",\"seq\":1,\"seq\":2}", "bad_json");       /* duplicate member */
    rejects("{\"type\":\"ack\",\"seq\":1} trailing", "bad_json");
    rejects("{\"type\":\"ack\",\"seq\":1", "bad_json");
    rejects("\xef\xbb\xbf{\"type\":\"ack\",\"seq\":1}", "bad_json");       /* BOM */
    rejects("{'type':'ack'}", "bad_json");
    rejects("{\"type\":\"ack\",\"seq\":NaN}", "bad_json");
    char err[64];
    assert_int_equal(pk_wire_parse(NULL, 0, NULL, err, sizeof err), PK_MSG_INVALID);
    /* a tiny error buffer is still terminated */
    char tiny[4];
    assert_int_equal(pk_wire_parse("[", 1, NULL, tiny, sizeof tiny), PK_MSG_INVALID);
    assert_int_equal(strlen(tiny), 3);
}

/* An indicator set split over frames: "part"/"parts" both or neither,
 * 1 <= part <= parts <= PK_WIRE_MAX_PARTS, integers. */
static void test_indicator_parts(void **state) {
#define IND_HEAD "{\"type\":\"indicators\",\"version\":\"0123456789abcdef\"," \
                 "\"format\":\"picket-jsonl\",\"data\":\"x\""
    accepts(IND_HEAD "}", PK_MSG_INDICATORS);
    accepts(IND_HEAD ",\"part\":1,\"parts\":1}", PK_MSG_INDICATORS);
    accepts(IND_HEAD ",\"part\":3,\"parts\":3}", PK_MSG_INDICATORS);
    accepts(IND_HEAD ",\"parts\":1024,\"part\":1024}", PK_MSG_INDICATORS);
    rejects(IND_HEAD ",\"part\":1}", "bad_member");
    rejects(IND_HEAD ",\"parts\":2}", "bad_member");
    rejects(IND_HEAD ",\"part\":0,\"parts\":2}", "out_of_range");
    rejects(IND_HEAD ",\"part\":3,\"parts\":2}", "out_of_range");
    rejects(IND_HEAD ",\"part\":-1,\"parts\":2}", "out_of_range");
    rejects(IND_HEAD ",\"part\":1,\"parts\":0}", "out_of_range");
    rejects(IND_HEAD ",\"part\":1,\"parts\":1025}", "out_of_range");
    rejects(IND_HEAD ",\"part\":1,\"parts\":4294967297}", "out_of_range");
    rejects(IND_HEAD ",\"part\":\"1\",\"parts\":2}", "bad_member");
    rejects(IND_HEAD ",\"part\":1,\"parts\":2.0}", "bad_member");
    rejects(IND_HEAD ",\"part\":null,\"parts\":2}", "bad_member");
    rejects(IND_HEAD ",\"part\":1,\"parts\":2,\"part\":2}", "bad_json");
#undef IND_HEAD
}

static void test_type_names(void **state) {
    assert_string_equal(pk_wire_type_name(PK_MSG_HELLO), "hello");
    assert_string_equal(pk_wire_type_name(PK_MSG_ALERTS), "alerts");
    assert_string_equal(pk_wire_type_name(PK_MSG_INDICATORS), "indicators");
    assert_string_equal(pk_wire_type_name(PK_MSG_INVALID), "invalid");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_ok_and_truncations),
        cmocka_unit_test(test_frame_limits),
        cmocka_unit_test(test_frame_header_bytes),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_valid_messages),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_seq_ranges),
        cmocka_unit_test(test_seq_order),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_batch_size),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_hostile_json),
        cmocka_unit_test(test_indicator_parts),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
