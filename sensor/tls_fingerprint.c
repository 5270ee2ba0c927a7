/* tls_fingerprint.c - JA3 and JA4 from parsed ClientHello fields.
 *
 * Why it exists: the fingerprint rules (GREASE removal, sorting, version
 * codes, ALPN characters, truncated hashes) are subtle and published; they
 * live here, apart from the byte parsing, so they can be checked against the
 * specs' examples directly. Strings are built in fixed stack buffers and
 * hashed with OpenSSL's EVP digests (fetched once per pk_fp_hasher).
 */
#include "tls_fingerprint.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pk_fp_hasher {
    EVP_MD *md5, *sha256;
    EVP_MD_CTX *ctx;
};

pk_fp_hasher *pk_fp_hasher_new(void) {
    pk_fp_hasher *hs = calloc(1, sizeof *hs);
    if (!hs) return NULL;
    hs->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    hs->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    hs->ctx = EVP_MD_CTX_new();
    if (!hs->md5 || !hs->sha256 || !hs->ctx) {
        pk_fp_hasher_free(hs);
        return NULL;
    }
    return hs;
}

void pk_fp_hasher_free(pk_fp_hasher *hs) {
    if (!hs) return;
    EVP_MD_free(hs->md5);
    EVP_MD_free(hs->sha256);
    EVP_MD_CTX_free(hs->ctx);
    free(hs);
}

/* A bounded string builder: writes stop (and overflow is set) at cap-1. */
typedef struct sbuf {
    char *p;
    size_t cap, len;
    bool overflow;
} sbuf;

static void sb_init(sbuf *b, char *p, size_t cap) {
    b->p = p;
    b->cap = cap;
    b->len = 0;
    b->overflow = false;
    if (cap) p[0] = '\0';
}

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->overflow) return;
    if (n >= b->cap - b->len) {          /* cap >= 1: len stays < cap */
        n = b->cap ? b->cap - b->len - 1 : 0;
        b->overflow = true;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    if (b->cap) b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Decimal and hex by hand: a ClientHello has dozens of values and
 * snprintf costs more than the rest of the fingerprint. */
static void sb_dec(sbuf *b, unsigned v) {
    char tmp[12];
    size_t i = sizeof tmp - 1;
    tmp[i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    sb_put(b, tmp + i, sizeof tmp - 1 - i);
}

static void sb_hex4(sbuf *b, unsigned v) {
    static const char digits[] = "0123456789abcdef";
    char tmp[4] = {digits[v >> 12 & 15], digits[v >> 8 & 15], digits[v >> 4 & 15],
                   digits[v & 15]};
    sb_put(b, tmp, sizeof tmp);
}

bool pk_tls_is_grease(uint16_t v) {
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

void pk_tls_fields_clear(pk_tls_fields *f) {
    pk_tls_list *all[] = {&f->ciphers, &f->exts, &f->groups,
                          &f->point_formats, &f->sig_algs, &f->versions};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        all[i]->n = 0;
        all[i]->total = 0;
    }
    f->legacy_version = 0;
    f->has_sni_ext = false;
    f->has_alpn = false;
    f->alpn_len = 0;
    f->alpn_first = 0;
    f->alpn_last = 0;
}

bool pk_tls_fields_truncated(const pk_tls_fields *f) {
    const pk_tls_list *all[] = {&f->ciphers, &f->exts, &f->groups,
                                &f->point_formats, &f->sig_algs, &f->versions};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]->total > all[i]->n) return true;
    return false;
}

/* Hex digest of data into out (nhex chars + NUL). */
static bool digest_hex(pk_fp_hasher *hs, bool md5, const char *data, size_t len,
                       char *out, size_t nhex) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    out[0] = '\0';
    bool ok = hs ? EVP_DigestInit_ex(hs->ctx, md5 ? hs->md5 : hs->sha256, NULL) &&
                   EVP_DigestUpdate(hs->ctx, data, len) &&
                   EVP_DigestFinal_ex(hs->ctx, d, &dlen)
                 : EVP_Digest(data, len, d, &dlen, md5 ? EVP_md5() : EVP_sha256(), NULL);
    if (!ok) return false;
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < nhex && i / 2 < dlen; i++)
        out[i] = hex[(i & 1) ? (d[i / 2] & 0x0f) : (d[i / 2] >> 4)];
    out[i] = '\0';
    return i == nhex;
}

/* ---- JA3 ---------------------------------------------------------------- */

static void ja3_list(sbuf *b, const pk_tls_list *l) {
    bool first = true;
    for (uint16_t i = 0; i < l->n; i++) {
        if (pk_tls_is_grease(l->v[i])) continue;
        if (!first) sb_puts(b, "-");
        sb_dec(b, l->v[i]);
        first = false;
    }
}

size_t pk_ja3_string(const pk_tls_fields *f, char *buf, size_t cap) {
    sbuf b;
    sb_init(&b, buf, cap);
    sb_dec(&b, f->legacy_version);
    sb_puts(&b, ",");
    ja3_list(&b, &f->ciphers);
    sb_puts(&b, ",");
    ja3_list(&b, &f->exts);
    sb_puts(&b, ",");
    ja3_list(&b, &f->groups);
    sb_puts(&b, ",");
    ja3_list(&b, &f->point_formats);
    if (b.overflow) {
        if (cap) buf[0] = '\0';
        return 0;
    }
    return b.len;
}

