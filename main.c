/* main.c - the qsim command line: wires scenario, model, pricing and
 * reports. The only file that knows every layer. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include "cli/cli.h"
#include "model/expect.h"
#include "model/pricing.h"
#include "model/scenario.h"
#include "model/strategy.h"
#include "model/world.h"
#include "reports/outfile.h"
#include "reports/report.h"


static void usage(FILE *f)
{
    fputs("usage: qsim <command> [options]\n"
          "\n"
          "commands:\n"
          "  run SCENARIO       run a scenario under one or more strategies, write out/\n"
          "  compare SCENARIO   every option on the same replication seeds, 95 % CIs\n"
          "  sweep SCENARIO     a grid over scenario parameters x options x replications\n"
          "  merge DIR...       combine sweep shards (exact)\n"
          "  search SCENARIO    find and shrink a fault schedule that breaks a property\n"
          "  advise SCENARIO    the cheapest option meeting a target at 95 % confidence\n"
          "  script-from-trace TRACE --scenario S   cut calls out of a trace as a scripted scenario\n"
          "  plot DIR           draw the charts and report.md/report.html of an output folder\n"
          "  check DIR|FILE...  run scenarios and check their \"expect\" lists; prints\n"
          "                     'N passed, N failed' and exits 1 on any failure\n"
          "  strategies         list the strategies (options) qsim knows\n"
          "\n"
          "run options:\n"
          "  -o, --option SPEC  strategy to run: 0, 1, 1+2, ... (repeatable, or comma-separated);\n"
          "                     default: the scenario's \"options\"\n"
          "  -s, --seed N       run seed (default: the scenario's)\n"
          "  -d, --days D       simulated days, e.g. 365 or 0.5 (default: the scenario's duration)\n"
          "      --out DIR      output directory (default: out)\n"
          "      --trace FILE   JSON Lines trace of every call and KV operation (docs/trace.md);\n"
          "                     with several options, FILE-<option>.jsonl per option\n"
          "      --log-polls    print the bot's log line per poll to stderr: [KVr:n KVw:n], or\n"
          "                     'poll failed: HTTP 500' when the poll failed\n"
          "      --no-polls-csv skip out/polls.csv (a year is 10 M rows per option); the poll\n"
          "                     profile in results.json and the summary are still computed\n"
          "      --plan P       paid (default) or free: picks data/pricing/cloudflare-P-2026.json\n"
          "      --pricing FILE a pricing file of your own (see data/pricing/)\n"
          "      --data DIR     where data/ is (default: next to the qsim binary, else ./data)\n"
          "      --check        verify runtime invariants; a violation stops the run (exit 1)\n"
          "      --worker FILE  serve the endpoints from this Worker module, run by Node.js under\n"
          "                     qsim's clock and KV model (docs/worker-host.md)\n"
          "  -q, --quiet        no summary on stdout\n"
          "\n"
          "  -h, --help         this help;  -V, --version  the version\n"
          "\n"
          "exit status: 0 success, 1 the run failed, 2 bad usage or bad input.\n"
          "docs: README.md; docs/scenarios.md, model.md, strategies.md, faults.md, metrics.md,\n"
          "      trace.md, experiments.md, search.md, testing.md, performance.md\n",
          f);
}

static int exists_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

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
    enum { O_OUT = 256, O_TRACE, O_LOG_POLLS, O_PLAN, O_PRICING, O_DATA, O_NO_POLLS, O_CHECK, O_WORKER };
    static const struct option longs[] = {
        { "option", required_argument, 0, 'o' }, { "seed", required_argument, 0, 's' },
        { "days", required_argument, 0, 'd' },   { "out", required_argument, 0, O_OUT },
        { "trace", required_argument, 0, O_TRACE }, { "log-polls", no_argument, 0, O_LOG_POLLS },
        { "no-polls-csv", no_argument, 0, O_NO_POLLS }, { "check", no_argument, 0, O_CHECK },
        { "worker", required_argument, 0, O_WORKER },
        { "plan", required_argument, 0, O_PLAN }, { "pricing", required_argument, 0, O_PRICING },
        { "data", required_argument, 0, O_DATA }, { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
    };
    size_t used = 0;
    int c;
    memset(a, 0, sizeof *a);
    a->out = "out";
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
        case O_PLAN:
            if (strcmp(optarg, "paid") != 0 && strcmp(optarg, "free") != 0)
                return cli_usage_error("--plan is paid or free, got '%s'", optarg);
            a->plan = optarg;
            break;
        case O_PRICING: a->pricing = optarg; break;
        case O_DATA: a->data = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: return cli_usage_error("%s", "bad option for 'run'");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("%s", optind >= argc ? "run needs one SCENARIO file" : "run takes one SCENARIO file");
    a->scenario_path = argv[optind];
    return 0;
}

static int cmd_strategies(void)
{
    for (const st_hooks *const *s = st_registry(); *s; s++)
        printf("%-10s %s\n", (*s)->name, (*s)->summary);
    puts("\ncombine with '+', e.g. 1+2; see docs/strategies.md");
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
                                           "heal_latency.csv", "caps.csv", "summary.txt", NULL };

/* Each option runs, writes its rows (polls, stuck, heal latencies, caps)
 * and is freed before the next starts: only its metrics, with the sample
 * sets reduced to their summaries, wait for results.json. So the peak is
 * one world, whatever the number of options. */
