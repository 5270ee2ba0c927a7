/* cli.h - what the picket programs' command lines have in common: bad-usage
 * messages and bounded number parsing.
 *
 * Why it exists: picket-sensor, picket-gen and picket-collector each check
 * every flag before anything is opened and exit 2 with one line naming the
 * flag. They used to carry their own copies of the same few helpers; one
 * copy keeps "a number in lo..hi" meaning the same thing in every program
 * (no sign where none is allowed, no silent wrap-around or clamping, no
 * NaN). The messages stay each program's own: these only print them.
 */
#ifndef PICKET_CLI_H
#define PICKET_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* The exit status for bad usage, shared by all picket programs. */
#define PK_CLI_EXIT_USAGE 2

/* Prints "prog: <message>\n" to stderr; returns PK_CLI_EXIT_USAGE. */
int pk_cli_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "prog: <message>\nTry 'prog --help'.\n" to stderr; returns
 * PK_CLI_EXIT_USAGE. */
int pk_cli_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A whole decimal integer in lo..hi (strtol's syntax: leading blanks and a
 * sign allowed, nothing after the digits). On success *out is set; on
 * failure (empty, not a number, trailing characters, out of range) it is
 * left alone and false is returned. s may be NULL (false). */
bool pk_cli_long(const char *s, long lo, long hi, long *out);

/* The same for unsigned values: a leading '-' (after any blanks) is refused
 * rather than wrapped around, and so is a value beyond 2^64-1. */
bool pk_cli_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
bool pk_cli_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);

/* A decimal or hexadecimal floating-point number (strtod's syntax) in
 * lo..hi; NaN is refused. */
bool pk_cli_double(const char *s, double lo, double hi, double *out);

#endif
