/* fuzz_ind.h - what the four indicator loader targets (fuzz_ind_*.c) share:
 * load a buffer, check the report, build a store, look things up in it,
 * free everything.
 *
 * Why it exists: every indicator file a partner sends goes through
 * pk_ind_load_buffer/pk_ind_load_file and then pk_istore_build, and a SIGHUP
 * reload does it again on a live sensor; the loaders differ, the checks
 * after loading do not. Each target only decides how its input is made to
 * be read as its format (pk_ind_load_buffer detects by content and takes no
 * format argument, so a target passes inputs of its format as they are and
 * puts a prefix that decides the detection in front of any other).
 *
 * Checked (ind_load.h, istore.h and rules/README.md contracts):
 *  - the detected format is the one the target forced;
 *  - a fatal error has a message naming the buffer; otherwise the list holds
 *    exactly the `loaded` indicators, `loaded` is the sum of by_type, and
 *    at most PK_LOAD_MAX_ISSUES issues are kept of issues_total == skipped;
 *  - the store keeps every loaded indicator (none silently dropped), its
 *    version is 16 hex digits, and each stored indicator is found again by
 *    the lookup of its own field (address, network, name, URL, JA3, JA4)
 *    within its own scope;
 *  - lookups of hostile values (the input's bytes as a name, URL, JA3/JA4
 *    and addresses) are memory-safe and return stored indicators.
 */
#ifndef PICKET_FUZZ_IND_H
#define PICKET_FUZZ_IND_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "ind_load.h"
#include "istore.h"

/* Load time: 2026-09-01T00:00:00Z, as in rules/README.md. */
#define FZ_IND_NOW 1788220800LL
#define FZ_IND_NAME "fuzz/indicators"

static FILE *g_fz_null;   /* load reports are printed here */

static void fz_ind_init(void) {
    if (!g_fz_null) g_fz_null = fopen("/dev/null", "w");
    if (!g_fz_null) abort();
}

static pk_ind_view g_fz_view;   /* every lookup fills it */

static bool fz_in_store(const pk_istore *s, const pk_indicator *hit) {
    return hit == &g_fz_view.ind && g_fz_view.item < pk_istore_count(s);
}

/* Every stored indicator is found by a lookup of its own value. */
static void fz_find_own(const pk_istore *s, const pk_indicator *it) {
    const pk_indicator *hit = NULL;
    size_t n = strlen(it->value);
    switch ((pk_ind_type)it->type) {
    case PK_IND_IPV4:
    case PK_IND_IPV6:
    case PK_IND_CIDR:
        FZ_CHECK(it->family == 4 || it->family == 6);
        hit = pk_istore_match_addr(s, it->family, it->addr, it->proto, it->port, &g_fz_view);
        break;
    case PK_IND_DOMAIN:
        hit = pk_istore_match_name(s, PK_FIELD_DNS_QUERY, it->value, n, it->proto, it->port, &g_fz_view);
        break;
    case PK_IND_SNI:
        hit = pk_istore_match_name(s, PK_FIELD_TLS_SNI, it->value, n, it->proto, it->port, &g_fz_view);
        break;
    case PK_IND_HTTP_HOST:
        hit = pk_istore_match_name(s, PK_FIELD_HTTP_HOST, it->value, n, it->proto, it->port, &g_fz_view);
        break;
    case PK_IND_URL:
        hit = pk_istore_match_exact(s, PK_FIELD_HTTP_URL, it->value, n, it->proto, it->port, &g_fz_view);
        break;
    case PK_IND_JA3:
        hit = pk_istore_match_exact(s, PK_FIELD_TLS_JA3, it->value, n, it->proto, it->port, &g_fz_view);
        break;
    case PK_IND_JA4:
        hit = pk_istore_match_exact(s, PK_FIELD_TLS_JA4, it->value, n, it->proto, it->port, &g_fz_view);
        break;
    default:
        FZ_CHECK(!"indicator of an unknown type in the store");
    }
    if (!hit) fprintf(stderr, "stored %s \"%s\" not found\n",
                      pk_ind_type_name((pk_ind_type)it->type), it->value);
    FZ_CHECK(hit != NULL && fz_in_store(s, hit));
}

