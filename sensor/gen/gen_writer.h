/* gen_writer.h - writes picket-gen's frames to a pcap file.
 *
 * Why it exists: sessions are generated one after another but overlap in
 * time, so in the normal mode frames are kept in memory and written in
 * timestamp order at the end; the bench mode writes straight through with
 * no allocation per packet. Both use libpcap's dumper (DLT_EN10MB).
 */
#ifndef PICKET_GEN_WRITER_H
#define PICKET_GEN_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

typedef struct gen_pkt_ref {
    int64_t ts_usec;
    uint64_t order;           /* tie-break: generation order */
    size_t off;
    uint32_t len;
} gen_pkt_ref;

typedef struct gen_writer {
    pcap_t *dead;
    pcap_dumper_t *dumper;
    FILE *fp;
    char path[512];
    bool buffered;
    bool failed;              /* sticky: memory or write error */
    char error[800];
    gen_pkt_ref *refs;
    size_t nrefs, caprefs;
    uint8_t *bytes;
    size_t nbytes, capbytes;
    uint64_t packets, octets;
    int64_t first_ts, last_ts;
} gen_writer;

/* Returns 0, or -1 with w->error naming the file. */
int gen_writer_open(gen_writer *w, const char *path, bool buffered);
/* Queues (buffered) or writes one frame; errors are sticky in w->failed. */
void gen_writer_put(gen_writer *w, int64_t ts_usec, const uint8_t *frame,
                    size_t len);
/* Writes queued frames in timestamp order, flushes and closes. Returns 0,
 * or -1 with w->error set. Always releases everything. */
int gen_writer_close(gen_writer *w);

/* Makes room for need elements of elem bytes in the array *p of *cap:
 * the first allocation holds at least first, later ones double. False
 * (array untouched) when memory ran out. The manifest grows with it too. */
bool gen_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first);

#endif
