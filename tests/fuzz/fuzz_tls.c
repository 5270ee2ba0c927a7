/* fuzz_tls.c - fuzzes the TLS ClientHello parser (sensor/proto_tls.h):
 * pk_tls_parse_stream and pk_tls_parse_handshake (TCP and QUIC flavours),
 * with the JA3/JA4 fingerprints computed from what it read.
 *
 * Why: every TCP direction on any port is offered to this parser first
 * (protocols are recognised by content), and the ClientHello is a nest of
 * length-prefixed vectors: records, handshake header, session id, cipher
 * suites, extensions, SNI list, ALPN list. The input is the start of a
 * client direction (TLS records). The same bytes are also read as a bare
 * handshake message (as QUIC CRYPTO data carries it), and when they start
 * with a record header, the record's body is too, so the handshake parser
 * gets real ClientHellos from the same seeds.
 *
 * Checked (proto_tls.h contract): results are one of the four codes; on OK
 * the SNI is NUL-terminated, lower case, sni_len == strlen, at most
 * PK_TLS_SNI_MAX; JA3 is 32 lower-case hex digits; JA4 is a_b_c with its
 * first letter 't' (TCP) or 'q' (QUIC); the QUIC and TCP parses of one
 * message agree on everything but that letter; a parse without
 * PK_TLS_KEEP_FIELDS gives the same result, SNI, ALPN and counters (but
 * tls.lists_truncated) and no fingerprint.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "proto_tls.h"

static void check_hello(pk_tls_hello *h, char ja4_kind) {
    FZ_CHECK(h->ja3[0] == '\0' && h->ja4[0] == '\0');   /* until asked for */
    pk_tls_hello_fingerprint(h, NULL);
    FZ_CHECK_STR(h->sni, h->sni_len);
    FZ_CHECK(h->sni_len <= PK_TLS_SNI_MAX);
    if (!h->has_sni) FZ_CHECK(h->sni_len == 0);
    for (size_t i = 0; i < h->sni_len; i++)
        FZ_CHECK(h->sni[i] > 0x20 && h->sni[i] < 0x7f && !isupper((unsigned char)h->sni[i]));
    FZ_CHECK_STR(h->ja3, 32);
    for (int i = 0; i < 32; i++)
        FZ_CHECK(isdigit((unsigned char)h->ja3[i]) || (h->ja3[i] >= 'a' && h->ja3[i] <= 'f'));
    FZ_CHECK(memchr(h->ja4, '\0', sizeof h->ja4) != NULL);
    FZ_CHECK(h->ja4[0] == ja4_kind);
    const char *u1 = strchr(h->ja4, '_');
    FZ_CHECK(u1 != NULL && strchr(u1 + 1, '_') != NULL);
    FZ_CHECK(memchr(h->alpn0, '\0', sizeof h->alpn0) != NULL);
}

/* The lists skipped: everything else as with them. */
static void check_without_fields(const uint8_t *msg, size_t len, pk_parse_result want,
                                 const pk_tls_hello *with, const pk_tls_stats *with_st) {
    pk_tls_stats st;
    pk_tls_hello h;
    memset(&st, 0, sizeof st);
    FZ_CHECK(pk_tls_parse_handshake(msg, len, 0, &h, &st) == want);
    pk_tls_stats expect = *with_st;
    expect.lists_truncated = 0;
    FZ_CHECK(memcmp(&st, &expect, sizeof st) == 0);
    if (want != PK_PARSE_OK) return;
    FZ_CHECK(!h.fields_kept && !h.fp_truncated);
    pk_tls_hello_fingerprint(&h, NULL);
    FZ_CHECK(h.ja3[0] == '\0' && h.ja4[0] == '\0');
    FZ_CHECK(h.has_sni == with->has_sni && strcmp(h.sni, with->sni) == 0);
    FZ_CHECK(h.sni_truncated == with->sni_truncated);
    FZ_CHECK(strcmp(h.alpn0, with->alpn0) == 0);
    FZ_CHECK(h.legacy_version == with->legacy_version);
}

static void one_handshake(const uint8_t *msg, size_t len) {
    pk_tls_stats st;
    pk_tls_hello t, q;
    memset(&st, 0, sizeof st);
    pk_parse_result rt = pk_tls_parse_handshake(msg, len, PK_TLS_KEEP_FIELDS, &t, &st);
    check_without_fields(msg, len, rt, &t, &st);
    pk_parse_result rq = pk_tls_parse_handshake(msg, len, PK_TLS_KEEP_FIELDS | PK_TLS_QUIC, &q, &st);
    FZ_CHECK(rt == rq);
    if (rt != PK_PARSE_OK) return;
    check_hello(&t, 't');
    check_hello(&q, 'q');
    FZ_CHECK(strcmp(t.sni, q.sni) == 0 && strcmp(t.ja3, q.ja3) == 0);
    FZ_CHECK(strcmp(t.ja4 + 1, q.ja4 + 1) == 0);
    FZ_CHECK(t.legacy_version == q.legacy_version);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pk_tls_stats st;
    pk_tls_hello h;
    memset(&st, 0, sizeof st);

    pk_parse_result r = pk_tls_parse_stream(data, size, PK_TLS_KEEP_FIELDS, &h, &st);
    FZ_CHECK(r == PK_PARSE_OK || r == PK_PARSE_NEED_MORE ||
             r == PK_PARSE_NOT_MINE || r == PK_PARSE_MALFORMED);
    if (r == PK_PARSE_OK) check_hello(&h, 't');
    if (size > 0 && data[0] != 22) FZ_CHECK(r == PK_PARSE_NOT_MINE);

    one_handshake(data, size);
    if (size > 5 && data[0] == 22) {
        size_t rlen = (size_t)data[3] << 8 | data[4];
        size_t n = rlen < size - 5 ? rlen : size - 5;
        uint8_t *body = fz_dup(data + 5, n);
        one_handshake(body, n);
        free(body);
    }
    return 0;
}
