/* istore.c - looks observed values up in the immutable indicator store.
 *
 * Why it exists: this is the packet path's only contact with indicators.
 * Every lookup reads the tables built by istore_build.c, allocates nothing,
 * takes no lock and copies at most one name or URL into a stack buffer, so
 * any number of threads may match against one store while it lives.
 */
#include "istore_int.h"

#include "prefetch.h"
#include "swar.h"

static const char *const field_names[PK_FIELD__COUNT] = {
    [PK_FIELD_IP_SRC] = "ip.src",       [PK_FIELD_IP_DST] = "ip.dst",
    [PK_FIELD_DNS_QUERY] = "dns.query", [PK_FIELD_TLS_SNI] = "tls.sni",
    [PK_FIELD_TLS_JA3] = "tls.ja3",     [PK_FIELD_TLS_JA4] = "tls.ja4",
    [PK_FIELD_HTTP_HOST] = "http.host", [PK_FIELD_HTTP_URL] = "http.url",
};

const char *pk_field_name(pk_field f) {
    return (unsigned)f < PK_FIELD__COUNT ? field_names[f] : "unknown";
}

size_t pk_istore_count(const pk_istore *s) { return s ? s->n : 0; }

const char *pk_istore_version(const pk_istore *s) { return s ? s->version : ""; }

size_t pk_istore_memory(const pk_istore *s) { return s ? s->memory : 0; }

const pk_indicator *pk_istore_item(const pk_istore *s, size_t i, pk_ind_view *v) {
    return pk_ind_pack_get(&s->pack, i, v);
}

/* ---- picking among indicators that share a key ------------------------------------- */

#define NO_ITEM UINT32_MAX

static bool in_scope(const pk_indicator *it, uint8_t proto, uint16_t port) {
    return (it->proto == 0 || it->proto == proto) &&
           (it->port == 0 || it->port == port);
}

static uint32_t first_item(const pk_istore *s, uint32_t ref) {
    return ref & PK_ITAB_RUN ? s->runs[(ref & ~PK_ITAB_RUN) + 1] : ref;
}

/* The first indicator (in list order) of an allowed type and in scope. */
static uint32_t pick(const pk_istore *s, uint32_t ref, unsigned types,
                     uint8_t proto, uint16_t port) {
    const uint32_t *run = &ref;
    uint32_t count = 1;
    if (ref & PK_ITAB_RUN) {
        run = s->runs + (ref & ~PK_ITAB_RUN);
        count = *run++;
    }
    for (uint32_t k = 0; k < count; k++) {
        const pk_indicator *it = pk_item_meta(s, run[k]);
        if ((types >> it->type & 1u) && in_scope(it, proto, port))
            return run[k];
    }
    return NO_ITEM;
}

/* The result of a lookup: item i rebuilt into out, or NULL. */
static const pk_indicator *found(const pk_istore *s, uint32_t i, pk_ind_view *out) {
    return i == NO_ITEM ? NULL : pk_ind_pack_get(&s->pack, i, out);
}

/* ---- addresses ------------------------------------------------------------------------ */

static uint32_t find_v4(const pk_istore *s, const pk_itab *t, uint32_t key,
                        uint8_t proto, uint16_t port) {
    uint32_t pos = pk_itab_first(t, pk_hash_u32(key));
    const pk_islot *sl = pk_itab_next_match(t, key, &pos);
    return sl ? pick(s, sl->ref, ~0u, proto, port) : NO_ITEM;
}

static uint32_t find_v6(const pk_istore *s, const pk_itab *t,
                        const uint8_t *addr, int len, uint8_t proto,
                        uint16_t port) {
    uint64_t h = pk_v6_hash(addr, len);
    uint32_t pos = pk_itab_first(t, (uint32_t)(h >> 32));
    const pk_islot *sl;
    while ((sl = pk_itab_next_match(t, (uint32_t)h, &pos)))
        if (memcmp(pk_item_text(s, first_item(s, sl->ref)), addr, 16) == 0)
            return pick(s, sl->ref, ~0u, proto, port);
    return NO_ITEM;
}

