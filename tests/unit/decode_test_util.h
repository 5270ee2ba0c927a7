/* decode_test_util.h - helpers shared by the decoder test programs
 * (test_decode_l2.c, test_decode_ip.c, test_decode_tunnel.c, test_defrag.c).
 *
 * Why it exists: each of those programs looks up decoder counters by name,
 * checks addresses, and runs the same hostile-input sweeps over its fixtures
 * (every prefix of a frame, then random byte mutations). They used to carry
 * a copy each; the build makes every tests/unit/test_*.c its own program and
 * compiles no other .c file here, so the one copy lives in this header as
 * static inline functions (an unused one costs nothing and warns about
 * nothing). Include it after <cmocka.h> and its prerequisites.
 */
#ifndef PICKET_DECODE_TEST_UTIL_H
#define PICKET_DECODE_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* ---- fixture bytes: headers the files' frames have in common ----
 * Each expands to the header's bytes in wire order; a frame is written as a
 * list of these plus the bytes particular to it. */

/* A 16-bit field in network byte order. */
#define BE16(v) (uint8_t)((v) >> 8), (uint8_t)(v)

/* Ethernet header: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb, then the
 * type (or an 802.3 length) t. */
#define ETH_HDR(t) \
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, BE16(t)

/* IPv4 header without options (IHL 5, TTL 64): total length, id, flags and
 * fragment offset, protocol, header checksum, then the 8 address bytes. */
#define IP4_HDR_FULL(total, id, frag, proto, cksum, ...) \
    0x45, 0x00, BE16(total), BE16(id), BE16(frag), 0x40, (proto), BE16(cksum), __VA_ARGS__

/* The documentation addresses most frames use: 192.0.2.1 -> 198.51.100.2. */
#define DOC4_ADDRS 192, 0, 2, 1, 198, 51, 100, 2

/* IPv4 header: DOC4_ADDRS, id 0x1234, not fragmented. */
#define IP4_HDR(total, proto, cksum) IP4_HDR_FULL(total, 0x1234, 0, proto, cksum, DOC4_ADDRS)

/* IPv6 header: 2001:db8::1 -> 2001:db8::2, payload length plen, next
 * header nh, hop limit 64. */
#define IP6_HDR(plen, nh) \
    0x60, 0x00, 0x00, 0x00, BE16(plen), (nh), 0x40, \
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, \
    0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, \
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02

/* UDP header, checksum 0. */
#define UDP_HDR(sport, dport, len) BE16(sport), BE16(dport), BE16(len), 0x00, 0x00

/* TCP header: 40000 -> dport, seq 1000, ack 2000, the data offset and
 * flags word (0x5018: offset 5, PSH ACK), window 65535, checksum 0, urgent 0;
 * options, if the offset announces any, follow. */
#define TCP_HDR(dport, off_flags) \
    0x9c, 0x40, BE16(dport), 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, \
    BE16(off_flags), 0xff, 0xff, 0x00, 0x00, 0x00, 0x00

/* A named fixture frame and the link type it is decoded as. */
#define FIX(lt, a) { #a, lt, a, sizeof a }
typedef struct fixture { const char *name; int lt; const uint8_t *b; size_t n; } fixture;

/* ---- decoder and counters ---- */

typedef struct ctr_find { const char *name; uint64_t value; bool found; } ctr_find;

static inline void ctr_cb(void *ctx, const char *name, uint64_t value) {
    ctr_find *f = ctx;
    if (strcmp(name, f->name) == 0) {
        f->value = value;
        f->found = true;
    }
}

/* The value of one named counter (fails when the name is unknown). */
static inline uint64_t ctr(const pk_decoder *d, const char *name) {
    ctr_find f = { name, 0, false };
    pk_decoder_counters(d, ctr_cb, &f);
    if (!f.found) fail_msg("no counter %s", name);
    return f.value;
}

static inline pk_decoder *dec_new(void) {
    pk_decoder *d = pk_decoder_new(NULL);
    assert_non_null(d);
    return d;
}

/* Decodes a complete frame (captured length = wire length), time 0. */
static inline pk_decode_result dec(pk_decoder *d, int lt, const uint8_t *b, size_t n,
                                   pk_packet *p) {
    return pk_decode_packet(d, lt, b, (uint32_t)n, (uint32_t)n, 0, p);
}

/* A heap copy of n bytes (free it). */
static inline uint8_t *copy_of(const uint8_t *b, size_t n) {
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, b, n);
    return c;
}

/* ---- addresses ---- */

/* ip is of family (4 or 6) and carries src -> dst (text forms). */
static inline void assert_ip(const pk_ip_pair *ip, int family, const char *src,
                             const char *dst) {
    int af = family == 4 ? AF_INET : AF_INET6;
    size_t n = family == 4 ? 4 : 16;
    uint8_t s[16], t[16];
    assert_int_equal(ip->family, family);
    assert_int_equal(inet_pton(af, src, s), 1);
    assert_int_equal(inet_pton(af, dst, t), 1);
    assert_memory_equal(ip->src, s, n);
    assert_memory_equal(ip->dst, t, n);
}

static inline void assert_ip4(const pk_ip_pair *ip, const char *src, const char *dst) {
    assert_ip(ip, 4, src, dst);
}

static inline void assert_ip6(const pk_ip_pair *ip, const char *src, const char *dst) {
    assert_ip(ip, 6, src, dst);
}

/* ---- hostile-input sweeps ---- */

static inline void check_coherent(pk_decode_result r, const pk_packet *p,
                                  const uint8_t *buf, size_t n) {
    assert_true(p->ip_count <= PK_MAX_IP_LAYERS);
    if (r == PK_DECODE_OK) assert_true(p->ip_count >= 1);
    if (p->payload_len && !p->reassembled)
        assert_true(p->payload >= buf && p->payload + p->payload_len <= buf + n);
}

/* Decodes every prefix of a frame from an exact-size heap copy (so ASan
 * sees any read past it), once as a capture cut short (wire = full length)
 * and once as a frame that claims to be complete. */
static inline void all_prefixes(int lt, const uint8_t *frame, size_t len) {
    pk_decoder *d = dec_new();
    for (size_t n = 0; n <= len; n++) {
        uint8_t *copy = copy_of(frame, n);
        for (int cut = 0; cut < 2; cut++) {
            pk_packet p;
            uint32_t wire = (uint32_t)(cut ? len : n);
            pk_decode_result r = pk_decode_packet(d, lt, copy, (uint32_t)n, wire, 0, &p);
            check_coherent(r, &p, copy, n);
        }
        free(copy);
    }
    pk_decoder_free(d);
}

/* Flips random bytes of a frame many times (fixed seed): hostile values in
 * every field must be survived the same way. */
static inline void mutate(int lt, const uint8_t *frame, size_t len, unsigned rounds) {
    pk_decoder *d = dec_new();
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    uint32_t x = 2463534242u;
    for (unsigned i = 0; i < rounds; i++) {
        memcpy(copy, frame, len);
        for (int k = 0; k < 3; k++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            copy[x % len] = (uint8_t)(x >> 8);
        }
        pk_packet p;
        pk_decode_result r = dec(d, lt, copy, len, &p);
        check_coherent(r, &p, copy, len);
    }
    free(copy);
    pk_decoder_free(d);
}

/* Both sweeps over every fixture of a file. */
static inline void sweep_fixtures(const fixture *f, size_t n, unsigned rounds) {
    for (size_t i = 0; i < n; i++) {
        all_prefixes(f[i].lt, f[i].b, f[i].n);
        mutate(f[i].lt, f[i].b, f[i].n, rounds);
    }
}

#endif
