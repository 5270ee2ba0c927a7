/* gen_plan.c - the exercise planner: indicator sessions plus background.
 *
 * Why it exists: see gen_plan.h. Indicator scope (port, protocol) is
 * honoured: an exchange is only made when it fits the scope, and an
 * indicator left with none is listed as not exercisable with the reason.
 */
#include "gen_plan.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_background.h"
#include "gen_dns.h"
#include "gen_http.h"
#include "gen_session.h"

typedef struct plan {
    gen_ctx *c;
    size_t idx;
    const pk_indicator *ind;
    int64_t t;                /* story clock: next session starts here */
    int made;                 /* expectations recorded */
} plan;

static void sess_init(plan *p, gen_sess *s, gen_host *cli, gen_host *srv,
                      uint16_t sport)
{
    gen_ctx_sess(p->c, s, cli, srv, sport, p->t);
}

static void expect(plan *p, const gen_sess *s, uint8_t proto,
                   const char *field, const char *observed)
{
    gen_tuple t;
    gen_sess_tuple(s, proto, &t);
    gen_manifest_expect(&p->c->man, p->idx, field, observed, &t, s->start);
    p->made++;
}

/* Continue the story a little after end. */
static void then(plan *p, int64_t end)
{
    p->t = end + gen_rng_range(&p->c->rng, 2000, 60000);
}

static bool proto_ok(const pk_indicator *ind, uint8_t proto)
{
    return ind->proto == 0 || ind->proto == proto;
}

static bool port_ok(const pk_indicator *ind, uint16_t port)
{
    return ind->port == 0 || ind->port == port;
}

/* The TCP exchange an address indicator gets on port sport. */
static int64_t tcp_app(plan *p, const gen_sess *s, const char *iphost)
{
    gen_ctx *c = p->c;
    char name[GEN_NAME_MAX], host[GEN_NAME_MAX + 16];
    const gen_shape *sh = gen_ctx_clean_shape(c);
    if ((s->sport == 443 || s->sport == 8443) && sh &&
        gen_ctx_benign_name(c, name, sizeof name))
        return gen_sess_tls(s, sh->p, name, 0);
    if (s->sport == 53)
        return gen_sess_dns(s, "time.example.net", GEN_DNS_A, NULL, true);
    if (s->sport == 80)
        snprintf(host, sizeof host, "%s", iphost);
    else
        snprintf(host, sizeof host, "%s:%u", iphost, s->sport);
    return gen_sess_http(s, host, gen_rng_chance(&c->rng, 0.5) ? "/" : "/gate.php");
}

static void ip_literal(const gen_addr *a, char *out, size_t cap)
{
    char txt[GEN_ADDR_STRLEN];
    gen_addr_format(a, txt, sizeof txt);
    snprintf(out, cap, a->family == 6 ? "[%s]" : "%s", txt);
}

static void addr_outbound(plan *p, gen_host *remote, const char *obs)
{
    gen_ctx *c = p->c;
    gen_sess s;
    char lit[GEN_ADDR_STRLEN + 2];
    uint16_t port = p->ind->port ? p->ind->port
                                 : (gen_rng_chance(&c->rng, 0.5) ? 80 : 443);
    ip_literal(&remote->addr, lit, sizeof lit);
    sess_init(p, &s, gen_ctx_client(c, remote->addr.family), remote, port);
    expect(p, &s, IPPROTO_TCP, "ip.dst", obs);
    then(p, tcp_app(p, &s, lit));
}

static void addr_inbound(plan *p, gen_host *remote, const char *obs)
{
    gen_ctx *c = p->c;
    gen_sess s;
    gen_host home;
    char lit[GEN_ADDR_STRLEN + 2];
    gen_ctx_home_server(c, remote->addr.family, &home);
    ip_literal(&home.addr, lit, sizeof lit);
    sess_init(p, &s, remote, &home, p->ind->port ? p->ind->port : 80);
    expect(p, &s, IPPROTO_TCP, "ip.src", obs);
    then(p, tcp_app(p, &s, lit));
}

static void addr_udp(plan *p, gen_host *remote, const char *obs)
{
    gen_sess s;
    sess_init(p, &s, gen_ctx_client(p->c, remote->addr.family), remote,
              p->ind->port ? p->ind->port : 123);
    expect(p, &s, IPPROTO_UDP, "ip.dst", obs);
    then(p, gen_sess_udp(&s));
}

