/* fuzz_quic.c - fuzzes QUIC v1 client Initial handling (sensor/proto_quic.h):
 * pk_quic_parse_initial, and pk_quic_parse_datagram across datagrams.
 *
 * Why: every UDP flow's first long-header datagrams are decrypted and their
 * frames (PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE) read, CRYPTO data
 * gathered by offset into a ClientHello. A fuzzer mutating ciphertext never
 * gets past the AEAD check, so besides raw datagrams this target seals the
 * input itself: the bytes after a small header are the plaintext frames,
 * encrypted and header-protected with the Initial keys of a DCID taken from
 * the input (RFC 9001 5.2, keys from pk_quic_client_keys), so mutations
 * reach the frame parser, the reassembly and the ClientHello parser.
 *
 * Input: byte 0 selects the mode (bits 0-1):
 *   0  the rest is one raw UDP datagram (header parsing, decryption
 *      failures, real captured Initials) -> pk_quic_parse_initial
 *   1  sealed: byte 1 = DCID length (% 21), the DCID, then parts
 *      [2-byte header][plaintext]: header bits 0-13 plaintext length (at
 *      most FZ_MAX_PLAINTEXT used), bits 14-15 packet number length - 1;
 *      every part (at most 8) becomes one Initial (packet number = its
 *      index), all coalesced in one datagram -> pk_quic_parse_initial
 *   2  sealed as in 1, each Initial in its own datagram, in order ->
 *      pk_quic_parse_datagram with one pk_quic_crypto until it stops
 *      asking for more
 *   3  as 2, datagrams in reverse order (CRYPTO frames arrive in any order)
 * Plaintext shorter than the header protection sample needs is padded with
 * PADDING frames.
 *
 * Checked: results are one of the four codes; an OK hello has a NUL
 * terminated SNI of its announced length and a JA4 starting with 'q';
 * every sealed packet that fits PK_QUIC_MAX_PACKET decrypts (a failure
 * would mean the harness or the key schedule is wrong).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz_util.h"
#include "proto_quic.h"

#define FZ_MAX_PARTS 8
#define FZ_SCID_LEN 8
#define FZ_MAX_PLAINTEXT 9000   /* past PK_QUIC_MAX_PACKET; the Length varint has 2 bytes */

typedef struct sealed {
    uint8_t *buf;
    size_t len;
} sealed;

static bool aes_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) &&
              EVP_CIPHER_CTX_set_padding(c, 0) &&
              EVP_EncryptUpdate(c, out, &n, in, 16) && n == 16;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

static bool aes_gcm_seal(const uint8_t key[16], const uint8_t nonce[12],
                         const uint8_t *aad, size_t aad_len, uint8_t *pt,
                         size_t pt_len, uint8_t tag[16]) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
              EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) &&
              EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) &&
              (pt_len == 0 || EVP_EncryptUpdate(c, pt, &n, pt, (int)pt_len)) &&
              EVP_EncryptFinal_ex(c, pt + pt_len, &n) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* One client Initial carrying pt, protected as RFC 9001 section 5 says. */
