/* istore_probe.c - how long an indicator set takes to load and how much
 * memory its store holds.
 *
 * Why it exists: the sensor only logs the indicator count; the benchmark's
 * targets are about load time and memory against the file size. This loads
 * the files exactly as the sensor does (pk_istore_load_files), then prints
 * one line of key=value pairs:
 *
 *   indicators=N load_ms=T load_cpu_ms=C store_bytes=B file_bytes=F
 *   rss_before_kib=R0 rss_after_kib=R1 hwm_kib=H
 *
 * load_ms is wall time, load_cpu_ms the CPU time (user + system) it took;
 * store_bytes is the store's own account (pk_istore_memory: tables, items,
 * strings); rss_after - rss_before is what the process really keeps after
 * loading (allocator slack included); hwm is the peak RSS while loading.
 * With --free, also frees the store and reports free_ms.
 *
 *   istore_probe [--free] FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "istore.h"
#include "istore_files.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* A "Vm...:" line of /proc/self/status, in KiB (0 when absent). */
static long status_kib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t n = strlen(key);
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

int main(int argc, char **argv) {
    int first = 1, do_free = 0;
    if (argc > 1 && strcmp(argv[1], "--free") == 0) {
        do_free = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: istore_probe [--free] FILE...\n");
        return 2;
    }
    long long file_bytes = 0;
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0)
            file_bytes += (long long)st.st_size;
    }
    long rss0 = status_kib("VmRSS");
    char err[512];
    double t0 = now_ms(), c0 = cpu_ms();
    pk_istore *s = pk_istore_load_files((const char *const *)argv + first,
                                        argc - first, NULL, err, sizeof err);
    double t1 = now_ms(), c1 = cpu_ms();
    if (!s) {
        fprintf(stderr, "istore_probe: %s\n", err);
        return 1;
    }
    long rss1 = status_kib("VmRSS"), hwm = status_kib("VmHWM");
    printf("indicators=%zu load_ms=%.1f load_cpu_ms=%.1f store_bytes=%zu "
           "file_bytes=%lld rss_before_kib=%ld rss_after_kib=%ld hwm_kib=%ld",
           pk_istore_count(s), t1 - t0, c1 - c0, pk_istore_memory(s), file_bytes,
           rss0, rss1, hwm);
    if (do_free) {
        double t2 = now_ms();
        pk_istore_free(s);
        printf(" free_ms=%.1f", now_ms() - t2);
    }
    printf("\n");
    return 0;
}
