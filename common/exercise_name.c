/* exercise_name.c - the exercise name rule (see exercise_name.h).
 *
 * Why it exists: the name becomes part of Redis keys, so it is bounded and
 * limited to characters that cannot split a key or a log line (no ':',
 * space, control or non-ASCII byte).
 */
#include "exercise_name.h"

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
