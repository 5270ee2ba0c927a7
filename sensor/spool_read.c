/* spool_read.c - the spool's records and its reader side: fsync batches,
 * reading for the uplink, deletion after acks, the size bound (see spool.h).
 *
 * Why it exists: the uplink thread must send only what is safely on disk,
 * resume after any record the collector already applied, skip records a
 * crash tore, and keep the spool under --spool-max by dropping the oldest
 * segments loudly rather than filling the disk.
 */
#include "spool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESYNC_CHUNK 65536
#define STATE_PERIOD_MS 1000

/* ---- CRC-32 (IEEE 802.3, reflected), four bits at a time ------------- */

uint32_t pk_spool_crc32(uint32_t crc, const void *data, size_t n) {
    static const uint32_t nib[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nib[crc & 15];
        crc = (crc >> 4) ^ nib[crc & 15];
    }
    return ~crc;
}

/* ---- records ---------------------------------------------------------- */

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p) {
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void pk_seg_name(uint64_t id, char *buf, size_t n) {
    snprintf(buf, n, "seg-%016" PRIx64 ".pks", id);
}

int pk_seg_open(const pk_spool *sp, uint64_t id, int flags) {
    char name[32];
    pk_seg_name(id, name, sizeof name);
    return openat(sp->dirfd, name, flags | O_CLOEXEC, 0600);
}

void pk_recbuf_free(pk_recbuf *rb) {
    free(rb->p);
    rb->p = NULL;
    rb->cap = 0;
}

static bool pread_full(int fd, void *buf, size_t n, uint64_t off) {
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

static bool recbuf_reserve(pk_recbuf *rb, size_t n) {
    if (rb->cap >= n) return true;
    size_t cap = rb->cap ? rb->cap : 4096;
    while (cap < n) cap *= 2;
    uint8_t *p = realloc(rb->p, cap);
    if (!p) return false;
    rb->p = p;
    rb->cap = cap;
    return true;
}

/* Is there a whole, intact record at off? Fills r when there is. */
static bool rec_at(int fd, uint64_t off, uint64_t end, pk_recbuf *rb, pk_rec *r) {
    uint8_t h[PK_REC_HDR];
    if (end - off < PK_REC_HDR || !pread_full(fd, h, sizeof h, off)) return false;
    uint32_t len = get32(h + 4);
    if (get32(h) != PK_REC_MAGIC || len > PK_SPOOL_MAX_RECORD ||
        end - off - PK_REC_HDR < len || !recbuf_reserve(rb, (size_t)len + 1) ||
        !pread_full(fd, rb->p, len, off + PK_REC_HDR))
        return false;
    uint32_t crc = pk_spool_crc32(pk_spool_crc32(0, h + 8, 8), h + 4, 4);
    if (pk_spool_crc32(crc, rb->p, len) != get32(h + 16)) return false;
    rb->p[len] = '\0';
    *r = (pk_rec){get64(h + 8), off, off + PK_REC_HDR + len, (const char *)rb->p, len};
    return true;
}

/* After damage at off: the next offset holding an intact record, or end. */
static uint64_t resync(int fd, uint64_t off, uint64_t end, pk_recbuf *rb) {
    static const uint8_t magic[4] = {'P', 'K', 'S', '1'};
    uint8_t *chunk = malloc(RESYNC_CHUNK);
    uint64_t pos = off + 1;
    pk_rec r;
    while (chunk && end > pos && end - pos >= PK_REC_HDR) {
        size_t n = end - pos < RESYNC_CHUNK ? (size_t)(end - pos) : RESYNC_CHUNK;
        if (!pread_full(fd, chunk, n, pos)) break;
        for (size_t i = 0; i + 4 <= n; i++) {
            if (memcmp(chunk + i, magic, 4) == 0 && rec_at(fd, pos + i, end, rb, &r)) {
                free(chunk);
                return pos + i;
            }
        }
        pos += n - 3;
    }
    free(chunk);
    return end;
}

void pk_rec_iter_init(pk_rec_iter *it, int fd, uint64_t off, uint64_t end,
                      pk_recbuf *rb) {
    *it = (pk_rec_iter){.fd = fd, .off = off, .end = end, .rb = rb};
}

bool pk_rec_next(pk_rec_iter *it, pk_rec *r) {
    while (it->off < it->end) {
        if (rec_at(it->fd, it->off, it->end, it->rb, r)) {
            it->off = r->next;
            return true;
        }
        it->corrupt++;
        it->corrupt_off = it->off;
        it->off = resync(it->fd, it->off, it->end, it->rb);
    }
    return false;
}

/* ---- the list, as the reader sees it ---------------------------------- */

/* Copies the list into sp->snap; returns its length (0 on no memory). */
static size_t snapshot(pk_spool *sp, uint64_t *cur_len) {
    pthread_mutex_lock(&sp->mu);
    size_t n = sp->nsegs;
    if (n > sp->snapcap) {
        pk_seg *p = realloc(sp->snap, n * sizeof *p);
        if (!p) n = 0;
        else {
            sp->snap = p;
            sp->snapcap = n;
        }
    }
    if (n) memcpy(sp->snap, sp->segs, n * sizeof *sp->segs);
    if (cur_len) *cur_len = atomic_load_explicit(&sp->cur_len, memory_order_acquire);
    pthread_mutex_unlock(&sp->mu);
    return n;
}

/* Removes the k oldest entries (the reader's privilege) and unlinks them. */
static void remove_oldest(pk_spool *sp, size_t k) {
    pthread_mutex_lock(&sp->mu);
    uint64_t bytes = 0, records = 0;
    for (size_t i = 0; i < k; i++) {
        bytes += sp->segs[i].bytes;
        records += sp->segs[i].records;
    }
    memmove(sp->segs, sp->segs + k, (sp->nsegs - k) * sizeof *sp->segs);
    sp->nsegs -= k;
    atomic_fetch_sub(&sp->bytes_done, bytes);
    atomic_fetch_sub(&sp->records_done, records);
    pthread_mutex_unlock(&sp->mu);
    for (size_t i = 0; i < k; i++) {
        char name[32];
        pk_seg_name(sp->snap[i].id, name, sizeof name);
        if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT)
            pk_log_limited(&sp->io_rl, PK_LOG_ERR, "spool %s/%s: cannot delete: %m",
                           sp->dir, name);
        if (sp->rfd_id == sp->snap[i].id && sp->rfd >= 0) {
            close(sp->rfd);
            sp->rfd = -1;
        }
    }
}

/* Records with seq > after in one segment, reading up to end. */
static uint64_t seg_count_after(const pk_spool *sp, const pk_seg *s, uint64_t end,
                                bool live, uint64_t after) {
    if (!live && (!s->records || s->last_seq <= after)) return 0;
    if (!live && s->first_seq > after) return s->records;
    int fd = pk_seg_open(sp, s->id, O_RDONLY);
    if (fd < 0) return 0;             /* deleted meanwhile: acked or dropped */
    pk_recbuf rb = {0};
    pk_rec_iter it;
    pk_rec r;
    uint64_t n = 0;
    pk_rec_iter_init(&it, fd, 0, end, &rb);
    while (pk_rec_next(&it, &r)) n += r.seq > after;
    pk_recbuf_free(&rb);
    close(fd);
    return n;
}

uint64_t pk_spool_count_after(pk_spool *sp, uint64_t after) {
    pthread_mutex_lock(&sp->mu);
    size_t n = sp->nsegs;
    pk_seg *copy = malloc((n ? n : 1) * sizeof *copy);
    if (copy) memcpy(copy, sp->segs, n * sizeof *copy);
    uint64_t cur_len = atomic_load_explicit(&sp->cur_len, memory_order_acquire);
    pthread_mutex_unlock(&sp->mu);
    if (!copy) return 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += seg_count_after(sp, &copy[i], i + 1 == n ? cur_len : copy[i].bytes,
                                 i + 1 == n, after);
    free(copy);
    return total;
}

/* ---- fsync batches and the size bound --------------------------------- */

static bool fsync_seg(pk_spool *sp, uint64_t id) {
    int fd = pk_seg_open(sp, id, O_RDONLY);
    if (fd < 0) return errno == ENOENT;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

static bool fsync_current(pk_spool *sp, uint64_t id) {
    if (sp->sfd < 0 || sp->sfd_id != id) {
        if (sp->sfd >= 0) close(sp->sfd);
        sp->sfd = pk_seg_open(sp, id, O_RDONLY);
        sp->sfd_id = id;
        if (sp->sfd < 0) return false;
    }
    return fsync(sp->sfd) == 0;
}

static void enforce_max(pk_spool *sp) {
    uint64_t cur_len;
    size_t n = snapshot(sp, &cur_len), k = 0;
    uint64_t total = atomic_load(&sp->bytes_done) + cur_len;
    if (total <= sp->max_bytes) return;
    uint64_t acked = atomic_load(&sp->acked), dropped = 0, last = 0;
    while (k + 1 < n && total > sp->max_bytes) {
        total -= sp->snap[k].bytes;
        dropped += seg_count_after(sp, &sp->snap[k], sp->snap[k].bytes, false, acked);
        if (sp->snap[k].last_seq > last) last = sp->snap[k].last_seq;
        k++;
    }
    /* The state must remember the dropped numbers before they vanish. */
    if (!k || pk_spool_state_write(sp, acked, pk_spool_known_last(sp)) != 0) return;
    remove_oldest(sp, k);
    atomic_fetch_add(&sp->dropped, dropped);
    if (dropped)
        pk_log_limited(&sp->drop_rl, PK_LOG_ERR, "spool %s over its limit of %.1f "
                       "MiB: DROPPED %" PRIu64 " unacknowledged alerts (up to seq %"
                       PRIu64 "); is the collector reachable?", sp->dir,
                       (double)sp->max_bytes / (1 << 20), dropped, last);
}

int pk_spool_sync(pk_spool *sp) {
    pthread_mutex_lock(&sp->mu);
    uint64_t cur_id = sp->segs[sp->nsegs - 1].id;
    uint64_t cur_len = atomic_load_explicit(&sp->cur_len, memory_order_acquire);
    pthread_mutex_unlock(&sp->mu);
    bool ok = true;
    for (uint64_t id = sp->synced_id; id < cur_id; id++) ok = fsync_seg(sp, id) && ok;
    ok = fsync_current(sp, cur_id) && ok;
    if (ok && cur_id != sp->synced_id) ok = fsync(sp->dirfd) == 0;
    if (ok) {
        sp->synced_id = cur_id;
        sp->synced_len = cur_len;
    } else {
        atomic_fetch_add(&sp->fsync_errors, 1);
        pk_log_limited(&sp->io_rl, PK_LOG_ERR, "spool %s: fsync failed: %m; unsent "
                       "alerts wait until it succeeds", sp->dir);
    }
    enforce_max(sp);
    return ok ? 0 : -1;
}

/* ---- reading for the uplink ------------------------------------------- */

void pk_spool_rewind(pk_spool *sp, pk_spool_cursor *cur) {
    size_t n = snapshot(sp, NULL);
    *cur = (pk_spool_cursor){n ? sp->snap[0].id : 0, 0};
}

static int reader_fd(pk_spool *sp, uint64_t id) {
    if (sp->rfd >= 0 && sp->rfd_id == id) return sp->rfd;
    if (sp->rfd >= 0) close(sp->rfd);
    sp->rfd = pk_seg_open(sp, id, O_RDONLY);
    sp->rfd_id = id;
    if (sp->rfd < 0)
        pk_log_limited(&sp->io_rl, PK_LOG_ERR, "spool %s: segment %" PRIu64
                       " unreadable: %m; skipped", sp->dir, id);
    return sp->rfd;
}

static void note_damage(pk_spool *sp, uint64_t seg, const pk_rec_iter *it) {
    if (!it->corrupt) return;
    if (seg > sp->hw_seg || (seg == sp->hw_seg && it->corrupt_off >= sp->hw_off)) {
        atomic_fetch_add(&sp->corrupt, it->corrupt);
        pk_log_limited(&sp->io_rl, PK_LOG_WARN, "spool %s: damaged record in segment %"
                       PRIu64 " skipped", sp->dir, seg);
        sp->hw_seg = seg;
        sp->hw_off = it->off;
    }
}

/* Reads one segment from cur->off to end. Returns false when fn said stop. */
static bool read_seg(pk_spool *sp, pk_spool_cursor *cur, uint64_t end, uint64_t after,
                     pk_spool_rec_fn fn, void *ctx, size_t *taken) {
    int fd = reader_fd(sp, cur->seg);
    if (fd < 0) return true;
    pk_rec_iter it;
    pk_rec r;
    bool go = true;
    pk_rec_iter_init(&it, fd, cur->off, end, &sp->rb);
    while (pk_rec_next(&it, &r)) {
        if (r.seq <= after) continue;
        if (!fn(ctx, r.seq, r.json, r.len)) {
            go = false;
            cur->off = r.off;
            break;
        }
        (*taken)++;
    }
    if (go) cur->off = it.off;
    note_damage(sp, cur->seg, &it);
    return go;
}

size_t pk_spool_read(pk_spool *sp, pk_spool_cursor *cur, uint64_t after_seq,
                     pk_spool_rec_fn fn, void *ctx) {
    size_t n = snapshot(sp, NULL), taken = 0, i = 0;
    while (i < n && sp->snap[i].id < cur->seg) i++;
    if (i < n && sp->snap[i].id != cur->seg) *cur = (pk_spool_cursor){sp->snap[i].id, 0};
    for (; i < n && sp->snap[i].id <= sp->synced_id; i++) {
        bool last = sp->snap[i].id == sp->synced_id;
        uint64_t end = last ? sp->synced_len : sp->snap[i].bytes;
        if (!read_seg(sp, cur, end, after_seq, fn, ctx, &taken) || last) break;
        if (i + 1 < n) *cur = (pk_spool_cursor){sp->snap[i + 1].id, 0};
    }
    return taken;
}

/* ---- acknowledgements --------------------------------------------------- */

void pk_spool_ack(pk_spool *sp, uint64_t seq) {
    if (seq <= atomic_load(&sp->acked)) return;
    atomic_store(&sp->acked, seq);
    size_t n = snapshot(sp, NULL), k = 0;
    while (k + 1 < n && sp->snap[k].last_seq <= seq) k++;
    if (!k && pk_now_ms() - sp->state_ms < STATE_PERIOD_MS) return;
    /* Persist first: a deleted segment's numbers must stay remembered. */
    if (pk_spool_state_write(sp, seq, pk_spool_known_last(sp)) == 0 && k)
        remove_oldest(sp, k);
}
