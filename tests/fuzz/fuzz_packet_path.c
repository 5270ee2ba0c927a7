/* fuzz_packet_path.c - fuzzes the sensor's whole packet path,
 * pk_sensor_packet (sensor/sensor.h): decode, flow table, TCP reassembly,
 * protocol recognition and parsing (TLS, HTTP, DNS over UDP and TCP, QUIC),
 * matching against an indicator store and the EVE alert JSON.
 *
 * Why: the parsers are fuzzed one by one elsewhere; this target finds what
 * only their composition does: flows keyed and expired across packets,
 * segments reassembled out of order into one window, keep-alive requests
 * stepped over bodies, DNS-over-TCP message after message, the store
 * swapped under live flows, alerts built from what the parsers produced.
 *
 * Input: byte 0 controls the run, the rest is a sequence of frames, each a
 * 2-byte big-endian header then the frame bytes (the last may be cut):
 *   byte 0    bits 0-3: link type k_links[(b & 15) % 9] for every frame;
 *             bit 7: swap the indicator store (same content, new
 *             generation) after the first frame, as a SIGHUP reload does
 *   header    bits 0-13: frame length; bit 14: capture cut short
 *             (wire_len = caplen + 100); bit 15: clock jumps 200 s before
 *             this frame (past the flow idle timeout and fragment timeout)
 * Frames are 1 ms apart otherwise. Each frame is copied into a buffer of
 * its exact size so ASan sees any read past it.
 *
 * A fresh sensor (small flow table and stream pool, so eviction and pool
 * exhaustion happen) runs each input, so every input replays alone; the
 * indicator store, built once in LLVMFuzzerInitialize from the values the
 * seed frames carry (addresses, DNS names, SNI, Host, URL, JA3/JA4, and
 * Zeek entries scoped to a port and protocol), is lent to each sensor.
 * The alert sink parses every alert line: it must be one JSON object with
 * the EVE fields, and the sensor's alert count must equal the lines sunk.
 *
 * Every input runs twice: frame by frame (pk_sensor_packet) and through
 * frame batches (pk_sensor_batch, as the capture loop feeds it, batches of
 * up to PK_BATCH_FRAMES frames); every counter and the alerts raised must
 * come out the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "ind_load.h"
#include "istore.h"
#include "sensor.h"

static const int k_links[] = {0, 1, 12, 101, 108, 113, 228, 229, 276};
#define N_LINKS (sizeof k_links / sizeof k_links[0])

#define FZ_T0 1700000000000000LL      /* 2023-11-14, in microseconds */
#define FZ_MAX_FRAMES 256

/* Values the seed frames (tests/fuzz/corpus/fuzz_packet_path) carry. */
static const char k_plain[] =
    "# addresses and networks\n"
    "10.16.1.11\n"
    "8.8.8.8\n"
    "198.51.100.5\n"
    "141.142.228.0/24\n"
    "2001:4860:4860::8888\n"
    "fe80::20c:29ff:fef3:cf38\n"
    "::1\n"
    "2.2.2.2\n"
    "10.96.0.10\n"
    "41.108.0.0/16\n"
    "2001:db8:1::/64\n"
    "192.168.111.154\n"
    "# names\n"
    "google.com\n"
    "example.com\n"
    "srv.tunnel.com\n"
    "bro.org\n"
    "gleeble.org\n"
    "_tcp.local\n"
    "sni:msquic.net\n"
    "sni:cloudflare-ech.com\n"
    "http_host:net1.bg\n"
    "http_host:emergingthreats.net\n"
    "http_host:192.168.1.21\n"
    "url:http://www.example.com/\n"
    "url:http://bro.org/download/CHANGES.bro-aux.txt\n"
    "url:http://192.168.1.21/testing\n"
    "ja3:bf82c944ebe9de774f6243b8edb7eb89\n"
    "ja3:a64c29923906f2a1be278be1da0714fa\n"
    "ja3:39d8c2cad4b5f346d621cbcca5b6189b\n"
    "ja3:292bd0719190dff4cb1033de8573310d\n"
    "ja3:9a35e493f961ac377f948690b5334a9c\n"
    "ja4:q00d0309h9_55b375c5d22e_4facdb9c99ee\n";

static const char k_zeek[] =
    "#fields\tindicator\tindicator_type\tmeta.source\tmeta.port\tmeta.proto\tmeta.tlp\n"
    "8.8.4.4\tIntel::ADDR\tfuzz-zeek\t53\ttcp\tred\n"
    "www.apple.com\tIntel::DOMAIN\tfuzz-zeek\t53\tudp\tamber\n"
    "10.10.1.0/24\tIntel::SUBNET\tfuzz-zeek\t443\ttcp\tgreen\n";

static pk_istore *g_store;
static uint64_t g_sunk;

