/* ind_push.c - releasability, set serialisation and per-partner frames
 * (see ind_push.h).
 *
 * Why it exists: a partner's set is computed once per version and then
 * copied, as finished frames, to each of its sensors. Cutting happens at
 * line boundaries with the exact size each line takes once escaped into
 * the JSON string "data", so every frame stays within the limit without
 * encoding a frame twice.
 */
#include "ind_push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ind_jsonl.h"
#include "wire.h"

#define PUSH_ENVELOPE_MAX 192   /* the message around "data", generously */

/* ---- releasability ---------------------------------------------------------- */

static bool in_list(const char *list, const char *partner) {
    size_t pn = strlen(partner);
    for (const char *s = list;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (n == pn && memcmp(s, partner, n) == 0)
            return true;
        if (!comma)
            return false;
        s = comma + 1;
    }
}

bool pk_ind_releasable(const pk_indicator *ind, const char *partner) {
    bool known = partner && *partner;
    if (known && ind->partner && strcmp(ind->partner, partner) == 0)
        return true;
    if (ind->tlp == PK_TLP_RED)
        return false;
    if (ind->share_with)
        return known && in_list(ind->share_with, partner);
    return true;
}

/* ---- versions --------------------------------------------------------------- */

static void hex16(const unsigned char *sum, char out[PK_PUSH_VERSION_LEN + 1]) {
    for (int i = 0; i < PK_PUSH_VERSION_LEN / 2; i++)
        snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

void pk_push_version(const char *data, size_t len, char out[PK_PUSH_VERSION_LEN + 1]) {
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!EVP_Digest(data ? data : "", len, sum, &n, EVP_sha256(), NULL) || n < 8)
        memset(sum, 0, 8);
    hex16(sum, out);
}

/* ---- the whole set ------------------------------------------------------------ */

static bool grow(pk_push_lines *pl, size_t *cap, size_t need) {
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 65536;
    while (ncap < need)
        ncap *= 2;
    char *p = realloc(pl->text, ncap);
    if (!p)
        return false;
    pl->text = p;
    *cap = ncap;
    return true;
}

/* Appends item i's line and "\n" (nothing when it cannot be written). */
static bool add_line(pk_push_lines *pl, size_t *cap, const pk_indicator *ind) {
    size_t room = *cap - pl->len;
    size_t n = pk_ind_jsonl_write(ind, pl->text + pl->len, room);
    if (n >= room && n > 0) {
        if (!grow(pl, cap, pl->len + n + 2))
            return false;
        n = pk_ind_jsonl_write(ind, pl->text + pl->len, *cap - pl->len);
    }
    if (n == 0) {
        pl->unwritable++;
        return true;
    }
    if (!grow(pl, cap, pl->len + n + 2))
        return false;
    pl->len += n;
    pl->text[pl->len++] = '\n';
    return true;
}

int pk_push_lines_build(pk_push_lines *pl, const pk_ind_list *list) {
    memset(pl, 0, sizeof *pl);
    pl->list = list;
    pl->n = list->n;
    size_t cap = 0;
    pl->off = malloc((list->n + 1) * sizeof *pl->off);
    if (!pl->off || !grow(pl, &cap, 65536))
        goto oom;
    for (size_t i = 0; i < list->n; i++) {
        pl->off[i] = pl->len;
        if (!add_line(pl, &cap, &list->items[i]))
            goto oom;
    }
    pl->off[list->n] = pl->len;
    pk_push_version(pl->text, pl->len, pl->version);
    return 0;
oom:
    pk_push_lines_free(pl);
    return -1;
}

void pk_push_lines_free(pk_push_lines *pl) {
    free(pl->text);
    free(pl->off);
    memset(pl, 0, sizeof *pl);
}

/* ---- one partner's frames -------------------------------------------------------- */

/* Bytes s takes inside a JSON string as jansson reads it back. */
static size_t escaped_len(const char *s, size_t n) {
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
            out += 2;
        else
            out += c < 0x20 ? 6 : 1;
    }
    return out;
}

static char *escape_into(char *p, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            *p++ = '\\';
            *p++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    return p;
}

/* The cut: frame k holds the selected lines of items [first[k], first[k+1])
 * taking esc[k] escaped bytes. */
typedef struct plan {
    size_t first[PK_PUSH_MAX_PARTS + 1];
    size_t esc[PK_PUSH_MAX_PARTS];
    size_t nframes;
} plan;

