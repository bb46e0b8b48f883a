/* session.h - one simulation session, as every command runs it: find
 * data/, load the scenario with its limits and pricing (and the free
 * plan's caps, watched on every plan), then per option: world, run,
 * pricing. The one place this sequence lives (run, check, compare, sweep,
 * advise and search all go through it), so no command forgets a step. */
#ifndef QSIM_SESSION_H
#define QSIM_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "model/pricing.h"
#include "model/scenario.h"
#include "model/world.h"

#define QSIM_VERSION "0.1.0"

/* Where a session's inputs came from: the manifest hashes these files. */
typedef struct ses_files {
    char data[1024];
    char limits[1100];
    char pricing[1100];
    char free_pricing[1100];
    int have_free;          /* free_pricing was found and loaded */
} ses_files;

/* data/: given, else $QSIM_DATA, else beside the binary, else
 * ../share/qsim/data from it (make install), else ./data. */
void ses_find_data(const char *given, char *out, size_t len);

/* Loads the scenario at path, the pricing (pricing_file, else the plan's
 * file in data/pricing), applies the plan's daily caps, the free plan's
 * watched caps and an optional days override ("365", "0.5"). files (may be
 * NULL) receives the paths used. Returns 0, or 2 (bad input) with err set
 * and *s NULL. A missing free-plan file is not an error: files->have_free
 * says so and the caller warns. */
int ses_load(const char *path, const char *data_given, const char *plan, const char *pricing_file,
             const char *days, scenario **s, pr_plan *p, ses_files *files, sim_err *err);

/* The data files a session reads, loaded once: the limits, the plan's
 * pricing and the free plan's (for the watched caps). For callers that
 * load many scenarios, or scenarios from memory (the fuzzer). */
typedef struct ses_data {
    ses_files files;
    sc_limits lim;
    pr_plan plan;
    pr_plan free_plan;      /* valid when files.have_free */
} ses_data;

/* Loads the data files as ses_load does (same paths, same errors). */
int ses_data_load(const char *data_given, const char *plan, const char *pricing_file, ses_data *d, sim_err *err);
/* The plan's daily caps and the free plan's watched caps into s, as
 * ses_load applies them. free_plan may be NULL (no watched caps). */
void ses_apply_plan(scenario *s, const pr_plan *plan, const pr_plan *free_plan);
/* Parses scenario text (text[len] must be a NUL) named name with d's
 * limits, then applies d's plan: ses_load for bytes in memory. 0, or 2 with
 * err set and *s NULL. */
int ses_parse(const ses_data *d, const char *name, const char *text, size_t len, scenario **s, sim_err *err);

/* The metric catalogue's experiment figures as reports/ take them
 * (model/figures.h through reports/report.h's rep_figures); ses_run sets
 * them for the outputs. */
struct rep_figures;
const struct rep_figures *ses_figures(void);

/* Runs option under seed: world_new, world_run, pr_apply. On success *out
 * is the finished world (the caller frees it); on failure -1, err set and
 * *out NULL. */
int ses_run(const scenario *s, const pr_plan *plan, const char *option, uint64_t seed, const world_opts *wo,
            world **out, sim_err *err);

/* The work one run of s asks for, estimated before starting from its
 * actors (bot polls, reader polls, human posts, script calls, cron runs):
 * simulation events (measured: 4 to 7 per call) and bytes of polls.csv
 * (45 per bot poll). Doubles: a duration of centuries overflows nothing. */
typedef struct ses_work {
    double calls, bot_polls, events, polls_csv_bytes;
} ses_work;

void ses_estimate(const scenario *s, ses_work *w);

/* The documented budget of one command (docs/experiments.md, "Work
 * budget"); above it the command refuses unless --force. */
#define SES_BUDGET_EVENTS 2e10     /* a command: about an hour at 5 M events/s; a year of
                                    * busy.json under its 7 options fits */
#define SES_BUDGET_RUN_EVENTS 3e9  /* one run: a year of busy.json (2.1e9) fits */
#define SES_BUDGET_POLLS_CSV_BYTES 4e9
/* Events per second one job simulates, for estimates (a loaded 2-core
 * machine does 4 to 13 M/s: docs/performance.md). */
#define SES_EVENTS_PER_S 5e6

/* "3m20s", "2h05m", "41s", "12d03h" into buf. */
void ses_fmt_duration(double seconds, char *buf, size_t len);

/* Progress: called between chunks of a run with the simulated time reached. */
typedef void (*ses_progress_fn)(void *ud, sim_us now, sim_us end);

/* ses_run that calls progress (when non-NULL) every 1/256 of the run. The
 * run is the same: world_advance stops between events, never inside one. */
int ses_run_progress(const scenario *s, const pr_plan *plan, const char *option, uint64_t seed,
                     const world_opts *wo, ses_progress_fn progress, void *ud, world **out, sim_err *err);

#endif
