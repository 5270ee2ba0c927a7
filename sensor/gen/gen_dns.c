/* gen_dns.c - builds DNS queries and answers (RFC 1035, EDNS0 RFC 6891).
 *
 * Why it exists: see gen_dns.h. Names are written label by label; answers
 * point back at the question name with a compression pointer, as servers
 * do.
 */
#include "gen_dns.h"

#include <string.h>

static size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* Encodes name as labels; returns bytes written or 0 if invalid. */
static size_t put_name(uint8_t *p, size_t cap, const char *name)
{
    size_t n = 0, len = strlen(name);
    if (len == 0 || len > 253 || cap < len + 2)
        return 0;
    const char *s = name;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63)
            return 0;
        p[n++] = (uint8_t)l;
        memcpy(p + n, s, l);
        n += l;
        s += l;
        if (*s == '.')
            s++;
    }
    p[n++] = 0;
    return n;
}

static size_t put_opt(uint8_t *p)
{
    size_t n = 0;
    p[n++] = 0;                    /* root name */
    n += put16(p + n, 41);         /* OPT */
    n += put16(p + n, 1232);       /* UDP payload size */
    memset(p + n, 0, 6);           /* ext rcode, version, flags, rdlen */
    return n + 6;
}

/* Header + question; returns the offset after the question or 0. */
static size_t header_question(uint8_t *m, size_t cap, uint16_t id,
                              uint16_t flags, const char *name, uint16_t qtype,
                              uint16_t ancount, bool edns)
{
    if (cap < 12)
        return 0;
    size_t n = put16(m, id);
    n += put16(m + n, flags);
    n += put16(m + n, 1);
    n += put16(m + n, ancount);
    n += put16(m + n, 0);
    n += put16(m + n, edns ? 1 : 0);
    size_t nl = put_name(m + n, cap - n, name);
    if (!nl || n + nl + 4 > cap)
        return 0;
    n += nl;
    n += put16(m + n, qtype);
    n += put16(m + n, 1);          /* IN */
    return n;
}

static size_t finish(uint8_t *buf, size_t msglen, bool tcp)
{
    if (tcp)
        put16(buf, (uint16_t)msglen);
    return msglen + (tcp ? 2 : 0);
}

size_t gen_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                     uint16_t qtype, bool edns, bool tcp)
{
    size_t pre = tcp ? 2 : 0;
    if (cap < pre + 11)
        return 0;
    uint8_t *m = buf + pre;
    size_t n = header_question(m, cap - pre - 11, id, 0x0100, name, qtype, 0,
                               edns);
    if (!n)
        return 0;
    if (edns)
        n += put_opt(m + n);
    return finish(buf, n, tcp);
}

size_t gen_dns_response(uint8_t *buf, size_t cap, uint16_t id,
                        const char *name, uint16_t qtype, bool edns,
                        const gen_addr *answers, size_t na, uint32_t ttl,
                        bool tcp)
{
    size_t pre = tcp ? 2 : 0, alen = qtype == GEN_DNS_AAAA ? 16 : 4;
    size_t need = na * (12 + alen) + 11;
    if (cap < pre + need)
        return 0;
    uint8_t *m = buf + pre;
    size_t n = header_question(m, cap - pre - need, id, 0x8180, name, qtype,
                               (uint16_t)na, edns);
    if (!n)
        return 0;
    for (size_t i = 0; i < na; i++) {
        n += put16(m + n, 0xc00c);             /* pointer to the question */
        n += put16(m + n, qtype);
        n += put16(m + n, 1);
        n += put16(m + n, (uint16_t)(ttl >> 16));
        n += put16(m + n, (uint16_t)ttl);
        n += put16(m + n, (uint16_t)alen);
        memcpy(m + n, answers[i].a, alen);
        n += alen;
    }
    if (edns)
        n += put_opt(m + n);
    return finish(buf, n, tcp);
}
