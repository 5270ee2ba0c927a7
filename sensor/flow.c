/* flow.c - the bounded flow table (see flow.h for why).
 *
 * Entries live in one preallocated array; a bucket array of chains finds
 * them and a doubly-linked LRU list (oldest at the head) drives both idle
 * expiry and eviction when the table is full. Indices are stored as
 * index + 1 so that 0 means "none". No allocation per packet.
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct pk_flow_table {
    pk_flow *flows;
    uint32_t *buckets;
    size_t flows_bytes, buckets_bytes;   /* mapped sizes */
    uint32_t capacity, nbuckets, bucket_mask;
    uint32_t free_head;            /* chain of freed entries via hash_next */
    uint32_t never_used;           /* entries [never_used, capacity) untouched */
    uint32_t lru_head, lru_tail;   /* head = least recently seen */
    int64_t idle_usec;
    pk_stream_pool *pool;          /* window buffers of all streams */
    pk_flow_stats st;
};

void pk_flow_config_defaults(pk_flow_config *cfg) {
    cfg->memory_bytes = 64u << 20;
    cfg->idle_timeout_s = 120;
    cfg->stream_buffers = 2048;
}

/* Zeroed memory that costs nothing until touched (anonymous mapping),
 * advised as transparent huge pages: the table is read at random, one flow
 * per packet, and with 4 KiB pages nearly every lookup would also miss the
 * TLB (and every 17th new flow take a page fault). */
