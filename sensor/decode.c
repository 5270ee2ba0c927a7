/* decode.c - the decoder's entry point, its context and its counters.
 *
 * Why it exists: pk_decode_packet() is the one door between a captured
 * frame and the rest of the packet path. It resets the output, walks the
 * layers (decode_l2.c onwards), and turns the walk's outcome into a result
 * the caller can act on. The layer files hold the parsing.
 *
 * What a caller can rely on (for every result, not only PK_DECODE_OK):
 *  - out->ip[0 .. ip_count) lists every IP header crossed before the walk
 *    stopped, outermost first. A held fragment (PK_DECODE_HELD) or a
 *    dropped one (PK_DECODE_MALFORMED) thus still shows its addresses, so
 *    address indicators see traffic that never reassembles.
 *  - PK_DECODE_OK means at least one IP header was valid. A malformation
 *    under a valid IP header does not discard the packet: the transport
 *    (l4_ok false) or the tunnel's inner layers are dropped, the reason is
 *    counted, and the innermost valid IP header is the result. For a UDP
 *    tunnel (VXLAN, Geneve) whose payload is not valid, that is the outer
 *    UDP packet with l4_ok true.
 *  - PK_DECODE_MALFORMED means no usable IP header (the outermost one, or
 *    the link layer before it, was bad), or a fragment was refused.
 *  - A capture cut short (caplen < wire_len) is not malformed: headers and
 *    payload hold what was captured, out->truncated is set and
 *    "decode.truncated" counted. A length field pointing past the end of an
 *    uncut frame is malformed.
 */
#include "decode.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"

#define PK_DC_NAME(id, name) name,
static const char *const counter_names[PKC__COUNT] = {
    PK_DECODE_COUNTERS(PK_DC_NAME)
};
#undef PK_DC_NAME

void pk_decode_config_defaults(pk_decode_config *cfg) {
    cfg->defrag_max_bytes = 4u << 20;
    cfg->defrag_max_trackers = 4096;
    cfg->defrag_timeout_ms = 30000;
}

/* Zero fields in a caller's config mean "the default". */
static void config_fill(pk_decode_config *cfg, const pk_decode_config *in) {
    pk_decode_config_defaults(cfg);
    if (!in) return;
    if (in->defrag_max_bytes) cfg->defrag_max_bytes = in->defrag_max_bytes;
    if (in->defrag_max_trackers) cfg->defrag_max_trackers = in->defrag_max_trackers;
    if (in->defrag_timeout_ms) cfg->defrag_timeout_ms = in->defrag_timeout_ms;
}

pk_decoder *pk_decoder_new(const pk_decode_config *cfg) {
    pk_decoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    config_fill(&d->cfg, cfg);
    d->defrag = pk_defrag_new(d->cfg.defrag_max_bytes,
                              d->cfg.defrag_max_trackers,
                              d->cfg.defrag_timeout_ms);
    bool ok = d->defrag != NULL;
    for (int i = 0; i < PK_MAX_IP_LAYERS && ok; i++) {
        d->reasm[i] = malloc(PK_REASM_BUF);
        ok = d->reasm[i] != NULL;
    }
    if (!ok) {
        pk_decoder_free(d);
        return NULL;
    }
    return d;
}

void pk_decoder_free(pk_decoder *d) {
    if (!d) return;
    pk_defrag_free(d->defrag);
    for (int i = 0; i < PK_MAX_IP_LAYERS; i++) free(d->reasm[i]);
    free(d);
}

int pk_decode_linktype_supported(int linktype) {
    switch (linktype) {
    case 0:    /* DLT_NULL */
    case 1:    /* DLT_EN10MB */
    case 12:   /* DLT_RAW (most systems) */
    case 14:   /* DLT_RAW (OpenBSD) */
    case 101:  /* LINKTYPE_RAW */
    case 108:  /* DLT_LOOP */
    case 113:  /* DLT_LINUX_SLL */
    case 228:  /* LINKTYPE_IPV4 */
    case 229:  /* LINKTYPE_IPV6 */
    case 276:  /* DLT_LINUX_SLL2 */
        return 1;
    default:
        return 0;
    }
}

static void account(pk_decoder *d, pk_decode_result res, const pk_walk *w) {
    if (w->truncated) {
        w->out->truncated = true;
        d->ctr[PKC_TRUNCATED]++;
    }
    switch (res) {
    case PK_DECODE_MALFORMED: d->ctr[PKC_MALFORMED_FRAMES]++; break;
    case PK_DECODE_SKIP: d->ctr[PKC_SKIPPED]++; break;
    case PK_DECODE_HELD: d->ctr[PKC_HELD]++; break;
    case PK_DECODE_OK: break;
    }
}

pk_decode_result pk_decode_packet(pk_decoder *d, int linktype,
                                  const uint8_t *data, uint32_t caplen,
                                  uint32_t wire_len, int64_t ts_usec,
                                  pk_packet *out) {
    /* Everything but ip[]: its entries are cleared as they are filled, and
     * two small fixed clears cost less than one of the whole struct. */
    memset(out, 0, offsetof(pk_packet, ip));
    memset((char *)out + offsetof(pk_packet, ip_count), 0,
           sizeof *out - offsetof(pk_packet, ip_count));
    out->ts_usec = ts_usec;
    out->wire_len = wire_len;
    d->ctr[PKC_PACKETS]++;
    if (!data) caplen = 0;
    pk_walk w = {
        .d = d, .out = out, .cap_end = data ? data + caplen : NULL,
        .cap_short = caplen < wire_len, .ts_usec = ts_usec,
    };
    pk_reader r;
    rd_init(&r, data, caplen);
    pk_decode_result res = pk_dec_link(&w, linktype, &r);
    if (res == PK_DECODE_OK && out->ip_count == 0) res = PK_DECODE_SKIP;
    account(d, res, &w);
    return res;
}

void pk_decoder_expire(pk_decoder *d, int64_t now_usec) {
    pk_defrag_expire(d->defrag, now_usec);
}

void pk_decoder_counters(const pk_decoder *d, pk_counter_cb cb, void *ctx) {
    for (int i = 0; i < PKC__COUNT; i++) cb(ctx, counter_names[i], d->ctr[i]);
    pk_defrag_counters(d->defrag, cb, ctx);
}
