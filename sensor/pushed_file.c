/* pushed_file.c - the pushed indicator set kept in the spool directory
 * (see pushed.h).
 *
 * Why it exists: a sensor restarted while the collector is unreachable
 * must start from the last set it was pushed, and a file on disk may be
 * cut short or damaged. The set is one file, replaced atomically, whose
 * first line names its version and length:
 *
 *     #picket-pushed-set 1 <16 hex digits> <bytes>\n
 *     <the set's picket-jsonl text, exactly <bytes> long>
 *
 * Reading checks the header, the length and that the text hashes to the
 * version; a file that fails any check is refused as a whole (a damaged
 * set is never half-applied) with a reason naming the file.
 */
#include "pushed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

#define HEADER_TAG "#picket-pushed-set 1 "
#define HEADER_MAX 64

int pk_pushed_persist(const char *dir, const char *version, const char *data,
                      size_t len, char *err, size_t errlen) {
    char head[HEADER_MAX];
    int n = snprintf(head, sizeof head, HEADER_TAG "%s %zu\n", version, len);
    return pk_file_replace(dir, PK_PUSHED_FILE, head, (size_t)n, data, len, err, errlen);
}

/* Parses the header line of buf; returns the offset of the text after it
 * and *version / *declared, or 0 when it is not a valid header. */
static size_t parse_header(const char *buf, size_t len, char version[PK_PUSH_VERSION_LEN + 1],
                           unsigned long long *declared) {
    const size_t tag = sizeof HEADER_TAG - 1;
    const char *nl = memchr(buf, '\n', len < HEADER_MAX ? len : HEADER_MAX);
    if (!nl || (size_t)(nl - buf) < tag + PK_PUSH_VERSION_LEN + 2 ||
        memcmp(buf, HEADER_TAG, tag) != 0 || buf[tag + PK_PUSH_VERSION_LEN] != ' ')
        return 0;
    const char *v = buf + tag, *d = v + PK_PUSH_VERSION_LEN + 1;
    for (size_t i = 0; i < PK_PUSH_VERSION_LEN; i++)
        if (!v[i] || !strchr("0123456789abcdef", v[i])) return 0;
    unsigned long long x = 0;
    for (const char *p = d; p < nl; p++) {
        if (*p < '0' || *p > '9' || p - d > 12) return 0;
        x = x * 10 + (unsigned)(*p - '0');
    }
    memcpy(version, v, PK_PUSH_VERSION_LEN);
    version[PK_PUSH_VERSION_LEN] = '\0';
    *declared = x;
    return (size_t)(nl - buf) + 1;
}

const char *pk_pushed_check(const char *buf, size_t len, size_t *off,
                            char version[PK_PUSH_VERSION_LEN + 1]) {
    unsigned long long declared = 0;
    char got[PK_PUSH_VERSION_LEN + 1];
    *off = parse_header(buf, len, version, &declared);
    if (*off == 0) {
        version[0] = '\0';
        return "line 1: not a \"" HEADER_TAG "<version> <bytes>\" header";
    }
    if (declared != len - *off) return "length differs from its header (cut short or damaged)";
    pk_push_version(buf + *off, len - *off, got);
    if (strcmp(got, version) != 0) return "text does not hash to its version (damaged)";
    return NULL;
}

int pk_pushed_read(const char *dir, char **data, size_t *len,
                   char version[PK_PUSH_VERSION_LEN + 1], char *err, size_t errlen) {
    char path[4096];
    size_t off = 0;
    *data = NULL;
    *len = 0;
    version[0] = '\0';
    if (snprintf(path, sizeof path, "%s/%s", dir, PK_PUSHED_FILE) >= (int)sizeof path) {
        snprintf(err, errlen, "spool %s: path too long", dir);
        return -1;
    }
    char *buf = NULL;
    size_t n = 0;
    int rc = pk_file_read(path, PK_PUSHED_MAX_BYTES + HEADER_MAX, &buf, &n, err, errlen);
    if (rc != 1) return rc;
    const char *why = pk_pushed_check(buf, n, &off, version);
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        version[0] = '\0';
        free(buf);
        return -1;
    }
    memmove(buf, buf + off, n - off + 1);     /* the text and its NUL */
    *data = buf;
    *len = n - off;
    return 1;
}
