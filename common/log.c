/* log.c - stderr/syslog logging with per-kind rate limits (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

/* Written once at start-up by pk_log_setup(), read-only afterwards. */
static struct {
    const char *progname;
    pk_log_level max_level;
    bool use_syslog;
} log_cfg = {"picket", PK_LOG_INFO, false};

void pk_log_setup(const char *progname, pk_log_level max_level, bool use_syslog) {
    log_cfg.progname = progname;
    log_cfg.max_level = max_level;
    log_cfg.use_syslog = use_syslog;
    if (use_syslog) openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int64_t pk_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_v(pk_log_level lvl, const char *fmt, va_list ap) {
    static const char *names[] = {"error", "warning", "info", "debug"};
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    if (lvl > log_cfg.max_level) return;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    if (log_cfg.use_syslog) {
        syslog(prio[lvl], "%s", line);
        return;
    }
    fprintf(stderr, "%s: %s: %s\n", log_cfg.progname, names[lvl], line);
}

void pk_log(pk_log_level lvl, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_v(lvl, fmt, ap);
    va_end(ap);
}

void pk_log_limited(pk_ratelimit *rl, pk_log_level lvl, const char *fmt, ...) {
    int64_t now = pk_now_ms();
    if (now - rl->window_start_ms >= PK_LOG_WINDOW_MS) {
        if (rl->suppressed)
            pk_log(lvl, "(%llu similar messages suppressed)",
                   (unsigned long long)rl->suppressed);
        rl->window_start_ms = now;
        rl->in_window = 0;
        rl->suppressed = 0;
    }
    if (rl->in_window >= PK_LOG_BURST) {
        rl->suppressed++;
        return;
    }
    rl->in_window++;
    va_list ap;
    va_start(ap, fmt);
    log_v(lvl, fmt, ap);
    va_end(ap);
}