static void *table_map(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

static uint32_t pow2_at_least(uint32_t n) {
    uint32_t p = 1;
    while (p < n && p < (1u << 31)) p <<= 1;
    return p;
}

pk_flow_table *pk_flow_table_new(const pk_flow_config *cfg) {
    pk_flow_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    size_t per_flow = sizeof(pk_flow) + 2 * sizeof(uint32_t);
    size_t cap = cfg->memory_bytes / per_flow;
    if (cap < 64) cap = 64;
    if (cap > (1u << 30)) cap = 1u << 30;
    t->capacity = (uint32_t)cap;
    t->nbuckets = pow2_at_least(t->capacity);
    t->bucket_mask = t->nbuckets - 1;
    t->flows_bytes = (size_t)t->capacity * sizeof *t->flows;
    t->buckets_bytes = (size_t)t->nbuckets * sizeof *t->buckets;
    t->flows = table_map(t->flows_bytes);
    t->buckets = table_map(t->buckets_bytes);
    if (!t->flows || !t->buckets) {
        pk_flow_table_free(t);
        return NULL;
    }
    t->idle_usec = (int64_t)cfg->idle_timeout_s * 1000000;
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
    if (t->buckets) munmap(t->buckets, t->buckets_bytes);
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

static uint64_t key_hash(const pk_flow_key *k) {
    uint64_t w[4];
    memcpy(w, k->addr_a, 16);
    memcpy(w + 2, k->addr_b, 16);
    uint64_t h = mix64(w[0] ^ 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ w[1]);
    h = mix64(h ^ w[2]);
    h = mix64(h ^ w[3]);
    uint64_t tail = (uint64_t)k->port_a | (uint64_t)k->port_b << 16 |
                    (uint64_t)k->vlan << 32 | (uint64_t)k->family << 48 |
                    (uint64_t)k->proto << 56;
    return mix64(h ^ tail);
}

/* Builds the canonical key; returns 1 when the packet goes from b to a. */
static int make_key(const pk_packet *p, pk_flow_key *k) {
    const pk_ip_pair *ip = pk_packet_inner_ip(p);
    size_t alen = ip->family == 6 ? 16 : 4;
    uint16_t sport = p->sport, dport = p->dport;
    if (p->proto == 1 || p->proto == 58) {   /* ICMP: one flow per pair of hosts */
        sport = 0;
        dport = 0;
    }
    memset(k, 0, sizeof *k);
    k->family = ip->family;
    k->proto = p->proto;
    k->vlan = p->vlan_count ? p->vlan[0] : 0;
    int c = memcmp(ip->src, ip->dst, alen);
    int swapped = c > 0 || (c == 0 && sport > dport);
    memcpy(k->addr_a, swapped ? ip->dst : ip->src, alen);
    memcpy(k->addr_b, swapped ? ip->src : ip->dst, alen);
    k->port_a = swapped ? dport : sport;
    k->port_b = swapped ? sport : dport;
    return swapped;
}

static void lru_unlink(pk_flow_table *t, uint32_t idx1) {
    pk_flow *f = &t->flows[idx1 - 1];
    if (f->lru_prev) t->flows[f->lru_prev - 1].lru_next = f->lru_next;
    else t->lru_head = f->lru_next;
    if (f->lru_next) t->flows[f->lru_next - 1].lru_prev = f->lru_prev;
    else t->lru_tail = f->lru_prev;
    f->lru_prev = f->lru_next = 0;
}

static void lru_push_tail(pk_flow_table *t, uint32_t idx1) {
    pk_flow *f = &t->flows[idx1 - 1];
    f->lru_prev = t->lru_tail;
    f->lru_next = 0;
    if (t->lru_tail) t->flows[t->lru_tail - 1].lru_next = idx1;
    else t->lru_head = idx1;
    t->lru_tail = idx1;
}

/* Removes a flow from its bucket chain and the LRU and frees its entry. */
static void flow_remove(pk_flow_table *t, uint32_t idx1) {
    pk_flow *f = &t->flows[idx1 - 1];
    uint32_t *link = &t->buckets[f->bucket];
    while (*link && *link != idx1) link = &t->flows[*link - 1].hash_next;
    if (*link) *link = f->hash_next;
    lru_unlink(t, idx1);
    pk_stream_release(&f->dir[0], t->pool);
    pk_stream_release(&f->dir[1], t->pool);
    free(f->seen_more);
    memset(f, 0, sizeof *f);
    f->hash_next = t->free_head;
    t->free_head = idx1;
    t->st.active--;
}

/* Expires a few idle flows from the old end of the LRU: bounded work per
 * packet, and over time every idle flow goes. */
static void expire_idle(pk_flow_table *t, int64_t now) {
    for (int budget = 4; budget > 0 && t->lru_head; budget--) {
        pk_flow *f = &t->flows[t->lru_head - 1];
        if (now - f->last_ts <= t->idle_usec) break;
        t->st.expired++;
        flow_remove(t, t->lru_head);
    }
}

/* Entries are handed out in order first, so a large table costs no
 * memory until flows fill it (mapped pages stay untouched). */
static uint32_t take_entry(pk_flow_table *t) {
    if (!t->free_head && t->never_used < t->capacity) return ++t->never_used;
    if (!t->free_head) {            /* full: evict the least recently seen */
        t->st.evicted++;
        flow_remove(t, t->lru_head);
    }
    uint32_t idx1 = t->free_head;
    t->free_head = t->flows[idx1 - 1].hash_next;
    return idx1;
}

static void flow_init(pk_flow_table *t, pk_flow *f, const pk_flow_key *k,
                      const pk_packet *p, int swapped, uint64_t h) {
    f->key = *k;
    f->in_use = 1;
    f->first_ts = p->ts_usec;
    f->initiator_is_a = !swapped;
    /* EVE consumers parse flow_id as a JSON number: keep it within 2^53. */
    f->flow_id = (mix64(h ^ (uint64_t)p->ts_usec) & ((1ULL << 51) - 1)) | 1;
    if (p->proto == 1 || p->proto == 58) {
        f->icmp_type = p->icmp_type;
        f->icmp_code = p->icmp_code;
    }
    t->st.created++;
    t->st.active++;
}

pk_flow *pk_flow_lookup(pk_flow_table *t, const pk_packet *p, int *dir,
                        bool *created) {
    pk_flow_key k;
    int swapped = make_key(p, &k);
    uint64_t h = key_hash(&k);
    uint32_t b = (uint32_t)h & t->bucket_mask;
    *dir = swapped;
    *created = false;
    expire_idle(t, p->ts_usec);
    for (uint32_t i = t->buckets[b]; i; i = t->flows[i - 1].hash_next) {
        pk_flow *f = &t->flows[i - 1];
        if (memcmp(&f->key, &k, sizeof k) == 0) {
            f->last_ts = p->ts_usec;
            if (t->lru_tail != i) {     /* already the most recent: stays */
                lru_unlink(t, i);
                lru_push_tail(t, i);
            }
            return f;
        }
    }
    uint32_t idx1 = take_entry(t);
    pk_flow *f = &t->flows[idx1 - 1];
    flow_init(t, f, &k, p, swapped, h);
    f->last_ts = p->ts_usec;
    f->bucket = b;
    f->hash_next = t->buckets[b];
    t->buckets[b] = idx1;
    lru_push_tail(t, idx1);
    *created = true;
    return f;
}

/* Computed on first use: only flows that alert need it, and a SHA-1 per
 * new flow would cost more than the rest of the flow's first packet. */
const char *pk_flow_community_id(pk_flow *f) {
    if (f->community_id[0]) return f->community_id;
    const pk_flow_key *k = &f->key;
    bool a = f->initiator_is_a;
    bool icmp = k->proto == 1 || k->proto == 58;
    pk_community_id(0, k->family, a ? k->addr_a : k->addr_b,
                    a ? k->addr_b : k->addr_a, k->proto,
                    icmp ? f->icmp_type : a ? k->port_a : k->port_b,
                    icmp ? f->icmp_code : a ? k->port_b : k->port_a,
                    f->community_id);
    return f->community_id;
}

pk_stream_pool *pk_flow_stream_pool(pk_flow_table *t) { return t->pool; }

void pk_flow_table_clear(pk_flow_table *t) {
    while (t->lru_head) flow_remove(t, t->lru_head);
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
