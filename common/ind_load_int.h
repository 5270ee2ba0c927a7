/* ind_load_int.h - what the four indicator file readers share.
 *
 * Why it exists: the Zeek, STIX, iprep and plain-list readers each parse
 * their own syntax but must record skipped items, apply defaults and expiry,
 * cap sizes and read metadata (times, confidence, text) the same way. This
 * internal header is that common ground; it is not part of the public API.
 */
#ifndef PICKET_IND_LOAD_INT_H
#define PICKET_IND_LOAD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ind_load.h"
#include "ind_pack.h"
#include "indicator.h"

#define PK_LOAD_MAX_FILE  (512u << 20)  /* bytes read from one file */
#define PK_LOAD_MAX_LINE  8192u         /* longer lines are skipped */
#define PK_LOAD_MAX_ITEMS (64u << 20)   /* indicators in one list */
#define PK_LOAD_MAX_DESC  1024u         /* description/extra kept (truncated) */
#define PK_LOAD_MAX_LABEL 256u          /* source, partner, id: longer = skip */

typedef struct pk_ldctx {
    pk_ind_list *list;        /* the indicators go here, */
    pk_ind_pack *pack;        /* or, when list is NULL, here */
    pk_load_report *rep;
    const char *name;         /* file name for messages */
    const char *defsource;    /* source when the format gives none */
    int64_t now;
} pk_ldctx;

/* Records a skipped item (line 0 = no line, e.g. STIX objects). */
void pk_ld_issue(pk_ldctx *c, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, and counts it as unsupported (valid input we cannot match). */
void pk_ld_unsupported(pk_ldctx *c, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets the fatal error, naming the file. Returns -1. */
int pk_ld_fatal(pk_ldctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Room for `more` indicators in the list or pack (failing only means
 * growth later). */
void pk_ld_reserve(pk_ldctx *c, size_t more);

/* Adds ind (default source, expiry, counters). 1 = loaded, 0 = expired,
 * -1 = out of memory or too many indicators (fatal error set). */
int pk_ld_emit(pk_ldctx *c, pk_indicator *ind);

/* A printable excerpt of untrusted text for messages: at most 48 bytes,
 * control and non-ASCII bytes shown as '?', "..." when cut. */
void pk_ld_excerpt(char *dst, size_t cap, const char *s, size_t n);

/* ---- lines ---------------------------------------------------------------- */

typedef struct pk_lines {
    const char *p, *end;
    uint32_t no;              /* number of the line last returned */
} pk_lines;

void pk_lines_init(pk_lines *it, const char *buf, size_t len);  /* skips a BOM */
/* Next line without its "\n" or "\r\n". false at the end. */
bool pk_lines_next(pk_lines *it, const char **s, size_t *n);
void pk_ld_trim(const char **s, size_t *n);
/* Skips (and reports) an overlong line, a NUL byte or invalid UTF-8. */
bool pk_ld_line_ok(pk_ldctx *c, uint32_t no, const char *s, size_t n);

/* ---- metadata ------------------------------------------------------------- */

/* RFC 3339 ("2026-01-31T12:00:00Z", fraction and offset allowed), a date
 * ("2026-01-31") or unix seconds. 0 ok, -1 invalid. */
int pk_ld_parse_time(const char *s, size_t n, int64_t *out);
/* 0..100, a decimal fraction is rounded. 0 ok, -1 invalid or out of range. */
int pk_ld_parse_confidence(const char *s, size_t n, uint8_t *out);

/* Scratch space for one item's metadata strings (NUL-terminated copies). */
typedef struct pk_scratch {
    char *buf;
    size_t used, cap;
} pk_scratch;

/* Copy of s (trimmed); "" and "-" give NULL; longer than max is cut at a
 * UTF-8 boundary. NULL also when the scratch space is full. */
const char *pk_scratch_text(pk_scratch *sc, const char *s, size_t n, size_t max);

/* Normalises a comma-separated partner list (items trimmed, empties dropped)
 * into the scratch space. "" when the list is empty. */
const char *pk_scratch_share(pk_scratch *sc, const char *s, size_t n);

/* ---- the readers ---------------------------------------------------------- */

/* A line-based format: called once per line (without "\n" / "\r\n"; lines
 * longer than PK_LOAD_MAX_LINE are reported by the driver and never passed).
 * Returns -1 on a fatal error (set with pk_ld_fatal), else 0. */
typedef int (*pk_line_fn)(pk_ldctx *c, void *state, uint32_t no,
                          const char *s, size_t n);

typedef struct pk_line_format {
    size_t state_size;                        /* zeroed state for the file */
    int (*begin)(pk_ldctx *c, void *state);   /* optional */
    pk_line_fn line;
    void (*end)(void *state);                 /* optional */
} pk_line_format;

extern const pk_line_format pk_zeek_format, pk_iprep_format, pk_plain_format;

/* Runs a line format over a buffer, or over a file in chunks (buf holds the
 * first `have` bytes already read; cap is its size, >= 2 * PK_LOAD_MAX_LINE). */
int pk_ld_lines_buffer(pk_ldctx *c, const pk_line_format *fmt, const char *buf,
                       size_t len);
int pk_ld_lines_stream(pk_ldctx *c, const pk_line_format *fmt, FILE *f,
                       char *buf, size_t have, size_t cap);

int pk_load_stix(pk_ldctx *c, const char *buf, size_t len);
int pk_load_jsonl(pk_ldctx *c, const char *buf, size_t len);   /* ind_jsonl.c */

/* Lines in buf[0..len) (newlines + 1): how many items to reserve room for.
 * (ind_stream.c) */
size_t pk_ld_count_lines(const char *buf, size_t len);

/* ---- STIX patterns (ind_stix_pat.c) ----------------------------------------- */

typedef struct pk_stix_cmp {
    pk_ind_type type;
    const char *value;        /* unescaped literal, NUL-terminated */
    size_t len;
} pk_stix_cmp;

#define PK_STIX_MAX_PATTERN 65536u  /* longer patterns are skipped */

typedef struct pk_stix_pattern {
    pk_stix_cmp *cmps;        /* the comparisons joined by OR we can match */
    size_t ncmps;
    size_t nunsupported;      /* comparisons OR-ed in that we cannot match */
    char reason[128];         /* why unsupported / why invalid */
    char *lits;               /* storage for the literals */
} pk_stix_pattern;

/* 0: parsed (ncmps may be 0 when every comparison is unsupported; then
 * reason says why), 1: unsupported as a whole (AND, FOLLOWEDBY, qualifiers),
 * -1: invalid syntax or too long. reason is set for 1 and -1.
 * pk_stix_pattern_free() after any result. */
int pk_stix_pattern_parse(const char *s, size_t n, pk_stix_pattern *p);
void pk_stix_pattern_free(pk_stix_pattern *p);

/* Used by detection: does this line look like an iprep record? */
bool pk_iprep_line_like(const char *s, size_t n);

#endif
