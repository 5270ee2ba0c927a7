/* coverage.h - picket-collector --coverage-report: a one-shot mode.
 *
 * Why it exists: after an exercise capture was replayed through every
 * partner's sensor, a planner asks which sensor missed which indicator of
 * the set. This mode reads the exercise's coverage hash from Redis, joins
 * it with the indicator files and prints the table; it opens no listener.
 */
#ifndef PICKET_COLL_COVERAGE_H
#define PICKET_COLL_COVERAGE_H

#include <stdbool.h>

/* True when argv asks for the coverage report. */
bool pk_coverage_requested(int argc, char **argv);

/* Runs the report; returns the exit status (0 ok, even with misses; 1
 * Redis or file error; 2 bad usage). */
int pk_coverage_main(int argc, char **argv);

#endif