static int cmd_run(int argc, char **argv)
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
    int rc = 1, n = 0, expect_pass = 0, expect_fail = 0;

    if (parse_run_args(argc, argv, &a) != 0)
        return 2;
    if ((rc = cli_load(a.scenario_path, a.data, a.plan, a.pricing, a.days, &s, &plan)) != 0)
        goto out;
    if (a.worker && sc_set_worker(s, a.worker, &err) != 0) {
        fprintf(stderr, "qsim: %s\n", err.msg);
        rc = 2;
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
        }
        wo.poll_log = a.log_polls ? stderr : NULL;
        wo.check = a.check;
        wo.polls_sink = rep_polls_sink;
        wo.polls_ud = &polls[n];
        stuck_sinks[n].f = stuck_csv.f;
        stuck_sinks[n].option = a.options[n];
        wo.stuck_sink = rep_csv_sink;
        wo.stuck_ud = &stuck_sinks[n];
        w = world_new(s, a.options[n], seed, &wo, &err);
        if (!w || world_run(w, 0, &err) != 0) {
            fprintf(stderr, "qsim: %s: option %s: %s\n", s->path, a.options[n], err.msg);
            of_abort(&trace);
            goto out;
        }
        if (a.trace && of_commit(&trace) != 0) {
            fprintf(stderr, "qsim: cannot write %s: %s\n", trace.path, strerror(errno));
            goto out;
        }
        met_registry *m = sim_metrics(world_ctx(w));
        pr_apply(&plan, m, s->duration);
        ex_check(s, a.options[n], w, stderr, 0, &expect_pass, &expect_fail);
        events += sim_events(world_ctx(w));
        rep_heal_csv(heal_csv.f, a.options[n], m);
        rep_caps_csv(caps_csv.f, a.options[n], m);
        met_samples_summarize(m);
        mets[n] = sim_take_metrics(world_ctx(w));
        world_free(w);
        w = NULL;
        runs[n].option = a.options[n];
        runs[n].m = mets[n];
        runs[n].polls = &polls[n];
    }
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
    if (of_set_commit(&set) != 0) {
        fprintf(stderr, "qsim: cannot switch the new outputs into %s: %s (the previous ones are unchanged)\n",
                a.out, strerror(errno));
        goto out;
    }
    if (!a.quiet)
        rep_summary(stdout, &meta, runs, n);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "qsim: %d run%s, %" PRIu64 " events in %.3f s (%.2f M events/s), peak RSS %.1f MiB; "
                    "wrote %s/{results.json,summary.csv,summary.txt,polls.csv,stuck.csv,heal_latency.csv,caps.csv}\n",
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

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs one scenario file under each of its options and checks it. Costs
 * come from the paid price list, as qsim run's default. Returns -1 when
 * the file could not be loaded (bad input), else 0. */