/* Lengths lens4[from..to) of one filter range, longest first. */
static uint32_t probe_v4(const pk_istore *s, uint32_t key, unsigned from,
                         unsigned to, uint8_t proto, uint16_t port) {
    uint32_t it = NO_ITEM;
    for (unsigned i = from; it == NO_ITEM && i < to; i++) {
        int len = s->lens4[i];
        it = find_v4(s, &s->cidr4[len], key & pk_mask4(len), proto, port);
    }
    return it;
}

/* The exact address, then the prefixes longest first; a range of lengths
 * (>= /16, /8../15) is skipped whole when the address's /16 holds (or, for
 * /8../15, lies in) no prefix of it. */
static uint32_t match_v4(const pk_istore *s, const uint8_t *addr,
                         uint8_t proto, uint16_t port) {
    uint32_t key = pk_be32(addr);
    uint32_t it = s->v4.n ? find_v4(s, &s->v4, key, proto, port) : NO_ITEM;
    if (it == NO_ITEM && pk_bit(s->wide4, key >> 16))
        it = probe_v4(s, key, 0, s->split4[0], proto, port);
    if (it == NO_ITEM && pk_bit(s->narrow4, key >> 16))
        it = probe_v4(s, key, s->split4[0], s->split4[1], proto, port);
    if (it == NO_ITEM)
        it = probe_v4(s, key, s->split4[1], s->nlens4, proto, port);
    return it;
}

static uint32_t probe_v6(const pk_istore *s, const uint8_t *addr, unsigned from,
                         unsigned to, uint8_t proto, uint16_t port) {
    uint32_t it = NO_ITEM;
    uint8_t net[16];
    for (unsigned i = from; it == NO_ITEM && i < to; i++) {
        int len = s->lens6[i];
        pk_mask6(addr, len, net);
        it = find_v6(s, &s->cidr6[len], net, len, proto, port);
    }
    return it;
}

/* As match_v4, with the ranges >= /32 and /16../31. */
static uint32_t match_v6(const pk_istore *s, const uint8_t *addr,
                         uint8_t proto, uint16_t port) {
    uint32_t it = s->v6.n ? find_v6(s, &s->v6, addr, 128, proto, port) : NO_ITEM;
    if (it == NO_ITEM && pk_bit(s->deep6, pk_deep6_bit(addr)))
        it = probe_v6(s, addr, 0, s->split6[0], proto, port);
    if (it == NO_ITEM && pk_bit(s->wide6, pk_be32(addr) >> 16))
        it = probe_v6(s, addr, s->split6[0], s->split6[1], proto, port);
    if (it == NO_ITEM)
        it = probe_v6(s, addr, s->split6[1], s->nlens6, proto, port);
    return it;
}

void pk_istore_prefetch_addr(const pk_istore *s, int family, const uint8_t *addr) {
    if (!s || !addr)
        return;
    if (family == 4 && s->v4.n) {
        uint32_t pos = pk_itab_first(&s->v4, pk_hash_u32(pk_be32(addr)));
        pk_prefetch(&s->v4.slots[pos]);
    } else if (family == 6 && s->v6.n) {
        uint32_t pos = pk_itab_first(&s->v6, (uint32_t)(pk_v6_hash(addr, 128) >> 32));
        pk_prefetch(&s->v6.slots[pos]);
    }
}

const pk_indicator *pk_istore_match_addr(const pk_istore *s, int family,
                                         const uint8_t *addr, uint8_t proto,
                                         uint16_t port, pk_ind_view *out) {
    if (!s || !addr)
        return NULL;
    if (family == 4)
        return found(s, match_v4(s, addr, proto, port), out);
    if (family == 6)
        return found(s, match_v6(s, addr, proto, port), out);
    return NULL;
}

/* ---- names and exact strings ---------------------------------------------------------- */

