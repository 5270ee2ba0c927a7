/* sensor.c - the packet path of one capture thread (see sensor.h):
 * capture -> decode -> flow -> protocol parse -> match -> alert.
 */
#include "sensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "app.h"
#include "detect.h"

void pk_sensor_config_defaults(pk_sensor_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    pk_decode_config_defaults(&cfg->decode);
    pk_flow_config_defaults(&cfg->flow);
    cfg->home_net = PK_HOMENET_DEFAULT;
}

static void discard_alert(void *ctx, uint64_t seq, const char *json, size_t len) {
    (void)ctx; (void)seq; (void)json; (void)len;
}

/* Alert sequence numbers start from the wall clock in microseconds, so a
 * restarted sensor never reuses an alert_id even without a spool. */
static uint64_t first_alert_seq(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

int pk_sensor_init(pk_sensor *s, const pk_sensor_config *cfg,
                   pk_istore *store, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    if (pk_homenet_parse(&s->home, cfg->home_net, err, errlen) != 0) return -1;
    s->decoder = pk_decoder_new(&cfg->decode);
    s->flows = pk_flow_table_new(&cfg->flow);
    s->fp_hasher = pk_fp_hasher_new();
    if (!s->decoder || !s->flows || !s->fp_hasher) {
        snprintf(err, errlen, "out of memory for the decoder, the flow table or "
                 "the JA3/JA4 digests");
        pk_sensor_destroy(s);
        return -1;
    }
    atomic_init(&s->store, store);
    atomic_init(&s->store_gen, 1);
    atomic_init(&s->packets_seen_gen, 1);
    s->next_alert_seq = first_alert_seq();
    s->sink = discard_alert;
    return 0;
}

void pk_sensor_destroy(pk_sensor *s) {
    pk_decoder_free(s->decoder);
    pk_flow_table_free(s->flows);
    pk_fp_hasher_free(s->fp_hasher);
    s->fp_hasher = NULL;
    pk_istore_free(atomic_load(&s->store));
    s->decoder = NULL;
    s->flows = NULL;
    atomic_store(&s->store, NULL);
}

static void count_decode(pk_sensor *s, pk_decode_result r) {
    switch (r) {
    case PK_DECODE_OK: s->st.decode_ok++; break;
    case PK_DECODE_HELD: s->st.decode_held++; break;
    case PK_DECODE_SKIP: s->st.decode_skip++; break;
    case PK_DECODE_MALFORMED: s->st.decode_malformed++; break;
    }
}

/* Counts a frame as the packet path takes it (in capture order). */
static void count_frame(pk_sensor *s, uint32_t wire_len, pk_decode_result r) {
    s->st.packets++;
    s->st.bytes += wire_len;
    s->pcap_cnt++;
    count_decode(s, r);
}

/* flow -> protocol parse -> match -> alert, for a decoded packet whose
 * flow probe is made. */
static void after_decode(pk_sensor *s, const pk_packet *p, const pk_flow_probe *pr,
                         unsigned gen) {
    int dir;
    bool created;
    pk_flow *f = pk_flow_lookup_probe(s->flows, pr, p, &dir, &created);
    uint8_t bit = (uint8_t)(1u << dir);
    if (created || !(f->dirs_seen & bit) || f->store_gen != gen) {
        f->dirs_seen |= bit;
        if (f->store_gen != gen) f->addrs_missed = 0;   /* another store */
        f->store_gen = gen;
        pk_detect_addresses(s, f, p);
    }
    if (p->l4_ok) pk_app_packet(s, f, dir, p);
    else s->st.no_l4++;
}

void pk_sensor_packet(pk_sensor *s, const uint8_t *data, uint32_t caplen,
                      uint32_t wire_len, int64_t ts_usec) {
    unsigned gen = atomic_load_explicit(&s->store_gen, memory_order_acquire);
    pk_packet p;
    pk_decode_result r = pk_decode_packet(s->decoder, s->linktype, data, caplen,
                                          wire_len, ts_usec, &p);
    count_frame(s, wire_len, r);
    if (r == PK_DECODE_OK) {
        pk_flow_probe pr;
        pk_flow_probe_make(s->flows, &p, &pr);
        after_decode(s, &p, &pr, gen);
    }
    /* Quiescent point: nothing of the store is referenced past here. */
    atomic_store_explicit(&s->packets_seen_gen, gen, memory_order_release);
}

/* The batch runs as a pipeline: a frame is decoded and its index slot
 * prefetched PK_AHEAD_SLOT frames before its turn, its flow prefetched
 * PK_AHEAD_FLOW frames before (or, when it will start a flow, the indicator
 * store's slots for its addresses, which a new flow looks up), so the cache
 * misses of a lookup overlap with the work on earlier frames. A reassembled
 * datagram holds decoding back until its turn: its bytes live in the
 * decoder, which the next decode may reuse. */
#define PK_AHEAD_SLOT 16
#define PK_AHEAD_FLOW 8

typedef struct pk_ahead {
    pk_packet p;
    pk_flow_probe pr;
    pk_decode_result r;
    uint32_t wire_len;
} pk_ahead;

typedef struct pk_pipeline {
    pk_ahead ring[PK_AHEAD_SLOT];
    size_t decoded, flow_fetched, done;
    bool held;                      /* a reassembled datagram is in the ring */
} pk_pipeline;

static void decode_next(pk_sensor *s, pk_pipeline *pl, const pk_frame *fr) {
    pk_ahead *a = &pl->ring[pl->decoded++ % PK_AHEAD_SLOT];
    a->wire_len = fr->wire_len;
    a->r = pk_decode_packet(s->decoder, s->linktype, fr->data, fr->caplen,
                            fr->wire_len, fr->ts_usec, &a->p);
    if (a->r != PK_DECODE_OK) return;
    pk_flow_probe_make(s->flows, &a->p, &a->pr);
    pk_flow_prefetch_slot(s->flows, &a->pr);
    if (a->p.reassembled) pl->held = true;
}

static void prefetch_addresses(const pk_istore *store, const pk_packet *p) {
    const pk_ip_pair *ip = pk_packet_inner_ip(p);
    pk_istore_prefetch_addr(store, ip->family, ip->src);
    pk_istore_prefetch_addr(store, ip->family, ip->dst);
}

void pk_sensor_batch(pk_sensor *s, const pk_batch *b) {
    unsigned gen = atomic_load_explicit(&s->store_gen, memory_order_acquire);
    const pk_istore *store = atomic_load_explicit(&s->store, memory_order_acquire);
    pk_pipeline pl = {.decoded = 0};
    while (pl.done < b->n) {
        while (pl.decoded < b->n && pl.decoded - pl.done < PK_AHEAD_SLOT && !pl.held)
            decode_next(s, &pl, &b->frames[pl.decoded]);
        for (; pl.flow_fetched < pl.decoded && pl.flow_fetched - pl.done < PK_AHEAD_FLOW;
             pl.flow_fetched++) {
            const pk_ahead *a = &pl.ring[pl.flow_fetched % PK_AHEAD_SLOT];
            if (a->r == PK_DECODE_OK && !pk_flow_prefetch_flow(s->flows, &a->pr))
                prefetch_addresses(store, &a->p);
        }
        pk_ahead *a = &pl.ring[pl.done++ % PK_AHEAD_SLOT];
        count_frame(s, a->wire_len, a->r);
        if (a->r == PK_DECODE_OK) after_decode(s, &a->p, &a->pr, gen);
        if (pl.done == pl.decoded) pl.held = false;
    }
    /* Quiescent point: nothing of the store is referenced past here. */
    atomic_store_explicit(&s->packets_seen_gen, gen, memory_order_release);
}

pk_istore *pk_sensor_swap_store(pk_sensor *s, pk_istore *fresh) {
    pk_istore *old = atomic_exchange_explicit(&s->store, fresh, memory_order_acq_rel);
    atomic_fetch_add_explicit(&s->store_gen, 1, memory_order_acq_rel);
    return old;
}

bool pk_sensor_quiesced(const pk_sensor *s, unsigned gen) {
    return atomic_load_explicit(&s->packets_seen_gen, memory_order_acquire) >= gen;
}

void pk_sensor_reset_flows(pk_sensor *s) {
    pk_flow_table_clear(s->flows);
}

void pk_sensor_idle(pk_sensor *s) {
    unsigned gen = atomic_load_explicit(&s->store_gen, memory_order_acquire);
    atomic_store_explicit(&s->packets_seen_gen, gen, memory_order_release);
}

static void sensor_own_counters(const pk_sensor *s, pk_counter_cb cb, void *ctx) {
    cb(ctx, "capture.packets", s->st.packets);
    cb(ctx, "capture.bytes", s->st.bytes);
    cb(ctx, "decode.result.ok", s->st.decode_ok);
    cb(ctx, "decode.result.fragment_held", s->st.decode_held);
    cb(ctx, "decode.result.not_ip", s->st.decode_skip);
    cb(ctx, "decode.result.malformed", s->st.decode_malformed);
    cb(ctx, "decode.result.no_transport", s->st.no_l4);
    cb(ctx, "alerts.raised", s->st.alerts);
    cb(ctx, "alerts.suppressed", s->st.suppressed);
    cb(ctx, "alerts.errors", s->st.alert_errors);
    cb(ctx, "indicators.loaded", pk_istore_count(atomic_load(&s->store)));
}

void pk_sensor_counters(const pk_sensor *s, pk_counter_cb cb, void *ctx) {
    sensor_own_counters(s, cb, ctx);
    pk_decoder_counters(s->decoder, cb, ctx);
    pk_flow_counters(s->flows, cb, ctx);
    pk_stream_counters(&s->stream, cb, ctx);
    pk_dns_counters(&s->dns, cb, ctx);
    pk_tls_counters(&s->tls, cb, ctx);
    pk_http_counters(&s->http, cb, ctx);
    pk_quic_counters(&s->quic, cb, ctx);
}
