/* exercise.c - live or exercise traffic (see exercise.h).
 *
 * Why it exists: picket.exercise comes from the wire; it is classified
 * here once, with the name rule of common/exercise_name.c, before it can
 * become part of a Redis key (P exercise:<name>:alerts) or an SSE filter.
 */
#include "exercise.h"

#include <string.h>

pk_traffic pk_exercise_of(json_t *alert, const char **name) {
    *name = NULL;
    json_t *ex = json_object_get(json_object_get(alert, "picket"), "exercise");
    if (!ex || json_is_null(ex)) return PK_TRAFFIC_LIVE;
    if (!json_is_string(ex) ||
        !pk_exercise_name_valid(json_string_value(ex), json_string_length(ex)))
        return PK_TRAFFIC_MALFORMED;
    *name = json_string_value(ex);
    return PK_TRAFFIC_EXERCISE;
}

bool pk_exercise_of_sighting(const char *json, size_t len, char out[PK_EXERCISE_MAX + 1]) {
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *ex = json_object_get(root, "exercise");
    bool named = json_is_string(ex) &&
                 pk_exercise_name_valid(json_string_value(ex), json_string_length(ex));
    if (named) memcpy(out, json_string_value(ex), json_string_length(ex) + 1);
    json_decref(root);
    return named;
}
