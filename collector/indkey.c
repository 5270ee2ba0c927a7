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

static bool valid_type(const char *t) {
    size_t n = strlen(t);
    if (n == 0 || n > IND_TYPE_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)t[i]) && !isdigit((unsigned char)t[i]) && t[i] != '_' &&
            t[i] != '-' && t[i] != '+')
            return false;
    return true;
}

static void sha256_hex(const char *data, size_t len, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < mdlen && i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = 0;
}

bool pk_indicator_key_text(const char *type, const char *value, size_t vlen, char *out,
                           size_t len) {
    if (!valid_type(type) || vlen == 0 || memchr(value, 0, vlen)) return false;
    char *v = malloc(vlen + 1);
    if (!v) return false;
    bool lower = strcmp(type, "url") != 0;
    for (size_t i = 0; i < vlen; i++)
        v[i] = lower ? (char)tolower((unsigned char)value[i]) : value[i];
    v[vlen] = 0;
    int n;
    if (vlen > IND_VALUE_INLINE) {
        char hex[65];
        sha256_hex(v, vlen, hex);
        n = snprintf(out, len, "%s|sha256:%s", type, hex);
    } else {
        n = snprintf(out, len, "%s|%s", type, v);
    }
    free(v);
    return n > 0 && (size_t)n < len;
}
