/* gen_background.c - benign sessions for picket-gen's exercise mode.
 *
 * Why it exists: see gen_background.h. The mix leans on DNS then TLS, as
 * on an office network, with some plain HTTP, NTP and DNS over TCP, and
 * some ClientHellos split over two or three segments.
 */
#include "gen_background.h"

#include <stdio.h>
#include <string.h>

#include "gen_dns.h"
#include "gen_http.h"
#include "gen_session.h"

enum bg_kind { BG_DNS_TLS, BG_DNS_HTTP, BG_DNS, BG_TLS, BG_HTTP, BG_NTP,
               BG_DNS_TCP, BG_KINDS };

static const uint32_t bg_weight[BG_KINDS] = {35, 15, 15, 10, 8, 7, 5};

typedef struct bg {
    gen_ctx *c;
    int family;
    gen_host *cli;
    gen_host server;
    char name[GEN_NAME_MAX];
    int64_t t;
} bg;

static enum bg_kind pick_kind(gen_rng *r)
{
    uint32_t x = gen_rng_below(r, 95);
    for (int k = 0; k < BG_KINDS; k++) {
        if (x < bg_weight[k])
            return (enum bg_kind)k;
        x -= bg_weight[k];
    }
    return BG_DNS_TLS;
}

static void sess_init(bg *b, gen_sess *s, gen_host *srv, uint16_t port)
{
    gen_ctx_sess(b->c, s, b->cli, srv, port, b->t);
}

static void then(bg *b, int64_t end)
{
    b->t = end + gen_rng_range(&b->c->rng, 1000, 80000);
}

static void bg_dns(bg *b, bool tcp)
{
    gen_sess s;
    sess_init(b, &s, &b->c->resolver[b->family == 6], 53);
    then(b, gen_sess_dns(&s, b->name, b->family == 6 ? GEN_DNS_AAAA : GEN_DNS_A,
                         &b->server.addr, tcp));
}

static void bg_tls(bg *b)
{
    gen_ctx *c = b->c;
    const gen_shape *sh = gen_ctx_clean_shape(c);
    gen_sess s;
    if (!sh)
        return;
    int split = gen_rng_chance(&c->rng, 0.15) ? (int)gen_rng_range(&c->rng, 2, 3) : 0;
    sess_init(b, &s, &b->server, 443);
    then(b, gen_sess_tls(&s, sh->p, b->name, split));
}

static void bg_http(bg *b)
{
    gen_ctx *c = b->c;
    gen_sess s;
    char url[GEN_NAME_MAX + 64];
    const char *path = gen_http_benign_path(&c->rng);
    snprintf(url, sizeof url, "%s%s", b->name, path);
    if (gen_guard_url(&c->guard, url))
        return;
    sess_init(b, &s, &b->server, 80);
    then(b, gen_sess_http(&s, b->name, path));
}

static void bg_ntp(bg *b)
{
    gen_sess s;
    sess_init(b, &s, &b->c->resolver[b->family == 6], 123);
    then(b, gen_sess_ntp(&s));
}

void gen_bg_session(gen_ctx *c)
{
    bg b;
    gen_addr a;
    memset(&b, 0, sizeof b);
    b.c = c;
    b.family = gen_ctx_family(c);
    b.cli = gen_ctx_client(c, b.family);
    b.t = gen_ctx_next_start(c);
    gen_ctx_server_addr(c, b.family, false, &a);
    gen_ctx_remote(c, &a, &b.server);
    enum bg_kind k = pick_kind(&c->rng);
    if (!gen_ctx_benign_name(c, b.name, sizeof b.name))
        k = BG_NTP;
    switch (k) {
    case BG_DNS_TLS: bg_dns(&b, false); bg_tls(&b); break;
    case BG_DNS_HTTP: bg_dns(&b, false); bg_http(&b); break;
    case BG_DNS: bg_dns(&b, false); break;
    case BG_TLS: bg_tls(&b); break;
    case BG_HTTP: bg_http(&b); break;
    case BG_NTP: bg_ntp(&b); break;
    default: bg_dns(&b, true); break;
    }
}
