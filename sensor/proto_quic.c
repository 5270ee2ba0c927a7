/* proto_quic.c - QUIC v1 client Initial decryption (RFC 9000, RFC 9001)
 * and the ClientHello inside it.
 *
 * Why it exists: an HTTP/3 client's SNI and fingerprints travel in QUIC
 * Initial packets, protected with keys derived from the Destination
 * Connection ID and a published salt. This module derives them (HKDF with
 * SHA-256 via HMAC), removes header protection (AES-128-ECB mask), opens the
 * AES-128-GCM payload, reads the frames a client Initial may carry and
 * gathers CRYPTO data by offset until the ClientHello is whole. Untrusted
 * bytes are read through the bounds-checked reader; the packet is copied to
 * a bounded stack buffer to be decrypted in place.
 */
#include "proto_quic.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "reader.h"

#define QUIC_V1 0x00000001u
#define QUIC_SAMPLE 16
#define QUIC_TAG 16
#define QUIC_PN_MAX 4

enum { PKT_INITIAL = 0, PKT_0RTT = 1, PKT_HANDSHAKE = 2, PKT_RETRY = 3 };
enum { FR_PADDING = 0x00, FR_PING = 0x01, FR_ACK = 0x02, FR_ACK_ECN = 0x03,
       FR_CRYPTO = 0x06, FR_CLOSE = 0x1c, FR_CLOSE_APP = 0x1d };

/* RFC 9001 section 5.2, initial_salt for QUIC version 1. */
static const uint8_t k_salt_v1[20] = {
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

typedef struct quic_keys {
    uint8_t key[16], iv[12], hp[16];
} quic_keys;

/* Where a long-header packet lies: offsets from its first byte. */
typedef struct long_hdr {
    uint8_t type;
    pk_reader dcid;
    size_t pn_off;      /* packet number */
    size_t total;       /* whole packet, header included */
} long_hdr;

/* ---- keys ------------------------------------------------------------------ */

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of
 * one SHA-256 block at most. */
static bool expand_label(const uint8_t secret[32], const char *label,
                         uint8_t *out, size_t outlen) {
    uint8_t info[64], t[EVP_MAX_MD_SIZE];
    unsigned tlen = 0;
    size_t llen = strlen(label), n = 0;
    info[n++] = 0;
    info[n++] = (uint8_t)outlen;
    info[n++] = (uint8_t)(6 + llen);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, llen);
    n += llen;
    info[n++] = 0;          /* context length */
    info[n++] = 1;          /* HKDF-Expand block counter */
    if (!HMAC(EVP_sha256(), secret, 32, info, n, t, &tlen) || tlen < outlen)
        return false;
    memcpy(out, t, outlen);
    return true;
}

bool pk_quic_client_keys(const uint8_t *dcid, size_t dcid_len, uint8_t key[16],
                         uint8_t iv[12], uint8_t hp[16]) {
    static const uint8_t none = 0;
    uint8_t initial[EVP_MAX_MD_SIZE], client[32];
    unsigned ilen = 0;
    if (!HMAC(EVP_sha256(), k_salt_v1, sizeof k_salt_v1, dcid_len ? dcid : &none,
              dcid_len, initial, &ilen) || ilen != 32)
        return false;
    return expand_label(initial, "client in", client, 32) &&
           expand_label(client, "quic key", key, 16) &&
           expand_label(client, "quic iv", iv, 12) &&
           expand_label(client, "quic hp", hp, 16);
}

/* ---- crypto primitives ------------------------------------------------------- */

static bool hp_mask(const uint8_t hp[16], const uint8_t sample[QUIC_SAMPLE],
                    uint8_t mask[QUIC_SAMPLE]) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0;
    bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL) &&
              EVP_CIPHER_CTX_set_padding(c, 0) &&
              EVP_EncryptUpdate(c, mask, &outl, sample, QUIC_SAMPLE) &&
              outl == QUIC_SAMPLE;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* AES-128-GCM open in place: ct (ct_len bytes) then the 16-byte tag. */
static bool aead_open(const quic_keys *k, const uint8_t nonce[12],
                      const uint8_t *aad, size_t aad_len, uint8_t *ct,
                      size_t ct_len) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, fin = 0;
    bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
              EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) &&
              EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aad_len) &&
              EVP_DecryptUpdate(c, ct, &outl, ct, (int)ct_len) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, QUIC_TAG, ct + ct_len) &&
              EVP_DecryptFinal_ex(c, ct + outl, &fin) > 0;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* ---- frames -------------------------------------------------------------------- */

static uint64_t rd_varint(pk_reader *r) {
    uint8_t b = rd_u8(r);
    unsigned n = 1u << (b >> 6);
    uint64_t v = b & 0x3f;
    for (unsigned i = 1; i < n; i++) v = (v << 8) | rd_u8(r);
    return v;
}

static size_t as_size(uint64_t v) { return v > SIZE_MAX ? SIZE_MAX : (size_t)v; }

