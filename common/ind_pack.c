/* ind_pack.c - indicators packed for the match store (see ind_pack.h). */
#include "ind_pack.h"

#include <stdlib.h>
#include <string.h>

#include "bigalloc.h"
#include "strhash.h"

void pk_ind_pack_init(pk_ind_pack *p) { memset(p, 0, sizeof *p); }

void pk_ind_pack_free(pk_ind_pack *p) {
    free(p->recs);
    free(p->vals);
    free(p->metas);
    free(p->meta_slots);
    pk_arena_free(&p->strings);
    pk_ind_pack_init(p);
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap)
        return true;
    size_t ncap = *cap * 2 > need ? *cap * 2 : need;
    if (ncap < 64)
        ncap = 64;
    if (ncap > SIZE_MAX / elem)
        return false;
    void *a = pk_big_realloc(*arr, *cap * elem, ncap * elem);
    if (!a)
        return false;
    *arr = a;
    *cap = ncap;
    return true;
}

bool pk_ind_pack_reserve(pk_ind_pack *p, size_t more) {
    if (more > PK_PACK_MAX_ITEMS - p->n)
        return false;
    return grow((void **)&p->recs, &p->cap, p->n + more, sizeof *p->recs);
}

/* ---- preparing a value -------------------------------------------------------- */

static bool is_ip_type(int t) {
    return t == PK_IND_IPV4 || t == PK_IND_IPV6 || t == PK_IND_CIDR;
}

