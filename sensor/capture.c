/* capture.c - libpcap sources and the capture loop (see capture.h). */
#include "capture.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

typedef struct pk_capture_loop {
    pk_capture *cap;
    pk_sensor *sensor;
    pk_batch *batch;           /* frames not yet handed to the sensor */
    pk_capture_signals *sig;
    pk_capture_tick_fn tick;
    void *tick_ctx;
} pk_capture_loop;

static int64_t clock_usec(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_usec(void) { return clock_usec(CLOCK_MONOTONIC); }

static int open_file(pk_capture *c) {
    char eb[PCAP_ERRBUF_SIZE] = "";
    struct stat st;
    c->file_bytes = stat(c->cfg.file, &st) == 0 ? (int64_t)st.st_size : 0;
    /* libpcap reads a file a record at a time through stdio, whose own
     * buffer is 4 KiB: a read(2) per 4 KiB, which costs more than the
     * copying. A 256 KiB buffer makes it one per 256 KiB. "-" is standard
     * input, which libpcap leaves open when it closes the capture. */
    bool in = strcmp(c->cfg.file, "-") == 0;
    FILE *fp = in ? stdin : fopen(c->cfg.file, "rb");
    if (!fp) {
        snprintf(c->error, sizeof c->error, "%s: cannot read capture: %s",
                 c->cfg.file, strerror(errno));
        return -1;
    }
    if (!c->file_buf) c->file_buf = malloc(PK_CAPTURE_FILE_BUF);
    if (c->file_buf) setvbuf(fp, c->file_buf, _IOFBF, PK_CAPTURE_FILE_BUF);
    c->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, eb);
    if (!c->pcap && !in) fclose(fp);
    if (!c->pcap) {
        snprintf(c->error, sizeof c->error, "%s: cannot read capture: %s", c->cfg.file, eb);
        return -1;
    }
    return 0;
}

