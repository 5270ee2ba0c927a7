/* flow.c - the bounded flow table (see flow.h for why).
 *
 * Entries live in one preallocated array; an open-addressing index (linear
 * probing, at most half full, deletion by backward shift) finds them. Its
 * slots hold the flow's index + 1 (0 = empty) and 32 bits of the key's
 * hash, so a lookup reads one index cache line and then only the flow whose
 * hash matches: two cache misses per packet, both prefetchable, and nothing
 * shared is written per packet.
 *
 * When the table is full the CLOCK hand picks the flows to evict: it walks
 * the entries in order, gives a flow seen since its last pass (referenced)
 * a second chance, and takes the first that was not (or one idle past the
 * timeout). It chooses a few evictions ahead, so that the index slot each
 * victim's removal reads is prefetched by the time it goes. Idle flows are
 * also expired by a second hand, the idle sweep, which checks the entries
 * in use a chunk at a time as capture time passes, and a flow found idle
 * past the timeout at its lookup is expired and started anew.
 */
#include "flow.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "prefetch.h"
#include "strhash.h"

#define PK_FLOW_VICTIMS 16
#define PK_FLOW_SWEEP_CHUNK 64    /* entries the idle sweep checks at a time */
#define PK_FLOW_SWEEP_PASSES 8    /* its passes over the table per idle timeout */
#define PK_FLOW_HAND_AHEAD 8   /* entries the eviction clock fetches ahead */

typedef struct flow_slot {
    uint32_t idx1;                 /* flow index + 1, 0 = empty */
    uint32_t hash;                 /* its pk_flow.hash: probe start and tag */
} flow_slot;

struct pk_flow_table {
    pk_flow *flows;
    flow_slot *slots;
    size_t flows_bytes, slots_bytes;     /* mapped sizes */
    uint32_t capacity, nslots, slot_mask;
    uint32_t free_head;            /* chain of freed entries via free_next */
    uint32_t never_used;           /* entries [never_used, capacity) never used */
    uint32_t clock_hand;           /* next entry the eviction clock checks */
    uint32_t victims[PK_FLOW_VICTIMS];   /* chosen by the clock, not yet evicted */
    uint32_t victim_head, victim_count;
    uint32_t sweep_hand;           /* next entry the idle sweep checks */
    int64_t sweep_due;             /* capture time of its next chunk */
    uint64_t seed;                 /* of the index's hash: random per table, so
                                    * nobody can aim many flows at one slot run */
    int64_t idle_usec;
    pk_stream_pool *pool;          /* window buffers of all streams */
    pk_flow_stats st;
};

_Static_assert(sizeof(pk_flow) == 192, "a flow is three cache lines");
_Static_assert(offsetof(pk_flow, dir) == 64, "stream state starts line 1");
_Static_assert(offsetof(pk_flow, flow_id) == 128, "alert data starts line 2");

void pk_flow_config_defaults(pk_flow_config *cfg) {
    cfg->memory_bytes = 64u << 20;
    cfg->idle_timeout_s = 120;
    cfg->stream_buffers = 2048;
}

/* The table's memory, committed when the table is made: anonymous zeroed
 * pages, advised as transparent huge pages (the table is read at random,
 * one flow per packet, and with 4 KiB pages nearly every lookup would also
 * miss the TLB), and faulted in now. The bound is then held from the start
 * (a sensor that cannot have it fails at start-up, not under a burst of
 * new flows), and no page fault or page zeroing lands on the packet path,
 * where a burst of new flows would otherwise pay for it. */
static void table_commit(void *p, size_t n) {
#ifdef MADV_POPULATE_WRITE
    if (madvise(p, n, MADV_POPULATE_WRITE) == 0) return;
#endif
    for (size_t off = 0; off < n; off += 4096) ((volatile char *)p)[off] = 0;
}

static void *table_map(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, n, MADV_HUGEPAGE);
#endif
    table_commit(p, n);
    return p;
}

static uint64_t table_seed(const pk_flow_table *t) {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)(uintptr_t)t;
    }
    return seed;
}

static uint32_t pow2_at_least(uint32_t n) {
    uint32_t p = 1;
    while (p < n && p < (1u << 31)) p <<= 1;
    return p;
}

