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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include <cJSON.h>

#include "app/expdir.h"
#include "cli/cli.h"
#include "model/expect.h"
#include "model/jshost.h"
#include "model/pricing.h"
#include "model/scenario.h"
#include "model/strategy.h"
#include "model/world.h"
#include "reports/outfile.h"
#include "reports/report.h"


/* The command table: dispatch, `qsim --help`, `qsim help COMMAND`,
 * `COMMAND --help`, the man page (qsim help --man) and the bash completion
 * (qsim help --bash-completion) all come from it, so they cannot drift. */
typedef struct qsim_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args;    /* synopsis after the name */
    const char *summary; /* one line */
    const char *options; /* one "  --opt ARG   text" per line */
    const char *exits;   /* exit statuses */
} qsim_cmd;

static int cmd_run(int argc, char **argv);
static int cmd_check(int argc, char **argv);
static int cmd_plot(int argc, char **argv);
static int cmd_report(int argc, char **argv);
static int cmd_strategies(int argc, char **argv);
static int cmd_help(int argc, char **argv);

#define EXIT_USUAL "0 success; 1 a run or a write failed; 2 bad usage, bad input, or over the budget (--force)"
#define EXP_OPTS                                                                                               \
    "  --reps R           replications per option (seeds derived from --seed)\n"                               \
    "  --jobs N           forked worker processes (default: the number of cores); results do not depend on N\n" \
    "  -s, --seed N       base seed (default: the scenario's)\n"                                               \
    "  -d, --days D       simulated days, e.g. 365 or 0.5 (default: the scenario's duration)\n"                \
    "  --out DIR          output folder (default: out/KIND/SCENARIO-ID, a folder per experiment)\n"             \
    "  --force            write into a folder holding another experiment; run past the work budget\n"          \
    "  --plan P           paid (default) or free;  --pricing FILE  a pricing file of your own\n"              \
    "  --data DIR         where data/ is;  -q, --quiet  no table on stdout\n"

