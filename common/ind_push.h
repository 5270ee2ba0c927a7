/* ind_push.h - what the collector pushes to a partner's sensors.
 *
 * Why it exists: the collector owns the coalition's indicator set, but a
 * partner may only receive what it may see: TLP:RED only by the partner
 * that shared it, an explicit share_with list only by the partners it
 * names (and the originator). This module is that rule, the serialisation
 * of a whole set once per version (pk_push_lines: every indicator's
 * picket-jsonl line), and one partner's view cut into ready-to-write
 * "indicators" frames no larger than the frame limit (pk_push_set), built
 * once per partner and version and then written to every sensor of it.
 *
 * Frames: {"type":"indicators","version":V,"format":"picket-jsonl",
 * "data":TEXT}, with "part":i,"parts":n (1 <= i <= n) when the set takes
 * more than one frame; TEXT of part 1, 2, ... n concatenated is the set's
 * picket-jsonl text and V its version (pk_push_version of that text), so a
 * receiver can check it holds exactly the set that was sent.
 */
#ifndef PICKET_IND_PUSH_H
#define PICKET_IND_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "indicator.h"
#include "wire.h"

#define PK_PUSH_MAX_PARTS PK_WIRE_MAX_PARTS   /* frames of one set, at most */
#define PK_PUSH_VERSION_LEN 16        /* hex digits */

/* May a sensor of `partner` (its certificate O) receive ind? The partner
 * that shared it always may; nobody else gets TLP:RED; a share_with list
 * names the only other partners that may. Partners compare exactly. */
bool pk_ind_releasable(const pk_indicator *ind, const char *partner);

/* The version naming a set's text: SHA-256, cut to 16 hex digits. */
void pk_push_version(const char *data, size_t len, char out[PK_PUSH_VERSION_LEN + 1]);

/* Every indicator of a list, serialised once. */
typedef struct pk_push_lines {
    const pk_ind_list *list;  /* not owned; must outlive this */
    char *text;               /* all lines, each ending in "\n" */
    size_t len;
    size_t *off;              /* line i is text[off[i] .. off[i + 1]); n + 1 entries */
    size_t n;                 /* == list->n; an unwritable indicator has an empty line */
    size_t unwritable;
    char version[PK_PUSH_VERSION_LEN + 1];   /* of the whole text */
} pk_push_lines;

/* 0, or -1 when out of memory. */
int pk_push_lines_build(pk_push_lines *pl, const pk_ind_list *list);
void pk_push_lines_free(pk_push_lines *pl);

typedef struct pk_push_frame {
    uint8_t *buf;             /* 4-byte length header + the JSON message */
    size_t len;
} pk_push_frame;

/* One partner's view of a set. */
typedef struct pk_push_set {
    char version[PK_PUSH_VERSION_LEN + 1];
    size_t count;             /* indicators in it */
    size_t data_len;          /* bytes of its picket-jsonl text */
    size_t too_long;          /* lines that fit no frame (left out) */
    size_t bytes;             /* all frames, headers included */
    size_t nframes;
    pk_push_frame *frames;
} pk_push_set;

/* The frames for `partner`, each payload at most frame_limit bytes.
 * NULL when out of memory or the set would need more than
 * PK_PUSH_MAX_PARTS frames. */
pk_push_set *pk_push_set_build(const pk_push_lines *pl, const char *partner,
                               uint32_t frame_limit);
void pk_push_set_free(pk_push_set *s);

#endif
