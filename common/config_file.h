/* config_file.h - daemon configuration files.
 *
 * Why it exists: operators run the sensor and the collector from systemd
 * with a file, not a long command line. The format is one "key = value"
 * per line, keys being the long flag names ("collector = 10.0.0.1:7443",
 * "indicators = /etc/picket/a.stix.json"), "#" comments, and "true"/"false"
 * for switches. A file becomes arguments placed before the command line's,
 * so flags given on the command line override it (repeatable keys such as
 * indicators accumulate). Unknown keys and bad lines are errors naming
 * file:line.
 */
#ifndef PICKET_CONFIG_FILE_H
#define PICKET_CONFIG_FILE_H

#include <getopt.h>
#include <stddef.h>

/* If argv holds "--config FILE" (or "--config=FILE"), reads FILE and
 * returns in *out a new argv: argv[0], the file's arguments, then the rest
 * of argv without the --config pair. Without --config, *out = argv.
 * Returns 0; -1 for a bad line (err names file:line: a usage error); -2
 * when the file cannot be read (a fatal error). *out (when != argv) and its
 * strings are freed with pk_config_free. */
int pk_config_expand(int argc, char **argv, const struct option *opts,
                     int *out_argc, char ***out, char *err, size_t errlen);
void pk_config_free(int argc, char **argv, char **original);

#endif
