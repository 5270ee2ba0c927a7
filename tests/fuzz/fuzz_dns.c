/* fuzz_dns.c - fuzzes the DNS query parser (sensor/proto_dns.h):
 * pk_dns_parse strict and not, and pk_dns_parse_tcp.
 *
 * Why: DNS is parsed on every UDP datagram to a DNS port and, in strict
 * mode, on any UDP datagram that might be a query; its names carry
 * compression pointers, the classic source of loops and out-of-bounds
 * reads. The input is one message as it arrives (UDP payload); the same
 * bytes are also read as the start of a DNS-over-TCP direction (2-byte
 * length, then the message).
 *
 * Checked (proto_dns.h contract): results are one of the four codes; on OK
 * at most PK_DNS_MAX_QUESTIONS names are kept, never more than qdcount,
 * each NUL-terminated within PK_DNS_NAME_MAX with name_len == strlen, in
 * lower case; a strict OK is also a non-strict OK with the same questions
 * (strict only adds plausibility checks); a TCP parse is the non-strict
 * parse of the message its prefix announces.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "proto_dns.h"

static void check_query(const pk_dns_query *q) {
    FZ_CHECK(q->nquestions <= PK_DNS_MAX_QUESTIONS);
    FZ_CHECK(q->nquestions <= q->qdcount);
    for (int i = 0; i < q->nquestions; i++) {
        const pk_dns_question *qq = &q->q[i];
        FZ_CHECK_STR(qq->name, qq->name_len);
        FZ_CHECK(qq->name_len <= PK_DNS_NAME_MAX);
        for (size_t j = 0; j < qq->name_len; j++)
            FZ_CHECK(!(qq->name[j] >= 'A' && qq->name[j] <= 'Z'));
    }
}

static bool same_questions(const pk_dns_query *a, const pk_dns_query *b) {
    if (a->nquestions != b->nquestions || a->qdcount != b->qdcount) return false;
    for (int i = 0; i < a->nquestions; i++)
        if (strcmp(a->q[i].name, b->q[i].name) != 0 ||
            a->q[i].qtype != b->q[i].qtype || a->q[i].qclass != b->q[i].qclass)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pk_dns_stats st;
    pk_dns_query loose, strict, tcp;
    memset(&st, 0, sizeof st);

    pk_parse_result rl = pk_dns_parse(data, size, false, &loose, &st);
    FZ_CHECK(rl == PK_PARSE_OK || rl == PK_PARSE_MALFORMED);
    if (rl == PK_PARSE_OK) check_query(&loose);

    pk_parse_result rs = pk_dns_parse(data, size, true, &strict, &st);
    FZ_CHECK(rs == PK_PARSE_OK || rs == PK_PARSE_NOT_MINE);
    if (rs == PK_PARSE_OK) {
        check_query(&strict);
        FZ_CHECK(!strict.is_response);
        FZ_CHECK(rl == PK_PARSE_OK && same_questions(&strict, &loose));
    }

    pk_parse_result rt = pk_dns_parse_tcp(data, size, &tcp, &st);
    FZ_CHECK(rt != PK_PARSE_NOT_MINE);
    if (size >= 2) {
        size_t mlen = (size_t)data[0] << 8 | data[1];
        if (rt == PK_PARSE_NEED_MORE) FZ_CHECK(size - 2 < mlen);
        if (rt == PK_PARSE_OK) {
            FZ_CHECK(mlen <= size - 2);
            check_query(&tcp);
            /* The message alone, in a buffer of its size, parses the same. */
            uint8_t *msg = fz_dup(data + 2, mlen);
            pk_dns_query again;
            FZ_CHECK(pk_dns_parse(msg, mlen, false, &again, &st) == PK_PARSE_OK);
            FZ_CHECK(same_questions(&again, &tcp));
            free(msg);
        }
    } else {
        FZ_CHECK(rt == PK_PARSE_NEED_MORE);
    }
    return 0;
}