bool pk_ja3(pk_fp_hasher *hs, const pk_tls_fields *f, char *out) {
    char s[4096];
    size_t n = pk_ja3_string(f, s, sizeof s);
    if (n == 0) {
        out[0] = '\0';
        return false;
    }
    return digest_hex(hs, true, s, n, out, PK_JA3_LEN);
}

/* ---- JA4 ---------------------------------------------------------------- */

const char *pk_ja4_version_code(uint16_t v) {
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

/* Highest non-GREASE supported_versions value, else the legacy version. */
static uint16_t ja4_version(const pk_tls_fields *f) {
    uint16_t best = 0;
    bool any = false;
    for (uint16_t i = 0; i < f->versions.n; i++) {
        uint16_t v = f->versions.v[i];
        if (pk_tls_is_grease(v)) continue;
        if (!any || v > best) best = v;
        any = true;
    }
    return any ? best : f->legacy_version;
}

static unsigned count_non_grease(const pk_tls_list *l) {
    unsigned n = 0;
    for (uint16_t i = 0; i < l->n; i++)
        if (!pk_tls_is_grease(l->v[i])) n++;
    /* values past the kept ones are counted too (GREASE cannot be told) */
    n += (unsigned)(l->total - l->n);
    return n > 99 ? 99 : n;
}

static bool is_alnum_ascii(uint8_t c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z');
}

/* First and last characters of the first ALPN value ("00" if none); the
 * hex form's first and last digits when either end is not alphanumeric. */
static void ja4_alpn(const pk_tls_fields *f, char out[3]) {
    static const char hex[] = "0123456789abcdef";
    if (!f->has_alpn || f->alpn_len == 0) {
        memcpy(out, "00", 3);
        return;
    }
    if (is_alnum_ascii(f->alpn_first) && is_alnum_ascii(f->alpn_last)) {
        out[0] = (char)f->alpn_first;
        out[1] = (char)f->alpn_last;
    } else {
        out[0] = hex[f->alpn_first >> 4];
        out[1] = hex[f->alpn_last & 0x0f];
    }
    out[2] = '\0';
}

static void sort_u16(uint16_t *v, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Non-GREASE values of l (minus SNI and ALPN when drop_sni_alpn), sorted
 * when sort; returns how many were written to dst. */
static size_t ja4_values(const pk_tls_list *l, bool drop_sni_alpn, bool sort,
                         uint16_t *dst) {
    size_t n = 0;
    for (uint16_t i = 0; i < l->n; i++) {
        uint16_t v = l->v[i];
        if (pk_tls_is_grease(v)) continue;
        if (drop_sni_alpn && (v == 0x0000 || v == 0x0010)) continue;
        dst[n++] = v;
    }
    if (sort) sort_u16(dst, n);
    return n;
}

static void hex_list(sbuf *b, const uint16_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i) sb_puts(b, ",");
        sb_hex4(b, v[i]);
    }
}

/* b: sorted ciphers. */
static bool ja4_b(pk_fp_hasher *hs, const pk_tls_fields *f, char out[13]) {
    uint16_t v[PK_TLS_LIST_MAX];
    size_t n = ja4_values(&f->ciphers, false, true, v);
    if (n == 0) {
        memcpy(out, "000000000000", 13);
        return true;
    }
    char s[PK_TLS_LIST_MAX * 5 + 1];
    sbuf b;
    sb_init(&b, s, sizeof s);
    hex_list(&b, v, n);
    return !b.overflow && digest_hex(hs, false, s, b.len, out, 12);
}

/* c: sorted extensions without SNI/ALPN, '_', signature algorithms. */
static bool ja4_c(pk_fp_hasher *hs, const pk_tls_fields *f, char out[13]) {
    uint16_t e[PK_TLS_LIST_MAX], g[PK_TLS_LIST_MAX];
    size_t ne = ja4_values(&f->exts, true, true, e);
    size_t ng = ja4_values(&f->sig_algs, false, false, g);
    if (ne == 0) {
        memcpy(out, "000000000000", 13);
        return true;
    }
    char s[PK_TLS_LIST_MAX * 10 + 2];
    sbuf b;
    sb_init(&b, s, sizeof s);
    hex_list(&b, e, ne);
    if (ng) {
        sb_puts(&b, "_");
        hex_list(&b, g, ng);
    }
    return !b.overflow && digest_hex(hs, false, s, b.len, out, 12);
}

bool pk_ja4(pk_fp_hasher *hs, const pk_tls_fields *f, bool quic, char *out) {
    char alpn[3], hb[13], hc[13];
    ja4_alpn(f, alpn);
    if (!ja4_b(hs, f, hb) || !ja4_c(hs, f, hc)) {
        out[0] = '\0';
        return false;
    }
    snprintf(out, PK_JA4_LEN + 1, "%c%s%c%02u%02u%s_%s_%s", quic ? 'q' : 't',
             pk_ja4_version_code(ja4_version(f)), f->has_sni_ext ? 'd' : 'i',
             count_non_grease(&f->ciphers), count_non_grease(&f->exts), alpn,
             hb, hc);
    return true;
}
