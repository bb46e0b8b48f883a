/* run.c - `qsim run`: a scenario under one or more strategies, its
 * results set (results.json, summary.csv/txt, polls, stuck, healing,
 * caps) and manifest in an experiment folder; an optional trace. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "app/expdir.h"
#include "app/session.h"
#include "cli/cli.h"
#include "model/expect.h"
#include "model/jshost.h"
#include "model/pricing.h"
#include "model/scenario.h"
#include "model/world.h"
#include "reports/outfile.h"
#include "reports/report.h"


typedef struct {
    const char *scenario_path;
    const char *options[SC_MAX_OPTIONS];
    int noptions;
    int have_seed;
    uint64_t seed;
    const char *days;
    const char *out;
    const char *trace;
    int log_polls;
    int no_polls_csv;
    int check;
    const char *worker;   /* --worker FILE, or NULL */
    int force;
    const char *plan;
    const char *pricing;
    const char *data;
    int quiet;
} run_args;

static char option_buf[4096];

static int add_options(run_args *a, char *list)
{
    if (strspn(list, ",") == strlen(list)) /* "" or ",,,": not a silent "the scenario's options" */
        return cli_usage_error("--option wants a strategy such as 0, 1 or 1+2, got '%s'", list);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (a->noptions == SC_MAX_OPTIONS)
            return cli_usage_error("at most %s options", "16");
        a->options[a->noptions++] = tok;
    }
    return 0;
}

static int parse_run_args(int argc, char **argv, run_args *a)
{
    enum { O_OUT = 256, O_TRACE, O_LOG_POLLS, O_PLAN, O_PRICING, O_DATA, O_NO_POLLS, O_CHECK, O_WORKER, O_FORCE, O_PROGRESS };
    static const struct option longs[] = {
        { "option", required_argument, 0, 'o' }, { "options", required_argument, 0, 'o' },
        { "seed", required_argument, 0, 's' },
        { "days", required_argument, 0, 'd' },   { "out", required_argument, 0, O_OUT },
        { "trace", required_argument, 0, O_TRACE }, { "log-polls", no_argument, 0, O_LOG_POLLS },
        { "no-polls-csv", no_argument, 0, O_NO_POLLS }, { "check", no_argument, 0, O_CHECK },
        { "worker", required_argument, 0, O_WORKER },
        { "force", no_argument, 0, O_FORCE }, { "progress", no_argument, 0, O_PROGRESS },
        { "plan", required_argument, 0, O_PLAN }, { "pricing", required_argument, 0, O_PRICING },
        { "data", required_argument, 0, O_DATA }, { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
    };
    size_t used = 0;
    int c;
    memset(a, 0, sizeof *a);
    a->plan = "paid";
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:d:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'o': {
            size_t n = strlen(optarg) + 1;
            if (used + n > sizeof option_buf)
                return cli_usage_error("option list too long: %s", optarg);
            memcpy(option_buf + used, optarg, n);
            if (add_options(a, option_buf + used) != 0)
                return 2;
            used += n;
            break;
        }
        case 's': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || !*optarg || optarg[0] == '-')
                return cli_usage_error("--seed wants a non-negative integer, got '%s'", optarg);
            a->seed = v;
            a->have_seed = 1;
            break;
        }
        case 'd': a->days = optarg; break;
        case 'q': a->quiet = 1; break;
        case O_OUT:
            if (!*optarg)
                return cli_usage_error("%s", "--out wants a folder");
            a->out = optarg;
            break;
        case O_TRACE:
            if (!*optarg)
                return cli_usage_error("%s", "--trace wants a file name");
            a->trace = optarg;
            break;
        case O_LOG_POLLS: a->log_polls = 1; break;
        case O_NO_POLLS: a->no_polls_csv = 1; break;
        case O_CHECK: a->check = 1; break;
        case O_WORKER:
            if (!*optarg)
                return cli_usage_error("%s", "--worker wants a module file");
            a->worker = optarg;
            break;
        case O_FORCE: a->force = 1; break;
        case O_PROGRESS: cli_force_progress(); break;
        case O_PLAN:
            if (strcmp(optarg, "paid") != 0 && strcmp(optarg, "free") != 0)
                return cli_usage_error("--plan is paid or free, got '%s'", optarg);
            a->plan = optarg;
            break;
        case O_PRICING: a->pricing = optarg; break;
        case O_DATA: a->data = optarg; break;
        default: return cli_usage_error("%s", "bad option for 'run'");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("%s", optind >= argc ? "run needs one SCENARIO file" : "run takes one SCENARIO file");
    a->scenario_path = argv[optind];
    return 0;
}


