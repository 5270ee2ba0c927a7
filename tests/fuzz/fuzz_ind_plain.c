/* fuzz_ind_plain.c - fuzzes the plain-list indicator reader (common/ind_plain.c)
 * through pk_ind_load_buffer, then the store built from what it loaded.
 *
 * Why: plain lists (one value per line, "#" comments, type inference,
 * "type:" prefixes, Snort-style IP block lists) are the format partners
 * write by hand, so they hold every oddity: BOMs, CRLF, overlong lines, NUL
 * bytes, invalid UTF-8, values that look like several types. Type inference
 * and value normalisation (addresses, CIDRs, domains, URLs, JA3/JA4) all
 * run here.
 *
 * Input: an indicator file. When detection would pick another format, a
 * prefix of comment lines and one domain line (64 bytes and more, so no
 * NUL byte of the input falls in the first 64) goes in front: it makes the
 * content detection choose the plain reader (rules/README.md "Detection").
 * Checks: fuzz_ind.h.
 */
#include <stdint.h>

#include "fuzz_ind.h"

static const char k_prefix[] =
    "# fuzz_ind_plain: a plain list whatever follows (this line is a comment)\n"
    "plain.example\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_ind_run_forced(data, size, PK_FMT_PLAIN, k_prefix);
    return 0;
}
