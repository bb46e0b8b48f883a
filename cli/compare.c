/* compare.c - `qsim compare`: every option on the same replication seeds
 * (common random numbers), means with 95 % Student-t intervals, and paired
 * differences against a baseline option.
 *
 * Replication r runs with seed rng_derive(base_seed, r): option A and
 * option B in replication r see the same human arrivals, sizes and draws up
 * to the point where their behaviour differs. Work is split over --jobs
 * forked processes that send fixed-size records back through a pipe; the
 * parent files them by task index, so outputs are byte-identical for any
 * number of jobs. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/expdir.h"
#include "cli/cli.h"
#include "model/world.h"
#include "reports/outfile.h"
#include "reports/report.h"
#include "reports/stats.h"
#include "app/experiment.h"
#include "cli/robust.h"

/* "12.3 ± 0.4" with a precision that suits the metric. */
static void fmt_ci(char *buf, size_t len, stat_summary st, int metric)
{
    int prec = metric == M_USD_DAY || metric == M_USD_MONTH ? 6 : metric == M_KVR_POLL ? 3 : 1;
    if (metric >= M_HEAL50 && metric <= M_HEAL99)
        prec = 3;
    if (metric == M_REPLY50 || metric == M_REPLY99)
        prec = 2;
    if (st.n == 0)
        snprintf(buf, len, "-");
    else if (st.never)
        snprintf(buf, len, "never (%zu/%zu)", st.never, st.n);
    else
        snprintf(buf, len, "%.*f ± %.*f", prec, st.mean, prec, st.half);
}

static const int table_metrics[] = { M_READS, M_WRITES, M_USD_DAY, M_KVR_POLL, M_HEAL50, M_HEAL99, M_STUCK,
                                     M_LOST, M_NEVER, M_TWICE };

#define NTABLE_DEFAULT (sizeof table_metrics / sizeof table_metrics[0])

/* The table of means ± CI of the figures cols[0..ncols) (M_*): Markdown
 * (md) or aligned text. */
static void write_table(FILE *f, const experiment *e, const double *vals, int md, const int *cols, size_t ncols)
{
    char cells[SC_MAX_OPTIONS + 1][M_COUNT + 1][64];
    int width[M_COUNT + 1] = { 0 };
    const size_t NTABLE = ncols < M_COUNT ? ncols : M_COUNT;
    snprintf(cells[0][0], 64, "option");
    for (size_t k = 0; k < NTABLE; k++)
        snprintf(cells[0][k + 1], 64, "%s", fig_metric_at(cols[k])->name);
    for (int o = 0; o < e->nopt; o++) {
        snprintf(cells[o + 1][0], 64, "%s", e->options[o]);
        for (size_t k = 0; k < NTABLE; k++) {
            int mi = cols[k];
            fmt_ci(cells[o + 1][k + 1], 64,
                   stat_of(vals + (size_t)o * e->reps * M_COUNT + mi, (size_t)e->reps, M_COUNT), mi);
        }
    }
    for (int r = 0; r <= e->nopt; r++)
        for (size_t k = 0; k <= NTABLE; k++) {
            int w = 0; /* display width: "±" is one column in two bytes */
            for (const unsigned char *p = (const unsigned char *)cells[r][k]; *p; p++)
                w += (*p & 0xc0) != 0x80;
            if (w > width[k])
                width[k] = w;
        }
    for (int r = 0; r <= e->nopt; r++) {
        for (size_t k = 0; k <= NTABLE; k++) {
            int w = 0;
            for (const unsigned char *p = (const unsigned char *)cells[r][k]; *p; p++)
                w += (*p & 0xc0) != 0x80;
            if (md)
                fprintf(f, "| %s ", cells[r][k]);
            else
                fprintf(f, "%*s%s%s", k ? width[k] - w : 0, "", cells[r][k],
                        k ? "" : "");
            if (!md && k == 0)
                fprintf(f, "%*s", width[0] - w, "");
            if (!md)
                fputs(k < NTABLE ? "  " : "", f);
        }
        fputs(md ? "|\n" : "\n", f);
        if (md && r == 0) {
            for (size_t k = 0; k <= NTABLE; k++)
                fputs(k ? "|---:" : "|---", f);
            fputs("|\n", f);
        }
    }
}