static void trace_path(char *buf, size_t len, const char *base, const char *option, int several)
{
    if (!several) {
        snprintf(buf, len, "%s", base);
        return;
    }
    const char *dot = strrchr(base, '.');
    const char *slash = strrchr(base, '/');
    if (dot && (!slash || dot > slash))
        snprintf(buf, len, "%.*s-%s%s", (int)(dot - base), base, option, dot);
    else
        snprintf(buf, len, "%s-%s", base, option);
}

/* The trace's first line: what made it (docs/trace.md, "meta"), so that
 * script-from-trace needs neither --seed nor a guess of the option. The
 * seed is a string: JSON numbers are doubles, and a seed is 64 bits. */
static void trace_meta(FILE *f, const scenario *s, const char *hash, const char *option, uint64_t seed)
{
    char buf[32];
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "meta");
    cJSON_AddStringToObject(m, "qsim", QSIM_VERSION);
    cJSON_AddStringToObject(m, "scenario", s->name);
    cJSON_AddStringToObject(m, "file", s->path);
    cJSON_AddStringToObject(m, "scenario_fnv1a64", hash);
    cJSON_AddStringToObject(m, "option", option);
    snprintf(buf, sizeof buf, "%" PRIu64, seed);
    cJSON_AddStringToObject(m, "seed", buf);
    snprintf(buf, sizeof buf, "%" PRId64, (int64_t)s->duration);
    cJSON_AddRawToObject(m, "duration_us", buf);
    char *text = cJSON_PrintUnformatted(m);
    if (text)
        fprintf(f, "%s\n", text);
    free(text);
    cJSON_Delete(m);
}

/* Opens out/name as an atomic output; prints why not. */
static int open_out(of_file *o, const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (of_open(o, path) == 0)
        return 0;
    fprintf(stderr, "qsim: cannot write %s: %s\n", path, strerror(errno));
    return -1;
}

static int commit_out(of_file *o)
{
    if (of_commit(o) == 0)
        return 0;
    fprintf(stderr, "qsim: cannot write %s: %s\n", o->path, strerror(errno));
    return -1;
}

static const char *const run_outputs[] = { "results.json", "summary.csv", "polls.csv", "stuck.csv",
                                           "heal_latency.csv", "heal_km.csv", "caps.csv", "summary.txt", "manifest.json", NULL };

/* Each option runs, writes its rows (polls, stuck, heal latencies, caps)
 * and is freed before the next starts: only its metrics, with the sample
 * sets reduced to their summaries, wait for results.json. So the peak is
 * one world, whatever the number of options. */
