/* batch.c - frames copied into one arena (see batch.h). */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

int pk_batch_init(pk_batch *b) {
    memset(b, 0, sizeof *b);
    b->arena = malloc(PK_BATCH_BYTES);
    return b->arena ? 0 : -1;
}

void pk_batch_free(pk_batch *b) {
    free(b->arena);
    b->arena = NULL;
    pk_batch_clear(b);
}

bool pk_batch_add(pk_batch *b, const uint8_t *data, uint32_t caplen,
                  uint32_t wire_len, int64_t ts_usec) {
    if (b->n == PK_BATCH_FRAMES || caplen > PK_BATCH_BYTES - b->used) return false;
    uint8_t *dst = b->arena + b->used;
    if (caplen) memcpy(dst, data, caplen);
    b->used += (caplen + 15u) & ~(size_t)15;    /* next frame 16-aligned */
    if (b->used > PK_BATCH_BYTES) b->used = PK_BATCH_BYTES;
    b->frames[b->n++] = (pk_frame){dst, caplen, wire_len, ts_usec};
    return true;
}
