/* decode.h - the decoder chain: link layer -> tunnels -> IP (with
 * reassembly of fragments) -> transport.
 *
 * Why it exists: one entry point turns a captured frame of any link type we
 * support into a pk_packet, counting every malformed frame by reason. All
 * reads go through common/reader.h.
 */
#ifndef PICKET_DECODE_H
#define PICKET_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "packet.h"

typedef enum pk_decode_result {
    PK_DECODE_OK = 0,      /* out holds an IP packet (check out->l4_ok) */
    PK_DECODE_HELD,        /* a fragment was stored; nothing to process yet */
    PK_DECODE_SKIP,        /* well-formed but nothing for us (ARP, LLDP...) */
    PK_DECODE_MALFORMED,   /* counted by reason */
} pk_decode_result;

typedef struct pk_decode_config {
    size_t defrag_max_bytes;     /* memory bound for fragments held (default 4 MiB) */
    uint32_t defrag_max_trackers;/* datagrams in reassembly at once (default 4096) */
    uint32_t defrag_timeout_ms;  /* a datagram not complete by then is dropped (default 30000) */
} pk_decode_config;

typedef struct pk_decoder pk_decoder;

void pk_decode_config_defaults(pk_decode_config *cfg);
pk_decoder *pk_decoder_new(const pk_decode_config *cfg);
void pk_decoder_free(pk_decoder *d);

/* linktype is the pcap LINKTYPE_/DLT_ value (pcap_datalink()). data/caplen
 * are the captured bytes. Pointers placed in *out (payload) stay valid until
 * the next call.
 * Whatever the result, out->ip[0 .. ip_count) holds every IP header crossed
 * before the walk stopped (a held or refused fragment still shows its
 * addresses). A malformation under a valid IP header (transport, tunnel
 * inside) gives PK_DECODE_OK with the innermost valid IP header as the
 * result and l4_ok false; see decode.c for the full contract. */
pk_decode_result pk_decode_packet(pk_decoder *d, int linktype,
                                  const uint8_t *data, uint32_t caplen,
                                  uint32_t wire_len, int64_t ts_usec,
                                  pk_packet *out);

/* True when this link type is one we decode. */
int pk_decode_linktype_supported(int linktype);

/* Drops fragment trackers older than the timeout (called now and then). */
void pk_decoder_expire(pk_decoder *d, int64_t now_usec);

/* Reports every counter: "decode.<layer>" decoded counts and
 * "decode.malformed.<reason>", "defrag.*". */
void pk_decoder_counters(const pk_decoder *d, pk_counter_cb cb, void *ctx);

#endif
