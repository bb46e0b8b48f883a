/* advise.c - `qsim advise`: which strategy is the cheapest that meets a
 * target, at 95 % confidence, without making safety worse.
 *
 * Every candidate runs on the same replications (app/experiment.h). A
 * candidate meets a target "x<=v" when the upper end of the 95 % CI of the
 * mean of x is <= v; for healing targets it must also heal at all (episodes
 * but none healed is a miss) and leave no episode open longer than v. It
 * breaks safety when its paired difference against the baseline in lost
 * posts or double answers has a 95 % CI entirely above 0. The advice is
 * the qualifying candidate with the lowest mean $/day (ties: fewer reads,
 * then the order given). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/expdir.h"
#include "cli/cli.h"
#include "reports/outfile.h"
#include "model/figures.h"
#include "app/experiment.h"
#include "cli/robust.h"
#include "reports/stats.h"

#define MAX_TARGETS 8

typedef struct {
    char text[64];
    int metric;       /* M_* */
    double limit;     /* in the metric's unit (seconds for latencies) */
    int heal;         /* a healing-latency target */
} target;

/* "METRIC<=VALUE", METRIC an experiment figure of the catalogue
 * (model/figures.h, the names of compare.csv); a figure in seconds takes a
 * duration ("60s", "2min"), the others a number. 0, -1 a malformed target
 * (usage error), -2 an unknown metric (its message printed). */
static int parse_target(const char *s, target *t)
{
    const char *op = strstr(s, "<=");
    if (!op || op == s)
        return -1;
    snprintf(t->text, sizeof t->text, "%s", s);
    int k = cli_metric("advise", "--target", s, (size_t)(op - s));
    if (k < 0)
        return -2;
    t->metric = k;
    t->heal = k >= M_HEAL50 && k <= M_HEAL99;
    if (strcmp(fig_metric_at(k)->unit, "s") == 0) {
        sim_us us;
        if (sc_parse_duration(op + 2, &us) != 0)
            return -1;
        t->limit = (double)us / 1e6;
    } else {
        char *end;
        t->limit = strtod(op + 2, &end);
        if (*end || end == op + 2)
            return -1;
    }
    return 0;
}

typedef struct {
    int ok;
    char why[256];
    double cost, reads;
} verdict;

static stat_summary col(const experiment *e, const double *vals, int o, int k)
{
    return stat_of(exp_val(e, vals, 0, o, 0) + k, (size_t)e->reps, M_COUNT);
}

static stat_summary paired(const experiment *e, const double *vals, int o, int base, int k, double *tmp)
{
    for (int r = 0; r < e->reps; r++)
        tmp[r] = exp_val(e, vals, 0, o, r)[k] - exp_val(e, vals, 0, base, r)[k];
    return stat_of(tmp, (size_t)e->reps, 1);
}