static void plan_addr(plan *p)
{
    gen_ctx *c = p->c;
    const pk_indicator *ind = p->ind;
    gen_addr a;
    gen_host remote;
    char obs[GEN_ADDR_STRLEN];
    int fam = ind->family == 6 ? 6 : 4;
    if (ind->type == PK_IND_CIDR)
        gen_addr_in_prefix(&a, fam, ind->addr, ind->prefix_len,
                           gen_rng_next(&c->rng), gen_rng_next(&c->rng));
    else
        gen_addr_in_prefix(&a, fam, ind->addr, fam == 6 ? 128 : 32, 0, 0);
    gen_addr_format(&a, obs, sizeof obs);
    gen_ctx_remote(c, &a, &remote);
    if (proto_ok(ind, IPPROTO_TCP)) {
        addr_outbound(p, &remote, obs);
        addr_inbound(p, &remote, obs);
    }
    if (proto_ok(ind, IPPROTO_UDP))
        addr_udp(p, &remote, obs);
}

typedef struct name_story {
    int family;
    gen_host *cli;
    gen_host server;
} name_story;

static void name_dns(plan *p, name_story *st, bool tcp)
{
    gen_sess s;
    char obs[GEN_NAME_MAX];
    gen_name_variant(&p->c->rng, p->ind->value, obs, sizeof obs);
    sess_init(p, &s, st->cli, &p->c->resolver[st->family == 6], 53);
    expect(p, &s, tcp ? IPPROTO_TCP : IPPROTO_UDP, "dns.query", obs);
    then(p, gen_sess_dns(&s, obs, st->family == 6 ? GEN_DNS_AAAA : GEN_DNS_A,
                         &st->server.addr, tcp));
}

static void name_tls(plan *p, name_story *st, uint16_t port)
{
    gen_ctx *c = p->c;
    gen_sess s;
    char obs[GEN_NAME_MAX];
    const gen_shape *sh = gen_ctx_clean_shape(c);
    const gen_profile *prof = sh ? sh->p : c->shapes[0].p;
    int split = gen_rng_chance(&c->rng, 0.35) ? (int)gen_rng_range(&c->rng, 2, 3) : 0;
    gen_name_variant(&c->rng, p->ind->value, obs, sizeof obs);
    sess_init(p, &s, st->cli, &st->server, port);
    expect(p, &s, IPPROTO_TCP, "tls.sni", obs);
    then(p, gen_sess_tls(&s, prof, obs, split));
}

static void name_http(plan *p, name_story *st, uint16_t port)
{
    gen_sess s;
    char obs[GEN_NAME_MAX], host[GEN_NAME_MAX + 8];
    gen_name_variant(&p->c->rng, p->ind->value, obs, sizeof obs);
    snprintf(host, sizeof host, port == 80 ? "%s" : "%s:%u", obs, port);
    sess_init(p, &s, st->cli, &st->server, port);
    expect(p, &s, IPPROTO_TCP, "http.host", obs);
    then(p, gen_sess_http(&s, host, gen_http_benign_path(&p->c->rng)));
}

static void plan_name(plan *p)
{
    gen_ctx *c = p->c;
    const pk_indicator *ind = p->ind;
    bool tcp = proto_ok(ind, IPPROTO_TCP);
    bool dom = ind->type == PK_IND_DOMAIN;
    name_story st;
    gen_addr srv;
    st.family = gen_ctx_family(c);
    st.cli = gen_ctx_client(c, st.family);
    gen_ctx_server_addr(c, st.family, true, &srv);
    gen_ctx_remote(c, &srv, &st.server);
    if (dom && port_ok(ind, 53) && proto_ok(ind, IPPROTO_UDP))
        name_dns(p, &st, false);
    if (dom && port_ok(ind, 53) && tcp &&
        (ind->proto == IPPROTO_TCP || gen_rng_chance(&c->rng, 0.35)))
        name_dns(p, &st, true);
    if ((dom || ind->type == PK_IND_SNI) && tcp && ind->port != 53 &&
        ind->port != 80)
        name_tls(p, &st, ind->port ? ind->port : 443);
    if ((dom || ind->type == PK_IND_HTTP_HOST) && tcp && ind->port != 53 &&
        ind->port != 443)
        name_http(p, &st, ind->port ? ind->port : 80);
}

