/* fuzz_ind_iprep.c - fuzzes the Suricata iprep CSV reader
 * (common/ind_iprep.c) through pk_ind_load_buffer, then the store built
 * from what it loaded.
 *
 * Why: iprep lists ("ip,category,score") are exported by other sensors'
 * tooling; the reader trims fields, accepts numeric and named categories,
 * scales scores and takes IPv4, IPv6 and CIDR values, each a place for
 * off-by-one and overflow mistakes.
 *
 * Input: an indicator file. When detection would not pick iprep, a comment
 * line and one valid record (longer than 64 bytes together, so no NUL byte
 * of the input falls in the first 64) go in front: the first record decides
 * the content detection (rules/README.md "Detection"). Checks: fuzz_ind.h.
 */
#include <stdint.h>

#include "fuzz_ind.h"

static const char k_prefix[] =
    "# fuzz_ind_iprep: an iprep list whatever follows (ip,category,score)\n"
    "192.0.2.1,1,64\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_ind_run_forced(data, size, PK_FMT_IPREP, k_prefix);
    return 0;
}