pk_flow_table *pk_flow_table_new(const pk_flow_config *cfg) {
    pk_flow_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    /* Index slots: a power of two, at least twice the flows; the flows take
     * what the budget leaves (never below 64). */
    size_t guess = cfg->memory_bytes / (sizeof(pk_flow) + 2 * sizeof(flow_slot));
    if (guess < 64) guess = 64;
    if (guess > (1u << 29)) guess = 1u << 29;
    t->nslots = pow2_at_least((uint32_t)(2 * guess));
    t->slot_mask = t->nslots - 1;
    t->slots_bytes = (size_t)t->nslots * sizeof *t->slots;
    size_t cap = cfg->memory_bytes > t->slots_bytes
                 ? (cfg->memory_bytes - t->slots_bytes) / sizeof(pk_flow) : 0;
    if (cap > t->nslots / 2) cap = t->nslots / 2;
    if (cap < 64) cap = 64;
    t->capacity = (uint32_t)cap;
    t->flows_bytes = (size_t)t->capacity * sizeof *t->flows;
    t->flows = table_map(t->flows_bytes);
    t->slots = table_map(t->slots_bytes);
    if (!t->flows || !t->slots) {
        pk_flow_table_free(t);
        return NULL;
    }
    t->idle_usec = (int64_t)cfg->idle_timeout_s * 1000000;
    t->seed = table_seed(t);
    t->pool = pk_stream_pool_new(cfg->stream_buffers);
    if (!t->pool) {
        pk_flow_table_free(t);
        return NULL;
    }
    return t;
}

void pk_flow_table_free(pk_flow_table *t) {
    if (!t) return;
    if (t->flows)
        for (uint32_t i = 0; i < t->never_used; i++) free(t->flows[i].seen_more);
    if (t->flows) munmap(t->flows, t->flows_bytes);
    if (t->slots) munmap(t->slots, t->slots_bytes);
    pk_stream_pool_free(t->pool);
    free(t);
}

uint32_t pk_flow_table_capacity(const pk_flow_table *t) { return t->capacity; }

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

_Static_assert(sizeof(pk_flow_key) == 40, "a key is five 8-byte words, no padding");

static inline bool key_eq(const pk_flow_key *x, const pk_flow_key *y) {
    const uint8_t *a = (const uint8_t *)x, *b = (const uint8_t *)y;
    uint64_t d = 0;
    for (size_t i = 0; i < sizeof *x; i += 8) d |= load64(a + i) ^ load64(b + i);
    return d == 0;
}

