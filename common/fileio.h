/* fileio.h - whole-file reads and writes that a crash cannot tear.
 *
 * Why it exists: the sensor's spool state and its persisted pushed
 * indicator set are both small files replaced as a whole; each must be
 * written through a temporary file, fsync and rename (a crash leaves the
 * old file or the new one), and read back with a size bound, since what is
 * on disk is as untrusted as what comes off the wire.
 */
#ifndef PICKET_FILEIO_H
#define PICKET_FILEIO_H

#include <stddef.h>

/* Writes all n bytes (retrying short writes and EINTR). 0, or -1 (errno). */
int pk_write_all(int fd, const void *p, size_t n);

/* Replaces dir/name with head[0..hlen) + data[0..len) through
 * dir/.name.tmp: write, fsync, rename, fsync dir. 0, or -1 with err
 * naming the file. */
int pk_file_replace(const char *dir, const char *name, const char *head, size_t hlen,
                    const char *data, size_t len, char *err, size_t errlen);

/* Reads a whole regular file of at most max bytes into *data (malloc'd,
 * NUL-terminated), *len. Returns 1, 0 when it does not exist, -1 with err
 * naming the file. */
int pk_file_read(const char *path, size_t max, char **data, size_t *len, char *err,
                 size_t errlen);

#endif
