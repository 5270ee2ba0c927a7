/* test_pushed.c - a pushed set on the sensor: kept in the spool and
 * combined with the local files (sensor/pushed.c, sensor/indset.c).
 *
 * Why it exists: a sensor restarted while the collector is unreachable
 * must keep the coalition set, a crash while writing must leave a set that
 * is whole, and a set must be applied once, not on every reconnect. Also:
 * a damaged spool file never stops the local files from loading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "indset.h"
#include "pushed.h"
#include "wire.h"

static const char set_text[] =
    "{\"value\":\"pushed.example\",\"type\":\"domain\",\"partner\":\"JP\",\"tlp\":\"amber\"}\n"
    "{\"value\":\"192.0.2.44\",\"type\":\"ipv4\",\"partner\":\"UK\",\"tlp\":\"red\"}\n";

static char *make_dir(void) {
    char *d = strdup("/tmp/picket-test-pushed-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void remove_dir(char *d) {
    static const char *names[] = {PK_PUSHED_FILE, "local.txt"};
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        unlink(p);
    }
    rmdir(d);
    free(d);
}

static void write_text(const char *dir, const char *name, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_persist_and_read(void **state) {
    (void)state;
    char *dir = make_dir(), err[512], v[PK_PUSH_VERSION_LEN + 1], got[PK_PUSH_VERSION_LEN + 1];
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(pk_pushed_read(dir, &data, &len, got, err, sizeof err), 0);
    pk_push_version(set_text, strlen(set_text), v);
    assert_int_equal(pk_pushed_persist(dir, v, set_text, strlen(set_text), err, sizeof err), 0);
    assert_int_equal(pk_pushed_read(dir, &data, &len, got, err, sizeof err), 1);
    assert_int_equal(len, strlen(set_text));
    assert_memory_equal(data, set_text, len);
    assert_string_equal(got, v);
    free(data);
    /* on disk: the header line naming version and length, then the text */
    char path[512], head[128], raw[1024] = "";
    snprintf(path, sizeof path, "%s/%s", dir, PK_PUSHED_FILE);
    snprintf(head, sizeof head, "#picket-pushed-set 1 %s %zu\n", v, strlen(set_text));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    raw[fread(raw, 1, sizeof raw - 1, f)] = '\0';
    fclose(f);
    assert_int_equal(strncmp(raw, head, strlen(head)), 0);
    assert_string_equal(raw + strlen(head), set_text);
    /* no temp file is left behind */
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, PK_PUSHED_FILE);
    assert_int_not_equal(access(tmp, F_OK), 0);
    remove_dir(dir);
}

/* Writes text as the persisted file and expects the refusal `why`. */
static void expect_refused(const char *dir, const char *text, const char *why) {
    char err[512], got[PK_PUSH_VERSION_LEN + 1], *data = (char *)"untouched";
    size_t len = 99;
    write_text(dir, PK_PUSHED_FILE, text);
    assert_int_equal(pk_pushed_read(dir, &data, &len, got, err, sizeof err), -1);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_string_equal(got, "");
    assert_non_null(strstr(err, PK_PUSHED_FILE));       /* names the file */
    if (!strstr(err, why)) fail_msg("\"%s\" does not say \"%s\"", err, why);
}

/* What is on disk is untrusted: every kind of damage refuses the whole set. */
static void test_damaged_file_refused(void **state) {
    (void)state;
    char *dir = make_dir(), v[PK_PUSH_VERSION_LEN + 1], good[512], bad[1024];
    pk_push_version(set_text, strlen(set_text), v);
    snprintf(good, sizeof good, "#picket-pushed-set 1 %s %zu\n%s", v, strlen(set_text), set_text);
    /* one byte of the text changed: "pushed" -> "Pushed" */
    snprintf(bad, sizeof bad, "%s", good);
    *strstr(bad, "pushed.example") = 'P';
    expect_refused(dir, bad, "does not hash to its version");
    /* cut short, and one byte too long */
    snprintf(bad, sizeof bad, "%.*s", (int)strlen(good) - 5, good);
    expect_refused(dir, bad, "length differs");
    snprintf(bad, sizeof bad, "%s\n", good);
    expect_refused(dir, bad, "length differs");
    /* headers: none, wrong tag, short version, upper-case hex, no length, huge length */
    expect_refused(dir, set_text, "line 1");
    expect_refused(dir, "", "line 1");
    expect_refused(dir, "#picket-pushed-set 2 0123456789abcdef 0\n", "line 1");
    expect_refused(dir, "#picket-pushed-set 1 0123456789abcde 0\n", "line 1");
    expect_refused(dir, "#picket-pushed-set 1 0123456789ABCDEF 0\n", "line 1");
    expect_refused(dir, "#picket-pushed-set 1 0123456789abcdef \n", "line 1");
    expect_refused(dir, "#picket-pushed-set 1 0123456789abcdef 99999999999999999999\n",
                   "line 1");
    expect_refused(dir, "#picket-pushed-set 1 0123456789abcdef 0", "line 1");
    /* the sound file still reads (the checks above can tell the difference) */
    char err[512], got[PK_PUSH_VERSION_LEN + 1], *data = NULL;
    size_t len = 0;
    write_text(dir, PK_PUSHED_FILE, good);
    assert_int_equal(pk_pushed_read(dir, &data, &len, got, err, sizeof err), 1);
    assert_string_equal(got, v);
    assert_int_equal(len, strlen(set_text));
    free(data);
    printf("damaged pushed files refused: 11 kinds, sound file accepted\n");
    remove_dir(dir);
}

