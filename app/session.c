/* session.c - load -> world -> pricing, shared by every command. */
#include "session.h"

#include "model/figures.h"
#include "reports/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void ses_find_data(const char *given, char *out, size_t len)
{
    const char *env = getenv("QSIM_DATA");
    if (given) {
        snprintf(out, len, "%s", given);
        return;
    }
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            snprintf(slash, sizeof exe - (size_t)(slash - exe), "/data");
            if (exists_dir(exe)) {
                snprintf(out, len, "%s", exe);
                return;
            }
            /* installed: PREFIX/bin/qsim and PREFIX/share/qsim/data */
            snprintf(slash, sizeof exe - (size_t)(slash - exe), "/../share/qsim/data");
            if (exists_dir(exe)) {
                snprintf(out, len, "%s", exe);
                return;
            }
        }
    }
    snprintf(out, len, "data");
}

static void data_paths(const char *data_given, const char *plan, const char *pricing_file, ses_files *f)
{
    memset(f, 0, sizeof *f);
    ses_find_data(data_given, f->data, sizeof f->data);
    snprintf(f->limits, sizeof f->limits, "%s/limits/cloudflare-kv-2026.json", f->data);
    if (pricing_file)
        snprintf(f->pricing, sizeof f->pricing, "%s", pricing_file);
    else
        snprintf(f->pricing, sizeof f->pricing, "%s/pricing/cloudflare-%s-2026.json", f->data, plan ? plan : "paid");
    snprintf(f->free_pricing, sizeof f->free_pricing, "%s/pricing/cloudflare-free-2026.json", f->data);
}

void ses_apply_plan(scenario *s, const pr_plan *plan, const pr_plan *free_plan)
{
    s->kv.daily_read_cap = plan->cap_reads_day;
    s->kv.daily_write_cap = plan->cap_writes_day;
    s->kv.daily_request_cap = plan->cap_requests_day;
    if (free_plan) {
        s->kv.watch_reads_day = free_plan->cap_reads_day;
        s->kv.watch_writes_day = free_plan->cap_writes_day;
        s->kv.watch_requests_day = free_plan->cap_requests_day;
    }
}

int ses_data_load(const char *data_given, const char *plan, const char *pricing_file, ses_data *d, sim_err *err)
{
    memset(d, 0, sizeof *d);
    data_paths(data_given, plan, pricing_file, &d->files);
    if (sc_load_limits(d->files.limits, &d->lim, err) != 0 || pr_load(d->files.pricing, &d->plan, err) != 0)
        return 2;
    if (pr_load(d->files.free_pricing, &d->free_plan, err) == 0)
        d->files.have_free = 1;
    else if (access(d->files.free_pricing, F_OK) == 0)
        return 2;
    err->code = 0;
    err->msg[0] = 0;
    return 0;
}

int ses_parse(const ses_data *d, const char *name, const char *text, size_t len, scenario **s, sim_err *err)
{
    *s = NULL;
    if (sc_parse_limits(name, text, len, &d->lim, s, err) != 0)
        return 2;
    ses_apply_plan(*s, &d->plan, d->files.have_free ? &d->free_plan : NULL);
    return 0;
}

int ses_load(const char *path, const char *data_given, const char *plan, const char *pricing_file,
             const char *days, scenario **s, pr_plan *p, ses_files *files, sim_err *err)
{
    ses_files local;
    ses_files *f = files ? files : &local;
    data_paths(data_given, plan, pricing_file, f);
    *s = NULL;
    if (sc_load(path, f->limits, s, err) != 0)
        return 2;
    if (pr_load(f->pricing, p, err) != 0)
        goto fail;
    /* Watch the free plan's caps on every plan, to say when they would bite. */
    pr_plan free_plan;
    if (pr_load(f->free_pricing, &free_plan, err) == 0) {
        f->have_free = 1;
    } else if (access(f->free_pricing, F_OK) == 0) {
        goto fail; /* a broken free plan is bad input like any other */
    }
    ses_apply_plan(*s, p, f->have_free ? &free_plan : NULL);
    err->code = 0;
    err->msg[0] = 0;
    if (days) {
        char d[64];
        sim_us t;
        snprintf(d, sizeof d, "%sd", days);
        if (strlen(days) > 40 || sc_parse_duration(d, &t) != 0 || t < SIM_US_PER_S) {
            snprintf(err->msg, sizeof err->msg, "--days wants a number of days such as 365 or 0.5, got '%s'", days);
            err->code = 2;
            goto fail;
        }
        (*s)->duration = t;
    }
    return 0;
fail:
    sc_free(*s);
    *s = NULL;
    return 2;
}

