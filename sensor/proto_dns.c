/* proto_dns.c - DNS query parser: header and question section, over UDP
 * (one datagram) and TCP (2-byte length prefix).
 *
 * Why it exists: query names are matched against domain indicators, and a
 * DNS message is the classic place for hostile lengths and compression
 * loops. Names are decoded through the bounds-checked reader; compression
 * pointers must point backwards, into the message after the header, each
 * one before the previous target, and at most DNS_MAX_JUMPS of them. Output
 * names are lower-cased presentation form ("\DDD" for dots, backslashes and
 * non-printable bytes inside labels), at most 253 characters. Records after
 * the questions are walked for structure only (a cut or lying message is
 * malformed), never decoded.
 */
#include "proto_dns.h"

#include <string.h>

#include "reader.h"

#define DNS_HDR_LEN 12
#define DNS_MAX_JUMPS 32
#define DNS_WIRE_NAME_MAX 255
#define DNS_PRES_NAME_MAX 253
#define DNS_MIN_QUESTION 5    /* root name + type + class */
#define DNS_MIN_RR 11         /* root name + type, class, ttl, rdlength */

#define DNS_F_QR 0x8000
#define DNS_F_TC 0x0200
#define DNS_F_Z 0x0040
#define DNS_OPCODE(f) (((f) >> 11) & 0x0f)
#define DNS_RCODE(f) ((f) & 0x0f)

typedef enum name_err {
    NE_OK = 0, NE_SHORT, NE_LABEL, NE_LOOP, NE_TOO_LONG, NE_POINTER, NE_COUNTS,
} name_err;

typedef struct dns_hdr {
    uint16_t id, flags, qd, an, ns, ar;
} dns_hdr;

/* ---- names --------------------------------------------------------------- */

typedef struct name_out {
    char *buf;        /* PK_DNS_NAME_MAX + 1 bytes */
    size_t len;
    size_t wire;      /* uncompressed wire length so far */
} name_out;

static bool put_char(name_out *o, char c) {
    if (o->len >= DNS_PRES_NAME_MAX) return false;
    o->buf[o->len++] = c;
    o->buf[o->len] = '\0';
    return true;
}

/* A label byte as a name shows it when it needs no escape (upper case
 * lowered), else 0: controls, space, '.', '\\', DEL and non-ASCII bytes
 * are written as \DDD. One table for both paths below. */
static const uint8_t k_label_map[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 0x00 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 0x08 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 0x10 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 0x18 */
    0x00, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,   /* 0x20 */
    0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x00, 0x2f,   /* 0x28 */
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,   /* 0x30 */
    0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,   /* 0x38 */
    0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,   /* 0x40 */
    0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,   /* 0x48 */
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,   /* 0x50 */
    0x78, 0x79, 0x7a, 0x5b, 0x00, 0x5d, 0x5e, 0x5f,   /* 0x58 */
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,   /* 0x60 */
    0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,   /* 0x68 */
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,   /* 0x70 */
    0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x00,   /* 0x78 */
    /* 0x80 and above: 0 */
};

static bool put_label_byte(name_out *o, uint8_t b) {
    uint8_t c = k_label_map[b];
    if (c) return put_char(o, (char)c);
    return put_char(o, '\\') && put_char(o, (char)('0' + b / 100)) &&
           put_char(o, (char)('0' + (b / 10) % 10)) &&
           put_char(o, (char)('0' + b % 10));
}

static name_err put_label(pk_reader *label, name_out *o) {
    if (o->len > 0 && !put_char(o, '.')) return NE_TOO_LONG;
    while (rd_left(label) > 0)
        if (!put_label_byte(o, rd_u8(label))) return NE_TOO_LONG;
    return NE_OK;
}

/* ---- names: the fast path ------------------------------------------------
 * Most labels need no escape: each is copied whole (rd_copy) and mapped in
 * place through k_label_map, the table put_label_byte uses too. A name with
 * a byte to escape, or any error, is decoded again byte by byte above, so
 * both paths give the same name and the same error. */

/* Appends the next n bytes of r (there are n) as a label, unterminated;
 * false when the name would be too long or a byte needs an escape. */
static bool put_raw_label(pk_reader *r, size_t n, name_out *o) {
    size_t sep = o->len > 0;
    if (o->len + sep + n > DNS_PRES_NAME_MAX) return false;
    char *d = o->buf + o->len + sep;
    o->buf[o->len] = '.';        /* the first label (n > 0) writes over it */
    rd_copy(r, d, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = k_label_map[(uint8_t)d[i]];
        if (c == 0) return false;
        d[i] = (char)c;
    }
    o->len += sep + n;
    return true;
}

/* Checks a compression pointer at ptr_off to target, given the previous
 * target (SIZE_MAX before the first jump). */
static name_err check_pointer(size_t ptr_off, size_t target, size_t prev,
                              unsigned jumps) {
    if (target == ptr_off) return NE_LOOP;               /* self-pointer */
    if (target > ptr_off || target < DNS_HDR_LEN) return NE_POINTER;
    if (target >= prev || jumps >= DNS_MAX_JUMPS) return NE_LOOP;
    return NE_OK;
}

