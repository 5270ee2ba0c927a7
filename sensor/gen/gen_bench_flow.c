/* gen_bench_flow.c - starting one bench flow: kind, packet budget, hosts,
 * request bytes, and (about one flow in a thousand) an indicator hit.
 *
 * Why it exists: budgets are drawn so that the flows add up to exactly the
 * requested packet count (each new flow aims at the average of what is
 * left); everything a flow needs is built once here, so the per-packet
 * path in gen_bench.c only copies and checksums.
 */
#include "gen_bench.h"

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_dns.h"
#include "gen_http.h"
#include "gen_plan.h"
#include "gen_session.h"

typedef struct flow_plan {
    uint8_t kind;
    uint64_t budget;
    int family;
    uint16_t sport;
    char name[GEN_NAME_MAX];      /* DNS query, SNI or Host name */
    char hosthdr[GEN_NAME_MAX + 8];
    const char *path;
    bool no_sni;
    const gen_shape *shape;
    const char *field;            /* hit: manifest field, else NULL */
    const char *observed;
    size_t ind;
    gen_addr server;
    bool server_set;
} flow_plan;

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void choose_kind(bench *b, flow_plan *fp)
{
    gen_rng *r = &b->c->rng;
    uint64_t F = b->flows_left, R = b->packets_left, maxb = R - (F - 1);
    double avg = (double)R / (double)F, x = gen_rng_unit(r);
    if (F == 1) {
        fp->kind = R >= 3 ? BK_TLS : BK_DNS;
        fp->budget = R;
        return;
    }
    if (avg < 4.0)
        fp->kind = x < 0.8 ? BK_DNS : BK_NTP;
    else
        fp->kind = x < 0.25 ? BK_DNS : x < 0.28 ? BK_NTP : x < 0.80 ? BK_TLS : BK_HTTP;
    if (fp->kind == BK_DNS || fp->kind == BK_NTP) {
        fp->budget = min_u64(2, maxb);
        return;
    }
    double mean = (avg - 0.56) / 0.72;
    double want = 7.0 + gen_rng_exp(r, mean > 8.0 ? mean - 7.0 : 1.0);
    fp->budget = min_u64((uint64_t)llround(want), maxb);
    if (fp->budget < 3) {
        fp->kind = BK_DNS;
        fp->budget = min_u64(2, maxb);
    }
}

int gen_bench_hits_init(bench *b)
{
    gen_ctx *c = b->c;
    gen_url u;
    b->hit_idx = malloc((c->inds.n ? c->inds.n : 1) * sizeof *b->hit_idx);
    if (!b->hit_idx)
        return -1;
    for (size_t i = 0; i < c->inds.n; i++) {
        const pk_indicator *ind = &c->inds.items[i];
        bool ok = true;
        if (ind->type == PK_IND_JA3 || ind->type == PK_IND_JA4)
            ok = gen_shape_find(c, ind->value, ind->type == PK_IND_JA4) >= 0;
        else if (ind->type == PK_IND_URL)
            ok = gen_url_split(ind->value, &u);
        else if (ind->type >= PK_IND__COUNT)
            ok = false;
        if (ok)
            b->hit_idx[b->nhits++] = i;
    }
    return 0;
}

static void hit_addr(bench *b, flow_plan *fp, const pk_indicator *ind)
{
    gen_rng *r = &b->c->rng;
    int fam = ind->family == 6 ? 6 : 4;
    gen_addr_in_prefix(&fp->server, fam, ind->addr,
                       ind->type == PK_IND_CIDR ? ind->prefix_len : (fam == 6 ? 128 : 32),
                       gen_rng_next(r), gen_rng_next(r));
    fp->server_set = true;
    fp->family = fam;
    fp->field = "ip.dst";
}

static void hit_name(bench *b, flow_plan *fp, const pk_indicator *ind)
{
    gen_name_variant(&b->c->rng, ind->value, fp->name, sizeof fp->name);
    if (ind->type == PK_IND_SNI)
        fp->kind = BK_TLS;
    else if (ind->type == PK_IND_HTTP_HOST)
        fp->kind = BK_HTTP;
    else if (fp->kind == BK_NTP)
        fp->kind = BK_DNS;
    fp->field = "name";           /* set from the final kind in name_field() */
    fp->observed = fp->name;
}

/* The kind may still change in fill_defaults (no clean TLS profile, a
 * guarded URL), so a name hit's field is decided last. */
static void name_field(flow_plan *fp)
{
    if (fp->field && strcmp(fp->field, "name") == 0)
        fp->field = fp->kind == BK_DNS ? "dns.query"
                    : fp->kind == BK_TLS ? "tls.sni" : "http.host";
}

