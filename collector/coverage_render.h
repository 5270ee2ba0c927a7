/* coverage_render.h - the coverage report as a table for people or JSON
 * for scripts.
 *
 * Why it exists: the same table (coverage_table.h) is printed by the CLI
 * in two shapes; keeping the shapes here keeps coverage.c about getting
 * the data.
 */
#ifndef PICKET_COLL_COVERAGE_RENDER_H
#define PICKET_COLL_COVERAGE_RENDER_H

#include <stdio.h>

#include <jansson.h>

#include "coverage_table.h"

const char *pk_cov_status_name(pk_cov_status s);   /* "caught_by_all"... */

/* Misses first (missed by all, then by some), then the caught ones; one
 * row per indicator, then the summary line. */
void pk_coverage_print_text(const pk_coverage *c, const char *exercise, FILE *f);

/* {"exercise", "partners", "indicators": [...], "summary", "skipped"}. */
json_t *pk_coverage_json(const pk_coverage *c, const char *exercise);

#endif
