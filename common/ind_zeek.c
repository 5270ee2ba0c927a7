/* ind_zeek.c - reads Zeek intel framework files (TSV with a #fields header).
 *
 * Why it exists: Zeek intel files are the most common way partners running
 * Zeek share indicators. Columns are named by the #fields line, so the meta
 * columns we understand are found by name and every other column is kept as
 * JSON in the indicator's extra field instead of being lost.
 */
#include "ind_load_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ZEEK_MAX_COLS 64

enum { C_SOURCE, C_DESC, C_CIF_CONF, C_CONF, C_TLP, C_PARTNER, C_SHARE,
       C_EXPIRES, C_PORT, C_PROTO, C__COUNT };

static const char *const known_cols[C__COUNT] = {
    "meta.source", "meta.desc", "meta.cif_confidence", "meta.confidence",
    "meta.tlp", "meta.partner", "meta.share_with", "meta.expires",
    "meta.port", "meta.proto",
};

typedef struct zfield {
    const char *s;
    size_t n;
} zfield;

typedef struct zeek_cols {
    int n;                        /* 0 until a #fields line was read */
    int ind, type;
    int known[C__COUNT];          /* column index or -1 */
    zfield name[ZEEK_MAX_COLS];
    bool extra[ZEEK_MAX_COLS];    /* kept in the indicator's extra JSON */
    char sep;
} zeek_cols;

/* Splits s on sep into at most max fields; returns the true count. */
static int split(const char *s, size_t n, char sep, zfield *f, int max) {
    int k = 0;
    for (;;) {
        const char *p = memchr(s, sep, n);
        size_t len = p ? (size_t)(p - s) : n;
        if (k < max)
            f[k] = (zfield){s, len};
        k++;
        if (!p)
            return k;
        s += len + 1;
        n -= len + 1;
    }
}

static bool field_is(const zfield *f, const char *name) {
    return strlen(name) == f->n && strncasecmp(f->s, name, f->n) == 0;
}

/* "-" is unset and "(empty)" an empty set in Zeek's TSV. */
static bool field_empty(zfield *f) {
    pk_ld_trim(&f->s, &f->n);
    return f->n == 0 || field_is(f, "-") || field_is(f, "(empty)");
}

/* ---- header ------------------------------------------------------------------ */

static void name_column(zeek_cols *z, int col, zfield name) {
    pk_ld_trim(&name.s, &name.n);
    z->name[col] = name;
    if (field_is(&name, "indicator"))
        z->ind = col;
    else if (field_is(&name, "indicator_type"))
        z->type = col;
    for (int j = 0; j < C__COUNT; j++)
        if (field_is(&name, known_cols[j]))
            z->known[j] = col;
}

static int read_header(pk_ldctx *c, zeek_cols *z, uint32_t no, const char *s,
                       size_t n) {
    zfield f[ZEEK_MAX_COLS + 1];
    int k = split(s, n, z->sep, f, ZEEK_MAX_COLS + 1);
    z->n = 0;
    if (k - 1 > ZEEK_MAX_COLS)
        return pk_ld_fatal(c, "line %u: more than %d columns", no, ZEEK_MAX_COLS);
    z->ind = z->type = -1;
    for (int j = 0; j < C__COUNT; j++)
        z->known[j] = -1;
    for (int i = 1; i < k; i++)
        name_column(z, i - 1, f[i]);
    if (z->ind < 0 || z->type < 0)
        return pk_ld_fatal(c, "line %u: #fields needs TAB-separated indicator "
                              "and indicator_type columns", no);
    z->n = k - 1;
    for (int col = 0; col < z->n; col++)
        z->extra[col] = col != z->ind && col != z->type;
    for (int j = 0; j < C__COUNT; j++)
        if (z->known[j] >= 0)
            z->extra[z->known[j]] = false;
    return 0;
}

/* "#separator \x09" */
static void read_separator(zeek_cols *z, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const char *p = s + 10;
    size_t left = n - 10;
    pk_ld_trim(&p, &left);
    if (left != 4 || p[0] != '\\' || (p[1] != 'x' && p[1] != 'X'))
        return;
    const char *hi = strchr(hex, p[2] | 0x20), *lo = strchr(hex, p[3] | 0x20);
    if (!hi || !lo || !*hi || !*lo)
        return;
    char sep = (char)((hi - hex) * 16 + (lo - hex));
    if (sep != '\n' && sep != '\r' && sep != '\0' && sep != '#')
        z->sep = sep;
}

/* ---- metadata ------------------------------------------------------------------ */

typedef struct zrec {
    pk_ldctx *c;
    const zeek_cols *z;
    pk_scratch *sc;
    uint32_t no;
    zfield *f;
} zrec;

