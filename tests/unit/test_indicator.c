/* test_indicator.c - the indicator record: arena, list, names, value
 * normalisation, format detection, file loading and the load report.
 *
 * Why it exists: every loader and the store rely on these helpers agreeing
 * on one canonical form per value; a drift here would make an indicator
 * silently stop matching.
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

#include "ind_test_util.h"
#include "indicator.h"

static void test_arena(void **state) {
    (void)state;
    pk_arena a = {0};
    const char *s = pk_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    uint64_t *p = pk_arena_alloc(&a, 24);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 8, 0);
    assert_int_equal(p[0] | p[1] | p[2], 0);
    char *big = pk_arena_alloc(&a, 5u << 20);     /* larger than a chunk */
    assert_non_null(big);
    big[(5u << 20) - 1] = 1;
    for (int i = 0; i < 100000; i++)
        assert_non_null(pk_arena_strndup(&a, "198.51.100.7", 12));
    assert_string_equal(s, "hello");
    assert_true(a.used_bytes >= 1200000);
    pk_arena_free(&a);
    assert_null(a.head);
}

static void test_list_copies_and_shares(void **state) {
    (void)state;
    pk_ind_list l;
    pk_ind_list_init(&l);
    char value[32], source[16] = "feed-a";
    for (int i = 0; i < 1000; i++) {
        snprintf(value, sizeof value, "192.0.2.%d", i % 256);
        pk_indicator in = {.value = value, .source = source, .type = PK_IND_IPV4};
        assert_non_null(pk_ind_list_add(&l, &in));
    }
    source[5] = 'b';
    pk_indicator in = {.value = "x.example", .source = source, .type = PK_IND_DOMAIN};
    pk_indicator *last = pk_ind_list_add(&l, &in);
    assert_int_equal(l.n, 1001);
    assert_string_equal(l.items[0].value, "192.0.2.0");
    assert_string_equal(l.items[999].value, "192.0.2.231");
    assert_ptr_equal(l.items[0].source, l.items[999].source);   /* shared copy */
    assert_ptr_not_equal(l.items[0].source, source);
    assert_string_equal(l.items[0].source, "feed-a");
    assert_string_equal(last->source, "feed-b");
    pk_indicator novalue = {0};
    assert_null(pk_ind_list_add(&l, &novalue));
    pk_ind_list_free(&l);
    assert_int_equal(l.n, 0);
}

static void test_names(void **state) {
    (void)state;
    for (int t = 0; t < PK_IND__COUNT; t++) {
        const char *n = pk_ind_type_name((pk_ind_type)t);
        assert_int_equal(pk_ind_type_parse(n, strlen(n)), t);
    }
    assert_string_equal(pk_ind_type_name(PK_IND_HTTP_HOST), "http_host");
    assert_int_equal(pk_ind_type_parse("DOMAINX", 6), PK_IND_DOMAIN);
    assert_int_equal(pk_ind_type_parse("bogus", 5), -1);
    assert_string_equal(pk_ind_type_name(PK_IND__COUNT), "unknown");
    assert_int_equal(pk_tlp_parse("TLP:AMBER"), PK_TLP_AMBER);
    assert_int_equal(pk_tlp_parse("amber+strict"), PK_TLP_AMBER_STRICT);
    assert_int_equal(pk_tlp_parse("TLP:AMBER+STRICT"), PK_TLP_AMBER_STRICT);
    assert_int_equal(pk_tlp_parse("white"), PK_TLP_CLEAR);
    assert_int_equal(pk_tlp_parse("tlp:clear"), PK_TLP_CLEAR);
    assert_int_equal(pk_tlp_parse("Red"), PK_TLP_RED);
    assert_int_equal(pk_tlp_parse("GREEN"), PK_TLP_GREEN);
    assert_int_equal(pk_tlp_parse("purple"), -1);
    assert_int_equal(pk_tlp_parse(""), -1);
    assert_int_equal(pk_tlp_parse(NULL), -1);
    assert_string_equal(pk_tlp_name(PK_TLP_AMBER_STRICT), "amber+strict");
    assert_null(pk_tlp_name(PK_TLP_UNSET));
}

static void expect_name(const char *in, const char *out) {
    char buf[300];
    int n = pk_name_normalize(in, strlen(in), buf, sizeof buf);
    if (!out) {
        assert_int_equal(n, -1);
        return;
    }
    assert_int_equal(n, (int)strlen(out));
    assert_string_equal(buf, out);
}

