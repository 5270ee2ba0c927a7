/* replay_main.c - runs a fuzz target over its regression corpus without
 * libFuzzer.
 *
 * Why it exists: in a normal build (no -DPICKET_FUZZ) every
 * tests/fuzz/fuzz_*.c is linked with this driver and registered as the
 * ctest test fuzz_regress.<name>, so every seed and every input that once
 * crashed a target (tests/fuzz/corpus/<name>/crash-*) is replayed by the
 * ordinary suite, under ASan/UBSan in the sanitizer build.
 *
 *   fuzz_x DIR|FILE...
 *
 * Each argument is a directory (its regular files are run in name order,
 * so stateful targets see the same sequence every time; hidden files are
 * skipped) or a single file (to reproduce one input). Each input is read
 * into a buffer of exactly its size, so an over-read is caught by ASan as
 * it would be under libFuzzer. LLVMFuzzerInitialize runs first when the
 * target defines it. A missing directory, an unreadable file or no input at
 * all is an error: the test must never pass without running anything.
 * Prints how many inputs ran; exits 0 (a failing input aborts, as under
 * libFuzzer).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT (64u << 20)   /* far above any corpus file */

/* Reads path whole into a malloc'd buffer of exactly its size (one byte
 * allocated for an empty file). NULL with a message on failure. */
static uint8_t *read_input(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0 ||
        (uint64_t)sb.st_size > REPLAY_MAX_INPUT) {
        fprintf(stderr, "replay: %s: cannot size it (or larger than %u MiB)\n",
                path, REPLAY_MAX_INPUT >> 20);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        fprintf(stderr, "replay: %s: read failed\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}

static int run_file(const char *path) {
    size_t n = 0;
    uint8_t *buf = read_input(path, &n);
    if (!buf) return -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular, non-hidden file of dir in name order; returns how
 * many ran, or -1. */
static long run_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    long ran = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) { ran = -1; break; }
            names = grown;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) { ran = -1; break; }
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (ran == 0 && n > 0) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n && ran >= 0; i++) {
        struct stat sb;
        if (stat(names[i], &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if (run_file(names[i]) != 0) ran = -1;
        else ran++;
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return ran;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        long ran;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(sb.st_mode)) ran = run_dir(argv[i]);
        else ran = run_file(argv[i]) == 0 ? 1 : -1;
        if (ran < 0) return 1;
        if (ran == 0) {
            fprintf(stderr, "replay: %s: no inputs (keep at least one seed)\n", argv[i]);
            return 1;
        }
        total += ran;
    }
    printf("%s: %ld inputs ran\n", argv[0], total);
    return 0;
}
