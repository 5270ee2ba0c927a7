/* batch.h - one "alerts" message turned into the Lua script's arguments.
 *
 * Why it exists: before anything reaches Redis the collector stamps each
 * alert with the identity it verified (picket.sensor, picket.partner,
 * picket.alert_id = sensor:seq), whatever the sensor claimed, and computes
 * the dedup and indicator keys. The result is a ready EVALSHA argument
 * vector plus the alert JSON kept for publishing the unique ones.
 */
#ifndef PICKET_COLL_BATCH_H
#define PICKET_COLL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "collector.h"

/* Fixed arguments before the per-alert groups, and the group size. */
#define PK_BATCH_FIXED_ARGS 16
#define PK_BATCH_PER_ALERT 5
#define PK_BATCH_SHA_ARG 1          /* argv slot filled with the script sha */

typedef struct pk_batch {
    size_t received;        /* alerts in the message */
    size_t invalid;         /* skipped: no usable indicator or exercise name */
    size_t bad_exercise;    /* of which: malformed picket.exercise */
    size_t n;               /* alerts passed to the script */
    long long max_seq;      /* highest seq in the message (acked on success) */
    char **json;            /* n alert JSON texts (owned, also in argv) */
    size_t *json_len;
    const char **exercise;  /* n exercise names (in argv), NULL = live */
    int argc;
    const char **argv;
    size_t *argvlen;
    char **owned;           /* argc entries: what to free (NULL = borrowed) */
} pk_batch;

/* Builds the batch from a validated "alerts" message (modifies the alerts
 * in msg). Returns NULL only when out of memory. */
pk_batch *pk_batch_build(pk_collector *coll, const char *sensor, const char *partner,
                         json_t *msg);

void pk_batch_free(pk_batch *b);

/* "type|value" (value lowercased except for URLs, hashed when long), or
 * false when the alert carries no usable picket.indicator. */
bool pk_indicator_key(json_t *alert, char *out, size_t len);

#endif
