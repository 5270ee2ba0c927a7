/* test_ind_jsonl.c - picket-jsonl, the serialisation of pushed indicator
 * sets (common/ind_jsonl.c).
 *
 * Why it exists: a pushed set must come back exactly as it was written
 * (partner and share_with decide who may receive it, tlp and confidence
 * the alert's severity) and the reader faces bytes from the network and
 * from disk. Pinned down here: a round trip of every field, of sets the
 * partner-format loaders produced, every kind of bad line with its line
 * number, expiry, and hostile input (nesting, huge lines, truncation at
 * every length, a mutation sweep), and the line parser against jansson on
 * the same mutated lines (strict JSON either way, the same strings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#define IND_TEST_NAME "pushed.jsonl"
#include "ind_jsonl.h"
#include "ind_jsonl_int.h"
#include "ind_test_util.h"

/* ---- helpers ---- */

/* Every indicator of l as picket-jsonl text (malloc'd). */
static char *write_all(const pk_ind_list *l, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (size_t i = 0; i < l->n; i++) {
        size_t k = pk_ind_jsonl_write(&l->items[i], out + n, cap - n);
        while (k >= cap - n) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
            k = pk_ind_jsonl_write(&l->items[i], out + n, cap - n);
        }
        assert_true(k > 0);
        n += k;
        out[n++] = '\n';
    }
    *len = n;
    return out;
}

static loaded *read_jsonl(const char *text, size_t n) {
    loaded *x = loaded_new();
    x->rc = pk_ind_jsonl_load(&x->l, IND_TEST_NAME, text, n, NOW, &x->rep);
    return x;
}

static void same_str(const char *what, const char *a, const char *b) {
    if (!a && !b) return;
    if (!a || !b || strcmp(a, b) != 0)
        fail_msg("%s: '%s' != '%s'", what, a ? a : "(null)", b ? b : "(null)");
}

static void same_indicator(const pk_indicator *a, const pk_indicator *b) {
    same_str("value", a->value, b->value);
    same_str("source", a->source, b->source);
    same_str("partner", a->partner, b->partner);
    same_str("id", a->id, b->id);
    same_str("description", a->description, b->description);
    same_str("share_with", a->share_with, b->share_with);
    same_str("extra", a->extra, b->extra);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->tlp, b->tlp);
    assert_int_equal(a->confidence, b->confidence);
    assert_int_equal(a->expires, b->expires);
    assert_int_equal(a->port, b->port);
    assert_int_equal(a->proto, b->proto);
    assert_int_equal(a->family, b->family);
    assert_int_equal(a->prefix_len, b->prefix_len);
    assert_memory_equal(a->addr, b->addr, sizeof a->addr);
}

/* Writes x's list, reads it back, and compares item by item. */
static void round_trip(const loaded *x) {
    size_t n = 0;
    char *text = write_all(&x->l, &n);
    loaded *y = read_jsonl(text, n);
    assert_int_equal(y->rc, 0);
    assert_int_equal(y->rep.skipped, 0);
    assert_int_equal(y->l.n, x->l.n);
    for (size_t i = 0; i < x->l.n; i++) same_indicator(&x->l.items[i], &y->l.items[i]);
    done(y);
    free(text);
}

static pk_indicator make(pk_ind_type t, const char *v, char *buf, size_t cap) {
    pk_indicator ind = {.confidence = PK_CONFIDENCE_UNSET};
    assert_int_equal(pk_ind_set_value(&ind, t, v, strlen(v), buf, cap, NULL), 0);
    return ind;
}

/* ---- round trips ---- */