static void test_name_normalize(void **state) {
    (void)state;
    expect_name("Evil.EXAMPLE.", "evil.example");
    expect_name("a-b_c.example", "a-b_c.example");
    expect_name("localhost", "localhost");
    expect_name("", NULL);
    expect_name(".", NULL);
    expect_name("a..b", NULL);
    expect_name(".a.b", NULL);
    expect_name("a.b..", NULL);
    expect_name("a b.example", NULL);
    expect_name("caf\xC3\xA9.example", NULL);
    expect_name("*.example", NULL);
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".example");
    expect_name(label, NULL);
    label[63] = '.';
    assert_int_equal(pk_name_normalize(label, strlen(label), label, 10), -1);
    char longname[300];
    for (int i = 0; i < 127; i++)
        memcpy(longname + 2 * i, "a.", 2);
    strcpy(longname + 254, "b");
    expect_name(longname, NULL);                    /* 255 > 253 */
    longname[252] = '\0';
    assert_int_equal(pk_name_normalize(longname, 252, label, sizeof label), -1);
}

static void expect_url(const char *in, const char *out) {
    char buf[256];
    int n = pk_url_normalize(in, strlen(in), buf, sizeof buf);
    if (!out) {
        if (n != -1)
            fail_msg("'%s' gave '%s'", in, buf);
        return;
    }
    if (n < 0 || strcmp(buf, out) != 0)
        fail_msg("'%s' gave %d '%s', want '%s'", in, n, n < 0 ? "" : buf, out);
}

static void test_url_normalize(void **state) {
    (void)state;
    expect_url("HTTP://Evil.Example:80", "evil.example/");
    expect_url("https://Evil.Example.:443/A/B?Q=1#frag", "evil.example/A/B?Q=1");
    expect_url("evil.example/x", "evil.example/x");
    expect_url("Evil.Example?q", "evil.example/?q");
    expect_url("http://evil.example:8080/a", "evil.example:8080/a");
    expect_url("http://User@Evil.Example/", "User@evil.example/");
    expect_url("FTP://Evil.Example/f", "ftp://evil.example/f");
    expect_url("http://[2001:DB8::1]:80/", "[2001:db8::1]/");
    expect_url("http://", NULL);
    expect_url("", NULL);
    expect_url("http:///path", NULL);
    expect_url("evil.example/a b", NULL);
    expect_url("evil.example/\x01", NULL);
    expect_url("evil.example/\xFF", NULL);
    expect_url("evil.example/caf\xC3\xA9", "evil.example/caf\xC3\xA9");
    expect_url("https:..//login.example/", NULL);     /* host "https:.." */
    expect_url("http://evil.example:/x", NULL);
    expect_url("http://evil.example:123456/x", NULL);
    expect_url("http://[2001:db8::1/x", NULL);
    expect_url("http://ev!l.example/", NULL);
    expect_url("..:80....", NULL);                    /* nothing left of the host */
    expect_url("http://A.example.:80.:443/x", "a.example/x");
    static const char *const again[] = {"HTTP://A.Example:8080/x?y#z", "a.example",
                                        "ftp://A.example/", "http://u:p@A.example:443",
                                        "a.example:80:80", "b.example.:80.:443."};
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++) {
        char once[256], twice[256];
        int n1 = pk_url_normalize(again[i], strlen(again[i]), once, sizeof once);
        int n2 = pk_url_normalize(once, (size_t)n1, twice, sizeof twice);
        assert_true(n1 > 0);
        assert_int_equal(n1, n2);
        assert_string_equal(once, twice);
    }
    char small[8];
    assert_int_equal(pk_url_normalize("evil.example/", 13, small, sizeof small), -1);
    /* 8 bytes at a time: every length and offset near a word's edge */
    expect_url("a.b", "a.b/");
    expect_url("A.b/?#", "a.b/?");
    expect_url("AbCdEfG", "abcdefg/");
    expect_url("AbCdEfGh", "abcdefgh/");
    expect_url("AbCdEfGhI", "abcdefghi/");
    expect_url("AbCdEfGhIjKlMnOp", "abcdefghijklmnop/");
    expect_url("AbCdEfGhIjKlMnOpQ/R", "abcdefghijklmnopq/R");
    expect_url("ABCDEFGH/", "abcdefgh/");
    expect_url("ABCDEFG#/", "abcdefg/");
    expect_url("ABCDEFGHI?x", "abcdefghi/?x");
    expect_url("abcdefg/\x7f", NULL);
    expect_url("abcdefgh/\x20", NULL);
    expect_url("abcdefghijklmno\x01", NULL);
    expect_url("abcdefghijklmnop/\xC3\xA9", "abcdefghijklmnop/\xC3\xA9");
    expect_url("abcdefghijklmnop/\xC3", NULL);
    expect_url("@[]^`{|}~", NULL);
    expect_url("x.example/@[]^`{|}~", "x.example/@[]^`{|}~");
    /* schemes: only http and https, in any case, are dropped */
    expect_url("hTtPs://A.example", "a.example/");
    expect_url("HTTPS://A.example", "a.example/");
    expect_url("HTTPX://A.example", "httpx://a.example/");
    expect_url("hxxp://A.example", "hxxp://a.example/");
    expect_url("HTTP1://A.example", "http1://a.example/");
    expect_url("Http+s://A.example", "http+s://a.example/");
    expect_url("a://B.example", "a://b.example/");
}

