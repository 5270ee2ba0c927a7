/* defrag.h - IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * Why it exists: an indicator hidden in a fragmented datagram (a DNS query
 * split over two fragments, a TCP SYN whose header spans three) must reach
 * the parsers whole, and fragments are a classic way to evade or exhaust a
 * sensor. This module holds fragments per datagram under a byte budget and a
 * tracker budget, times them out, and applies one fixed overlap policy
 * (described in defrag.c). It knows nothing of link layers: the IP decoders
 * hand it the fragmentable bytes and a key.
 */
#ifndef PICKET_DEFRAG_H
#define PICKET_DEFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

/* Identifies one datagram in reassembly. Built zeroed, then filled: it is
 * compared and hashed as bytes (no padding: 44 bytes). */
typedef struct pk_frag_key {
    uint8_t family;          /* 4 or 6 */
    uint8_t proto;           /* IPv4 protocol; 0 for IPv6 */
    uint8_t layer;           /* index of this IP header in the frame */
    uint8_t zero;
    uint16_t vlan[2];        /* outer VLAN ids, 0 when absent */
    uint32_t id;             /* IPv4 identification or IPv6 fragment id */
    uint8_t src[16];
    uint8_t dst[16];
} pk_frag_key;

typedef struct pk_frag_in {
    pk_frag_key key;
    uint32_t offset;         /* byte offset in the fragmentable part */
    const uint8_t *data;     /* this fragment's bytes (len of them) */
    uint32_t len;
    bool more;               /* MF / M flag */
    uint8_t next_proto;      /* IPv4 protocol / IPv6 fragment header's NH */
    uint16_t unfrag_len;     /* header bytes ahead of the fragmentable part
                              * in the rebuilt datagram (65535 limit) */
    int64_t ts_usec;
} pk_frag_in;

typedef enum pk_frag_result {
    PK_FRAG_HELD = 0,        /* stored (or an exact duplicate): wait */
    PK_FRAG_DONE,            /* datagram complete: see the output buffer */
    PK_FRAG_DROPPED,         /* refused by policy or bounds (counted) */
} pk_frag_result;

typedef struct pk_defrag pk_defrag;

/* max_bytes bounds the fragment bytes held plus per-fragment bookkeeping;
 * max_trackers the datagrams in reassembly; timeout_ms their lifetime
 * counted from their first fragment. Returns NULL on allocation failure. */
pk_defrag *pk_defrag_new(size_t max_bytes, uint32_t max_trackers,
                         uint32_t timeout_ms);
void pk_defrag_free(pk_defrag *df);

/* Adds one fragment. On PK_FRAG_DONE the fragmentable part of the datagram
 * (out_len bytes, at most buf_size) is in buf and *out_proto is the
 * protocol / next header taken from the fragment at offset 0. */
pk_frag_result pk_defrag_add(pk_defrag *df, const pk_frag_in *in,
                             uint8_t *buf, uint32_t buf_size,
                             uint32_t *out_len, uint8_t *out_proto);

/* Drops datagrams whose first fragment is older than the timeout. */
void pk_defrag_expire(pk_defrag *df, int64_t now_usec);

/* Notes an IPv6 atomic fragment (offset 0, M clear: RFC 6946); such a
 * packet is decoded at once and never stored. */
void pk_defrag_note_atomic(pk_defrag *df);
/* Notes a fragment refused before reaching the tracker (bad length, cut by
 * the capture) so "defrag.fragments" stays the count of all fragments. */
void pk_defrag_note_refused(pk_defrag *df);

size_t pk_defrag_bytes_held(const pk_defrag *df);
uint32_t pk_defrag_trackers_active(const pk_defrag *df);

/* Reports "defrag.*" counters and the two gauges above. */
void pk_defrag_counters(const pk_defrag *df, pk_counter_cb cb, void *ctx);

#endif