static inline uint64_t load_be64(const uint8_t *p) {
    uint64_t v = load64(p);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* memcmp() of two addresses (4 or 16 bytes) without a call: big-endian
 * words compare as the bytes do, and IPv4's unused bytes are zero. */
static inline int addr_cmp(const uint8_t *a, const uint8_t *b, size_t alen) {
    uint64_t x = load_be64(a), y = load_be64(b);
    if (alen == 16 && x == y) {
        x = load_be64(a + 8);
        y = load_be64(b + 8);
    }
    return (x > y) - (x < y);
}

/* The key's hash under seed: three independent 64x64->128 multiplies
 * folded (as wyhash mixes), then one finalizer: short dependency chains,
 * well spread. Read from the key's parts, not from a key just written
 * (wide reads of fresh narrow stores stall). */
static inline uint64_t key_hash(const uint8_t *a, const uint8_t *b, uint64_t tail,
                                uint64_t seed) {
    uint64_t h = pk_fold_mul(load64(a) ^ seed ^ PK_HASH_K1, load64(a + 8) ^ PK_HASH_K2) ^
                 pk_fold_mul(load64(b) ^ seed ^ PK_HASH_K3, load64(b + 8) ^ PK_HASH_K4) ^
                 pk_fold_mul(tail ^ seed ^ 0x1d8e4e27c47d124fULL, 0x9e3779b97f4a7c15ULL);
    return mix64(h);
}

static inline uint64_t key_tail(uint16_t port_a, uint16_t port_b, uint16_t vlan,
                                uint8_t family, uint8_t proto) {
    return (uint64_t)port_a | (uint64_t)port_b << 16 | (uint64_t)vlan << 32 |
           (uint64_t)family << 48 | (uint64_t)proto << 56;
}

/* Builds the canonical key and its hash; returns 1 when the packet goes
 * from b to a. The decoder zeroes the unused 12 bytes of an IPv4 address. */
static int make_key(const pk_packet *p, uint64_t seed, pk_flow_key *k, uint64_t *hash) {
    const pk_ip_pair *ip = pk_packet_inner_ip(p);
    size_t alen = ip->family == 6 ? 16 : 4;
    uint16_t sport = p->sport, dport = p->dport;
    if (p->proto == 1 || p->proto == 58) {   /* ICMP: one flow per pair of hosts */
        sport = 0;
        dport = 0;
    }
    int c = addr_cmp(ip->src, ip->dst, alen);
    int swapped = c > 0 || (c == 0 && sport > dport);
    const uint8_t *a = swapped ? ip->dst : ip->src, *b = swapped ? ip->src : ip->dst;
    uint16_t port_a = swapped ? dport : sport, port_b = swapped ? sport : dport;
    uint16_t vlan = p->vlan_count ? p->vlan[0] : 0;
    memcpy(k->addr_a, a, 16);
    memcpy(k->addr_b, b, 16);
    k->port_a = port_a;
    k->port_b = port_b;
    k->vlan = vlan;
    k->family = ip->family;
    k->proto = p->proto;
    *hash = key_hash(a, b, key_tail(port_a, port_b, vlan, ip->family, p->proto), seed);
    return swapped;
}

/* The slot pointing to flow idx1 (which is in the index). */
static uint32_t slot_of(const pk_flow_table *t, uint32_t idx1, uint32_t hash) {
    uint32_t i = hash & t->slot_mask;
    while (t->slots[i].idx1 != idx1) i = (i + 1) & t->slot_mask;
    return i;
}

/* Linear probing's deletion without tombstones: each later slot of the run
 * whose probe start is not cyclically within (hole, j] moves back into the
 * hole, which moves on to where it was. */
static void slot_delete(pk_flow_table *t, uint32_t hole) {
    uint32_t m = t->slot_mask;
    for (uint32_t j = (hole + 1) & m; t->slots[j].idx1; j = (j + 1) & m) {
        uint32_t start = t->slots[j].hash & m;
        if (((j - start) & m) < ((j - hole) & m)) continue;   /* start in (hole, j] */
        t->slots[hole] = t->slots[j];
        hole = j;
    }
    t->slots[hole] = (flow_slot){0, 0};
}

/* The slot where a key of this hash goes: the first empty one of its run. */
static uint32_t free_slot(const pk_flow_table *t, uint32_t hash) {
    uint32_t i = hash & t->slot_mask;
    while (t->slots[i].idx1) i = (i + 1) & t->slot_mask;
    return i;
}

/* Removes a flow from the index and frees its entry. */
static void flow_remove(pk_flow_table *t, uint32_t idx1) {
    pk_flow *f = &t->flows[idx1 - 1];
    slot_delete(t, slot_of(t, idx1, f->hash));
    pk_stream_release(&f->dir[0], t->pool);
    pk_stream_release(&f->dir[1], t->pool);
    free(f->seen_more);
    memset(f, 0, sizeof *f);
    f->free_next = t->free_head;
    t->free_head = idx1;
    t->st.active--;
}

static bool is_idle(const pk_flow_table *t, const pk_flow *f, int64_t now) {
    return now - f->last_ts > t->idle_usec;
}

/* The idle sweep, while the table has room (once it is full the eviction
 * clock expires the idle flows it passes): every idle flow goes, and gives
 * back its stream buffers, even in a table that never fills. It checks
 * PK_FLOW_SWEEP_CHUNK entries in order whenever capture time reaches
 * sweep_due, spaced so that it passes over the entries in use
 * PK_FLOW_SWEEP_PASSES times per idle timeout: an idle flow goes at most an
 * eighth of the timeout late, and the packet path reads a few entries per
 * thousand packets instead of two per packet. */
static bool sweep_is_due(const pk_flow_table *t, int64_t now) {
    if (!(t->never_used < t->capacity || t->free_head)) return false;
    /* capture time that went back (another file) does not hold it off */
    return now >= t->sweep_due || t->sweep_due - now > t->idle_usec;
}

static void sweep_idle(pk_flow_table *t, int64_t now) {
    for (int budget = PK_FLOW_SWEEP_CHUNK; budget > 0 && t->never_used; budget--) {
        uint32_t i = t->sweep_hand;
        t->sweep_hand = i + 1 < t->never_used ? i + 1 : 0;
        if (t->flows[i].in_use && is_idle(t, &t->flows[i], now)) {
            t->st.expired++;
            flow_remove(t, i + 1);
        }
    }
    uint64_t chunks = t->never_used / PK_FLOW_SWEEP_CHUNK + 1;
    t->sweep_due = now + t->idle_usec / PK_FLOW_SWEEP_PASSES / (int64_t)chunks;
}

/* The eviction clock (the table is full): a flow seen since the hand last
 * passed gets a second chance; the first that was not (or one idle past
 * the timeout) is chosen. Each pass clears the bits it skips, so the hand
 * stops within two turns. The chosen flow's index slot is prefetched: it
 * is evicted PK_FLOW_VICTIMS new flows later, when the line has arrived. */
static bool choose_victim(pk_flow_table *t, int64_t now) {
    for (uint32_t steps = 0; steps <= 2 * t->capacity; steps++) {
        uint32_t i = t->clock_hand;
        t->clock_hand = i + 1 < t->capacity ? i + 1 : 0;
        if (i + PK_FLOW_HAND_AHEAD < t->capacity)
            pk_prefetch(&t->flows[i + PK_FLOW_HAND_AHEAD]);
        pk_flow *f = &t->flows[i];
        if (!f->in_use) continue;
        if (f->referenced && !is_idle(t, f, now)) {
            f->referenced = 0;
            continue;
        }
        t->victims[(t->victim_head + t->victim_count++) % PK_FLOW_VICTIMS] = i;
        pk_prefetch_w(&t->slots[f->hash & t->slot_mask]);
        return true;
    }
    return false;
}

/* Evicts the oldest chosen victim still fit to go: one seen again since it
 * was chosen keeps its place (a second chance), one already gone is
 * skipped. */
static void evict_one(pk_flow_table *t, int64_t now) {
    for (uint32_t tries = 0; tries <= 2 * t->capacity + PK_FLOW_VICTIMS; tries++) {
        while (t->victim_count < PK_FLOW_VICTIMS && choose_victim(t, now)) {}
        if (!t->victim_count) return;
        uint32_t i = t->victims[t->victim_head];
        t->victim_head = (t->victim_head + 1) % PK_FLOW_VICTIMS;
        t->victim_count--;
        pk_flow *f = &t->flows[i];
        bool idle = f->in_use && is_idle(t, f, now);
        if (!f->in_use || (f->referenced && !idle)) continue;
        if (idle) t->st.expired++;
        else t->st.evicted++;
        flow_remove(t, i + 1);
        return;
    }
}

/* An entry for a new flow: a freed one, else the next never used (the
 * entries in use stay together at the start: the idle sweep and the table
 * teardown walk only those), else one the eviction clock frees. */
static uint32_t take_entry(pk_flow_table *t, int64_t now) {
    if (!t->free_head && t->never_used < t->capacity) return ++t->never_used;
    if (!t->free_head) evict_one(t, now);
    uint32_t idx1 = t->free_head;
    t->free_head = t->flows[idx1 - 1].free_next;
    return idx1;
}

static void flow_init(pk_flow_table *t, pk_flow *f, const pk_flow_key *k,
                      const pk_packet *p, int swapped) {
    f->key = *k;
    f->in_use = 1;
    f->referenced = 1;             /* a new flow is not the next to go */
    f->first_ts = p->ts_usec;
    f->initiator_is_a = !swapped;
    /* The same in every run (the index's hash is seeded per table). EVE
     * consumers parse flow_id as a JSON number: keep it within 2^53. */
    uint64_t same = key_hash(k->addr_a, k->addr_b,
                             key_tail(k->port_a, k->port_b, k->vlan, k->family, k->proto), 0);
    f->flow_id = (mix64(same ^ (uint64_t)p->ts_usec) & ((1ULL << 51) - 1)) | 1;
    if (p->proto == 1 || p->proto == 58) {
        f->icmp_type = p->icmp_type;
        f->icmp_code = p->icmp_code;
    }
    t->st.created++;
    t->st.active++;
}

void pk_flow_probe_make(const pk_flow_table *t, const pk_packet *p, pk_flow_probe *pr) {
    pr->swapped = make_key(p, t->seed, &pr->key, &pr->hash);
}

void pk_flow_prefetch_slot(const pk_flow_table *t, const pk_flow_probe *pr) {
    pk_prefetch(&t->slots[(uint32_t)pr->hash & t->slot_mask]);
}

bool pk_flow_prefetch_flow(const pk_flow_table *t, const pk_flow_probe *pr) {
    uint32_t h = (uint32_t)pr->hash;
    for (uint32_t i = h & t->slot_mask; t->slots[i].idx1; i = (i + 1) & t->slot_mask) {
        if (t->slots[i].hash != h) continue;
        const pk_flow *f = &t->flows[t->slots[i].idx1 - 1];
        pk_prefetch_w(f);
        pk_prefetch_w(f->dir);
        return true;
    }
    return false;
}

/* The flow with this key, or NULL. */
static pk_flow *find(pk_flow_table *t, const pk_flow_key *k, uint32_t h) {
    for (uint32_t i = h & t->slot_mask; t->slots[i].idx1; i = (i + 1) & t->slot_mask) {
        if (t->slots[i].hash != h) continue;
        pk_flow *f = &t->flows[t->slots[i].idx1 - 1];
        if (key_eq(&f->key, k)) return f;
    }
    return NULL;
}

pk_flow *pk_flow_lookup_probe(pk_flow_table *t, const pk_flow_probe *pr,
                              const pk_packet *p, int *dir, bool *created) {
    uint32_t h = (uint32_t)pr->hash;
    int64_t now = p->ts_usec;
    *dir = pr->swapped;
    *created = false;
    pk_flow *f = find(t, &pr->key, h);
    if (f && is_idle(t, f, now)) {          /* the same key, a new flow */
        t->st.expired++;
        flow_remove(t, (uint32_t)(f - t->flows) + 1);
        f = NULL;
    }
    if (sweep_is_due(t, now)) sweep_idle(t, now);
    if (f) {
        f->last_ts = now;
        f->referenced = 1;
        return f;
    }
    uint32_t idx1 = take_entry(t, now);     /* may move slots: find ours after */
    f = &t->flows[idx1 - 1];
    flow_init(t, f, &pr->key, p, pr->swapped);
    f->last_ts = now;
    f->hash = h;
    t->slots[free_slot(t, h)] = (flow_slot){idx1, h};
    *created = true;
    return f;
}

pk_flow *pk_flow_lookup(pk_flow_table *t, const pk_packet *p, int *dir,
                        bool *created) {
    pk_flow_probe pr;
    pk_flow_probe_make(t, p, &pr);
    return pk_flow_lookup_probe(t, &pr, p, dir, created);
}

/* Computed per alert: only flows that alert need it, and keeping it would
 * cost every flow half a cache line. */
void pk_flow_community_id(const pk_flow *f, char out[PK_COMMUNITY_ID_LEN]) {
    const pk_flow_key *k = &f->key;
    bool a = f->initiator_is_a;
    bool icmp = k->proto == 1 || k->proto == 58;
    pk_community_id(0, k->family, a ? k->addr_a : k->addr_b,
                    a ? k->addr_b : k->addr_a, k->proto,
                    icmp ? f->icmp_type : a ? k->port_a : k->port_b,
                    icmp ? f->icmp_code : a ? k->port_b : k->port_a, out);
}

pk_stream_pool *pk_flow_stream_pool(pk_flow_table *t) { return t->pool; }

void pk_flow_table_clear(pk_flow_table *t) {
    for (uint32_t i = 0; i < t->never_used; i++)
        if (t->flows[i].in_use) flow_remove(t, i + 1);
}

bool pk_flow_note_alert(pk_flow *f, uint64_t indicator_hash) {
    for (uint16_t i = 0; i < f->seen_n; i++) {
        uint64_t v = i < PK_FLOW_SEEN_INLINE ? f->seen_inline[i]
                                             : f->seen_more[i - PK_FLOW_SEEN_INLINE];
        if (v == indicator_hash) return false;
    }
    if (f->seen_n < PK_FLOW_SEEN_INLINE) {
        f->seen_inline[f->seen_n++] = indicator_hash;
        return true;
    }
    uint16_t extra = (uint16_t)(f->seen_n - PK_FLOW_SEEN_INLINE);
    if (extra == f->seen_cap) {
        if (f->seen_cap >= 4096) return true;   /* bound: alert rather than lose */
        uint16_t cap = f->seen_cap ? (uint16_t)(f->seen_cap * 2) : 8;
        uint64_t *m = realloc(f->seen_more, cap * sizeof *m);
        if (!m) return true;
        f->seen_more = m;
        f->seen_cap = cap;
    }
    f->seen_more[extra] = indicator_hash;
    f->seen_n++;
    return true;
}

void pk_flow_counters(const pk_flow_table *t, pk_counter_cb cb, void *ctx) {
    cb(ctx, "flow.created", t->st.created);
    cb(ctx, "flow.expired", t->st.expired);
    cb(ctx, "flow.evicted", t->st.evicted);
    cb(ctx, "flow.active", t->st.active);
    cb(ctx, "flow.capacity", t->capacity);
}
