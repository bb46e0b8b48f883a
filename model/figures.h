/* figures.h - the catalogue of every published metric: one table with
 * name (a pattern: <x> stands for one dot-free part such as an endpoint,
 * a plan, a location or a number), kind, unit and a doc line. Loading a
 * scenario checks its metric expectations against it (an unknown name is
 * a located error, exit 2, never a silent 0); tests check that every
 * counter a run registers, and every name docs/metrics.md lists, is here. */
#ifndef QSIM_FIGURES_H
#define QSIM_FIGURES_H

#include <stddef.h>

#include "sim/metrics.h"
#include "sim/sim.h"

typedef enum { FIG_COUNTER = 0, FIG_DAILY, FIG_GAUGE, FIG_MAX, FIG_SAMPLES } fig_kind;

typedef struct fig {
    const char *name;   /* pattern */
    int kind;           /* fig_kind */
    const char *unit;   /* "count", "us", "pusd", "byte_s", ... */
    const char *doc;
} fig;

/* The table, in docs/metrics.md's order; *n entries. */
const fig *fig_catalogue(size_t *n);
/* The entry whose pattern matches name, or NULL. */
const fig *fig_find(const char *name);
/* Does name match pattern (<x> = one or more chars other than '.')? */
int fig_match(const char *pattern, const char *name);

/* The experiment figures: what compare, advise --target, search's
 * METRIC<=VALUE properties, sweep --metric and compare.csv call a
 * metric, one number per run derived from the counters above (rates per
 * simulated day, dollars, seconds; NaN where undefined; +inf for a
 * healing quantile the run's Kaplan-Meier curve never reaches). The one
 * vocabulary of the command line; docs/metrics.md "Experiment figures"
 * lists them in this order (tests/test_figures.c). */
enum {
    M_READS, M_WRITES, M_USD_DAY, M_USD_MONTH, M_KVR_POLL, M_HEAL50, M_HEAL95, M_HEAL99, M_EPISODES,
    M_HEALED, M_CENSORED, M_STUCK, M_LOST, M_REPLY50, M_REPLY99, M_NEVER, M_TWICE, M_STALE_PENDING,
    M_OPEN_AGE, M_COUNT
};

typedef struct fig_metric {
    const char *name;   /* e.g. "heal_p99_s" */
    const char *unit;   /* "per_day", "usd", "s", "count", "ratio" */
    const char *doc;
} fig_metric;

/* Figure k (0 <= k < M_COUNT). */
const fig_metric *fig_metric_at(int k);
/* The index of the figure called name, or -1. */
int fig_metric_find(const char *name);
/* The names, comma-separated, for error messages. */
const char *fig_metric_list(void);
/* The figures of a finished, priced run of duration under plan ("paid",
 * "free") into v[M_COUNT]. */
void fig_derive(met_registry *m, const char *plan, sim_us duration, double *v);

#endif
