/* cli.c - helpers shared by the subcommands. */
#include "cli.h"

#include "app/expdir.h"
#include "model/figures.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "qsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'qsim --help'.\n");
    return 2;
}

void cli_find_data(const char *given, char *out, size_t len) { ses_find_data(given, out, len); }

int cli_load(const char *path, const char *data_given, const char *plan, const char *pricing_file,
             const char *days, scenario **s, pr_plan *p)
{
    return cli_load_files(path, data_given, plan, pricing_file, days, s, p, NULL);
}

int cli_load_files(const char *path, const char *data_given, const char *plan, const char *pricing_file,
                   const char *days, scenario **s, pr_plan *p, ses_files *files)
{
    sim_err err = { 0, "" };
    ses_files local;
    ses_files *f = files ? files : &local;
    if (ses_load(path, data_given, plan, pricing_file, days, s, p, f, &err) != 0) {
        if (err.code == 2 && strncmp(err.msg, "--days", 6) == 0)
            return cli_usage_error("%s", err.msg);
        fprintf(stderr, "qsim: %s\n", err.msg);
        return 2;
    }
    if (!f->have_free)
        fprintf(stderr, "qsim: warning: %s not found: no free-plan cap warnings (caps.csv stays empty)\n",
                f->free_pricing);
    return 0;
}

double cli_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_metric(const char *cmd, const char *opt, const char *name, size_t len)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), name);
    int k = fig_metric_find(buf);
    if (k < 0)
        fprintf(stderr, "qsim: %s: %s: unknown metric '%s'; the metrics: %s (docs/metrics.md)\n", cmd, opt, buf,
                fig_metric_list());
    return k;
}

const char *cli_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void cli_exp_defaults(cli_exp *x, int reps, const char *out)
{
    memset(x, 0, sizeof *x);
    x->reps = reps;
    x->jobs = sysconf(_SC_NPROCESSORS_ONLN);
    x->out = out;
    x->plan = "paid";
}

int cli_exp_option(cli_exp *x, int c, const char *arg)
{
    char *end = NULL;
    const char *bad = NULL;
    switch (c) {
    case CLI_O_REPS:
        x->reps = (int)strtol(arg, &end, 10);
        if (*end || !*arg || x->reps < 2 || x->reps > 100000)
            bad = "--reps wants a whole number from 2 to 100000, got '%s'";
        break;
    case CLI_O_JOBS:
        x->jobs = strtol(arg, &end, 10);
        if (*end || !*arg || x->jobs < 1 || x->jobs > 256)
            bad = "--jobs wants a whole number from 1 to 256, got '%s'";
        break;
    case 's':
        x->seed = strtoull(arg, &end, 10);
        x->have_seed = 1;
        if (*end || !*arg || arg[0] == '-')
            bad = "--seed wants a non-negative integer, got '%s'";
        break;
    case CLI_O_PLAN:
        x->plan = arg;
        if (strcmp(arg, "paid") != 0 && strcmp(arg, "free") != 0)
            bad = "--plan is paid or free, got '%s'";
        break;
    case 'd': x->days = arg; break;
    case CLI_O_OUT:
        x->out = arg;
        if (!*arg)
            bad = "--out wants a folder, got '%s'";
        break;
    case CLI_O_PRICING: x->pricing = arg; break;
    case CLI_O_DATA: x->data = arg; break;
    case 'q': x->quiet = 1; break;
    case CLI_O_FORCE: x->force = 1; break;
    case CLI_O_PROGRESS: cli_force_progress(); break;
    default: return 0;
    }
    if (bad) {
        cli_usage_error(bad, arg);
        return -1;
    }
    return 1;
}

int cli_options(const char *cmd, char *list, const scenario *s, const char **options, int *nopt,
                const char *baseline, int *base)
{
    *nopt = 0;
    if (list[0]) {
        for (char *tok = strtok(list, ","); tok && *nopt < SC_MAX_OPTIONS; tok = strtok(NULL, ","))
            options[(*nopt)++] = tok;
    } else {
        for (int i = 0; i < s->noptions; i++)
            options[(*nopt)++] = s->options[i];
    }
    *base = baseline ? -1 : 0;
    for (int i = 0; i < *nopt; i++) {
        st_set probe;
        sim_err err;
        if (st_compose(options[i], &s->strategy, &probe, &err) != 0) {
            fprintf(stderr, "qsim: %s: --options: %s\n", cmd, err.msg);
            return 2;
        }
        if (strcmp(options[i], baseline ? baseline : "0") == 0)
            *base = i;
    }
    if (*base < 0) {
        fprintf(stderr, "qsim: %s: the baseline '%s' is not among the options\n", cmd, baseline);
        return 2;
    }
    return 0;
}

/* The process's command line: set once by main, read by manifests. Not
 * simulation state: one per process, like getopt's optind. */
static struct {
    int argc;
    char *argv[256];
} kept;

void cli_keep_argv(int argc, char **argv)
{
    kept.argc = argc < 256 ? argc : 256;
    for (int i = 0; i < kept.argc; i++)
        kept.argv[i] = argv[i];
}

char *const *cli_argv(int *argc)
{
    *argc = kept.argc;
    return kept.argv;
}

void cli_xd_begin(struct xd_exp *xp, const char *kind, const scenario *s, const char *scenario_path,
                  const ses_files *files, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int n;
    char *const *v = cli_argv(&n);
    xd_init(xp, kind, s->name, n, v);
    xd_file(xp, "scenario", scenario_path);
    xd_file(xp, "pricing", files->pricing);
    xd_file(xp, "limits", files->limits);
    xd_file(xp, "free_pricing", files->free_pricing);
}