static int check_file(const char *path, const char *data_dir, int verbose, int *passed, int *failed)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    pr_plan plan;
    if (cli_load(path, data_dir, "paid", NULL, NULL, &s, &plan) != 0) {
        fprintf(stdout, "FAIL  %s: cannot load (see above)\n", path);
        (*failed)++;
        return -1;
    }
    int p0 = *passed, f0 = *failed;
    for (int i = 0; i < s->noptions; i++) {
        world_opts wo = { 0 };
        wo.check = 1; /* scenario checks always verify the invariants */
        world *w = world_new(s, s->options[i], s->seed, &wo, &err);
        if (!w || world_run(w, 0, &err) != 0) {
            fprintf(stdout, "FAIL  %s [option %s]: %s\n", path, s->options[i], err.msg);
            (*failed)++;
        } else {
            pr_apply(&plan, sim_metrics(world_ctx(w)), s->duration);
            ex_check(s, s->options[i], w, stdout, verbose, passed, failed);
        }
        world_free(w);
    }
    fprintf(stdout, "%s  %s (%d expectations, %d options)\n", *failed > f0 ? "FAIL" : "ok  ", path,
            *passed - p0 + *failed - f0, s->noptions);
    sc_free(s);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    int passed = 0, failed = 0, verbose = 0, nfiles = 0, unloadable = 0;
    const char *data_dir = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data_dir = argv[++i];
        else if (strcmp(argv[i], "--data") == 0)
            return cli_usage_error("%s", "check: --data wants a folder (where data/ is)");
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else
            return cli_usage_error("check: unknown option '%s'", argv[i]);
    }
    if (i >= argc)
        return cli_usage_error("%s", "check needs a folder or scenario files");
    for (; i < argc; i++) {
        if (!exists_dir(argv[i])) {
            unloadable += check_file(argv[i], data_dir, verbose, &passed, &failed) != 0;
            nfiles++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        char *names[4096];
        int nn = 0;
        struct dirent *de;
        while (d && (de = readdir(d)) && nn < 4096) {
            size_t l = strlen(de->d_name);
            if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
                names[nn++] = strdup(de->d_name);
        }
        if (d)
            closedir(d);
        qsort(names, (size_t)nn, sizeof *names, cmp_str);
        for (int k = 0; k < nn; k++) {
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
            unloadable += check_file(path, data_dir, verbose, &passed, &failed) != 0;
            nfiles++;
            free(names[k]);
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "qsim: check: no scenario files found\n");
        return 2;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return unloadable ? 2 : failed ? 1 : 0;
}

/* qsim plot DIR: the charts and report are drawn by plot/plot.sh, found
 * beside data/ (the repository layout), with gnuplot. */
static int cmd_plot(int argc, char **argv)
{
    char data[1024], script[1100];
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error("%s", "plot wants one output folder, e.g. 'qsim plot out'");
    cli_find_data(NULL, data, sizeof data);
    snprintf(script, sizeof script, "%s/../plot/plot.sh", data);
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "qsim: plot: %s not found (run from the qsim folder, or set QSIM_DATA)\n", script);
        return 2;
    }
    fflush(NULL);
    execlp("sh", "sh", script, argv[1], (char *)NULL);
    fprintf(stderr, "qsim: plot: cannot run sh: %s\n", strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    of_install_signal_cleanup();
    if (argc < 2)
        return cli_usage_error("%s", "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("qsim %s\n", QSIM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "script-from-trace") == 0)
        return cmd_script_from_trace(argc - 1, argv + 1);
    if (strcmp(cmd, "advise") == 0)
        return cmd_advise(argc - 1, argv + 1);
    if (strcmp(cmd, "search") == 0)
        return cmd_search(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return cmd_plot(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "strategies") == 0)
        return cmd_strategies();
    return cli_usage_error("unknown command '%s'", cmd);
}