static bool skip_ack(pk_reader *f, bool ecn) {
    rd_varint(f);                              /* largest acknowledged */
    rd_varint(f);                              /* ack delay */
    uint64_t ranges = rd_varint(f);
    rd_varint(f);                              /* first range */
    for (uint64_t i = 0; i < ranges && rd_ok(f); i++) {
        rd_varint(f);                          /* gap */
        rd_varint(f);                          /* range length */
    }
    if (ecn) {
        rd_varint(f);
        rd_varint(f);
        rd_varint(f);
    }
    return rd_ok(f);
}

static void mark(pk_quic_crypto *cs, size_t at, uint8_t b) {
    cs->data[at] = b;
    cs->have[at / 8] |= (uint8_t)(1u << (at % 8));
}

/* CRYPTO: offset, length, data; bytes past PK_TLS_MAX_HELLO are counted. */
static bool read_crypto(pk_reader *f, pk_quic_crypto *cs, pk_quic_stats *st) {
    uint64_t off = rd_varint(f), n = rd_varint(f);
    pk_reader data = rd_sub(f, as_size(n));
    if (!rd_ok(f)) return false;
    if (off + n > PK_TLS_MAX_HELLO) st->too_large++;
    for (uint64_t at = off; at < PK_TLS_MAX_HELLO && rd_left(&data) > 0; at++)
        mark(cs, (size_t)at, rd_u8(&data));
    return true;
}

static bool read_frames(pk_reader *f, pk_quic_crypto *cs, pk_quic_stats *st) {
    while (rd_left(f) > 0) {
        uint64_t type = rd_varint(f);
        bool ok = true;
        switch (type) {
        case FR_PADDING:
        case FR_PING: break;
        case FR_ACK:
        case FR_ACK_ECN: ok = skip_ack(f, type == FR_ACK_ECN); break;
        case FR_CRYPTO: ok = read_crypto(f, cs, st); break;
        case FR_CLOSE:                 /* error code, frame type, reason */
            rd_varint(f);
            rd_varint(f);
            rd_skip(f, as_size(rd_varint(f)));
            break;
        case FR_CLOSE_APP:             /* error code, reason */
            rd_varint(f);
            rd_skip(f, as_size(rd_varint(f)));
            break;
        default: ok = false; break;    /* not allowed in an Initial */
        }
        if (!ok || !rd_ok(f)) {
            st->malformed_frame++;
            return false;
        }
    }
    return true;
}

/* ---- packets ------------------------------------------------------------------- */

/* Reads a long header (r at the packet's first byte, left after the whole
 * packet). NOT_MINE: short header, Retry or another version. */
static pk_parse_result read_long_header(pk_reader *r, long_hdr *h,
                                        pk_quic_stats *st) {
    size_t start_left = rd_left(r);
    uint8_t b = rd_u8(r);
    uint32_t version = rd_be32(r);
    if (!rd_ok(r) || !(b & 0x80)) return PK_PARSE_NOT_MINE;
    if (version != QUIC_V1) {
        if (version != 0) st->unsupported_version++;
        return PK_PARSE_NOT_MINE;
    }
    h->type = (uint8_t)((b >> 4) & 3);
    uint8_t dlen = rd_u8(r);
    h->dcid = rd_sub(r, dlen);
    uint8_t slen = rd_u8(r);
    rd_skip(r, slen);
    if (h->type == PKT_RETRY) return PK_PARSE_NOT_MINE;
    if (h->type == PKT_INITIAL) rd_skip(r, as_size(rd_varint(r)));   /* token */
    uint64_t length = rd_varint(r);
    h->pn_off = start_left - rd_left(r);
    rd_skip(r, as_size(length));
    if (!rd_ok(r) || !(b & 0x40) || dlen > PK_QUIC_CID_MAX ||
        slen > PK_QUIC_CID_MAX) {
        st->malformed_header++;
        return PK_PARSE_MALFORMED;
    }
    h->total = start_left - rd_left(r);
    return PK_PARSE_OK;
}

static bool derive(const pk_quic_crypto *cs, pk_reader dcid, quic_keys *k) {
    uint8_t id[PK_QUIC_CID_MAX];
    size_t n = rd_left(&dcid);
    if (cs->keyed) return pk_quic_client_keys(cs->odcid, cs->odcid_len, k->key, k->iv, k->hp);
    rd_copy(&dcid, id, n);
    return pk_quic_client_keys(id, n, k->key, k->iv, k->hp);
}

/* Removes header protection and opens the payload of the packet in buf;
 * returns the plaintext frames' offset and length through *pt, *pt_len. */
