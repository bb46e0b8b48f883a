/* experiment.c - the replication runner shared by compare, advise and
 * sweep, over the worker pool. */
#include "app/experiment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/jobs.h"
#include "app/session.h"
#include "model/world.h"
#include "sim/rng.h"

uint64_t exp_rep_seed(uint64_t base_seed, int r) { return rng_derive(base_seed, (uint64_t)r); }

typedef struct {
    const experiment *e;
    double *vals;
    int progress; /* in-run progress wanted */
    exp_progress_fn fn;
    void *ud;
} pool_ud;

static void tick(void *jc, sim_us now, sim_us end) { jb_progress(jc, end > 0 ? (double)now / (double)end : 1.0); }

static int run_task(void *ud, int t, void *rec, jb_ctx *jc)
{
    const pool_ud *pu = ud;
    const experiment *e = pu->e;
    double *v = rec;
    sim_err err = { 0, "" };
    int per_point = e->nopt * e->reps;
    int p = t / per_point, o = t % per_point / e->reps, r = t % e->reps;
    const scenario *s = e->points[p];
    world *w = NULL;
    int rc = -1;
    if (ses_run_progress(s, e->plan, e->options[o], exp_rep_seed(e->base_seed, r), NULL, pu->progress ? tick : NULL,
                         jc, &w, &err) == 0) {
        fig_derive(sim_metrics(world_ctx(w)), e->plan->plan, s->duration, v);
        rc = 0;
    } else {
        fprintf(stderr, "qsim: option %s, replication %d: %s\n", e->options[o], r, err.msg);
    }
    world_free(w);
    return rc;
}

static void file_record(void *ud, int t, int ok, const void *rec)
{
    const pool_ud *pu = ud;
    (void)ok;
    memcpy(pu->vals + (size_t)t * M_COUNT, rec, sizeof(double) * M_COUNT);
}

static void forward(void *ud, double done, int total)
{
    const pool_ud *pu = ud;
    pu->fn(pu->ud, done, total);
}

int exp_run_all(const experiment *e, int jobs, double *vals, exp_progress_fn progress, void *ud)
{
    int total = e->npoints * e->nopt * e->reps;
    pool_ud pu = { e, vals, progress != NULL, progress, ud };
    jb_pool p = { jobs, sizeof(double) * M_COUNT, run_task, file_record, progress ? forward : NULL, &pu, NULL };
    return jb_run(&p, total) != 0 ? -1 : 0;
}
