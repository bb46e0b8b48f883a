/* experiment.c - the replication runner shared by compare and sweep. */
#include "experiment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
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

static void run_task(const experiment *e, int t, record *out)
{
    sim_err err = { 0, "" };
    int per_point = e->nopt * e->reps;
    int p = t / per_point, o = t % per_point / e->reps, r = t % e->reps;
    const scenario *s = e->points[p];
    memset(out, 0, sizeof *out);
    out->task = t;
    world *w = NULL;
    if (ses_run(s, e->plan, e->options[o], exp_rep_seed(e->base_seed, r), NULL, &w, &err) == 0) {
        met_registry *m = sim_metrics(world_ctx(w));
        extract(m, e->plan, s->duration, out->v);
        out->ok = 1;
    } else {
        fprintf(stderr, "qsim: option %s, replication %d: %s\n", e->options[o], r, err.msg);
    }
    world_free(w);
}

static void progress(int done, int total, double t0, int show)
{
    if (!show)
        return;
    double el = cli_wall() - t0, rate = el > 0 ? done / el : 0;
    fprintf(stderr, "\r  %d/%d runs  %.1f runs/s  ETA %.0fs   ", done, total, rate,
            rate > 0 ? (total - done) / rate : 0.0);
    if (done == total)
        fputc('\n', stderr);
}

int exp_run_all(const experiment *e, int jobs, double *vals, int show)
{
    int total = e->npoints * e->nopt * e->reps, done = 0, failed = 0;
    double t0 = cli_wall();
    record rec;
    if (jobs > total)
        jobs = total;
    if (jobs <= 1) {
        for (int t = 0; t < total; t++) {
            run_task(e, t, &rec);
            failed += !rec.ok;
            memcpy(vals + (size_t)t * M_COUNT, rec.v, sizeof rec.v);
            progress(++done, total, t0, show);
        }
        return failed ? -1 : 0;
    }
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t *kids = calloc((size_t)jobs, sizeof *kids);
    char *seen = calloc((size_t)total, 1);
    if (!kids || !seen) {
        free(kids);
        free(seen);
        return -1;
    }
    fflush(NULL);
    for (int j = 0; j < jobs; j++) {
        kids[j] = fork();
        if (kids[j] == 0) {
            cli_worker_init();
            close(fd[0]);
            for (int t = j; t < total; t += jobs) {
                run_task(e, t, &rec);
                /* one write per record: < PIPE_BUF, so it is atomic */
                if (write(fd[1], &rec, sizeof rec) != (ssize_t)sizeof rec)
                    _exit(1);
            }
            _exit(0);
        }
        if (kids[j] < 0)
            failed = 1;
    }
    close(fd[1]);
    ssize_t n;
    while ((n = read(fd[0], &rec, sizeof rec)) == (ssize_t)sizeof rec) {
        if (rec.task >= 0 && rec.task < total && !seen[rec.task]) {
            seen[rec.task] = 1;
            failed += !rec.ok;
            memcpy(vals + (size_t)rec.task * M_COUNT, rec.v, sizeof rec.v);
            progress(++done, total, t0, show);
        }
    }
    close(fd[0]);
    for (int j = 0; j < jobs; j++) {
        int st = 0;
        if (kids[j] > 0 && (waitpid(kids[j], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
            failed = 1;
    }
    if (done != total)
        failed = 1;
    free(kids);
    free(seen);
    return failed ? -1 : 0;
}

