/* log.h - one line per event to stderr (or syslog), rate-limited per kind.
 *
 * Why it exists: a flood of bad input must never fill a disk or drown the
 * one line an operator needs. Each call site names a kind; a kind logs at
 * most a burst per interval and then says how many it suppressed.
 */
#ifndef PICKET_LOG_H
#define PICKET_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum pk_log_level { PK_LOG_ERR = 0, PK_LOG_WARN, PK_LOG_INFO, PK_LOG_DEBUG } pk_log_level;

/* Process-wide logger settings: set once at start-up, before threads. */
void pk_log_setup(const char *progname, pk_log_level max_level, bool use_syslog);

void pk_log(pk_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Rate limit state for one kind of message; zero-initialise it. */
typedef struct pk_ratelimit {
    int64_t window_start_ms;
    uint32_t in_window;
    uint64_t suppressed;
} pk_ratelimit;

#define PK_LOG_BURST 10          /* lines per kind per window */
#define PK_LOG_WINDOW_MS 10000

/* Logs unless this kind has used its burst in the current window. */
void pk_log_limited(pk_ratelimit *rl, pk_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int64_t pk_now_ms(void);   /* CLOCK_MONOTONIC milliseconds */

#endif