static const char *figure_name(int k) { return fig_metric_at(k)->name; }
static const char *figure_unit(int k) { return fig_metric_at(k)->unit; }
static void figure_derive(met_registry *m, const char *plan, int64_t duration_us, double *v)
{
    fig_derive(m, plan, (sim_us)duration_us, v);
}

_Static_assert(M_COUNT <= REP_MAX_FIGURES, "reports/report.h: REP_MAX_FIGURES below the catalogue's figures");

const rep_figures *ses_figures(void)
{
    static const rep_figures f = { M_COUNT, figure_name, figure_unit, fig_metric_find, figure_derive };
    return &f;
}

/* The run's last step, every path's: its costs under plan; *out = w. */
static int priced(world *w, const scenario *s, const pr_plan *plan, world **out, sim_err *err)
{
    if (pr_apply(plan, sim_metrics(world_ctx(w)), s->duration) != 0) {
        world_free(w);
        err->code = 1;
        snprintf(err->msg, sizeof err->msg, "out of memory (registering the cost counters)");
        return -1;
    }
    *out = w;
    return 0;
}

int ses_run(const scenario *s, const pr_plan *plan, const char *option, uint64_t seed, const world_opts *wo,
            world **out, sim_err *err)
{
    rep_use_figures(ses_figures()); /* what the run's outputs will name */
    world *w = world_new(s, option, seed, wo, err);
    *out = NULL;
    if (!w || world_run(w, 0, err) != 0) {
        world_free(w);
        return -1;
    }
    return priced(w, s, plan, out, err);
}

void ses_estimate(const scenario *s, ses_work *w)
{
    double secs = (double)s->duration / 1e6;
    memset(w, 0, sizeof *w);
    for (int i = 0; i < s->nbots; i++)
        if (s->bots[i].poll_every > 0)
            w->bot_polls += secs / ((double)s->bots[i].poll_every / 1e6);
    double calls = w->bot_polls + s->ncalls;
    for (int i = 0; i < s->nhumans; i++)
        calls += s->humans[i].rate_per_s * secs; /* a post: 4 to 7 events with what it causes */
    for (int i = 0; i < s->nreaders; i++) {
        const sc_reader *r = &s->readers[i];
        calls += r->count * (r->period > 0 ? secs / ((double)r->period / 1e6) : r->rate_per_s * secs);
    }
    if (s->strategy.cron_every > 0)
        calls += secs / ((double)s->strategy.cron_every / 1e6);
    w->calls = calls;
    w->events = 7 * calls;
    w->polls_csv_bytes = 45 * w->bot_polls;
}

void ses_fmt_duration(double t, char *buf, size_t len)
{
    if (!(t < 1e12)) {
        snprintf(buf, len, "centuries");
        return;
    }
    long long s = (long long)(t + 0.5);
    if (s < 60)
        snprintf(buf, len, "%llds", s);
    else if (s < 3600)
        snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else if (s < 86400LL * 3650)
        snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    else
        snprintf(buf, len, "%.0f years", t / (86400 * 365.25));
}

int ses_run_progress(const scenario *s, const pr_plan *plan, const char *option, uint64_t seed,
                     const world_opts *wo, ses_progress_fn progress, void *ud, world **out, sim_err *err)
{
    if (!progress)
        return ses_run(s, plan, option, seed, wo, out, err);
    rep_use_figures(ses_figures());
    world *w = world_new(s, option, seed, wo, err);
    *out = NULL;
    if (!w)
        return -1;
    sim_us step = s->duration / 256 > 0 ? s->duration / 256 : 1;
    for (sim_us t = step; t < s->duration; t += step) {
        if (world_advance(w, t, err) != 0) {
            world_free(w);
            return -1;
        }
        progress(ud, t, s->duration);
    }
    if (world_run(w, 0, err) != 0) {
        world_free(w);
        return -1;
    }
    progress(ud, s->duration, s->duration);
    return priced(w, s, plan, out, err);
}
