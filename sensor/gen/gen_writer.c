/* gen_writer.c - pcap output for picket-gen (time-ordered or streamed).
 *
 * Why it exists: see gen_writer.h. Output errors (disk full) are caught at
 * close time through ferror() so the exit status tells the truth.
 */
#include "gen_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_STDIO_BUF (1 << 20)

static void fail(gen_writer *w, const char *what)
{
    if (!w->failed)
        snprintf(w->error, sizeof w->error, "%s: %s", w->path, what);
    w->failed = true;
}

int gen_writer_open(gen_writer *w, const char *path, bool buffered)
{
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->buffered = buffered;
    w->dead = pcap_open_dead(DLT_EN10MB, 65535);
    if (!w->dead) {
        fail(w, "pcap_open_dead failed");
        return -1;
    }
    w->fp = fopen(path, "wb");
    if (!w->fp) {
        fail(w, strerror(errno));
        pcap_close(w->dead);
        w->dead = NULL;
        return -1;
    }
    setvbuf(w->fp, NULL, _IOFBF, GEN_STDIO_BUF);
    w->dumper = pcap_dump_fopen(w->dead, w->fp);
    if (!w->dumper) {
        fail(w, pcap_geterr(w->dead));
        fclose(w->fp);
        pcap_close(w->dead);
        w->dead = NULL;
        return -1;
    }
    return 0;
}

static void dump_one(gen_writer *w, int64_t ts, const uint8_t *frame,
                     uint32_t len)
{
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(ts / 1000000);
    h.ts.tv_usec = (suseconds_t)(ts % 1000000);
    h.caplen = len;
    h.len = len;
    pcap_dump((u_char *)w->dumper, &h, frame);
}

bool gen_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static void queue_one(gen_writer *w, int64_t ts, const uint8_t *frame,
                      size_t len)
{
    if (!gen_grow((void **)&w->refs, &w->caprefs, w->nrefs + 1,
                  sizeof *w->refs, 1024) ||
        !gen_grow((void **)&w->bytes, &w->capbytes, w->nbytes + len, 1, 1024)) {
        fail(w, "out of memory while buffering frames");
        return;
    }
    gen_pkt_ref *r = &w->refs[w->nrefs];
    r->ts_usec = ts;
    r->order = w->nrefs++;
    r->off = w->nbytes;
    r->len = (uint32_t)len;
    memcpy(w->bytes + w->nbytes, frame, len);
    w->nbytes += len;
}

void gen_writer_put(gen_writer *w, int64_t ts_usec, const uint8_t *frame,
                    size_t len)
{
    if (w->failed || len == 0)
        return;
    if (w->packets == 0 || ts_usec < w->first_ts)
        w->first_ts = ts_usec;
    if (ts_usec > w->last_ts)
        w->last_ts = ts_usec;
    w->packets++;
    w->octets += len;
    if (w->buffered)
        queue_one(w, ts_usec, frame, len);
    else
        dump_one(w, ts_usec, frame, (uint32_t)len);
}

static int by_time(const void *a, const void *b)
{
    const gen_pkt_ref *x = a, *y = b;
    if (x->ts_usec != y->ts_usec)
        return x->ts_usec < y->ts_usec ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static void flush_queue(gen_writer *w)
{
    if (w->failed || !w->nrefs)
        return;
    qsort(w->refs, w->nrefs, sizeof *w->refs, by_time);
    for (size_t i = 0; i < w->nrefs; i++)
        dump_one(w, w->refs[i].ts_usec, w->bytes + w->refs[i].off,
                 w->refs[i].len);
}

int gen_writer_close(gen_writer *w)
{
    if (w->dumper) {
        flush_queue(w);
        if (pcap_dump_flush(w->dumper) != 0 || ferror(w->fp))
            fail(w, "write error (disk full?)");
        pcap_dump_close(w->dumper);   /* closes w->fp */
        w->dumper = NULL;
        w->fp = NULL;
    }
    if (w->dead)
        pcap_close(w->dead);
    w->dead = NULL;
    free(w->refs);
    free(w->bytes);
    w->refs = NULL;
    w->bytes = NULL;
    return w->failed ? -1 : 0;
}
