/* proto_http.c - HTTP/1.x request line and Host header parser.
 *
 * Why it exists: the Host header and the requested URL of cleartext HTTP
 * are matched against host, domain and URL indicators. Only the start of
 * the client direction is read: "METHOD SP target SP HTTP/1.x", then header
 * lines (CRLF or bare LF) up to the blank line, at most PK_HTTP_MAX_HEADER
 * bytes. Lines are split through the bounds-checked reader; the host and
 * URL outputs are capped and their truncation flagged and counted.
 */
#include "proto_http.h"

#include <string.h>

#include "reader.h"

#define HTTP_PORT_MAX 5
#define HTTP_METHOD_BUF 16   /* pk_http_request.method */

typedef struct method_name {
    const char *name;
    size_t len;
} method_name;

#define M(s) {s, sizeof s - 1}
static const method_name k_methods[] = {
    M("GET"), M("POST"), M("HEAD"), M("PUT"), M("DELETE"), M("OPTIONS"),
    M("CONNECT"), M("TRACE"), M("PATCH"),
    /* WebDAV (RFC 4918, 3253, 3744, 4791, 5323) */
    M("PROPFIND"), M("PROPPATCH"), M("MKCOL"), M("COPY"), M("MOVE"), M("LOCK"),
    M("UNLOCK"), M("SEARCH"), M("REPORT"), M("MKCALENDAR"), M("MKACTIVITY"),
    M("CHECKOUT"), M("CHECKIN"), M("UNCHECKOUT"), M("MERGE"), M("ACL"),
};
#undef M
#define N_METHODS (sizeof k_methods / sizeof k_methods[0])

/* Host as parsed from a Host header or an absolute/authority target. */
typedef struct host_parts {
    char host[PK_HTTP_HOST_MAX + 1];
    size_t len;
    bool ipv6;                      /* was a [bracketed] literal */
    char port[HTTP_PORT_MAX + 1];   /* digits, "" when absent or 80 */
} host_parts;

/* A bounded output string; truncated is set when bytes were dropped. */
typedef struct obuf {
    char *p;
    size_t cap, len;                /* cap excludes the NUL */
    bool truncated;
} obuf;

static void ob_putc(obuf *o, char c) {
    if (o->len >= o->cap) {
        o->truncated = true;
        return;
    }
    o->p[o->len++] = c;
    o->p[o->len] = '\0';
}

