/* indkey.c - "type|value" indicator keys (see indkey.h).
 *
 * Why it exists: keys are bounded whatever a sensor sends: the type is
 * checked against a small alphabet and long values are replaced by their
 * SHA-256, so no indicator can make a key longer than PK_INDKEY_MAX.
 */
#include "indkey.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define IND_TYPE_MAX 32
#define IND_VALUE_INLINE 200     /* longer values are keyed by their hash */

static bool valid_type(const char *t, size_t n) {
    if (n == 0 || n > IND_TYPE_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)t[i]) && !isdigit((unsigned char)t[i]) && t[i] != '_' &&
            t[i] != '-' && t[i] != '+')
            return false;
    return true;
}

static void sha256_hex(const char *data, size_t len, char out[65]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < mdlen && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = 0;
}

bool pk_indicator_key_mem(const char *type, size_t tlen, const char *raw, size_t vlen,
                          char *out, size_t len) {
    if (!valid_type(type, tlen) || vlen == 0 || memchr(raw, 0, vlen)) return false;
    char small[IND_VALUE_INLINE + 1];        /* the usual case: no allocation */
    char *value = vlen <= IND_VALUE_INLINE ? small : malloc(vlen + 1);
    if (!value) return false;
    bool lower = !(tlen == 3 && memcmp(type, "url", 3) == 0);
    for (size_t i = 0; i < vlen; i++)
        value[i] = lower ? (char)tolower((unsigned char)raw[i]) : raw[i];
    value[vlen] = 0;
    int n;
    if (vlen > IND_VALUE_INLINE) {
        char hex[65];
        sha256_hex(value, vlen, hex);
        n = snprintf(out, len, "%.*s|sha256:%s", (int)tlen, type, hex);
        free(value);
    } else {
        n = snprintf(out, len, "%.*s|%s", (int)tlen, type, value);
    }
    return n > 0 && (size_t)n < len;
}

bool pk_indicator_key_text(const char *type, const char *value, size_t vlen, char *out,
                           size_t len) {
    return pk_indicator_key_mem(type, strlen(type), value, vlen, out, len);
}
