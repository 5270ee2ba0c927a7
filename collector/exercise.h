/* exercise.h - which traffic an alert belongs to: live operations or one
 * named exercise.
 *
 * Why it exists: exercise alerts (a sensor run with --exercise NAME) must
 * never reach the live stream, the live dedup namespace or -o. The name
 * comes from the wire, so it is checked here once (common/exercise_name.h:
 * 1..64 characters of [A-Za-z0-9_.-]). A name that breaks the rule makes
 * the alert malformed (skipped and counted), never a key in Redis.
 */
#ifndef PICKET_COLL_EXERCISE_H
#define PICKET_COLL_EXERCISE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "exercise_name.h"

typedef enum pk_traffic {
    PK_TRAFFIC_LIVE = 0,       /* picket.exercise absent or null */
    PK_TRAFFIC_EXERCISE,       /* a valid exercise name */
    PK_TRAFFIC_MALFORMED,      /* anything else: the alert is skipped */
} pk_traffic;

/* Classifies an alert by its picket.exercise; *name is set to the
 * exercise name (owned by the alert) or NULL. */
pk_traffic pk_exercise_of(json_t *alert, const char **name);

/* A sighting JSON text (made by the apply script) names its exercise in
 * "exercise"; copies it to out and returns true, or false for live. */
bool pk_exercise_of_sighting(const char *json, size_t len, char out[PK_EXERCISE_MAX + 1]);

#endif
