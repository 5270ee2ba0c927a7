/* ind_plain.c - reads plain indicator lists: one value per line.
 *
 * Why it exists: the simplest thing a partner can share is a list (a Snort
 * style IP block list, a domain list, fingerprints). The type of each value
 * is inferred (address, CIDR, URL, domain) or given by a "type:" prefix,
 * which fingerprints require because a bare hash is ambiguous.
 */
#include "ind_load_int.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *word;
    pk_ind_type type;
} prefixes[] = {
    {"ip", PK_IND_IPV4},       {"ipv4", PK_IND_IPV4}, {"ipv6", PK_IND_IPV6},
    {"cidr", PK_IND_CIDR},     {"domain", PK_IND_DOMAIN},
    {"sni", PK_IND_SNI},       {"http_host", PK_IND_HTTP_HOST},
    {"url", PK_IND_URL},       {"ja3", PK_IND_JA3}, {"ja4", PK_IND_JA4},
};

static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_hexdig(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of a "word:" prefix (letters, digits, '_'), 0 when there is none
 * or it is the first group of an IPv6 address or a URL scheme. */
static size_t prefix_len(const char *s, size_t n) {
    size_t i = 0;
    bool all_hex = true;
    while (i < n && i < 16 && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_')) {
        all_hex = all_hex && is_hexdig(s[i]);
        i++;
    }
    if (i == 0 || i >= n || s[i] != ':' || !is_alpha(s[0]) || all_hex)
        return 0;
    if (n - i >= 3 && s[i + 1] == '/' && s[i + 2] == '/')
        return 0;
    return i;
}

static int prefix_type(const char *s, size_t n) {
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strlen(prefixes[i].word) == n && strncasecmp(s, prefixes[i].word, n) == 0)
            return (int)prefixes[i].type;
    return -1;
}

enum { CH_DIGIT = 1, CH_HEX = 2, CH_DOT_SLASH = 4, CH_COLON = 8 };

static unsigned char_class(char c) {
    if (c >= '0' && c <= '9')
        return CH_DIGIT;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
        return CH_HEX;
    return c == '.' || c == '/' ? CH_DOT_SLASH : c == ':' ? CH_COLON : 0;
}

/* True when every byte is in one of the classes. */
static bool only_chars(const char *s, size_t n, unsigned classes) {
    for (size_t i = 0; i < n; i++)
        if (!(char_class(s[i]) & classes))
            return false;
    return true;
}

static bool looks_like_ja4(const char *s, size_t n) {
    char buf[64];
    pk_indicator tmp = {0};
    return n == 36 && memchr(s, '_', n) &&
           pk_ind_set_value(&tmp, PK_IND_JA4, s, n, buf, sizeof buf, NULL) == 0;
}

/* Picks a type for an unprefixed value; -1 with *why when none fits. */
static int infer_type(const char *s, size_t n, const char **why) {
    if (n == 32 && only_chars(s, n, CH_DIGIT | CH_HEX)) {
        *why = "looks like a JA3 hash: fingerprints need the ja3: prefix";
        return -1;
    }
    if (looks_like_ja4(s, n)) {
        *why = "looks like a JA4 fingerprint: fingerprints need the ja4: prefix";
        return -1;
    }
    bool colon = memchr(s, ':', n), slash = memchr(s, '/', n), dot = memchr(s, '.', n);
    bool addrish = only_chars(s, n, CH_DIGIT | CH_DOT_SLASH) ||
                   (colon && only_chars(s, n, CH_DIGIT | CH_HEX | CH_DOT_SLASH | CH_COLON)) ||
                   (colon && !slash && !dot);
    if (addrish)
        return PK_IND_IPV4;             /* the content picks v4, v6 or CIDR */
    if (slash)
        return PK_IND_URL;
    if (!dot) {
        *why = "not an address, CIDR, domain or URL";
        return -1;
    }
    return PK_IND_DOMAIN;
}

static void report_value(pk_ldctx *c, uint32_t no, const char *why,
                         const char *s, size_t n) {
    char ex[64];
    pk_ld_excerpt(ex, sizeof ex, s, n);
    pk_ld_issue(c, no, "%s: '%s'", why, ex);
}

static bool has_space(const char *s, size_t n) {
    return memchr(s, ' ', n) || memchr(s, '\t', n);
}

/* Parses one value (comment and spaces already removed). */
static int plain_value(pk_ldctx *c, uint32_t no, const char *s, size_t n) {
    const char *why = NULL;
    int type;
    size_t pl = prefix_len(s, n);
    const char *v = s + (pl ? pl + 1 : 0);
    size_t vn = n - (pl ? pl + 1 : 0);
    pk_ld_trim(&v, &vn);
    if (pl && (type = prefix_type(s, pl)) < 0) {
        report_value(c, no, "unknown type prefix", s, pl + 1);
        return 0;
    }
    if (pl && vn == 0) {
        report_value(c, no, "empty value after prefix", s, pl + 1);
        return 0;
    }
    if (has_space(v, vn)) {
        report_value(c, no, "more than one value on the line", s, n);
        return 0;
    }
    if (!pl && (type = infer_type(v, vn, &why)) < 0) {
        report_value(c, no, why, v, vn);
        return 0;
    }
    char buf[PK_IND_VALUE_MAX + 1];
    pk_indicator ind = {.confidence = PK_CONFIDENCE_UNSET};
    if (pk_ind_set_value(&ind, (pk_ind_type)type, v, vn, buf, sizeof buf, &why) < 0) {
        report_value(c, no, why, v, vn);
        return 0;
    }
    return pk_ld_emit(c, &ind) < 0 ? -1 : 0;
}

/* Cuts a trailing " # comment" (a '#' after a space or tab). */
static size_t strip_comment(const char *s, size_t n) {
    for (size_t i = 1; i < n; i++)
        if (s[i] == '#' && (s[i - 1] == ' ' || s[i - 1] == '\t'))
            return i;
    return n;
}

static int plain_line(pk_ldctx *c, void *state, uint32_t no, const char *s,
                      size_t n) {
    (void)state;
    pk_ld_trim(&s, &n);
    if (n == 0 || s[0] == '#')
        return 0;
    n = strip_comment(s, n);
    pk_ld_trim(&s, &n);
    if (!pk_ld_line_ok(c, no, s, n))
        return 0;
    return plain_value(c, no, s, n);
}

const pk_line_format pk_plain_format = {0, NULL, plain_line, NULL};