static cJSON *summary_json(stat_summary st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)st.n);
    if (st.never) /* replications whose healing curve never reached it */
        cJSON_AddNumberToObject(o, "never", (double)st.never);
    else if (st.n) {
        cJSON_AddNumberToObject(o, "mean", st.mean);
        cJSON_AddNumberToObject(o, "sd", st.sd);
        cJSON_AddNumberToObject(o, "ci95_low", st.mean - st.half);
        cJSON_AddNumberToObject(o, "ci95_high", st.mean + st.half);
    }
    return o;
}

/* Safety and liveness against the baseline, with replications: a figure
 * is flagged WORSE only when the paired 95 % CI of (option - baseline) lies
 * entirely above 0; a higher mean whose CI includes 0 is said to be within
 * noise ("could be chance"), never flagged. With one replication there is
 * no interval: every higher mean is "could be chance". docs/metrics.md,
 * "Flags". */
static const struct { int k; const char *what; } risk[] = {
    { M_LOST, "lost posts" }, { M_NEVER, "never answered" }, { M_TWICE, "answered twice" }, { M_STUCK, "stuck" },
};
#define NRISK (sizeof risk / sizeof risk[0])

/* Option o's verdict against base into verdict (and the four cells when
 * cell is not NULL); d: reps doubles of scratch. Returns the number of
 * figures flagged WORSE. */
static int risk_verdict(const experiment *e, const double *vals, int o, int base, double *d, char cell[][64],
                        char *verdict, size_t vlen)
{
    size_t vk = 0;
    int worse = 0, chance = 0;
    verdict[0] = 0;
    for (size_t q = 0; q < NRISK; q++) {
        for (int r = 0; r < e->reps; r++)
            d[r] = exp_val(e, vals, 0, o, r)[risk[q].k] - exp_val(e, vals, 0, base, r)[risk[q].k];
        stat_summary st = stat_of(d, (size_t)e->reps, 1);
        if (cell && st.n >= 2)
            snprintf(cell[q], 64, "%+.1f ± %.1f", st.mean, st.half);
        else if (cell)
            snprintf(cell[q], 64, "%+.1f", st.n ? st.mean : 0.0);
        if (st.n == 0 || !(st.mean > 0))
            continue;
        int clear = st.n >= 2 && st.mean - st.half > 0;
        vk += (size_t)snprintf(verdict + vk, vk < vlen ? vlen - vk : 0, "%s%s %s", worse + chance ? ", " : "",
                               clear ? "WORSE on" : "higher (could be chance) on", risk[q].what);
        worse += clear;
        chance += !clear;
    }
    if (!worse && !chance)
        snprintf(verdict, vlen, "no worse");
    return worse;
}

/* md: Markdown table, else text lines. */
static void write_risk(FILE *f, const experiment *e, const double *vals, int base, int md)
{
    double *d = malloc((size_t)e->reps * sizeof *d);
    int ow = 12;
    if (!d)
        return;
    for (int o = 0; o < e->nopt; o++)
        if ((int)strlen(e->options[o]) > ow)
            ow = (int)strlen(e->options[o]);
    if (md)
        fprintf(f, "\n## Safety and liveness against option %s\n\n"
                   "Paired difference per replication (option - option %s), mean ± 95 %% CI. **worse** only where the "
                   "whole interval is above 0; a higher mean whose interval includes 0 could be chance.\n\n"
                   "| option | lost posts | never answered | answered twice | stuck | verdict |\n|---|---:|---:|---:|---:|---|\n",
                e->options[base], e->options[base]);
    else
        fprintf(f, "\nsafety and liveness against option %s (paired 95 %% CI; WORSE only where the whole interval is "
                   "above 0):\n", e->options[base]);
    for (int o = 0; o < e->nopt; o++) {
        if (o == base)
            continue;
        char cell[NRISK][64], verdict[256];
        int worse = risk_verdict(e, vals, o, base, d, cell, verdict, sizeof verdict);
        if (md)
            fprintf(f, "| %s | %s | %s | %s | %s | %s%s%s |\n", e->options[o], cell[0], cell[1], cell[2], cell[3],
                    worse ? "**" : "", verdict, worse ? "**" : "");
        else
            fprintf(f, "  %-*s lost %s, never %s, twice %s, stuck %s: %s\n", ow, e->options[o], cell[0], cell[1], cell[2],
                    cell[3], verdict);
    }
    free(d);
}

