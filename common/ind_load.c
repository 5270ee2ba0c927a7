/* ind_load.c - reads an indicator file, picks its reader by content, and
 * prints the load report.
 *
 * Why it exists: operators point picket at files from many partners with
 * arbitrary names, so the format is decided by what the file holds. This
 * module owns the file I/O, the size caps, the detection and the report;
 * the per-format readers only parse.
 */
#include "ind_load_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bigalloc.h"

/* ---- report helpers --------------------------------------------------------- */

static void add_issue(pk_ldctx *c, uint32_t line, const char *fmt, va_list ap) {
    pk_load_report *r = c->rep;
    r->skipped++;
    r->issues_total++;
    if (r->nissues >= PK_LOAD_MAX_ISSUES)
        return;
    pk_load_issue *is = &r->issues[r->nissues++];
    is->line = line;
    vsnprintf(is->reason, sizeof is->reason, fmt, ap);
}

void pk_ld_issue(pk_ldctx *c, uint32_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_issue(c, line, fmt, ap);
    va_end(ap);
}

void pk_ld_unsupported(pk_ldctx *c, uint32_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_issue(c, line, fmt, ap);
    va_end(ap);
    c->rep->unsupported++;
}

int pk_ld_fatal(pk_ldctx *c, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->rep->error, sizeof c->rep->error, "%s: %s", c->name, msg);
    return -1;
}

void pk_ld_excerpt(char *dst, size_t cap, const char *s, size_t n) {
    size_t max = cap > 52 ? 48 : (cap > 4 ? cap - 4 : 0);
    size_t k = n < max ? n : max;
    for (size_t i = 0; i < k; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
    }
    if (k < n && cap >= 4) {
        memcpy(dst + k, "...", 3);
        k += 3;
    }
    if (cap > 0)
        dst[k < cap ? k : cap - 1] = '\0';
}

void pk_ld_reserve(pk_ldctx *c, size_t more) {
    if (c->list)
        pk_ind_list_reserve(c->list, more);
    else
        pk_ind_pack_reserve(c->pack, more);
}

int pk_ld_emit(pk_ldctx *c, pk_indicator *ind) {
    if (ind->expires != 0 && ind->expires <= c->now) {
        c->rep->expired++;
        return 0;
    }
    if (!ind->source)
        ind->source = c->defsource;
    size_t have = c->list ? c->list->n : c->pack->n;
    if (have >= PK_LOAD_MAX_ITEMS)
        return pk_ld_fatal(c, "more than %u indicators", PK_LOAD_MAX_ITEMS);
    if (c->list && !pk_ind_list_add(c->list, ind))
        return pk_ld_fatal(c, "out of memory");
    if (!c->list) {
        int rc = pk_ind_pack_add(c->pack, ind);
        if (rc < 0)
            return pk_ld_fatal(c, "out of memory");
        if (rc == 0) {        /* the readers hand over parsed values only */
            pk_ld_issue(c, 0, "invalid %s value", pk_ind_type_name((pk_ind_type)ind->type));
            return 0;
        }
    }
    c->rep->loaded++;
    if (ind->type < PK_IND__COUNT)
        c->rep->by_type[ind->type]++;
    return 1;
}

/* ---- detection -------------------------------------------------------------- */

