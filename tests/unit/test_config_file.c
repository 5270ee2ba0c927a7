/* test_config_file.c - "key = value" configuration files become arguments
 * placed before the command line's; errors name file:line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config_file.h"

static const struct option opts[] = {
    {"read", required_argument, NULL, 'r'},
    {"indicators", required_argument, NULL, 'I'},
    {"stats", no_argument, NULL, 1},
    {"syslog", no_argument, NULL, 2},
    {"config", required_argument, NULL, 3},
    {NULL, 0, NULL, 0},
};

static char path[64];

static void write_conf(const char *text) {
    strcpy(path, "/tmp/picket-conf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void test_file_then_command_line(void **state) {
    (void)state;
    write_conf("# comment\n\nread = /a.pcap\nindicators = \"/x y.txt\"\n"
               "stats = true\nsyslog = false\n");
    char *argv[] = {"prog", "--config", path, "-r", "/b.pcap", NULL};
    int n;
    char **out, err[256];
    assert_int_equal(pk_config_expand(5, argv, opts, &n, &out, err, sizeof err), 0);
    const char *want[] = {"prog", "--read", "/a.pcap", "--indicators", "/x y.txt",
                          "--stats", "-r", "/b.pcap"};
    assert_int_equal(n, 8);
    for (int i = 0; i < n; i++) assert_string_equal(out[i], want[i]);
    pk_config_free(n, out, argv);
    unlink(path);
}

static void test_without_config_argv_unchanged(void **state) {
    (void)state;
    char *argv[] = {"prog", "-r", "x", NULL};
    int n;
    char **out, err[256];
    assert_int_equal(pk_config_expand(3, argv, opts, &n, &out, err, sizeof err), 0);
    assert_ptr_equal(out, argv);
    assert_int_equal(n, 3);
}

static void expect_error(const char *text, const char *needle) {
    write_conf(text);
    char arg[80];
    snprintf(arg, sizeof arg, "--config=%s", path);
    char *argv[] = {"prog", arg, NULL};
    int n;
    char **out, err[256];
    assert_int_equal(pk_config_expand(2, argv, opts, &n, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, needle));
    assert_non_null(strstr(err, path));
    unlink(path);
}

static void test_errors_name_file_and_line(void **state) {
    (void)state;
    expect_error("read = a\nbogus = 1\n", ":2: unknown key 'bogus'");
    expect_error("read\n", ":1: expected 'key = value'");
    expect_error("stats = maybe\n", ":1: 'stats' takes true or false");
    expect_error("read =\n", ":1: 'read' needs a value");
    expect_error("config = other\n", ":1: unknown key 'config'");
    char big[5000];
    memset(big, 'a', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = '\0';
    expect_error(big, ":1: line longer than");
}

static void test_unreadable_file_is_fatal(void **state) {
    (void)state;
    char *argv[] = {"prog", "--config", "/nonexistent/picket.conf", NULL};
    int n;
    char **out, err[256];
    assert_int_equal(pk_config_expand(3, argv, opts, &n, &out, err, sizeof err), -2);
    assert_non_null(strstr(err, "/nonexistent/picket.conf"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_then_command_line),
        cmocka_unit_test(test_without_config_argv_unchanged),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_unreadable_file_is_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