static void test_persist_fails_cleanly(void **state) {
    (void)state;
    char err[512];
    assert_int_equal(pk_pushed_persist("/nonexistent/picket", "0123456789abcdef", "x", 1,
                                       err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/picket"));
}

typedef struct applied_log {
    int calls;
    int64_t last_ms;
} applied_log;

static void on_applied(void *ctx, int64_t received_ms) {
    applied_log *a = ctx;
    a->calls++;
    a->last_ms = received_ms;
}

static void message(pk_pushed *p, const char *version, const char *data) {
    json_t *m = json_pack("{s:s, s:s, s:s, s:s}", "type", "indicators", "version", version,
                          "format", "picket-jsonl", "data", data);
    pk_pushed_message(p, m);
    json_decref(m);
}

typedef struct one_counter {
    const char *name;
    uint64_t value;
} one_counter;

static void take_counter(void *ctx, const char *name, uint64_t v) {
    one_counter *c = ctx;
    if (strcmp(name, c->name) == 0) c->value = v;
}

static uint64_t counter(const pk_pushed *p, const char *name) {
    one_counter c = {name, UINT64_MAX};
    pk_pushed_counters(p, take_counter, &c);
    return c.value;
}

static void test_applied_once(void **state) {
    (void)state;
    char *dir = make_dir(), v[PK_PUSH_VERSION_LEN + 1];
    applied_log log = {0};
    pk_pushed p;
    pk_pushed_init(&p, dir, "", on_applied, &log);
    pk_push_version(set_text, strlen(set_text), v);
    message(&p, v, set_text);
    assert_int_equal(log.calls, 1);
    assert_true(log.last_ms > 0);
    message(&p, v, set_text);                      /* a reconnect: the same set */
    assert_int_equal(log.calls, 1);
    assert_int_equal(counter(&p, "pushed.sets_unchanged"), 1);
    message(&p, v, "{\"value\":\"other.example\",\"type\":\"domain\"}\n");
    assert_int_equal(log.calls, 1);                /* text and version disagree */
    assert_int_equal(counter(&p, "pushed.refused"), 1);
    pk_pushed_free(&p);
    /* a restarted sensor knows the version on disk */
    pk_pushed_init(&p, dir, v, on_applied, &log);
    message(&p, v, set_text);
    assert_int_equal(log.calls, 1);
    pk_pushed_free(&p);
    remove_dir(dir);
}

static void test_indset_combines(void **state) {
    (void)state;
    char *dir = make_dir(), err[512], local[512], v[PK_PUSH_VERSION_LEN + 1];
    snprintf(local, sizeof local, "%s/local.txt", dir);
    write_text(dir, "local.txt", "domain:local.example\n");
    const char *paths[] = {local};
    pk_indset_info info;
    pk_istore *s = pk_indset_load(paths, 1, dir, NULL, &info, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(pk_istore_count(s), 1);
    assert_string_equal(info.pushed_version, "");
    pk_istore_free(s);
    pk_push_version(set_text, strlen(set_text), v);
    assert_int_equal(pk_pushed_persist(dir, v, set_text, strlen(set_text), err, sizeof err), 0);
    s = pk_indset_load(paths, 1, dir, NULL, &info, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(pk_istore_count(s), 3);
    assert_string_equal(info.pushed_version, v);
    assert_int_equal(info.pushed_count, 2);
    pk_ind_view view;
    assert_non_null(pk_istore_match_name(s, PK_FIELD_DNS_QUERY, "a.pushed.example", 16, 17, 53,
                                         &view));
    pk_istore_free(s);
    /* no -I files: the pushed set alone */
    s = pk_indset_load(paths, 0, dir, NULL, &info, err, sizeof err);
    assert_int_equal(pk_istore_count(s), 2);
    pk_istore_free(s);
    assert_false(info.pushed_rejected);
    /* a damaged pushed file: refused as a whole and said; the local files load */
    write_text(dir, PK_PUSHED_FILE, "garbage\n{\"value\":\"ok.example\",\"type\":\"domain\"}\n");
    s = pk_indset_load(paths, 1, dir, NULL, &info, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(pk_istore_count(s), 1);
    assert_true(info.pushed_rejected);
    assert_string_equal(info.pushed_version, "");
    pk_istore_free(s);
    /* a missing local file still fails the build, naming it */
    const char *missing[] = {"/nonexistent/local.txt"};
    assert_null(pk_indset_load(missing, 1, dir, NULL, &info, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/local.txt"));
    remove_dir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_persist_and_read),
        cmocka_unit_test(test_damaged_file_refused),
        cmocka_unit_test(test_persist_fails_cleanly),
        cmocka_unit_test(test_applied_once),
        cmocka_unit_test(test_indset_combines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
