/* pcap_empty_loop.c - libpcap's own read loop over a capture file with an
 * empty callback: the baseline the sensor's packet rate is compared with.
 *
 * Why it exists: the benchmark reports the sensor's rate as a share of the
 * fastest anything built on libpcap can read the same file, so the number
 * says what the packet path costs, not how fast the disk or libpcap is.
 *
 *   pcap_empty_loop [--next-ex] [--buffer BYTES] FILE
 *
 * Default: pcap_dispatch() 256 packets at a time (as picket's capture loop
 * reads) with a callback that only counts packets and wire bytes, the file
 * opened by pcap_open_offline() (stdio's default buffer).
 * --next-ex: a pcap_next_ex() loop instead. --buffer: the file opened with
 * fopen() and a stdio buffer of BYTES (as picket-sensor does), handed to
 * pcap_fopen_offline(). Prints one line:
 *   packets N bytes B seconds S cpu_seconds C first_ts T0 last_ts T1
 * S is the read loop's wall time (monotonic clock, after
 * pcap_open_offline()), C its CPU time (user + system, getrusage); T0/T1 are
 * the first and last packet times (seconds since the epoch), which the
 * benchmark uses to pick a replay speed.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct counts {
    uint64_t packets, bytes;
    double first_ts, last_ts;
} counts;

static void count_one(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *data) {
    counts *c = (counts *)user;
    (void)data;
    if (!c->packets++)
        c->first_ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
    c->last_ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
    c->bytes += h->len;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int next_ex = 0;
    long buffer = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--next-ex") == 0)
            next_ex = 1;
        else if (strcmp(argv[i], "--buffer") == 0 && i + 1 < argc)
            buffer = strtol(argv[++i], NULL, 10);
        else if (!file)
            file = argv[i];
        else
            file = NULL, i = argc;
    }
    if (!file) {
        fprintf(stderr, "usage: pcap_empty_loop [--next-ex] [--buffer BYTES] FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE] = "";
    char *buf = buffer > 0 ? malloc((size_t)buffer) : NULL;
    FILE *fp = buffer > 0 ? fopen(file, "rb") : NULL;
    if (buffer > 0 && (!buf || !fp || setvbuf(fp, buf, _IOFBF, (size_t)buffer) != 0)) {
        fprintf(stderr, "pcap_empty_loop: %s: cannot open with a %ld-byte buffer\n",
                file, buffer);
        return 1;
    }
    pcap_t *p = fp ? pcap_fopen_offline(fp, err) : pcap_open_offline(file, err);
    if (!p) {
        fprintf(stderr, "pcap_empty_loop: %s\n", err);
        return 1;
    }
    counts c = {0, 0, 0, 0};
    double t0 = now_s(), c0 = cpu_s();
    int rc = 0;
    if (next_ex) {
        struct pcap_pkthdr *h;
        const u_char *data;
        while ((rc = pcap_next_ex(p, &h, &data)) == 1)
            count_one((u_char *)&c, h, data);
        rc = rc == PCAP_ERROR_BREAK ? 0 : rc;
    } else {
        for (;;) {
            int n = pcap_dispatch(p, 256, count_one, (u_char *)&c);
            if (n == 0 || n == PCAP_ERROR_BREAK)
                break;
            if (n < 0) {
                rc = n;
                break;
            }
        }
    }
    double t = now_s() - t0, cpu = cpu_s() - c0;
    if (rc < 0) {
        fprintf(stderr, "pcap_empty_loop: %s\n", pcap_geterr(p));
        pcap_close(p);
        free(buf);
        return 1;
    }
    pcap_close(p);
    free(buf);
    printf("packets %llu bytes %llu seconds %.6f cpu_seconds %.6f first_ts %.6f "
           "last_ts %.6f\n", (unsigned long long)c.packets,
           (unsigned long long)c.bytes, t, cpu, c.first_ts, c.last_ts);
    return 0;
}
