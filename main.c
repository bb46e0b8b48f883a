/* main.c - the qsim command line: the command table, and from it dispatch,
 * usage, per-command help, the man page and the bash completion. Each
 * command's body is cli/<command>.c; the sessions they run are app/. */
#include <stdio.h>
#include <string.h>

#include "app/session.h"
#include "cli/cli.h"
#include "reports/outfile.h"

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
    "  --data DIR         where data/ is;  -q, --quiet  no table on stdout\n"                             \
    "  --progress         progress on stderr even when it is not a terminal (docs/experiments.md)\n"

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
      "  -q, --quiet        no summary on stdout\n"
      "      --progress     progress on stderr even when it is not a terminal\n",
      "0 success; 1 the run failed, an expectation failed or a write failed; 2 bad usage, bad input,\n"
      "or over the work budget (--force to run anyway)" },
    { "compare", cmd_compare, "SCENARIO [options]", "every option on the same replication seeds, 95 % CIs",
      "  -o, --options LIST options to compare, comma-separated (also --option; default: the scenario's)\n"
      "  --baseline OPT     the option paired differences are taken against (default: 0)\n"
      "  --metric LIST      the columns of the table on stdout, names of docs/metrics.md (default: ten\n"
      "                     of them; the files hold every figure)\n"
      "  --robust           again at the ends and middle of every assumed value (robust.md)\n" EXP_OPTS,
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
      "                     max-kvr-per-poll:K, never-answered:N, or METRIC<=VALUE with a name of\n"
      "                     compare.csv (docs/metrics.md), e.g. stuck_final<=0, heal_p99_s<=60s\n"
      "  -o, --option O     the strategy searched (default: 1; also --options)\n"
      "  --baseline O       a violation counts only when the baseline does not break too\n"
      "  --budget N         trials (default: 200);  --time S  seconds at most\n"
      "  --seed N           search seed;  --trial-duration D  at most this long a trial\n"
      "  --out DIR          the experiment folder: report, manifest and the shrunk scenario\n"
      "                     (default: out/search/SCENARIO-ID); refused if it holds another experiment\n"
      "  --force            write into such a folder anyway\n"
      "  --data DIR         where data/ is;  -q, --quiet\n",
      "0 a violation was found, shrunk and written (it replays); 3 no violation within the budget;\n"
      "1 the found case could not be written or does not replay; 2 bad usage or bad input" },
    { "advise", cmd_advise, "SCENARIO --target METRIC<=VALUE [--target ...] [options]",
      "the cheapest option meeting a target at 95 % confidence",
      "  --target T         METRIC<=VALUE, METRIC a name of compare.csv (docs/metrics.md): heal_p99_s,\n"
      "                     reply_p99_s, ... (durations: 60s), stuck_final, usd_per_day, lost_by_overwrite,\n"
      "                     never_answered, ...; e.g. heal_p99_s<=60s\n"
      "  -o, --options LIST candidate options (also --option; default: 0,1,2,3,1+2,2+3,1fixed,1fixed+2,\n"
      "                     4,4:do_storage=scan);  --baseline OPT  the safety reference\n" EXP_OPTS,
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
      "  DIR                any experiment folder: run, compare, sweep, search or advise (default: out/latest)\n",
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
          "Experiments go to out/run/, out/compare/, out/sweep/, out/search/ and out/advise/, a folder\n"
          "each with a manifest.json; "
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
            "out/compare/SCENARIO-ID, out/sweep/SCENARIO-ID, out/search/SCENARIO-ID, out/advise/SCENARIO-ID; "
            "out/latest points to the newest.\n");
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
