/* privdrop.h - give up root once the capture is open.
 *
 * Why it exists: opening a live interface needs CAP_NET_RAW; parsing
 * hostile packets does not. After the capture handle, the alert output and
 * the spool are open, the sensor switches to an unprivileged user and
 * group (OpenBSD daemons' habit), so a parser bug cannot be a root shell.
 */
#ifndef PICKET_PRIVDROP_H
#define PICKET_PRIVDROP_H

#include <stddef.h>

/* Switches to user (and group, or the user's primary group). Returns 0, or
 * -1 with err saying what failed. Fails if privileges could be regained. */
int pk_drop_privileges(const char *user, const char *group, char *err, size_t errlen);

#endif