static void test_round_trip_every_field(void **state) {
    (void)state;
    char b[8][PK_IND_VALUE_MAX + 1];
    pk_indicator ind[8] = {
        make(PK_IND_DOMAIN, "evil.example", b[0], sizeof b[0]),
        make(PK_IND_CIDR, "2001:db8:1::/48", b[1], sizeof b[1]),
        make(PK_IND_IPV4, "192.0.2.7", b[2], sizeof b[2]),
        make(PK_IND_URL, "http://Evil.Example/a?q=\"x\"\\y", b[3], sizeof b[3]),
        make(PK_IND_JA3, "ada70206e40642a3e4461f35503241d5", b[4], sizeof b[4]),
        make(PK_IND_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", b[5], sizeof b[5]),
        make(PK_IND_SNI, "sni.example", b[6], sizeof b[6]),
        make(PK_IND_HTTP_HOST, "host.example", b[7], sizeof b[7]),
    };
    ind[0] = (pk_indicator){.value = ind[0].value, .type = ind[0].type, .source = "uk-feed",
                            .partner = "UK", .id = "indicator--0d9c1a8c-6a4f-4c3e-9c1b-2f0d",
                            .description = "C2 \"beacon\"\tline\nbreak \xc3\xa9\x01",
                            .share_with = "JP,US", .extra = "{\"campaign\":\"x\",\"n\":3}",
                            .expires = 4102444800, .port = 443, .proto = 6,
                            .tlp = PK_TLP_AMBER_STRICT, .confidence = 0};
    ind[1].tlp = PK_TLP_RED;
    ind[1].partner = "JP";
    ind[1].share_with = "";                     /* nobody but the originator */
    ind[2].confidence = 100;
    ind[2].tlp = PK_TLP_CLEAR;
    ind[3].tlp = PK_TLP_GREEN;
    ind[4].tlp = PK_TLP_AMBER;
    ind[5].proto = 17;
    loaded *x = loaded_new();
    for (size_t i = 0; i < 8; i++) assert_non_null(pk_ind_list_add(&x->l, &ind[i]));
    round_trip(x);
    /* The generic loader recognises the format by content. */
    size_t n = 0;
    char *text = write_all(&x->l, &n);
    loaded *y = load_n(text, n);
    assert_int_equal(y->rc, 0);
    expect_counts(y, (ind_counts){PK_FMT_JSONL, 8, 0, 0, 0, 0});
    assert_string_equal(pk_ind_format_name(y->rep.format), "picket-jsonl");
    assert_null(find(y, "sni.example")->share_with);
    assert_string_equal(find(y, "2001:db8:1::/48")->share_with, "");
    assert_null(find(y, "sni.example")->source);     /* the file's own sources only */
    free(text);
    done(y);
    done(x);
}

/* Whatever the partner-format loaders produce survives a round trip. */
static void test_round_trip_sample_files(void **state) {
    (void)state;
    static const char *files[] = {"coalition.stix.json", "partner-jp.intel",
                                  "blocklist.txt", "iprep.csv"};
    const char *src = getenv("PICKET_SRC");
    if (!src) skip();
    size_t total = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/rules/%s", src, files[i]);
        loaded *x = load_path(path, NOW);
        if (x->rc != 0) fail_msg("%s", x->rep.error);
        round_trip(x);
        total += x->l.n;
        done(x);
    }
    assert_true(total > 0);
}

/* ---- bad lines ---- */

