/* experiment.h - running a scenario many times: options x replications
 * (x sweep points), on common random numbers, over forked jobs.
 *
 * Replication r runs with seed rng_derive(base_seed, r) whatever the option
 * or point, so option A and option B in replication r see the same human
 * arrivals, sizes and draws up to where their behaviour differs. Work is
 * split over the worker pool (app/jobs.h), one replication per task; the
 * records are filed by task index, so results are byte-identical for any
 * number of jobs. */
#ifndef QSIM_EXPERIMENT_H
#define QSIM_EXPERIMENT_H

#include <stdint.h>

#include "model/figures.h"
#include "model/pricing.h"
#include "model/scenario.h"

/* vals hold the experiment figures of model/figures.h (M_*), one row of
 * M_COUNT per run. */

typedef struct experiment {
    const scenario *const *points; /* one scenario per point (1 for compare) */
    int npoints;
    const pr_plan *plan;
    const char *const *options;
    int nopt, reps;
    uint64_t base_seed;
} experiment;

uint64_t exp_rep_seed(uint64_t base_seed, int r);
/* Progress: done runs (with the fractions of running ones) of total. */
typedef void (*exp_progress_fn)(void *ud, double done, int total);
/* vals[((p * nopt + o) * reps + r) * M_COUNT + k]. Returns 0, or -1 when a
 * run failed (reported on stderr). progress (may be NULL) is called as runs
 * advance, within each run too (every 1/256 of its simulated time). */
int exp_run_all(const experiment *e, int jobs, double *vals, exp_progress_fn progress, void *ud);
/* Value k of option o, replication r, point p. */
static inline const double *exp_val(const experiment *e, const double *vals, int p, int o, int r)
{
    return vals + (((size_t)p * (size_t)e->nopt + (size_t)o) * (size_t)e->reps + (size_t)r) * M_COUNT;
}

#endif