/* Reads a possibly compressed name starting at r (a reader over msg); r is
 * left after the name's in-line part. raw: labels as put_raw_label puts
 * them, failing on a byte to escape; else byte by byte (put_label). */
static name_err read_name(const uint8_t *msg, size_t len, pk_reader *r,
                          name_out *o, bool raw) {
    pk_reader cur = *r;
    bool jumped = false;
    size_t prev = SIZE_MAX;
    unsigned jumps = 0;
    for (;;) {
        uint8_t b = rd_u8(&cur);
        if (!rd_ok(&cur)) return NE_SHORT;
        if ((b & 0xc0) == 0xc0) {
            size_t ptr_off = (size_t)(rd_ptr(&cur) - msg) - 1;
            size_t target = ((size_t)(b & 0x3f) << 8) | rd_u8(&cur);
            if (!rd_ok(&cur)) return NE_SHORT;
            name_err e = check_pointer(ptr_off, target, prev, jumps);
            if (e != NE_OK) return e;
            if (!jumped) *r = cur;
            jumped = true;
            prev = target;
            jumps++;
            cur = rd_at(msg, len, target);
            continue;
        }
        if (b & 0xc0) return NE_LABEL;           /* 01/10: no such labels */
        o->wire += (size_t)b + 1;
        if (o->wire > DNS_WIRE_NAME_MAX) return NE_TOO_LONG;
        if (b == 0) break;
        if (raw) {
            if (!rd_has(&cur, b)) return NE_SHORT;
            if (!put_raw_label(&cur, b, o)) return NE_TOO_LONG;
            continue;
        }
        pk_reader label = rd_sub(&cur, b);
        if (!rd_ok(&cur)) return NE_SHORT;
        name_err e = put_label(&label, o);
        if (e != NE_OK) return e;
    }
    if (!jumped) *r = cur;
    return NE_OK;
}

static name_err read_question(const uint8_t *msg, size_t len, pk_reader *r,
                              pk_dns_question *q) {
    name_out o = {q->name, 0, 0};
    pk_reader start = *r;
    name_err e = read_name(msg, len, r, &o, true);
    q->name[o.len] = '\0';
    if (e != NE_OK) {                         /* again, byte by byte */
        o = (name_out){q->name, 0, 0};
        q->name[0] = '\0';
        *r = start;
        e = read_name(msg, len, r, &o, false);
    }
    q->name_len = (uint16_t)o.len;
    if (e != NE_OK) return e;
    q->qtype = rd_be16(r);
    q->qclass = rd_be16(r);
    return rd_ok(r) ? NE_OK : NE_SHORT;
}

/* ---- resource records (walked for structure, not decoded) --------------- */

/* Skips a name: labels up to the root or a pointer (not followed). */
static name_err skip_name(pk_reader *r) {
    size_t wire = 0;
    for (;;) {
        uint8_t b = rd_u8(r);
        if ((b & 0xc0) == 0xc0) {
            rd_skip(r, 1);
            break;
        }
        if (b & 0xc0) return NE_LABEL;
        wire += (size_t)b + 1;
        if (wire > DNS_WIRE_NAME_MAX) return NE_TOO_LONG;
        if (b == 0 || !rd_ok(r)) break;
        rd_skip(r, b);
    }
    return rd_ok(r) ? NE_OK : NE_SHORT;
}

/* Every record must be whole: a cut or lying message is malformed. */
static name_err skip_records(pk_reader *r, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) {
        name_err e = skip_name(r);
        if (e != NE_OK) return e;
        rd_skip(r, 8);                       /* type, class, ttl */
        rd_skip(r, rd_be16(r));              /* rdlength, rdata */
        if (!rd_ok(r)) return NE_SHORT;
    }
    return NE_OK;
}

/* ---- header and plausibility ---------------------------------------------- */

static bool read_header(pk_reader *r, dns_hdr *h) {
    h->id = rd_be16(r);
    h->flags = rd_be16(r);
    h->qd = rd_be16(r);
    h->an = rd_be16(r);
    h->ns = rd_be16(r);
    h->ar = rd_be16(r);
    return rd_ok(r);
}

/* Every question takes at least 5 bytes and every record 11 (records are
 * not checked in a truncated (TC) message, whose counts may be the
 * original ones). */
static bool counts_fit(const dns_hdr *h, size_t left) {
    size_t need = (size_t)h->qd * DNS_MIN_QUESTION;
    if (!(h->flags & DNS_F_TC))
        need += ((size_t)h->an + h->ns + h->ar) * DNS_MIN_RR;
    return need <= left;
}

/* A plain query as a client resolver sends it. */
static bool plausible_header(const dns_hdr *h) {
    return !(h->flags & (DNS_F_QR | DNS_F_TC | DNS_F_Z)) &&
           DNS_OPCODE(h->flags) == 0 && DNS_RCODE(h->flags) == 0 &&
           h->qd >= 1 && h->qd <= PK_DNS_MAX_QUESTIONS && h->an == 0 &&
           h->ns == 0 && h->ar <= 2;
}