static void hit_url(flow_plan *fp, const pk_indicator *ind)
{
    gen_url u;
    gen_url_split(ind->value, &u);
    fp->kind = BK_HTTP;
    fp->sport = u.port;
    snprintf(fp->hosthdr, sizeof fp->hosthdr, "%s", u.hosthdr);
    fp->path = u.path;
    if (gen_addr_parse(u.host, &fp->server) == 0) {
        fp->server_set = true;
        fp->family = fp->server.family;
    }
    fp->field = "http.url";
    fp->observed = ind->value;
}

static void hit_fp(bench *b, flow_plan *fp, const pk_indicator *ind)
{
    bool ja4 = ind->type == PK_IND_JA4;
    const gen_shape *sh = &b->c->shapes[gen_shape_find(b->c, ind->value, ja4)];
    fp->kind = BK_TLS;
    fp->shape = sh;
    fp->no_sni = !sh->sni;
    fp->field = ja4 ? "tls.ja4" : "tls.ja3";
    fp->observed = ja4 ? sh->fp.ja4 : sh->fp.ja3;
}

static void maybe_hit(bench *b, flow_plan *fp)
{
    gen_rng *r = &b->c->rng;
    uint64_t maxb = b->packets_left - (b->flows_left - 1);
    if (!b->nhits || !gen_rng_chance(r, GEN_BENCH_HIT_RATE) || maxb < 8)
        return;
    fp->ind = b->hit_idx[gen_rng_below(r, (uint32_t)b->nhits)];
    const pk_indicator *ind = &b->c->inds.items[fp->ind];
    switch (ind->type) {
    case PK_IND_IPV4: case PK_IND_IPV6: case PK_IND_CIDR: hit_addr(b, fp, ind); break;
    case PK_IND_URL: hit_url(fp, ind); break;
    case PK_IND_JA3: case PK_IND_JA4: hit_fp(b, fp, ind); break;
    default: hit_name(b, fp, ind); break;
    }
    if (fp->kind == BK_NTP)
        fp->kind = BK_TLS;
    if (fp->kind == BK_TLS || fp->kind == BK_HTTP)
        fp->budget = fp->budget < 8 ? 8 : fp->budget;
    else if (fp->budget < 1)
        fp->budget = 1;
    b->hits++;
}

static void random_client(bench *b, bench_slot *s, int family)
{
    static const uint8_t n4[4] = {10, 0, 0, 0};
    static const uint8_t n6[16] = {0xfd, 0x00, 0x5e, 0x71, 0x0c, 0x2a};
    gen_rng *r = &b->c->rng;
    memset(&s->cli, 0, sizeof s->cli);
    do {
        gen_addr_in_prefix(&s->cli.addr, family, family == 6 ? n6 : n4,
                           family == 6 ? 48 : 8, gen_rng_next(r), gen_rng_next(r));
    } while (gen_guard_addr(&b->c->guard, &s->cli.addr));
    gen_mac_for(&s->cli.addr, s->cli.mac);
    s->cli.os = gen_rng_chance(r, 0.55) ? GEN_OS_WINDOWS : GEN_OS_LINUX;
    s->cli.ttl = s->cli.os == GEN_OS_WINDOWS ? 128 : 64;
    s->cli.ip_id = (uint16_t)gen_rng_next(r);
}

/* A path that does not make Host + path a URL indicator; when every try
 * does, the flow becomes a DNS lookup instead. */
static const char *benign_path(gen_ctx *c, flow_plan *fp)
{
    char url[GEN_NAME_MAX + 80];
    for (int i = 0; i < 4; i++) {
        const char *path = gen_http_benign_path(&c->rng);
        snprintf(url, sizeof url, "%s%s", fp->hosthdr, path);
        if (fp->kind != BK_HTTP || !gen_guard_url(&c->guard, url))
            return path;
    }
    fp->kind = BK_DNS;
    return "/";
}

static void fill_defaults(bench *b, flow_plan *fp)
{
    gen_ctx *c = b->c;
    if (!fp->name[0] && !gen_ctx_benign_name(c, fp->name, sizeof fp->name))
        snprintf(fp->name, sizeof fp->name, "cdn.example.net");
    if (!fp->hosthdr[0])
        snprintf(fp->hosthdr, sizeof fp->hosthdr, "%s", fp->name);
    if (!fp->shape)
        fp->shape = gen_ctx_clean_shape(c);
    if (!fp->shape && fp->kind == BK_TLS)
        fp->kind = BK_HTTP;
    if (!fp->path)
        fp->path = benign_path(c, fp);
    if (!fp->sport)
        fp->sport = fp->kind == BK_DNS ? 53 : fp->kind == BK_NTP ? 123
                    : fp->kind == BK_HTTP ? 80 : 443;
    if (!fp->server_set)
        gen_ctx_server_addr(c, fp->family, false, &fp->server);
}

