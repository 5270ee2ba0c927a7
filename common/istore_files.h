/* istore_files.h - build one indicator store from a list of files.
 *
 * Why it exists: the sensor at start-up, the sensor on SIGHUP and the
 * collector all do the same thing: read every file, print each file's load
 * report, and build an immutable store (or keep the list, to distribute
 * it), or fail naming the file.
 */
#ifndef PICKET_ISTORE_FILES_H
#define PICKET_ISTORE_FILES_H

#include <stddef.h>
#include <stdio.h>

#include "istore.h"

/* Loads every file into list (report on `report` when non-NULL). Returns 0,
 * or -1 with err naming the file that could not be read (what was loaded
 * before stays in list). */
int pk_ind_list_load_files(pk_ind_list *list, const char *const *paths, int npaths,
                           FILE *report, char *err, size_t errlen);

/* The same into a pack (the compact form the sensor's store is built
 * from). */
struct pk_ind_pack;
int pk_ind_pack_load_files(struct pk_ind_pack *pack, const char *const *paths, int npaths,
                           FILE *report, char *err, size_t errlen);

/* Loads every file (report on `report` when non-NULL). Returns the store,
 * or NULL with err naming the file that could not be read. */
pk_istore *pk_istore_load_files(const char *const *paths, int npaths,
                                FILE *report, char *err, size_t errlen);

#endif
