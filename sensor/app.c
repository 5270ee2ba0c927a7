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
#include "reader.h"
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

/* The lists JA3 and JA4 are made of are kept, and the fingerprints
 * computed, only when the store in force could match one. */
static unsigned tls_flags(pk_sensor *s) {
    bool fp = pk_detect_wants(s, PK_FIELD_TLS_JA3) || pk_detect_wants(s, PK_FIELD_TLS_JA4);
    return fp ? PK_TLS_KEEP_FIELDS : 0;
}

static void observe_tls(app_ctx *c, pk_tls_hello *h) {
    if (h->has_sni && h->sni_len)
        pk_detect_value(c->s, c->f, c->p, PK_FIELD_TLS_SNI, h->sni, h->sni_len);
    if (!h->fields_kept) return;            /* tls_flags(): no JA3/JA4 indicator */
    pk_tls_hello_fingerprint(h, c->s->fp_hasher);
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

/* Each parser returns PK_PARSE_NOT_MINE without counting anything, so the
 * first bytes of a direction are offered to each in turn and the first
 * that claims them owns the direction. */
static pk_parse_result parse_tls(app_ctx *c, const uint8_t *d, size_t n,
                                 size_t *used, bool *done) {
    pk_tls_hello h;
    pk_parse_result r = pk_tls_parse_stream(d, n, tls_flags(c->s), &h, &c->s->tls);
    *used = 0;
    if (r == PK_PARSE_OK) observe_tls(c, &h);
    if (r != PK_PARSE_NEED_MORE) *done = true;
    return r;
}

static pk_parse_result parse_http(app_ctx *c, const uint8_t *d, size_t n,
                                  size_t *used, bool *done) {
    pk_http_request req;
    pk_parse_result r = pk_http_parse_request(d, n, &req, &c->s->http);
    *used = 0;
    if (r == PK_PARSE_NEED_MORE || r == PK_PARSE_NOT_MINE) return r;
    if (r != PK_PARSE_OK) {
        *done = true;
        return r;
    }
    observe_http(c, &req);
    if (++c->st->app_msgs >= PK_APP_MAX_MESSAGES) *done = true;
    else *used = http_consumed(&req, done);
    return r;
}

static pk_parse_result parse_dns_tcp(app_ctx *c, const uint8_t *d, size_t n,
                                     size_t *used, bool *done) {
    pk_dns_query q;
    pk_parse_result r = pk_dns_parse_tcp(d, n, &q, &c->s->dns);
    *used = 0;
    if (r == PK_PARSE_NEED_MORE) return r;
    if (r == PK_PARSE_OK) observe_dns(c, &q);
    if (r != PK_PARSE_OK || ++c->st->app_msgs >= PK_APP_MAX_MESSAGES) {
        *done = true;
        return r;
    }
    pk_reader rd;
    rd_init(&rd, d, n);
    *used = 2 + (size_t)rd_be16(&rd);     /* the message just parsed */
    return r;
}

typedef pk_parse_result (*app_parser)(app_ctx *, const uint8_t *, size_t,
                                      size_t *, bool *);

static app_parser parser_of(uint8_t app) {
    switch (app) {
    case PK_APP_TLS: return parse_tls;
    case PK_APP_HTTP: return parse_http;
    case PK_APP_DNS_TCP: return parse_dns_tcp;
    default: return NULL;
    }
}

/* Offers the first bytes to TLS, then HTTP, then (on DNS ports) DNS. */
static size_t recognise(app_ctx *c, const uint8_t *d, size_t n, bool *done) {
    static const uint8_t order[] = {PK_APP_TLS, PK_APP_HTTP, PK_APP_DNS_TCP};
    bool dns_port = is_dns_port(c->p->sport) || is_dns_port(c->p->dport);
    bool undecided = false;
    for (size_t i = 0; i < sizeof order; i++) {
        if (order[i] == PK_APP_DNS_TCP && !dns_port) break;
        size_t used;
        bool fin = false;
        pk_parse_result r = parser_of(order[i])(c, d, n, &used, &fin);
        if (r == PK_PARSE_NOT_MINE) continue;
        if (r == PK_PARSE_NEED_MORE && order[i] != PK_APP_TLS && n < 8) {
            undecided = true;          /* too few bytes to tell HTTP apart */
            continue;
        }
        c->st->app = order[i];
        *done = fin;
        return used;
    }
    *done = !undecided;
    return 0;
}

static size_t stream_consumer(void *ctx, const uint8_t *d, size_t n, bool *done) {
    app_ctx *c = ctx;
    if (c->st->app == PK_APP_UNKNOWN) return recognise(c, d, n, done);
    app_parser parse = parser_of(c->st->app);
    size_t used = 0;
    if (!parse) *done = true;
    else parse(c, d, n, &used, done);
    return used;
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
    if (pk_quic_parse_initial(p->payload, p->payload_len, tls_flags(s), &h, &s->tls,
                              &s->quic) != PK_PARSE_OK)
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
