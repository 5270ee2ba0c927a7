/* gen_run.c - loads indicators, generates, writes pcap and manifest.
 *
 * Why it exists: see gen_run.h.
 */
#include "gen_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_bench.h"
#include "gen_plan.h"
#include "ind_load.h"

static int load_all(gen_ctx *c)
{
    const gen_opts *o = c->opt;
    pk_load_report *rep = malloc(sizeof *rep);
    if (!rep)
        return -1;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < o->nfiles; i++) {
        memset(rep, 0, sizeof *rep);
        int rc = pk_ind_load_file(&c->inds, o->files[i], now, rep);
        if (rc != 0) {
            if (rep->error[0] && strstr(rep->error, o->files[i]))
                fprintf(stderr, "picket-gen: %s\n", rep->error);
            else
                fprintf(stderr, "picket-gen: cannot load indicators from %s: %s\n",
                        o->files[i], rep->error[0] ? rep->error : "unreadable");
            free(rep);
            return -1;
        }
        if (!o->quiet)
            pk_load_report_print(stderr, rep);
    }
    free(rep);
    return 0;
}

static int setup(gen_ctx *c, const gen_opts *o)
{
    c->opt = o;
    gen_rng_seed(&c->rng, o->seed);
    pk_ind_list_init(&c->inds);
    if (load_all(c) != 0)
        return -1;
    if (gen_guard_build(&c->guard, &c->inds) != 0) {
        fprintf(stderr, "picket-gen: out of memory\n");
        return -1;
    }
    gen_ctx_shapes(c);
    gen_ctx_hosts(c);
    c->clock = o->start * 1000000;
    c->em.rng = &c->rng;
    c->em.w = &c->w;
    if (gen_writer_open(&c->w, o->out, !o->bench) != 0) {
        fprintf(stderr, "picket-gen: cannot write %s\n", c->w.error);
        return -1;
    }
    return 0;
}

static void report_skips(const gen_ctx *c)
{
    for (size_t i = 0; i < c->man.ns; i++) {
        const pk_indicator *ind = &c->inds.items[c->man.s[i].ind];
        fprintf(stderr, "picket-gen: not exercisable: %s %s: %s\n",
                pk_ind_type_name(ind->type), ind->value, c->man.s[i].reason);
    }
}

static void bench_skips(gen_ctx *c)
{
    for (size_t i = 0; i < c->inds.n; i++) {
        const pk_indicator *ind = &c->inds.items[i];
        if ((ind->type == PK_IND_JA3 || ind->type == PK_IND_JA4) &&
            gen_shape_find(c, ind->value, ind->type == PK_IND_JA4) < 0)
            gen_manifest_skip(&c->man, i, "no built-in client profile has this "
                              "fingerprint (see picket-gen --list-profiles)");
    }
}

static int finish(gen_ctx *c)
{
    const gen_opts *o = c->opt;
    uint64_t packets = c->w.packets;
    char err[1100];
    if (gen_writer_close(&c->w) != 0) {
        fprintf(stderr, "picket-gen: %s\n", c->w.error);
        return 1;
    }
    report_skips(c);
    if (o->manifest) {
        gen_run_info info = {o->bench ? "bench" : "exercise", o->out, o->seed,
                             o->start, packets, c->sessions, o->files, o->nfiles};
        if (gen_manifest_write(&c->man, &c->inds, &info, o->manifest, err,
                               sizeof err) != 0) {
            fprintf(stderr, "picket-gen: %s\n", err);
            return 1;
        }
    }
    if (!o->quiet)
        fprintf(stderr, "picket-gen: wrote %llu packets (%llu sessions) to %s; "
                "%zu indicators, %zu expectations, %zu not exercisable\n",
                (unsigned long long)packets, (unsigned long long)c->sessions,
                o->out, c->inds.n, c->man.ne, c->man.ns);
    return 0;
}

int gen_run(const gen_opts *o)
{
    gen_ctx *c = calloc(1, sizeof *c);
    int rc = 1;
    if (!c) {
        fprintf(stderr, "picket-gen: out of memory\n");
        return 1;
    }
    if (setup(c, o) == 0) {
        if (o->bench) {
            bench_skips(c);
            rc = gen_bench_run(c) == 0 ? 0 : 1;
            if (rc)
                fprintf(stderr, "picket-gen: out of memory\n");
        } else {
            gen_plan_exercise(c);
            rc = 0;
        }
        rc = finish(c) ? 1 : rc;
    }
    if (c->w.dumper || c->w.dead)
        gen_writer_close(&c->w);
    gen_guard_free(&c->guard);
    gen_manifest_free(&c->man);
    pk_ind_list_free(&c->inds);
    free(c);
    return rc;
}
