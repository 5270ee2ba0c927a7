/* gen_profiles.c - the built-in ClientHello shapes and their JA3/JA4.
 *
 * Why it exists: the builder (gen_tls.c) and the fingerprints (here) read
 * the same tables, so a profile's advertised JA3/JA4 is what its hellos
 * really produce. The shapes follow what common clients send; GREASE
 * positions are placeholders that get random GREASE values per hello.
 * The fingerprints themselves are the sensor's (tls_fingerprint.c), fed
 * the fields its parser would read from the hello, so picket-gen and
 * picket-sensor cannot disagree on what a profile's JA3/JA4 is.
 */
#include "gen_tls.h"

#include <string.h>

#include "tls_fingerprint.h"

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

static void push_all(pk_tls_list *l, gen_u16s v)
{
    for (size_t i = 0; i < v.n; i++)
        pk_tls_list_push(l, v.v[i]);
}

/* The fields the sensor's ClientHello parser reads from the hello
 * gen_tls_client_hello writes for p: the extensions in order (SNI only
 * with a name), and the lists of those extensions that carry one. GREASE
 * placeholders stand for the random GREASE values the hello holds; the
 * fingerprints leave both out alike. */
static void profile_fields(const gen_profile *p, bool with_sni,
                           pk_tls_fields *f)
{
    memset(f, 0, sizeof *f);
    f->legacy_version = p->legacy_version;
    push_all(&f->ciphers, p->ciphers);
    for (size_t i = 0; i < p->exts.n; i++) {
        uint16_t t = p->exts.v[i];
        if (t == GEN_EXT_SNI && !with_sni)
            continue;
        pk_tls_list_push(&f->exts, t);
        switch (t) {
        case GEN_EXT_SNI: f->has_sni_ext = true; break;
        case 0x000a: push_all(&f->groups, p->groups); break;
        case 0x000b:
            for (size_t k = 0; k < p->nformats; k++)
                pk_tls_list_push(&f->point_formats, p->formats[k]);
            break;
        case 0x000d: push_all(&f->sig_algs, p->sigalgs); break;
        case GEN_EXT_VERSIONS: push_all(&f->versions, p->versions); break;
        case GEN_EXT_ALPN:
            if (p->nalpn) {
                const char *a = p->alpn[0];
                size_t n = strlen(a);
                f->has_alpn = true;
                f->alpn_len = (uint8_t)n;
                f->alpn_first = n ? (uint8_t)a[0] : 0;
                f->alpn_last = n ? (uint8_t)a[n - 1] : 0;
            }
            break;
        default: break;
        }
    }
}

void gen_profile_fingerprint(const gen_profile *p, bool with_sni, gen_fp *out)
{
    pk_tls_fields f;
    memset(out, 0, sizeof *out);
    profile_fields(p, with_sni, &f);
    pk_ja3_string(&f, out->ja3_str, sizeof out->ja3_str);
    pk_ja3(NULL, &f, out->ja3);
    pk_ja4(NULL, &f, false, out->ja4);
}