static int live_fail(pk_capture *c, const char *what, int rc) {
    snprintf(c->error, sizeof c->error, "interface %s: %s: %s", c->cfg.iface, what,
             rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such device" : pcap_geterr(c->pcap));
    return -1;
}

static int open_live(pk_capture *c) {
    char eb[PCAP_ERRBUF_SIZE] = "";
    c->pcap = pcap_create(c->cfg.iface, eb);
    if (!c->pcap) {
        snprintf(c->error, sizeof c->error, "interface %s: %s", c->cfg.iface, eb);
        return -1;
    }
    pcap_set_snaplen(c->pcap, c->cfg.snaplen);
    pcap_set_promisc(c->pcap, c->cfg.promisc);
    pcap_set_timeout(c->pcap, 100);
    pcap_set_immediate_mode(c->pcap, 0);
    pcap_set_buffer_size(c->pcap, c->cfg.buffer_mb * 1024 * 1024);
    int rc = pcap_activate(c->pcap);
    if (rc < 0) return live_fail(c, "cannot start capture", rc);
    c->live = true;
    return 0;
}

static int apply_filter(pk_capture *c) {
    struct bpf_program prog;
    if (pcap_compile(c->pcap, &prog, c->cfg.filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(c->error, sizeof c->error, "filter '%s': %s", c->cfg.filter,
                 pcap_geterr(c->pcap));
        return -1;
    }
    int rc = pcap_setfilter(c->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(c->error, sizeof c->error, "filter '%s': %s", c->cfg.filter,
                 pcap_geterr(c->pcap));
        return -1;
    }
    return 0;
}

int pk_capture_open(pk_capture *c, const pk_capture_config *cfg) {
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    int rc = cfg->file ? open_file(c) : open_live(c);
    if (rc == 0 && cfg->filter && *cfg->filter) rc = apply_filter(c);
    if (rc == 0 && !pk_decode_linktype_supported(pcap_datalink(c->pcap))) {
        snprintf(c->error, sizeof c->error,
                 "%s: link type %s (%d) has no decoder (Ethernet, Linux SLL/SLL2, "
                 "raw IP, null/loopback)",
                 cfg->file ? cfg->file : cfg->iface,
                 pcap_datalink_val_to_name(pcap_datalink(c->pcap)) ?: "unknown",
                 pcap_datalink(c->pcap));
        rc = -1;
    }
    if (rc != 0) pk_capture_close(c);
    return rc;
}

void pk_capture_close(pk_capture *c) {
    if (c->pcap) pcap_close(c->pcap);       /* closes the FILE: then its buffer */
    c->pcap = NULL;
    free(c->file_buf);
    c->file_buf = NULL;
}

/* Hands the gathered frames to the packet path, then serves the caller's
 * tick (signals, reloads): once per batch, not per frame. */
static void flush(pk_capture_loop *l) {
    if (l->batch->n) {
        pk_sensor_batch(l->sensor, l->batch);
        pk_batch_clear(l->batch);
    }
    if (l->tick) l->tick(l->tick_ctx);
}

/* Sleeps until this packet's place on the capture's own time line. While it
 * waits the capture thread holds nothing of the indicator store: each slice
 * is a quiescent point (a reload is not held up by a long gap) and a chance
 * to serve signals. */
static void pace(pk_capture_loop *l, int64_t ts) {
    pk_capture *c = l->cap;
    const pk_capture_signals *sig = l->sig;
    if (c->cfg.replay_speed <= 0) return;
    if (!c->start_mono_usec) {
        c->start_mono_usec = mono_usec();
        c->first_ts_usec = ts;
        return;
    }
    double offset = (double)(ts - c->first_ts_usec) / c->cfg.replay_speed;
    int64_t due = c->start_mono_usec + (int64_t)offset;
    if (mono_usec() < due) flush(l);          /* nothing waits with us */
    for (int64_t now = mono_usec(); now < due && !sig->stop; now = mono_usec()) {
        int64_t wait = due - now > 100000 ? 100000 : due - now;
        struct timespec d = {wait / 1000000, (wait % 1000000) * 1000};
        nanosleep(&d, NULL);
        pk_sensor_idle(l->sensor);
        if (l->tick) l->tick(l->tick_ctx);
    }
}

static void record_drops(pk_capture *c) {
    struct pcap_stat ps;
    if (c->live && pcap_stats(c->pcap, &ps) == 0) {
        c->kernel_drops = ps.ps_drop;
        c->iface_drops = ps.ps_ifdrop;
    }
}

static int64_t wall_usec(void) { return clock_usec(CLOCK_REALTIME); }

/* Capture time -> the time line alerts carry: --time-shift, then each
 * further pass of --loop continues one second after the previous ended. */
static int64_t shifted(pk_capture *c, int64_t ts) {
    if (!c->shift_known) {
        c->shift_known = true;
        if (c->cfg.time_shift_now) c->shift_usec = wall_usec() - ts;
        else c->shift_usec = (int64_t)(c->cfg.time_shift_s * 1e6);
    }
    if (!c->pass_started) {
        c->pass_started = true;
        c->pass_first_ts = c->last_ts = ts;
    }
    if (ts > c->last_ts) c->last_ts = ts;
    return ts + c->shift_usec;
}

/* "file.pcap  42.0%  pass 1/3  123456 pkts  45210 pkt/s  17 alerts" */
static void show_progress(pk_capture *c, const pk_sensor *s) {
    int64_t now = mono_usec();
    if (now < c->next_progress_usec) return;
    static const int64_t every = 500000;
    c->next_progress_usec = now + every;
    FILE *f = pcap_file(c->pcap);
    double pct = f && c->file_bytes > 0 ? 100.0 * (double)ftell(f) / (double)c->file_bytes : 0;
    double secs = (double)(now - c->start_wall_mono) / 1e6;
    fprintf(stderr, "\r%s  %5.1f%%  pass %d/%d  %llu pkts  %.0f pkt/s  %llu alerts  ",
            c->cfg.file, pct, c->pass + 1, c->cfg.loops, (unsigned long long)s->st.packets,
            secs > 0 ? (double)s->st.packets / secs : 0.0, (unsigned long long)s->st.alerts);
}

/* Handles one frame handed over by libpcap. */
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data) {
    pk_capture_loop *l = (pk_capture_loop *)user;
    int64_t ts = shifted(l->cap, (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
    pace(l, ts);
    if (l->cap->cfg.progress && (l->sensor->st.packets & 1023) == 0)
        show_progress(l->cap, l->sensor);
    if (!pk_batch_add(l->batch, data, h->caplen, h->len, ts)) {
        flush(l);
        if (!pk_batch_add(l->batch, data, h->caplen, h->len, ts))
            pk_sensor_packet(l->sensor, data, h->caplen, h->len, ts);
    }
    if (pk_batch_full(l->batch)) flush(l);
    if (l->sig->stop) pcap_breakloop(l->cap->pcap);
}

/* Live: non-blocking reads and our own poll() with a short timeout, so a
 * signal or an idle interface never leaves the loop stuck in the kernel
 * (on Linux the capture timeout only runs once a packet has arrived). */
static int wait_readable(pk_capture *c) {
    struct pollfd pfd = {.fd = pcap_get_selectable_fd(c->pcap), .events = POLLIN};
    if (pfd.fd < 0) return 0;
    int rc = poll(&pfd, 1, 100);
    return rc < 0 && errno != EINTR ? -1 : 0;
}

static int read_error(pk_capture *c, pk_sensor *s) {
    snprintf(c->error, sizeof c->error, "%s: read error after packet %llu: %s",
             c->live ? c->cfg.iface : c->cfg.file,
             (unsigned long long)s->st.packets, pcap_geterr(c->pcap));
    record_drops(c);
    return -1;
}

/* Starts the next --loop pass: the file from its start, a fresh flow table
 * (a new pass is new traffic), time continuing after the previous pass. */
static int next_pass(pk_capture *c, pk_sensor *s) {
    pcap_close(c->pcap);
    c->pcap = NULL;
    if (open_file(c) != 0) return -1;
    c->shift_usec += c->last_ts - c->pass_first_ts + 1000000;
    c->pass_started = false;
    c->pass++;
    s->pcap_cnt = 0;
    pk_sensor_reset_flows(s);
    return 0;
}

static int run_pass(pk_capture *c, pk_sensor *s, pk_batch *b, pk_capture_signals *sig,
                    pk_capture_tick_fn tick, void *tick_ctx) {
    pk_capture_loop l = {c, s, b, sig, tick, tick_ctx};
    while (!sig->stop) {
        int n = pcap_dispatch(c->pcap, 256, on_frame, (u_char *)&l);
        flush(&l);
        if (n == PCAP_ERROR_BREAK) break;
        if (n < 0) return read_error(c, s);
        if (!c->live && n == 0) break;            /* end of file */
        if (n == 0) {
            pk_sensor_idle(s);                    /* a quiescent point */
            if (wait_readable(c) != 0) return read_error(c, s);
        }
    }
    return 0;
}

/* Every --loop pass of the file, or the live capture. */
static int run_passes(pk_capture *c, pk_sensor *s, pk_capture_signals *sig,
                      pk_capture_tick_fn tick, void *tick_ctx) {
    if (c->live && pcap_setnonblock(c->pcap, 1, c->error) != 0) return -1;
    pk_batch b;
    if (pk_batch_init(&b) != 0) {
        snprintf(c->error, sizeof c->error, "out of memory for the frame batch");
        return -1;
    }
    int rc = run_pass(c, s, &b, sig, tick, tick_ctx);
    while (rc == 0 && !c->live && !sig->stop && c->pass + 1 < c->cfg.loops) {
        rc = next_pass(c, s);
        if (rc == 0) rc = run_pass(c, s, &b, sig, tick, tick_ctx);
    }
    pk_batch_free(&b);
    if (c->cfg.progress) {
        c->next_progress_usec = 0;
        show_progress(c, s);
        fputc('\n', stderr);
    }
    record_drops(c);
    return rc;
}

int pk_capture_run(pk_capture *c, pk_sensor *s, pk_capture_signals *sig,
                   pk_capture_tick_fn tick, void *tick_ctx) {
    s->linktype = pcap_datalink(c->pcap);
    s->pcap_filename = c->live ? NULL : c->cfg.file;
    c->start_wall_mono = mono_usec();
    int64_t cpu0 = clock_usec(CLOCK_THREAD_CPUTIME_ID);
    int rc = run_passes(c, s, sig, tick, tick_ctx);
    c->loop_wall_usec = mono_usec() - c->start_wall_mono;
    c->loop_cpu_usec = clock_usec(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    return rc;
}

void pk_capture_counters(pk_capture *c, pk_counter_cb cb, void *ctx) {
    record_drops(c);
    cb(ctx, "capture.kernel_drops", c->kernel_drops);
    cb(ctx, "capture.interface_drops", c->iface_drops);
}
