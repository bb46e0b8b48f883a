/* report.h - turning a run's metrics into files and a summary: the poll
 * log (polls.csv and its run-length profile), results.json, and the table
 * printed on stdout. Reads the metrics registry (sim/metrics.h) through
 * one column table whose entries are names of the metric catalogue
 * (model/figures.h). */
#ifndef QSIM_REPORT_H
#define QSIM_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/metrics.h"

#define REP_MAX_RUNS 64

/* Streaming view of the poll series: CSV rows plus a run-length profile of
 * (KVr, KVw), so a year of polls needs no memory. */
typedef struct rep_polls {
    FILE *csv;           /* rows are appended here when set */
    const char *option;
    int64_t count, sum_kvr, sum_kvw, errors;
    int64_t kvr_min, kvr_max;
    int64_t last_kvr, last_kvw;
    int nruns;           /* runs kept; later ones only counted */
    int64_t runs_total;
    struct { int64_t kvr, kvw, n, first_t; } runs[REP_MAX_RUNS];
} rep_polls;

void rep_polls_init(rep_polls *p, FILE *csv, const char *option);
void rep_polls_header(FILE *csv);
/* A met_sink: row = t_us, kvr, kvw, returned, status, bot. */
void rep_polls_sink(void *ud, const int64_t *row, int ncols);

/* A series written as CSV rows prefixed with the option: a met_sink. */
typedef struct rep_csv {
    FILE *f;
    const char *option;
} rep_csv;
void rep_csv_sink(void *ud, const int64_t *row, int ncols);
/* heal_latency.csv rows (option,latency_s) and caps.csv rows
 * (option,day,kind,t_in_day_s) for one run; headers with _header. */
void rep_heal_csv_header(FILE *f);
void rep_heal_csv(FILE *f, const char *option, met_registry *m);
/* heal_km.csv: the Kaplan-Meier curve of the healing time with Greenwood
 * 95 % bands and censor marks (format in report.c and docs/metrics.md),
 * from the sample sets before met_samples_summarize. _append writes
 * dir/heal_km.csv, created with its header when first, else appended to:
 * 0, or -1 with errno set. */
void rep_heal_km_csv_header(FILE *f);
void rep_heal_km_csv(FILE *f, const char *option, met_registry *m);
int rep_heal_km_append(const char *dir, const char *option, met_registry *m, int first);
void rep_caps_csv_header(FILE *f);
void rep_caps_csv(FILE *f, const char *option, met_registry *m);

typedef struct rep_run {
    const char *option;
    met_registry *m;
    const rep_polls *polls;
} rep_run;

typedef struct rep_meta {
    const char *version;
    const char *scenario;
    const char *file;
    const char *pricing;   /* pricing file path */
    const char *plan;      /* "paid" or "free" */
    uint64_t seed;
    int64_t duration_us;
    /* the plan's included amounts, for the bill headline (0: unknown) */
    int64_t base_month_pusd;
    int64_t incl_reads_month, incl_writes_month, incl_requests_month, incl_storage_bytes;
} rep_meta;

/* The column table: every figure reports/ reads from a run, in
 * summary.csv's column order. An entry names a catalogue entry (name,
 * resolved by the catalogue's fig_find, "<plan>" standing for the run's
 * plan) or an experiment figure (by name, through rep_figures), or neither for
 * what is not a metric (the option, the poll log, the flags). The run
 * table, summary.csv, summary.txt, the decision lines and results.json
 * read metrics only through it (docs/metrics.md "The column table"). */
enum {
    RC_OPTION, RC_POLLS, RC_KVR_MEAN, RC_READS, RC_WRITES, RC_REQUESTS, RC_USD_DAY, RC_USD_MONTH, RC_EPISODES,
    RC_HEALED, RC_CENSORED, RC_KM50, RC_KM95, RC_KM99, RC_HEAL_MAX, RC_STUCK, RC_LOST, RC_AGED_OUT, RC_NEVER,
    RC_TWICE, RC_VS_BASE, RC_WORSE, RC_HEAL_CENSORED, RC_COUNT
};
/* How a column is read and written (summary.csv's format). */
enum {
    RCF_OPTION, RCF_POLLS, RCF_KVR_MEAN, RCF_PER_DAY, RCF_USD, RCF_INT, RCF_FIG_INT, RCF_KM, RCF_SAMPLES_MAX,
    RCF_VS_BASE, RCF_WORSE, RCF_SAMPLES
};
typedef struct rep_col {
    const char *csv;    /* summary.csv column; NULL: not a column */
    const char *name;   /* a catalogue name; NULL: none */
    const char *figure; /* an experiment figure's name (rep_figures); NULL: none */
    int fmt;            /* RCF_* */
} rep_col;
/* The table, RC_COUNT entries indexed by RC_*. */
const rep_col *rep_columns(size_t *n);
/* The experiment figures (model/figures.h: fig_metric_at, fig_derive),
 * handed in by the application layer (app/session.c, ses_figures) so that
 * reports/ includes no model/ header (STYLE.md: reports/ sees sim/metrics
 * only). Set once before any output; an output without them aborts. */
#define REP_MAX_FIGURES 64
typedef struct rep_figures {
    int n;                         /* figures 0..n-1, n <= REP_MAX_FIGURES */
    const char *(*name)(int k);    /* e.g. "heal_p99_s" */
    const char *(*unit)(int k);
    int (*find)(const char *name); /* its index, or -1 */
    void (*derive)(met_registry *m, const char *plan, int64_t duration_us, double *v); /* v[n] */
} rep_figures;
void rep_use_figures(const rep_figures *f);

/* The figures a row is judged by against the baseline (option "0", else the
 * first run), in this order: lost posts by overwrite, never answered,
 * answered twice, stuck at the end. Higher is worse for all four. */
enum { REP_RISK_LOST, REP_RISK_NEVER, REP_RISK_TWICE, REP_RISK_STUCK, REP_RISK_COUNT };
extern const char *const rep_risk_names[REP_RISK_COUNT];
extern const int rep_risk_columns[REP_RISK_COUNT]; /* RC_* */
/* Index of the baseline run: the option named "0", else 0. */
int rep_baseline(const rep_run *runs, int n);
/* Bit k set when run r is worse than the baseline on figure k. */
unsigned rep_worse(const rep_run *runs, int n, int r);

int rep_results_json(FILE *f, const rep_meta *meta, const rep_run *runs, int n);
/* The stdout table: cost, bill difference from the baseline, the four risk
 * figures with the rows worse than the baseline flagged, healing, the poll
 * log; then the decision lines (bill headline, list-price rate, risks). */
void rep_summary(FILE *f, const rep_meta *meta, const rep_run *runs, int n);
/* One row per option: the figures of the summary, machine-readable
 * (summary.csv; plot/ reads it). */
void rep_summary_csv(FILE *f, const rep_meta *meta, const rep_run *runs, int n);
/* "0.057600" from pico-dollars, rounded to the micro-dollar. */
void rep_usd(char *buf, size_t len, int64_t pusd);
/* Value of a counter by name; 0 when absent. */
int64_t rep_counter(const met_registry *m, const char *name);

#endif