static void judge(const experiment *e, const double *vals, int o, int base, const target *tg, int ntg,
                  double *tmp, verdict *v)
{
    v->ok = 1;
    v->cost = col(e, vals, o, M_USD_DAY).mean;
    v->reads = col(e, vals, o, M_READS).mean;
    for (int i = 0; i < ntg && v->ok; i++) {
        const target *t = &tg[i];
        if (t->heal) {
            stat_summary eps = col(e, vals, o, M_EPISODES), healed = col(e, vals, o, M_HEALED);
            stat_summary open = col(e, vals, o, M_OPEN_AGE);
            if (eps.mean > 0 && healed.mean == 0) {
                snprintf(v->why, sizeof v->why, "misses %.60s: never heals (%.1f divergence episodes per run, none healed)",
                         t->text, eps.mean);
                v->ok = 0;
                break;
            }
            double oldest = 0;
            for (int r = 0; r < e->reps; r++)
                if (exp_val(e, vals, 0, o, r)[M_OPEN_AGE] > oldest)
                    oldest = exp_val(e, vals, 0, o, r)[M_OPEN_AGE];
            (void)open;
            if (oldest > t->limit) {
                snprintf(v->why, sizeof v->why, "misses %.60s: an episode was still unhealed after %.1f s", t->text,
                         oldest);
                v->ok = 0;
                break;
            }
        }
        stat_summary s = col(e, vals, o, t->metric);
        if (s.never) {
            snprintf(v->why, sizeof v->why, "misses %.60s: never reached in %zu of %zu runs (Kaplan-Meier)", t->text,
                     s.never, s.n);
            v->ok = 0;
            break;
        }
        if (s.n > 0 && s.mean + s.half > t->limit) {
            snprintf(v->why, sizeof v->why, "misses %.60s: %.4g (95 %% CI up to %.4g)", t->text, s.mean, s.mean + s.half);
            v->ok = 0;
        }
    }
    if (!v->ok || o == base)
        return;
    static const struct { int k; const char *what; } safety[] = {
        { M_LOST, "lost posts" }, { M_TWICE, "double answers" },
    };
    for (size_t i = 0; i < sizeof safety / sizeof safety[0]; i++) {
        stat_summary d = paired(e, vals, o, base, safety[i].k, tmp);
        if (d.n > 1 && d.mean - d.half > 0) {
            snprintf(v->why, sizeof v->why, "breaks safety: %+.2f %s per run against option %s (95 %% CI %.2f..%.2f)",
                     d.mean, safety[i].what, e->options[base], d.mean - d.half, d.mean + d.half);
            v->ok = 0;
            return;
        }
    }
}

/* The advice on one set of results: the qualifying option with the lowest
 * mean $/day (ties: fewer reads, then the order given), or -1; v[o] says
 * why each option qualifies or not. */
static int pick(const experiment *e, const double *vals, int base, const target *tg, int ntg, double *tmp,
                verdict *v)
{
    int best = -1;
    for (int o = 0; o < e->nopt; o++) {
        judge(e, vals, o, base, tg, ntg, tmp, &v[o]);
        if (v[o].ok && (best < 0 || v[o].cost < v[best].cost ||
                        (v[o].cost == v[best].cost && v[o].reads < v[best].reads)))
            best = o;
    }
    return best;
}

/* rb_choice's callback: the advice at one point of --robust */
typedef struct {
    const experiment *e;
    int base, ntg;
    const target *tg;
    double *tmp;
    verdict *v;
} pick_ctx;

static int pick_at(const double *vals, void *ud)
{
    pick_ctx *c = ud;
    return pick(c->e, vals, c->base, c->tg, c->ntg, c->tmp, c->v);
}

