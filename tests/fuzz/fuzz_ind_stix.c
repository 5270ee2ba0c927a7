/* fuzz_ind_stix.c - fuzzes the STIX 2.1 reader (common/ind_stix.c and its
 * pattern parser common/ind_stix_pat.c) through pk_ind_load_buffer, then
 * the store built from what it loaded.
 *
 * Why: STIX bundles arrive from other nations' threat platforms. The reader
 * walks JSON objects (identities, marking definitions, indicators), TLP
 * markings, validity times, revocation, confidence and the x_picket_*
 * extensions, and parses STIX patterns (comparisons joined by OR, brackets,
 * parentheses, quoted literals with escapes, ISSUBSET for CIDRs), reporting
 * every unsupported construct.
 *
 * Input: either a STIX document (detected as such: the first non-blank
 * character is "{" or "[", and valid JSON), loaded as it is; or anything
 * else, which is taken as the text of one indicator's pattern and wrapped
 * into a bundle (with a marking, validity, confidence and a creator
 * identity) so the pattern parser sees the mutations directly. Input that is not valid
 * UTF-8, which no JSON string can hold, is loaded behind a "[" and blanks
 * instead, which keeps the detection on STIX and drives the JSON error
 * path.
 * Checks: fuzz_ind.h.
 */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "fuzz_ind.h"

/* "[" and blanks: past the 64 bytes detection screens for NUL bytes. */
static const char k_bracket[] =
    "[                                                                \n";

/* A bundle with one indicator whose pattern is the input. */
static char *wrap_pattern(const uint8_t *data, size_t size) {
    json_t *pattern = json_stringn((const char *)data, size);
    if (!pattern) return NULL;
    json_t *ind = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:[s], s:i, s:s}",
        "type", "indicator", "spec_version", "2.1",
        "id", "indicator--6b4a3f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "created", "2026-08-01T00:00:00Z", "modified", "2026-08-01T00:00:00Z",
        "pattern", pattern, "pattern_type", "stix",
        "valid_from", "2026-08-01T00:00:00Z", "valid_until", "2027-08-01T00:00:00Z",
        "object_marking_refs",
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "confidence", 70,
        "created_by_ref", "identity--5a1f3c2e-7b8d-4e6f-9a0b-1c2d3e4f5a6b");
    json_t *who = json_pack("{s:s, s:s, s:s}", "type", "identity",
                            "id", "identity--5a1f3c2e-7b8d-4e6f-9a0b-1c2d3e4f5a6b",
                            "name", "fuzz desk");
    json_t *bundle = json_pack("{s:s, s:s, s:[o,o]}", "type", "bundle",
                               "id", "bundle--0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                               "objects", who, ind);
    if (!ind || !who || !bundle) abort();
    char *text = json_dumps(bundle, JSON_COMPACT);
    json_decref(bundle);
    if (!text) abort();
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_ind_init();
    if (pk_ind_detect_format((const char *)data, size) == PK_FMT_STIX) {
        json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
        if (doc) {
            json_decref(doc);
            fz_ind_run((const char *)data, size, PK_FMT_STIX, data, size);
            return 0;
        }
    }
    char *text = wrap_pattern(data, size);
    if (text) {
        fz_ind_run(text, strlen(text), PK_FMT_STIX, data, size);
        free(text);
        return 0;
    }
    fz_ind_run_forced(data, size, PK_FMT_STIX, k_bracket);
    return 0;
}
