/* proto_tls.c - TLS ClientHello parser: records, handshake reassembly,
 * ClientHello fields, SNI.
 *
 * Why it exists: the SNI and the JA3/JA4 fingerprints of a client are read
 * from its ClientHello, the one cleartext message at the start of every TLS
 * connection. The hello may be spread over several records (and several TCP
 * segments); this module reassembles it (bounded by PK_TLS_MAX_HELLO, in a
 * stack buffer), reads every field through the bounds-checked reader and
 * hands the fields to tls_fingerprint.c.
 */
#include "proto_tls.h"

#include <stddef.h>
#include <string.h>

#include "reader.h"
#include "swar.h"
#include "tls_fingerprint.h"

#define TLS_CT_HANDSHAKE 22
#define TLS_HS_CLIENT_HELLO 1
#define TLS_RECORD_HDR 5
#define TLS_HS_HDR 4
#define TLS_RECORD_MAX (16384 + 2048)   /* TLSCiphertext bound, RFC 5246 */
#define TLS_SESSION_ID_MAX 32

enum {
    EXT_SNI = 0,
    EXT_GROUPS = 10,
    EXT_POINT_FORMATS = 11,
    EXT_SIG_ALGS = 13,
    EXT_ALPN = 16,
    EXT_VERSIONS = 43,
};

typedef enum hello_err { HE_NONE = 0, HE_HANDSHAKE, HE_EXTENSION, HE_SNI } hello_err;

typedef struct hello_ctx {
    pk_tls_fields *f;     /* the output's */
    pk_tls_hello *out;
    uint32_t seen;        /* known extensions already read (first one wins) */
    bool keep;            /* the JA3/JA4 lists are kept (PK_TLS_KEEP_FIELDS) */
    bool sni_bad;         /* host_name empty or with bytes a name cannot hold */
} hello_ctx;

/* ---- extensions ---------------------------------------------------------- */

/* The list member of c's fields, or NULL when the lists are not kept
 * (PK_TLS_KEEP_FIELDS): every list goes through KEPT and the two helpers
 * below, which leave a NULL list's values unread (their sub-reader is
 * already bounded and stepped over in its parent). */
#define KEPT(c, member) ((c)->keep ? &(c)->f->member : NULL)

static void list_read(pk_tls_list *l, pk_reader *v) {
    if (l) pk_tls_list_read(l, v);
}

static void list_push(pk_tls_list *l, uint16_t v) {
    if (l) pk_tls_list_push(l, v);
}

/* A vector of 16-bit values with a 1- or 2-byte length that must fill the
 * extension exactly. */
static bool read_u16_vector(pk_reader *ext, bool len8, pk_tls_list *l) {
    size_t n = len8 ? rd_u8(ext) : rd_be16(ext);
    if (n & 1) return false;
    pk_reader v = rd_sub(ext, n);
    list_read(l, &v);
    return rd_ok(ext) && rd_ok(&v) && rd_left(ext) == 0;
}

static bool read_point_formats(pk_reader *ext, pk_tls_list *l) {
    pk_reader v = rd_sub(ext, rd_u8(ext));
    while (l && rd_left(&v) > 0) pk_tls_list_push(l, rd_u8(&v));
    return rd_ok(ext) && rd_left(ext) == 0;
}

static bool printable(uint8_t b) { return b > 0x20 && b < 0x7f; }

/* Keeps what JA4 needs of the first ALPN value and a printable copy. */
static void keep_alpn(pk_reader *v, hello_ctx *c) {
    size_t n = rd_left(v);
    c->f->has_alpn = true;
    c->f->alpn_len = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = rd_u8(v);
        if (i == 0) c->f->alpn_first = b;
        c->f->alpn_last = b;
        if (i + 1 < sizeof c->out->alpn0)
            c->out->alpn0[i] = printable(b) ? (char)b : '.';
    }
}

static bool read_alpn(pk_reader *ext, hello_ctx *c) {
    pk_reader list = rd_sub(ext, rd_be16(ext));
    if (!rd_ok(ext) || rd_left(ext) != 0) return false;
    bool first = true;
    while (rd_left(&list) > 0) {
        pk_reader v = rd_sub(&list, rd_u8(&list));
        if (!rd_ok(&list)) return false;
        if (first) keep_alpn(&v, c);
        first = false;
    }
    return true;
}

/* Copies a host_name lower-cased (eight bytes at a time, swar.h, within
 * the bytes the reader bounds); a name with control, space or non-ASCII
 * bytes is not kept (counted as malformed_sni, the hello still parses). */
static void keep_sni(pk_reader *name, hello_ctx *c) {
    pk_tls_hello *o = c->out;
    size_t n = rd_left(name);
    const uint8_t *b = rd_ptr(name);
    if (n == 0 || !pk_all_printable(b, n)) {   /* o->sni stays "" (clear_hello) */
        c->sni_bad = true;
        return;
    }
    size_t kept = n < PK_TLS_SNI_MAX ? n : PK_TLS_SNI_MAX;
    pk_lower_copy(o->sni, b, kept);
    o->sni[kept] = '\0';
    o->sni_len = (uint16_t)kept;
    o->sni_truncated = n > PK_TLS_SNI_MAX;
    o->has_sni = true;
}

