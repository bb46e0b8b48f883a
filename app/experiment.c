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
#include "reports/report.h"
#include "sim/rng.h"

const char *const exp_metric_names[M_COUNT] = {
    "reads_per_day", "writes_per_day", "usd_per_day", "usd_per_month", "kvr_per_poll", "heal_p50_s",
    "heal_p95_s", "heal_p99_s", "episodes", "healed", "censored", "stuck_final", "lost_by_overwrite",
    "reply_p50_s", "reply_p99_s", "never_answered", "answered_twice", "returned_after_claim",
    "open_max_age_s",
};

typedef struct {
    int32_t task;
    int32_t ok;
    double v[M_COUNT];
} record;

static double quantile_s(met_registry *m, const char *name, double p)
{
    met_id id = met_samples(m, name);
    return met_samples_n(m, id) ? (double)met_samples_quantile(m, id, p) / 1e6 : NAN;
}

/* A Kaplan-Meier healing quantile in s: NaN without episodes, +inf
 * ("never") where the run's curve does not reach it (reports/stats.h). */
static double heal_s(met_registry *m, const char *name)
{
    if (rep_counter(m, "divergence.episodes") == 0)
        return NAN;
    int64_t v = rep_counter(m, name);
    return v < 0 ? INFINITY : (double)v / 1e6;
}

static void extract(met_registry *m, const pr_plan *p, sim_us duration, double *v)
{
    char key[96];
    double days = (double)duration / (double)MET_US_PER_DAY;
    v[M_READS] = (double)rep_counter(m, "kv.reads") / days;
    v[M_WRITES] = (double)rep_counter(m, "kv.writes") / days;
    snprintf(key, sizeof key, "cost.%s.day.total_pusd", p->plan);
    v[M_USD_DAY] = (double)rep_counter(m, key) / 1e12;
    snprintf(key, sizeof key, "cost.%s.month.total_pusd", p->plan);
    v[M_USD_MONTH] = (double)rep_counter(m, key) / 1e12;
    int64_t polls = rep_counter(m, "calls.pending");
    v[M_KVR_POLL] = polls ? (double)rep_counter(m, "kv.reads.pending") / (double)polls : NAN;
    v[M_HEAL50] = heal_s(m, "heal.km.p50_us");
    v[M_HEAL95] = heal_s(m, "heal.km.p95_us");
    v[M_HEAL99] = heal_s(m, "heal.km.p99_us");
    v[M_EPISODES] = (double)rep_counter(m, "divergence.episodes");
    v[M_HEALED] = (double)rep_counter(m, "divergence.healed");
    v[M_CENSORED] = (double)(rep_counter(m, "divergence.censored.aged_out") +
                             rep_counter(m, "divergence.censored.overwritten") +
                             rep_counter(m, "divergence.censored.open_at_end"));
    v[M_STUCK] = (double)rep_counter(m, "stuck.final");
    v[M_LOST] = (double)rep_counter(m, "cache.lost_by_overwrite");
    v[M_REPLY50] = quantile_s(m, "reply_latency_us", 0.50);
    v[M_REPLY99] = quantile_s(m, "reply_latency_us", 0.99);
    v[M_NEVER] = (double)rep_counter(m, "liveness.never_answered");
    v[M_TWICE] = (double)rep_counter(m, "safety.answered_twice");
    v[M_STALE_PENDING] = (double)rep_counter(m, "safety.returned_after_claim");
    v[M_OPEN_AGE] = (double)rep_counter(m, "divergence.open_max_age_us") / 1e6;
}

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
        extract(sim_metrics(world_ctx(w)), e->plan, s->duration, v);
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
