/* cli.h - what the qsim subcommands share: locating data/, loading a
 * scenario with its pricing, usage errors, wall time (reports to stderr
 * only: it never reaches an output file). */
#ifndef QSIM_CLI_H
#define QSIM_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "model/pricing.h"
#include "model/scenario.h"
#include "app/session.h"

/* Prints "qsim: <fmt with arg>" and a hint to stderr; returns 2. */
int cli_usage_error(const char *fmt, const char *arg);
/* data/: given, else $QSIM_DATA, else beside the binary, else ./data. */
void cli_find_data(const char *given, char *out, size_t len);
/* Loads the scenario and the pricing (pricing_file, else the plan's file
 * in data/pricing), applies the plan's daily caps and an optional --days.
 * Prints the error and returns 2 on bad input, else 0. */
int cli_load(const char *path, const char *data_given, const char *plan, const char *pricing_file,
             const char *days, scenario **s, pr_plan *p);
/* cli_load that also says which data files were used (for the manifest). */
int cli_load_files(const char *path, const char *data_given, const char *plan, const char *pricing_file,
                   const char *days, scenario **s, pr_plan *p, ses_files *files);
double cli_wall(void);
/* The file name part of a path. */
const char *cli_basename(const char *path);

/* The options every experiment command (compare, sweep, advise) shares. */
enum { CLI_O_REPS = 300, CLI_O_JOBS, CLI_O_OUT, CLI_O_PLAN, CLI_O_PRICING, CLI_O_DATA, CLI_O_FORCE, CLI_O_PROGRESS };
#define CLI_EXP_LONGS                                                                                   \
    { "reps", required_argument, 0, CLI_O_REPS }, { "jobs", required_argument, 0, CLI_O_JOBS },         \
        { "seed", required_argument, 0, 's' }, { "days", required_argument, 0, 'd' },                  \
        { "out", required_argument, 0, CLI_O_OUT }, { "plan", required_argument, 0, CLI_O_PLAN },        \
        { "pricing", required_argument, 0, CLI_O_PRICING }, { "data", required_argument, 0, CLI_O_DATA }, \
        { "quiet", no_argument, 0, 'q' }, { "force", no_argument, 0, CLI_O_FORCE },                       \
        { "progress", no_argument, 0, CLI_O_PROGRESS }

typedef struct cli_exp {
    int reps;
    long jobs;          /* default: the number of cores */
    int have_seed;
    uint64_t seed;
    const char *days, *out, *plan, *pricing, *data; /* out NULL: the experiment's default folder */
    int quiet;
    int force;          /* --force: past the budget, or into another experiment's folder */
} cli_exp;

void cli_exp_defaults(cli_exp *x, int reps, const char *out);
/* Takes getopt's c and optarg: 1 when c is a shared option (stored), 0
 * when it is not, -1 when its value is bad (the message is printed). */
int cli_exp_option(cli_exp *x, int c, const char *arg);

/* Splits list (comma-separated, modified in place; empty: the scenario's
 * own options) into options[], checks each composes, and finds baseline
 * (NULL: option "0" if listed, else the first). Returns 0, or 2 after
 * printing why (prefixed with cmd). */
int cli_options(const char *cmd, char *list, const scenario *s, const char **options, int *nopt,
                const char *baseline, int *base);

/* The command line as typed, for manifests: getopt_long permutes argv,
 * so main keeps a copy (of the pointers) before dispatch. argv[0] is the
 * subcommand's name. */
void cli_keep_argv(int argc, char **argv);
char *const *cli_argv(int *argc);

struct xd_exp;
/* Starts the experiment record of kind: the scenario, pricing and limits
 * files as inputs (see app/expdir.h). */
void cli_xd_begin(struct xd_exp *xp, const char *kind, const scenario *s, const char *scenario_path,
                  const ses_files *files, int argc, char **argv);
/* The replication design into the manifest: base_seed, reps, duration_us. */
void cli_xd_design(struct xd_exp *xp, uint64_t base_seed, int reps, sim_us duration);
/* xd_resolve with the message printed (prefixed with the command). */
int cli_xd_resolve(struct xd_exp *xp, const char *out, int force);
/* The experiment figure (model/figures.h) called name[0..len): its index,
 * or -1 after printing "qsim: CMD: OPT: unknown metric 'x'; the metrics:
 * ..." to stderr (the caller exits 2). */
int cli_metric(const char *cmd, const char *opt, const char *name, size_t len);
/* "a,b,c" of n strings into buf. */
void cli_join(char *buf, size_t len, const char *const *items, int n);

/* The work budget (app/session.h): estimates runs x one run of s. Prints
 * the estimate on stderr when it exceeds a few seconds (unless quiet);
 * above the budget, refuses with the estimate and how to override (returns
 * 2) unless force. polls_csv: polls.csv is written. */
int cli_budget(const char *cmd, const scenario *s, double runs, int polls_csv, long jobs, int quiet, int force);
/* The same from an estimate of one run (w: an average run, e.g. over the
 * points of a sweep). */
int cli_budget_work(const char *cmd, const char *name, const ses_work *w, double runs, int polls_csv, long jobs,
                    int quiet, int force);
/* Progress on stderr, never in an output file: on when stderr is a
 * terminal (and not -q), or always with --progress. run draws
 * "  run 3/14, option 1: 42 % of 365 d, ETA 3m20s" (cli_meter_tick);
 * compare, advise and sweep "  12.4/30 runs, ETA 3m20s" (cli_meter_runs,
 * an exp_progress_fn), moving within each run. Lines start after 0.5 s
 * (short work draws none, unless --progress) and redraw at most every
 * 0.2 s. */
typedef struct cli_meter {
    int on, drawn;
    double t0, last;
    double done_runs, total_runs;
    const char *what;
} cli_meter;
void cli_meter_start(cli_meter *m, double total_runs, int quiet);
void cli_meter_tick(void *meter, sim_us now, sim_us end);
void cli_meter_runs(void *meter, double done, int total);
void cli_meter_end(cli_meter *m);
/* --progress: meters on even when stderr is not a terminal. */
void cli_force_progress(void);

/* One file per command (cli/<command>.c); main.c holds the table. */
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_strategies(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_script_from_trace(int argc, char **argv);
int cmd_import_kv(int argc, char **argv);
int cmd_fit(int argc, char **argv);

#endif