static void test_malformed_lines(void **state) {
    (void)state;
    loaded *x = load(
        "{\"value\":\"ok1.example\",\"type\":\"domain\"}\n"                      /* 1 */
        "{\"value\":\"a.example\",\"type\":\"domain\"\n"                         /* 2 */
        "[\"value\",\"x\"]\n"                                                    /* 3 */
        "{\"type\":\"domain\"}\n"                                                /* 4 */
        "{\"value\":\"b.example\"}\n"                                            /* 5 */
        "{\"value\":\"b.example\",\"type\":\"hostname\"}\n"                      /* 6 */
        "{\"value\":\"300.1.1.1\",\"type\":\"ipv4\"}\n"                          /* 7 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"tlp\":\"purple\"}\n"     /* 8 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"confidence\":101}\n"     /* 9 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"confidence\":\"80\"}\n"  /* 10 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"expires\":-1}\n"         /* 11 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"port\":70000}\n"         /* 12 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"proto\":256}\n"          /* 13 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"extra\":\"[1]\"}\n"      /* 14 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"type\":\"sni\"}\n"       /* 15 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"source\":7}\n"           /* 16 */
        "{\"value\":\"c\\u0000.example\",\"type\":\"domain\"}\n"                 /* 17 */
        "{\"value\":\"\xff.example\",\"type\":\"domain\"}\n"                     /* 18 */
        "\n"                                                                     /* 19 */
        "   \n"                                                                  /* 20 */
        "{\"value\":\"ok2.example\",\"type\":\"domain\",\"future\":[1,{}]}\n"    /* 21 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"share_with\":[\"JP\"]}\n" /* 22 */
        "{\"value\":\"c.example\",\"type\":\"domain\",\"confidence\":1.5}\n"     /* 23 */
        "# a comment\n"                                                          /* 24 */
        "{\"value\":\"ok3.example\",\"type\":\"DOMAIN\",\"tlp\":\"TLP:RED\"}");  /* 25 */
    assert_int_equal(x->rc, 0);
    expect_counts(x, (ind_counts){PK_FMT_JSONL, 3, 20, 0, 0, 0});
    expect_issues(x, {2, "not a JSON object"}, {3, "not a JSON object"},
                  {4, "missing \"value\""}, {5, "missing \"type\""},
                  {6, "unknown type 'hostname'"}, {7, "300.1.1.1"}, {8, "purple"},
                  {9, "\"confidence\" = 101"}, {10, "\"confidence\" is not an integer"},
                  {11, "\"expires\" = -1"}, {12, "\"port\" = 70000"}, {13, "\"proto\" = 256"},
                  {14, "\"extra\" is not a JSON object"}, {15, "not a JSON object"},
                  {16, "\"source\" is not a string"}, {17, "not a JSON object"},
                  {18, "invalid UTF-8"}, {22, "\"share_with\" is not a string"},
                  {23, "\"confidence\" is not an integer"}, {24, "not a JSON object"});
    assert_int_equal(find(x, "ok3.example")->tlp, PK_TLP_RED);
    assert_non_null(find(x, "ok2.example"));
    done(x);
}