static bool unprotect(uint8_t *buf, size_t n, size_t pn_off, const quic_keys *k,
                      size_t *pt, size_t *pt_len) {
    uint8_t mask[QUIC_SAMPLE], nonce[12];
    if (pn_off + QUIC_PN_MAX + QUIC_SAMPLE > n) return false;
    if (!hp_mask(k->hp, buf + pn_off + QUIC_PN_MAX, mask)) return false;
    buf[0] ^= mask[0] & 0x0f;
    size_t pn_len = (size_t)(buf[0] & 3) + 1;
    uint64_t pn = 0;
    for (size_t i = 0; i < pn_len; i++) {
        buf[pn_off + i] ^= mask[1 + i];
        pn = (pn << 8) | buf[pn_off + i];
    }
    size_t hdr = pn_off + pn_len;
    if (n < hdr + QUIC_TAG) return false;
    memcpy(nonce, k->iv, sizeof nonce);
    for (size_t i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    *pt = hdr;
    *pt_len = n - hdr - QUIC_TAG;
    return aead_open(k, nonce, buf, hdr, buf + hdr, *pt_len);
}

/* One Initial packet (pkt: reader over exactly its bytes). */
static pk_parse_result open_initial(pk_reader pkt, const long_hdr *h,
                                    pk_quic_crypto *cs, pk_quic_stats *st) {
    uint8_t buf[PK_QUIC_MAX_PACKET];
    size_t n = rd_left(&pkt), pt = 0, pt_len = 0;
    quic_keys k;
    if (n > sizeof buf) {
        st->too_large++;
        return PK_PARSE_MALFORMED;
    }
    rd_copy(&pkt, buf, n);
    if (!derive(cs, h->dcid, &k) || !unprotect(buf, n, h->pn_off, &k, &pt, &pt_len)) {
        st->decrypt_failed++;
        return PK_PARSE_NOT_MINE;
    }
    if (!cs->keyed) {
        pk_reader d = h->dcid;
        cs->odcid_len = (uint8_t)rd_left(&d);
        rd_copy(&d, cs->odcid, cs->odcid_len);
        cs->keyed = true;
    }
    st->initials++;
    pk_reader frames;
    rd_init(&frames, buf + pt, pt_len);
    return read_frames(&frames, cs, st) ? PK_PARSE_OK : PK_PARSE_MALFORMED;
}

static size_t contiguous(const pk_quic_crypto *cs) {
    size_t n = 0;
    while (n < PK_TLS_MAX_HELLO && cs->have[n / 8] == 0xff) n += 8;
    while (n < PK_TLS_MAX_HELLO && (cs->have[n / 8] & (1u << (n % 8)))) n++;
    return n;
}

/* data[] is read only where have[] marks a byte, so it is left as it is:
 * clearing it all (16 KiB) cost more than the rest of a non-QUIC datagram
 * that merely starts like a long header. */
void pk_quic_crypto_init(pk_quic_crypto *cs) {
    memset(cs->have, 0, sizeof cs->have);
    memset(cs->odcid, 0, sizeof cs->odcid);
    cs->odcid_len = 0;
    cs->keyed = false;
}

/* Opens every client Initial of the datagram; the first packet decides
 * whether the datagram is QUIC at all. */
static pk_parse_result open_datagram(const uint8_t *udp, size_t len,
                                     pk_quic_crypto *cs, pk_quic_stats *st) {
    pk_reader r;
    rd_init(&r, udp, len);
    for (bool first = true; rd_left(&r) > 0; first = false) {
        pk_reader at = r;
        long_hdr h;
        pk_parse_result res = read_long_header(&r, &h, st);
        if (res == PK_PARSE_OK && h.type == PKT_INITIAL)
            res = open_initial(rd_sub(&at, h.total), &h, cs, st);
        else if (res == PK_PARSE_OK && first)
            res = PK_PARSE_NOT_MINE;          /* 0-RTT/Handshake first */
        if (res != PK_PARSE_OK) return first ? res : PK_PARSE_OK;
    }
    return PK_PARSE_OK;
}

pk_parse_result pk_quic_parse_datagram(const uint8_t *udp, size_t len,
                                       pk_quic_crypto *cs, unsigned tls_flags,
                                       pk_tls_hello *out, pk_tls_stats *tls_st,
                                       pk_quic_stats *st) {
    bool before = cs->keyed;
    pk_parse_result res = open_datagram(udp, len, cs, st);
    if (res == PK_PARSE_NOT_MINE && before) return PK_PARSE_NEED_MORE;
    if (res != PK_PARSE_OK) return res;
    size_t have = contiguous(cs);
    if (have == 0) return PK_PARSE_NEED_MORE;
    return pk_tls_parse_handshake(cs->data, have, tls_flags | PK_TLS_QUIC, out, tls_st);
}

pk_parse_result pk_quic_parse_initial(const uint8_t *udp, size_t len,
                                      unsigned tls_flags, pk_tls_hello *out,
                                      pk_tls_stats *tls_st, pk_quic_stats *st) {
    pk_quic_crypto cs;
    pk_quic_crypto_init(&cs);
    return pk_quic_parse_datagram(udp, len, &cs, tls_flags, out, tls_st, st);
}

void pk_quic_counters(const pk_quic_stats *st, pk_counter_cb cb, void *ctx) {
    cb(ctx, "quic.initials", st->initials);
    cb(ctx, "quic.decrypt_failed", st->decrypt_failed);
    cb(ctx, "quic.unsupported_version", st->unsupported_version);
    cb(ctx, "quic.malformed.header", st->malformed_header);
    cb(ctx, "quic.malformed.frame", st->malformed_frame);
    cb(ctx, "quic.too_large", st->too_large);
}
