/* ind_jsonl_int.h - the one-line JSON object parser behind picket-jsonl.
 *
 * Why it exists: a pushed set is read line by line on every store rebuild;
 * a general JSON library allocates a tree per line and dominated the time
 * to apply a large set. A picket-jsonl line is one flat object, so this
 * parser reads it in place: the members picket knows land in fixed slots
 * (strings decoded into a caller's buffer), members it does not know are
 * checked and skipped (any JSON value, nesting bounded), and anything that
 * is not strict JSON (RFC 8259) is refused with the column where it broke.
 * Internal to ind_jsonl.c; the tests reach it through pk_ind_jsonl_load.
 */
#ifndef PICKET_IND_JSONL_INT_H
#define PICKET_IND_JSONL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pk_jkey {
    PK_JK_VALUE = 0,
    PK_JK_TYPE,
    PK_JK_SOURCE,
    PK_JK_PARTNER,
    PK_JK_TLP,
    PK_JK_CONFIDENCE,
    PK_JK_EXPIRES,
    PK_JK_ID,
    PK_JK_DESCRIPTION,
    PK_JK_SHARE_WITH,
    PK_JK_EXTRA,
    PK_JK_PORT,
    PK_JK_PROTO,
    PK_JK__COUNT
} pk_jkey;

extern const char *const pk_jsonl_keys[PK_JK__COUNT];   /* "value", "type", ... */

typedef enum pk_jkind {
    PK_JV_ABSENT = 0,
    PK_JV_NULL,
    PK_JV_STRING,             /* s[0..n) decoded, NUL-terminated, no NUL inside */
    PK_JV_INT,                /* i: an integer without fraction or exponent */
    PK_JV_OTHER,              /* a number with fraction/exponent, true, false,
                                 an array or an object */
} pk_jkind;

typedef struct pk_jval {
    pk_jkind kind;
    const char *s;
    size_t n;
    int64_t i;
} pk_jval;

#define PK_JSONL_MAX_DEPTH 32   /* nesting inside members picket does not know */

/* Parses s[0..n) (valid UTF-8, checked by the caller) as one JSON object.
 * Known members fill out[]; their strings are decoded into buf (cap bytes;
 * n + 1 always suffices). Returns 0, or -1 with why (a static text) and
 * *col (1-based byte column). A known member given twice is an error. */
int pk_jsonl_parse(const char *s, size_t n, pk_jval out[PK_JK__COUNT], char *buf,
                   size_t cap, const char **why, size_t *col);

/* True when s[0..n) is exactly one JSON object (any members). */
bool pk_jsonl_is_object(const char *s, size_t n);

#endif
