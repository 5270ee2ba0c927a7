/* app.c - protocol recognition and parsing per flow direction (see app.h).
 *
 * TCP: the stream module hands over the contiguous first bytes of a
 * direction; the first parser that recognises them owns the direction.
 * A TLS direction is done after its ClientHello; HTTP and DNS-over-TCP
 * directions go on message after message (bodies are skipped unread) up to
 * PK_APP_MAX_MESSAGES. UDP: every datagram on a DNS port is parsed, and
 * elsewhere a datagram is read as DNS only when it is a plausible query;
 * the first long-header datagrams of a UDP direction are tried as QUIC v1
 * Initials (decrypted with the keys derived from the connection id) and
 * their ClientHello is matched like a TLS one.
 */
#include "app.h"

#include <string.h>

#include "detect.h"
#include "proto_dns.h"
#include "proto_http.h"
#include "proto_quic.h"
#include "proto_tls.h"

#define PK_APP_MAX_MESSAGES 64   /* per direction: HTTP requests, DNS messages */
#define PK_APP_MAX_QUIC_TRIES 4  /* long-header datagrams tried per direction */

typedef struct app_ctx {
    pk_sensor *s;
    pk_flow *f;
    const pk_packet *p;
    pk_stream *st;
} app_ctx;

static bool is_dns_port(uint16_t port) {
    return port == 53 || port == 5353 || port == 5355;
}

static void observe_dns(app_ctx *c, const pk_dns_query *q) {
    if (q->is_response) return;
    for (int i = 0; i < q->nquestions; i++)
        if (q->q[i].name_len)
            pk_detect_value(c->s, c->f, c->p, PK_FIELD_DNS_QUERY, q->q[i].name,
                            q->q[i].name_len);
}

static void observe_tls(app_ctx *c, const pk_tls_hello *h) {
    if (h->has_sni && h->sni_len)
        pk_detect_value(c->s, c->f, c->p, PK_FIELD_TLS_SNI, h->sni, h->sni_len);
    pk_detect_value(c->s, c->f, c->p, PK_FIELD_TLS_JA3, h->ja3, strlen(h->ja3));
    pk_detect_value(c->s, c->f, c->p, PK_FIELD_TLS_JA4, h->ja4, strlen(h->ja4));
}

static void observe_http(app_ctx *c, const pk_http_request *r) {
    if (r->has_host && r->host_len)
        pk_detect_value(c->s, c->f, c->p, PK_FIELD_HTTP_HOST, r->host, r->host_len);
    if (r->url_len)
        pk_detect_value(c->s, c->f, c->p, PK_FIELD_HTTP_URL, r->url, r->url_len);
}

/* Bytes one HTTP request takes in the stream; a chunked body cannot be
 * stepped over without reading it, so the direction ends there. */
static size_t http_consumed(const pk_http_request *r, bool *done) {
    if (r->chunked) {
        *done = true;
        return 0;
    }
    uint64_t total = (uint64_t)r->header_len + r->content_length;
    if (total > UINT32_MAX) {
        *done = true;
        return 0;
    }
    return (size_t)total;
}

static size_t parse_tls(app_ctx *c, const uint8_t *d, size_t n, bool *done) {
    pk_tls_hello h;
    pk_parse_result r = pk_tls_parse_stream(d, n, &h, &c->s->tls);
    if (r == PK_PARSE_NEED_MORE) return 0;
    if (r == PK_PARSE_OK) observe_tls(c, &h);
    *done = true;
    return 0;
}

static size_t parse_http(app_ctx *c, const uint8_t *d, size_t n, bool *done) {
    pk_http_request req;
    pk_parse_result r = pk_http_parse_request(d, n, &req, &c->s->http);
    if (r == PK_PARSE_NEED_MORE) return 0;
    if (r != PK_PARSE_OK) {
        *done = true;
        return 0;
    }
    observe_http(c, &req);
    if (++c->st->app_msgs >= PK_APP_MAX_MESSAGES) {
        *done = true;
        return 0;
    }
    return http_consumed(&req, done);
}

