/* ind_load.h - reads indicator files of every format we accept.
 *
 * Why it exists: partners share indicators as Zeek intel TSV, STIX 2.1
 * bundles, Suricata iprep CSV and plain lists. The format is detected by
 * content. Every line or object that is not loaded is counted and reported
 * with file:line and a reason: nothing is dropped silently.
 */
#ifndef PICKET_IND_LOAD_H
#define PICKET_IND_LOAD_H

#include <stdint.h>
#include <stdio.h>

#include "ind_pack.h"
#include "indicator.h"

typedef enum pk_ind_format {
    PK_FMT_UNKNOWN = 0,
    PK_FMT_ZEEK,
    PK_FMT_STIX,
    PK_FMT_IPREP,
    PK_FMT_PLAIN,
    PK_FMT_JSONL,      /* picket-jsonl (pushed sets, see ind_jsonl.h) */
} pk_ind_format;

#define PK_LOAD_MAX_ISSUES 50   /* detailed issues kept; all are counted */

typedef struct pk_load_issue {
    uint32_t line;            /* 1-based; for STIX, the object index is in detail */
    char reason[160];
} pk_load_issue;

typedef struct pk_load_report {
    const char *path;
    pk_ind_format format;
    uint64_t loaded;
    uint64_t by_type[PK_IND__COUNT];
    uint64_t skipped;         /* malformed or unsupported items */
    uint64_t expired, revoked, unsupported;
    uint64_t ignored;         /* not indicators and not errors: STIX identity,
                                 marking-definition, relationship... objects */
    uint64_t issues_total;    /* == number of skip reasons recorded */
    uint32_t nissues;         /* kept in issues[] */
    pk_load_issue issues[PK_LOAD_MAX_ISSUES];
    char error[256];          /* fatal error (file unreadable...), "" if none */
} pk_load_report;

/* Loads one file into l. Indicators with expires <= now are not loaded
 * (counted as expired). Returns 0 on success (even with skipped lines), -1
 * on a fatal error (rep->error says why, naming the file). Optional
 * defaults (source = file basename when a format has none). */
int pk_ind_load_file(pk_ind_list *l, const char *path, int64_t now,
                     pk_load_report *rep);

/* Same, into a pack (the match store's form: no full record per
 * indicator on the way). An indicator a reader accepted but the pack cannot
 * index is skipped with an issue. */
int pk_ind_load_file_packed(pk_ind_pack *p, const char *path, int64_t now,
                            pk_load_report *rep);

/* Same, from memory (used by tests, fuzzers and pushed sets). name is used
 * in messages. */
int pk_ind_load_buffer(pk_ind_list *l, const char *name, const char *buf,
                       size_t len, int64_t now, pk_load_report *rep);

pk_ind_format pk_ind_detect_format(const char *buf, size_t len);
const char *pk_ind_format_name(pk_ind_format f);

/* "rules/x.stix.json: stix, 12 loaded (domain 5, ipv4 7), 2 skipped" then
 * one line per issue "rules/x.txt:14: <reason>", and "... and N more". */
void pk_load_report_print(FILE *f, const pk_load_report *rep);

#endif
