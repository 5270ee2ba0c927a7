/* defrag.c - IPv4/IPv6 fragment reassembly under fixed memory and tracker
 * bounds.
 *
 * Why it exists: see defrag.h. The choices made here:
 *
 * Overlap policy (fixed, not configurable): the one RFC 5722 / RFC 8200
 * section 4.5 prescribe and current Linux applies to IPv4 and IPv6 alike.
 *  - A fragment that repeats a held fragment exactly (same offset, same
 *    length, same bytes) is a network duplicate: dropped, counted as
 *    "defrag.duplicates", reassembly goes on.
 *  - Any other overlap, and any disagreement about where the datagram ends
 *    (two different last fragments, a fragment past the announced end), is
 *    treated as an evasion attempt: counted as "defrag.overlaps", every
 *    fragment held for that datagram is discarded, and the datagram is
 *    "poisoned": later fragments with the same key are dropped (counted as
 *    "defrag.dropped_poisoned") until the tracker times out, so an attacker
 *    cannot follow the conflict with a clean set of his choosing.
 *  The sensor therefore sees what a modern stack delivers. A target that
 *  accepts overlaps (first-wins BSD, last-wins others) would see data the
 *  sensor never reassembles; "defrag.overlaps" is the alarm for that.
 *
 * Other rules:
 *  - a rebuilt datagram larger than 65535 bytes is refused ("defrag.too_large");
 *  - non-last fragments must carry a non-zero multiple of 8 bytes (checked
 *    by the IP decoders, which count it as decode.malformed.frag_bad_length);
 *  - a first fragment too short to hold its transport header (the RFC 1858
 *    tiny-fragment trick, or an IPv6 first fragment without the whole
 *    header chain, RFC 7112) is counted as "defrag.tiny" and still
 *    reassembled: reassembly undoes the trick;
 *  - memory: each held fragment costs its bytes plus its node; when a new
 *    fragment would exceed max_bytes the oldest other datagrams are dropped
 *    ("defrag.dropped_memory") until it fits, or the new one is dropped;
 *  - trackers come from a preallocated pool; when none is free the oldest
 *    datagram is dropped ("defrag.dropped_trackers");
 *  - timeout counts from a datagram's first fragment, on packet time.
 * The hash is keyed with a per-instance random seed so chains cannot be
 * lengthened on purpose without knowing it.
 */
#include "defrag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define DEFRAG_COUNTERS(X)                        \
    X(FRAGMENTS, "defrag.fragments")              \
    X(REASSEMBLED, "defrag.reassembled")          \
    X(TIMEOUTS, "defrag.timeouts")                \
    X(OVERLAPS, "defrag.overlaps")                \
    X(DUPLICATES, "defrag.duplicates")            \
    X(DROPPED_MEMORY, "defrag.dropped_memory")    \
    X(DROPPED_TRACKERS, "defrag.dropped_trackers") \
    X(DROPPED_POISONED, "defrag.dropped_poisoned") \
    X(TOO_LARGE, "defrag.too_large")              \
    X(TINY, "defrag.tiny")                        \
    X(ATOMIC, "defrag.atomic")                    \
    X(REFUSED, "defrag.refused")

#define DF_ENUM(id, name) DF_##id,
enum { DEFRAG_COUNTERS(DF_ENUM) DF__COUNT };
#undef DF_ENUM
#define DF_NAME(id, name) name,
static const char *const df_names[DF__COUNT] = { DEFRAG_COUNTERS(DF_NAME) };
#undef DF_NAME

#define MAX_DATAGRAM 65535u

typedef struct frag_node {
    struct frag_node *next;
    uint32_t off, len;
    uint8_t data[];
} frag_node;

typedef struct tracker {
    pk_frag_key key;
    uint64_t hash;
    struct tracker *hnext;          /* bucket chain, or free list */
    struct tracker *older, *newer;  /* creation order */
    frag_node *frags;               /* sorted by offset, disjoint */
    int64_t first_ts;
    uint32_t total;                 /* end of datagram, once the last is seen */
    uint32_t have;                  /* bytes held */
    uint8_t first_proto;
    bool have_last, poisoned;
} tracker;

struct pk_defrag {
    size_t max_bytes, bytes;
    uint32_t max_trackers, active;
    int64_t timeout_us;
    uint64_t seed;
    tracker *pool, *free_list;
    tracker **buckets;
    uint32_t bucket_mask;
    tracker *oldest, *newest;
    uint64_t ctr[DF__COUNT];
};

static uint64_t make_seed(const void *salt) {
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)salt;
    }
    return s;
}

