/* indicator.c - the indicator record's storage, names and normalisation.
 *
 * Why it exists: every loader and the store share one arena for strings, one
 * growable list, one spelling of type and TLP names, and one definition of
 * what a normalised name and URL look like, so that a value loaded from any
 * format compares equal to the same value observed on the wire.
 */
#include "indicator.h"

#include <stdlib.h>

#include "bigalloc.h"
#include "swar.h"
#include <string.h>
#include <strings.h>

/* ---- arena ------------------------------------------------------------ */

struct pk_arena_chunk {
    pk_arena_chunk *next;
    size_t size, used;
    _Alignas(8) unsigned char data[];
};

#define ARENA_MIN_CHUNK (64u * 1024u)
#define ARENA_MAX_CHUNK (4u * 1024u * 1024u)   /* a huge-page block */

static pk_arena_chunk *arena_grow(pk_arena *a, size_t need) {
    size_t total = ARENA_MIN_CHUNK;
    if (a->head) {
        size_t last = a->head->size + sizeof *a->head;
        total = last * 2 <= ARENA_MAX_CHUNK ? last * 2 : ARENA_MAX_CHUNK;
    }
    if (total - sizeof *a->head < need)
        total = need + sizeof *a->head;
    pk_arena_chunk *c = pk_big_alloc(total);
    if (!c)
        return NULL;
    c->next = a->head;
    c->size = total - sizeof *c;
    c->used = 0;
    a->head = c;
    return c;
}

static void *arena_take(pk_arena *a, size_t n, size_t align) {
    pk_arena_chunk *c = a->head;
    size_t off = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || off > c->size || c->size - off < n) {
        c = arena_grow(a, n);
        if (!c)
            return NULL;
        off = 0;
    }
    c->used = off + n;
    a->used_bytes += n;
    return c->data + off;
}

void *pk_arena_alloc(pk_arena *a, size_t n) {
    void *p = arena_take(a, n ? n : 1, 8);
    if (p)
        memset(p, 0, n);
    return p;
}