static void test_limits_and_expiry(void **state) {
    (void)state;
    char label[300], desc[1200], line[4096];
    memset(label, 'p', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    memset(desc, 'd', sizeof desc - 1);
    desc[sizeof desc - 1] = '\0';
    snprintf(line, sizeof line,
             "{\"value\":\"a.example\",\"type\":\"domain\",\"partner\":\"%s\"}\n"
             "{\"value\":\"b.example\",\"type\":\"domain\",\"description\":\"%s\"}\n"
             "{\"value\":\"c.example\",\"type\":\"domain\",\"expires\":%d}\n"
             "{\"value\":\"d.example\",\"type\":\"domain\",\"expires\":%d}\n"
             "{\"value\":\"e.example\",\"type\":\"domain\",\"share_with\":\" UK , ,JP \"}\n",
             label, desc, NOW, NOW + 1);
    loaded *x = load(line);
    expect_counts(x, (ind_counts){PK_FMT_JSONL, 3, 1, 0, 1, 0});
    expect_issues(x, {1, "\"partner\" is longer than 256 bytes"});
    assert_int_equal(strlen(find(x, "b.example")->description), 1024);   /* cut */
    assert_null(find(x, "c.example"));                                      /* expired */
    assert_int_equal(find(x, "d.example")->expires, NOW + 1);
    assert_string_equal(find(x, "e.example")->share_with, "UK,JP");
    done(x);
}

static void test_writer_refuses(void **state) {
    (void)state;
    char buf[64], big[4096];
    pk_indicator none = {.confidence = PK_CONFIDENCE_UNSET};
    assert_int_equal(pk_ind_jsonl_write(&none, big, sizeof big), 0);
    pk_indicator bad_type = {.value = "x.example", .type = PK_IND__COUNT};
    assert_int_equal(pk_ind_jsonl_write(&bad_type, big, sizeof big), 0);
    pk_indicator bad_utf8 = {.value = "x.example", .type = PK_IND_DOMAIN,
                             .description = "\xc3("};
    assert_int_equal(pk_ind_jsonl_write(&bad_utf8, big, sizeof big), 0);
    pk_indicator ok = {.value = "x.example", .type = PK_IND_DOMAIN, .source = "s",
                       .confidence = PK_CONFIDENCE_UNSET};
    size_t need = pk_ind_jsonl_write(&ok, big, sizeof big);
    assert_string_equal(big, "{\"value\":\"x.example\",\"type\":\"domain\",\"source\":\"s\"}");
    assert_int_equal(need, strlen(big));
    assert_int_equal(pk_ind_jsonl_write(&ok, buf, 10), need);   /* too small: the size */
}

/* ---- hostile input ---- */

static void test_hostile_lines(void **state) {
    (void)state;
    size_t n = 100000 + PK_JSONL_MAX_LINE + 4096;
    char *text = malloc(n + 1);
    assert_non_null(text);
    /* nesting far beyond any parser's comfort, within the line limit */
    size_t k = 0;
    k += (size_t)sprintf(text, "{\"value\":\"a.example\",\"type\":\"domain\",\"x\":");
    while (k < 100000) text[k++] = '[';
    text[k++] = '\n';
    /* one line over the limit */
    memcpy(text + k, "{\"value\":\"", 10);
    k += 10;
    while (k < n - 4) text[k++] = 'a';
    memcpy(text + k, "\"}\n", 3);
    k += 3;
    text[k] = '\0';
    loaded *x = load_n(text, k);
    assert_int_equal(x->rc, 0);
    expect_counts(x, (ind_counts){PK_FMT_JSONL, 0, 2, 0, 0, 0});
    expect_issues(x, {1, "not a JSON object"}, {2, "line longer than"});
    done(x);
    free(text);
}

static const char sample[] =
    "{\"value\":\"evil.example\",\"type\":\"domain\",\"source\":\"uk\",\"partner\":\"UK\","
    "\"tlp\":\"amber\",\"confidence\":80,\"share_with\":\"JP\",\"extra\":\"{\\\"a\\\":1}\"}\n"
    "{\"value\":\"192.0.2.0/24\",\"type\":\"cidr\",\"tlp\":\"red\",\"partner\":\"JP\"}\n"
    "{\"value\":\"evil.example/x?y\",\"type\":\"url\",\"port\":8080,\"proto\":6}\n";

/* Every prefix of a valid text: no crash, never more than it holds. */
static void test_truncation_every_length(void **state) {
    (void)state;
    size_t n = strlen(sample);
    for (size_t i = 0; i <= n; i++) {
        char *copy = malloc(i ? i : 1);
        memcpy(copy, sample, i);
        loaded *x = read_jsonl(copy, i);
        assert_int_equal(x->rc, 0);
        assert_true(x->l.n <= 3);
        assert_int_equal(x->rep.loaded + x->rep.skipped <= 3, 1);
        done(x);
        free(copy);
    }
}

/* Random byte changes: every line is loaded or reported, nothing else. */
static void test_mutation_sweep(void **state) {
    (void)state;
    size_t n = strlen(sample);
    uint64_t rng = 0x9e3779b97f4a7c15ull, loaded_total = 0, skipped_total = 0;
    char *buf = malloc(n);
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, sample, n);
        for (int m = 0; m < 1 + round % 4; m++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            buf[rng % n] = (char)(rng >> 32);
        }
        loaded *x = read_jsonl(buf, n);
        assert_int_equal(x->rc, 0);
        assert_true(x->rep.loaded == x->l.n && x->l.n <= 6);
        loaded_total += x->rep.loaded;
        skipped_total += x->rep.skipped;
        done(x);
    }
    free(buf);
    print_message("mutation sweep: 20000 texts, %llu lines loaded, %llu reported\n",
                  (unsigned long long)loaded_total, (unsigned long long)skipped_total);
}

/* The in-place parser and jansson agree on what is JSON, and on the
 * strings, over escapes, surrogates and random mutations. */
static const char *const diff_lines[] = {
    "{\"value\":\"a\\u00e9\\ud83d\\ude00\\n\\\"\\/\\\\\\b\\f\\r\\t\",\"type\":\"domain\"}",
    "{ \"type\" : \"url\" , \"value\" : \"x.example/\\u0041\" , \"port\" : -0 , \"x\":[1,2.5e-3,"
    "{\"a\":[true,false,null]},\"s\"] }",
    "{\"value\":\"\\ud800\",\"type\":\"domain\"}",
    "{\"value\":\"\\udc00x\",\"type\":\"domain\"}",
    "{\"value\":\"x\",\"confidence\":01}",
    "{\"value\":\"x\",\"confidence\":1.}",
    "{\"value\":\"x\",\"confidence\":.5}",
    "{\"value\":\"x\",}",
    "{\"value\":\"x\"} {}",
    "{\"value\":\"x\\q\"}",
    "{\"value\":\"x\\u12\"}",
    "{\"value\":tru}",
    "{}",
};

