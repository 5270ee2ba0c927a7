/* gen_tls.c - builds ClientHello and server flight records from a profile.
 *
 * Why it exists: the sensor parses SNI, JA3 and JA4 from the client's first
 * bytes; these builders write exactly the shape gen_profiles.c fingerprints,
 * with fresh randoms, session ids, key shares and GREASE values per hello.
 */
#include "gen_tls.h"

#include <string.h>

#include "tls_fingerprint.h"

/* A bounded byte writer: overflow sets bad and writes nothing more. */
typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    bool bad;
} wbuf;

static void w_u8(wbuf *w, unsigned v)
{
    if (w->n + 1 > w->cap) {
        w->bad = true;
        return;
    }
    w->p[w->n++] = (uint8_t)v;
}

static void w_u16(wbuf *w, unsigned v)
{
    w_u8(w, (v >> 8) & 0xff);
    w_u8(w, v & 0xff);
}

static void w_bytes(wbuf *w, const void *d, size_t n)
{
    if (w->n + n > w->cap) {
        w->bad = true;
        return;
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

static void w_rand(wbuf *w, size_t n, gen_rng *r)
{
    if (w->n + n > w->cap) {
        w->bad = true;
        return;
    }
    gen_rng_fill(r, w->p + w->n, n);
    w->n += n;
}

/* Reserves a length field of width bytes; patch with w_len_end. */
static size_t w_len_begin(wbuf *w, int width)
{
    size_t at = w->n;
    for (int i = 0; i < width; i++)
        w_u8(w, 0);
    return at;
}

static void w_len_end(wbuf *w, size_t at, int width)
{
    if (w->bad)
        return;
    size_t len = w->n - at - (size_t)width;
    for (int i = 0; i < width; i++)
        w->p[at + i] = (uint8_t)(len >> (8 * (width - 1 - i)));
}

/* Distinct random GREASE values for one hello. */
typedef struct grease_set {
    uint16_t v[8];
    int next;
} grease_set;

static void grease_init(grease_set *g, gen_rng *r)
{
    uint32_t base = gen_rng_below(r, 16);
    for (int i = 0; i < 8; i++) {
        uint32_t k = (base + (uint32_t)i * 3) % 16;
        g->v[i] = (uint16_t)(((k << 4 | 0xa) << 8) | (k << 4 | 0xa));
    }
    g->next = 0;
}

static uint16_t grease_take(grease_set *g)
{
    return g->v[g->next++ % 8];
}

static void w_list16(wbuf *w, gen_u16s l, int lenw, grease_set *g)
{
    size_t at = w_len_begin(w, lenw);
    for (size_t i = 0; i < l.n; i++)
        w_u16(w, l.v[i] == GEN_GREASE ? grease_take(g) : l.v[i]);
    w_len_end(w, at, lenw);
}

static void ext_sni(wbuf *w, const char *sni)
{
    size_t n = strlen(sni);
    w_u16(w, n + 3);
    w_u8(w, 0);
    w_u16(w, n);
    w_bytes(w, sni, n);
}

static void ext_alpn(wbuf *w, const gen_profile *p)
{
    size_t at = w_len_begin(w, 2);
    for (size_t i = 0; i < p->nalpn; i++) {
        size_t n = strlen(p->alpn[i]);
        w_u8(w, n);
        w_bytes(w, p->alpn[i], n);
    }
    w_len_end(w, at, 2);
}

static void ext_key_share(wbuf *w, const gen_profile *p, grease_set *g,
                          gen_rng *r)
{
    size_t at = w_len_begin(w, 2);
    for (size_t i = 0; i < p->key_shares.n; i++) {
        uint16_t grp = p->key_shares.v[i];
        if (grp == GEN_GREASE) {
            w_u16(w, grease_take(g));
            w_u16(w, 1);
            w_u8(w, 0);
        } else if (grp == 0x0017) {
            w_u16(w, grp);
            w_u16(w, 65);
            w_u8(w, 4);
            w_rand(w, 64, r);
        } else {
            w_u16(w, grp);
            w_u16(w, 32);
            w_rand(w, 32, r);
        }
    }
    w_len_end(w, at, 2);
}

static const uint8_t status_req[] = {1, 0, 0, 0, 0};
static const uint16_t dc_algs[] = {0x0403, 0x0503, 0x0603, 0x0203};

/* Writes one extension body (after its type and length). */
static void ext_body(wbuf *w, uint16_t type, const gen_profile *p,
                     const char *sni, grease_set *g, gen_rng *r,
                     bool later_grease)
{
    switch (type) {
    case GEN_EXT_SNI: ext_sni(w, sni); break;
    case 0x0005: w_bytes(w, status_req, sizeof status_req); break;
    case 0x000a: w_list16(w, p->groups, 2, g); break;
    case 0x000b:
        w_u8(w, p->nformats);
        w_bytes(w, p->formats, p->nformats);
        break;
    case 0x000d: w_list16(w, p->sigalgs, 2, g); break;
    case GEN_EXT_ALPN: ext_alpn(w, p); break;
    case 0x001b: w_u8(w, 2); w_u16(w, 2); break;          /* brotli */
    case 0x001c: w_u16(w, 0x4001); break;
    case 0x0022: w_list16(w, (gen_u16s){dc_algs, 4}, 2, g); break;
    case GEN_EXT_VERSIONS: w_list16(w, p->versions, 1, g); break;
    case 0x002d: w_u8(w, 1); w_u8(w, 1); break;           /* psk_dhe_ke */
    case 0x0033: ext_key_share(w, p, g, r); break;
    case 0x4469: w_u16(w, 3); w_u8(w, 2); w_bytes(w, "h2", 2); break;
    case 0xff01: w_u8(w, 0); break;
    default:
        if (type == GEN_GREASE && later_grease)
            w_u8(w, 0);
        break;                          /* empty: 0x0012, 0x0016, 0x0017, 0x0023 */
    }
}

static void hello_extensions(wbuf *w, const gen_profile *p, const char *sni,
                             grease_set *g, gen_rng *r, size_t hs_start)
{
    size_t at = w_len_begin(w, 2);
    bool seen_grease = false;
    for (size_t i = 0; i < p->exts.n; i++) {
        uint16_t t = p->exts.v[i];
        if (t == GEN_EXT_SNI && !sni)
            continue;
        if (t == GEN_EXT_PADDING) {
            /* BoringSSL/NSS style: pad the handshake message to pad_to. */
            size_t cur = w->n - hs_start + 4;
            size_t pad = cur < p->pad_to ? p->pad_to - cur : 0;
            w_u16(w, t);
            w_u16(w, pad);
            for (size_t k = 0; k < pad; k++)
                w_u8(w, 0);
            continue;
        }
        w_u16(w, t == GEN_GREASE ? grease_take(g) : t);
        size_t lat = w_len_begin(w, 2);
        ext_body(w, t, p, sni, g, r, seen_grease);
        w_len_end(w, lat, 2);
        seen_grease |= t == GEN_GREASE;
    }
    w_len_end(w, at, 2);
}

size_t gen_tls_client_hello(uint8_t *buf, size_t cap, const gen_profile *p,
                            const char *sni, gen_rng *r)
{
    wbuf w = {buf, 0, cap, false};
    grease_set g;
    grease_init(&g, r);
    w_u8(&w, 0x16);                       /* handshake record */
    w_u16(&w, 0x0301);
    size_t rec = w_len_begin(&w, 2);
    size_t hs_start = w.n;
    w_u8(&w, 1);                          /* ClientHello */
    size_t hs = w_len_begin(&w, 3);
    w_u16(&w, p->legacy_version);
    w_rand(&w, 32, r);
    w_u8(&w, 32);                         /* middlebox-compatible session id */
    w_rand(&w, 32, r);
    w_list16(&w, p->ciphers, 2, &g);
    w_u8(&w, 1);
    w_u8(&w, 0);                          /* null compression */
    hello_extensions(&w, p, sni, &g, r, hs_start);
    w_len_end(&w, hs, 3);
    w_len_end(&w, rec, 2);
    return w.bad ? 0 : w.n;
}

static uint16_t server_cipher(const gen_profile *p, bool tls13)
{
    for (size_t i = 0; i < p->ciphers.n; i++) {
        uint16_t c = p->ciphers.v[i];
        if (!pk_tls_is_grease(c) && ((c >> 8) == 0x13) == tls13)
            return c;
    }
    return 0xc02f;
}

static void server_hello(wbuf *w, const gen_profile *p, bool tls13, gen_rng *r)
{
    w_u8(w, 0x16);
    w_u16(w, 0x0303);
    size_t rec = w_len_begin(w, 2);
    w_u8(w, 2);                           /* ServerHello */
    size_t hs = w_len_begin(w, 3);
    w_u16(w, 0x0303);
    w_rand(w, 32, r);
    w_u8(w, 32);
    w_rand(w, 32, r);
    w_u16(w, server_cipher(p, tls13));
    w_u8(w, 0);
    size_t ext = w_len_begin(w, 2);
    if (tls13) {
        w_u16(w, 0x002b); w_u16(w, 2); w_u16(w, 0x0304);
        w_u16(w, 0x0033); w_u16(w, 36); w_u16(w, 0x001d); w_u16(w, 32);
        w_rand(w, 32, r);
    } else {
        w_u16(w, 0xff01); w_u16(w, 1); w_u8(w, 0);
        w_u16(w, 0x0017); w_u16(w, 0);
        w_u16(w, 0x000b); w_u16(w, 2); w_u8(w, 1); w_u8(w, 0);
    }
    w_len_end(w, ext, 2);
    w_len_end(w, hs, 3);
    w_len_end(w, rec, 2);
}

static void record(wbuf *w, uint8_t type, size_t len, gen_rng *r)
{
    w_u8(w, type);
    w_u16(w, 0x0303);
    w_u16(w, len);
    w_rand(w, len, r);
}

static void change_cipher_spec(wbuf *w)
{
    static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    w_bytes(w, ccs, sizeof ccs);
}

size_t gen_tls_server_hello(uint8_t *buf, size_t cap, const gen_profile *p,
                            gen_rng *r)
{
    wbuf w = {buf, 0, cap, false};
    server_hello(&w, p, gen_profile_is_tls13(p), r);
    change_cipher_spec(&w);
    return w.bad ? 0 : w.n;
}

size_t gen_tls_server_flight(uint8_t *buf, size_t cap, const gen_profile *p,
                             gen_rng *r)
{
    size_t n = gen_tls_server_hello(buf, cap, p, r);
    wbuf w = {buf, n, cap, n == 0};
    bool tls13 = gen_profile_is_tls13(p);
    if (tls13)       /* EncryptedExtensions..Finished, as application data */
        record(&w, 0x17, gen_rng_range(r, 2400, 4200), r);
    else             /* resumed session: encrypted Finished */
        record(&w, 0x16, 40, r);
    return w.bad ? 0 : w.n;
}

size_t gen_tls_client_finish(uint8_t *buf, size_t cap, const gen_profile *p,
                             gen_rng *r)
{
    wbuf w = {buf, 0, cap, false};
    change_cipher_spec(&w);
    if (gen_profile_is_tls13(p))
        record(&w, 0x17, 53, r);
    else
        record(&w, 0x16, 40, r);
    return w.bad ? 0 : w.n;
}

size_t gen_tls_app_data(uint8_t *buf, size_t cap, size_t total, gen_rng *r)
{
    wbuf w = {buf, 0, cap, false};
    while (total > 0 && !w.bad) {
        size_t n = total > 16401 ? 16401 : total;
        record(&w, 0x17, n, r);
        total -= n;
    }
    return w.bad ? 0 : w.n;
}