static size_t skip_bom(const char *buf, size_t len) {
    return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

static bool is_zeek_header(const char *s, size_t n) {
    char c = n > 7 ? s[7] : 'x';
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '_';
    return n > 7 && memcmp(s, "#fields", 7) == 0 && !word;
}

/* Looks at the leading comment block and the first record. */
static pk_ind_format detect_lines(const char *buf, size_t len) {
    pk_lines it;
    const char *s;
    size_t n;
    pk_lines_init(&it, buf, len);
    while (it.no < 10000 && pk_lines_next(&it, &s, &n)) {
        pk_ld_trim(&s, &n);
        if (n == 0)
            continue;
        if (s[0] != '#')
            return pk_iprep_line_like(s, n) ? PK_FMT_IPREP : PK_FMT_PLAIN;
        if (is_zeek_header(s, n))
            return PK_FMT_ZEEK;
    }
    return PK_FMT_PLAIN;
}

pk_ind_format pk_ind_detect_format(const char *buf, size_t len) {
    if (!buf)
        return PK_FMT_UNKNOWN;
    if (len >= 2 && ((unsigned char)buf[0] == 0xFF || (unsigned char)buf[0] == 0xFE) &&
        ((unsigned char)buf[1] == 0xFE || (unsigned char)buf[1] == 0xFF))
        return PK_FMT_UNKNOWN;                 /* UTF-16 */
    if (memchr(buf, '\0', len < 64 ? len : 64))
        return PK_FMT_UNKNOWN;                 /* binary */
    size_t i = skip_bom(buf, len);
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
                       buf[i] == '\n'))
        i++;
    if (len - i >= 9 && memcmp(buf + i, "{\"value\":", 9) == 0)
        return PK_FMT_JSONL;
    if (i < len && (buf[i] == '{' || buf[i] == '['))
        return PK_FMT_STIX;
    return detect_lines(buf, len);
}

const char *pk_ind_format_name(pk_ind_format f) {
    switch (f) {
    case PK_FMT_ZEEK: return "zeek";
    case PK_FMT_STIX: return "stix";
    case PK_FMT_IPREP: return "iprep";
    case PK_FMT_PLAIN: return "plain";
    case PK_FMT_JSONL: return "picket-jsonl";
    default: return "unknown";
    }
}

/* ---- loading ---------------------------------------------------------------- */

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

#define STREAM_CHUNK (1u << 20)   /* first read and streaming buffer */

static const pk_line_format *line_format(pk_ind_format f) {
    switch (f) {
    case PK_FMT_ZEEK: return &pk_zeek_format;
    case PK_FMT_IPREP: return &pk_iprep_format;
    case PK_FMT_PLAIN: return &pk_plain_format;
    default: return NULL;
    }
}

static int load_memory(pk_ldctx *c, const char *buf, size_t len) {
    const pk_line_format *lf = line_format(c->rep->format);
    if (c->rep->format == PK_FMT_STIX)
        return pk_load_stix(c, buf, len);
    if (c->rep->format == PK_FMT_JSONL)
        return pk_load_jsonl(c, buf, len);
    if (lf)
        return pk_ld_lines_buffer(c, lf, buf, len);
    return pk_ld_fatal(c, "not a text indicator file (binary or UTF-16)");
}

static void start_report(pk_load_report *rep, pk_ldctx *c, pk_ind_list *l,
                         pk_ind_pack *p, const char *name, int64_t now) {
    memset(rep, 0, sizeof *rep);
    rep->path = name ? name : "(buffer)";
    *c = (pk_ldctx){l, p, rep, rep->path, base_name(rep->path), now};
}

int pk_ind_load_buffer(pk_ind_list *l, const char *name, const char *buf,
                       size_t len, int64_t now, pk_load_report *rep) {
    pk_ldctx c;
    start_report(rep, &c, l, NULL, name, now);
    if (!buf && len > 0)
        return pk_ld_fatal(&c, "no data");
    if (len > PK_LOAD_MAX_FILE)
        return pk_ld_fatal(&c, "larger than %u MiB", PK_LOAD_MAX_FILE >> 20);
    rep->format = pk_ind_detect_format(buf ? buf : "", len);
    return load_memory(&c, buf ? buf : "", len);
}

/* Reads the rest of f after the first `have` bytes in *buf (of size cap), up
 * to PK_LOAD_MAX_FILE + 1 bytes (one more than allowed tells it is too big). */
static int read_rest(pk_ldctx *c, FILE *f, char **buf, size_t *have, size_t cap) {
    const size_t limit = (size_t)PK_LOAD_MAX_FILE + 1;
    struct stat st;
    size_t want = cap * 2;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= cap)
        want = (size_t)st.st_size + 1;
    while (*have == cap && cap < limit) {
        size_t ncap = want < limit ? want : limit;
        char *nb = pk_big_realloc(*buf, *have, ncap);
        if (!nb)
            return pk_ld_fatal(c, "out of memory");
        *buf = nb;
        cap = ncap;
        *have += fread(*buf + *have, 1, cap - *have, f);
        want = cap * 2;
    }
    if (ferror(f))
        return pk_ld_fatal(c, "read error");
    if (*have >= limit)
        return pk_ld_fatal(c, "larger than %u MiB", PK_LOAD_MAX_FILE >> 20);
    return 0;
}

