/* gen_profiles.c - the built-in ClientHello shapes and their JA3/JA4.
 *
 * Why it exists: the builder (gen_tls.c) and the fingerprints (here) read
 * the same tables, so a profile's advertised JA3/JA4 is what its hellos
 * really produce. The shapes follow what common clients send; GREASE
 * positions are placeholders that get random GREASE values per hello.
 * JA3: salesforce/ja3; JA4: FoxIO JA4 (see shared/SPECS.md).
 */
#include "gen_tls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define U16S(a) { a, sizeof(a) / sizeof((a)[0]) }
#define G GEN_GREASE

/* Chromium-like: GREASE everywhere, ALPS, compressed certificates, padding. */
static const uint16_t chrome_ciphers[] = {G, 0x1301, 0x1302, 0x1303, 0xc02b,
    0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
    0x002f, 0x0035};
static const uint16_t chrome_exts[] = {G, 0x0000, 0x0017, 0xff01, 0x000a,
    0x000b, 0x0023, 0x0010, 0x0005, 0x000d, 0x0012, 0x0033, 0x002d, 0x002b,
    0x001b, 0x4469, G, 0x0015};
static const uint16_t chrome_groups[] = {G, 0x001d, 0x0017, 0x0018};
static const uint16_t chrome_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
    0x0805, 0x0501, 0x0806, 0x0601};
static const uint16_t chrome_versions[] = {G, 0x0304, 0x0303};
static const uint16_t chrome_shares[] = {G, 0x001d};

/* Firefox-like: no GREASE, delegated credentials, record size limit. */
static const uint16_t ff_ciphers[] = {0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f,
    0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c,
    0x009d, 0x002f, 0x0035};
static const uint16_t ff_exts[] = {0x0000, 0x0017, 0xff01, 0x000a, 0x000b,
    0x0023, 0x0010, 0x0005, 0x0022, 0x0033, 0x002b, 0x000d, 0x002d, 0x001c,
    0x0015};
static const uint16_t ff_groups[] = {0x001d, 0x0017, 0x0018, 0x0019, 0x0100,
    0x0101};
static const uint16_t ff_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0804, 0x0805,
    0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201};
static const uint16_t ff_versions[] = {0x0304, 0x0303};
static const uint16_t ff_shares[] = {0x001d, 0x0017};

/* OpenSSL 3 client (curl, python): long cipher list, http/1.1 only. */
static const uint16_t ossl_ciphers[] = {0x1302, 0x1303, 0x1301, 0xc02c,
    0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024,
    0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009,
    0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
static const uint16_t ossl_exts[] = {0x0000, 0x000b, 0x000a, 0x0023, 0x0010,
    0x0016, 0x0017, 0x000d, 0x002b, 0x002d, 0x0033};
static const uint16_t ossl_groups[] = {0x001d, 0x0017, 0x001e, 0x0019, 0x0018};
static const uint16_t ossl_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0807,
    0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
    0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602};
static const uint16_t ossl_versions[] = {0x0304, 0x0303};
static const uint16_t ossl_shares[] = {0x001d};

/* Go crypto/tls default client with HTTP/2. */
static const uint16_t go_ciphers[] = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
    0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
    0xc012, 0x000a, 0x1301, 0x1302, 0x1303};
static const uint16_t go_exts[] = {0x0000, 0x0005, 0x000a, 0x000b, 0x000d,
    0xff01, 0x0010, 0x0012, 0x002b, 0x0033};
static const uint16_t go_groups[] = {0x001d, 0x0017, 0x0018, 0x0019};
static const uint16_t go_sigalgs[] = {0x0804, 0x0403, 0x0807, 0x0805, 0x0503,
    0x0806, 0x0603, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201};
static const uint16_t go_versions[] = {0x0304, 0x0303};
static const uint16_t go_shares[] = {0x001d};

/* An older TLS 1.2-only client (embedded agents, old runtimes). */
static const uint16_t old_ciphers[] = {0xc02c, 0xc02b, 0xc030, 0xc02f,
    0x009f, 0x009e, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014,
    0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a};
static const uint16_t old_exts[] = {0x0000, 0x0005, 0x000a, 0x000b, 0x000d,
    0x0023, 0x0017, 0xff01};