const char *pk_arena_strndup(pk_arena *a, const char *s, size_t n) {
    char *p = arena_take(a, n + 1, 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void pk_arena_free(pk_arena *a) {
    pk_arena_chunk *c = a->head;
    while (c) {
        pk_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

/* ---- list ------------------------------------------------------------- */

void pk_ind_list_init(pk_ind_list *l) { memset(l, 0, sizeof *l); }

static bool copy_str(pk_ind_list *l, const char **field) {
    if (!*field)
        return true;
    *field = pk_arena_strndup(&l->strings, *field, strlen(*field));
    return *field != NULL;
}

/* Reuses the last copy of a metadata string when the new one is equal. */
static bool copy_recent(pk_ind_list *l, const char **field, int slot) {
    if (!*field)
        return true;
    const char *last = l->recent[slot];
    if (last && (last == *field || strcmp(last, *field) == 0)) {
        *field = last;
        return true;
    }
    if (!copy_str(l, field))
        return false;
    l->recent[slot] = *field;
    return true;
}

bool pk_ind_list_reserve(pk_ind_list *l, size_t more) {
    if (more <= l->cap - l->n)
        return true;
    size_t cap = l->cap * 2 > l->n + more ? l->cap * 2 : l->n + more;
    if (cap < 64)
        cap = 64;
    if (cap > SIZE_MAX / sizeof(pk_indicator))
        return false;
    pk_indicator *items = pk_big_realloc(l->items, l->n * sizeof *items,
                                         cap * sizeof *items);
    if (!items)
        return false;
    l->items = items;
    l->cap = cap;
    return true;
}

pk_indicator *pk_ind_list_add(pk_ind_list *l, const pk_indicator *ind) {
    if (!ind->value || !pk_ind_list_reserve(l, 1))
        return NULL;
    pk_indicator c = *ind;
    if (!copy_str(l, &c.value) || !copy_str(l, &c.id) ||
        !copy_recent(l, &c.source, 0) || !copy_recent(l, &c.partner, 1) ||
        !copy_recent(l, &c.description, 2) ||
        !copy_recent(l, &c.share_with, 3) || !copy_recent(l, &c.extra, 4))
        return NULL;
    l->items[l->n] = c;
    return &l->items[l->n++];
}

void pk_ind_list_free(pk_ind_list *l) {
    free(l->items);
    pk_arena_free(&l->strings);
    pk_ind_list_init(l);
}

/* ---- names -------------------------------------------------------------- */

static const char *const type_names[PK_IND__COUNT] = {
    [PK_IND_IPV4] = "ipv4",     [PK_IND_IPV6] = "ipv6",
    [PK_IND_CIDR] = "cidr",     [PK_IND_DOMAIN] = "domain",
    [PK_IND_SNI] = "sni",       [PK_IND_HTTP_HOST] = "http_host",
    [PK_IND_URL] = "url",       [PK_IND_JA3] = "ja3",
    [PK_IND_JA4] = "ja4",
};

const char *pk_ind_type_name(pk_ind_type t) {
    return (unsigned)t < PK_IND__COUNT ? type_names[t] : "unknown";
}

int pk_ind_type_parse(const char *s, size_t n) {
    for (int t = 0; t < PK_IND__COUNT; t++)
        if (strlen(type_names[t]) == n && strncasecmp(s, type_names[t], n) == 0)
            return t;
    return -1;
}

const char *pk_tlp_name(pk_tlp t) {
    switch (t) {
    case PK_TLP_CLEAR: return "clear";
    case PK_TLP_GREEN: return "green";
    case PK_TLP_AMBER: return "amber";
    case PK_TLP_AMBER_STRICT: return "amber+strict";
    case PK_TLP_RED: return "red";
    default: return NULL;
    }
}

int pk_tlp_parse(const char *s) {
    static const struct { const char *name; pk_tlp tlp; } names[] = {
        {"clear", PK_TLP_CLEAR}, {"white", PK_TLP_CLEAR},
        {"green", PK_TLP_GREEN}, {"amber", PK_TLP_AMBER},
        {"amber+strict", PK_TLP_AMBER_STRICT}, {"red", PK_TLP_RED},
    };
    if (!s)
        return -1;
    if (strncasecmp(s, "tlp:", 4) == 0)
        s += 4;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i].name) == 0)
            return (int)names[i].tlp;
    return -1;
}

/* ---- name and URL normalisation -------------------------------------------- */

static inline char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool name_char_ok(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

int pk_name_normalize(const char *in, size_t n, char *out, size_t outcap) {
    if (n > 0 && in[n - 1] == '.')
        n--;
    if (n == 0 || n > 253 || n >= outcap)
        return -1;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = lower(in[i]);
        if (c == '.') {
            if (label == 0)
                return -1;
            label = 0;
        } else if (!name_char_ok(c) || ++label > 63) {
            return -1;
        }
        out[i] = c;
    }
    if (label == 0)
        return -1;
    out[n] = '\0';
    return (int)n;
}

typedef struct url_out {
    char *p;
    size_t len, cap;
    bool ok;
} url_out;

static void url_put(url_out *o, const char *s, size_t n, bool to_lower) {
    if (!o->ok || n >= o->cap - o->len) {
        o->ok = false;
        return;
    }
    char *d = o->p + o->len;
    o->len += n;
    if (to_lower)
        pk_lower_copy(d, s, n);
    else
        memcpy(d, s, n);
}

/* Length of "scheme://" at the start of s, 0 when there is none. */
static size_t url_scheme_len(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && i < 32 &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
                       s[i] == '-' || s[i] == '.'))))
        i++;
    if (i == 0 || n - i < 3 || memcmp(s + i, "://", 3) != 0)
        return 0;
    return i + 3;
}

/* Scheme "http://" or "https://" in any case, given its length sl. Only
 * 'H' and 'h' give 'h' when bit 0x20 is set, and so on. */
