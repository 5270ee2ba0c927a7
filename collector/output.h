/* output.h - the -o watch-floor file: unique alerts as JSON lines.
 *
 * Why it exists: the simplest watch floor is a file a SIEM tails. Lines are
 * written only for alerts Redis accepted as first sightings, flushed per
 * batch, and the file can be reopened (SIGHUP) after log rotation.
 */
#ifndef PICKET_COLL_OUTPUT_H
#define PICKET_COLL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "collector.h"

typedef struct pk_output pk_output;

/* Opens path for appending; NULL (logged, naming the file) on failure. */
pk_output *pk_output_open(const char *path);
void pk_output_close(pk_output *o);

/* Writes one line; false (counted and logged by the caller) on error. */
bool pk_output_line(pk_output *o, const char *json, size_t len);
bool pk_output_flush(pk_output *o);

/* Reopens the same path (after rotation); keeps the old file on failure. */
bool pk_output_reopen(pk_output *o);

#endif