static const uint16_t old_groups[] = {0x001d, 0x0017, 0x0018};
static const uint16_t old_sigalgs[] = {0x0401, 0x0501, 0x0201, 0x0403,
    0x0503, 0x0203, 0x0202, 0x0601, 0x0603};

static const uint8_t fmt_plain[] = {0};
static const uint8_t fmt_all[] = {0, 1, 2};
static const char *const alpn_h2_h1[] = {"h2", "http/1.1"};
static const char *const alpn_h1[] = {"http/1.1"};

static const gen_profile catalogue[] = {
    {"chrome", "Chromium-like browser, TLS 1.3, GREASE, h2", 0x0303,
     U16S(chrome_ciphers), U16S(chrome_exts), U16S(chrome_groups),
     U16S(chrome_sigalgs), U16S(chrome_versions), U16S(chrome_shares),
     fmt_plain, 1, alpn_h2_h1, 2, 512},
    {"firefox", "Firefox-like browser, TLS 1.3, h2", 0x0303,
     U16S(ff_ciphers), U16S(ff_exts), U16S(ff_groups), U16S(ff_sigalgs),
     U16S(ff_versions), U16S(ff_shares), fmt_plain, 1, alpn_h2_h1, 2, 512},
    {"openssl", "OpenSSL 3 command-line client (curl, python), http/1.1",
     0x0303, U16S(ossl_ciphers), U16S(ossl_exts), U16S(ossl_groups),
     U16S(ossl_sigalgs), U16S(ossl_versions), U16S(ossl_shares), fmt_all, 3,
     alpn_h1, 1, 0},
    {"go", "Go crypto/tls default client, h2", 0x0303, U16S(go_ciphers),
     U16S(go_exts), U16S(go_groups), U16S(go_sigalgs), U16S(go_versions),
     U16S(go_shares), fmt_plain, 1, alpn_h2_h1, 2, 0},
    {"legacy12", "TLS 1.2-only agent, no ALPN", 0x0303, U16S(old_ciphers),
     U16S(old_exts), U16S(old_groups), U16S(old_sigalgs), {NULL, 0},
     {NULL, 0}, fmt_plain, 1, NULL, 0, 0},
};

const gen_profile *gen_profiles(size_t *n)
{
    *n = sizeof catalogue / sizeof catalogue[0];
    return catalogue;
}

bool gen_tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static bool has_u16(gen_u16s l, uint16_t v)
{
    for (size_t i = 0; i < l.n; i++)
        if (l.v[i] == v)
            return true;
    return false;
}

bool gen_profile_is_tls13(const gen_profile *p)
{
    return has_u16(p->exts, GEN_EXT_VERSIONS) && has_u16(p->versions, 0x0304);
}

/* Appends "a-b-c" (decimal, GREASE and skip value left out). */
static void ja3_list(char *s, size_t cap, gen_u16s l, int skip)
{
    bool first = true;
    for (size_t i = 0; i < l.n; i++) {
        if (gen_tls_is_grease(l.v[i]) || (int)l.v[i] == skip)
            continue;
        size_t len = strlen(s);
        snprintf(s + len, cap - len, "%s%u", first ? "" : "-", l.v[i]);
        first = false;
    }
}