static void plan_url(plan *p)
{
    gen_ctx *c = p->c;
    gen_url u;
    gen_addr a;
    gen_host srv;
    gen_sess s;
    if (!gen_url_split(p->ind->value, &u)) {
        gen_manifest_skip(&c->man, p->idx,
                          "URL has no host, or a path an HTTP request line cannot carry");
        return;
    }
    if (gen_addr_parse(u.host, &a) != 0)
        gen_ctx_server_addr(c, gen_ctx_family(c), true, &a);
    gen_ctx_remote(c, &a, &srv);
    sess_init(p, &s, gen_ctx_client(c, a.family), &srv,
              u.port != 80 ? u.port : (p->ind->port ? p->ind->port : 80));
    expect(p, &s, IPPROTO_TCP, "http.url", p->ind->value);
    then(p, gen_sess_http(&s, u.hosthdr, u.path));
}

static void plan_fingerprint(plan *p, bool ja4)
{
    gen_ctx *c = p->c;
    int k = gen_shape_find(c, p->ind->value, ja4);
    char name[GEN_NAME_MAX], why[200];
    if (k < 0) {
        snprintf(why, sizeof why, "no built-in client profile has this %s "
                 "(a hash cannot be inverted; see picket-gen --list-profiles)",
                 ja4 ? "JA4" : "JA3");
        gen_manifest_skip(&c->man, p->idx, why);
        return;
    }
    const gen_shape *sh = &c->shapes[k];
    if (sh->sni && !gen_ctx_benign_name(c, name, sizeof name))
        snprintf(name, sizeof name, "cdn.example.net");
    int fam = gen_ctx_family(c);
    gen_addr a;
    gen_host srv;
    gen_sess s;
    gen_ctx_server_addr(c, fam, true, &a);
    gen_ctx_remote(c, &a, &srv);
    sess_init(p, &s, gen_ctx_client(c, fam), &srv, p->ind->port ? p->ind->port : 443);
    expect(p, &s, IPPROTO_TCP, ja4 ? "tls.ja4" : "tls.ja3", ja4 ? sh->fp.ja4 : sh->fp.ja3);
    then(p, gen_sess_tls(&s, sh->p, sh->sni ? name : NULL,
                         gen_rng_chance(&c->rng, 0.3) ? 2 : 0));
}

static void plan_indicator(gen_ctx *c, size_t idx)
{
    plan p = {c, idx, &c->inds.items[idx], gen_ctx_next_start(c), 0};
    switch (p.ind->type) {
    case PK_IND_IPV4:
    case PK_IND_IPV6:
    case PK_IND_CIDR: plan_addr(&p); break;
    case PK_IND_DOMAIN:
    case PK_IND_SNI:
    case PK_IND_HTTP_HOST: plan_name(&p); break;
    case PK_IND_URL: plan_url(&p); return;
    case PK_IND_JA3: plan_fingerprint(&p, false); return;
    case PK_IND_JA4: plan_fingerprint(&p, true); return;
    default:
        gen_manifest_skip(&c->man, idx, "indicator type picket-gen does not know");
        return;
    }
    if (!p.made)
        gen_manifest_skip(&c->man, idx, "its port/protocol scope leaves no "
                          "exchange that can carry this field");
}

/* Jobs: indicator index, or SIZE_MAX for one background session. */
static size_t *make_jobs(gen_ctx *c, const size_t *dup, size_t *njobs)
{
    size_t n = 0, total = c->inds.n + c->opt->background;
    size_t *jobs = malloc((total ? total : 1) * sizeof *jobs);
    if (!jobs)
        return NULL;
    for (size_t i = 0; i < c->inds.n; i++)
        if (dup[i] == SIZE_MAX)
            jobs[n++] = i;
    for (uint32_t i = 0; i < c->opt->background; i++)
        jobs[n++] = SIZE_MAX;
    for (size_t i = n; i > 1; i--) {               /* Fisher-Yates */
        size_t j = gen_rng_below(&c->rng, (uint32_t)i);
        size_t t = jobs[i - 1];
        jobs[i - 1] = jobs[j];
        jobs[j] = t;
    }
    *njobs = n;
    return jobs;
}

void gen_plan_exercise(gen_ctx *c)
{
    size_t *dup = gen_plan_duplicates(&c->inds), njobs = 0;
    size_t *jobs = dup ? make_jobs(c, dup, &njobs) : NULL;
    if (!jobs) {
        c->man.failed = true;
        free(dup);
        return;
    }
    for (size_t i = 0; i < njobs; i++) {
        if (jobs[i] == SIZE_MAX)
            gen_bg_session(c);
        else
            plan_indicator(c, jobs[i]);
    }
    for (size_t i = 0; i < c->inds.n; i++)
        if (dup[i] != SIZE_MAX)
            gen_manifest_alias(&c->man, dup[i], i);
    free(jobs);
    free(dup);
}