static void check_value(pk_ind_type t, const char *in, const char *out,
                         pk_ind_type got) {
    char buf[PK_IND_VALUE_MAX + 1];
    pk_indicator ind = {0};
    const char *why = NULL;
    int rc = pk_ind_set_value(&ind, t, in, strlen(in), buf, sizeof buf, &why);
    if (!out) {
        assert_int_equal(rc, -1);
        assert_non_null(why);
        return;
    }
    if (rc != 0)
        fail_msg("'%s': %s", in, why);
    assert_string_equal(ind.value, out);
    assert_int_equal(ind.type, got);
}

static void test_set_value(void **state) {
    (void)state;
    check_value(PK_IND_IPV4, "198.51.100.7", "198.51.100.7", PK_IND_IPV4);
    check_value(PK_IND_IPV4, "198.51.100.7/24", "198.51.100.0/24", PK_IND_CIDR);
    check_value(PK_IND_CIDR, "198.51.100.7/32", "198.51.100.7", PK_IND_IPV4);
    check_value(PK_IND_CIDR, "0.0.0.0/0", "0.0.0.0/0", PK_IND_CIDR);
    check_value(PK_IND_IPV6, "2001:0DB8:0000::0001", "2001:db8::1", PK_IND_IPV6);
    check_value(PK_IND_CIDR, "2001:db8::ff/120", "2001:db8::/120", PK_IND_CIDR);
    check_value(PK_IND_CIDR, "2001:db8::1/128", "2001:db8::1", PK_IND_IPV6);
    check_value(PK_IND_CIDR, "2001:db8:1:2:3:4:5:6/65", "2001:db8:1:2::/65", PK_IND_CIDR);
    check_value(PK_IND_IPV4, "198.51.100.07", NULL, 0);
    check_value(PK_IND_IPV4, "198.51.100.7/", NULL, 0);
    check_value(PK_IND_IPV4, "198.51.100.7/1000", NULL, 0);
    check_value(PK_IND_IPV4, "198.51.100.7/-1", NULL, 0);
    check_value(PK_IND_IPV4, "2001:db8::%eth0", NULL, 0);
    check_value(PK_IND_SNI, "A.Example.", "a.example", PK_IND_SNI);
    check_value(PK_IND_DOMAIN, "example", NULL, 0);
    check_value(PK_IND_JA3, "ADA70206E40642A3E4461F35503241D5",
                 "ada70206e40642a3e4461f35503241d5", PK_IND_JA3);
    check_value(PK_IND_JA4, "T13D1516H2_8DAAF6152771_E5627EFA2AB1",
                 "t13d1516h2_8daaf6152771_e5627efa2ab1", PK_IND_JA4);
    check_value(PK_IND_JA4, "q13i0000h2_000000000000_000000000000",
                 "q13i0000h2_000000000000_000000000000", PK_IND_JA4);
    check_value(PK_IND_JA4, "t13x1516h2_8daaf6152771_e5627efa2ab1", NULL, 0);
    check_value(PK_IND_JA4, "ts3d1516h2_8daaf6152771_e5627efa2ab1",
                 "ts3d1516h2_8daaf6152771_e5627efa2ab1", PK_IND_JA4);
    check_value(PK_IND_URL, "http://A.Example", "a.example/", PK_IND_URL);
    char buf[64];
    pk_indicator ind = {0};
    assert_int_equal(pk_ind_set_value(&ind, PK_IND__COUNT, "x", 1, buf, sizeof buf, NULL), -1);
    assert_int_equal(pk_ind_set_value(&ind, PK_IND_IPV4, "198.51.100.7/24", 15, buf, 8, NULL), -1);
    ind = (pk_indicator){0};
    assert_int_equal(pk_ind_set_value(&ind, PK_IND_CIDR, "203.0.113.77/26", 15, buf, sizeof buf, NULL), 0);
    assert_int_equal(ind.family, 4);
    assert_int_equal(ind.prefix_len, 26);
    assert_memory_equal(ind.addr, "\xCB\x00\x71\x40", 4);
}