static void build_requests(bench *b, bench_slot *s, const flow_plan *fp)
{
    gen_rng *r = &b->c->rng;
    size_t n = 0, m = 0;
    uint16_t id = (uint16_t)gen_rng_next(r), qt = fp->family == 6 ? GEN_DNS_AAAA : GEN_DNS_A;
    switch (fp->kind) {
    case BK_DNS:
        n = gen_dns_query(s->req, GEN_BENCH_REQ, id, fp->name, qt, false, false);
        m = gen_dns_response(s->resp, GEN_BENCH_REQ, id, fp->name, qt, false,
                             &fp->server, 1, 300, false);
        break;
    case BK_NTP:
        n = gen_ntp_packet(s->req, 3, b->clock, r);
        m = gen_ntp_packet(s->resp, 4, b->clock, r);
        break;
    case BK_TLS:
        n = gen_tls_client_hello(s->req, GEN_BENCH_REQ, fp->shape->p,
                                 fp->no_sni ? NULL : fp->name, r);
        m = gen_tls_server_hello(s->resp, GEN_BENCH_REQ, fp->shape->p, r);
        break;
    default:
        n = gen_http_request(s->req, GEN_BENCH_REQ, "GET", fp->hosthdr, fp->path, r);
        m = gen_http_response_head(s->resp, GEN_BENCH_REQ, b->clock / 1000000);
        break;
    }
    s->req_len = (uint16_t)n;
    s->resp_len = (uint16_t)m;
}

static void plan_split(bench *b, bench_slot *s, bool hit)
{
    gen_rng *r = &b->c->rng;
    s->nsplit = 0;
    s->piece = 0;
    s->req_off = 0;
    if (hit || s->kind != BK_TLS || s->req_len < 8 || !gen_rng_chance(r, 0.1))
        return;
    s->nsplit = (uint8_t)gen_rng_range(r, 2, 3);
    uint16_t left = s->req_len;
    for (int i = 0; i < s->nsplit - 1; i++) {
        s->split[i] = (uint16_t)gen_rng_range(r, 1, left - (uint16_t)(s->nsplit - 1 - i));
        left = (uint16_t)(left - s->split[i]);
    }
    s->split[s->nsplit - 1] = left;
}

static void record_hit(bench *b, bench_slot *s, const flow_plan *fp)
{
    gen_tuple t;
    char obs[GEN_ADDR_STRLEN];
    memset(&t, 0, sizeof t);
    t.src = s->cli.addr;
    t.dst = s->srv.addr;
    t.sport = s->f.port[GEN_C2S];
    t.dport = s->f.port[GEN_S2C];
    t.proto = s->f.proto;
    const char *o = fp->observed;
    if (!o) {
        gen_addr_format(&s->srv.addr, obs, sizeof obs);
        o = obs;
    }
    gen_manifest_expect(&b->c->man, fp->ind, fp->field, o, &t, b->clock);
}

void gen_bench_flow_start(bench *b, bench_slot *s)
{
    gen_ctx *c = b->c;
    flow_plan fp;
    memset(&fp, 0, sizeof fp);
    choose_kind(b, &fp);
    fp.family = gen_ctx_family(c);
    maybe_hit(b, &fp);
    fill_defaults(b, &fp);
    name_field(&fp);
    random_client(b, s, fp.family);
    gen_ctx_remote(c, &fp.server, &s->srv);
    s->kind = fp.kind;
    s->budget = fp.budget;
    s->step = 0;
    s->phase = BP_SYN;
    s->srv_unacked = 0;
    s->first_data = true;
    s->shape = fp.shape;
    bool tcp = fp.kind == BK_TLS || fp.kind == BK_HTTP;
    uint16_t cport = (uint16_t)(s->cli.os == GEN_OS_WINDOWS ? gen_rng_range(&c->rng, 49152, 65535)
                                                           : gen_rng_range(&c->rng, 32768, 60999));
    gen_flow_init(&s->f, &c->em, tcp ? IPPROTO_TCP : IPPROTO_UDP, &s->cli, cport,
                  &s->srv, fp.sport, b->clock, 1000);
    build_requests(b, s, &fp);
    plan_split(b, s, fp.field != NULL);
    if (fp.field)
        record_hit(b, s, &fp);
    b->flows_left--;
    b->packets_left -= s->budget;
}