/* Quick test that a string value is already in normalised form. */
static bool looks_normal(const char *v) {
    size_t n = 0;
    for (; v[n]; n++) {
        char c = v[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-' || c == '_') || (c == '.' && v[n + 1] == '.'))
            return false;
    }
    return n > 0 && n <= 253 && v[0] != '.' && v[n - 1] != '.';
}

/* Copies ind into *out with a parsed address and a normalised value (in buf
 * when it had to change). false = cannot be indexed. */
static bool prepare(const pk_indicator *ind, pk_indicator *out, char *buf,
                    size_t cap) {
    *out = *ind;
    if (!ind->value || ind->type >= PK_IND__COUNT)
        return false;
    if (is_ip_type(ind->type) && (ind->family == 4 || ind->family == 6))
        return true;
    if (!is_ip_type(ind->type) && ind->type != PK_IND_URL && looks_normal(ind->value))
        return ind->type != PK_IND_JA3 || strlen(ind->value) == 32;
    return pk_ind_set_value(out, (pk_ind_type)ind->type, ind->value,
                            strlen(ind->value), buf, cap, NULL) == 0;
}

/* ---- shared metadata ------------------------------------------------------------ */

static bool str_eq(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static uint64_t str_mix(uint64_t h, const char *s) {
    return s ? pk_hash64(s, strlen(s), h) : h * 0x9e3779b97f4a7c15ull + 1;
}

static uint32_t meta_hash(const pk_indicator *m) {
    uint64_t h = (uint64_t)m->type | (uint64_t)m->family << 8 |
                 (uint64_t)m->prefix_len << 16 | (uint64_t)m->tlp << 24 |
                 (uint64_t)m->confidence << 32 | (uint64_t)m->proto << 40 |
                 (uint64_t)m->port << 48;
    h = pk_hash64(&m->expires, sizeof m->expires, h);
    h = str_mix(h, m->source);
    h = str_mix(h, m->partner);
    h = str_mix(h, m->id);
    h = str_mix(h, m->description);
    h = str_mix(h, m->share_with);
    h = str_mix(h, m->extra);
    return (uint32_t)(h ^ h >> 32);
}

static bool meta_eq(const pk_indicator *a, const pk_indicator *b) {
    return a->type == b->type && a->family == b->family &&
           a->prefix_len == b->prefix_len && a->tlp == b->tlp &&
           a->confidence == b->confidence && a->proto == b->proto &&
           a->port == b->port && a->expires == b->expires &&
           str_eq(a->source, b->source) && str_eq(a->partner, b->partner) &&
           str_eq(a->id, b->id) && str_eq(a->description, b->description) &&
           str_eq(a->share_with, b->share_with) && str_eq(a->extra, b->extra);
}

/* Copies *s into the arena (NULL stays NULL; NULL also when out of memory,
 * which the caller checks). */
static void copy_str(pk_arena *a, const char **s) {
    if (*s)
        *s = pk_arena_strndup(a, *s, strlen(*s));
}

static int rehash_metas(pk_ind_pack *p) {
    uint32_t cap = p->meta_mask ? (p->meta_mask + 1) * 2 : 64;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (uint32_t i = 0; i < p->nmetas; i++) {
        uint32_t k = meta_hash(&p->metas[i]) & (cap - 1);
        while (slots[k])
            k = (k + 1) & (cap - 1);
        slots[k] = i + 1;
    }
    free(p->meta_slots);
    p->meta_slots = slots;
    p->meta_mask = cap - 1;
    return 0;
}

/* Slot of the recent-metadata cache for m: by its numbers only, so a
 * file's indicators of one type and prefix length land on one slot. */
static uint32_t recent_slot(const pk_indicator *m) {
    uint32_t h = (uint32_t)m->type * 0x9e3779b1u ^ (uint32_t)m->prefix_len * 0x85ebca6bu ^
                 (uint32_t)m->family * 0xc2b2ae35u ^ (uint32_t)m->port * 0x27d4eb2fu ^
                 (uint32_t)m->proto ^ (uint32_t)m->tlp << 8 ^ (uint32_t)m->confidence << 16;
    return (h ^ h >> 15) % PK_PACK_RECENT;
}

/* Index of the metadata equal to m's, added when new; -1 out of memory.
 * The recent cache answers most calls with a few comparisons and no hash
 * of the strings. */
static int64_t meta_index(pk_ind_pack *p, const pk_indicator *m) {
    uint32_t r = recent_slot(m);
    if (p->recent[r] && meta_eq(&p->metas[p->recent[r] - 1], m))
        return p->recent[r] - 1;
    if ((p->nmetas + 1) * 2 > p->meta_mask + 1 && rehash_metas(p) < 0)
        return -1;
    uint32_t k = meta_hash(m) & p->meta_mask;
    for (; p->meta_slots[k]; k = (k + 1) & p->meta_mask)
        if (meta_eq(&p->metas[p->meta_slots[k] - 1], m)) {
            p->recent[r] = p->meta_slots[k];
            return p->meta_slots[k] - 1;
        }
    if (p->nmetas >= PK_PACK_MAX_ITEMS)
        return -1;
    size_t cap = p->metas_cap;
    if (!grow((void **)&p->metas, &cap, (size_t)p->nmetas + 1, sizeof *p->metas))
        return -1;
    p->metas_cap = (uint32_t)cap;
    pk_indicator c = *m;
    copy_str(&p->strings, &c.source);
    copy_str(&p->strings, &c.partner);
    copy_str(&p->strings, &c.id);
    copy_str(&p->strings, &c.description);
    copy_str(&p->strings, &c.share_with);
    copy_str(&p->strings, &c.extra);
    if ((m->source && !c.source) || (m->partner && !c.partner) ||
        (m->id && !c.id) || (m->description && !c.description) ||
        (m->share_with && !c.share_with) || (m->extra && !c.extra))
        return -1;
    p->metas[p->nmetas] = c;
    p->meta_slots[k] = p->nmetas + 1;
    p->recent[r] = p->nmetas + 1;
    return p->nmetas++;
}

/* ---- adding ---------------------------------------------------------------------- */

static int add_value(pk_ind_pack *p, const void *bytes, size_t n) {
    if (n > PK_PACK_MAX_VALS - p->vals_len ||
        !grow((void **)&p->vals, &p->vals_cap, p->vals_len + n, 1))
        return -1;
    memcpy(p->vals + p->vals_len, bytes, n);
    p->vals_len += n;
    return 0;
}

int pk_ind_pack_add(pk_ind_pack *p, const pk_indicator *ind) {
    char buf[PK_IND_VALUE_MAX + 1];
    pk_indicator it;
    if (!prepare(ind, &it, buf, sizeof buf))
        return 0;
    if (!pk_ind_pack_reserve(p, 1))
        return -1;
    size_t off = p->vals_len;
    int rc = is_ip_type(it.type)
        ? add_value(p, it.addr, it.family == 4 ? 4 : 16)
        : add_value(p, it.value, strlen(it.value) + 1);
    if (rc < 0)
        return -1;
    it.value = NULL;
    memset(it.addr, 0, sizeof it.addr);
    int64_t meta = meta_index(p, &it);
    if (meta < 0) {
        p->vals_len = off;
        return -1;
    }
    p->recs[p->n++] = (pk_ind_rec){(uint32_t)off, (uint32_t)meta};
    return 1;
}

void pk_ind_pack_trim(pk_ind_pack *p) {
    if (p->n && p->n < p->cap) {
        pk_ind_rec *r = pk_big_realloc(p->recs, p->cap * sizeof *r, p->n * sizeof *r);
        if (r) {
            p->recs = r;
            p->cap = p->n;
        }
    }
    if (p->vals_len && p->vals_len < p->vals_cap) {
        uint8_t *v = pk_big_realloc(p->vals, p->vals_cap, p->vals_len);
        if (v) {
            p->vals = v;
            p->vals_cap = p->vals_len;
        }
    }
}

size_t pk_ind_pack_bytes(const pk_ind_pack *p) {
    return p->cap * sizeof *p->recs + p->vals_cap +
           (size_t)p->metas_cap * sizeof *p->metas +
           (p->meta_mask ? (size_t)(p->meta_mask + 1) * sizeof *p->meta_slots : 0) +
           p->strings.used_bytes;
}

const pk_indicator *pk_ind_pack_get(const pk_ind_pack *p, size_t i,
                                    pk_ind_view *v) {
    v->ind = *pk_ind_pack_meta(p, i);
    v->item = (uint32_t)i;
    const uint8_t *val = pk_ind_pack_value(p, i);
    if (is_ip_type(v->ind.type)) {
        memcpy(v->ind.addr, val, v->ind.family == 4 ? 4 : 16);
        pk_ind_addr_text(&v->ind, v->text, sizeof v->text);
        v->ind.value = v->text;
    } else {
        v->text[0] = '\0';
        v->ind.value = (const char *)val;
    }
    return &v->ind;
}
