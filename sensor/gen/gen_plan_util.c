/* gen_plan_util.c - small helpers shared by the exercise and bench planners.
 *
 * Why it exists: both planners split URLs into Host and path, vary names
 * into subdomains, find a profile by fingerprint and skip duplicate
 * indicators; one copy of each keeps them in agreement.
 */
#include "gen_plan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


typedef struct dup_key {
    const pk_indicator *ind;
    size_t idx;
} dup_key;

static int dup_cmp(const void *a, const void *b)
{
    const dup_key *x = a, *y = b;
    if (x->ind->type != y->ind->type)
        return x->ind->type < y->ind->type ? -1 : 1;
    int c = strcmp(x->ind->value, y->ind->value);
    if (c)
        return c;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

size_t *gen_plan_duplicates(const pk_ind_list *l)
{
    size_t *dup = malloc((l->n ? l->n : 1) * sizeof *dup);
    dup_key *k = malloc((l->n ? l->n : 1) * sizeof *k);
    if (!dup || !k) {
        free(dup);
        free(k);
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++) {
        dup[i] = SIZE_MAX;
        k[i].ind = &l->items[i];
        k[i].idx = i;
    }
    qsort(k, l->n, sizeof *k, dup_cmp);
    for (size_t i = 1; i < l->n; i++)
        if (k[i].ind->type == k[i - 1].ind->type &&
            strcmp(k[i].ind->value, k[i - 1].ind->value) == 0)
            dup[k[i].idx] = dup[k[i - 1].idx] != SIZE_MAX ? dup[k[i - 1].idx]
                                                           : k[i - 1].idx;
    free(k);
    return dup;
}

static bool split_port(const char *p, size_t n, uint16_t *port)
{
    unsigned long v = 0;
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

bool gen_url_split(const char *url, gen_url *out)
{
    const char *slash = strchr(url, '/');
    size_t hl = slash ? (size_t)(slash - url) : strlen(url);
    memset(out, 0, sizeof *out);
    out->port = 80;
    out->path = slash ? slash : "/";
    if (hl == 0 || hl >= sizeof out->hosthdr)
        return false;
    memcpy(out->hosthdr, url, hl);
    const char *h = url, *end = url + hl, *colon = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', hl);
        if (!rb)
            return false;
        snprintf(out->host, sizeof out->host, "%.*s", (int)(rb - h - 1), h + 1);
        if (rb + 1 < end && rb[1] == ':')
            colon = rb + 1;
        else if (rb + 1 != end)
            return false;
    } else {
        colon = memchr(h, ':', hl);
        size_t n = colon ? (size_t)(colon - h) : hl;
        snprintf(out->host, sizeof out->host, "%.*s", (int)n, h);
    }
    if (colon && !split_port(colon + 1, (size_t)(end - colon - 1), &out->port))
        return false;
    for (const char *p = out->path; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return false;
    return out->host[0] != 0;
}

void gen_name_variant(gen_rng *r, const char *name, char *out, size_t cap)
{
    static const char *const labels[] = {"www", "cdn", "api", "update",
                                         "login", "static", "m", "mail"};
    size_t n = strlen(name);
    if (gen_rng_chance(r, 0.45) || n + 8 > 253) {
        snprintf(out, cap, "%s", name);
        return;
    }
    snprintf(out, cap, "%s.%s", GEN_PICK(r, labels), name);
}

int gen_shape_find(const gen_ctx *c, const char *value, bool ja4)
{
    for (size_t i = 0; i < c->nshapes; i++) {
        const char *fp = ja4 ? c->shapes[i].fp.ja4 : c->shapes[i].fp.ja3;
        if (strcasecmp(fp, value) == 0)
            return (int)i;
    }
    return -1;
}
