/* ind_jsonl.h - picket-jsonl: the lossless serialisation of indicators.
 *
 * Why it exists: the collector pushes each partner's indicator set to its
 * sensors, and a sensor keeps the last pushed set on disk. Every field of
 * pk_indicator must survive the trip (the partner and share_with decide
 * releasability, tlp and confidence the alert's severity), which no
 * partner format carries in full. One JSON object per line, members:
 *
 *   value (string, required)   type (ipv4 ... ja4, required)
 *   source, partner, id, description, share_with, extra   (strings)
 *   tlp ("clear" ... "red")    confidence (0..100)
 *   expires (unix seconds)     port (1..65535)   proto (1..255)
 *
 * A member that is absent (or null) is unset: NULL strings, tlp and
 * confidence unset, expires/port/proto 0. share_with "" (nobody) differs
 * from an absent share_with (no limit). "value" is always written first,
 * which is how the loaders recognise the format by content.
 */
#ifndef PICKET_IND_JSONL_H
#define PICKET_IND_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "ind_load.h"
#include "indicator.h"

#define PK_JSONL_FORMAT "picket-jsonl"
#define PK_JSONL_MAX_LINE (128u << 10)   /* longer lines are refused / skipped */

/* Writes ind's line (no newline) into buf when it fits in cap bytes (a NUL
 * is added when there is room). Returns the line's length, which may be
 * > cap (call again with a larger buffer), or 0 when ind cannot be written
 * (no value, unknown type, out of memory) or the line would be longer than
 * PK_JSONL_MAX_LINE. */
size_t pk_ind_jsonl_write(const pk_indicator *ind, char *buf, size_t cap);

/* Reads picket-jsonl text into l with the checks of the other loaders:
 * every value is parsed and normalised for its type, labels are at most
 * 256 bytes, descriptions are cut at 1024, expired indicators are counted,
 * not loaded. Every bad line is reported with its number (blank lines are
 * skipped). Returns 0 (even with bad lines) or -1 on a fatal error
 * (rep->error), as pk_ind_load_buffer does. */
int pk_ind_jsonl_load(pk_ind_list *l, const char *name, const char *buf,
                      size_t len, int64_t now, pk_load_report *rep);

#endif
