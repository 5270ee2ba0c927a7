/* test_ind_push.c - who receives which indicator, and a partner's set cut
 * into "indicators" frames (common/ind_push.c), put back together by the
 * sensor's assembler (sensor/pushed.c).
 *
 * Why it exists: releasability is a promise partners rely on before they
 * share anything (TLP:RED stays with its owner; share_with is a closed
 * list), and a set split over frames must arrive whole or not at all.
 * Also measures a 10 000-indicator set: serialisation, one partner's view,
 * its size and frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ind_push.h"
#include "pushed.h"
#include "wire.h"

/* ---- releasability ---- */

static pk_indicator ind_of(const char *partner, pk_tlp tlp, const char *share) {
    return (pk_indicator){.value = "x.example", .type = PK_IND_DOMAIN, .partner = partner,
                          .tlp = (uint8_t)tlp, .share_with = share};
}

static void test_releasable(void **state) {
    (void)state;
    pk_indicator red_uk = ind_of("UK", PK_TLP_RED, NULL);
    assert_true(pk_ind_releasable(&red_uk, "UK"));
    assert_false(pk_ind_releasable(&red_uk, "JP"));
    assert_false(pk_ind_releasable(&red_uk, "uk"));          /* exact names */
    assert_false(pk_ind_releasable(&red_uk, ""));
    assert_false(pk_ind_releasable(&red_uk, NULL));
    pk_indicator red_none = ind_of(NULL, PK_TLP_RED, NULL);
    assert_false(pk_ind_releasable(&red_none, "UK"));
    assert_false(pk_ind_releasable(&red_none, ""));
    static const pk_tlp open[] = {PK_TLP_UNSET, PK_TLP_CLEAR, PK_TLP_GREEN, PK_TLP_AMBER,
                                  PK_TLP_AMBER_STRICT};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        pk_indicator o = ind_of("JP", open[i], NULL);
        assert_true(pk_ind_releasable(&o, "UK"));
        assert_true(pk_ind_releasable(&o, ""));
    }
    pk_indicator sw = ind_of("JP", PK_TLP_AMBER, "UK,US");
    assert_true(pk_ind_releasable(&sw, "UK"));
    assert_true(pk_ind_releasable(&sw, "US"));
    assert_true(pk_ind_releasable(&sw, "JP"));               /* the originator */
    assert_false(pk_ind_releasable(&sw, "FR"));
    assert_false(pk_ind_releasable(&sw, "U"));
    assert_false(pk_ind_releasable(&sw, "UK,US"));
    assert_false(pk_ind_releasable(&sw, ""));
    pk_indicator nobody = ind_of("JP", PK_TLP_GREEN, "");
    assert_true(pk_ind_releasable(&nobody, "JP"));
    assert_false(pk_ind_releasable(&nobody, "UK"));
    pk_indicator sw_red = ind_of("JP", PK_TLP_RED, "UK");
    assert_false(pk_ind_releasable(&sw_red, "UK"));          /* RED wins */
    pk_indicator sw_noorigin = ind_of(NULL, PK_TLP_AMBER, "UK");
    assert_true(pk_ind_releasable(&sw_noorigin, "UK"));
    assert_false(pk_ind_releasable(&sw_noorigin, "JP"));
}

/* ---- sets and frames ---- */

/* n indicators: every 5th RED of UK, every 7th shared with JP only. */
static void make_list(pk_ind_list *l, size_t n) {
    pk_ind_list_init(l);
    for (size_t i = 0; i < n; i++) {
        char v[64];
        snprintf(v, sizeof v, "host-%zu.evil.example", i);
        pk_indicator ind = {.value = v, .type = PK_IND_DOMAIN, .source = "feed",
                            .partner = i % 2 ? "UK" : "JP", .confidence = 70,
                            .tlp = i % 5 == 0 ? PK_TLP_RED : PK_TLP_AMBER,
                            .share_with = i % 7 == 0 ? "JP" : NULL,
                            .description = "a \"quoted\" description\\"};
        assert_non_null(pk_ind_list_add(l, &ind));
    }
}