/* server_name: a list (whose length must fill the extension) of typed
 * names; the first host_name (type 0) is kept. */
static hello_err read_sni(pk_reader *ext, hello_ctx *c) {
    c->f->has_sni_ext = true;
    if (rd_left(ext) == 0) return HE_NONE;
    pk_reader list = rd_sub(ext, rd_be16(ext));
    if (!rd_ok(ext) || rd_left(ext) != 0) return HE_SNI;
    bool kept = false;
    while (rd_left(&list) > 0) {
        uint8_t type = rd_u8(&list);
        pk_reader name = rd_sub(&list, rd_be16(&list));
        if (!rd_ok(&list)) return HE_SNI;
        if (type == 0 && !kept) keep_sni(&name, c);
        kept = kept || type == 0;
    }
    return HE_NONE;
}

static int known_ext_bit(uint16_t type) {
    switch (type) {
    case EXT_SNI: return 0;
    case EXT_GROUPS: return 1;
    case EXT_POINT_FORMATS: return 2;
    case EXT_SIG_ALGS: return 3;
    case EXT_ALPN: return 4;
    case EXT_VERSIONS: return 5;
    default: return -1;
    }
}

static hello_err read_ext(uint16_t type, pk_reader *body, hello_ctx *c) {
    int bit = known_ext_bit(type);
    if (bit < 0 || (c->seen & (1u << bit))) return HE_NONE;
    c->seen |= 1u << bit;
    bool ok = true;
    switch (type) {
    case EXT_SNI: return read_sni(body, c);
    case EXT_GROUPS: ok = read_u16_vector(body, false, KEPT(c, groups)); break;
    case EXT_POINT_FORMATS: ok = read_point_formats(body, KEPT(c, point_formats)); break;
    case EXT_SIG_ALGS: ok = read_u16_vector(body, false, KEPT(c, sig_algs)); break;
    case EXT_ALPN: ok = read_alpn(body, c); break;
    case EXT_VERSIONS: ok = read_u16_vector(body, true, KEPT(c, versions)); break;
    default: break;
    }
    return ok ? HE_NONE : HE_EXTENSION;
}

static hello_err read_extensions(pk_reader *r, hello_ctx *c) {
    if (rd_left(r) == 0) return HE_NONE;          /* no extensions at all */
    pk_reader exts = rd_sub(r, rd_be16(r));
    if (!rd_ok(r)) return HE_EXTENSION;
    if (rd_left(r) != 0) return HE_HANDSHAKE;     /* bytes after the block */
    while (rd_left(&exts) > 0) {
        uint16_t type = rd_be16(&exts);
        pk_reader body = rd_sub(&exts, rd_be16(&exts));
        if (!rd_ok(&exts)) return HE_EXTENSION;
        list_push(KEPT(c, exts), type);
        hello_err e = read_ext(type, &body, c);
        if (e != HE_NONE) return e;
    }
    return HE_NONE;
}

/* ---- ClientHello --------------------------------------------------------- */

static hello_err read_hello_body(pk_reader *r, hello_ctx *c) {
    c->f->legacy_version = rd_be16(r);
    rd_skip(r, 32);                                /* random */
    uint8_t sid = rd_u8(r);
    if (sid > TLS_SESSION_ID_MAX) return HE_HANDSHAKE;
    rd_skip(r, sid);
    uint16_t cs_len = rd_be16(r);
    if (cs_len & 1) return HE_HANDSHAKE;
    pk_reader cs = rd_sub(r, cs_len);
    list_read(KEPT(c, ciphers), &cs);
    rd_skip(r, rd_u8(r));                          /* compression methods */
    if (!rd_ok(r) || (c->f->legacy_version >> 8) != 3) return HE_HANDSHAKE;
    return read_extensions(r, c);
}

static void count_error(hello_err e, pk_tls_stats *st) {
    switch (e) {
    case HE_HANDSHAKE: st->malformed_handshake++; break;
    case HE_EXTENSION: st->malformed_extension++; break;
    case HE_SNI: st->malformed_sni++; break;
    default: break;
    }
}

static void finish_hello(hello_ctx *c, unsigned flags, pk_tls_stats *st) {
    pk_tls_hello *o = c->out;
    o->legacy_version = c->f->legacy_version;
    o->fields_kept = c->keep;
    o->fp_truncated = c->keep && pk_tls_fields_truncated(c->f);
    o->quic = (flags & PK_TLS_QUIC) != 0;
    st->client_hellos++;
    if (c->sni_bad) st->malformed_sni++;
    if (o->sni_truncated) st->sni_truncated++;
    if (o->fp_truncated) st->lists_truncated++;
}

/* Everything before the fields is small; the fields' lists (1.5 KiB) are
 * emptied, not wiped. */
