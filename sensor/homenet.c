/* homenet.c - home network prefixes and alert direction (see homenet.h). */
#include "homenet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_one(pk_homenet *h, const char *item, char *err, size_t errlen) {
    char buf[64];
    if (strlen(item) >= sizeof buf) {
        snprintf(err, errlen, "home-net entry too long: '%.20s...'", item);
        return -1;
    }
    strcpy(buf, item);
    char *slash = strchr(buf, '/');
    if (slash) *slash = '\0';
    uint8_t family = strchr(buf, ':') ? 6 : 4;
    int maxlen = family == 6 ? 128 : 32;
    int len = maxlen;
    if (slash) {
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || v < 0 || v > maxlen) {
            snprintf(err, errlen, "home-net: bad prefix length in '%s'", item);
            return -1;
        }
        len = (int)v;
    }
    if (h->n >= PK_HOMENET_MAX) {
        snprintf(err, errlen, "home-net: more than %d prefixes", PK_HOMENET_MAX);
        return -1;
    }
    memset(&h->net[h->n], 0, sizeof h->net[0]);
    if (inet_pton(family == 6 ? AF_INET6 : AF_INET, buf, h->net[h->n].addr) != 1) {
        snprintf(err, errlen, "home-net: bad address in '%s'", item);
        return -1;
    }
    h->net[h->n].family = family;
    h->net[h->n].len = (uint8_t)len;
    h->n++;
    return 0;
}

int pk_homenet_parse(pk_homenet *h, const char *spec, char *err, size_t errlen) {
    h->n = 0;
    char *copy = strdup(spec), *save = NULL;
    if (!copy) return -1;
    int rc = 0;
    for (char *tok = strtok_r(copy, ", ", &save); tok && rc == 0;
         tok = strtok_r(NULL, ", ", &save))
        rc = parse_one(h, tok, err, errlen);
    free(copy);
    return rc;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, int len) {
    int full = len / 8, rest = len % 8;
    if (memcmp(a, net, (size_t)full) != 0) return false;
    if (!rest) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

bool pk_homenet_contains(const pk_homenet *h, int family, const uint8_t *addr) {
    for (int i = 0; i < h->n; i++)
        if (h->net[i].family == family && prefix_match(addr, h->net[i].addr, h->net[i].len))
            return true;
    return false;
}

const char *pk_homenet_direction(const pk_homenet *h, int family,
                                 const uint8_t *src, const uint8_t *dst) {
    bool s = pk_homenet_contains(h, family, src);
    bool d = pk_homenet_contains(h, family, dst);
    if (s && d) return "internal";
    if (s) return "outbound";
    if (d) return "inbound";
    return "external";
}
