/* test_flow.c - the flow table: both directions find one flow, Community
 * ID computed at creation, the index hash seeded per table with flow_id
 * the same in every run, memory bound respected under a flood of distinct
 * flows (eviction counted), idle expiry, per-flow alert suppression. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flow.h"

static pk_packet tcp_packet(uint32_t src, uint16_t sport, uint32_t dst,
                            uint16_t dport, int64_t ts) {
    pk_packet p;
    memset(&p, 0, sizeof p);
    p.ts_usec = ts;
    p.ip_count = 1;
    p.ip[0].family = 4;
    for (int i = 0; i < 4; i++) {
        p.ip[0].src[i] = (uint8_t)(src >> (24 - 8 * i));
        p.ip[0].dst[i] = (uint8_t)(dst >> (24 - 8 * i));
    }
    p.proto = 6;
    p.l4_ok = true;
    p.sport = sport;
    p.dport = dport;
    return p;
}

static pk_flow_table *small_table(size_t entries, uint32_t timeout_s) {
    pk_flow_config cfg;
    pk_flow_config_defaults(&cfg);
    cfg.memory_bytes = entries * (sizeof(pk_flow) + 2 * sizeof(uint32_t));
    cfg.idle_timeout_s = timeout_s;
    return pk_flow_table_new(&cfg);
}

static void test_both_directions_one_flow(void **state) {
    (void)state;
    pk_flow_table *t = small_table(1000, 60);
    /* 128.232.110.120:34855 -> 66.35.250.204:80, the spec's TCP vector */
    pk_packet a = tcp_packet(0x80e86e78, 34855, 0x4223facc, 80, 1000000);
    pk_packet b = tcp_packet(0x4223facc, 80, 0x80e86e78, 34855, 1000100);
    int da, db;
    bool ca, cb;
    pk_flow *fa = pk_flow_lookup(t, &a, &da, &ca);
    pk_flow *fb = pk_flow_lookup(t, &b, &db, &cb);
    assert_ptr_equal(fa, fb);
    assert_true(ca);
    assert_false(cb);
    assert_int_not_equal(da, db);
    char cid[PK_COMMUNITY_ID_LEN];
    pk_flow_community_id(fa, cid);
    assert_string_equal(cid, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    assert_true(fa->flow_id > 0 && fa->flow_id < (1ULL << 53));
    pk_flow_table_free(t);
    /* started by the other endpoint: the id is computed from the key alone */
    t = small_table(1000, 60);
    fb = pk_flow_lookup(t, &b, &db, &cb);
    assert_true(cb);
    pk_flow_community_id(fb, cid);
    assert_string_equal(cid, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    pk_flow_table_free(t);
}

/* The index's hash is seeded per table (nobody can aim flows at one run
 * of slots), while flow_id stays a function of the key and start time. */
static void test_hash_seeded_flow_id_stable(void **state) {
    (void)state;
    pk_flow_table *t1 = small_table(1000, 60), *t2 = small_table(1000, 60);
    pk_packet a = tcp_packet(0x80e86e78, 34855, 0x4223facc, 80, 1000000);
    pk_flow_probe p1, p2;
    pk_flow_probe_make(t1, &a, &p1);
    pk_flow_probe_make(t2, &a, &p2);
    assert_true(p1.hash != p2.hash);          /* equal with chance 2^-64 */
    int d1, d2;
    bool c1, c2;
    pk_flow *f1 = pk_flow_lookup(t1, &a, &d1, &c1);
    pk_flow *f2 = pk_flow_lookup(t2, &a, &d2, &c2);
    assert_true(c1 && c2);
    assert_true(f1->flow_id == f2->flow_id);
    pk_flow_table_free(t1);
    pk_flow_table_free(t2);
}

static uint64_t counter_value;
static const char *counter_wanted;
static void grab(void *ctx, const char *name, uint64_t v) {
    (void)ctx;
    if (strcmp(name, counter_wanted) == 0) counter_value = v;
}
static uint64_t counter(pk_flow_table *t, const char *name) {
    counter_wanted = name;
    counter_value = UINT64_MAX;
    pk_flow_counters(t, grab, NULL);
    return counter_value;
}

static void test_flood_stays_bounded(void **state) {
    (void)state;
    pk_flow_table *t = small_table(256, 600);
    uint32_t cap = pk_flow_table_capacity(t);
    for (uint32_t i = 0; i < 100000; i++) {
        pk_packet p = tcp_packet(0x0a000000 + i, (uint16_t)(1024 + i % 50000),
                                 0xc6336401, 443, 1000000 + i);
        int d;
        bool c;
        assert_non_null(pk_flow_lookup(t, &p, &d, &c));
        assert_true(c);
    }
    assert_int_equal(counter(t, "flow.active"), cap);
    assert_int_equal(counter(t, "flow.created"), 100000);
    assert_int_equal(counter(t, "flow.evicted"), 100000 - cap);
    pk_flow_table_free(t);
}

static void test_idle_flows_expire(void **state) {
    (void)state;
    pk_flow_table *t = small_table(1000, 10);
    int d;
    bool c;
    pk_packet old = tcp_packet(0x0a000001, 1111, 0x0a000002, 80, 1000000);
    pk_flow_lookup(t, &old, &d, &c);
    /* 11 s later another flow arrives: the first has been idle too long */
    pk_packet now = tcp_packet(0x0a000003, 2222, 0x0a000002, 80, 12000000);
    pk_flow_lookup(t, &now, &d, &c);
    assert_int_equal(counter(t, "flow.expired"), 1);
    pk_flow_lookup(t, &old, &d, &c);
    assert_true(c);                       /* a new flow, not the old one */
    pk_flow_table_free(t);
}

static bool lookup_created(pk_flow_table *t, uint32_t src, int64_t ts) {
    pk_packet p = tcp_packet(src, 1024, 0xc6336401, 443, ts);
    int d;
    bool c;
    assert_non_null(pk_flow_lookup(t, &p, &d, &c));
    return c;
}

/* The eviction clock: every flow starts with a second chance, so when the
 * table first fills the hand clears them all and evicts the oldest; after
 * that a flow seen since the hand passed is spared, and the next one that
 * was not is evicted. The newest flow is never the one to go. */
static void test_eviction_spares_recently_seen(void **state) {
    (void)state;
    pk_flow_table *t = small_table(64, 600);
    uint32_t cap = pk_flow_table_capacity(t);
    for (uint32_t i = 0; i < cap; i++) assert_true(lookup_created(t, 0x0a000000 + i, 1000000 + i));
    assert_true(lookup_created(t, 0x0b000000, 2000000));       /* full: flow 0 evicted */
    assert_int_equal(counter(t, "flow.evicted"), 1);
    assert_false(lookup_created(t, 0x0a000000 + cap - 1, 2000001));   /* newest kept */
    assert_false(lookup_created(t, 0x0a000002, 2000002));      /* flow 2 seen again */
    assert_true(lookup_created(t, 0x0b000001, 2000003));       /* flow 1 goes */
    assert_true(lookup_created(t, 0x0b000002, 2000004));       /* flow 3 goes, 2 spared */
    assert_false(lookup_created(t, 0x0a000002, 2000005));
    assert_true(lookup_created(t, 0x0a000001, 2000006));       /* 1 went: new again */
    assert_int_equal(counter(t, "flow.active"), cap);
    pk_flow_table_free(t);
}

/* The idle sweep checks a chunk of 64 entries when capture time reaches
 * its next due time, spaced to pass over the table eight times per idle
 * timeout: not two entries on every packet. */
static void test_idle_sweep_by_chunks(void **state) {
    (void)state;
    pk_flow_table *t = small_table(1000, 10);
    for (uint32_t i = 0; i < 200; i++) assert_true(lookup_created(t, 0x0a000000 + i, 1000000));
    assert_int_equal(counter(t, "flow.expired"), 0);
    /* 11 s later all 200 are idle: one chunk goes, then nothing until due */
    assert_true(lookup_created(t, 0x0b000000, 12000000));
    assert_int_equal(counter(t, "flow.expired"), 64);
    assert_false(lookup_created(t, 0x0b000000, 12000001));
    assert_int_equal(counter(t, "flow.expired"), 64);
    /* due after 10 s / 8 / (200 / 64 + 1) = 312.5 ms */
    assert_false(lookup_created(t, 0x0b000000, 12300000));
    assert_int_equal(counter(t, "flow.expired"), 64);
    assert_false(lookup_created(t, 0x0b000000, 12320000));
    assert_int_equal(counter(t, "flow.expired"), 128);
    /* within an eighth of the timeout every idle flow is gone */
    for (int64_t ts = 12320000; ts <= 13250000; ts += 10000)
        assert_false(lookup_created(t, 0x0b000000, ts));
    assert_int_equal(counter(t, "flow.expired"), 200);
    assert_int_equal(counter(t, "flow.active"), 1);
    pk_flow_table_free(t);
}

/* A flow idle past the timeout is a new flow at its next packet, even
 * before the idle sweep reached it. */
static void test_idle_flow_restarts_at_lookup(void **state) {
    (void)state;
    pk_flow_table *t = small_table(1000, 10);
    for (uint32_t i = 0; i < 100; i++) assert_true(lookup_created(t, 0x0a000000 + i, 1000000));
    assert_false(lookup_created(t, 0x0a000000 + 50, 5000000));
    assert_int_equal(counter(t, "flow.expired"), 0);
    assert_true(lookup_created(t, 0x0a000000 + 80, 20000000));
    assert_true(counter(t, "flow.expired") >= 1);
    assert_int_equal(counter(t, "flow.created"), 101);
    pk_flow_table_clear(t);
    assert_int_equal(counter(t, "flow.active"), 0);
    assert_true(lookup_created(t, 0x0a000000 + 50, 20000001));
    pk_flow_table_free(t);
}

static void test_alert_suppression_per_indicator(void **state) {
    (void)state;
    pk_flow_table *t = small_table(100, 60);
    pk_packet p = tcp_packet(0x0a000001, 1111, 0x0a000002, 80, 1);
    int d;
    bool c;
    pk_flow *f = pk_flow_lookup(t, &p, &d, &c);
    for (uint64_t h = 1; h <= 50; h++) assert_true(pk_flow_note_alert(f, h));
    for (uint64_t h = 1; h <= 50; h++) assert_false(pk_flow_note_alert(f, h));
    pk_flow_table_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_directions_one_flow),
        cmocka_unit_test(test_hash_seeded_flow_id_stable),
        cmocka_unit_test(test_flood_stays_bounded),
        cmocka_unit_test(test_idle_flows_expire),
        cmocka_unit_test(test_eviction_spares_recently_seen),
        cmocka_unit_test(test_idle_flow_restarts_at_lookup),
        cmocka_unit_test(test_idle_sweep_by_chunks),
        cmocka_unit_test(test_alert_suppression_per_indicator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
