/* pushed.h - indicator sets the collector pushes to this sensor.
 *
 * Why it exists: the collector sends the partner's share of the coalition
 * set as one or more "indicators" messages (ind_push.h). The uplink thread
 * hands each message here; a set is accepted only once every part of one
 * version has arrived in order and the text hashes to that version. It is
 * then written to the spool directory (temp file, fsync, rename: a crash
 * leaves the old set or the new one, never a mix) so a sensor restarted
 * while the collector is unreachable keeps the coalition set, and the
 * owner is told to rebuild the store (reload.c) from the local -I files
 * plus this set. A set equal to the one in force is not applied again.
 */
#ifndef PICKET_PUSHED_H
#define PICKET_PUSHED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "counters.h"
#include "ind_jsonl.h"
#include "ind_push.h"
#include "log.h"

#define PK_PUSHED_FILE "pushed-indicators.jsonl"   /* in the spool, see pushed_file.c */
#define PK_PUSHED_MAX_BYTES (512u << 20)   /* one set's text, at most */

/* Parts of one version being put together. */
typedef struct pk_pushed_asm {
    char version[PK_PUSH_VERSION_LEN + 1];
    uint32_t parts, next;     /* parts announced; next part expected (0: idle) */
    char *buf;
    size_t len, cap;
} pk_pushed_asm;

typedef enum pk_pushed_rc {
    PK_PUSHED_PARTIAL = 0,    /* more parts to come */
    PK_PUSHED_COMPLETE,       /* a->buf[0..len) is the whole, verified set */
    PK_PUSHED_REFUSED,        /* err says why; the assembly was dropped */
} pk_pushed_rc;

/* Feeds one "indicators" message that pk_wire_parse accepted. */
pk_pushed_rc pk_pushed_feed(pk_pushed_asm *a, json_t *msg, char *err, size_t errlen);
void pk_pushed_asm_reset(pk_pushed_asm *a);   /* frees the buffer too */

/* pushed_file.c: replaces dir/pushed-indicators.jsonl (a header line naming
 * the version and length, then the text) atomically. 0, or -1 with err. */
int pk_pushed_persist(const char *dir, const char *version, const char *data,
                      size_t len, char *err, size_t errlen);

/* pushed_file.c: reads the persisted set: *data (malloc'd, NUL-terminated,
 * the text without its header), *len and its version. Returns 1, 0 when
 * there is none, -1 with err naming the file and what is wrong (bad
 * header, wrong length, text that does not hash to its version). */
int pk_pushed_read(const char *dir, char **data, size_t *len,
                   char version[PK_PUSH_VERSION_LEN + 1], char *err, size_t errlen);

/* pushed_file.c: checks a persisted file's bytes buf[0..len). NULL when
 * sound (the text is buf[*off..len), its version in version), else why
 * not (a static text). */
const char *pk_pushed_check(const char *buf, size_t len, size_t *off,
                            char version[PK_PUSH_VERSION_LEN + 1]);

/* A new set is on disk: rebuild the store. received_ms: pk_now_ms() when
 * its last part arrived. Runs on the uplink thread. */
typedef void (*pk_pushed_apply_fn)(void *ctx, int64_t received_ms);

typedef struct pk_pushed {
    const char *dir;          /* the spool directory */
    pk_pushed_asm as;
    char current[PK_PUSH_VERSION_LEN + 1];   /* on disk ("" when none) */
    pk_pushed_apply_fn apply;
    void *apply_ctx;
    pk_ratelimit rl;
    _Atomic uint64_t sets_received, sets_unchanged, refused, persist_errors;
} pk_pushed;

/* current: the version already loaded from the spool ("" or NULL: none). */
void pk_pushed_init(pk_pushed *p, const char *dir, const char *current,
                    pk_pushed_apply_fn apply, void *apply_ctx);
/* pk_uplink_config.on_indicators (ctx = the pk_pushed), uplink thread. */
void pk_pushed_message(void *ctx, json_t *msg);
void pk_pushed_free(pk_pushed *p);

/* pushed.sets_received, .sets_unchanged, .refused, .persist_errors */
void pk_pushed_counters(const pk_pushed *p, pk_counter_cb cb, void *ctx);

#endif