int cmd_advise(int argc, char **argv)
{
    enum { O_TARGET = 256, O_BASE, O_ROBUST };
    static const struct option longs[] = {
        { "target", required_argument, 0, O_TARGET }, { "options", required_argument, 0, 'o' },
        { "baseline", required_argument, 0, O_BASE }, { "help", no_argument, 0, 'h' },
        { "robust", no_argument, 0, O_ROBUST }, CLI_EXP_LONGS,
        { 0, 0, 0, 0 },
    };
    target tg[MAX_TARGETS];
    int ntg = 0, c, r, robust = 0;
    const char *baseline = "0";
    /* the default candidates: every option and the compositions that fix
     * more than one thing, Option 4 in both storage variants included */
    char optbuf[1024] = "0,1,2,3,1+2,2+3,1fixed,1fixed+2,4,4:do_storage=scan";
    cli_exp x;
    cli_exp_defaults(&x, 10, NULL);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:d:qh", longs, NULL)) != -1) {
        if ((r = cli_exp_option(&x, c, optarg)) != 0) {
            if (r < 0)
                return 2;
            continue;
        }
        switch (c) {
        case O_TARGET:
            if (ntg < MAX_TARGETS && (r = parse_target(optarg, &tg[ntg])) == -2)
                return 2;
            if (ntg == MAX_TARGETS || r != 0)
                return cli_usage_error("--target wants METRIC<=VALUE, e.g. heal_p99_s<=60s, stuck_final<=0, "
                                       "usd_per_day<=0.05 (the metrics of docs/metrics.md); got '%s'", optarg);
            ntg++;
            break;
        case 'o': snprintf(optbuf, sizeof optbuf, "%s", optarg); break;
        case O_BASE: baseline = optarg; break;
        case O_ROBUST: robust = 1; break;
        case 'h':
            puts("usage: qsim advise SCENARIO --target METRIC<=VALUE [--target ...] [--options LIST]\n"
                 "                   [--reps 10] [--jobs N] [--plan paid|free] [--days D] [--baseline 0]\n"
                 "                   [--robust]\n"
                 "metrics: those of compare.csv (docs/metrics.md), e.g. heal_p99_s (a duration: 60s),\n"
                 "         stuck_final, usd_per_day, lost_by_overwrite, never_answered\n"
                 "Answers with the cheapest option meeting every target at 95 % confidence without\n"
                 "more lost posts or double answers than the baseline; says why each other one loses.\n"
                 "--robust: the advice again at the low end, middle and high end of every assumed\n"
                 "value of the data files (same seeds): does the recommended option stay the same?");
            return 0;
        default: return cli_usage_error("%s", "bad option for 'advise'");
        }
    }
    int reps = x.reps, quiet = x.quiet;
    long jobs = x.jobs;
    if (optind != argc - 1 || ntg == 0)
        return cli_usage_error("%s", "advise wants SCENARIO and at least one --target");
    scenario *s = NULL;
    pr_plan pp;
    ses_files files;
    static xd_exp xp;
    of_set set = { 0 };
    static const char *const names[] = { "report.md", "advice.txt", "manifest.json", NULL };
    char *rtext = NULL;
    size_t rlen = 0;
    FILE *out = NULL; /* the advice, for stdout and the folder */
    if (cli_load_files(argv[optind], x.data, x.plan, x.pricing, x.days, &s, &pp, &files) != 0)
        return 2;
    const char *options[SC_MAX_OPTIONS];
    int nopt = 0, base = -1, rc = 2;
    double *vals = NULL, *tmp = NULL;
    verdict *v = NULL;
    if (cli_options("advise", optbuf, s, options, &nopt, baseline, &base) != 0)
        goto out;
    const scenario *points[1] = { s };
    experiment e = { points, 1, &pp, options, nopt, reps, x.have_seed ? x.seed : s->seed };
    if (cli_budget("advise", s, (double)nopt * reps, 0, jobs, quiet, x.force) != 0)
        goto out;
    {
        char buf[512];
        size_t k = 0;
        cli_xd_begin(&xp, "advise", s, argv[optind], &files, argc, argv);
        cli_join(buf, sizeof buf, options, nopt);
        xd_set(&xp, "options", buf);
        xd_set(&xp, "baseline", options[base]);
        buf[0] = 0;
        for (int i = 0; i < ntg && k < sizeof buf; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? " " : "", tg[i].text);
        xd_set(&xp, "targets", buf);
        cli_xd_design(&xp, e.base_seed, reps, s->duration);
        if (cli_xd_resolve(&xp, x.out, x.force) != 0)
            goto out;
    }
    vals = calloc((size_t)nopt * (size_t)reps * M_COUNT, sizeof *vals);
    tmp = calloc((size_t)reps, sizeof *tmp);
    v = calloc((size_t)nopt, sizeof *v);
    rc = 1;
    if (!(out = open_memstream(&rtext, &rlen)))
        goto done;
    cli_meter meter;
    cli_meter_start(&meter, 0, quiet);
    int failed = !vals || !tmp || !v || exp_run_all(&e, (int)jobs, vals, meter.on ? cli_meter_runs : NULL, &meter) != 0;
    cli_meter_end(&meter);
    if (failed) {
        fprintf(stderr, "qsim: advise: runs failed\n");
        goto done;
    }
    int best = pick(&e, vals, base, tg, ntg, tmp, v);
    fprintf(out, "%s: %d replications per option, %s plan; target%s:", s->name, reps, pp.plan, ntg > 1 ? "s" : "");
    for (int i = 0; i < ntg; i++)
        fprintf(out, " %s", tg[i].text);
    fprintf(out, "\n\n");
    if (best < 0) {
        fprintf(out, "advice: no option meets the target%s at 95 %% confidence.\n", ntg > 1 ? "s" : "");
    } else {
        stat_summary cost = col(&e, vals, best, M_USD_DAY);
        fprintf(out, "advice: option %s, $%.6f/day (95 %% CI %.6f..%.6f), %.0f KV reads/day\n", options[best], cost.mean,
               cost.mean - cost.half, cost.mean + cost.half, v[best].reads);
    }
    for (int o = 0; o < nopt; o++) {
        if (o == best)
            continue;
        if (!v[o].ok)
            fprintf(out, "  %-10s %s\n", options[o], v[o].why);
        else if (v[o].cost > v[best].cost + 5e-7)
            fprintf(out, "  %-10s costs more: $%.6f/day against $%.6f/day (%+.1f %%)\n", options[o], v[o].cost,
                   v[best].cost, 100 * (v[o].cost - v[best].cost) / v[best].cost);
        else if (v[o].reads > v[best].reads)
            fprintf(out, "  %-10s costs the same to the micro-dollar, with %.0f more KV reads/day\n", options[o],
                   v[o].reads - v[best].reads);
        else
            fprintf(out, "  %-10s ties on cost and reads; option %s comes first in the list\n", options[o],
                   options[best]);
    }
    if (robust) {
        rb_set rb;
        pick_ctx pc = { &e, base, ntg, tg, tmp, v };
        int rrc = rb_run(&rb, argv[optind], x.data, s, &pp, &e, vals, (int)jobs, meter.on);
        if (rrc == 0) {
            fputc('\n', out);
            rb_choice(out, &rb, pick_at, &pc, "advice");
        }
        rb_free(&rb);
        if (rrc != 0) {
            rc = rrc;
            goto done;
        }
    }
    fclose(out);
    out = NULL;
    /* the folder: the advice as run, and a report naming its scenario */
    {
        char path[1400];
        FILE *o;
        int bad = of_set_begin(&set, xp.dir, names) != 0;
        of_set_path(&set, "advice.txt", path, sizeof path);
        if (!bad)
            bad = !(o = fopen(path, "w")) || fwrite(rtext, 1, rlen, o) != rlen || fclose(o) != 0;
        of_set_path(&set, "report.md", path, sizeof path);
        if (!bad && (o = fopen(path, "w"))) {
            fprintf(o, "# qsim advise: %s\n\n%s\n\n```\n%s```\n\nEach option ran %d replications on the same "
                       "seeds (docs/search.md, \"qsim advise\"); the figures are those of docs/metrics.md.\n",
                    s->name, best < 0 ? "No option meets the targets at 95 % confidence." : "The cheapest option meeting the targets at 95 % confidence, and why each other one loses:",
                    rtext, reps);
            bad = fclose(o) != 0;
        } else {
            bad = 1;
        }
        static const char *const written[] = { "report.md", "advice.txt" };
        if (bad || xd_write_manifest(&xp, set.stage, written, 2, NULL) != 0 || of_set_commit(&set) != 0) {
            fprintf(stderr, "qsim: advise: cannot write into %s: %s\n", xp.dir, strerror(errno));
            goto done;
        }
        xd_link_latest(&xp);
    }
    fputs(rtext, stdout);
    rc = best < 0 ? 3 : 0;
done:
    if (out)
        fclose(out);
    free(rtext);
    of_set_abort(&set);
    free(vals);
    free(tmp);
    free(v);
out:
    sc_free(s);
    return rc;
}