void cli_xd_design(struct xd_exp *xp, uint64_t base_seed, int reps, sim_us duration)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, base_seed);
    xd_set(xp, "base_seed", buf);
    snprintf(buf, sizeof buf, "%d", reps);
    xd_set(xp, "reps", buf);
    snprintf(buf, sizeof buf, "%" PRId64, (int64_t)duration);
    xd_set(xp, "duration_us", buf);
}

int cli_xd_resolve(struct xd_exp *xp, const char *out, int force)
{
    sim_err err = { 0, "" };
    if (xd_resolve(xp, out, force, &err) == 0)
        return 0;
    fprintf(stderr, "qsim: %s: %s\n", xp->kind, err.msg);
    return 2;
}

void cli_join(char *buf, size_t len, const char *const *items, int n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "", items[i]);
}

int cli_budget(const char *cmd, const scenario *s, double runs, int polls_csv, long jobs, int quiet, int force)
{
    ses_work w;
    ses_estimate(s, &w);
    return cli_budget_work(cmd, s->name, &w, runs, polls_csv, jobs, quiet, force);
}

int cli_budget_work(const char *cmd, const char *name, const ses_work *wk, double runs, int polls_csv, long jobs,
                    int quiet, int force)
{
    ses_work w = *wk;
    char t[32];
    double events = w.events * runs, bytes = polls_csv ? w.polls_csv_bytes * runs : 0;
    double secs = events / SES_EVENTS_PER_S / (double)(jobs > 0 ? (jobs < runs ? jobs : runs) : 1);
    ses_fmt_duration(secs, t, sizeof t);
    int over = events > SES_BUDGET_EVENTS || w.events > SES_BUDGET_RUN_EVENTS || bytes > SES_BUDGET_POLLS_CSV_BYTES;
    if (over && !force) {
        char csv[64] = "";
        if (bytes > 0)
            snprintf(csv, sizeof csv, " and %.3g GB of polls.csv", bytes / 1e9);
        fprintf(stderr,
                "qsim: %s: refused: %s asks for about %.3g simulation events (%.0f run%s of about %.3g calls)%s, "
                "about %s of work; the budget is %.0f G events per run, %.0f G in all and %.0f GB of polls.csv (docs/experiments.md, "
                "\"Work budget\").\nqsim: use fewer --days or --reps, --no-polls-csv, or --force to run it anyway\n",
                cmd, name, events, runs, runs == 1 ? "" : "s", w.calls, csv, t, SES_BUDGET_RUN_EVENTS / 1e9, SES_BUDGET_EVENTS / 1e9,
                SES_BUDGET_POLLS_CSV_BYTES / 1e9);
        return 2;
    }
    if (!quiet && secs > 5)
        fprintf(stderr, "qsim: %s: about %.3g events%s, %s of work%s\n", cmd, events,
                bytes > 1e8 ? " and a large polls.csv" : "", t, over ? " (over the budget: --force)" : "");
    return 0;
}

static int progress_forced; /* --progress: the one switch, set once per process */

void cli_force_progress(void) { progress_forced = 1; }

void cli_meter_start(cli_meter *m, double total_runs, int quiet)
{
    memset(m, 0, sizeof *m);
    m->on = progress_forced || (!quiet && isatty(2));
    m->t0 = m->last = cli_wall();
    m->total_runs = total_runs;
}

void cli_meter_tick(void *meter, sim_us now, sim_us end)
{
    cli_meter *m = meter;
    if (!m || !m->on)
        return;
    double wall = cli_wall();
    int last = now >= end;
    double runs = m->done_runs;
    if (last)
        m->done_runs++; /* counted whether or not this tick draws */
    if ((!progress_forced && wall - m->t0 < 0.5) || (wall - m->last < 0.2 && !last))
        return;
    m->last = wall;
    m->drawn = 1;
    double frac = (runs + (double)now / (double)end) / m->total_runs;
    char eta[32] = "-";
    if (frac > 0 && wall - m->t0 > 0.5)
        ses_fmt_duration((wall - m->t0) * (1 - frac) / frac, eta, sizeof eta);
    fprintf(stderr, "\r  run %.0f/%.0f%s%s: %3.0f %% of %.4g d, ETA %s   ", runs + 1, m->total_runs,
            m->what ? ", option " : "", m->what ? m->what : "", 100.0 * (double)now / (double)end,
            (double)end / 86400e6, eta);
}

void cli_meter_runs(void *meter, double done, int total)
{
    cli_meter *m = meter;
    if (!m || !m->on)
        return;
    double wall = cli_wall();
    /* short work draws nothing; long work shows within a second, then
     * at most five times a second */
    if ((!progress_forced && wall - m->t0 < 0.5) || (wall - m->last < 0.2 && done < total))
        return;
    m->last = wall;
    m->drawn = 1;
    double scale = m->total_runs > 0 ? m->total_runs / total : 1; /* a sweep's points, shown as runs */
    double frac = total > 0 ? done / total : 1;
    char eta[32] = "-";
    if (frac > 0 && wall - m->t0 > 0.5)
        ses_fmt_duration((wall - m->t0) * (1 - frac) / frac, eta, sizeof eta);
    fprintf(stderr, "\r  %.1f/%.0f runs%s%s, ETA %s   ", done * scale, total * scale, m->what ? ", " : "",
            m->what ? m->what : "", eta);
}

void cli_meter_end(cli_meter *m)
{
    if (m->on && m->drawn)
        fputs(isatty(2) ? "\r\033[K" : "\n", stderr);
}