static bool plausible_question(const pk_dns_question *q) {
    bool class_ok = q->qclass == 1 || q->qclass == 3 || q->qclass == 4 ||
                    q->qclass == 254 || q->qclass == 255;
    return class_ok && q->qtype != 0;
}

/* ---- entry points ---------------------------------------------------------- */

/* What a reader looks at: q[] past nquestions is never read, and each
 * question kept is written whole (its name NUL-terminated as it grows).
 * Clearing all 1 KiB of questions cost more than the parse of most
 * datagrams offered as possible DNS. */
static void clear_query(pk_dns_query *out) {
    out->id = 0;
    out->is_response = false;
    out->opcode = 0;
    out->qdcount = 0;
    out->nquestions = 0;
}

static pk_parse_result fail(name_err e, bool strict, pk_dns_query *out,
                            pk_dns_stats *st) {
    clear_query(out);
    if (strict) {
        st->not_plausible++;
        return PK_PARSE_NOT_MINE;
    }
    switch (e) {
    case NE_SHORT: st->malformed_short++; break;
    case NE_LABEL: st->malformed_label++; break;
    case NE_LOOP: st->malformed_compression_loop++; break;
    case NE_TOO_LONG: st->malformed_name_too_long++; break;
    case NE_POINTER: st->malformed_pointer++; break;
    case NE_COUNTS: st->malformed_counts++; break;
    default: break;
    }
    return PK_PARSE_MALFORMED;
}

static name_err read_questions(const uint8_t *msg, size_t len, pk_reader *r,
                               bool strict, pk_dns_query *out) {
    pk_dns_question scratch;
    for (uint32_t i = 0; i < out->qdcount; i++) {
        bool keep = i < PK_DNS_MAX_QUESTIONS;
        pk_dns_question *q = keep ? &out->q[i] : &scratch;
        name_err e = read_question(msg, len, r, q);
        if (e != NE_OK) return e;
        if (strict && !plausible_question(q)) return NE_COUNTS;
        if (keep) out->nquestions++;
    }
    return NE_OK;
}

pk_parse_result pk_dns_parse(const uint8_t *msg, size_t len, bool strict,
                             pk_dns_query *out, pk_dns_stats *st) {
    pk_reader r;
    dns_hdr h;
    clear_query(out);
    rd_init(&r, msg, len);
    if (!read_header(&r, &h)) return fail(NE_SHORT, strict, out, st);
    if (strict && !plausible_header(&h)) return fail(NE_COUNTS, true, out, st);
    if (!counts_fit(&h, rd_left(&r))) return fail(NE_COUNTS, strict, out, st);
    out->id = h.id;
    out->is_response = (h.flags & DNS_F_QR) != 0;
    out->opcode = (uint8_t)DNS_OPCODE(h.flags);
    out->qdcount = h.qd;
    name_err e = read_questions(msg, len, &r, strict, out);
    if (e == NE_OK && !(h.flags & DNS_F_TC))
        e = skip_records(&r, (uint32_t)h.an + h.ns + h.ar);
    if (e != NE_OK) return fail(e, strict, out, st);
    if (strict && rd_left(&r) != 0) return fail(NE_COUNTS, true, out, st);
    if (out->is_response) st->responses++;
    else st->queries++;
    if (h.qd > PK_DNS_MAX_QUESTIONS)
        st->questions_not_kept += (uint64_t)(h.qd - PK_DNS_MAX_QUESTIONS);
    return PK_PARSE_OK;
}

pk_parse_result pk_dns_parse_tcp(const uint8_t *stream, size_t len,
                                 pk_dns_query *out, pk_dns_stats *st) {
    pk_reader r;
    rd_init(&r, stream, len);
    uint16_t mlen = rd_be16(&r);
    if (!rd_ok(&r)) return PK_PARSE_NEED_MORE;
    if (mlen < DNS_HDR_LEN) {
        st->malformed_short++;
        return PK_PARSE_MALFORMED;
    }
    const uint8_t *msg = rd_take(&r, mlen);
    if (!msg) return PK_PARSE_NEED_MORE;
    return pk_dns_parse(msg, mlen, false, out, st);
}

void pk_dns_counters(const pk_dns_stats *st, pk_counter_cb cb, void *ctx) {
    cb(ctx, "dns.queries", st->queries);
    cb(ctx, "dns.responses", st->responses);
    cb(ctx, "dns.malformed.short", st->malformed_short);
    cb(ctx, "dns.malformed.label", st->malformed_label);
    cb(ctx, "dns.malformed.compression_loop", st->malformed_compression_loop);
    cb(ctx, "dns.malformed.name_too_long", st->malformed_name_too_long);
    cb(ctx, "dns.malformed.pointer", st->malformed_pointer);
    cb(ctx, "dns.malformed.counts", st->malformed_counts);
    cb(ctx, "dns.not_plausible", st->not_plausible);
    cb(ctx, "dns.questions_not_kept", st->questions_not_kept);
}