int cmd_run(int argc, char **argv)
{
    run_args a;
    sim_err err = { 0, "" };
    char path[1200];
    scenario *s = NULL;
    pr_plan plan;
    world *w = NULL;
    met_registry *mets[SC_MAX_OPTIONS] = { 0 };
    rep_polls polls[SC_MAX_OPTIONS];
    rep_run runs[SC_MAX_OPTIONS];
    of_file polls_csv = { 0 }, results = { 0 }, stuck_csv = { 0 }, heal_csv = { 0 }, caps_csv = { 0 };
    rep_csv stuck_sinks[SC_MAX_OPTIONS];
    of_set set = { 0 };
    ses_files files;
    static xd_exp xp; /* large; cmd_run runs once per process */
    int rc = 1, n = 0, expect_pass = 0, expect_fail = 0;

    if (parse_run_args(argc, argv, &a) != 0)
        return 2;
    if ((rc = cli_load_files(a.scenario_path, a.data, a.plan, a.pricing, a.days, &s, &plan, &files)) != 0)
        goto out;
    if (a.worker && sc_set_worker(s, a.worker, &err) != 0) {
        fprintf(stderr, "qsim: %s\n", err.msg);
        rc = 2;
        goto out;
    }
    /* JS mode: node runs this same command with the addon, if it can */
    if (s->worker.module[0] && jsh_exec_inproc(files.data) != 0) {
        rc = 1;
        goto out;
    }
    rc = 1;
    if (a.noptions == 0)
        for (int i = 0; i < s->noptions; i++)
            a.options[a.noptions++] = s->options[i];
    for (int i = 0; i < a.noptions; i++) {
        st_set probe;
        if (st_compose(a.options[i], &s->strategy, &probe, &err) != 0) {
            fprintf(stderr, "qsim: --option: %s\n", err.msg);
            rc = 2;
            goto out;
        }
    }
    uint64_t seed = a.have_seed ? a.seed : s->seed;
    if ((rc = cli_budget("run", s, a.noptions, !a.no_polls_csv, 1, a.quiet, a.force)) != 0)
        goto out;
    rc = 1;
    {
        char buf[512];
        size_t k = 0;
        int kargc;
        char *const *kargv = cli_argv(&kargc);
        xd_init(&xp, "run", s->name, kargc, kargv);
        xd_file(&xp, "scenario", a.scenario_path);
        xd_file(&xp, "pricing", files.pricing);
        xd_file(&xp, "limits", files.limits);
        xd_file(&xp, "free_pricing", files.free_pricing);
        buf[0] = 0;
        for (int i = 0; i < a.noptions && k < sizeof buf; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? "," : "", a.options[i]);
        xd_set(&xp, "options", buf);
        snprintf(buf, sizeof buf, "%" PRIu64, seed);
        xd_set(&xp, "seed", buf);
        snprintf(buf, sizeof buf, "%" PRId64, (int64_t)s->duration);
        xd_set(&xp, "duration_us", buf);
        xd_set(&xp, "polls_csv", a.no_polls_csv ? "no" : "yes");
        xd_set(&xp, "check", a.check ? "yes" : "no");
        if (xd_resolve(&xp, a.out, a.force, &err) != 0) {
            fprintf(stderr, "qsim: run: %s\n", err.msg);
            rc = 2;
            goto out;
        }
        a.out = xp.dir;
    }
    struct stat ost;
    if (stat(a.out, &ost) == 0 && !S_ISDIR(ost.st_mode)) {
        rc = cli_usage_error("--out %s: not a folder", a.out);
        goto out;
    }
    /* the whole set is switched in at the end; without --no-polls-csv's
     * file, the old polls.csv goes with the old set */
    if (of_mkdirs(a.out) != 0) { /* a --trace may go into it */
        fprintf(stderr, "qsim: cannot create %s: %s\n", a.out, strerror(errno));
        goto out;
    }
    /* an output's name taken by something that is not a file (a folder):
     * the new set could not replace it, and it is not qsim's to delete */
    for (const char *const *o = run_outputs; *o; o++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", a.out, *o);
        if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            fprintf(stderr, "qsim: cannot write %s: %s\n", path, strerror(S_ISDIR(st.st_mode) ? EISDIR : EEXIST));
            goto out;
        }
    }
    if (of_set_begin(&set, a.out, run_outputs) != 0) {
        fprintf(stderr, "qsim: cannot create a staging folder beside %s: %s\n", a.out, strerror(errno));
        goto out;
    }
    if (!a.no_polls_csv && open_out(&polls_csv, set.stage, "polls.csv") != 0)
        goto out;
    if (polls_csv.f)
        rep_polls_header(polls_csv.f);
    if (open_out(&stuck_csv, set.stage, "stuck.csv") != 0 ||
        open_out(&heal_csv, set.stage, "heal_latency.csv") != 0 || open_out(&caps_csv, set.stage, "caps.csv") != 0)
        goto out;
    fputs("option,t_us,stuck\n", stuck_csv.f);
    rep_heal_csv_header(heal_csv.f);
    rep_caps_csv_header(caps_csv.f);
    double t0 = cli_wall();
    uint64_t events = 0;
    cli_meter meter;
    cli_meter_start(&meter, a.noptions, a.quiet);
    /* QSIM_PROGRESS=1: the chunked path without a terminal (the tests check
     * it writes the same files) */
    int progress = meter.on || (getenv("QSIM_PROGRESS") && strcmp(getenv("QSIM_PROGRESS"), "1") == 0);
    for (n = 0; n < a.noptions; n++) {
        of_file trace = { 0 };
        world_opts wo = { 0 };
        rep_polls_init(&polls[n], a.no_polls_csv ? NULL : polls_csv.f, a.options[n]);
        if (a.trace) {
            trace_path(path, sizeof path, a.trace, a.options[n], a.noptions > 1);
            if (of_open(&trace, path) != 0) {
                fprintf(stderr, "qsim: cannot write %s: %s\n", path, strerror(errno));
                goto out;
            }
            wo.trace = trace.f;
            trace_meta(trace.f, s, xp.hashes[0], a.options[n], seed);
        }
        wo.poll_log = a.log_polls ? stderr : NULL;
        wo.check = a.check;
        wo.polls_sink = rep_polls_sink;
        wo.polls_ud = &polls[n];
        stuck_sinks[n].f = stuck_csv.f;
        stuck_sinks[n].option = a.options[n];
        wo.stuck_sink = rep_csv_sink;
        wo.stuck_ud = &stuck_sinks[n];
        meter.what = a.options[n];
        if (ses_run_progress(s, &plan, a.options[n], seed, &wo, progress ? cli_meter_tick : NULL, &meter, &w,
                             &err) != 0) {
            cli_meter_end(&meter);
            fprintf(stderr, "qsim: %s: option %s: %s\n", s->path, a.options[n], err.msg);
            of_abort(&trace);
            goto out;
        }
        if (a.trace && of_commit(&trace) != 0) {
            fprintf(stderr, "qsim: cannot write %s: %s\n", trace.path, strerror(errno));
            goto out;
        }
        met_registry *m = sim_metrics(world_ctx(w));
        ex_check(s, a.options[n], w, stderr, 0, &expect_pass, &expect_fail);
        events += sim_events(world_ctx(w));
        rep_heal_csv(heal_csv.f, a.options[n], m);
        if (rep_heal_km_append(set.stage, a.options[n], m, n == 0) != 0 && (perror("qsim: heal_km.csv"), 1))
            goto out;
        rep_caps_csv(caps_csv.f, a.options[n], m);
        met_samples_summarize(m);
        mets[n] = sim_take_metrics(world_ctx(w));
        world_free(w);
        w = NULL;
        runs[n].option = a.options[n];
        runs[n].m = mets[n];
        runs[n].polls = &polls[n];
    }
    cli_meter_end(&meter);
    double wall = cli_wall() - t0;
    if (commit_out(&stuck_csv) != 0 || commit_out(&heal_csv) != 0 || commit_out(&caps_csv) != 0 ||
        (polls_csv.f && commit_out(&polls_csv) != 0))
        goto out;
    /* the file name only: outputs must not depend on where qsim is installed */
    const char *pricing_name = cli_basename(plan.path);
    rep_meta meta = { QSIM_VERSION, s->name, s->path, pricing_name, plan.plan, seed, s->duration,
                      plan.base_month_pusd, plan.incl_reads_month, plan.incl_writes_month,
                      plan.incl_requests_month, plan.incl_storage_bytes };
    if (open_out(&results, set.stage, "results.json") != 0)
        goto out;
    if (rep_results_json(results.f, &meta, runs, n) != 0) {
        fprintf(stderr, "qsim: cannot write %s: %s\n", results.path, strerror(errno));
        goto out;
    }
    if (commit_out(&results) != 0 || open_out(&results, set.stage, "summary.csv") != 0)
        goto out;
    rep_summary_csv(results.f, &meta, runs, n);
    /* the table as printed, for the report's first screen (plot/plot.sh) */
    if (commit_out(&results) != 0 || open_out(&results, set.stage, "summary.txt") != 0)
        goto out;
    rep_summary(results.f, &meta, runs, n);
    if (commit_out(&results) != 0)
        goto out;
    {
        const char *written[] = { "results.json", "summary.csv", a.no_polls_csv ? NULL : "polls.csv", "stuck.csv",
                                  "heal_latency.csv", "caps.csv", "summary.txt", "heal_km.csv" };
        if (xd_write_manifest(&xp, set.stage, written, 8, NULL) != 0) {
            fprintf(stderr, "qsim: cannot write %s/manifest.json: %s\n", a.out, strerror(errno));
            goto out;
        }
    }
    if (of_set_commit(&set) != 0) {
        fprintf(stderr, "qsim: cannot switch the new outputs into %s: %s (the previous ones are unchanged)\n",
                a.out, strerror(errno));
        goto out;
    }
    xd_link_latest(&xp);
    if (!a.quiet)
        rep_summary(stdout, &meta, runs, n);
    fflush(stdout); /* the table before the note, when both go to one file */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "qsim: %d run%s, %" PRIu64 " events in %.3f s (%.2f M events/s), peak RSS %.1f MiB; "
                    "wrote %s/{results.json,summary.csv,summary.txt,polls.csv,stuck.csv,heal_latency.csv,heal_km.csv,caps.csv,manifest.json}\n",
            n, n == 1 ? "" : "s", events, wall, wall > 0 ? (double)events / wall / 1e6 : 0.0,
            (double)ru.ru_maxrss / 1024.0, a.out);
    rc = 0;
    if (s->nexpect > 0) {
        fprintf(stderr, "expectations: %d passed, %d failed\n", expect_pass, expect_fail);
        if (expect_fail)
            rc = 1;
    }
out:
    of_abort(&polls_csv);
    of_abort(&stuck_csv);
    of_abort(&heal_csv);
    of_abort(&caps_csv);
    of_abort(&results);
    of_set_abort(&set);
    world_free(w);
    for (int i = 0; i < SC_MAX_OPTIONS; i++)
        met_free(mets[i]);
    sc_free(s);
    return rc;
}