/* h: pk_str_hash(cls, v, n). */
static uint32_t find_str_hashed(const pk_istore *s, int cls, const char *v, size_t n,
                                uint64_t h, unsigned types, uint8_t proto,
                                uint16_t port) {
    uint32_t pos = pk_itab_first(&s->strs, (uint32_t)(h >> 32));
    const pk_islot *sl;
    while ((sl = pk_itab_next_match(&s->strs, (uint32_t)h, &pos))) {
        uint32_t first = first_item(s, sl->ref);
        const char *text = pk_item_text(s, first);
        if (pk_str_class(pk_item_meta(s, first)->type) == cls &&
            strnlen(text, n + 1) == n && memcmp(text, v, n) == 0)
            return pick(s, sl->ref, types, proto, port);
    }
    return NO_ITEM;
}

static uint32_t find_str(const pk_istore *s, int cls, const char *v, size_t n,
                         unsigned types, uint8_t proto, uint16_t port) {
    if (s->strs.n == 0)
        return NO_ITEM;
    return find_str_hashed(s, cls, v, n, pk_str_hash(cls, v, n), types, proto, port);
}

/* The indicator types a field is matched against (bit per pk_ind_type). */
static unsigned field_types(pk_field field) {
    unsigned domain = 1u << PK_IND_DOMAIN;
    switch (field) {
    case PK_FIELD_IP_SRC: case PK_FIELD_IP_DST:
        return 1u << PK_IND_IPV4 | 1u << PK_IND_IPV6 | 1u << PK_IND_CIDR;
    case PK_FIELD_DNS_QUERY: return domain;
    case PK_FIELD_TLS_SNI: return domain | 1u << PK_IND_SNI;
    case PK_FIELD_HTTP_HOST: return domain | 1u << PK_IND_HTTP_HOST;
    case PK_FIELD_HTTP_URL: return 1u << PK_IND_URL;
    case PK_FIELD_TLS_JA3: return 1u << PK_IND_JA3;
    case PK_FIELD_TLS_JA4: return 1u << PK_IND_JA4;
    default: return 0;
    }
}

static unsigned name_types(pk_field field) {
    return field_types(field) & (1u << PK_IND_DOMAIN | 1u << PK_IND_SNI | 1u << PK_IND_HTTP_HOST);
}

bool pk_istore_may_match(const pk_istore *s, pk_field field) {
    return s && (s->types & field_types(field)) != 0;
}

/* Drops a ":port" (Host headers carry one) and a trailing dot. */
static size_t trim_name(const char *name, size_t len) {
    size_t i = len;
    while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
        i--;
    if (i > 0 && i < len && name[i - 1] == ':' && !memchr(name, ':', i - 1))
        len = i - 1;
    if (len > 0 && name[len - 1] == '.')
        len--;
    return len;
}

#define NAME_BUF 256
#define NAME_AHEAD 8   /* parent domains whose slots are fetched at once */

/* A name lower-cased, with the offset of each of its dots. */
typedef struct name_buf {
    char s[NAME_BUF];
    uint8_t dots[NAME_BUF];
    size_t n, ndots;
} name_buf;

/* The name, then each parent domain (most specific first), among the
 * string keys, skipping label counts no name indicator has. The slots of
 * up to NAME_AHEAD of them are prefetched before any is probed: the probes
 * of one name would otherwise be cache misses one after another. */
static const pk_indicator *match_suffixes(const pk_istore *s, const name_buf *b,
                                          unsigned types, uint8_t proto,
                                          uint16_t port, pk_ind_view *out) {
    size_t n = b->n, d = 0;
    unsigned labels = pk_labels_of_dots(b->ndots);
    size_t off = 0;
    for (bool more = n > 0; more;) {
        size_t offs[NAME_AHEAD];
        uint64_t hashes[NAME_AHEAD];
        int k = 0;
        while (k < NAME_AHEAD && more) {
            if (labels >= 31 || (s->name_labels >> labels & 1u)) {
                offs[k] = off;
                hashes[k] = pk_str_hash(SC_NAME, b->s + off, n - off);
                pk_prefetch(&s->strs.slots[pk_itab_first(&s->strs,
                                                     (uint32_t)(hashes[k] >> 32))]);
                k++;
            }
            more = d < b->ndots && (size_t)b->dots[d] + 1 < n;
            if (more) {
                off = (size_t)b->dots[d++] + 1;
                labels -= labels < 31 ? 1 : 0;
            }
        }
        for (int i = 0; i < k; i++) {
            uint32_t it = find_str_hashed(s, SC_NAME, b->s + offs[i], n - offs[i],
                                          hashes[i], types, proto, port);
            if (it != NO_ITEM)
                return found(s, it, out);
        }
    }
    return NULL;
}