/* Parses every frame, checks its envelope, returns the concatenated data. */
static char *check_frames(const pk_push_set *s, uint32_t limit, size_t *len) {
    size_t cap = s->data_len + 1, n = 0;
    char *all = malloc(cap);
    assert_non_null(all);
    for (size_t k = 0; k < s->nframes; k++) {
        const pk_push_frame *f = &s->frames[k];
        size_t flen = 0;
        assert_int_equal(pk_wire_frame_check(f->buf, f->len, limit, &flen), PK_FRAME_OK);
        assert_int_equal(flen, f->len);
        json_t *root = NULL;
        char err[256];
        pk_wire_type t = pk_wire_parse((const char *)f->buf + 4, f->len - 4, &root, err,
                                       sizeof err);
        if (t != PK_MSG_INDICATORS) fail_msg("frame %zu: %s", k, err);
        assert_string_equal(json_string_value(json_object_get(root, "version")), s->version);
        assert_string_equal(json_string_value(json_object_get(root, "format")), "picket-jsonl");
        json_t *part = json_object_get(root, "part");
        if (s->nframes == 1) {
            assert_null(part);
        } else {
            assert_int_equal(json_integer_value(part), k + 1);
            assert_int_equal(json_integer_value(json_object_get(root, "parts")), s->nframes);
        }
        json_t *data = json_object_get(root, "data");
        assert_true(n + json_string_length(data) <= s->data_len);
        memcpy(all + n, json_string_value(data), json_string_length(data));
        n += json_string_length(data);
        json_decref(root);
    }
    all[n] = '\0';
    *len = n;
    return all;
}

