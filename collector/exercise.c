/* exercise.c - live or exercise traffic, and the exercise name rule (see
 * exercise.h).
 *
 * Why it exists: the name becomes part of Redis keys
 * (P exercise:<name>:alerts) and of SSE filters, so it is bounded and
 * limited to characters that cannot split a key or a log line.
 */
#include "exercise.h"

#include <string.h>

bool pk_exercise_name_valid(const char *name, size_t len) {
    if (!name || len == 0 || len > PK_EXERCISE_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

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
