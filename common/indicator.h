/* indicator.h - one shared indicator and a growable list of them.
 *
 * Why it exists: every loader (Zeek intel, STIX 2.1, iprep, plain lists)
 * produces the same record, and the match store, picket-gen and the
 * collector's distribution all consume it. Strings live in the list's arena
 * so one free releases everything.
 */
#ifndef PICKET_INDICATOR_H
#define PICKET_INDICATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pk_ind_type {
    PK_IND_IPV4 = 0,
    PK_IND_IPV6,
    PK_IND_CIDR,        /* IPv4 or IPv6 prefix (family in ind.family) */
    PK_IND_DOMAIN,      /* matches dns.query, tls.sni, http.host, with subdomains */
    PK_IND_SNI,         /* tls.sni only, with subdomains */
    PK_IND_HTTP_HOST,   /* http.host only, with subdomains */
    PK_IND_URL,         /* http.url, exact after normalisation */
    PK_IND_JA3,         /* tls.ja3, lower-case md5 hex */
    PK_IND_JA4,         /* tls.ja4 */
    PK_IND__COUNT
} pk_ind_type;

typedef enum pk_tlp {
    PK_TLP_UNSET = 0,
    PK_TLP_CLEAR,
    PK_TLP_GREEN,
    PK_TLP_AMBER,
    PK_TLP_AMBER_STRICT,
    PK_TLP_RED,
} pk_tlp;

#define PK_CONFIDENCE_UNSET 255

typedef struct pk_indicator {
    const char *value;        /* normalised: lower-case names without trailing
                                 dot; canonical address text; CIDR "a/len";
                                 URL per pk_url_normalize() */
    const char *source;       /* feed name (may be NULL) */
    const char *partner;      /* who shared it (may be NULL) */
    const char *id;           /* STIX id (may be NULL) */
    const char *description;  /* may be NULL */
    const char *share_with;   /* comma-separated partners, NULL = no limit,
                                 "" = nobody */
    const char *extra;        /* other metadata as JSON object text (Zeek
                                 meta.* columns, iprep category), or NULL */
    int64_t expires;          /* unix seconds, 0 = never */
    uint16_t port;            /* scope: 0 = any */
    uint8_t proto;            /* scope: IPPROTO_*, 0 = any */
    uint8_t type;             /* pk_ind_type */
    uint8_t tlp;              /* pk_tlp */
    uint8_t confidence;       /* 0..100, PK_CONFIDENCE_UNSET */
    uint8_t family;           /* 4 or 6 for IPV4/IPV6/CIDR */
    uint8_t prefix_len;       /* CIDR prefix; 32/128 for addresses */
    uint8_t addr[16];         /* parsed address/network (host bits zero) */
} pk_indicator;

/* Chunked string storage: pointers stay valid while the arena lives. */
typedef struct pk_arena_chunk pk_arena_chunk;
typedef struct pk_arena {
    pk_arena_chunk *head;
    size_t used_bytes;        /* bytes handed out, for memory reports */
} pk_arena;

const char *pk_arena_strndup(pk_arena *a, const char *s, size_t n);
void *pk_arena_alloc(pk_arena *a, size_t n);   /* 8-byte aligned, zeroed */
void pk_arena_free(pk_arena *a);

#define PK_IND_LIST_NRECENT 5   /* source, partner, description, share_with, extra */

typedef struct pk_ind_list {
    pk_indicator *items;
    size_t n, cap;
    pk_arena strings;
    /* Last metadata strings copied, reused when the next indicator repeats
     * them (a feed repeats its source on every line): saves memory. */
    const char *recent[PK_IND_LIST_NRECENT];
} pk_ind_list;

void pk_ind_list_init(pk_ind_list *l);
/* Copies *ind, with its strings copied into l's arena. Returns the copy,
 * NULL when ind->value is NULL or memory runs out. */
pk_indicator *pk_ind_list_add(pk_ind_list *l, const pk_indicator *ind);
/* Makes room for more items (loaders call it with a line count). */
bool pk_ind_list_reserve(pk_ind_list *l, size_t more);
void pk_ind_list_free(pk_ind_list *l);

const char *pk_ind_type_name(pk_ind_type t);       /* "ipv4", "domain", ... */
int pk_ind_type_parse(const char *s, size_t n);     /* -1 if unknown */
const char *pk_tlp_name(pk_tlp t);                 /* "amber+strict", NULL if unset */
int pk_tlp_parse(const char *s);                   /* accepts "TLP:AMBER", "amber", "white"(=clear); -1 */

/* Normalises a domain-like name in place semantics: lower-case, trailing dot
 * removed. Returns the new length, or -1 if it is not a plausible DNS name
 * (empty label, label > 63, total > 253, bad characters). */
int pk_name_normalize(const char *in, size_t n, char *out, size_t outcap);

/* Normalises a URL for exact matching: drops an http:// or https:// scheme,
 * lower-cases the host, drops a default port (:80, :443) and a trailing dot
 * on the host, keeps path and query as they are, adds "/" when the path is
 * empty. "HTTP://Evil.Example:80" -> "evil.example/". Also: drops a
 * "#fragment" (never sent on the wire), keeps other schemes (lower-cased),
 * refuses spaces, control bytes, invalid UTF-8 and a host that is not
 * [A-Za-z0-9._-]+ or [IPv6] with an optional ":port". Idempotent.
 * Returns length or -1. */
int pk_url_normalize(const char *in, size_t n, char *out, size_t outcap);

/* Longest normalised value accepted (URLs); buffers are PK_IND_VALUE_MAX + 1. */
#define PK_IND_VALUE_MAX 2048

/* Parses and normalises one value of type t into buf (cap >= 64, and >
 * PK_IND_VALUE_MAX for URLs) and fills ind->value (= buf), type, family,
 * prefix_len and addr. For IPV4, IPV6 and CIDR the content decides: an
 * address gives IPV4/IPV6, a prefix gives CIDR (host bits cleared), a /32 or
 * /128 prefix gives the address. Names need at least one dot. Returns 0, or
 * -1 with *why set to a static reason. */
int pk_ind_set_value(pk_indicator *ind, pk_ind_type t, const char *in,
                     size_t n, char *buf, size_t cap, const char **why);

/* Canonical text of an address indicator's addr ("a", or "a/len" for a
 * CIDR) into buf. 0, or -1 when it does not fit or family is not 4/6. */
int pk_ind_addr_text(const pk_indicator *ind, char *buf, size_t cap);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool pk_utf8_valid(const char *s, size_t n);

#endif