static sealed seal_initial(const uint8_t *dcid, size_t dlen, size_t pn_len,
                           uint32_t pn, const uint8_t *pt, size_t pt_len) {
    uint8_t key[16], iv[12], hp[16], nonce[12], mask[16];
    size_t body = pt_len < 4 ? 4 : pt_len;            /* sample needs >= 4 */
    size_t cap = 1 + 4 + 1 + dlen + 1 + FZ_SCID_LEN + 1 + 2 + pn_len + body + 16;
    sealed s = {calloc(1, cap), 0};
    if (!s.buf || !pk_quic_client_keys(dcid, dlen, key, iv, hp)) abort();
    uint8_t *o = s.buf;
    size_t n = 0;
    o[n++] = (uint8_t)(0xc0 | (pn_len - 1));            /* long header, Initial */
    o[n++] = 0; o[n++] = 0; o[n++] = 0; o[n++] = 1;       /* version 1 */
    o[n++] = (uint8_t)dlen;
    memcpy(o + n, dcid, dlen);
    n += dlen;
    o[n++] = FZ_SCID_LEN;
    memset(o + n, 0x5c, FZ_SCID_LEN);
    n += FZ_SCID_LEN;
    o[n++] = 0;                                           /* token length */
    size_t length = pn_len + body + 16;
    o[n++] = (uint8_t)(0x40 | (length >> 8));             /* 2-byte varint */
    o[n++] = (uint8_t)length;
    size_t pn_off = n;
    for (size_t i = 0; i < pn_len; i++)
        o[n++] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
    memcpy(o + n, pt, pt_len);                            /* rest stays PADDING */
    memcpy(nonce, iv, sizeof nonce);
    for (size_t i = 0; i < 4; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    if (!aes_gcm_seal(key, nonce, o, n, o + n, body, o + n + body)) abort();
    n += body + 16;
    if (!aes_ecb(hp, o + pn_off + 4, mask)) abort();
    o[0] ^= mask[0] & 0x0f;
    for (size_t i = 0; i < pn_len; i++) o[pn_off + i] ^= mask[1 + i];
    s.len = n;
    return s;
}

static void check_result(pk_parse_result r, pk_tls_hello *h) {
    FZ_CHECK(r == PK_PARSE_OK || r == PK_PARSE_NEED_MORE ||
             r == PK_PARSE_NOT_MINE || r == PK_PARSE_MALFORMED);
    if (r != PK_PARSE_OK) return;
    pk_tls_hello_fingerprint(h, NULL);
    FZ_CHECK_STR(h->sni, h->sni_len);
    FZ_CHECK(h->ja4[0] == 'q');
    FZ_CHECK(strlen(h->ja3) == 32);
}

static void run_raw(const uint8_t *udp, size_t len) {
    pk_tls_stats tst;
    pk_quic_stats qst;
    pk_tls_hello h;
    memset(&tst, 0, sizeof tst);
    memset(&qst, 0, sizeof qst);
    check_result(pk_quic_parse_initial(udp, len, PK_TLS_KEEP_FIELDS, &h, &tst, &qst), &h);
}

static pk_quic_crypto g_cs;   /* 18 KiB: kept off the stack */

static void run_sealed(int mode, fz_cursor *c) {
    uint8_t dcid[PK_QUIC_CID_MAX];
    size_t dlen = fz_u8(c) % (PK_QUIC_CID_MAX + 1), got = 0;
    const uint8_t *id = fz_take(c, dlen, &got);
    memcpy(dcid, id, got);
    memset(dcid + got, 0, dlen - got);

    sealed parts[FZ_MAX_PARTS];
    size_t nparts = 0, total = 0;
    bool all_fit = true;
    while (nparts < FZ_MAX_PARTS && (c->left > 0 || nparts == 0)) {
        uint16_t hdr = fz_be16(c);
        size_t want = hdr & 0x3fff;
        const uint8_t *pt = fz_take(c, want < FZ_MAX_PLAINTEXT ? want : FZ_MAX_PLAINTEXT, &got);
        parts[nparts] = seal_initial(dcid, dlen, (size_t)(hdr >> 14) + 1,
                                     (uint32_t)nparts, pt, got);
        all_fit = all_fit && parts[nparts].len <= PK_QUIC_MAX_PACKET;
        total += parts[nparts++].len;
    }

    pk_tls_stats tst;
    pk_quic_stats qst;
    pk_tls_hello h;
    memset(&tst, 0, sizeof tst);
    memset(&qst, 0, sizeof qst);
    if (mode == 1) {
        uint8_t *dgram = malloc(total), *o = dgram;
        if (!dgram) abort();
        for (size_t i = 0; i < nparts; i++) {
            memcpy(o, parts[i].buf, parts[i].len);
            o += parts[i].len;
        }
        check_result(pk_quic_parse_initial(dgram, total, PK_TLS_KEEP_FIELDS, &h, &tst, &qst), &h);
        free(dgram);
        /* Packets after the first one that does not parse are not opened. */
        if (all_fit && qst.malformed_frame == 0 && qst.malformed_header == 0)
            FZ_CHECK(qst.decrypt_failed == 0 && qst.initials == nparts);
    } else {
        pk_quic_crypto_init(&g_cs);
        pk_parse_result r = PK_PARSE_NEED_MORE;
        for (size_t k = 0; k < nparts && r == PK_PARSE_NEED_MORE; k++) {
            const sealed *p = &parts[mode == 2 ? k : nparts - 1 - k];
            r = pk_quic_parse_datagram(p->buf, p->len, &g_cs, PK_TLS_KEEP_FIELDS, &h, &tst, &qst);
            check_result(r, &h);
        }
        if (all_fit) FZ_CHECK(qst.decrypt_failed == 0);
    }
    for (size_t i = 0; i < nparts; i++) free(parts[i].buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    fz_cursor c;
    fz_init(&c, data + 1, size - 1);
    int mode = data[0] & 3;
    if (mode == 0) run_raw(data + 1, size - 1);
    else run_sealed(mode, &c);
    return 0;
}