static void hex_digest(const EVP_MD *md, const char *s, char *out, size_t nhex)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_Digest(s, strlen(s), d, &dl, md, NULL);
    for (size_t i = 0; i < nhex && i / 2 < dl; i++)
        out[i] = "0123456789abcdef"[(d[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
    out[nhex] = 0;
}

static void build_ja3(const gen_profile *p, bool with_sni, gen_fp *out)
{
    char *s = out->ja3_str;
    size_t cap = sizeof out->ja3_str;
    snprintf(s, cap, "%u,", p->legacy_version);
    ja3_list(s, cap, p->ciphers, -1);
    strncat(s, ",", cap - strlen(s) - 1);
    ja3_list(s, cap, p->exts, with_sni ? -1 : GEN_EXT_SNI);
    strncat(s, ",", cap - strlen(s) - 1);
    ja3_list(s, cap, p->groups, -1);
    strncat(s, ",", cap - strlen(s) - 1);
    for (size_t i = 0; i < p->nformats; i++) {
        size_t len = strlen(s);
        snprintf(s + len, cap - len, "%s%u", i ? "-" : "", p->formats[i]);
    }
    hex_digest(EVP_md5(), s, out->ja3, 32);
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* Sorted (or original order), comma-joined 4-hex-digit list, with GREASE
 * and the listed values left out. Returns how many were written. */
static size_t ja4_hex_list(char *s, size_t cap, gen_u16s l, bool sort,
                           const uint16_t *drop, size_t ndrop)
{
    uint16_t v[128];
    size_t n = 0;
    for (size_t i = 0; i < l.n && n < 128; i++) {
        bool skip = gen_tls_is_grease(l.v[i]);
        for (size_t j = 0; j < ndrop; j++)
            skip |= l.v[i] == drop[j];
        if (!skip)
            v[n++] = l.v[i];
    }
    if (sort)
        qsort(v, n, sizeof v[0], cmp_u16);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(s);
        snprintf(s + len, cap - len, "%s%04x", i ? "," : "", v[i]);
    }
    return n;
}

static const char *ja4_version(const gen_profile *p)
{
    uint16_t v = p->legacy_version;
    if (has_u16(p->exts, GEN_EXT_VERSIONS)) {
        v = 0;
        for (size_t i = 0; i < p->versions.n; i++)
            if (!gen_tls_is_grease(p->versions.v[i]) && p->versions.v[i] > v)
                v = p->versions.v[i];
    }
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    default: return "00";
    }
}

static void ja4_alpn(const gen_profile *p, char out[3])
{
    out[0] = out[1] = '0';
    out[2] = 0;
    if (!has_u16(p->exts, GEN_EXT_ALPN) || !p->nalpn || !p->alpn[0][0])
        return;
    const char *a = p->alpn[0];
    unsigned char f = (unsigned char)a[0], l = (unsigned char)a[strlen(a) - 1];
    if (isalnum(f) && isalnum(l)) {
        out[0] = (char)f;
        out[1] = (char)l;
    } else {
        snprintf(out, 3, "%c%c", "0123456789abcdef"[f >> 4],
                 "0123456789abcdef"[l & 0xf]);
    }
}

static size_t count_ext(const gen_profile *p, bool with_sni)
{
    size_t n = 0;
    for (size_t i = 0; i < p->exts.n; i++)
        if (!gen_tls_is_grease(p->exts.v[i]) &&
            (with_sni || p->exts.v[i] != GEN_EXT_SNI))
            n++;
    return n;
}

static void build_ja4(const gen_profile *p, bool with_sni, gen_fp *out)
{
    static const uint16_t sni_alpn[] = {GEN_EXT_SNI, GEN_EXT_ALPN};
    char list[1024] = "", hb[13], hc[13], alpn[3];
    size_t nc = ja4_hex_list(list, sizeof list, p->ciphers, true, NULL, 0);
    if (nc)
        hex_digest(EVP_sha256(), list, hb, 12);
    else
        snprintf(hb, sizeof hb, "000000000000");
    list[0] = 0;
    size_t ne = ja4_hex_list(list, sizeof list, p->exts, true, sni_alpn, 2);
    if (p->sigalgs.n && has_u16(p->exts, 0x000d)) {
        strncat(list, "_", sizeof list - strlen(list) - 1);
        ja4_hex_list(list, sizeof list, p->sigalgs, false, NULL, 0);
    }
    if (ne)
        hex_digest(EVP_sha256(), list, hc, 12);
    else
        snprintf(hc, sizeof hc, "000000000000");
    ja4_alpn(p, alpn);
    size_t ext_n = count_ext(p, with_sni);
    snprintf(out->ja4, sizeof out->ja4, "t%s%c%02zu%02zu%s_%s_%s",
             ja4_version(p), with_sni ? 'd' : 'i', nc > 99 ? 99 : nc,
             ext_n > 99 ? 99 : ext_n, alpn, hb, hc);
}

void gen_profile_fingerprint(const gen_profile *p, bool with_sni, gen_fp *out)
{
    memset(out, 0, sizeof *out);
    build_ja3(p, with_sni, out);
    build_ja4(p, with_sni, out);
}