static const qsim_cmd commands[] = {
    { "run", cmd_run, "SCENARIO [options]", "run a scenario under one or more strategies",
      "  -o, --option SPEC  strategy to run: 0, 1, 1+2, ... (repeatable, or comma-separated; also --options);\n"
      "                     default: the scenario's \"options\"\n"
      "  -s, --seed N       run seed (default: the scenario's)\n"
      "  -d, --days D       simulated days, e.g. 365 or 0.5 (default: the scenario's duration)\n"
      "      --out DIR      output folder (default: out/run/SCENARIO-ID; out/latest points to it);\n"
      "                     refused if DIR holds another experiment's manifest.json, unless --force\n"
      "      --force        write into such a folder; run past the work budget (docs/experiments.md)\n"
      "      --trace FILE   JSON Lines trace of every call and KV operation (docs/trace.md), with a\n"
      "                     \"meta\" header line; with several options, FILE-<option>.jsonl per option\n"
      "      --log-polls    print the bot's log line per poll to stderr\n"
      "      --no-polls-csv skip polls.csv (a year is 10 M rows per option)\n"
      "      --plan P       paid (default) or free: picks data/pricing/cloudflare-P-2026.json\n"
      "      --pricing FILE a pricing file of your own (see data/pricing/)\n"
      "      --data DIR     where data/ is (default: next to the qsim binary, else ./data)\n"
      "      --check        verify runtime invariants; a violation stops the run (exit 1)\n"
      "      --worker FILE  serve the endpoints from this Worker module, run by Node.js under\n"
      "                     qsim's clock and KV model (docs/worker-host.md)\n"
      "  -q, --quiet        no summary on stdout\n",
      "0 success; 1 the run failed, an expectation failed or a write failed; 2 bad usage, bad input,\n"
      "or over the work budget (--force to run anyway)" },
    { "compare", cmd_compare, "SCENARIO [options]", "every option on the same replication seeds, 95 % CIs",
      "  -o, --options LIST options to compare, comma-separated (also --option; default: the scenario's)\n"
      "  --baseline OPT     the option paired differences are taken against (default: 0)\n" EXP_OPTS,
      EXIT_USUAL },
    { "sweep", cmd_sweep, "SCENARIO --param PATH=VALUES [--param ...] [options]",
      "a grid over scenario parameters x options x replications",
      "  --param PATH=FROM:TO:STEP | PATH=V1,V2,...   a JSON path into the scenario; values may be\n"
      "                     durations (1s,3s,10s or 1m:10m:1m), e.g. bots[0].poll_every, kv.cache_ttl\n"
      "  -o, --options LIST options, comma-separated (also --option)\n"
      "  --metric NAME      what the table on stdout and the chart show (default: reads_per_day)\n"
      "  --shard K/N        run the points with n % N == K - 1 (docs/distributed.md)\n" EXP_OPTS,
      EXIT_USUAL },
    { "merge", cmd_merge, "DIR... --out DIR", "combine sweep shards (exact)",
      "  --out DIR          where the merged sweep goes\n",
      "0 merged; 1 points missing or a write failed; 2 bad usage, or shards of different sweeps" },
    { "search", cmd_search, "SCENARIO --property P [options]", "find and shrink a fault schedule that breaks a property",
      "  --property P       healed-within:DURATION, no-lost-posts[:ENDPOINT], no-double-answer,\n"
      "                     max-kvr-per-poll:K, never-answered:N\n"
      "  -o, --option O     the strategy searched (default: 1; also --options)\n"
      "  --baseline O       a violation counts only when the baseline does not break too\n"
      "  --budget N         trials (default: 200);  --time S  seconds at most\n"
      "  --seed N           search seed;  --trial-duration D  at most this long a trial\n"
      "  --out DIR          where the shrunk scenario is written (default: scenarios/found)\n"
      "  --data DIR         where data/ is;  -q, --quiet\n",
      "0 a violation was found, shrunk and written (it replays); 3 no violation within the budget;\n"
      "1 the found case could not be written or does not replay; 2 bad usage or bad input" },
    { "advise", cmd_advise, "SCENARIO --target METRIC<=VALUE [--target ...] [options]",
      "the cheapest option meeting a target at 95 % confidence",
      "  --target T         heal-p50, heal-p95, heal-p99, reply-p99 (durations), stuck, reads-per-day,\n"
      "                     usd-per-day, kvr-per-poll, never-answered, lost-posts; e.g. heal-p99<=60s\n"
      "  -o, --options LIST candidate options (also --option);  --baseline OPT  the safety reference\n" EXP_OPTS,
      "0 an option meets every target; 3 no option does; 1 a run failed; 2 bad usage or bad input" },
    { "script-from-trace", cmd_script_from_trace, "TRACE [--scenario S] [--option O] [--calls A-B] [--out FILE]",
      "cut calls out of a trace as a scripted scenario",
      "  --scenario S       the scenario the trace was made from (checked against the trace's meta header)\n"
      "  -o, --option O     the option it ran (default: the header's; a different one is refused)\n"
      "  --calls A-B        the calls to keep (default: all)\n"
      "  --out FILE         where the scenario goes (default: stdout);  --data DIR  where data/ is\n",
      "0 written; 1 a write failed; 2 bad usage, bad input, or a trace that does not match --scenario/--option" },
    { "import-kv", cmd_import_kv, "DUMP [--out FILE]", "a dump of a real KV namespace as a scenario's \"initial\" state",
      "  DUMP               [{\"name\": KEY, \"value\": VALUE}, ...] (wrangler kv key list + get) or {KEY: VALUE}\n"
      "  --out FILE         where the fragment goes (default: stdout)\n",
      "0 every key imported; 3 some keys or cache entries could not be read (each reported on stderr);\n"
      "1 a write failed; 2 bad usage or a DUMP that is not JSON" },
    { "fit", cmd_fit, "LOG", "workload parameters from a Worker log (wrangler tail --format json), as a scenario fragment",
      "  LOG                JSON Lines of wrangler tail --format json; the fields read: docs/scenarios.md\n",
      "0 fitted (unreadable lines reported on stderr); 2 bad usage, or no invocation in LOG" },
    { "plot", cmd_plot, "[DIR]", "draw the charts and report.md/report.html of an experiment folder",
      "  DIR                any experiment folder: run, compare or sweep (default: out/latest)\n",
      "0 drawn; 1 gnuplot failed; 2 no such folder, or nothing to plot in it" },
    { "report", cmd_report, "DIR...", "plot each experiment folder given (charts and report)",
      "  DIR...             experiment folders\n", "0 every folder drawn; otherwise the first failure's status" },
    { "check", cmd_check, "DIR|FILE... [-v] [--data DIR]", "run scenarios and check their \"expect\" lists",
      "  -v, --verbose      print every expectation\n  --data DIR         where data/ is\n",
      "0 every expectation passed; 1 one failed; 2 a file could not be loaded" },
    { "strategies", cmd_strategies, "", "list the strategies (options) qsim knows", "", "0" },
    { "help", cmd_help, "[COMMAND | --man | --bash-completion]", "this help, a command's, the man page or the completion",
      "  COMMAND            that command's usage\n  --man              the qsim(1) man page (roff)\n"
      "  --bash-completion  a bash completion script\n",
      "0; 2 an unknown command" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const qsim_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fputs("usage: qsim <command> [options]     (qsim help COMMAND, or qsim COMMAND --help)\n\ncommands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].summary);
    fputs("\n  -h, --help         this help;  -V, --version  the version\n\n"
          "Experiments go to out/run/, out/compare/ and out/sweep/, a folder each with a manifest.json;\n"
          "out/latest points to the newest. Exit statuses: see qsim help COMMAND.\n"
          "docs: README.md; docs/scenarios.md, model.md, strategies.md, faults.md, metrics.md,\n"
          "      trace.md, experiments.md, search.md, testing.md, performance.md\n",
          f);
}

static void cmd_usage(const qsim_cmd *c, FILE *f)
{
    fprintf(f, "usage: qsim %s %s\n%s.\n", c->name, c->args, c->summary);
    if (*c->options)
        fprintf(f, "\noptions:\n%s", c->options);
    fprintf(f, "  -h, --help         this help\n\nexit status: %s\n", c->exits);
}

/* roff: a backslash is \e, a leading dot or quote is escaped with \& */
static void roff(FILE *f, const char *text)
{
    int bol = 1;
    for (const char *p = text; *p; p++) {
        if (bol && (*p == '.' || *p == '\''))
            fputs("\\&", f);
        if (*p == '\\')
            fputs("\\e", f);
        else if (*p == '-')
            fputs("\\-", f);
        else
            fputc(*p, f);
        bol = *p == '\n';
    }
}

static void man_page(FILE *f)
{
    fprintf(f, ".TH QSIM 1 \"\" \"qsim %s\" \"User Commands\"\n.SH NAME\nqsim \\- deterministic simulator of a "
               "Workers KV chat queue incident\n.SH SYNOPSIS\n.B qsim\n\\fICOMMAND\\fR [\\fIoptions\\fR]\n"
               ".SH DESCRIPTION\n", QSIM_VERSION);
    roff(f, "Every experiment writes one folder with a manifest.json (command line, qsim version, input file "
            "hashes, seeds, options, start and end time, files written): out/run/SCENARIO-ID, "
            "out/compare/SCENARIO-ID, out/sweep/SCENARIO-ID; out/latest points to the newest.\n");
    fputs(".SH COMMANDS\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const qsim_cmd *c = &commands[i];
        fputs(".SS \"", f);
        roff(f, c->name);
        fputs(" ", f);
        roff(f, c->args);
        fputs("\"\n", f);
        roff(f, c->summary);
        fputs(".\n", f);
        if (*c->options) {
            fputs(".PP\n.nf\n", f);
            roff(f, c->options);
            fputs(".fi\n", f);
        }
        fputs(".PP\nExit status: ", f);
        roff(f, c->exits);
        fputs("\n", f);
    }
    fputs(".SH FILES\ndata/pricing/*.json, data/limits/*.json; see README.md and docs/.\n", f);
}

/* The long options of a command: every "--name" in its options text. */
static void long_options(const qsim_cmd *c, FILE *f)
{
    const char *p = c->options;
    while ((p = strstr(p, "--")) != NULL) {
        const char *q = p + 2;
        while ((*q >= 'a' && *q <= 'z') || *q == '-')
            q++;
        int seen = 0; /* once each, though the text may name it twice */
        for (const char *r = strstr(c->options, "--"); r && r < p && !seen; r = strstr(r + 2, "--"))
            seen = strncmp(r, p, (size_t)(q - p)) == 0 && !((r[q - p] >= 'a' && r[q - p] <= 'z') || r[q - p] == '-');
        if (q > p + 2 && !seen)
            fprintf(f, " %.*s", (int)(q - p), p);
        p = q;
    }
    fputs(" --help", f);
}

static void bash_completion(FILE *f)
{
    fputs("# bash completion for qsim, generated by 'qsim help --bash-completion'\n"
          "_qsim() {\n    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n        COMPREPLY=($(compgen -W \"", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "%s%s", i ? " " : "", commands[i].name);
    fputs(" --help --version\" -- \"$cur\"))\n        return\n    fi\n    case $cmd in\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fprintf(f, "    %s) opts=\"", commands[i].name);
        long_options(&commands[i], f);
        fputs("\" ;;\n", f);
    }
    fputs("    *) opts=\"\" ;;\n    esac\n    case $cur in\n"
          "    -*) COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")) ;;\n"
          "    *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n    esac\n}\ncomplete -F _qsim qsim\n",
          f);
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cmd_usage(find_cmd("help"), stdout);
        return 0;
    }
    if (strcmp(argv[1], "--man") == 0) {
        man_page(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--bash-completion") == 0) {
        bash_completion(stdout);
        return 0;
    }
    const qsim_cmd *c = find_cmd(argv[1]);
    if (!c)
        return cli_usage_error("help: unknown command '%s'", argv[1]);
    cmd_usage(c, stdout);
    return 0;
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
    enum { O_OUT = 256, O_TRACE, O_LOG_POLLS, O_PLAN, O_PRICING, O_DATA, O_NO_POLLS, O_CHECK, O_WORKER, O_FORCE };
    static const struct option longs[] = {
        { "option", required_argument, 0, 'o' }, { "options", required_argument, 0, 'o' },
        { "seed", required_argument, 0, 's' },
        { "days", required_argument, 0, 'd' },   { "out", required_argument, 0, O_OUT },
        { "trace", required_argument, 0, O_TRACE }, { "log-polls", no_argument, 0, O_LOG_POLLS },
        { "no-polls-csv", no_argument, 0, O_NO_POLLS }, { "check", no_argument, 0, O_CHECK },
        { "worker", required_argument, 0, O_WORKER },
        { "force", no_argument, 0, O_FORCE },
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

static int cmd_strategies(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error("%s", "strategies takes no arguments");
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
                                           "heal_latency.csv", "caps.csv", "summary.txt", "manifest.json", NULL };

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
                                  "heal_latency.csv", "caps.csv", "summary.txt" };
        if (xd_write_manifest(&xp, set.stage, written, 7, NULL) != 0) {
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
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "qsim: %d run%s, %" PRIu64 " events in %.3f s (%.2f M events/s), peak RSS %.1f MiB; "
                    "wrote %s/{results.json,summary.csv,summary.txt,polls.csv,stuck.csv,heal_latency.csv,caps.csv,manifest.json}\n",
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
        world *w = NULL;
        if (ses_run(s, &plan, s->options[i], s->seed, &wo, &w, &err) != 0) {
            fprintf(stdout, "FAIL  %s [option %s]: %s\n", path, s->options[i], err.msg);
            (*failed)++;
        } else {
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
        else
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
 * beside data/ (the repository layout, or share/qsim after make install),
 * with gnuplot. The folder reaches the script as an argument, never
 * through a shell. */
static int plot_dir(const char *dir)
{
    char data[1024], script[1100];
    cli_find_data(NULL, data, sizeof data);
    snprintf(script, sizeof script, "%s/../plot/plot.sh", data);
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "qsim: plot: %s not found (run from the qsim folder, or set QSIM_DATA)\n", script);
        return 2;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sh", "sh", script, dir, (char *)NULL);
        fprintf(stderr, "qsim: plot: cannot run sh: %s\n", strerror(errno));
        _exit(1);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int cmd_plot(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        return cli_usage_error("%s", "plot wants one experiment folder, e.g. 'qsim plot out/latest'");
    return plot_dir(argc == 2 ? argv[1] : "out/latest");
}

static int cmd_report(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2)
        return cli_usage_error("%s", "report wants experiment folders, e.g. 'qsim report out/run/*'");
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            return cli_usage_error("report: unknown option '%s'", argv[i]);
    }
    for (int i = 1; i < argc; i++) {
        int r = plot_dir(argv[i]);
        if (r && !rc)
            rc = r;
    }
    return rc;
}

/* -h/--help anywhere among a command's arguments (before "--") */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    of_install_signal_cleanup();
    if (argc < 2)
        return cli_usage_error("%s", "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("qsim %s\n", QSIM_VERSION);
        return 0;
    }
    const qsim_cmd *c = find_cmd(cmd);
    if (c && c->run != cmd_help && wants_help(argc - 1, argv + 1)) {
        cmd_usage(c, stdout);
        return 0;
    }
    if (c) {
        cli_keep_argv(argc - 1, argv + 1);
        return c->run(argc - 1, argv + 1);
    }
    return cli_usage_error("unknown command '%s'", cmd);
}
