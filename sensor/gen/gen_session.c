/* gen_session.c - whole application exchanges on top of gen_flows.
 *
 * Why it exists: see gen_session.h. Payload sizes, think times and server
 * processing delays are drawn from the run's random source so every
 * session looks a little different but stays reproducible.
 */
#include "gen_session.h"

#include <netinet/in.h>
#include <string.h>

#include "gen_dns.h"
#include "gen_http.h"

void gen_sess_tuple(const gen_sess *s, uint8_t proto, gen_tuple *t)
{
    memset(t, 0, sizeof *t);
    t->src = s->cli->addr;
    t->dst = s->srv->addr;
    t->sport = s->cport;
    t->dport = s->sport;
    t->proto = proto;
}

static void open_flow(const gen_sess *s, gen_flow *f, uint8_t proto)
{
    gen_flow_init(f, s->em, proto, s->cli, s->cport, s->srv, s->sport,
                  s->start, s->rtt);
}

static void random_answer(gen_rng *r, uint16_t qtype, gen_addr *a)
{
    static const uint8_t n4[4] = {198, 18, 0, 0};
    static const uint8_t n6[16] = {0x20, 0x01, 0x00, 0x02};
    if (qtype == GEN_DNS_AAAA)
        gen_addr_in_prefix(a, 6, n6, 49, gen_rng_next(r), gen_rng_next(r));
    else
        gen_addr_in_prefix(a, 4, n4, 16, gen_rng_next(r), gen_rng_next(r));
}

int64_t gen_sess_dns(const gen_sess *s, const char *name, uint16_t qtype,
                     const gen_addr *ans, bool tcp)
{
    gen_rng *r = s->em->rng;
    gen_flow f;
    gen_addr one;
    uint16_t id = (uint16_t)gen_rng_next(r);
    bool edns = gen_rng_chance(r, 0.6);
    if (!ans || ans->family != (qtype == GEN_DNS_AAAA ? 6 : 4)) {
        random_answer(r, qtype, &one);
        ans = &one;
    }
    size_t q = gen_dns_query(s->buf, s->cap, id, name, qtype, edns, tcp);
    size_t a = gen_dns_response(s->buf2, s->cap, id, name, qtype, edns, ans, 1,
                                gen_rng_range(r, 30, 3600), tcp);
    open_flow(s, &f, tcp ? IPPROTO_TCP : IPPROTO_UDP);
    if (!tcp) {
        gen_udp_send(&f, GEN_C2S, s->buf, q);
        gen_udp_send(&f, GEN_S2C, s->buf2, a);
        return f.ts;
    }
    gen_tcp_open(&f);
    gen_tcp_send(&f, GEN_C2S, s->buf, q, 0, true);
    gen_tcp_send(&f, GEN_S2C, s->buf2, a, 0, false);
    gen_tcp_close(&f, GEN_C2S);
    return f.ts;
}

int64_t gen_sess_tls(const gen_sess *s, const gen_profile *p, const char *sni,
                     int nsplit)
{
    gen_rng *r = s->em->rng;
    gen_flow f;
    open_flow(s, &f, IPPROTO_TCP);
    gen_tcp_open(&f);
    size_t n = gen_tls_client_hello(s->buf, s->cap, p, sni, r);
    gen_tcp_send(&f, GEN_C2S, s->buf, n, nsplit, true);
    gen_flow_wait(&f, gen_rng_range(r, 200, 3000));           /* server work */
    n = gen_tls_server_flight(s->buf2, s->cap, p, r);
    gen_tcp_send(&f, GEN_S2C, s->buf2, n, 0, true);
    size_t fin = gen_tls_client_finish(s->buf, s->cap, p, r);
    size_t req = gen_tls_app_data(s->buf + fin, s->cap - fin,
                                  gen_rng_range(r, 80, 700), r);
    gen_tcp_send(&f, GEN_C2S, s->buf, fin + req, 0, true);
    gen_flow_wait(&f, gen_rng_range(r, 500, 20000));
    n = gen_tls_app_data(s->buf2, s->cap, gen_rng_range(r, 300, 24000), r);
    gen_tcp_send(&f, GEN_S2C, s->buf2, n, 0, false);
    gen_flow_wait(&f, gen_rng_range(r, 1000, 400000));        /* idle */
    gen_tcp_close(&f, gen_rng_chance(r, 0.7) ? GEN_C2S : GEN_S2C);
    return f.ts;
}

int64_t gen_sess_http(const gen_sess *s, const char *host, const char *path)
{
    gen_rng *r = s->em->rng;
    gen_flow f;
    open_flow(s, &f, IPPROTO_TCP);
    gen_tcp_open(&f);
    size_t n = gen_http_request(s->buf, s->cap, "GET", host, path, r);
    gen_tcp_send(&f, GEN_C2S, s->buf, n, 0, true);
    gen_flow_wait(&f, gen_rng_range(r, 300, 30000));
    n = gen_http_response(s->buf2, s->cap, 200, gen_rng_range(r, 120, 18000),
                          f.ts / 1000000, r);
    gen_tcp_send(&f, GEN_S2C, s->buf2, n, 0, false);
    gen_flow_wait(&f, gen_rng_range(r, 1000, 300000));
    gen_tcp_close(&f, GEN_C2S);
    return f.ts;
}

size_t gen_ntp_packet(uint8_t *b, int mode, int64_t now_usec, gen_rng *r)
{
    memset(b, 0, 48);
    b[0] = (uint8_t)((4 << 3) | mode);          /* LI 0, version 4 */
    if (mode == 4) {
        b[1] = 2;                                /* stratum */
        b[2] = 3;
        b[3] = 0xe9;                             /* precision -23 */
        b[12] = 198; b[13] = 18; b[14] = 0; b[15] = 1;   /* reference id */
    }
    uint64_t secs = (uint64_t)(now_usec / 1000000) + 2208988800ULL;
    uint32_t frac = (uint32_t)(((uint64_t)(now_usec % 1000000) << 32) / 1000000);
    for (int i = 0; i < 4; i++) {
        b[40 + i] = (uint8_t)(secs >> (24 - 8 * i));
        b[44 + i] = (uint8_t)(frac >> (24 - 8 * i));
    }
    if (mode == 4) {
        memcpy(b + 16, b + 40, 8);              /* reference timestamp */
        memcpy(b + 32, b + 40, 8);              /* receive timestamp */
        gen_rng_fill(r, b + 24, 8);             /* originate: client's */
    }
    return 48;
}

int64_t gen_sess_ntp(const gen_sess *s)
{
    gen_flow f;
    open_flow(s, &f, IPPROTO_UDP);
    size_t n = gen_ntp_packet(s->buf, 3, s->start, s->em->rng);
    gen_udp_send(&f, GEN_C2S, s->buf, n);
    n = gen_ntp_packet(s->buf2, 4, f.ts + s->rtt, s->em->rng);
    gen_udp_send(&f, GEN_S2C, s->buf2, n);
    return f.ts;
}

int64_t gen_sess_udp(const gen_sess *s)
{
    if (s->sport == 53)
        return gen_sess_dns(s, "time.example.net", GEN_DNS_A, NULL, false);
    if (s->sport == 123)
        return gen_sess_ntp(s);
    gen_rng *r = s->em->rng;
    gen_flow f;
    open_flow(s, &f, IPPROTO_UDP);
    for (int i = 0; i < 2; i++) {
        size_t n = gen_rng_range(r, 40, 400);
        gen_rng_fill(r, s->buf, n);
        gen_udp_send(&f, i ? GEN_S2C : GEN_C2S, s->buf, n);
    }
    return f.ts;
}