static void load_or_die(pk_ind_list *l, const char *name, const char *text) {
    pk_load_report rep;
    if (pk_ind_load_buffer(l, name, text, strlen(text), FZ_T0 / 1000000, &rep) != 0 ||
        rep.skipped != 0) {
        pk_load_report_print(stderr, &rep);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    pk_ind_list l;
    pk_ind_list_init(&l);
    load_or_die(&l, "fuzz-plain.txt", k_plain);
    load_or_die(&l, "fuzz-zeek.intel", k_zeek);
    g_store = pk_istore_build(&l);
    if (!g_store) abort();
    return 0;
}

static void check_alert(void *ctx, uint64_t seq, const char *json, size_t len) {
    (void)ctx;
    (void)seq;
    FZ_CHECK(json != NULL && strlen(json) == len);
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    if (!o) fprintf(stderr, "alert is not JSON (%s): %.*s\n", je.text, (int)len, json);
    FZ_CHECK(o != NULL && json_is_object(o));
    FZ_CHECK(json_is_string(json_object_get(o, "src_ip")));
    FZ_CHECK(json_is_string(json_object_get(o, "dest_ip")));
    FZ_CHECK(json_is_object(json_object_get(o, "picket")));
    json_decref(o);
    g_sunk++;
}

#define FZ_MAX_COUNTERS 256

typedef struct fz_counters {
    char name[FZ_MAX_COUNTERS][64];
    uint64_t value[FZ_MAX_COUNTERS];
    int n;
} fz_counters;

static void count_cb(void *ctx, const char *name, uint64_t v) {
    fz_counters *c = ctx;
    FZ_CHECK(name != NULL && name[0] != '\0' && strlen(name) < sizeof c->name[0]);
    FZ_CHECK(c->n < FZ_MAX_COUNTERS);
    strcpy(c->name[c->n], name);
    c->value[c->n++] = v;
}

static void add_frame(pk_sensor *s, pk_batch *b, const uint8_t *frame, uint32_t len,
                      uint32_t wire_len, int64_t now) {
    if (!b) {
        pk_sensor_packet(s, frame, len, wire_len, now);
        return;
    }
    if (!pk_batch_add(b, frame, len, wire_len, now)) {
        pk_sensor_batch(s, b);
        pk_batch_clear(b);
        FZ_CHECK(pk_batch_add(b, frame, len, wire_len, now));
    }
}

static void flush_batch(pk_sensor *s, pk_batch *b) {
    if (!b || !b->n) return;
    pk_sensor_batch(s, b);
    pk_batch_clear(b);
}

/* One run of the input; fills the counters, returns the alerts raised. */
static uint64_t run_once(const uint8_t *data, size_t size, bool batched,
                         fz_counters *out) {
    fz_cursor c;
    fz_init(&c, data, size);
    uint8_t ctl = fz_u8(&c);

    pk_sensor_config cfg;
    pk_sensor_config_defaults(&cfg);
    cfg.decode.defrag_max_bytes = 128u << 10;
    cfg.decode.defrag_max_trackers = 8;
    cfg.flow.memory_bytes = 16u << 10;      /* the 64-flow minimum */
    cfg.flow.stream_buffers = 4;

    pk_sensor s;
    char err[256];
    if (pk_sensor_init(&s, &cfg, g_store, err, sizeof err) != 0) {
        fprintf(stderr, "pk_sensor_init: %s\n", err);
        abort();
    }
    static pk_batch batch;            /* 1 MiB arena: allocated once */
    if (!batch.arena && pk_batch_init(&batch) != 0) abort();
    pk_batch *b = batched ? &batch : NULL;
    s.linktype = k_links[(ctl & 15) % N_LINKS];
    s.origin.sensor_id = "fuzz-01";
    s.origin.partner = "ZZ";
    s.pcap_filename = "fuzz.pcap";
    s.sink = check_alert;
    g_sunk = 0;

    int64_t now = FZ_T0;
    for (int i = 0; i < FZ_MAX_FRAMES && c.left > 0; i++) {
        uint16_t hdr = fz_be16(&c);
        size_t got;
        const uint8_t *p = fz_take(&c, hdr & 0x3fff, &got);
        uint8_t *frame = fz_dup(p, got);
        uint32_t wire_len = (uint32_t)got + ((hdr & 0x4000) ? 100 : 0);
        now += (hdr & 0x8000) ? 200000000 : 1000;
        add_frame(&s, b, frame, (uint32_t)got, wire_len, now);
        free(frame);
        if (i == 0 && (ctl & 0x80)) {
            flush_batch(&s, b);
            unsigned gen = atomic_load(&s.store_gen) + 1;
            FZ_CHECK(pk_sensor_swap_store(&s, g_store) == g_store);
            FZ_CHECK(!pk_sensor_quiesced(&s, gen));
        }
    }
    flush_batch(&s, b);
    pk_sensor_idle(&s);
    FZ_CHECK(s.st.alerts == g_sunk);
    out->n = 0;
    pk_sensor_counters(&s, count_cb, out);

    /* The store is lent, not given: take it back before the sensor frees it. */
    FZ_CHECK(pk_sensor_swap_store(&s, NULL) == g_store);
    pk_sensor_destroy(&s);
    return g_sunk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static fz_counters one, many;
    uint64_t a1 = run_once(data, size, false, &one);
    uint64_t a2 = run_once(data, size, true, &many);
    FZ_CHECK(a1 == a2 && one.n == many.n);
    for (int i = 0; i < one.n; i++) {
        if (strcmp(one.name[i], many.name[i]) != 0 || one.value[i] != many.value[i])
            fprintf(stderr, "counter %s: %llu frame by frame, %s: %llu batched\n",
                    one.name[i], (unsigned long long)one.value[i], many.name[i],
                    (unsigned long long)many.value[i]);
        FZ_CHECK(strcmp(one.name[i], many.name[i]) == 0 && one.value[i] == many.value[i]);
    }
    return 0;
}
