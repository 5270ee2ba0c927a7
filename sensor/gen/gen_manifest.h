/* gen_manifest.h - what picket-gen expects a sensor to report.
 *
 * Why it exists: exercise planners and tests compare sensor alerts with
 * this list: for every indicator exercised, the field a sensor should alert
 * on, what it will observe, and the flow (5-tuple, Community ID); and the
 * indicators that could not be exercised, with the reason.
 */
#ifndef PICKET_GEN_MANIFEST_H
#define PICKET_GEN_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_packet.h"
#include "indicator.h"

typedef struct gen_tuple {
    gen_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;            /* IPPROTO_TCP / IPPROTO_UDP */
} gen_tuple;

typedef struct gen_expect {
    size_t ind;               /* index into the indicator list */
    size_t order;             /* insertion order (stable output) */
    const char *field;        /* "ip.dst", "dns.query", ... (static) */
    char *observed;
    gen_tuple flow;
    int64_t ts_usec;          /* first packet of the flow */
} gen_expect;

typedef struct gen_skip {
    size_t ind;
    char reason[200];
} gen_skip;

typedef struct gen_manifest {
    gen_expect *e;
    size_t ne, cape;
    gen_skip *s;
    size_t ns, caps;
    bool failed;              /* out of memory */
} gen_manifest;

typedef struct gen_run_info {
    const char *mode;         /* "exercise" or "bench" */
    const char *pcap;
    uint64_t seed;
    int64_t start;
    uint64_t packets;
    uint64_t sessions;
    const char *const *files;
    size_t nfiles;
} gen_run_info;

void gen_manifest_expect(gen_manifest *m, size_t ind, const char *field,
                         const char *observed, const gen_tuple *t,
                         int64_t ts_usec);
void gen_manifest_skip(gen_manifest *m, size_t ind, const char *reason);
/* Copies the expectations of indicator from to indicator to (a duplicate
 * of the same type and value, exercised by the same flows). */
void gen_manifest_alias(gen_manifest *m, size_t from, size_t to);
/* Returns 0, or -1 with err naming the file. */
int gen_manifest_write(gen_manifest *m, const pk_ind_list *l,
                       const gen_run_info *info, const char *path, char *err,
                       size_t errlen);
void gen_manifest_free(gen_manifest *m);

#endif
