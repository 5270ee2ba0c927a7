/* text.c - peer-supplied text made safe for one log line.
 *
 * Why it exists: sensor ids, versions and rejection details can come from
 * an unauthenticated or hostile peer; a newline or an escape sequence in
 * them must not forge or garble log lines an operator relies on.
 */
#include "collector.h"

void pk_sanitize(const char *in, char *out, size_t outlen) {
    if (outlen == 0) return;
    size_t o = 0;
    for (size_t i = 0; in && in[i] && o + 1 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[o] = 0;
}