/* The input's own bytes as observed values. */
static void fz_hostile_lookups(const pk_istore *s, const uint8_t *d, size_t len) {
    static const pk_field names[] = {PK_FIELD_DNS_QUERY, PK_FIELD_TLS_SNI,
                                     PK_FIELD_HTTP_HOST};
    static const pk_field exact[] = {PK_FIELD_HTTP_URL, PK_FIELD_TLS_JA3,
                                     PK_FIELD_TLS_JA4};
    size_t n = len < 600 ? len : 600;
    const char *v = (const char *)d;
    for (size_t i = 0; i < 3; i++) {
        const pk_indicator *a = pk_istore_match_name(s, names[i], v, n, 6, 443, &g_fz_view);
        const pk_indicator *b = pk_istore_match_exact(s, exact[i], v, n, 17, 53, &g_fz_view);
        FZ_CHECK(!a || fz_in_store(s, a));
        FZ_CHECK(!b || fz_in_store(s, b));
    }
    uint8_t addr[16] = {0};
    memcpy(addr, d, len < 16 ? len : 16);
    const pk_indicator *a4 = pk_istore_match_addr(s, 4, addr, 6, 80, &g_fz_view);
    const pk_indicator *a6 = pk_istore_match_addr(s, 6, addr, 17, 0, &g_fz_view);
    FZ_CHECK(!a4 || fz_in_store(s, a4));
    FZ_CHECK(!a6 || fz_in_store(s, a6));
}

/* pk_ind_load_buffer, or a loader of one format with its signature. */
typedef int (*fz_ind_loader)(pk_ind_list *l, const char *name, const char *buf, size_t len,
                             int64_t now, pk_load_report *rep);

/* Loads buf with load (its report must name format want), checks, builds,
 * looks up. */
static void fz_ind_run_with(fz_ind_loader load, const char *buf, size_t len,
                            pk_ind_format want, const uint8_t *raw, size_t raw_len) {
    static pk_load_report rep;   /* 8 KiB of issues: not on the stack */
    pk_ind_list l;
    pk_ind_list_init(&l);
    int rc = load(&l, FZ_IND_NAME, buf, len, FZ_IND_NOW, &rep);
    pk_load_report_print(g_fz_null, &rep);
    FZ_CHECK(rep.format == want);
    if (rc != 0) {
        FZ_CHECK(rc == -1);
        FZ_CHECK(strncmp(rep.error, FZ_IND_NAME ": ", strlen(FZ_IND_NAME) + 2) == 0);
        pk_ind_list_free(&l);
        return;
    }
    uint64_t sum = 0;
    for (int t = 0; t < PK_IND__COUNT; t++) sum += rep.by_type[t];
    FZ_CHECK(sum == rep.loaded && l.n == rep.loaded);
    FZ_CHECK(rep.nissues <= PK_LOAD_MAX_ISSUES && rep.nissues <= rep.issues_total);
    FZ_CHECK(rep.issues_total == rep.skipped);
    for (uint32_t i = 0; i < rep.nissues; i++)
        FZ_CHECK(memchr(rep.issues[i].reason, '\0', sizeof rep.issues[i].reason));

    pk_istore *s = pk_istore_build(&l);
    if (!s) {                       /* out of memory: the list is still ours */
        pk_ind_list_free(&l);
        return;
    }
    FZ_CHECK(pk_istore_count(s) == rep.loaded);
    const char *ver = pk_istore_version(s);
    FZ_CHECK(strlen(ver) == 16 && strspn(ver, "0123456789abcdef") == 16);
    pk_ind_view own;
    for (size_t i = 0; i < pk_istore_count(s); i++)
        fz_find_own(s, pk_istore_item(s, i, &own));
    fz_hostile_lookups(s, raw, raw_len);
    pk_istore_free(s);
    pk_ind_list_free(&l);
}

/* Loads buf (which must be detected as want), checks, builds, looks up. */
static inline void fz_ind_run(const char *buf, size_t len, pk_ind_format want,
                       const uint8_t *raw, size_t raw_len) {
    fz_ind_run_with(pk_ind_load_buffer, buf, len, want, raw, raw_len);
}

/* Runs the input as is when it is already detected as want, else with
 * prefix (which must make the detection pick want) in front of it. */
static inline void fz_ind_run_forced(const uint8_t *data, size_t size, pk_ind_format want,
                              const char *prefix) {
    fz_ind_init();
    if (pk_ind_detect_format((const char *)data, size) == want) {
        fz_ind_run((const char *)data, size, want, data, size);
        return;
    }
    size_t plen = strlen(prefix);
    char *buf = malloc(plen + size);
    if (!buf) abort();
    memcpy(buf, prefix, plen);
    if (size) memcpy(buf + plen, data, size);
    fz_ind_run(buf, plen + size, want, data, size);
    free(buf);
}

#endif
