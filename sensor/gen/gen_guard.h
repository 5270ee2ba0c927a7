/* gen_guard.h - "would this trip an indicator?" checks for picket-gen.
 *
 * Why it exists: background traffic must never match the indicator set
 * (a planner compares sensor alerts with the manifest, so a stray match is
 * a false report), and sessions made for one indicator should not trip
 * another by accident. Built once from the list: exact lookups in hash
 * sets, addresses checked once per distinct prefix length, names checked
 * for every parent domain.
 */
#ifndef PICKET_GEN_GUARD_H
#define PICKET_GEN_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_packet.h"
#include "indicator.h"

typedef struct gen_strset {
    const char **keys;        /* NULL = empty slot */
    uint32_t *lens;
    size_t cap, n;
} gen_strset;

typedef struct gen_guard {
    gen_strset names;         /* domain, sni, http_host values */
    gen_strset urls;
    gen_strset fps;           /* ja3 and ja4 values */
    gen_strset nets;          /* binary keys: family, prefix length, bytes */
    bool plen[2][129];        /* prefix lengths present, [0] v4, [1] v6 */
    pk_arena keys;
} gen_guard;

int gen_guard_build(gen_guard *g, const pk_ind_list *l);
void gen_guard_free(gen_guard *g);

bool gen_guard_addr(const gen_guard *g, const gen_addr *a);
/* name or one of its parent domains is a name indicator. */
bool gen_guard_name(const gen_guard *g, const char *name);
bool gen_guard_url(const gen_guard *g, const char *url);
bool gen_guard_fp(const gen_guard *g, const char *fp);

#endif
