/* spool.c - the disk spool: opening and recovery, the state file, and the
 * writer (see spool.h; records and the reader are in spool_read.c).
 *
 * Why it exists: an alert must be on disk before it is sent and stay there
 * until the collector has applied it, and the alert numbering must never
 * repeat across restarts.
 *
 * Crash window, honestly: pk_spool_append() is a write(2) into the page
 * cache; the uplink thread fsyncs in batches (about every 100 ms). If the
 * sensor process dies, nothing written is lost: the kernel still holds it.
 * If the machine loses power or the kernel crashes, alerts appended in the
 * last ~100 ms before the fsync may be lost. They were never sent either
 * (only fsynced records are sent), so the collector never holds an alert
 * the sensor forgot, and a reused number never collides with one the
 * collector has applied. A record torn by the crash fails its CRC and is
 * skipped and counted when the spool is reopened.
 */
#include "spool_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fileio.h"

#define STATE_FILE "state"
#define STATE_TMP "state.tmp"

static void be32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void be64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* ---- directory, lock, state file ---------------------------------- */

static int open_dir(pk_spool *sp, char *err, size_t errlen) {
    if (mkdir(sp->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "spool %s: cannot create: %s", sp->dir, strerror(errno));
        return -1;
    }
    sp->dirfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->dirfd < 0) {
        snprintf(err, errlen, "spool %s: cannot open directory: %s", sp->dir,
                 strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(sp->dirfd, &st) == 0 && (st.st_mode & 077)) {
        if (fchmod(sp->dirfd, 0700) != 0) {
            snprintf(err, errlen, "spool %s: is group/world accessible and chmod 0700 "
                     "failed: %s", sp->dir, strerror(errno));
            return -1;
        }
        pk_log(PK_LOG_WARN, "spool %s: permissions tightened to 0700", sp->dir);
    }
    sp->lockfd = openat(sp->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (sp->lockfd < 0 || flock(sp->lockfd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "spool %s: %s", sp->dir,
                 errno == EWOULDBLOCK ? "in use by another running sensor"
                                      : strerror(errno));
        return -1;
    }
    return 0;
}

static int state_read(pk_spool *sp, char *err, size_t errlen) {
    int fd = openat(sp->dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "spool %s/%s: %s", sp->dir, STATE_FILE, strerror(errno));
        return -1;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    unsigned long long acked, last;
    if (sscanf(buf, "picket-spool 1\nacked %llu\nlast %llu\n", &acked, &last) != 2) {
        snprintf(err, errlen, "spool %s/%s: unreadable state file (remove it only if "
                 "alert numbering may restart)", sp->dir, STATE_FILE);
        return -1;
    }
    sp->state_acked = acked;
    sp->state_last = last;
    atomic_store(&sp->acked, acked);
    return 0;
}

/* Writes "state" atomically: a temporary file, fsync, rename, fsync dir. */
int pk_spool_state_write(pk_spool *sp, uint64_t acked, uint64_t last) {
    char buf[128];
    int n = snprintf(buf, sizeof buf, "picket-spool 1\nacked %" PRIu64 "\nlast %" PRIu64 "\n",
                     acked, last);
    int fd = openat(sp->dirfd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = fd >= 0 && pk_write_all(fd, buf, (size_t)n) == 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    ok = ok && renameat(sp->dirfd, STATE_TMP, sp->dirfd, STATE_FILE) == 0 &&
         fsync(sp->dirfd) == 0;
    if (!ok) {
        pk_log_limited(&sp->io_rl, PK_LOG_ERR, "spool %s/%s: cannot write state: %m",
                       sp->dir, STATE_FILE);
        return -1;
    }
    sp->state_acked = acked;
    sp->state_last = max64(last, sp->state_last);
    sp->state_ms = pk_now_ms();
    return 0;
}

/* Highest seq the spool has ever seen: appended or recorded in the state. */
uint64_t pk_spool_known_last(const pk_spool *sp) {
    return max64(max64(atomic_load(&sp->last_seq), sp->state_last),
                 max64(atomic_load(&sp->acked), sp->next_seq ? sp->next_seq - 1 : 0));
}

/* ---- recovery scan --------------------------------------------------- */

static int push_seg(pk_spool *sp, const pk_seg *s) {
    if (sp->nsegs == sp->segcap) {
        size_t cap = sp->segcap ? sp->segcap * 2 : 16;
        pk_seg *n = realloc(sp->segs, cap * sizeof *n);
        if (!n) return -1;
        sp->segs = n;
        sp->segcap = cap;
    }
    sp->segs[sp->nsegs++] = *s;
    return 0;
}

static int cmp_seg(const void *a, const void *b) {
    const pk_seg *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static bool seg_file_id(const char *name, uint64_t *id) {
    unsigned long long v;
    int used = 0;
    if (strlen(name) != 24 || sscanf(name, "seg-%16llx.pks%n", &v, &used) != 1 ||
        used != 24)
        return false;
    *id = v;
    return true;
}

static int list_segments(pk_spool *sp, char *err, size_t errlen) {
    int fd = dup(sp->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        snprintf(err, errlen, "spool %s: cannot list: %s", sp->dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        pk_seg s = {0};
        if (seg_file_id(e->d_name, &s.id) && push_seg(sp, &s) != 0) rc = -1;
    }
    closedir(d);
    if (rc) snprintf(err, errlen, "spool %s: out of memory", sp->dir);
    if (sp->nsegs) qsort(sp->segs, sp->nsegs, sizeof *sp->segs, cmp_seg);
    return rc;
}

/* Reads one existing segment: its records, seqs and damage; fsyncs it,
 * since a process that died may have left it only in the page cache. */
static int scan_segment(pk_spool *sp, pk_seg *s, char *err, size_t errlen) {
    int fd = pk_seg_open(sp, s->id, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        char name[32];
        pk_seg_name(s->id, name, sizeof name);
        snprintf(err, errlen, "spool %s/%s: %s", sp->dir, name, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    s->bytes = (uint64_t)st.st_size;
    pk_rec_iter it;
    pk_rec r;
    pk_rec_iter_init(&it, fd, 0, s->bytes, &sp->rb);
    while (pk_rec_next(&it, &r)) {
        if (!s->records || r.seq < s->first_seq) s->first_seq = r.seq;
        s->last_seq = max64(s->last_seq, r.seq);
        s->records++;
    }
    if (it.corrupt) {
        char name[32];
        pk_seg_name(s->id, name, sizeof name);
        pk_log(PK_LOG_WARN, "spool %s/%s: %" PRIu64 " damaged region(s) skipped "
               "(a write torn by a crash?)", sp->dir, name, it.corrupt);
    }
    atomic_fetch_add(&sp->corrupt, it.corrupt);
    if (fsync(fd) != 0) atomic_fetch_add(&sp->fsync_errors, 1);
    close(fd);
    return 0;
}

/* Deletes the leading segments the state already says are acked. */
static void drop_acked_at_open(pk_spool *sp) {
    uint64_t acked = atomic_load(&sp->acked);
    size_t k = 0;
    while (k < sp->nsegs && sp->segs[k].last_seq <= acked) {
        char name[32];
        pk_seg_name(sp->segs[k].id, name, sizeof name);
        unlinkat(sp->dirfd, name, 0);
        k++;
    }
    if (!k) return;
    memmove(sp->segs, sp->segs + k, (sp->nsegs - k) * sizeof *sp->segs);
    sp->nsegs -= k;
}

static int recover(pk_spool *sp, char *err, size_t errlen) {
    if (list_segments(sp, err, errlen) != 0) return -1;
    uint64_t last = 0;
    for (size_t i = 0; i < sp->nsegs; i++) {
        if (scan_segment(sp, &sp->segs[i], err, errlen) != 0) return -1;
        last = max64(last, sp->segs[i].last_seq);
    }
    unlinkat(sp->dirfd, STATE_TMP, 0);
    sp->next_seq = max64(max64(last, sp->state_last), atomic_load(&sp->acked)) + 1;
    atomic_store(&sp->last_seq, last);
    drop_acked_at_open(sp);
    uint64_t bytes = 0, records = 0;
    for (size_t i = 0; i < sp->nsegs; i++) {
        bytes += sp->segs[i].bytes;
        records += sp->segs[i].records;
    }
    atomic_store(&sp->bytes_done, bytes);
    atomic_store(&sp->records_done, records);
    return 0;
}

/* ---- open / close ------------------------------------------------------ */

static int start_writer(pk_spool *sp, char *err, size_t errlen) {
    pk_seg s = {.id = sp->nsegs ? sp->segs[sp->nsegs - 1].id + 1 : 1};
    sp->wfd = pk_seg_open(sp, s.id, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (sp->wfd < 0 || push_seg(sp, &s) != 0 || fsync(sp->dirfd) != 0) {
        char name[32];
        pk_seg_name(s.id, name, sizeof name);
        snprintf(err, errlen, "spool %s/%s: cannot create: %s", sp->dir, name,
                 strerror(errno));
        return -1;
    }
    sp->w = s;
    sp->synced_id = sp->hw_seg = sp->sfd_id = s.id;
    return 0;
}

static void init_fields(pk_spool *sp, const pk_spool_config *cfg) {
    sp->dirfd = sp->lockfd = sp->wfd = sp->rfd = sp->sfd = -1;
    sp->max_bytes = cfg->max_bytes ? cfg->max_bytes
                                   : (uint64_t)PK_SPOOL_DEFAULT_MAX_MB << 20;
    uint64_t seg = cfg->segment_bytes ? cfg->segment_bytes : sp->max_bytes / 4;
    if (seg > PK_SPOOL_SEGMENT_BYTES) seg = PK_SPOOL_SEGMENT_BYTES;
    if (seg < 4096) seg = 4096;
    sp->seg_bytes = (uint32_t)seg;
    pthread_mutex_init(&sp->mu, NULL);
}

pk_spool *pk_spool_open(const pk_spool_config *cfg, char *err, size_t errlen) {
    if (!cfg->dir || !*cfg->dir) {
        snprintf(err, errlen, "spool: no directory given");
        return NULL;
    }
    pk_spool *sp = calloc(1, sizeof *sp);
    if (!sp || !(sp->dir = strdup(cfg->dir))) {
        free(sp);
        snprintf(err, errlen, "spool %s: out of memory", cfg->dir);
        return NULL;
    }
    init_fields(sp, cfg);
    if (open_dir(sp, err, errlen) != 0 || state_read(sp, err, errlen) != 0 ||
        recover(sp, err, errlen) != 0 || start_writer(sp, err, errlen) != 0) {
        pk_spool_close(sp);
        return NULL;
    }
    uint64_t pending = pk_spool_count_after(sp, atomic_load(&sp->acked));
    if (pending)
        pk_log(PK_LOG_INFO, "spool %s: %" PRIu64 " unacknowledged alerts to resend",
               sp->dir, pending);
    return sp;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

void pk_spool_close(pk_spool *sp) {
    if (!sp) return;
    if (sp->wfd >= 0 && fsync(sp->wfd) != 0)
        pk_log(PK_LOG_ERR, "spool %s: fsync at close: %m", sp->dir);
    if (sp->dirfd >= 0 && sp->wfd >= 0)
        pk_spool_state_write(sp, atomic_load(&sp->acked), pk_spool_known_last(sp));
    close_fd(&sp->wfd);
    close_fd(&sp->rfd);
    close_fd(&sp->sfd);
    close_fd(&sp->lockfd);
    close_fd(&sp->dirfd);
    pthread_mutex_destroy(&sp->mu);
    pk_recbuf_free(&sp->rb);
    free(sp->segs);
    free(sp->snap);
    free(sp->dir);
    free(sp);
}

uint64_t pk_spool_next_seq(const pk_spool *sp) { return sp->next_seq; }
uint64_t pk_spool_last_seq(const pk_spool *sp) { return atomic_load(&sp->last_seq); }
uint64_t pk_spool_acked(const pk_spool *sp) { return atomic_load(&sp->acked); }

/* ---- writer -------------------------------------------------------------- */

/* Starts the next segment once the current one is full. Never waits: if
 * the reader holds the list lock, the segment grows a little more. */
static void maybe_rotate(pk_spool *sp) {
    int64_t now = pk_now_ms();
    if (now < sp->rotate_retry_ms || pthread_mutex_trylock(&sp->mu) != 0) return;
    pk_seg next = {.id = sp->w.id + 1};
    int fd = pk_seg_open(sp, next.id, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (fd < 0 || push_seg(sp, &next) != 0) {
        pk_log_limited(&sp->write_rl, PK_LOG_ERR, "spool %s: cannot start segment "
                       "%" PRIu64 ": %m; the current one keeps growing", sp->dir, next.id);
        if (fd >= 0) close(fd);
        sp->rotate_retry_ms = now + 1000;
        pthread_mutex_unlock(&sp->mu);
        return;
    }
    sp->segs[sp->nsegs - 2] = sp->w;
    atomic_fetch_add(&sp->bytes_done, sp->w.bytes);
    atomic_fetch_add(&sp->records_done, sp->w.records);
    atomic_store(&sp->cur_len, 0);
    atomic_store(&sp->cur_records, 0);
    int old = sp->wfd;
    sp->wfd = fd;
    sp->w = next;
    pthread_mutex_unlock(&sp->mu);
    close(old);
}

static int append_failed(pk_spool *sp, uint64_t seq, const char *why) {
    atomic_fetch_add(&sp->write_errors, 1);
    pk_log_limited(&sp->write_rl, PK_LOG_ERR, "spool %s: alert %" PRIu64 " not "
                   "spooled and will not be sent: %s", sp->dir, seq, why);
    return -1;
}

int pk_spool_append(pk_spool *sp, uint64_t seq, const char *json, size_t len) {
    if (len > PK_SPOOL_MAX_RECORD) return append_failed(sp, seq, "alert too large");
    if (seq <= atomic_load_explicit(&sp->last_seq, memory_order_relaxed))
        return append_failed(sp, seq, "sequence number not above the last one");
    uint8_t hdr[PK_REC_HDR];
    be32(hdr, PK_REC_MAGIC);
    be32(hdr + 4, (uint32_t)len);
    be64(hdr + 8, seq);
    uint32_t crc = pk_spool_crc32(0, hdr + 8, 8);
    crc = pk_spool_crc32(crc, hdr + 4, 4);
    be32(hdr + 16, pk_spool_crc32(crc, json, len));
    struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)json, len}};
    ssize_t n;
    do n = writev(sp->wfd, iov, 2);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)(sizeof hdr + len)) {
        const char *why = n < 0 ? strerror(errno) : "short write (disk full?)";
        if (n > 0 && ftruncate(sp->wfd, (off_t)sp->w.bytes) != 0)
            why = "short write, and the torn record could not be cut off";
        return append_failed(sp, seq, why);
    }
    sp->w.bytes += n;
    if (!sp->w.records++) sp->w.first_seq = seq;
    sp->w.last_seq = seq;
    atomic_store_explicit(&sp->cur_len, sp->w.bytes, memory_order_release);
    atomic_store_explicit(&sp->cur_records, sp->w.records, memory_order_relaxed);
    atomic_store_explicit(&sp->last_seq, seq, memory_order_release);
    if (sp->w.bytes >= sp->seg_bytes) maybe_rotate(sp);
    return 0;
}

void pk_spool_counters(const pk_spool *sp, pk_counter_cb cb, void *ctx) {
    cb(ctx, "spool.bytes", atomic_load(&sp->bytes_done) + atomic_load(&sp->cur_len));
    cb(ctx, "spool.records",
       atomic_load(&sp->records_done) + atomic_load(&sp->cur_records));
    cb(ctx, "spool.dropped_alerts", atomic_load(&sp->dropped));
    cb(ctx, "spool.corrupt_records", atomic_load(&sp->corrupt));
    cb(ctx, "spool.write_errors", atomic_load(&sp->write_errors));
    cb(ctx, "spool.fsync_errors", atomic_load(&sp->fsync_errors));
}