/* Lower-cases the 8 bytes of name at i into b (a byte at a time: a high
 * bit per byte, no carry between bytes) and notes the dots among them,
 * except the first skip (already noted). */
static void name_word(name_buf *b, const char *name, size_t i, unsigned skip) {
    uint64_t x = pk_load_le64(name + i);
    pk_store_le64(b->s + i, pk_swar_lower(x));
    uint64_t dots = pk_swar_equal(x, '.') & ~0ull << 8 * skip;
    for (; dots; dots &= dots - 1)
        b->dots[b->ndots++] = (uint8_t)(i + (unsigned)__builtin_ctzll(dots) / 8);
}

/* Lower-cases n bytes of name into b, noting where the dots are: 8 bytes
 * at a time, the last 8 overlapping the ones before; a name shorter than 8
 * goes through a zero-padded copy (zeros are neither letters nor dots). */
static void name_copy(name_buf *b, const char *name, size_t n) {
    b->n = n;
    b->ndots = 0;
    if (n < 8) {
        char w[8] = {0};
        memcpy(w, name, n);
        name_word(b, w, 0, 0);
        return;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        name_word(b, name, i, 0);
    if (i < n)
        name_word(b, name, n - 8, (unsigned)(8 - (n - i)));
}

const pk_indicator *pk_istore_match_name(const pk_istore *s, pk_field field,
                                         const char *name, size_t len,
                                         uint8_t proto, uint16_t port,
                                         pk_ind_view *out) {
    unsigned types = name_types(field);
    if (!s || !name || !types)
        return NULL;
    len = trim_name(name, len);
    size_t start = 0;
    if (len >= NAME_BUF) {            /* keep whole labels that fit */
        const char *dot = memchr(name + len - (NAME_BUF - 1), '.', NAME_BUF - 1);
        if (!dot)
            return NULL;
        start = (size_t)(dot - name) + 1;
    }
    if (!s->strs.n)
        return NULL;
    name_buf b;
    name_copy(&b, name + start, len - start);
    return match_suffixes(s, &b, types, proto, port, out);
}

static uint32_t match_fingerprint(const pk_istore *s, int cls, const char *v,
                                  size_t len, size_t want, unsigned types,
                                  uint8_t proto, uint16_t port) {
    char buf[40];
    if (len != want)
        return NO_ITEM;
    for (size_t i = 0; i < len; i++)
        buf[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] + 32) : v[i];
    return find_str(s, cls, buf, len, types, proto, port);
}

const pk_indicator *pk_istore_match_exact(const pk_istore *s, pk_field field,
                                          const char *value, size_t len,
                                          uint8_t proto, uint16_t port,
                                          pk_ind_view *out) {
    if (!s || !value)
        return NULL;
    if (field == PK_FIELD_TLS_JA3)
        return found(s, match_fingerprint(s, SC_JA3, value, len, 32,
                                          1u << PK_IND_JA3, proto, port), out);
    if (field == PK_FIELD_TLS_JA4)
        return found(s, match_fingerprint(s, SC_JA4, value, len, 36,
                                          1u << PK_IND_JA4, proto, port), out);
    if (field != PK_FIELD_HTTP_URL || s->strs.n == 0)
        return NULL;
    char buf[PK_IND_VALUE_MAX + 1];
    int n = pk_url_normalize(value, len, buf, sizeof buf);
    return n < 0 ? NULL : found(s, find_str(s, SC_URL, buf, (size_t)n,
                                            1u << PK_IND_URL, proto, port), out);
}