/* report.md's first section: per option the month's bill (mean ± CI), its
 * paired difference from the baseline, the risk verdict and the healing
 * median; then which conclusions depend on the assumptions (--robust). */
static void write_decision(FILE *f, const experiment *e, const double *vals, int base, const rb_set *rb)
{
    double *d = malloc((size_t)e->reps * sizeof *d);
    if (!d)
        return;
    fprintf(f, "## Decision\n\nThe month's bill with included amounts (what you pay), its paired difference from option "
               "%s, and the safety/liveness verdict against option %s (WORSE only beyond the 95 %% CI; see below).\n\n"
               "| option | bill per month | vs option %s | risk against option %s | heal p50 (s, KM) |\n"
               "|---|---:|---:|---|---:|\n",
            e->options[base], e->options[base], e->options[base], e->options[base]);
    for (int o = 0; o < e->nopt; o++) {
        char bill[64], vs[64], verdict[256], heal[64];
        stat_summary b = stat_of(exp_val(e, vals, 0, o, 0) + M_USD_MONTH, (size_t)e->reps, M_COUNT);
        snprintf(bill, sizeof bill, "$%.2f ± %.2f", b.mean, b.half);
        for (int r = 0; r < e->reps; r++)
            d[r] = exp_val(e, vals, 0, o, r)[M_USD_MONTH] - exp_val(e, vals, 0, base, r)[M_USD_MONTH];
        stat_summary dv = stat_of(d, (size_t)e->reps, 1);
        if (o == base)
            snprintf(vs, sizeof vs, "base");
        else if (fabs(dv.mean) < 0.005 && dv.half < 0.005)
            snprintf(vs, sizeof vs, "same bill");
        else
            snprintf(vs, sizeof vs, "%s$%.2f ± %.2f", dv.mean < 0 ? "-" : "+", fabs(dv.mean), dv.half);
        int worse = 0;
        if (o == base)
            snprintf(verdict, sizeof verdict, "base");
        else
            worse = risk_verdict(e, vals, o, base, d, NULL, verdict, sizeof verdict);
        fmt_ci(heal, sizeof heal, stat_of(exp_val(e, vals, 0, o, 0) + M_HEAL50, (size_t)e->reps, M_COUNT), M_HEAL50);
        fprintf(f, "| %s | %s | %s | %s%s%s | %s |\n", e->options[o], bill, vs, worse ? "**" : "", verdict,
                worse ? "**" : "", heal);
    }
    free(d);
    if (rb) {
        int ndep = 0;
        fputs("\n**Under which assumptions:** ", f);
        for (int q = 0; q < rb_nmetrics; q++)
            if (!rb_stable(rb, rb_metrics[q]) && rb_clear_flip(rb, rb_metrics[q]))
                fprintf(f, "%s%s", ndep++ ? ", " : "the ranking on ", fig_metric_at(rb_metrics[q])->name);
        fputs(ndep ? " depends on the assumed values (section \"Robustness to the assumptions\" below says where).\n"
                   : "no ranking depends on the assumed values (section \"Robustness to the assumptions\" below).\n",
              f);
    } else {
        fputs("\n**Under which assumptions:** not checked (`--robust` re-runs the comparison across the assumed "
              "values).\n",
              f);
    }
    fputs("\n", f);
}

