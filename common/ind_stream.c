/* ind_stream.c - feeds the lines of an indicator file to a line format.
 *
 * Why it exists: a million-line Zeek file is tens of megabytes; reading it
 * whole would cost as much memory (and page faults) as the indicators
 * themselves. Line formats are read through one reused buffer instead, and
 * the same driver serves in-memory buffers, so both paths number lines,
 * strip BOM and CR, and report overlong lines identically.
 */
#include "ind_load_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct driver {
    pk_ldctx *c;
    const pk_line_format *fmt;
    void *state;
    uint32_t no;              /* last line number handed out */
    bool skipping;            /* inside an overlong line already reported */
} driver;

static int begin(driver *d) {
    if (d->fmt->state_size && !(d->state = calloc(1, d->fmt->state_size)))
        return pk_ld_fatal(d->c, "out of memory");
    return d->fmt->begin ? d->fmt->begin(d->c, d->state) : 0;
}

static void end(driver *d) {
    if (d->fmt->end && d->state)
        d->fmt->end(d->state);
    free(d->state);
}

/* One complete line (the "\n" removed). */
static int one_line(driver *d, const char *s, size_t n) {
    if (d->skipping) {                /* the tail of an overlong line */
        d->skipping = false;
        return 0;
    }
    d->no++;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > PK_LOAD_MAX_LINE) {
        pk_ld_issue(d->c, d->no, "line longer than %u bytes", PK_LOAD_MAX_LINE);
        return 0;
    }
    return d->fmt->line(d->c, d->state, d->no, s, n);
}

size_t pk_ld_count_lines(const char *buf, size_t len) {
    size_t lines = 1;
    for (const char *p = buf, *e = buf + len;
         p < e && (p = memchr(p, '\n', (size_t)(e - p))); p++)
        lines++;
    return lines;
}

static void reserve(driver *d, size_t lines) {
    if (lines > PK_LOAD_MAX_ITEMS)
        lines = PK_LOAD_MAX_ITEMS;
    pk_ld_reserve(d->c, lines);
}

static size_t bom_len(const char *buf, size_t len) {
    return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Complete lines of buf[0..len); returns bytes used (the rest is partial). */
static int run_lines(driver *d, const char *buf, size_t len, size_t *used) {
    size_t pos = 0;
    const char *nl;
    while (pos < len && (nl = memchr(buf + pos, '\n', len - pos))) {
        if (one_line(d, buf + pos, (size_t)(nl - buf - pos)) < 0)
            return -1;
        pos = (size_t)(nl - buf) + 1;
    }
    *used = pos;
    return 0;
}

int pk_ld_lines_buffer(pk_ldctx *c, const pk_line_format *fmt, const char *buf,
                       size_t len) {
    driver d = {c, fmt, NULL, 0, false};
    const char *p = buf ? buf : "";
    size_t skip = bom_len(p, len), used = 0;
    int rc = begin(&d);
    reserve(&d, pk_ld_count_lines(p, len));
    if (rc == 0)
        rc = run_lines(&d, p + skip, len - skip, &used);
    if (rc == 0 && skip + used < len)
        rc = one_line(&d, p + skip + used, len - skip - used);
    end(&d);
    return rc;
}

/* Expected indicators in the file, from the lines in its first chunk. */
static size_t estimate_lines(FILE *f, const char *buf, size_t have, size_t cap) {
    size_t lines = pk_ld_count_lines(buf, have);
    struct stat st;
    if (have < cap || fstat(fileno(f), &st) != 0 || st.st_size <= 0)
        return lines;
    double scale = (double)st.st_size / (double)have;
    return (size_t)((double)lines * scale * 1.05) + 64;
}

/* Keeps the partial last line at the start of buf; drops it if overlong. */
static size_t keep_partial(driver *d, char *buf, size_t used, size_t have) {
    size_t rest = have - used;
    if (d->skipping)
        return 0;
    if (rest > PK_LOAD_MAX_LINE) {
        d->no++;
        d->skipping = true;
        pk_ld_issue(d->c, d->no, "line longer than %u bytes", PK_LOAD_MAX_LINE);
        return 0;
    }
    memmove(buf, buf + used, rest);
    return rest;
}

static int stream(driver *d, FILE *f, char *buf, size_t have, size_t cap) {
    size_t total = have, used, skip = bom_len(buf, have);
    memmove(buf, buf + skip, have - skip);
    have -= skip;
    for (;;) {
        if (run_lines(d, buf, have, &used) < 0)
            return -1;
        have = keep_partial(d, buf, used, have);
        size_t got = fread(buf + have, 1, cap - have, f);
        if (ferror(f))
            return pk_ld_fatal(d->c, "read error");
        total += got;
        if (total > PK_LOAD_MAX_FILE)
            return pk_ld_fatal(d->c, "larger than %u MiB", PK_LOAD_MAX_FILE >> 20);
        if (got == 0)
            return have > 0 ? one_line(d, buf, have) : 0;
        have += got;
    }
}

int pk_ld_lines_stream(pk_ldctx *c, const pk_line_format *fmt, FILE *f,
                       char *buf, size_t have, size_t cap) {
    driver d = {c, fmt, NULL, 0, false};
    int rc = begin(&d);
    reserve(&d, estimate_lines(f, buf, have, cap));
    if (rc == 0)
        rc = stream(&d, f, buf, have, cap);
    end(&d);
    return rc;
}