static void test_utf8(void **state) {
    (void)state;
    assert_true(pk_utf8_valid("abc", 3));
    assert_true(pk_utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9));
    assert_false(pk_utf8_valid("\xC3", 1));
    assert_false(pk_utf8_valid("\xC0\xAF", 2));          /* overlong */
    assert_false(pk_utf8_valid("\xED\xA0\x80", 3));      /* surrogate */
    assert_false(pk_utf8_valid("\xF4\x90\x80\x80", 4));  /* > U+10FFFF */
    assert_false(pk_utf8_valid("\xFF", 1));
    assert_false(pk_utf8_valid("\x80", 1));
}

static void test_detect(void **state) {
    (void)state;
    static const struct { const char *text; pk_ind_format f; } cases[] = {
        {"#fields\tindicator\tindicator_type\n", PK_FMT_ZEEK},
        {"# comment\n#separator \\x09\n#fields\tindicator\tindicator_type\n", PK_FMT_ZEEK},
        {"\xEF\xBB\xBF{\"type\":\"bundle\"}", PK_FMT_STIX},
        {"\n  [ {} ]", PK_FMT_STIX},
        {"192.0.2.1,1,50\n", PK_FMT_IPREP},
        {"192.0.2.1\n", PK_FMT_PLAIN},
        {"# only\n", PK_FMT_PLAIN},
        {"192.0.2.1\n#fields\tindicator\tindicator_type\n", PK_FMT_PLAIN},
        {"", PK_FMT_PLAIN},
        {"\xFF\xFEx\0y\0", PK_FMT_UNKNOWN},
        {"ab\0cd", PK_FMT_UNKNOWN},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t n = strlen(cases[k].text);
        if (k >= 9)
            n = 6;
        assert_int_equal(pk_ind_detect_format(cases[k].text, n), cases[k].f);
    }
    assert_string_equal(pk_ind_format_name(PK_FMT_ZEEK), "zeek");
    assert_string_equal(pk_ind_format_name(PK_FMT_STIX), "stix");
    assert_string_equal(pk_ind_format_name(PK_FMT_IPREP), "iprep");
    assert_string_equal(pk_ind_format_name(PK_FMT_PLAIN), "plain");
    assert_int_equal(pk_ind_detect_format(NULL, 0), PK_FMT_UNKNOWN);
}

static char *write_temp(const char *content, size_t n) {
    char *path = strdup("/tmp/picket-ind-XXXXXX.txt");
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

static void test_load_file(void **state) {
    (void)state;
    loaded *x = loaded_new();     /* every load below goes into one list */
    pk_load_report *rep = &x->rep;
    const char *stix = "{\"type\":\"indicator\",\"id\":\"indicator--1\","
                       "\"pattern\":\"[domain-name:value = 'a.example']\"}";
    char *path = write_temp(stix, strlen(stix));    /* named .txt, holds STIX */
    assert_int_equal(pk_ind_load_file(&x->l, path, 0, rep), 0);
    assert_int_equal(rep->format, PK_FMT_STIX);
    assert_int_equal(rep->loaded, 1);
    assert_string_equal(rep->path, path);
    assert_string_equal(x->l.items[0].source, strrchr(path, '/') + 1);
    unlink(path);
    free(path);

    assert_int_equal(pk_ind_load_file(&x->l, "/nonexistent/x.intel", 0, rep), -1);
    assert_non_null(strstr(rep->error, "/nonexistent/x.intel: cannot read"));
    assert_int_equal(pk_ind_load_file(&x->l, "/tmp", 0, rep), -1);
    assert_non_null(strstr(rep->error, "/tmp: "));

    path = write_temp("\x7f" "ELF\0\0\0\0binary", 15);
    assert_int_equal(pk_ind_load_file(&x->l, path, 0, rep), -1);
    assert_non_null(strstr(rep->error, "binary"));
    unlink(path);
    free(path);
    assert_int_equal(x->l.n, 1);
    done(x);
}

static void test_report_print(void **state) {
    (void)state;
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "192.0.2.1\nevil.example\n");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "bad\x1b[31m%d\n", i);
    loaded *x = load_named("rules/x.txt", text, n, 0);
    assert_int_equal(x->rc, 0);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    pk_load_report_print(f, &x->rep);
    fclose(f);
    assert_non_null(strstr(out, "rules/x.txt: plain, 2 loaded (ipv4 1, domain 1), 60 skipped\n"));
    assert_non_null(strstr(out, "rules/x.txt:3: not an address, CIDR, domain or URL: 'bad?[31m0'\n"));
    assert_non_null(strstr(out, "rules/x.txt:52: "));
    assert_null(strstr(out, "rules/x.txt:53: "));
    assert_non_null(strstr(out, "rules/x.txt: ... and 10 more\n"));
    assert_null(strchr(out, '\x1b'));
    free(out);
    done(x);
}