static int load_stream(pk_ldctx *c, FILE *f) {
    size_t cap = STREAM_CHUNK;
    char *buf = malloc(cap);
    if (!buf)
        return pk_ld_fatal(c, "out of memory");
    size_t have = fread(buf, 1, cap, f);
    int rc = ferror(f) ? pk_ld_fatal(c, "cannot read: %s", strerror(errno)) : 0;
    c->rep->format = pk_ind_detect_format(buf, have);
    const pk_line_format *lf = line_format(c->rep->format);
    if (rc == 0 && lf)
        rc = pk_ld_lines_stream(c, lf, f, buf, have, cap);
    else if (rc == 0 && c->rep->format != PK_FMT_STIX && c->rep->format != PK_FMT_JSONL)
        rc = load_memory(c, buf, have);           /* the fatal "not text" */
    else if (rc == 0 && (rc = read_rest(c, f, &buf, &have, cap)) == 0)
        rc = load_memory(c, buf, have);
    free(buf);
    return rc;
}

static int load_file(pk_ldctx *c, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return pk_ld_fatal(c, "cannot read: %s", strerror(errno));
    int rc = load_stream(c, f);
    fclose(f);
    return rc;
}

int pk_ind_load_file(pk_ind_list *l, const char *path, int64_t now,
                     pk_load_report *rep) {
    pk_ldctx c;
    start_report(rep, &c, l, NULL, path, now);
    return load_file(&c, path);
}

int pk_ind_load_file_packed(pk_ind_pack *p, const char *path, int64_t now,
                            pk_load_report *rep) {
    pk_ldctx c;
    start_report(rep, &c, NULL, p, path, now);
    return load_file(&c, path);
}

/* ---- report ----------------------------------------------------------------- */

static void print_counts(FILE *f, const pk_load_report *r) {
    fprintf(f, "%s: %s, %llu loaded", r->path, pk_ind_format_name(r->format),
            (unsigned long long)r->loaded);
    const char *sep = " (";
    for (int t = 0; t < PK_IND__COUNT; t++) {
        if (!r->by_type[t])
            continue;
        fprintf(f, "%s%s %llu", sep, pk_ind_type_name((pk_ind_type)t),
                (unsigned long long)r->by_type[t]);
        sep = ", ";
    }
    if (r->loaded)
        fputc(')', f);
    fprintf(f, ", %llu skipped", (unsigned long long)r->skipped);
    if (r->unsupported)
        fprintf(f, " (%llu unsupported)", (unsigned long long)r->unsupported);
    if (r->expired)
        fprintf(f, ", %llu expired", (unsigned long long)r->expired);
    if (r->revoked)
        fprintf(f, ", %llu revoked", (unsigned long long)r->revoked);
    if (r->ignored)
        fprintf(f, ", %llu other objects ignored", (unsigned long long)r->ignored);
    fputc('\n', f);
}

void pk_load_report_print(FILE *f, const pk_load_report *rep) {
    if (rep->error[0])
        fprintf(f, "%s\n", rep->error);
    if (!rep->error[0] || rep->loaded || rep->issues_total)
        print_counts(f, rep);
    for (uint32_t i = 0; i < rep->nissues && i < PK_LOAD_MAX_ISSUES; i++) {
        if (rep->issues[i].line)
            fprintf(f, "%s:%u: %s\n", rep->path, rep->issues[i].line,
                    rep->issues[i].reason);
        else
            fprintf(f, "%s: %s\n", rep->path, rep->issues[i].reason);
    }
    if (rep->issues_total > rep->nissues)
        fprintf(f, "%s: ... and %llu more\n", rep->path,
                (unsigned long long)(rep->issues_total - rep->nissues));
}