static size_t parse_dns_tcp(app_ctx *c, const uint8_t *d, size_t n, bool *done) {
    pk_dns_query q;
    pk_parse_result r = pk_dns_parse_tcp(d, n, &q, &c->s->dns);
    if (r == PK_PARSE_NEED_MORE) return 0;
    if (r != PK_PARSE_OK || ++c->st->app_msgs >= PK_APP_MAX_MESSAGES) {
        if (r == PK_PARSE_OK) observe_dns(c, &q);
        *done = true;
        return 0;
    }
    observe_dns(c, &q);
    return 2 + (size_t)((d[0] << 8) | d[1]);
}

/* Decides what a direction carries from its first bytes. */
static uint8_t recognise(app_ctx *c, const uint8_t *d, size_t n, bool *wait) {
    pk_tls_hello h;
    pk_http_request req;
    *wait = false;
    pk_parse_result t = pk_tls_parse_stream(d, n < 6 ? n : 6, &h, &c->s->tls);
    if (t != PK_PARSE_NOT_MINE) return PK_APP_TLS;
    pk_parse_result r = pk_http_parse_request(d, n < 8 ? n : 8, &req, &c->s->http);
    if (r != PK_PARSE_NOT_MINE) return PK_APP_HTTP;
    if (is_dns_port(c->p->sport) || is_dns_port(c->p->dport)) return PK_APP_DNS_TCP;
    if (n < 8) *wait = true;
    return PK_APP_UNKNOWN;
}

static size_t stream_consumer(void *ctx, const uint8_t *d, size_t n, bool *done) {
    app_ctx *c = ctx;
    if (c->st->app == PK_APP_UNKNOWN) {
        bool wait;
        c->st->app = recognise(c, d, n, &wait);
        if (c->st->app == PK_APP_UNKNOWN) {
            *done = !wait;
            return 0;
        }
    }
    switch (c->st->app) {
    case PK_APP_TLS: return parse_tls(c, d, n, done);
    case PK_APP_HTTP: return parse_http(c, d, n, done);
    case PK_APP_DNS_TCP: return parse_dns_tcp(c, d, n, done);
    default: *done = true; return 0;
    }
}

/* A QUIC v1 long-header Initial: the first datagrams of a flow only. */
static bool try_quic(pk_sensor *s, pk_flow *f, int dir, const pk_packet *p) {
    pk_stream *st = &f->dir[dir];
    if (p->payload_len < 7 || st->done || (p->payload[0] & 0xf0) != 0xc0) return false;
    if (++st->app_msgs > PK_APP_MAX_QUIC_TRIES) {
        st->done = 1;
        return false;
    }
    pk_tls_hello h;
    if (pk_quic_parse_initial(p->payload, p->payload_len, &h, &s->tls, &s->quic) != PK_PARSE_OK)
        return false;
    app_ctx c = {s, f, p, st};
    observe_tls(&c, &h);
    st->done = 1;
    return true;
}

static void app_udp(pk_sensor *s, pk_flow *f, int dir, const pk_packet *p) {
    if (try_quic(s, f, dir, p)) return;
    if (p->payload_len < 12) return;
    bool known = is_dns_port(p->sport) || is_dns_port(p->dport);
    pk_dns_query q;
    if (pk_dns_parse(p->payload, p->payload_len, !known, &q, &s->dns) != PK_PARSE_OK)
        return;
    app_ctx c = {s, f, p, NULL};
    observe_dns(&c, &q);
}

void pk_app_packet(pk_sensor *s, pk_flow *f, int dir, const pk_packet *p) {
    if (!p->l4_ok) return;
    if (p->proto == 17) {
        app_udp(s, f, dir, p);
        return;
    }
    if (p->proto != 6) return;
    pk_stream *st = &f->dir[dir];
    if (st->done) return;
    app_ctx c = {s, f, p, st};
    pk_stream_segment(st, pk_flow_stream_pool(s->flows), &s->stream, p->tcp_seq,
                      (p->tcp_flags & PK_TH_SYN) != 0, p->payload, p->payload_len,
                      stream_consumer, &c);
}
