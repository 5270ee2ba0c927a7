/* flow.h - the bounded flow table.
 *
 * Why it exists: alerts are suppressed per flow x indicator, Community ID is
 * computed once per flow, and TCP payload must be followed per direction.
 * The table is preallocated to a fixed number of entries (memory bound set
 * by the operator); when it is full a flow not seen for a while is evicted
 * (CLOCK, an approximation of least recently seen) and counted, and flows
 * idle longer than the timeout are expired.
 */
#ifndef PICKET_FLOW_H
#define PICKET_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "community_id.h"
#include "counters.h"
#include "packet.h"
#include "stream.h"

/* Endpoints in canonical order (a < b) so both directions share a key. */
typedef struct pk_flow_key {
    uint8_t addr_a[16], addr_b[16];
    uint16_t port_a, port_b;
    uint16_t vlan;          /* outermost VLAN id, 0 if none */
    uint8_t family, proto;
} pk_flow_key;

#define PK_FLOW_SEEN_INLINE 4

/* One flow: three cache lines, laid out by when they are touched. Line 0 is
 * read for every packet (the key compare, the idle check, what the address
 * checks need); line 1 holds the TCP stream state of both directions, read
 * for every TCP packet; line 2 is written once and read when alerting. */
typedef struct pk_flow {
    /* line 0 */
    pk_flow_key key;
    int64_t last_ts;                /* packet time, microseconds */
    uint32_t hash;                  /* low 32 bits of the key's hash */
    uint32_t store_gen;             /* indicator store generation matched */
    uint32_t free_next;             /* free list (index + 1, 0 = end) */
    uint8_t in_use;
    uint8_t referenced;             /* seen since the eviction clock passed */
    uint8_t dirs_seen;              /* bit 0: a->b seen, bit 1: b->a seen */
    uint8_t addrs_missed;           /* the key's addresses matched nothing in
                                       store generation store_gen */
    /* line 1 */
    pk_stream dir[2];               /* 0 = from a, 1 = from b */
    /* line 2 */
    uint64_t flow_id;
    int64_t first_ts;               /* packet time, microseconds */
    /* indicators this flow already alerted on (hashes), for suppression */
    uint64_t seen_inline[PK_FLOW_SEEN_INLINE];
    uint64_t *seen_more;
    uint16_t seen_n, seen_cap;
    uint8_t initiator_is_a;         /* first packet came from endpoint a */
    uint8_t icmp_type, icmp_code;   /* ICMP: of the first packet */
} __attribute__((aligned(64))) pk_flow;

/* A packet's key and hash, computed ahead of its lookup so that the table
 * memory it will touch can be prefetched while earlier packets are
 * processed (see pk_flow_prefetch_slot and pk_flow_prefetch_flow). */
typedef struct pk_flow_probe {
    pk_flow_key key;
    uint64_t hash;
    int swapped;                    /* the packet goes from b to a */
} pk_flow_probe;

typedef struct pk_flow_config {
    size_t memory_bytes;            /* bound for the table (default 64 MiB) */
    uint32_t idle_timeout_s;        /* TCP/UDP/other (default 120) */
    uint32_t stream_buffers;        /* window buffers for incomplete messages (default 2048) */
} pk_flow_config;

typedef struct pk_flow_stats {
    uint64_t created, expired, evicted, active;
} pk_flow_stats;

typedef struct pk_flow_table pk_flow_table;

void pk_flow_config_defaults(pk_flow_config *cfg);
pk_flow_table *pk_flow_table_new(const pk_flow_config *cfg);
void pk_flow_table_free(pk_flow_table *t);
uint32_t pk_flow_table_capacity(const pk_flow_table *t);

/* Finds or creates the flow of this packet (innermost IP header). *dir is
 * set to the packet's direction (0 = from endpoint a). *created tells a new
 * flow (also when the old one with this key had been idle too long).
 * Expires a few idle flows as a side effect (bounded work per call). */
pk_flow *pk_flow_lookup(pk_flow_table *t, const pk_packet *p, int *dir,
                        bool *created);

/* The same in steps, for a batch of packets: make each packet's probe and
 * prefetch its index slot, then (once that is in cache) prefetch the flow
 * it points to, then look each up. The prefetches are hints:
 * lookups give the same answers without them. */
void pk_flow_probe_make(const pk_flow_table *t, const pk_packet *p, pk_flow_probe *pr);
void pk_flow_prefetch_slot(const pk_flow_table *t, const pk_flow_probe *pr);
/* Returns false when no flow has this hash: the packet will start one. */
bool pk_flow_prefetch_flow(const pk_flow_table *t, const pk_flow_probe *pr);
pk_flow *pk_flow_lookup_probe(pk_flow_table *t, const pk_flow_probe *pr,
                              const pk_packet *p, int *dir, bool *created);

/* Remembers that this flow alerted on an indicator (by value hash). Returns
 * false when it already had, i.e. the alert is suppressed. */
bool pk_flow_note_alert(pk_flow *f, uint64_t indicator_hash);

/* The flow's Community ID (v1, seed 0, initiator first) into out. Computed
 * per call (per alert): keeping it would cost every flow half a cache line. */
void pk_flow_community_id(const pk_flow *f, char out[PK_COMMUNITY_ID_LEN]);

/* Forgets every flow (counters are kept): a new pass over a capture. */
void pk_flow_table_clear(pk_flow_table *t);

/* The pool every stream of this table takes window buffers from. */
pk_stream_pool *pk_flow_stream_pool(pk_flow_table *t);

void pk_flow_counters(const pk_flow_table *t, pk_counter_cb cb, void *ctx);

#endif