/* A multi-megabyte file: lines cross the 1 MiB read chunks, one line is
 * longer than a chunk, and there is no final newline. */
static size_t big_content(char *buf, bool zeek) {
    size_t n = (size_t)sprintf(buf, "\xEF\xBB\xBF%s",
                               zeek ? "#fields\tindicator\tindicator_type\tmeta.desc\n" : "");
    for (int i = 0; i < 60000; i++) {
        if (i == 30000) {
            memset(buf + n, 'x', 1500000);
            n += 1500000;
            buf[n++] = '\n';
        }
        if (zeek)
            n += (size_t)sprintf(buf + n, "198.51.%d.%d\tIntel::ADDR\tline %d\r\n",
                                 i / 256 % 256, i % 256, i);
        else
            n += (size_t)sprintf(buf + n, i % 1000 == 7 ? "bad%d\n" : "198.51.%d.%d\n",
                                 i / 256 % 256, i % 256);
    }
    n += (size_t)sprintf(buf + n, zeek ? "203.0.113.99\tIntel::ADDR\tlast" : "203.0.113.99");
    return n;
}

static void test_stream_matches_buffer(void **state) {
    (void)state;
    char *text = malloc(4u << 20);
    for (int zeek = 0; zeek < 2; zeek++) {
        size_t n = big_content(text, zeek);
        char *path = write_temp(text, n);
        loaded *xa = load_named(path, text, n, 0), *xb = load_path(path, 0);
        assert_int_equal(xa->rc, 0);
        assert_int_equal(xb->rc, 0);
        const pk_load_report *ra = &xa->rep, *rb = &xb->rep;
        const pk_ind_list *a = &xa->l, *b = &xb->l;
        assert_int_equal(ra->format, zeek ? PK_FMT_ZEEK : PK_FMT_PLAIN);
        assert_int_equal(rb->format, ra->format);
        assert_int_equal(ra->loaded, zeek ? 60001 : 60001 - 60);
        assert_int_equal(rb->loaded, ra->loaded);
        assert_int_equal(rb->skipped, ra->skipped);
        assert_int_equal(rb->nissues, ra->nissues);
        for (uint32_t i = 0; i < ra->nissues; i++) {
            assert_int_equal(rb->issues[i].line, ra->issues[i].line);
            assert_string_equal(rb->issues[i].reason, ra->issues[i].reason);
        }
        bool overlong = false;
        for (uint32_t i = 0; i < ra->nissues; i++)
            overlong |= ra->issues[i].line == 30001u + (uint32_t)zeek &&
                        strstr(ra->issues[i].reason, "longer than") != NULL;
        assert_true(overlong);
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++)
            assert_string_equal(a->items[i].value, b->items[i].value);
        assert_string_equal(b->items[b->n - 1].value, "203.0.113.99");
        if (zeek)
            assert_string_equal(b->items[59999].description, "line 59999");
        done(xa);
        done(xb);
        unlink(path);
        free(path);
    }
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_list_copies_and_shares),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_name_normalize),
        cmocka_unit_test(test_url_normalize),
        cmocka_unit_test(test_set_value),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_report_print),
        cmocka_unit_test(test_stream_matches_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
