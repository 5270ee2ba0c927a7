/* cli.c - bad-usage messages and bounded number parsing (see cli.h). */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void vmessage(const char *prog, const char *fmt, va_list ap) {
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int pk_cli_error(const char *prog, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(prog, fmt, ap);
    va_end(ap);
    return PK_CLI_EXIT_USAGE;
}

int pk_cli_usage_error(const char *prog, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(prog, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help'.\n", prog);
    return PK_CLI_EXIT_USAGE;
}

bool pk_cli_long(const char *s, long lo, long hi, long *out) {
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool pk_cli_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
    if (!s || !*s)
        return false;
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-')
        return false;           /* strtoull would wrap it around */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool pk_cli_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out) {
    uint64_t v;
    if (!pk_cli_u64(s, lo, hi, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool pk_cli_double(const char *s, double lo, double hi, double *out) {
    if (!s || !*s)
        return false;
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || !(d >= lo && d <= hi))   /* NaN fails both */
        return false;
    *out = d;
    return true;
}
