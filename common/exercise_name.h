/* exercise_name.h - the one rule for exercise names.
 *
 * Why it exists: a name given to picket-sensor --exercise ends up in the
 * collector's Redis keys (P exercise:<name>:alerts) and SSE filters. The
 * sensor refuses a bad name at start-up and the collector refuses it on
 * the wire with the same rule: 1..64 characters of [A-Za-z0-9_.-].
 */
#ifndef PICKET_EXERCISE_NAME_H
#define PICKET_EXERCISE_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define PK_EXERCISE_MAX 64

/* True when name[0..len) follows the rule (name may be NULL: false). */
bool pk_exercise_name_valid(const char *name, size_t len);

#endif