static int write_outputs(const char *dir, const experiment *e, const double *vals, int base, const rb_set *rb)
{
    char path[1200];
    of_file f;
    double *diff = malloc((size_t)e->reps * sizeof *diff);
    if (!diff)
        return -1;
    /* tidy CSV: one row per option x replication x metric */
    snprintf(path, sizeof path, "%s/compare.csv", dir);
    if (of_open(&f, path) != 0)
        goto fail;
    fputs("option,rep,seed,metric,value\n", f.f);
    for (int o = 0; o < e->nopt; o++)
        for (int r = 0; r < e->reps; r++)
            for (int k = 0; k < M_COUNT; k++) {
                double v = vals[((size_t)o * e->reps + r) * M_COUNT + k];
                fprintf(f.f, "%s,%d,%" PRIu64 ",%s,", e->options[o], r, exp_rep_seed(e->base_seed, r), fig_metric_at(k)->name);
                if (isnan(v))
                    fputs("NA\n", f.f);
                else if (isinf(v))
                    fputs("never\n", f.f);
                else
                    fprintf(f.f, "%.9g\n", v);
            }
    if (of_commit(&f) != 0)
        goto fail;
    /* JSON: per option, per metric: mean, sd, CI; paired difference vs base */
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "qsim", QSIM_VERSION);
    cJSON_AddStringToObject(root, "scenario", e->points[0]->name);
    cJSON_AddStringToObject(root, "file", e->points[0]->path);
    cJSON_AddNumberToObject(root, "base_seed", (double)e->base_seed);
    cJSON_AddNumberToObject(root, "replications", e->reps);
    cJSON_AddStringToObject(root, "baseline", e->options[base]);
    cJSON_AddStringToObject(root, "pricing", cli_basename(e->plan->path));
    cJSON *arr = cJSON_AddArrayToObject(root, "options");
    for (int o = 0; o < e->nopt; o++) {
        cJSON *oj = cJSON_CreateObject();
        cJSON_AddStringToObject(oj, "option", e->options[o]);
        cJSON *mj = cJSON_AddObjectToObject(oj, "metrics");
        cJSON *dj = cJSON_AddObjectToObject(oj, "paired_difference_vs_baseline");
        for (int k = 0; k < M_COUNT; k++) {
            const double *col = vals + (size_t)o * e->reps * M_COUNT + k;
            cJSON_AddItemToObject(mj, fig_metric_at(k)->name, summary_json(stat_of(col, (size_t)e->reps, M_COUNT)));
            for (int r = 0; r < e->reps; r++)
                diff[r] = vals[((size_t)o * e->reps + r) * M_COUNT + k] -
                          vals[((size_t)base * e->reps + r) * M_COUNT + k];
            cJSON_AddItemToObject(dj, fig_metric_at(k)->name, summary_json(stat_of(diff, (size_t)e->reps, 1)));
        }
        cJSON_AddItemToArray(arr, oj);
    }
    if (rb)
        cJSON_AddItemToObject(root, "robust", rb_json(rb));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    snprintf(path, sizeof path, "%s/compare.json", dir);
    if (!text || of_open(&f, path) != 0) {
        free(text);
        goto fail;
    }
    fputs(text, f.f);
    fputc('\n', f.f);
    free(text);
    if (of_commit(&f) != 0)
        goto fail;
    /* summary CSV for charts: option, metric, n, mean, CI */
    snprintf(path, sizeof path, "%s/compare_summary.csv", dir);
    if (of_open(&f, path) != 0)
        goto fail;
    fputs("option,metric,n,mean,ci95_low,ci95_high\n", f.f);
    for (int o = 0; o < e->nopt; o++)
        for (int k = 0; k < M_COUNT; k++) {
            stat_summary st = stat_of(vals + (size_t)o * e->reps * M_COUNT + k, (size_t)e->reps, M_COUNT);
            if (st.never)
                fprintf(f.f, "%s,%s,%zu,never,NA,NA\n", e->options[o], fig_metric_at(k)->name, st.n);
            else if (st.n)
                fprintf(f.f, "%s,%s,%zu,%.9g,%.9g,%.9g\n", e->options[o], fig_metric_at(k)->name, st.n, st.mean,
                        st.mean - st.half, st.mean + st.half);
            else
                fprintf(f.f, "%s,%s,0,NA,NA,NA\n", e->options[o], fig_metric_at(k)->name);
        }
    if (of_commit(&f) != 0)
        goto fail;
    /* Markdown report */
    snprintf(path, sizeof path, "%s/report.md", dir);
    if (of_open(&f, path) != 0)
        goto fail;
    fprintf(f.f, "# qsim compare: %s\n\n%d replications per option on common random numbers (base seed %" PRIu64
                 "), pricing %s.\nCells are mean ± half-width of the 95 %% Student-t confidence interval.\n\n",
            e->points[0]->name, e->reps, e->base_seed, cli_basename(e->plan->path));
    write_decision(f.f, e, vals, base, rb);
    write_table(f.f, e, vals, 1, table_metrics, NTABLE_DEFAULT);
    fprintf(f.f, "\n## Paired difference against option %s\n\n| option | reads_per_day | usd_per_day | stuck_final |\n|---|---|---|---|\n",
            e->options[base]);
    for (int o = 0; o < e->nopt; o++) {
        char c1[64], c2[64], c3[64];
        int ks[3] = { M_READS, M_USD_DAY, M_STUCK };
        char *cells[3] = { c1, c2, c3 };
        for (int q = 0; q < 3; q++) {
            for (int r = 0; r < e->reps; r++)
                diff[r] = vals[((size_t)o * e->reps + r) * M_COUNT + ks[q]] -
                          vals[((size_t)base * e->reps + r) * M_COUNT + ks[q]];
            fmt_ci(cells[q], 64, stat_of(diff, (size_t)e->reps, 1), ks[q]);
        }
        fprintf(f.f, "| %s | %s | %s | %s |\n", e->options[o], c1, c2, c3);
    }
    write_risk(f.f, e, vals, base, 1);
    if (rb) {
        fputs("\n## Robustness to the assumptions\n\n", f.f);
        rb_write(f.f, rb, 1);
    }
    if (of_commit(&f) != 0)
        goto fail;
    if (rb) { /* the section alone, for the report's first screen */
        snprintf(path, sizeof path, "%s/robust.md", dir);
        if (of_open(&f, path) != 0)
            goto fail;
        rb_write(f.f, rb, 1);
        if (of_commit(&f) != 0)
            goto fail;
    }
    free(diff);
    return 0;
