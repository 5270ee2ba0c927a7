/* capture.h - libpcap: live interfaces and capture files, BPF, pacing.
 *
 * Why it exists: the sensor reads frames from one source, a live interface
 * (large kernel buffer, immediate mode off) or a pcap/pcapng file (as fast
 * as possible or paced by the capture's own timestamps), and the rest of the
 * packet path must not care which.
 */
#ifndef PICKET_CAPTURE_H
#define PICKET_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "sensor.h"

#define PK_CAPTURE_FILE_BUF (256 * 1024)   /* stdio buffer for -r */

typedef struct pk_capture_config {
    const char *file;          /* -r */
    const char *iface;         /* -i */
    const char *filter;        /* -f */
    int snaplen;               /* default 65535 */
    int buffer_mb;             /* kernel buffer, default 64 */
    bool promisc;              /* default true */
    double replay_speed;       /* 0 = as fast as possible */
    /* Exercises (file mode): rebase capture time, replay several times. */
    bool time_shift_now;       /* first packet = now */
    double time_shift_s;       /* else add this many seconds */
    int loops;                 /* passes over the file (default 1) */
    bool progress;             /* progress line on stderr */
} pk_capture_config;

/* Flags the signal handlers set; the loop acts on them between packets. */
typedef struct pk_capture_signals {
    volatile sig_atomic_t stop, reload, dump_stats;
} pk_capture_signals;

typedef struct pk_capture {
    pcap_t *pcap;
    char *file_buf;            /* stdio buffer of the capture file (-r) */
    pk_capture_config cfg;
    bool live;
    int64_t first_ts_usec, start_mono_usec;   /* replay pacing */
    int64_t shift_usec;        /* added to every timestamp (time shift + loops) */
    int64_t pass_first_ts, last_ts;           /* capture time of this pass */
    bool shift_known, pass_started;
    int pass;                  /* 0-based pass over the file */
    int64_t file_bytes, next_progress_usec, start_wall_mono;
    int64_t loop_wall_usec, loop_cpu_usec;   /* the last pk_capture_run's */
    char error[PCAP_ERRBUF_SIZE + 256];
    uint64_t kernel_drops, iface_drops;
} pk_capture;

/* Opens the source and applies the filter. Returns 0, or -1 with c->error
 * naming the file or interface. */
int pk_capture_open(pk_capture *c, const pk_capture_config *cfg);
void pk_capture_close(pk_capture *c);

/* Called between packets so the loop can serve reloads and stats. */
typedef void (*pk_capture_tick_fn)(void *ctx);

/* Runs until the file ends or sig->stop. Returns 0 at a clean end, -1 on a
 * read error (c->error says what, e.g. a truncated file). Either way it
 * leaves the loop's wall and CPU time (of the calling thread) in
 * c->loop_wall_usec and c->loop_cpu_usec. */
int pk_capture_run(pk_capture *c, pk_sensor *s, pk_capture_signals *sig,
                   pk_capture_tick_fn tick, void *tick_ctx);

/* Kernel/interface drop counters (live capture). */
void pk_capture_counters(pk_capture *c, pk_counter_cb cb, void *ctx);

#endif