static bool line_of(const pk_push_lines *pl, size_t i, const char *partner,
                    const char **s, size_t *n) {
    *s = pl->text + pl->off[i];
    *n = pl->off[i + 1] - pl->off[i];
    return *n > 0 && pk_ind_releasable(&pl->list->items[i], partner);
}

/* Pass 1: what goes in which frame, the count and the version. */
static bool make_plan(const pk_push_lines *pl, const char *partner, size_t budget,
                      plan *pn, pk_push_set *set, EVP_MD_CTX *md) {
    pn->nframes = 1;
    pn->first[0] = 0;
    pn->esc[0] = 0;
    for (size_t i = 0; i < pl->n; i++) {
        const char *s;
        size_t n;
        if (!line_of(pl, i, partner, &s, &n))
            continue;
        size_t e = escaped_len(s, n);
        if (e > budget) {
            set->too_long++;
            continue;
        }
        if (pn->esc[pn->nframes - 1] + e > budget) {
            if (pn->nframes == PK_PUSH_MAX_PARTS)
                return false;
            pn->first[pn->nframes] = i;
            pn->esc[pn->nframes++] = 0;
        }
        pn->esc[pn->nframes - 1] += e;
        set->count++;
        set->data_len += n;
        EVP_DigestUpdate(md, s, n);
    }
    pn->first[pn->nframes] = pl->n;
    return true;
}

/* Pass 2: frame k, header included. */
static bool write_frame(const pk_push_lines *pl, const char *partner, size_t budget,
                        const plan *pn, size_t k, pk_push_set *set) {
    char head[PUSH_ENVELOPE_MAX];
    int hn = pn->nframes == 1
        ? snprintf(head, sizeof head, "{\"type\":\"indicators\",\"version\":\"%s\","
                   "\"format\":\"" PK_JSONL_FORMAT "\",\"data\":\"", set->version)
        : snprintf(head, sizeof head, "{\"type\":\"indicators\",\"version\":\"%s\","
                   "\"format\":\"" PK_JSONL_FORMAT "\",\"part\":%zu,\"parts\":%zu,"
                   "\"data\":\"", set->version, k + 1, pn->nframes);
    size_t payload = (size_t)hn + pn->esc[k] + 2;
    uint8_t *buf = malloc(4 + payload);
    if (!buf)
        return false;
    pk_wire_frame_header((uint32_t)payload, buf);
    char *p = (char *)buf + 4;
    memcpy(p, head, (size_t)hn);
    p += hn;
    for (size_t i = pn->first[k]; i < pn->first[k + 1]; i++) {
        const char *s;
        size_t n;
        if (line_of(pl, i, partner, &s, &n) && escaped_len(s, n) <= budget)
            p = escape_into(p, s, n);
    }
    memcpy(p, "\"}", 2);
    set->frames[k] = (pk_push_frame){buf, 4 + payload};
    set->bytes += 4 + payload;
    return true;
}

pk_push_set *pk_push_set_build(const pk_push_lines *pl, const char *partner,
                               uint32_t frame_limit) {
    if (frame_limit <= 2 * PUSH_ENVELOPE_MAX)
        return NULL;
    size_t budget = frame_limit - PUSH_ENVELOPE_MAX;
    pk_push_set *set = calloc(1, sizeof *set);
    plan *pn = malloc(sizeof *pn);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned sumlen = 0;
    bool ok = set && pn && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
              make_plan(pl, partner, budget, pn, set, md) &&
              EVP_DigestFinal_ex(md, sum, &sumlen) && sumlen >= 8 &&
              (set->frames = calloc(pn->nframes, sizeof *set->frames));
    if (ok) {
        hex16(sum, set->version);
        set->nframes = pn->nframes;
        for (size_t k = 0; ok && k < pn->nframes; k++)
            ok = write_frame(pl, partner, budget, pn, k, set);
    }
    EVP_MD_CTX_free(md);
    free(pn);
    if (!ok) {
        pk_push_set_free(set);
        return NULL;
    }
    return set;
}

void pk_push_set_free(pk_push_set *s) {
    if (!s)
        return;
    for (size_t k = 0; k < s->nframes; k++)
        free(s->frames[k].buf);
    free(s->frames);
    free(s);
}