fail:
    of_abort(&f);
    free(diff);
    return -1;
}

int cmd_compare(int argc, char **argv)
{
    enum { O_BASE = 256, O_ROBUST, O_METRIC };
    static const struct option longs[] = {
        { "options", required_argument, 0, 'o' }, { "option", required_argument, 0, 'o' },
        { "metric", required_argument, 0, O_METRIC },
        { "baseline", required_argument, 0, O_BASE }, { "robust", no_argument, 0, O_ROBUST },
        { "help", no_argument, 0, 'h' }, CLI_EXP_LONGS,
        { 0, 0, 0, 0 },
    };
    const char *baseline = NULL;
    char optbuf[1024] = "";
    const char *options[SC_MAX_OPTIONS];
    int nopt = 0, c, r, robust = 0;
    int cols[M_COUNT];
    size_t ncols = 0;
    cli_exp x;
    cli_exp_defaults(&x, 30, NULL);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:d:qh", longs, NULL)) != -1) {
        if ((r = cli_exp_option(&x, c, optarg)) != 0) {
            if (r < 0)
                return 2;
            continue;
        }
        switch (c) {
        case 'o':
            if (strlen(optarg) >= sizeof optbuf)
                return cli_usage_error("option list too long: %s", optarg);
            snprintf(optbuf, sizeof optbuf, "%s", optarg);
            break;
        case O_BASE: baseline = optarg; break;
        case O_ROBUST: robust = 1; break;
        case O_METRIC: /* the stdout table's columns; the files hold every figure */
            for (const char *p = optarg; *p;) {
                size_t n = strcspn(p, ",");
                int k = cli_metric("compare", "--metric", p, n);
                if (k < 0)
                    return 2;
                if (ncols < M_COUNT)
                    cols[ncols++] = k;
                p += n + (p[n] == ',');
            }
            if (ncols == 0)
                return cli_usage_error("--metric wants metric names such as usd_per_day,heal_p99_s, got '%s'",
                                       optarg);
            break;
        case 'h':
            puts("usage: qsim compare SCENARIO [--options 0,1,2,3,1+2] [--reps 30] [--jobs N] [--seed S]\n"
                 "                    [--days D] [--out DIR] [--plan paid|free] [--pricing FILE] [--baseline OPT]\n"
                 "                    [--robust] [--metric NAME,...] [-q]\n"
                 "Runs every option on the same replication seeds and writes DIR/compare.csv,\n"
                 "DIR/compare.json and DIR/report.md (means with 95 % CIs, paired differences).\n"
                 "--robust: runs them again at the low end, middle and high end of every assumed\n"
                 "value of the limits and pricing files (same seeds) and says for each figure\n"
                 "whether the ranking of the options holds everywhere (also DIR/robust.md).");
            return 0;
        default: return cli_usage_error("%s", "bad option for 'compare'");
        }
    }
    const char *out = x.out, *plan = x.plan, *days = x.days;
    int reps = x.reps, quiet = x.quiet;
    long jobs = x.jobs;
    if (optind != argc - 1)
        return cli_usage_error("%s", "compare takes one SCENARIO file");
    scenario *s = NULL;
    pr_plan pp;
    ses_files files;
    static xd_exp xp;
    of_set set = { 0 };
    rb_set rb = { 0 };
    static const char *const names[] = { "compare.csv", "compare.json", "compare_summary.csv", "report.md",
                                         "robust.md", "manifest.json", NULL };
    if (cli_load_files(argv[optind], x.data, plan, x.pricing, days, &s, &pp, &files) != 0)
        return 2;
    int rc = 2, base;
    double *vals = NULL;
    if (cli_options("compare", optbuf, s, options, &nopt, baseline, &base) != 0)
        goto out;
    const scenario *points[1] = { s };
    experiment e = { points, 1, &pp, options, nopt, reps, x.have_seed ? x.seed : s->seed };
    if (cli_budget("compare", s, (double)nopt * reps, 0, jobs, quiet, x.force) != 0)
        goto out;
    {
        char buf[512];
        cli_xd_begin(&xp, "compare", s, argv[optind], &files, argc, argv);
        cli_join(buf, sizeof buf, options, nopt);
        xd_set(&xp, "options", buf);
        xd_set(&xp, "baseline", options[base]);
        cli_xd_design(&xp, e.base_seed, reps, s->duration);
        if (cli_xd_resolve(&xp, out, x.force) != 0)
            goto out;
        out = xp.dir;
    }
    vals = calloc((size_t)nopt * (size_t)reps * M_COUNT, sizeof *vals);
    rc = 1;
    if (!vals || of_set_begin(&set, out, names) != 0) {
        fprintf(stderr, "qsim: compare: cannot create %s: %s\n", out, strerror(errno));
        goto out;
    }
    double t0 = cli_wall();
    errno = 0;
    cli_meter meter;
    cli_meter_start(&meter, 0, quiet);
    int failed = exp_run_all(&e, (int)jobs, vals, meter.on ? cli_meter_runs : NULL, &meter);
    cli_meter_end(&meter);
    if (failed != 0) {
        fprintf(stderr, "qsim: compare failed\n");
        goto out;
    }
    if (robust && (rc = rb_run(&rb, argv[optind], x.data, s, &pp, &e, vals, (int)jobs, meter.on)) != 0)
        goto out;
    rc = 1;
    /* the whole set (CSV, JSON, summary, report, robust, manifest) is
     * switched in at once: a compare killed half-way leaves the previous
     * set whole */
    const char *written[] = { "compare.csv", "compare.json", "compare_summary.csv", "report.md", "robust.md" };
    if (write_outputs(set.stage, &e, vals, base, robust ? &rb : NULL) != 0 ||
        xd_write_manifest(&xp, set.stage, written, robust ? 5 : 4, NULL) != 0 || of_set_commit(&set) != 0) {
        fprintf(stderr, "qsim: compare failed%s%s\n", errno ? ": " : "", errno ? strerror(errno) : "");
        goto out;
    }
    xd_link_latest(&xp);
    if (!quiet) {
        printf("%s: %d replications per option (common random numbers), 95 %% CIs\n\n", s->name, reps);
        write_table(stdout, &e, vals, 0, ncols ? cols : table_metrics, ncols ? ncols : NTABLE_DEFAULT);
        write_risk(stdout, &e, vals, base, 0);
        if (robust) {
            putchar('\n');
            rb_write(stdout, &rb, 0);
        }
    }
    fflush(stdout); /* the table before the note, when both go to one file */
    fprintf(stderr, "qsim: compare: %d runs in %.2f s with %ld jobs; wrote %s/{compare.csv,compare_summary.csv,compare.json,report.md%s,manifest.json}\n",
            nopt * reps * (robust ? rb.npoints : 1), cli_wall() - t0, jobs, out, robust ? ",robust.md" : "");
    rc = 0;
out:
    of_set_abort(&set);
    rb_free(&rb);
    free(vals);
    sc_free(s);
    return rc;
}