static bool url_scheme_web(const char *s, size_t sl) {
    if (sl == 0)
        return true;
    uint32_t w, http;
    memcpy(&w, s, 4);
    memcpy(&http, "http", 4);
    if ((w | 0x20202020u) != http)
        return false;
    return sl == 7 || (sl == 8 && (s[4] | 0x20) == 's');
}

static bool url_bytes_ok_slow(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    return pk_utf8_valid(s, n);
}

/* No control bytes or spaces, valid UTF-8. Printable ASCII (most URLs) is
 * checked 8 bytes at a time. */
static bool url_bytes_ok(const char *s, size_t n) {
    return pk_all_printable(s, n) || url_bytes_ok_slow(s, n);
}

/* Length of the authority: up to the first '/', '?' or '#'. */
static size_t url_authority_len(const char *s, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = pk_load_le64(s + i);
        uint64_t end = pk_swar_equal(x, '/') | pk_swar_equal(x, '?') | pk_swar_equal(x, '#');
        if (end)
            return i + (unsigned)__builtin_ctzll(end) / 8;
    }
    while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
        i++;
    return i;
}

/* A host: a name or address of [A-Za-z0-9._-], or [IPv6], then an optional
 * ":port". Anything else (e.g. "https:" from a mangled scheme) is refused,
 * which keeps normalisation idempotent. */
static bool url_host_ok(const char *h, size_t n) {
    size_t i = 0;
    if (n > 0 && h[0] == '[') {
        while (i < n && h[i] != ']')
            i++;
        if (i == n || i < 3)
            return false;
        i++;
    } else {
        while (i < n && (name_char_ok(lower(h[i])) || h[i] == '.'))
            i++;
        if (i == 0)
            return false;
    }
    if (i == n)
        return true;
    if (h[i] != ':' || n - i < 2 || n - i > 6)
        return false;
    for (i++; i < n; i++)
        if (h[i] < '0' || h[i] > '9')
            return false;
    return true;
}

/* Host part of an authority: drops default ports and trailing dots until
 * neither is left ("a:80:80", "a.:80." both give "a"), so normalising the
 * result again strips nothing: normalisation stays idempotent. */
static size_t url_host_len(const char *a, size_t n) {
    const char *at = memrchr(a, '@', n);
    size_t start = at ? (size_t)(at - a) + 1 : 0;
    for (size_t before = n + 1; n != before;) {
        before = n;
        while (n > start && a[n - 1] == '.')
            n--;
        if (n - start >= 3 && memcmp(a + n - 3, ":80", 3) == 0)
            n -= 3;
        else if (n - start >= 4 && memcmp(a + n - 4, ":443", 4) == 0)
            n -= 4;
    }
    return n;
}

int pk_url_normalize(const char *in, size_t n, char *out, size_t outcap) {
    if (n == 0 || outcap == 0 || !url_bytes_ok(in, n))
        return -1;
    url_out o = {out, 0, outcap, true};
    size_t sl = url_scheme_len(in, n);
    if (!url_scheme_web(in, sl))
        url_put(&o, in, sl, true);
    in += sl;
    n -= sl;
    size_t alen = url_authority_len(in, n);
    size_t hlen = url_host_len(in, alen);
    const char *at = memrchr(in, '@', hlen);
    size_t ulen = at ? (size_t)(at - in) + 1 : 0;
    if (hlen <= ulen || !url_host_ok(in + ulen, hlen - ulen))
        return -1;
    url_put(&o, in, ulen, false);
    url_put(&o, in + ulen, hlen - ulen, true);
    in += alen;
    n -= alen;
    const char *frag = memchr(in, '#', n);
    if (frag)
        n = (size_t)(frag - in);
    if (n == 0 || in[0] != '/')
        url_put(&o, "/", 1, false);
    url_put(&o, in, n, false);
    if (!o.ok)
        return -1;
    out[o.len] = '\0';
    return (int)o.len;
}
