/* gen_guard.c - hash sets over the indicator list for picket-gen.
 *
 * Why it exists: see gen_guard.h. Open addressing with FNV-1a; keys point
 * into the indicator list or into the guard's own arena.
 */
#include "gen_guard.h"

#include <stdlib.h>
#include <string.h>

static uint32_t fnv1a(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static int set_init(gen_strset *s, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2 + 2)
        cap *= 2;
    s->keys = calloc(cap, sizeof *s->keys);
    s->lens = calloc(cap, sizeof *s->lens);
    s->cap = cap;
    s->n = 0;
    return s->keys && s->lens ? 0 : -1;
}

static void set_free(gen_strset *s)
{
    free(s->keys);
    free(s->lens);
    memset(s, 0, sizeof *s);
}

static bool set_has(const gen_strset *s, const char *k, size_t n)
{
    if (!s->cap)
        return false;
    size_t mask = s->cap - 1;
    for (size_t i = fnv1a(k, n) & mask; s->keys[i]; i = (i + 1) & mask)
        if (s->lens[i] == n && memcmp(s->keys[i], k, n) == 0)
            return true;
    return false;
}

/* Capacity is fixed at build time to twice the indicator count. */
static void set_add(gen_strset *s, const char *k, size_t n)
{
    if (set_has(s, k, n) || s->n + 1 >= s->cap)
        return;
    size_t mask = s->cap - 1, i = fnv1a(k, n) & mask;
    while (s->keys[i])
        i = (i + 1) & mask;
    s->keys[i] = k;
    s->lens[i] = (uint32_t)n;
    s->n++;
}

#define NETKEY_LEN 18

static void net_key(uint8_t key[NETKEY_LEN], int family, int plen,
                    const uint8_t *addr)
{
    memset(key, 0, NETKEY_LEN);
    key[0] = (uint8_t)family;
    key[1] = (uint8_t)plen;
    for (int b = 0; b < plen; b++)
        if ((addr[b / 8] >> (7 - b % 8)) & 1)
            key[2 + b / 8] |= (uint8_t)(1 << (7 - b % 8));
}

static void add_net(gen_guard *g, const pk_indicator *ind)
{
    int fam = ind->family == 6 ? 6 : 4;
    int plen = ind->prefix_len;
    if (ind->type == PK_IND_IPV4)
        plen = 32;
    else if (ind->type == PK_IND_IPV6)
        plen = 128;
    if (plen > (fam == 6 ? 128 : 32))
        return;
    uint8_t *key = pk_arena_alloc(&g->keys, NETKEY_LEN);
    if (!key)
        return;
    net_key(key, fam, plen, ind->addr);
    set_add(&g->nets, (const char *)key, NETKEY_LEN);
    g->plen[fam == 6][plen] = true;
}

static void add_one(gen_guard *g, const pk_indicator *ind)
{
    switch (ind->type) {
    case PK_IND_IPV4:
    case PK_IND_IPV6:
    case PK_IND_CIDR:
        add_net(g, ind);
        break;
    case PK_IND_DOMAIN:
    case PK_IND_SNI:
    case PK_IND_HTTP_HOST:
        set_add(&g->names, ind->value, strlen(ind->value));
        break;
    case PK_IND_URL:
        set_add(&g->urls, ind->value, strlen(ind->value));
        break;
    case PK_IND_JA3:
    case PK_IND_JA4:
        set_add(&g->fps, ind->value, strlen(ind->value));
        break;
    default:
        break;
    }
}

int gen_guard_build(gen_guard *g, const pk_ind_list *l)
{
    memset(g, 0, sizeof *g);
    if (set_init(&g->names, l->n) || set_init(&g->urls, l->n) ||
        set_init(&g->fps, l->n) || set_init(&g->nets, l->n)) {
        gen_guard_free(g);
        return -1;
    }
    for (size_t i = 0; i < l->n; i++)
        add_one(g, &l->items[i]);
    return 0;
}

void gen_guard_free(gen_guard *g)
{
    set_free(&g->names);
    set_free(&g->urls);
    set_free(&g->fps);
    set_free(&g->nets);
    pk_arena_free(&g->keys);
}

bool gen_guard_addr(const gen_guard *g, const gen_addr *a)
{
    int fam = a->family == 6 ? 6 : 4, max = fam == 6 ? 128 : 32;
    uint8_t key[NETKEY_LEN];
    for (int plen = 0; plen <= max; plen++) {
        if (!g->plen[fam == 6][plen])
            continue;
        net_key(key, fam, plen, a->a);
        if (set_has(&g->nets, (const char *)key, NETKEY_LEN))
            return true;
    }
    return false;
}

bool gen_guard_name(const gen_guard *g, const char *name)
{
    for (const char *s = name; s && *s;) {
        if (set_has(&g->names, s, strlen(s)))
            return true;
        s = strchr(s, '.');
        if (s)
            s++;
    }
    return false;
}

bool gen_guard_url(const gen_guard *g, const char *url)
{
    return set_has(&g->urls, url, strlen(url));
}

bool gen_guard_fp(const gen_guard *g, const char *fp)
{
    return set_has(&g->fps, fp, strlen(fp));
}