static zfield *known(const zrec *r, int which) {
    int col = r->z->known[which];
    if (col < 0 || field_empty(&r->f[col]))
        return NULL;
    return &r->f[col];
}

static int bad_meta(const zrec *r, int which, const char *what) {
    char ex[64];
    zfield *f = &r->f[r->z->known[which]];
    pk_ld_excerpt(ex, sizeof ex, f->s, f->n);
    pk_ld_issue(r->c, r->no, "%s %s '%s'", known_cols[which], what, ex);
    return -1;
}

static int meta_label(const zrec *r, int which, const char **out) {
    zfield *f = known(r, which);
    if (!f)
        return 0;
    if (f->n > PK_LOAD_MAX_LABEL)
        return bad_meta(r, which, "too long");
    *out = pk_scratch_text(r->sc, f->s, f->n, PK_LOAD_MAX_LABEL);
    return 0;
}

static int parse_uint(const zfield *f, unsigned max, unsigned *out) {
    unsigned v = 0;
    if (f->n == 0 || f->n > 5)
        return -1;
    for (size_t i = 0; i < f->n; i++) {
        if (f->s[i] < '0' || f->s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(f->s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_proto(const zfield *f, unsigned *out) {
    static const struct { const char *name; unsigned num; } names[] = {
        {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmp6", 58},
        {"ipv6-icmp", 58}, {"sctp", 132},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (field_is(f, names[i].name)) {
            *out = names[i].num;
            return 0;
        }
    return parse_uint(f, 255, out);
}

static int meta_numbers(const zrec *r, pk_indicator *ind) {
    zfield *f = known(r, C_CONF) ? known(r, C_CONF) : known(r, C_CIF_CONF);
    int which = known(r, C_CONF) ? C_CONF : C_CIF_CONF;
    if (f && pk_ld_parse_confidence(f->s, f->n, &ind->confidence) < 0)
        return bad_meta(r, which, "is not a number 0-100:");
    if ((f = known(r, C_EXPIRES)) && pk_ld_parse_time(f->s, f->n, &ind->expires) < 0)
        return bad_meta(r, C_EXPIRES, "is not a time:");
    unsigned v;
    if ((f = known(r, C_PORT))) {
        if (parse_uint(f, 65535, &v) < 0)
            return bad_meta(r, C_PORT, "is not a port:");
        ind->port = (uint16_t)v;
    }
    if ((f = known(r, C_PROTO))) {
        if (parse_proto(f, &v) < 0)
            return bad_meta(r, C_PROTO, "is not a protocol:");
        ind->proto = (uint8_t)v;
    }
    return 0;
}

static int meta_tlp(const zrec *r, pk_indicator *ind) {
    zfield *f = known(r, C_TLP);
    char buf[32];
    if (!f)
        return 0;
    if (f->n >= sizeof buf)
        return bad_meta(r, C_TLP, "is not a TLP level:");
    memcpy(buf, f->s, f->n);
    buf[f->n] = '\0';
    int t = pk_tlp_parse(buf);
    if (t < 0)
        return bad_meta(r, C_TLP, "is not a TLP level:");
    ind->tlp = (uint8_t)t;
    return 0;
}

static bool has_extra(const zrec *r) {
    for (int col = 0; col < r->z->n; col++)
        if (r->z->extra[col] && !field_empty(&r->f[col]))
            return true;
    return false;
}

/* Every other non-empty column, as {"name without meta.": "value"}. */
static const char *meta_extra(const zrec *r) {
    if (!has_extra(r))
        return NULL;
    json_t *o = json_object();
    for (int col = 0; o && col < r->z->n; col++) {
        zfield key = r->z->name[col];
        if (!r->z->extra[col] || field_empty(&r->f[col]) || key.n == 0)
            continue;
        if (key.n > 5 && strncasecmp(key.s, "meta.", 5) == 0) {
            key.s += 5;
            key.n -= 5;
        }
        json_object_setn_new(o, key.s, key.n, json_stringn(r->f[col].s, r->f[col].n));
    }
    const char *out = NULL;
    pk_scratch *sc = r->sc;
    size_t room = sc->cap - sc->used;
    if (o && json_object_size(o) > 0) {
        size_t len = json_dumpb(o, sc->buf + sc->used, room, JSON_COMPACT);
        if (len > 0 && len < room) {
            out = sc->buf + sc->used;
            sc->buf[sc->used + len] = '\0';
            sc->used += len + 1;
        }
    }
    json_decref(o);
    return out;
}

static int read_meta(const zrec *r, pk_indicator *ind) {
    zfield *f;
    if (meta_label(r, C_SOURCE, &ind->source) < 0 ||
        meta_label(r, C_PARTNER, &ind->partner) < 0 ||
        meta_numbers(r, ind) < 0 || meta_tlp(r, ind) < 0)
        return -1;
    if ((f = known(r, C_DESC)))
        ind->description = pk_scratch_text(r->sc, f->s, f->n, PK_LOAD_MAX_DESC);
    if ((f = known(r, C_SHARE)))
        ind->share_with = pk_scratch_share(r->sc, f->s, f->n);
    ind->extra = meta_extra(r);
    return 0;
}

/* ---- records -------------------------------------------------------------------- */

/* Intel::* type -> pk type; -2 = known to Zeek but not matchable here. */
static int zeek_type(const zfield *t) {
    static const struct { const char *name; int type; } types[] = {
        {"Intel::ADDR", PK_IND_IPV4}, {"Intel::SUBNET", PK_IND_CIDR},
        {"Intel::DOMAIN", PK_IND_DOMAIN}, {"Intel::URL", PK_IND_URL},
        {"Intel::SOFTWARE", -2}, {"Intel::EMAIL", -2},
        {"Intel::USER_NAME", -2}, {"Intel::CERT_HASH", -2},
        {"Intel::PUBKEY_HASH", -2}, {"Intel::FILE_HASH", -2},
        {"Intel::FILE_NAME", -2},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (field_is(t, types[i].name))
            return types[i].type;
    return -1;
}

static int record_value(const zrec *r, pk_indicator *ind, char *buf, size_t cap) {
    zfield *t = &r->f[r->z->type], *v = &r->f[r->z->ind];
    char ex[64];
    int type = zeek_type(t);
    if (type < 0)
        pk_ld_excerpt(ex, sizeof ex, t->s, t->n);
    if (type == -2) {
        pk_ld_unsupported(r->c, r->no, "unsupported indicator type %s", ex);
        return -1;
    }
    if (type < 0) {
        pk_ld_issue(r->c, r->no, "unknown indicator type '%s'", ex);
        return -1;
    }
    if (field_empty(v)) {
        pk_ld_issue(r->c, r->no, "empty indicator");
        return -1;
    }
    const char *why;
    if (pk_ind_set_value(ind, (pk_ind_type)type, v->s, v->n, buf, cap, &why) < 0) {
        pk_ld_excerpt(ex, sizeof ex, v->s, v->n);
        pk_ld_issue(r->c, r->no, "%s: '%s'", why, ex);
        return -1;
    }
    return 0;
}

static int read_record(pk_ldctx *c, const zeek_cols *z, pk_scratch *sc,
                       uint32_t no, const char *s, size_t n) {
    zfield f[ZEEK_MAX_COLS];
    int k = split(s, n, z->sep, f, ZEEK_MAX_COLS);
    if (z->n == 0) {
        pk_ld_issue(c, no, "record before the #fields header");
        return 0;
    }
    if (k != z->n) {
        pk_ld_issue(c, no, "expected %d columns, found %d", z->n, k);
        return 0;
    }
    zrec r = {c, z, sc, no, f};
    char buf[PK_IND_VALUE_MAX + 1];
    pk_indicator ind = {.confidence = PK_CONFIDENCE_UNSET};
    sc->used = 0;
    if (record_value(&r, &ind, buf, sizeof buf) < 0 || read_meta(&r, &ind) < 0)
        return 0;
    return pk_ld_emit(c, &ind) < 0 ? -1 : 0;
}

typedef struct zeek_state {
    zeek_cols z;
    pk_scratch sc;
} zeek_state;

#define ZEEK_SCRATCH (4 * PK_LOAD_MAX_LINE + 256)

static int zeek_begin(pk_ldctx *c, void *state) {
    zeek_state *st = state;
    st->z.sep = '\t';
    st->sc = (pk_scratch){malloc(ZEEK_SCRATCH), 0, ZEEK_SCRATCH};
    return st->sc.buf ? 0 : pk_ld_fatal(c, "out of memory");
}

static void zeek_end(void *state) {
    free(((zeek_state *)state)->sc.buf);
}

static int zeek_line(pk_ldctx *c, void *state, uint32_t no, const char *s,
                     size_t n) {
    zeek_state *st = state;
    const char *t = s;
    size_t tn = n;
    pk_ld_trim(&t, &tn);
    if (tn == 0)
        return 0;
    if (n > 10 && memcmp(s, "#separator", 10) == 0) {
        read_separator(&st->z, s, n);
        return 0;
    }
    if (n > 7 && memcmp(s, "#fields", 7) == 0)
        return read_header(c, &st->z, no, s, n);
    if (s[0] == '#' || !pk_ld_line_ok(c, no, s, n))
        return 0;
    return read_record(c, &st->z, &st->sc, no, s, n);
}

const pk_line_format pk_zeek_format = {sizeof(zeek_state), zeek_begin,
                                       zeek_line, zeek_end};
