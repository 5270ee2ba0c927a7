/* proto_dns.h - DNS query parser (UDP and TCP).
 *
 * Why it exists: DNS query names are matched against domain indicators. The
 * parser reads the question section (names with compression, loops and
 * overlong names rejected) of queries, never answers.
 */
#ifndef PICKET_PROTO_DNS_H
#define PICKET_PROTO_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "proto.h"

#define PK_DNS_MAX_QUESTIONS 4    /* more are counted, not kept */
#define PK_DNS_NAME_MAX 254       /* presentation form, no trailing dot */

typedef struct pk_dns_question {
    char name[PK_DNS_NAME_MAX + 1];   /* lower-case, dotted, NUL-terminated; "" for root */
    uint16_t name_len;
    uint16_t qtype, qclass;
} pk_dns_question;

typedef struct pk_dns_query {
    uint16_t id;
    bool is_response;
    uint8_t opcode;
    uint16_t qdcount;                 /* as in the header */
    uint8_t nquestions;               /* kept in q[] */
    pk_dns_question q[PK_DNS_MAX_QUESTIONS];
} pk_dns_query;

typedef struct pk_dns_stats {
    uint64_t queries, responses;
    uint64_t malformed_short, malformed_label, malformed_compression_loop,
             malformed_name_too_long, malformed_pointer, malformed_counts,
             not_plausible;
    uint64_t questions_not_kept;      /* past PK_DNS_MAX_QUESTIONS: parsed, not kept */
} pk_dns_stats;

/* msg is one DNS message (for TCP: without the 2-byte length prefix).
 * strict: for ports other than 53/5353/5355, also require the message to be
 * a plausible query (opcode 0, qdcount 1..4, no answers, known class...) else
 * PK_PARSE_NOT_MINE. Responses parse OK with is_response set. The records
 * after the questions are walked (not decoded): a message cut short or
 * whose counts lie is MALFORMED, except a truncated (TC) one. */
pk_parse_result pk_dns_parse(const uint8_t *msg, size_t len, bool strict,
                             pk_dns_query *out, pk_dns_stats *st);

/* stream: the first bytes of a DNS-over-TCP direction (2-byte length, then
 * the message). NEED_MORE until the whole first message is there. */
pk_parse_result pk_dns_parse_tcp(const uint8_t *stream, size_t len,
                                 pk_dns_query *out, pk_dns_stats *st);

void pk_dns_counters(const pk_dns_stats *st, pk_counter_cb cb, void *ctx);

#endif
