/* indset.h - the sensor's indicator store: its own -I files plus the set
 * the collector last pushed.
 *
 * Why it exists: start-up and every reload (SIGHUP or a newly pushed set)
 * must build the same combination the same way: the local files first
 * (a failure there fails the build, naming the file), then the pushed set
 * persisted in the spool (unreadable or damaged: refused as a whole with a
 * log line naming the file and why, and counted; the local files still
 * load). The store's version is then that of the combination.
 */
#ifndef PICKET_INDSET_H
#define PICKET_INDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ind_push.h"
#include "istore.h"

typedef struct pk_indset_info {
    char pushed_version[PK_PUSH_VERSION_LEN + 1];   /* "" when none was loaded */
    size_t pushed_count;                            /* indicators it gave */
    bool pushed_rejected;     /* a persisted set was there but was refused */
} pk_indset_info;

/* pushed_dir: the spool directory, or NULL (no collector). Load reports go
 * to report when non-NULL. Returns the store, or NULL with err. */
pk_istore *pk_indset_load(const char *const *paths, int npaths, const char *pushed_dir,
                          FILE *report, pk_indset_info *info, char *err, size_t errlen);

#endif
