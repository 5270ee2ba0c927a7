/* gen_run.h - one picket-gen run from parsed options to files on disk.
 *
 * Why it exists: keeps the command line (gen_main.c) apart from the work:
 * loading indicators, building the context, generating, writing the pcap
 * and the manifest, and reporting what could not be exercised.
 */
#ifndef PICKET_GEN_RUN_H
#define PICKET_GEN_RUN_H

#include "gen_ctx.h"

/* Returns the process exit status (0 ok, 1 fatal). */
int gen_run(const gen_opts *o);

#endif