static void clear_hello(pk_tls_hello *out) {
    memset(out, 0, offsetof(pk_tls_hello, fields));
    pk_tls_fields_clear(&out->fields);
}

pk_parse_result pk_tls_parse_handshake(const uint8_t *msg, size_t len,
                                       unsigned flags, pk_tls_hello *out,
                                       pk_tls_stats *st) {
    pk_reader r;
    rd_init(&r, msg, len);
    if (len == 0) return PK_PARSE_NEED_MORE;
    if (rd_u8(&r) != TLS_HS_CLIENT_HELLO) return PK_PARSE_NOT_MINE;
    uint32_t hlen = rd_be24(&r);
    if (!rd_ok(&r)) return PK_PARSE_NEED_MORE;
    if (hlen > PK_TLS_MAX_HELLO - TLS_HS_HDR) {
        st->too_large++;
        return PK_PARSE_MALFORMED;
    }
    if (rd_left(&r) < hlen) return PK_PARSE_NEED_MORE;
    pk_reader body = rd_sub(&r, hlen);

    hello_ctx c = {.f = &out->fields, .out = out, .keep = (flags & PK_TLS_KEEP_FIELDS) != 0};
    clear_hello(out);
    hello_err e = read_hello_body(&body, &c);
    if (e != HE_NONE) {
        count_error(e, st);
        clear_hello(out);
        return PK_PARSE_MALFORMED;
    }
    finish_hello(&c, flags, st);
    return PK_PARSE_OK;
}

/* ---- records ------------------------------------------------------------- */

static pk_parse_result bad_record(pk_tls_stats *st) {
    st->malformed_record++;
    return PK_PARSE_MALFORMED;
}

/* Reads one record header (content type 22, version 0x03xx, length). The
 * first record decides whether the stream is TLS at all. */
static pk_parse_result record_header(pk_reader *r, bool first,
                                     uint16_t *rlen, pk_tls_stats *st) {
    size_t avail = rd_left(r);
    pk_reader peek = *r;
    uint8_t type = rd_u8(&peek), major = rd_u8(&peek);
    if ((avail >= 1 && type != TLS_CT_HANDSHAKE) || (avail >= 2 && major != 3))
        return first ? PK_PARSE_NOT_MINE : bad_record(st);
    if (avail < TLS_RECORD_HDR) return PK_PARSE_NEED_MORE;
    rd_skip(r, 3);
    *rlen = rd_be16(r);
    if (*rlen == 0 || *rlen > TLS_RECORD_MAX) return bad_record(st);
    return PK_PARSE_OK;
}

pk_parse_result pk_tls_parse_stream(const uint8_t *stream, size_t len,
                                    unsigned flags, pk_tls_hello *out,
                                    pk_tls_stats *st) {
    uint8_t buf[PK_TLS_MAX_HELLO];   /* the handshake, gathered from records */
    size_t have = 0;
    pk_reader r;
    rd_init(&r, stream, len);
    for (bool first = true;; first = false) {
        uint16_t rlen = 0;
        pk_parse_result res = record_header(&r, first, &rlen, st);
        if (res != PK_PARSE_OK) return res;
        if (first && rd_left(&r) >= rlen) {   /* the usual case: no copy */
            res = pk_tls_parse_handshake(rd_ptr(&r), rlen, flags, out, st);
            if (res != PK_PARSE_NEED_MORE) return res;
        }
        size_t avail = rlen < rd_left(&r) ? rlen : rd_left(&r);
        size_t room = sizeof buf - have;
        size_t n = avail < room ? avail : room;
        rd_copy(&r, buf + have, n);
        rd_skip(&r, avail - n);
        have += n;
        res = pk_tls_parse_handshake(buf, have, flags, out, st);
        if (res != PK_PARSE_NEED_MORE) return res;
        if (have == sizeof buf) {             /* cannot happen: hlen is capped */
            st->too_large++;
            return PK_PARSE_MALFORMED;
        }
        if (avail < rlen) return PK_PARSE_NEED_MORE;
    }
}

void pk_tls_hello_fingerprint(pk_tls_hello *h, pk_fp_hasher *hs) {
    if (h->ja3[0] || !h->fields_kept) return;
    pk_ja3(hs, &h->fields, h->ja3);
    pk_ja4(hs, &h->fields, h->quic, h->ja4);
}

void pk_tls_counters(const pk_tls_stats *st, pk_counter_cb cb, void *ctx) {
    cb(ctx, "tls.client_hellos", st->client_hellos);
    cb(ctx, "tls.malformed.record", st->malformed_record);
    cb(ctx, "tls.malformed.handshake", st->malformed_handshake);
    cb(ctx, "tls.malformed.extension", st->malformed_extension);
    cb(ctx, "tls.malformed.sni", st->malformed_sni);
    cb(ctx, "tls.too_large", st->too_large);
    cb(ctx, "tls.sni_truncated", st->sni_truncated);
    cb(ctx, "tls.lists_truncated", st->lists_truncated);
}