pk_defrag *pk_defrag_new(size_t max_bytes, uint32_t max_trackers,
                         uint32_t timeout_ms) {
    if (max_trackers == 0) return NULL;
    pk_defrag *df = calloc(1, sizeof *df);
    if (!df) return NULL;
    uint32_t nb = 1;
    while (nb < max_trackers && nb < (1u << 30)) nb <<= 1;
    df->pool = calloc(max_trackers, sizeof *df->pool);
    df->buckets = calloc(nb, sizeof *df->buckets);
    if (!df->pool || !df->buckets) {
        pk_defrag_free(df);
        return NULL;
    }
    df->max_bytes = max_bytes;
    df->max_trackers = max_trackers;
    df->timeout_us = (int64_t)timeout_ms * 1000;
    df->bucket_mask = nb - 1;
    df->seed = make_seed(df);
    for (uint32_t i = 0; i < max_trackers; i++) {
        df->pool[i].hnext = df->free_list;
        df->free_list = &df->pool[i];
    }
    return df;
}

static void clear_frags(pk_defrag *df, tracker *t) {
    frag_node *n = t->frags;
    while (n) {
        frag_node *next = n->next;
        df->bytes -= sizeof *n + n->len;
        free(n);
        n = next;
    }
    t->frags = NULL;
    t->have = 0;
}

void pk_defrag_free(pk_defrag *df) {
    if (!df) return;
    for (tracker *t = df->oldest; t; t = t->newer) clear_frags(df, t);
    free(df->pool);
    free(df->buckets);
    free(df);
}