/* Appends n bytes (as many as fit). */
static void ob_write(obuf *o, const void *s, size_t n) {
    size_t room = o->cap - o->len;
    if (n > room) {
        n = room;
        o->truncated = true;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void ob_puts(obuf *o, const char *s) { ob_write(o, s, strlen(s)); }

static char lower(uint8_t b) {
    return (char)((b >= 'A' && b <= 'Z') ? b + ('a' - 'A') : b);
}

/* ---- line splitting ------------------------------------------------------ */

static int first_byte(pk_reader v) { return rd_left(&v) ? rd_u8(&v) : -1; }

static int last_byte(pk_reader v) {
    if (rd_left(&v) == 0) return -1;
    rd_skip(&v, rd_left(&v) - 1);
    return rd_u8(&v);
}

/* Drops the last byte of v. */
static void drop_last(pk_reader *v) {
    pk_reader c = *v;
    *v = rd_sub(&c, rd_left(&c) - 1);
}

/* Splits r at the first byte c: *head gets the bytes before it and r is
 * left after it. False (r unchanged) when c does not occur. */
static bool split_at(pk_reader *r, uint8_t c, pk_reader *head) {
    long at = rd_find(r, c);
    if (at < 0) return false;
    *head = rd_sub(r, (size_t)at);
    rd_skip(r, 1);
    return true;
}

/* Next line without its LF and optional CR. */
static bool next_line(pk_reader *r, pk_reader *line) {
    if (!split_at(r, '\n', line)) return false;
    if (last_byte(*line) == '\r') drop_last(line);
    return true;
}

static bool is_ws(int b) { return b == ' ' || b == '\t'; }

static void trim(pk_reader *v) {
    while (is_ws(first_byte(*v))) rd_skip(v, 1);
    while (is_ws(last_byte(*v))) drop_last(v);
}

/* Case-insensitive comparison of the bytes of v with s. */
static bool equals_nocase(pk_reader v, const char *s) {
    size_t n = strlen(s);
    if (rd_left(&v) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (lower(rd_u8(&v)) != s[i]) return false;
    return true;
}

/* ---- method -------------------------------------------------------------- */

/* 0: no known method starts with tok; 1: a proper prefix; 2: exact. */
static int method_match(const uint8_t *tok, size_t n) {
    int best = 0;
    for (size_t i = 0; i < N_METHODS; i++) {
        const method_name *m = &k_methods[i];
        if (m->len < n || memcmp(m->name, tok, n) != 0) continue;
        if (m->len == n) return 2;
        best = 1;
    }
    return best;
}

static bool method_byte(uint8_t b) { return (b >= 'A' && b <= 'Z') || b == '-'; }

/* OK when stream starts with a known method and a space; NEED_MORE while
 * what arrived is a known method's proper prefix. */
static pk_parse_result read_method(pk_reader r, char *method) {
    size_t n = 0;
    const uint8_t *tok = rd_ptr(&r);
    while (rd_has(&r, 1)) {
        uint8_t b = rd_u8(&r);
        if (b == ' ') {
            if (n == 0 || method_match(tok, n) != 2) return PK_PARSE_NOT_MINE;
            memcpy(method, tok, n);
            method[n] = '\0';
            return PK_PARSE_OK;
        }
        if (++n >= HTTP_METHOD_BUF || !method_byte(b)) return PK_PARSE_NOT_MINE;
    }
    return n == 0 || method_match(tok, n) ? PK_PARSE_NEED_MORE : PK_PARSE_NOT_MINE;
}

/* ---- host ---------------------------------------------------------------- */

static bool host_byte_ok(uint8_t b) {
    return b > 0x20 && b < 0x7f && b != '/' && b != '\\' && b != '?' &&
           b != '#' && b != '@';
}

/* Port digits after ':' (may be empty); "80" and "" leave h->port empty. */
static bool read_port(pk_reader v, host_parts *h) {
    size_t n = rd_left(&v);
    unsigned long port = 0;
    if (n > HTTP_PORT_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = rd_u8(&v);
        if (b < '0' || b > '9') return false;
        port = port * 10 + (b - '0');
        h->port[i] = (char)b;
    }
    h->port[n] = '\0';
    if (port > 65535) return false;
    if (n == 0 || port == 80) h->port[0] = '\0';
    return true;
}

/* Splits an authority ("name", "name:port", "[v6]:port") into host_parts:
 * lower-cased, trailing dot removed. False when it is not a plain host. */
static bool parse_authority(pk_reader v, host_parts *h) {
    memset(h, 0, sizeof *h);
    pk_reader name = v, port;
    rd_init(&port, NULL, 0);
    if (first_byte(v) == '[') {
        rd_skip(&v, 1);
        if (!split_at(&v, ']', &name)) return false;
        h->ipv6 = true;
        if (rd_left(&v) > 0 && (rd_u8(&v) != ':')) return false;
        port = v;
    } else {
        pk_reader rest = v;
        if (split_at(&rest, ':', &name)) port = rest;
        if (rd_find(&port, ':') >= 0) return false;   /* bare IPv6, junk */
    }
    if (!read_port(port, h) || rd_left(&name) > PK_HTTP_HOST_MAX) return false;
    while (rd_left(&name) > 0) {
        uint8_t b = rd_u8(&name);
        if (!host_byte_ok(b) || (b == ':' && !h->ipv6)) return false;
        h->host[h->len++] = lower(b);
    }
    if (h->len > 0 && h->host[h->len - 1] == '.') h->len--;
    h->host[h->len] = '\0';
    return h->len > 0;
}

static void set_host(const host_parts *h, pk_http_request *out) {
    memcpy(out->host, h->host, h->len + 1);
    out->host_len = (uint16_t)h->len;
    out->has_host = true;
}

/* "http://" host [":" port] */
static void put_origin(obuf *o, const char *scheme, const host_parts *h) {
    ob_puts(o, scheme);
    ob_puts(o, "://");
    if (h->ipv6) ob_putc(o, '[');
    ob_puts(o, h->host);
    if (h->ipv6) ob_putc(o, ']');
    if (h->port[0]) {
        ob_putc(o, ':');
        ob_puts(o, h->port);
    }
}

/* ---- request target -------------------------------------------------------- */

static void put_bytes(obuf *o, pk_reader v, bool lowercase) {
    if (!lowercase) {
        ob_write(o, rd_ptr(&v), rd_left(&v));
        return;
    }
    while (rd_left(&v) > 0) ob_putc(o, lower(rd_u8(&v)));
}

/* True when target starts with an alphabetic scheme and "://". */
static bool split_scheme(pk_reader target, pk_reader *scheme, pk_reader *rest) {
    pk_reader t = target;
    if (!split_at(&t, ':', scheme) || rd_left(scheme) == 0) return false;
    pk_reader s = *scheme;
    while (rd_left(&s) > 0) {
        uint8_t b = lower(rd_u8(&s));
        if (b < 'a' || b > 'z') return false;
    }
    if (rd_u8(&t) != '/' || rd_u8(&t) != '/' || !rd_ok(&t)) return false;
    *rest = t;
    return true;
}

/* Absolute form: scheme and authority lower-cased, the rest as sent; the
 * authority also gives the host when no Host header did. */
static void absolute_url(pk_reader scheme, pk_reader rest, obuf *o,
                         pk_http_request *out) {
    size_t alen = 0;
    for (pk_reader scan = rest; rd_left(&scan) > 0; alen++) {
        uint8_t b = rd_u8(&scan);
        if (b == '/' || b == '?' || b == '#') break;
    }
    pk_reader auth = rd_sub(&rest, alen);
    put_bytes(o, scheme, true);
    ob_puts(o, "://");
    put_bytes(o, auth, true);
    put_bytes(o, rest, false);
    host_parts h;
    if (!out->has_host && parse_authority(auth, &h)) set_host(&h, out);
}

/* Builds out->url from the target; false when the target has no known form. */
static bool build_url(pk_reader target, const host_parts *h, pk_http_request *out) {
    obuf o = {out->url, PK_HTTP_URL_MAX, 0, false};
    pk_reader scheme, rest;
    out->url[0] = '\0';
    if (first_byte(target) == '/') {
        if (out->has_host) {
            put_origin(&o, "http", h);
            put_bytes(&o, target, false);
        }
    } else if (split_scheme(target, &scheme, &rest)) {
        absolute_url(scheme, rest, &o, out);
    } else if (strcmp(out->method, "CONNECT") == 0) {
        host_parts ch;
        if (!out->has_host && parse_authority(target, &ch)) set_host(&ch, out);
    } else if (!(rd_left(&target) == 1 && first_byte(target) == '*')) {
        return false;
    }
    out->url_len = (uint16_t)o.len;
    out->url_truncated = o.truncated;
    return true;
}

/* ---- request line and headers ---------------------------------------------- */

/* Spaces are tolerated inside (exploit kits send them raw), controls not. */
static bool target_ok(pk_reader t) {
    if (rd_left(&t) == 0) return false;
    while (rd_left(&t) > 0) {
        uint8_t b = rd_u8(&t);
        if (b < 0x20 || b == 0x7f) return false;
    }
    return true;
}

static bool version_ok(pk_reader v) {
    static const char k[] = "HTTP/1.";
    if (rd_left(&v) != sizeof k) return false;
    for (size_t i = 0; i + 1 < sizeof k; i++)
        if (rd_u8(&v) != (uint8_t)k[i]) return false;
    uint8_t d = rd_u8(&v);
    return d >= '0' && d <= '9';
}

/* "METHOD SP target SP HTTP/1.x"; the method was checked already. The
 * version is the last word, the target everything between. */
static bool read_request_line(pk_reader line, pk_reader *target) {
    pk_reader method;
    if (!split_at(&line, ' ', &method)) return false;
    long last = rd_find_last(&line, ' ');
    if (last < 0) return false;
    *target = rd_sub(&line, (size_t)last);
    rd_skip(&line, 1);
    trim(target);
    return target_ok(*target) && version_ok(line);
}

/* What the header lines tell: Host (the first one) and the body framing. */
typedef struct hdr_state {
    host_parts h;
    bool seen_host, seen_length;
    uint64_t content_length;          /* UINT64_MAX: unusable */
    bool chunked;
    uint64_t malformed;               /* counted once, on the final result */
} hdr_state;

/* Content-Length: digits only; anything else makes the body unknowable. */
static void read_content_length(pk_reader v, hdr_state *hs) {
    uint64_t n = 0;
    bool ok = rd_left(&v) > 0 && rd_left(&v) <= 18;
    while (ok && rd_left(&v) > 0) {
        uint8_t b = rd_u8(&v);
        ok = b >= '0' && b <= '9';
        n = n * 10 + (uint64_t)(b - '0');
    }
    hs->content_length = ok ? n : UINT64_MAX;
    if (!ok) hs->malformed++;
}

/* Transfer-Encoding whose last coding is "chunked". */
static bool ends_chunked(pk_reader v) {
    static const char k[] = "chunked";
    size_t n = sizeof k - 1;
    if (rd_left(&v) < n) return false;
    rd_skip(&v, rd_left(&v) - n);
    return equals_nocase(v, k);
}

static void read_header(pk_reader line, hdr_state *hs) {
    pk_reader name;
    if (is_ws(first_byte(line))) return;                 /* obs-fold */
    if (!split_at(&line, ':', &name) || rd_left(&name) == 0) {
        hs->malformed++;
        return;
    }
    trim(&line);
    if (equals_nocase(name, "content-length") && !hs->seen_length) {
        hs->seen_length = true;
        read_content_length(line, hs);
    } else if (equals_nocase(name, "transfer-encoding")) {
        hs->chunked = hs->chunked || ends_chunked(line);
    } else if (equals_nocase(name, "host") && !hs->seen_host) {
        hs->seen_host = true;
        if (rd_left(&line) > 0 && !parse_authority(line, &hs->h)) {
            hs->malformed++;
            hs->h.len = 0;
        }
    }
}

static pk_parse_result finish(pk_reader target, const hdr_state *hs,
                              size_t header_len, bool capped,
                              pk_http_request *out, pk_http_stats *st) {
    st->malformed_header += hs->malformed;
    if (hs->h.len > 0) set_host(&hs->h, out);
    if (!build_url(target, &hs->h, out)) {
        st->malformed_request_line++;
        return PK_PARSE_MALFORMED;
    }
    out->header_len = (uint32_t)header_len;
    out->content_length = hs->content_length;
    out->chunked = hs->chunked;
    st->requests++;
    if (capped) st->too_large++;
    if (!out->has_host) st->no_host++;
    if (out->url_truncated) st->url_truncated++;
    return PK_PARSE_OK;
}

/* Everything but the text buffers, which are NUL-terminated at length 0. */
static void clear_request(pk_http_request *out) {
    out->host[0] = '\0';
    out->host_len = 0;
    out->has_host = false;
    out->url[0] = '\0';
    out->url_len = 0;
    out->url_truncated = false;
    out->header_len = 0;
    out->content_length = 0;
    out->chunked = false;
}

pk_parse_result pk_http_parse_request(const uint8_t *stream, size_t len,
                                      pk_http_request *out, pk_http_stats *st) {
    bool capped = len >= PK_HTTP_MAX_HEADER;
    size_t window = capped ? PK_HTTP_MAX_HEADER : len;
    pk_reader r, line, target;
    rd_init(&r, stream, window);
    char method[sizeof out->method] = "";
    pk_parse_result res = read_method(r, method);
    if (res != PK_PARSE_OK) return res;     /* most streams: no request at all */
    clear_request(out);
    memcpy(out->method, method, sizeof method);
    if (!next_line(&r, &line)) {
        if (!capped) return PK_PARSE_NEED_MORE;
        st->too_large++;
        return PK_PARSE_MALFORMED;
    }
    if (!read_request_line(line, &target)) {
        st->malformed_request_line++;
        return PK_PARSE_MALFORMED;
    }
    hdr_state hs;
    memset(&hs, 0, sizeof hs);
    while (next_line(&r, &line)) {
        if (rd_left(&line) == 0)
            return finish(target, &hs, window - rd_left(&r), false, out, st);
        read_header(line, &hs);
    }
    if (!capped) return PK_PARSE_NEED_MORE;
    /* no end within the cap: what was read, and the body is unknowable */
    hs.content_length = UINT64_MAX;
    return finish(target, &hs, window, true, out, st);
}

void pk_http_counters(const pk_http_stats *st, pk_counter_cb cb, void *ctx) {
    cb(ctx, "http.requests", st->requests);
    cb(ctx, "http.malformed.request_line", st->malformed_request_line);
    cb(ctx, "http.malformed.header", st->malformed_header);
    cb(ctx, "http.no_host", st->no_host);
    cb(ctx, "http.too_large", st->too_large);
    cb(ctx, "http.url_truncated", st->url_truncated);
}
