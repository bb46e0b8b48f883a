/* advise.c - `qsim advise`: which strategy is the cheapest that meets a
 * target, at 95 % confidence, without making safety worse.
 *
 * Every candidate runs on the same replications (cli/experiment.h). A
 * candidate meets a target "x<=v" when the upper end of the 95 % CI of the
 * mean of x is <= v; for healing targets it must also heal at all (episodes
 * but none healed is a miss) and leave no episode open longer than v. It
 * breaks safety when its paired difference against the baseline in lost
 * posts or double answers has a 95 % CI entirely above 0. The advice is
 * the qualifying candidate with the lowest mean $/day (ties: fewer reads,
 * then the order given). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/experiment.h"
#include "cli/robust.h"
#include "reports/stats.h"

#define MAX_TARGETS 8

typedef struct {
    char text[64];
    int metric;       /* M_* */
    double limit;     /* in the metric's unit (seconds for latencies) */
    int heal;         /* a healing-latency target */
} target;

static int parse_target(const char *s, target *t)
{
    static const struct { const char *name; int metric; int time; } names[] = {
        { "heal-p50", M_HEAL50, 1 }, { "heal-p95", M_HEAL95, 1 }, { "heal-p99", M_HEAL99, 1 },
        { "stuck", M_STUCK, 0 }, { "reads-per-day", M_READS, 0 }, { "usd-per-day", M_USD_DAY, 0 },
        { "kvr-per-poll", M_KVR_POLL, 0 }, { "never-answered", M_NEVER, 0 }, { "lost-posts", M_LOST, 0 },
        { "reply-p99", M_REPLY99, 1 },
    };
    const char *op = strstr(s, "<=");
    if (!op)
        return -1;
    snprintf(t->text, sizeof t->text, "%s", s);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) != (size_t)(op - s) || strncmp(s, names[i].name, (size_t)(op - s)) != 0)
            continue;
        t->metric = names[i].metric;
        t->heal = names[i].metric >= M_HEAL50 && names[i].metric <= M_HEAL99;
        if (names[i].time) {
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
    return -1;
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
    char optbuf[1024] = "0,1,2,3,1+2,2+3,1fixed,1fixed+2";
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
            if (ntg == MAX_TARGETS || parse_target(optarg, &tg[ntg]) != 0)
                return cli_usage_error("--target wants METRIC<=VALUE, e.g. heal-p99<=60s, stuck<=0, "
                                       "usd-per-day<=0.05; got '%s'", optarg);
            ntg++;
            break;
        case 'o': snprintf(optbuf, sizeof optbuf, "%s", optarg); break;
        case O_BASE: baseline = optarg; break;
        case O_ROBUST: robust = 1; break;
        case 'h':
            puts("usage: qsim advise SCENARIO --target METRIC<=VALUE [--target ...] [--options LIST]\n"
                 "                   [--reps 10] [--jobs N] [--plan paid|free] [--days D] [--baseline 0]\n"
                 "                   [--robust]\n"
                 "metrics: heal-p50, heal-p95, heal-p99, reply-p99 (durations), stuck, reads-per-day,\n"
                 "         usd-per-day, kvr-per-poll, never-answered, lost-posts\n"
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
    if (cli_load(argv[optind], x.data, x.plan, x.pricing, x.days, &s, &pp) != 0)
        return 2;
    const char *options[SC_MAX_OPTIONS];
    int nopt = 0, base = -1, rc = 2;
    if (cli_options("advise", optbuf, s, options, &nopt, baseline, &base) != 0)
        goto out;
    const scenario *points[1] = { s };
    experiment e = { points, 1, &pp, options, nopt, reps, x.have_seed ? x.seed : s->seed };
    double *vals = calloc((size_t)nopt * (size_t)reps * M_COUNT, sizeof *vals);
    double *tmp = calloc((size_t)reps, sizeof *tmp);
    verdict *v = calloc((size_t)nopt, sizeof *v);
    rc = 1;
    if (!vals || !tmp || !v || exp_run_all(&e, (int)jobs, vals, !quiet && isatty(2)) != 0) {
        fprintf(stderr, "qsim: advise: runs failed\n");
        goto done;
    }
    int best = pick(&e, vals, base, tg, ntg, tmp, v);
    printf("%s: %d replications per option, %s plan; target%s:", s->name, reps, pp.plan, ntg > 1 ? "s" : "");
    for (int i = 0; i < ntg; i++)
        printf(" %s", tg[i].text);
    printf("\n\n");
    if (best < 0) {
        printf("advice: no option meets the target%s at 95 %% confidence.\n", ntg > 1 ? "s" : "");
    } else {
        stat_summary cost = col(&e, vals, best, M_USD_DAY);
        printf("advice: option %s, $%.6f/day (95 %% CI %.6f..%.6f), %.0f KV reads/day\n", options[best], cost.mean,
               cost.mean - cost.half, cost.mean + cost.half, v[best].reads);
    }
    for (int o = 0; o < nopt; o++) {
        if (o == best)
            continue;
        if (!v[o].ok)
            printf("  %-10s %s\n", options[o], v[o].why);
        else if (v[o].cost > v[best].cost + 5e-7)
            printf("  %-10s costs more: $%.6f/day against $%.6f/day (%+.1f %%)\n", options[o], v[o].cost,
                   v[best].cost, 100 * (v[o].cost - v[best].cost) / v[best].cost);
        else if (v[o].reads > v[best].reads)
            printf("  %-10s costs the same to the micro-dollar, with %.0f more KV reads/day\n", options[o],
                   v[o].reads - v[best].reads);
        else
            printf("  %-10s ties on cost and reads; option %s comes first in the list\n", options[o],
                   options[best]);
    }
    if (robust) {
        rb_set rb;
        pick_ctx pc = { &e, base, ntg, tg, tmp, v };
        int rrc = rb_run(&rb, argv[optind], x.data, s, &pp, &e, vals, (int)jobs, !quiet && isatty(2));
        if (rrc == 0) {
            printf("\n");
            rb_choice(stdout, &rb, pick_at, &pc, "advice");
        }
        rb_free(&rb);
        if (rrc != 0) {
            rc = rrc;
            goto done;
        }
    }
    rc = best < 0 ? 3 : 0;
done:
    free(vals);
    free(tmp);
    free(v);
out:
    sc_free(s);
    return rc;
}
