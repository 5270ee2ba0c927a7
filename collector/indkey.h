/* indkey.h - the one text that names an indicator in Redis keys.
 *
 * Why it exists: the apply script keys dedup, sightings and the exercise
 * coverage hash by "type|value", and the coverage report must compute the
 * very same text from an indicator file to look its indicator up. One
 * function serves both so the two can never drift apart.
 */
#ifndef PICKET_COLL_INDKEY_H
#define PICKET_COLL_INDKEY_H

#include <stdbool.h>
#include <stddef.h>

#define PK_INDKEY_MAX 640          /* buffer size that always suffices */

/* "type|value": value lowercased except for URLs, replaced by
 * "sha256:<hex>" when longer than 200 bytes. False when the type is not
 * [a-z0-9_+-]{1,32}, the value is empty or holds a NUL, or out is short. */
bool pk_indicator_key_text(const char *type, const char *value, size_t vlen, char *out,
                           size_t len);

/* The same with the type given as type[0..tlen) (not NUL terminated). */
bool pk_indicator_key_mem(const char *type, size_t tlen, const char *value, size_t vlen,
                          char *out, size_t len);

#endif
