/* ind_value.c - turns one typed indicator value into its canonical form.
 *
 * Why it exists: the four loaders, the store (for sets pushed without parsed
 * addresses) and the collector all need the same rules for what an address,
 * prefix, name, URL or fingerprint looks like once normalised; keeping them
 * in one place means "198.51.100.7" from STIX and from a plain list are the
 * same indicator.
 */
#include "indicator.h"

#include <arpa/inet.h>
#include <string.h>

bool pk_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                   : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || len > n - i)
            return false;
        unsigned cp = len == 1 ? c : c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* ---- addresses and prefixes --------------------------------------------- */

static int parse_prefix_len(const char *s, size_t n, int max) {
    if (n == 0 || n > 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

static void clear_host_bits(uint8_t *addr, int bytes, int len) {
    for (int i = 0; i < bytes; i++) {
        int keep = len - i * 8;
        if (keep >= 8)
            continue;
        addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

static int parse_address(const char *s, size_t n, pk_indicator *ind) {
    char tmp[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(ind->addr, 0, sizeof ind->addr);
    if (inet_pton(AF_INET, tmp, ind->addr) == 1) {
        ind->family = 4;
        return 0;
    }
    if (memchr(tmp, ':', n) && inet_pton(AF_INET6, tmp, ind->addr) == 1) {
        ind->family = 6;
        return 0;
    }
    return -1;
}

static size_t put_uint(char *p, unsigned v) {
    char tmp[12];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        p[k++] = tmp[--n];
    return k;
}

/* Canonical text of ind->addr, with "/len" when len < max. */
static int format_net(const pk_indicator *ind, int len, int max, char *buf,
                      size_t cap) {
    char text[INET6_ADDRSTRLEN + 8];
    size_t n = 0;
    if (ind->family == 4) {
        for (int i = 0; i < 4; i++) {
            n += put_uint(text + n, ind->addr[i]);
            text[n++] = '.';
        }
        n--;
    } else {
        inet_ntop(AF_INET6, ind->addr, text, INET6_ADDRSTRLEN);
        n = strlen(text);
    }
    if (len < max) {
        text[n++] = '/';
        n += put_uint(text + n, (unsigned)len);
    }
    if (n >= cap)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return 0;
}

int pk_ind_addr_text(const pk_indicator *ind, char *buf, size_t cap) {
    int max = ind->family == 4 ? 32 : 128;
    int len = ind->type == PK_IND_CIDR && ind->prefix_len < max ? ind->prefix_len : max;
    if (ind->family != 4 && ind->family != 6)
        return -1;
    return format_net(ind, len, max, buf, cap);
}

static int set_address(pk_indicator *ind, const char *in, size_t n, char *buf,
                       size_t cap, const char **why) {
    const char *slash = memchr(in, '/', n);
    size_t alen = slash ? (size_t)(slash - in) : n;
    if (parse_address(in, alen, ind) < 0) {
        *why = slash ? "invalid network address" : "invalid IP address";
        return -1;
    }
    int max = ind->family == 4 ? 32 : 128;
    int len = max;
    if (slash && (len = parse_prefix_len(slash + 1, n - alen - 1, max)) < 0) {
        *why = "invalid prefix length";
        return -1;
    }
    clear_host_bits(ind->addr, max / 8, len);
    ind->prefix_len = (uint8_t)len;
    ind->type = len < max ? PK_IND_CIDR : ind->family == 4 ? PK_IND_IPV4
                                                           : PK_IND_IPV6;
    if (format_net(ind, len, max, buf, cap) < 0) {
        *why = "value too long";
        return -1;
    }
    return 0;
}

/* ---- names, URLs, fingerprints -------------------------------------------- */

static int set_name(const char *in, size_t n, char *buf, size_t cap,
                    const char **why) {
    int len = pk_name_normalize(in, n, buf, cap);
    if (len < 0) {
        *why = "invalid domain name";
        return -1;
    }
    if (!memchr(buf, '.', (size_t)len)) {
        *why = "single-label name (would match a whole top-level domain)";
        return -1;
    }
    return 0;
}

static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_alnum_lower(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

static bool ja4_shape(const char *s) {
    if ((s[0] != 't' && s[0] != 'q' && s[0] != 'd') || !(s[1] == 's' || (s[1] >= '0' && s[1] <= '9')) ||
        !is_alnum_lower(s[2]) || (s[3] != 'd' && s[3] != 'i'))
        return false;
    for (int i = 4; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    if (!is_alnum_lower(s[8]) || !is_alnum_lower(s[9]) || s[10] != '_' ||
        s[23] != '_')
        return false;
    for (int i = 11; i < 36; i++)
        if (i != 23 && !is_hex(s[i]))
            return false;
    return true;
}

static int set_fingerprint(pk_ind_type t, const char *in, size_t n, char *buf,
                           size_t cap, const char **why) {
    size_t want = t == PK_IND_JA3 ? 32 : 36;
    if (n != want || cap <= want) {
        *why = t == PK_IND_JA3 ? "JA3 must be 32 hex digits"
                               : "JA4 must look like t13d1516h2_8daaf6152771_e5627efa2ab1";
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
    buf[n] = '\0';
    bool ok = true;
    for (size_t i = 0; t == PK_IND_JA3 && i < n; i++)
        ok = ok && is_hex(buf[i]);
    if (t == PK_IND_JA4)
        ok = ja4_shape(buf);
    if (!ok)
        *why = t == PK_IND_JA3 ? "JA3 must be 32 hex digits"
                               : "JA4 must look like t13d1516h2_8daaf6152771_e5627efa2ab1";
    return ok ? 0 : -1;
}

int pk_ind_set_value(pk_indicator *ind, pk_ind_type t, const char *in,
                     size_t n, char *buf, size_t cap, const char **why) {
    const char *local;
    int rc = -1;
    if (!why)
        why = &local;
    *why = "unknown indicator type";
    ind->family = 0;
    ind->prefix_len = 0;
    ind->type = (uint8_t)t;
    switch (t) {
    case PK_IND_IPV4: case PK_IND_IPV6: case PK_IND_CIDR:
        rc = set_address(ind, in, n, buf, cap, why);
        break;
    case PK_IND_DOMAIN: case PK_IND_SNI: case PK_IND_HTTP_HOST:
        rc = set_name(in, n, buf, cap, why);
        break;
    case PK_IND_URL:
        rc = pk_url_normalize(in, n, buf, cap < PK_IND_VALUE_MAX + 1 ? cap
                                              : PK_IND_VALUE_MAX + 1) < 0 ? -1 : 0;
        *why = "invalid or overlong URL";
        break;
    case PK_IND_JA3: case PK_IND_JA4:
        rc = set_fingerprint(t, in, n, buf, cap, why);
        break;
    default:
        break;
    }
    if (rc == 0)
        ind->value = buf;
    return rc;
}
