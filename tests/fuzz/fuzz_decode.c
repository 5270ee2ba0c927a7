/* fuzz_decode.c - fuzzes the decoder chain: pk_decode_packet (sensor/decode.h)
 * for every link type the sensor accepts, with IP fragment reassembly state
 * carried from one input to the next.
 *
 * Why: every captured frame crosses this code first, so it is the widest
 * door for hostile bytes (link layers, VLAN/QinQ, MPLS, PPPoE, GRE/ERSPAN,
 * VXLAN, Geneve, IP-in-IP, IPv4 options, IPv6 extension headers, fragments,
 * transports). One decoder is kept for the whole run, as the capture thread
 * keeps it, so fragments of earlier inputs are completed, overlapped and
 * evicted by later ones; its bounds are small so the eviction paths run.
 *
 * Input: byte 0 controls the call, the rest is the frame.
 *   bits 0-3  link type: k_links[(b & 15) % 9]
 *   bit 4     capture cut short: wire_len = caplen + 1 + (frame length % 64)
 *   bit 5     after decoding, expire fragments with the clock past the timeout
 *   bits 6-7  clock step before the packet: +1 ms, +1 s, -1 s (captures are
 *             not always in time order), +0
 * Every 1024 inputs pk_decoder_expire also runs at the current time.
 *
 * Checked (decode.h/packet.h contract): ip_count within PK_MAX_IP_LAYERS and
 * at least 1 on PK_DECODE_OK, IP families 4 or 6, vlan_count within
 * PK_MAX_VLANS, a payload inside the frame does not run past it, and every
 * payload byte is readable (ASan checks reassembled payloads too).
 */
#include <stdint.h>
#include <stdlib.h>

#include "decode.h"
#include "fuzz_util.h"

static const int k_links[] = {0, 1, 12, 101, 108, 113, 228, 229, 276};
#define N_LINKS (sizeof k_links / sizeof k_links[0])

#define FZ_T0 1700000000000000LL   /* 2023-11-14, in microseconds */

static pk_decoder *g_dec;
static int64_t g_now = FZ_T0;
static uint64_t g_calls;
static pk_decode_config g_cfg;

static void count_cb(void *ctx, const char *name, uint64_t v) {
    (void)name;
    *(uint64_t *)ctx += v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    pk_decode_config_defaults(&g_cfg);
    g_cfg.defrag_max_bytes = 256u << 10;
    g_cfg.defrag_max_trackers = 16;
    g_dec = pk_decoder_new(&g_cfg);
    if (!g_dec) abort();
    return 0;
}

static void check_packet(const pk_packet *p, pk_decode_result res,
                         const uint8_t *frame, size_t caplen) {
    FZ_CHECK(p->ip_count <= PK_MAX_IP_LAYERS);
    FZ_CHECK(p->vlan_count <= PK_MAX_VLANS);
    if (res == PK_DECODE_OK) FZ_CHECK(p->ip_count >= 1);
    for (int i = 0; i < p->ip_count; i++)
        FZ_CHECK(p->ip[i].family == 4 || p->ip[i].family == 6);
    if (p->payload_len == 0) return;
    FZ_CHECK(p->payload != NULL);
    if (caplen > 0 && p->payload >= frame && p->payload < frame + caplen)
        FZ_CHECK(p->payload_len <= (size_t)(frame + caplen - p->payload));
    volatile uint8_t sum = 0;
    for (uint32_t i = 0; i < p->payload_len; i++) sum ^= p->payload[i];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t ctl = data[0];
    const uint8_t *frame = data + 1;
    uint32_t caplen = (uint32_t)(size - 1);
    uint32_t wire_len = caplen;
    if (ctl & 0x10) wire_len = caplen + 1 + caplen % 64;
    switch (ctl >> 6) {
    case 0: g_now += 1000; break;
    case 1: g_now += 1000000; break;
    case 2: g_now -= 1000000; break;
    default: break;
    }

    pk_packet p;
    pk_decode_result res = pk_decode_packet(g_dec, k_links[(ctl & 15) % N_LINKS],
                                            frame, caplen, wire_len, g_now, &p);
    FZ_CHECK(res == PK_DECODE_OK || res == PK_DECODE_HELD ||
             res == PK_DECODE_SKIP || res == PK_DECODE_MALFORMED);
    check_packet(&p, res, frame, caplen);

    if (ctl & 0x20) {
        g_now += (int64_t)g_cfg.defrag_timeout_ms * 1000 + 1;
        pk_decoder_expire(g_dec, g_now);
    }
    if (++g_calls % 1024 == 0) {
        uint64_t total = 0;
        pk_decoder_expire(g_dec, g_now);
        pk_decoder_counters(g_dec, count_cb, &total);
        FZ_CHECK(total > 0);
    }
    return 0;
}
