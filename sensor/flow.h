/* flow.h - the bounded flow table.
 *
 * Why it exists: alerts are suppressed per flow x indicator, Community ID is
 * computed once per flow, and TCP payload must be followed per direction.
 * The table is preallocated to a fixed number of entries (memory bound set
 * by the operator); when it is full the least recently seen flow is evicted
 * and counted, and flows idle longer than the timeout are expired.
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

typedef struct pk_flow {
    pk_flow_key key;
    uint64_t flow_id;
    int64_t first_ts, last_ts;      /* packet time, microseconds */
    uint32_t hash_next;             /* bucket chain (index + 1, 0 = end) */
    uint32_t lru_prev, lru_next;    /* index + 1, 0 = none */
    uint32_t store_gen;             /* indicator store generation matched */
    uint8_t initiator_is_a;         /* first packet came from endpoint a */
    uint8_t in_use;
    uint8_t dirs_seen;              /* bit 0: a->b seen, bit 1: b->a seen */
    uint8_t addrs_missed;           /* the key's addresses matched nothing in
                                       store generation store_gen */
    uint8_t icmp_type, icmp_code;   /* ICMP: of the first packet */
    char community_id[PK_COMMUNITY_ID_LEN];   /* "" until pk_flow_community_id() */
    pk_stream dir[2];               /* 0 = from a, 1 = from b */
    uint32_t bucket;                /* its hash bucket, for removal */
    /* indicators this flow already alerted on (hashes), for suppression */
    uint16_t seen_n, seen_cap;
    uint64_t seen_inline[PK_FLOW_SEEN_INLINE];
    uint64_t *seen_more;
} pk_flow;

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
 * flow. Expires idle flows as a side effect (bounded work per call). */
pk_flow *pk_flow_lookup(pk_flow_table *t, const pk_packet *p, int *dir,
                        bool *created);

/* Remembers that this flow alerted on an indicator (by value hash). Returns
 * false when it already had, i.e. the alert is suppressed. */
bool pk_flow_note_alert(pk_flow *f, uint64_t indicator_hash);

/* The flow's Community ID (v1, seed 0, initiator first), computed once. */
const char *pk_flow_community_id(pk_flow *f);

/* Forgets every flow (counters are kept): a new pass over a capture. */
void pk_flow_table_clear(pk_flow_table *t);

/* The pool every stream of this table takes window buffers from. */
pk_stream_pool *pk_flow_stream_pool(pk_flow_table *t);

void pk_flow_counters(const pk_flow_table *t, pk_counter_cb cb, void *ctx);

#endif