static int jansson_verdict(const char *s, size_t n, json_t **out) {
    json_error_t je;
    *out = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (*out && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return 0;
    }
    if (*out) return 1;
    /* jansson refuses a few things strict JSON allows: no verdict */
    return strstr(je.text, "duplicate") || strstr(je.text, "too big") ||
           strstr(je.text, "overflow") || strstr(je.text, "maximum") ? -1 : 0;
}

/* Returns 1 when both parsers gave a verdict (and agreed), else 0. */
static int compare_parsers(const char *s, size_t n, char *buf) {
    if (!pk_utf8_valid(s, n) || memchr(s, 0, n)) return 0;
    pk_jval v[PK_JK__COUNT];
    const char *why;
    size_t col;
    int mine = pk_jsonl_parse(s, n, v, buf, n + 1, &why, &col) == 0;
    json_t *o;
    int theirs = jansson_verdict(s, n, &o);
    if (theirs >= 0 && mine != theirs)
        fail_msg("parsers disagree (mine %d, jansson %d) on: %.*s", mine, theirs, (int)n, s);
    for (int k = 0; mine && o && k < PK_JK__COUNT; k++) {
        json_t *j = json_object_get(o, pk_jsonl_keys[k]);
        if (v[k].kind != PK_JV_STRING) continue;
        assert_true(json_is_string(j));
        assert_int_equal(v[k].n, json_string_length(j));
        assert_memory_equal(v[k].s, json_string_value(j), v[k].n);
    }
    json_decref(o);
    return theirs >= 0;
}

static void test_parser_matches_jansson(void **state) {
    (void)state;
    char buf[4096], line[1024];
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    const size_t nfixed = sizeof diff_lines / sizeof diff_lines[0];
    int compared = 0;
    for (size_t i = 0; i < nfixed; i++)
        compared += compare_parsers(diff_lines[i], strlen(diff_lines[i]), buf);
    for (int round = 0; round < 50000; round++) {
        const char *src = round % 2 ? diff_lines[round % nfixed] : sample;
        size_t n = strcspn(src, "\n");
        memcpy(line, src, n);
        for (int m = 0; m < 1 + round % 3; m++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            static const char pick[] = "{}[]\",:\\u0aeE.-+ tfn1";
            line[rng % n] = rng & 0x100 ? (char)(rng >> 40) : pick[(rng >> 20) % (sizeof pick - 1)];
        }
        compared += compare_parsers(line, n, buf);
    }
    assert_true(compared > 1000);
    print_message("parsers agree on %d lines (of %zu fixed + 50000 mutated)\n", compared,
                  nfixed);
}

static void test_crlf_bom_and_detection(void **state) {
    (void)state;
    const char *t = "\xEF\xBB\xBF{\"value\":\"a.example\",\"type\":\"domain\"}\r\n"
                    "{\"value\":\"b.example\",\"type\":\"sni\"}\r\n";
    assert_int_equal(pk_ind_detect_format(t, strlen(t)), PK_FMT_JSONL);
    loaded *x = load(t);
    expect_counts(x, (ind_counts){PK_FMT_JSONL, 2, 0, 0, 0, 0});
    expect_types(x, {"a.example", PK_IND_DOMAIN}, {"b.example", PK_IND_SNI});
    done(x);
    const char *stix = "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[]}";
    assert_int_equal(pk_ind_detect_format(stix, strlen(stix)), PK_FMT_STIX);
    loaded *e = read_jsonl("", 0);
    expect_counts(e, (ind_counts){PK_FMT_JSONL, 0, 0, 0, 0, 0});
    done(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_field),
        cmocka_unit_test(test_round_trip_sample_files),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_limits_and_expiry),
        cmocka_unit_test(test_writer_refuses),
        cmocka_unit_test(test_hostile_lines),
        cmocka_unit_test(test_truncation_every_length),
        cmocka_unit_test(test_mutation_sweep),
        cmocka_unit_test(test_parser_matches_jansson),
        cmocka_unit_test(test_crlf_bom_and_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