/* The text of the lines partner may receive, straight from the lines. */
static char *expected_text(const pk_push_lines *pl, const char *partner, size_t *len) {
    char *out = malloc(pl->len + 1);
    size_t n = 0;
    for (size_t i = 0; i < pl->n; i++) {
        if (!pk_ind_releasable(&pl->list->items[i], partner)) continue;
        size_t k = pl->off[i + 1] - pl->off[i];
        memcpy(out + n, pl->text + pl->off[i], k);
        n += k;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

static void check_partner(const pk_push_lines *pl, const char *partner, uint32_t limit) {
    pk_push_set *s = pk_push_set_build(pl, partner, limit);
    assert_non_null(s);
    size_t got_n = 0, want_n = 0;
    char *got = check_frames(s, limit, &got_n);
    char *want = expected_text(pl, partner, &want_n);
    assert_int_equal(got_n, want_n);
    assert_memory_equal(got, want, want_n);
    assert_int_equal(s->data_len, want_n);
    char v[PK_PUSH_VERSION_LEN + 1];
    pk_push_version(want, want_n, v);
    assert_string_equal(v, s->version);
    free(got);
    free(want);
    pk_push_set_free(s);
}

static void test_views_and_frames(void **state) {
    (void)state;
    pk_ind_list l;
    make_list(&l, 2000);
    pk_push_lines pl;
    assert_int_equal(pk_push_lines_build(&pl, &l), 0);
    assert_int_equal(pl.unwritable, 0);
    static const uint32_t limits[] = {1u << 20, 65536, 4096, 1024};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        check_partner(&pl, "UK", limits[i]);
        check_partner(&pl, "JP", limits[i]);
        check_partner(&pl, "FR", limits[i]);
        check_partner(&pl, "", limits[i]);
    }
    pk_push_set *uk = pk_push_set_build(&pl, "UK", 4096), *fr = pk_push_set_build(&pl, "FR", 4096);
    assert_true(uk->nframes > 1);
    assert_true(fr->count < uk->count);                      /* RED of UK, JP-only */
    assert_null(pk_push_set_build(&pl, "UK", 200));          /* no room at all */
    pk_push_set_free(uk);
    pk_push_set_free(fr);
    pk_push_lines_free(&pl);
    pk_ind_list_free(&l);
}

static void test_empty_set(void **state) {
    (void)state;
    pk_ind_list l;
    pk_ind_list_init(&l);
    pk_push_lines pl;
    assert_int_equal(pk_push_lines_build(&pl, &l), 0);
    pk_push_set *s = pk_push_set_build(&pl, "UK", 1u << 20);
    assert_int_equal(s->nframes, 1);
    assert_int_equal(s->count, 0);
    size_t n = 0;
    char *data = check_frames(s, 1u << 20, &n);
    assert_int_equal(n, 0);
    free(data);
    pk_push_set_free(s);
    pk_push_lines_free(&pl);
}

/* ---- the exact bytes on the wire ---- */

/* Partner JP's share of a two-indicator set, byte for byte: JP's AMBER
 * indicator goes, UK's TLP:RED does not. */
static const uint8_t k_jp_frame[] = {
    0x00, 0x00, 0x00, 0xab,   /* frame header: payload length 171, big-endian */
    /* the "indicators" message; no "part"/"parts": the set fits one frame */
    '{', '"', 't', 'y', 'p', 'e', '"', ':', '"', 'i', 'n', 'd', 'i', 'c', 'a', 't', 'o',
    'r', 's', '"', ',',
    /* version: the first 16 hex digits of SHA-256 of the data below */
    '"', 'v', 'e', 'r', 's', 'i', 'o', 'n', '"', ':', '"',
    '1', 'f', 'b', '8', 'f', 'e', '5', 'f', '0', '6', '7', '9', 'b', 'b', 'd', '2', '"', ',',
    '"', 'f', 'o', 'r', 'm', 'a', 't', '"', ':', '"', 'p', 'i', 'c', 'k', 'e', 't', '-',
    'j', 's', 'o', 'n', 'l', '"', ',',
    /* data: one picket-jsonl line (70 bytes: value first, unset members
     * left out, a final newline), escaped as a JSON string */
    '"', 'd', 'a', 't', 'a', '"', ':', '"',
    '{', '\\', '"', 'v', 'a', 'l', 'u', 'e', '\\', '"', ':', '\\', '"',
    'e', 'v', 'i', 'l', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '\\', '"', ',',
    '\\', '"', 't', 'y', 'p', 'e', '\\', '"', ':', '\\', '"', 'd', 'o', 'm', 'a', 'i', 'n',
    '\\', '"', ',',
    '\\', '"', 'p', 'a', 'r', 't', 'n', 'e', 'r', '\\', '"', ':', '\\', '"', 'J', 'P',
    '\\', '"', ',',
    '\\', '"', 't', 'l', 'p', '\\', '"', ':', '\\', '"', 'a', 'm', 'b', 'e', 'r', '\\', '"',
    '}', '\\', 'n', '"', '}',
};

/* The set as partner FR sees it once both indicators are RED (nothing is
 * FR's to receive): an empty data string, the version of no text. */
static const char k_empty_payload[] =
    "{\"type\":\"indicators\",\"version\":\"e3b0c44298fc1c14\"," /* SHA-256("") */
    "\"format\":\"picket-jsonl\",\"data\":\"\"}";

static pk_pushed_rc feed_frame(pk_pushed_asm *a, const pk_push_frame *f, char *err);

static void test_raw_frame(void **state) {
    (void)state;
    pk_ind_list l;
    pk_ind_list_init(&l);
    pk_indicator jp = {.value = "evil.example", .type = PK_IND_DOMAIN, .partner = "JP",
                       .tlp = PK_TLP_AMBER, .confidence = PK_CONFIDENCE_UNSET};
    pk_indicator uk = {.value = "198.51.100.7", .type = PK_IND_IPV4, .partner = "UK",
                       .tlp = PK_TLP_RED, .confidence = PK_CONFIDENCE_UNSET};
    assert_non_null(pk_ind_list_add(&l, &jp));
    assert_non_null(pk_ind_list_add(&l, &uk));
    pk_push_lines pl;
    assert_int_equal(pk_push_lines_build(&pl, &l), 0);
    pk_push_set *s = pk_push_set_build(&pl, "JP", PK_WIRE_MAX_FRAME);
    assert_non_null(s);
    assert_int_equal(s->nframes, 1);
    assert_int_equal(s->count, 1);
    assert_int_equal(s->data_len, 70);
    assert_int_equal(s->frames[0].len, sizeof k_jp_frame);
    assert_memory_equal(s->frames[0].buf, k_jp_frame, sizeof k_jp_frame);
    pk_push_set_free(s);
    /* the sensor's side decodes the fixture back to the one line */
    pk_pushed_asm a = {0};
    char err[160];
    pk_push_frame f = {(uint8_t *)k_jp_frame, sizeof k_jp_frame};
    assert_int_equal(feed_frame(&a, &f, err), PK_PUSHED_COMPLETE);
    assert_int_equal(a.len, 70);
    assert_memory_equal(a.buf, "{\"value\":\"evil.example\",\"type\":\"domain\","
                        "\"partner\":\"JP\",\"tlp\":\"amber\"}\n", 70);
    pk_pushed_asm_reset(&a);
    /* FR: UK's RED is not its to receive, JP's AMBER is */
    s = pk_push_set_build(&pl, "FR", PK_WIRE_MAX_FRAME);
    assert_int_equal(s->count, 1);
    pk_push_set_free(s);
    /* make JP's RED too: FR gets an empty set, still one whole frame */
    l.items[0].tlp = PK_TLP_RED;
    s = pk_push_set_build(&pl, "FR", PK_WIRE_MAX_FRAME);
    assert_int_equal(s->count, 0);
    assert_int_equal(s->frames[0].len, 4 + strlen(k_empty_payload));
    assert_memory_equal(s->frames[0].buf + 4, k_empty_payload, strlen(k_empty_payload));
    pk_push_set_free(s);
    pk_push_lines_free(&pl);
    pk_ind_list_free(&l);
    print_message("raw frames checked: JP 1 indicator in %zu bytes, FR 0 indicators\n",
                  sizeof k_jp_frame);
}

/* ---- the sensor's assembler ---- */

static pk_pushed_rc feed_frame(pk_pushed_asm *a, const pk_push_frame *f, char *err) {
    json_t *root = NULL;
    assert_int_equal(pk_wire_parse((const char *)f->buf + 4, f->len - 4, &root, err, 160),
                     PK_MSG_INDICATORS);
    pk_pushed_rc rc = pk_pushed_feed(a, root, err, 160);
    json_decref(root);
    return rc;
}

static void test_assembly(void **state) {
    (void)state;
    pk_ind_list l;
    make_list(&l, 3000);
    pk_push_lines pl;
    assert_int_equal(pk_push_lines_build(&pl, &l), 0);
    pk_push_set *s = pk_push_set_build(&pl, "UK", 8192);
    assert_true(s->nframes > 3);
    pk_pushed_asm a = {0};
    char err[160];
    /* in order: complete on the last part, with exactly the text */
    for (size_t k = 0; k + 1 < s->nframes; k++)
        assert_int_equal(feed_frame(&a, &s->frames[k], err), PK_PUSHED_PARTIAL);
    assert_int_equal(feed_frame(&a, &s->frames[s->nframes - 1], err), PK_PUSHED_COMPLETE);
    size_t wn = 0;
    char *want = expected_text(&pl, "UK", &wn);
    assert_int_equal(a.len, wn);
    assert_memory_equal(a.buf, want, wn);
    assert_string_equal(a.version, s->version);
    free(want);
    /* a part skipped: refused; the set starts again from part 1 */
    assert_int_equal(feed_frame(&a, &s->frames[0], err), PK_PUSHED_PARTIAL);
    assert_int_equal(feed_frame(&a, &s->frames[2], err), PK_PUSHED_REFUSED);
    assert_non_null(strstr(err, "out of sequence"));
    assert_int_equal(feed_frame(&a, &s->frames[1], err), PK_PUSHED_REFUSED);
    /* parts of another version in between: refused */
    pk_push_set *jp = pk_push_set_build(&pl, "JP", 8192);
    assert_int_equal(feed_frame(&a, &s->frames[0], err), PK_PUSHED_PARTIAL);
    assert_int_equal(feed_frame(&a, &jp->frames[1], err), PK_PUSHED_REFUSED);
    /* a new part 1 restarts cleanly */
    assert_int_equal(feed_frame(&a, &s->frames[0], err), PK_PUSHED_PARTIAL);
    for (size_t k = 0; k < jp->nframes; k++)
        assert_int_equal(feed_frame(&a, &jp->frames[k], err),
                         k + 1 < jp->nframes ? PK_PUSHED_PARTIAL : PK_PUSHED_COMPLETE);
    assert_string_equal(a.version, jp->version);
    pk_pushed_asm_reset(&a);
    pk_push_set_free(jp);
    pk_push_set_free(s);
    pk_push_lines_free(&pl);
    pk_ind_list_free(&l);
}

static void feed_text(pk_pushed_asm *a, const char *json, pk_pushed_rc want, const char *why) {
    json_t *root = NULL;
    char err[160];
    assert_int_equal(pk_wire_parse(json, strlen(json), &root, err, sizeof err),
                     PK_MSG_INDICATORS);
    assert_int_equal(pk_pushed_feed(a, root, err, sizeof err), want);
    if (why) assert_non_null(strstr(err, why));
    json_decref(root);
}

static void test_assembly_refusals(void **state) {
    (void)state;
    pk_pushed_asm a = {0};
    char v[PK_PUSH_VERSION_LEN + 1], msg[256];
    pk_push_version("x\n", 2, v);
    snprintf(msg, sizeof msg, "{\"type\":\"indicators\",\"version\":\"%s\",\"format\":"
             "\"picket-jsonl\",\"data\":\"x\\n\"}", v);
    feed_text(&a, msg, PK_PUSHED_COMPLETE, NULL);
    pk_pushed_asm_reset(&a);
    snprintf(msg, sizeof msg, "{\"type\":\"indicators\",\"version\":\"%s\",\"format\":"
             "\"picket-jsonl\",\"data\":\"y\\n\"}", v);
    feed_text(&a, msg, PK_PUSHED_REFUSED, "does not match");
    snprintf(msg, sizeof msg, "{\"type\":\"indicators\",\"version\":\"%s\",\"format\":"
             "\"stix\",\"data\":\"x\\n\"}", v);
    feed_text(&a, msg, PK_PUSHED_REFUSED, "format");
    feed_text(&a, "{\"type\":\"indicators\",\"version\":7,\"format\":\"picket-jsonl\","
                  "\"data\":\"\"}", PK_PUSHED_REFUSED, "version");
    feed_text(&a, "{\"type\":\"indicators\",\"version\":\"0123456789ABCDEF\",\"format\":"
                  "\"picket-jsonl\",\"data\":\"\"}", PK_PUSHED_REFUSED, "version");
    snprintf(msg, sizeof msg, "{\"type\":\"indicators\",\"version\":\"%s\",\"format\":"
             "\"picket-jsonl\",\"part\":2,\"parts\":2,\"data\":\"x\\n\"}", v);
    feed_text(&a, msg, PK_PUSHED_REFUSED, "out of sequence");
    pk_pushed_asm_reset(&a);
}

/* ---- how long, how big: 10 000 indicators ---- */

static double ms_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_measure_10k(void **state) {
    (void)state;
    pk_ind_list l;
    make_list(&l, 10000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pk_push_lines pl;
    assert_int_equal(pk_push_lines_build(&pl, &l), 0);
    double ser = ms_since(&t0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pk_push_set *s = pk_push_set_build(&pl, "UK", PK_WIRE_MAX_FRAME);
    double view = ms_since(&t0);
    assert_non_null(s);
    print_message("10000 indicators: serialised %zu bytes in %.1f ms; partner UK: %zu "
                  "indicators, %zu bytes in %zu frames, built in %.1f ms\n", pl.len, ser,
                  s->count, s->bytes, s->nframes, view);
    for (size_t k = 0; k < s->nframes; k++)
        assert_true(s->frames[k].len - 4 <= PK_WIRE_MAX_FRAME);
    pk_push_set_free(s);
    pk_push_lines_free(&pl);
    pk_ind_list_free(&l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_releasable),
        cmocka_unit_test(test_views_and_frames),
        cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_raw_frame),
        cmocka_unit_test(test_assembly),
        cmocka_unit_test(test_assembly_refusals),
        cmocka_unit_test(test_measure_10k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