static uint64_t key_hash(const pk_defrag *df, const pk_frag_key *k) {
    const uint8_t *b = (const uint8_t *)k;
    uint64_t h = df->seed ^ 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < sizeof *k; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

static tracker *find(const pk_defrag *df, const pk_frag_key *k, uint64_t h) {
    for (tracker *t = df->buckets[h & df->bucket_mask]; t; t = t->hnext)
        if (t->hash == h && memcmp(&t->key, k, sizeof *k) == 0) return t;
    return NULL;
}

static void unlink_bucket(pk_defrag *df, tracker *t) {
    tracker **pp = &df->buckets[t->hash & df->bucket_mask];
    while (*pp && *pp != t) pp = &(*pp)->hnext;
    if (*pp) *pp = t->hnext;
}

static void unlink_age(pk_defrag *df, tracker *t) {
    if (t->older) t->older->newer = t->newer; else df->oldest = t->newer;
    if (t->newer) t->newer->older = t->older; else df->newest = t->older;
    t->older = t->newer = NULL;
}

static void release(pk_defrag *df, tracker *t) {
    clear_frags(df, t);
    unlink_bucket(df, t);
    unlink_age(df, t);
    t->hnext = df->free_list;
    df->free_list = t;
    df->active--;
}

static tracker *create(pk_defrag *df, const pk_frag_key *k, uint64_t h,
                       int64_t ts) {
    if (!df->free_list) {
        df->ctr[DF_DROPPED_TRACKERS]++;
        release(df, df->oldest);
    }
    tracker *t = df->free_list;
    df->free_list = t->hnext;
    memset(t, 0, sizeof *t);
    t->key = *k;
    t->hash = h;
    t->first_ts = ts;
    t->hnext = df->buckets[h & df->bucket_mask];
    df->buckets[h & df->bucket_mask] = t;
    t->older = df->newest;
    if (df->newest) df->newest->newer = t; else df->oldest = t;
    df->newest = t;
    df->active++;
    return t;
}

void pk_defrag_expire(pk_defrag *df, int64_t now_usec) {
    while (df->oldest && now_usec - df->oldest->first_ts > df->timeout_us) {
        if (!df->oldest->poisoned) df->ctr[DF_TIMEOUTS]++;
        release(df, df->oldest);
    }
}

static void poison(pk_defrag *df, tracker *t) {
    df->ctr[DF_OVERLAPS]++;
    clear_frags(df, t);
    t->poisoned = true;
}

static uint32_t min_transport(uint8_t proto) {
    switch (proto) {
    case 6: return 20;            /* TCP */
    case 132: return 12;          /* SCTP */
    case 17: case 1: case 58:     /* UDP, ICMP, ICMPv6 */
    case 0: case 43: case 60:     /* IPv6 extension headers */
        return 8;
    default: return 0;
    }
}

static bool is_tiny(const pk_frag_in *in) {
    return in->offset == 0 && in->more && in->len < min_transport(in->next_proto);
}

/* False when the fragment contradicts what is known of the datagram's end. */
static bool end_consistent(const tracker *t, const pk_frag_in *in) {
    uint32_t end = in->offset + in->len;
    if (in->more) return !t->have_last || end <= t->total;
    if (t->have_last) return end == t->total;
    for (const frag_node *n = t->frags; n; n = n->next)
        if (n->off + n->len > end) return false;
    return true;
}

enum overlap { OV_NONE, OV_DUPLICATE, OV_CONFLICT };

static enum overlap check_overlap(const tracker *t, const pk_frag_in *in) {
    uint32_t lo = in->offset, hi = in->offset + in->len;
    for (const frag_node *n = t->frags; n && n->off < hi; n = n->next) {
        if (n->off + n->len <= lo) continue;
        if (n->off == lo && n->len == in->len &&
            memcmp(n->data, in->data, in->len) == 0)
            return OV_DUPLICATE;
        return OV_CONFLICT;
    }
    return OV_NONE;
}

/* Makes room for need more bytes by dropping the oldest other datagrams
 * that hold bytes (poisoned ones hold none and keep their poison). */
static bool make_room(pk_defrag *df, const tracker *keep, size_t need) {
    tracker *victim = df->oldest;
    while (df->bytes + need > df->max_bytes) {
        while (victim && (victim == keep || !victim->frags)) victim = victim->newer;
        if (!victim) return false;
        tracker *next = victim->newer;
        df->ctr[DF_DROPPED_MEMORY]++;
        release(df, victim);
        victim = next;
    }
    return true;
}

static bool store(pk_defrag *df, tracker *t, const pk_frag_in *in) {
    size_t need = sizeof(frag_node) + in->len;
    if (!make_room(df, t, need)) return false;
    frag_node *n = malloc(need);
    if (!n) return false;
    n->off = in->offset;
    n->len = in->len;
    memcpy(n->data, in->data, in->len);
    frag_node **pp = &t->frags;
    while (*pp && (*pp)->off < n->off) pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
    df->bytes += need;
    t->have += in->len;
    if (in->offset == 0) t->first_proto = in->next_proto;
    if (!in->more) {
        t->have_last = true;
        t->total = in->offset + in->len;
    }
    return true;
}

static pk_frag_result finish(pk_defrag *df, tracker *t, uint8_t *buf,
                             uint32_t buf_size, uint32_t *out_len,
                             uint8_t *out_proto) {
    if (t->total > buf_size) {
        df->ctr[DF_TOO_LARGE]++;
        release(df, t);
        return PK_FRAG_DROPPED;
    }
    for (const frag_node *n = t->frags; n; n = n->next)
        memcpy(buf + n->off, n->data, n->len);
    *out_len = t->total;
    *out_proto = t->first_proto;
    df->ctr[DF_REASSEMBLED]++;
    release(df, t);
    return PK_FRAG_DONE;
}

static pk_frag_result refuse(pk_defrag *df, tracker *t, int counter) {
    df->ctr[counter]++;
    if (t) release(df, t);  /* a datagram that cannot be held whole is dropped */
    return PK_FRAG_DROPPED;
}

pk_frag_result pk_defrag_add(pk_defrag *df, const pk_frag_in *in,
                             uint8_t *buf, uint32_t buf_size,
                             uint32_t *out_len, uint8_t *out_proto) {
    df->ctr[DF_FRAGMENTS]++;
    pk_defrag_expire(df, in->ts_usec);
    if ((uint64_t)in->unfrag_len + in->offset + in->len > MAX_DATAGRAM)
        return refuse(df, NULL, DF_TOO_LARGE);
    uint64_t h = key_hash(df, &in->key);
    tracker *t = find(df, &in->key, h);
    if (!t) t = create(df, &in->key, h, in->ts_usec);
    if (t->poisoned) return refuse(df, NULL, DF_DROPPED_POISONED);
    if (is_tiny(in)) df->ctr[DF_TINY]++;
    if (!end_consistent(t, in)) {
        poison(df, t);
        return PK_FRAG_DROPPED;
    }
    switch (check_overlap(t, in)) {
    case OV_DUPLICATE:
        df->ctr[DF_DUPLICATES]++;
        return PK_FRAG_HELD;
    case OV_CONFLICT:
        poison(df, t);
        return PK_FRAG_DROPPED;
    case OV_NONE:
        break;
    }
    if (!store(df, t, in)) return refuse(df, t, DF_DROPPED_MEMORY);
    if (t->have_last && t->have == t->total)
        return finish(df, t, buf, buf_size, out_len, out_proto);
    return PK_FRAG_HELD;
}

void pk_defrag_note_atomic(pk_defrag *df) { df->ctr[DF_ATOMIC]++; }

void pk_defrag_note_refused(pk_defrag *df) {
    df->ctr[DF_FRAGMENTS]++;
    df->ctr[DF_REFUSED]++;
}

size_t pk_defrag_bytes_held(const pk_defrag *df) { return df->bytes; }

uint32_t pk_defrag_trackers_active(const pk_defrag *df) { return df->active; }

void pk_defrag_counters(const pk_defrag *df, pk_counter_cb cb, void *ctx) {
    for (int i = 0; i < DF__COUNT; i++) cb(ctx, df_names[i], df->ctr[i]);
    cb(ctx, "defrag.bytes_held", df->bytes);
    cb(ctx, "defrag.trackers_active", df->active);
}
