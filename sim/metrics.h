/* metrics.h - what a run measures: named counters (optionally bucketed by
 * simulated day), sample sets (latencies) and row series (the poll log).
 *
 * Names are registered once, before the run, and return a small integer id;
 * the hot path only indexes arrays. Iteration is in registration order, so
 * reports are deterministic. The registry knows nothing of KV or money: the
 * model decides what the names mean (see docs/metrics.md). */
#ifndef QSIM_METRICS_H
#define QSIM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/hist.h"

typedef struct met_registry met_registry;
typedef int met_id;

#define MET_US_PER_DAY INT64_C(86400000000)
#define MET_MAX_COLS 8

/* A series row sink: called once per row, in order. */
typedef void (*met_sink)(void *ud, const int64_t *row, int ncols);

met_registry *met_new(void);
void met_free(met_registry *m);

/* Registration: returns the id, the same id for the same name; -1 on OOM. */
met_id met_counter(met_registry *m, const char *name);
met_id met_counter_daily(met_registry *m, const char *name);
met_id met_samples(met_registry *m, const char *name);
/* cols is a comma-separated header, e.g. "t_us,kvr,kvw". */
met_id met_series(met_registry *m, const char *name, const char *cols);

/* Levels, not totals: a gauge holds the last value set (the level at the
 * end is what is published), a max the largest value offered (starting
 * at 0, so a max of non-negative levels is 0 until one is offered). Both
 * read back with met_counter_value, like counters; met_add on them is a
 * programmer error. */
met_id met_gauge(met_registry *m, const char *name);
met_id met_max(met_registry *m, const char *name);

enum { MET_KIND_COUNTER, MET_KIND_DAILY, MET_KIND_GAUGE, MET_KIND_MAX };

/* The hot half of a counter, public only so the calls below inline (an
 * out-of-line call per counter increment was 5-7 % of a run): the
 * registry begins with a met_hot. Read values with met_counter_value. */
typedef struct met_cell {
    int64_t value;
    int kind; /* MET_KIND_* */
    /* daily: the bucket of the day last added to, and that day's span
     * [day_from, day_to) (empty until the first add) */
    int64_t day_from, day_to;
    int64_t *day;
} met_cell;
typedef struct met_hot {
    met_cell *cell; /* by counter id */
} met_hot;
void met_add_daily(met_registry *m, met_id id, int64_t now, int64_t v);

/* Hot path. now is only used by daily counters (day = now / 1 day). */
static inline void met_add(met_registry *m, met_id id, int64_t now, int64_t v)
{
    met_cell *c = &((met_hot *)(void *)m)->cell[id];
    if (c->kind != MET_KIND_DAILY) {
        c->value += v;
    } else if (now >= c->day_from && now < c->day_to) {
        c->value += v;
        *c->day += v;
    } else {
        met_add_daily(m, id, now, v);
    }
}
static inline void met_set(met_registry *m, met_id id, int64_t v)
{
    ((met_hot *)(void *)m)->cell[id].value = v;
}
static inline void met_offer(met_registry *m, met_id id, int64_t v)
{
    met_cell *c = &((met_hot *)(void *)m)->cell[id];
    if (v > c->value)
        c->value = v;
}
int met_sample(met_registry *m, met_id id, int64_t v); /* -1 on OOM */
void met_row(met_registry *m, met_id id, const int64_t *row);

/* Series rows go to the sink when one is set, and are kept in memory only
 * when keep is set (tests, charts of short runs). Otherwise only counted. */
void met_series_sink(met_registry *m, met_id id, met_sink fn, void *ud);
void met_series_keep(met_registry *m, met_id id, int keep);

/* Reading back. */
size_t met_counter_count(const met_registry *m);
const char *met_counter_name(const met_registry *m, met_id id);
int64_t met_counter_value(const met_registry *m, met_id id);
int met_counter_is_daily(const met_registry *m, met_id id);
int met_counter_kind(const met_registry *m, met_id id); /* MET_KIND_* */
/* Per-day buckets of a daily counter: *ndays set, NULL when none. */
const int64_t *met_counter_days(const met_registry *m, met_id id, size_t *ndays);
met_id met_find_counter(const met_registry *m, const char *name); /* -1 */

size_t met_samples_count(const met_registry *m);
/* The id of the sample set called name, -1 when none (registers nothing). */
met_id met_find_samples(const met_registry *m, const char *name);
const char *met_samples_name(const met_registry *m, met_id id);
/* Bounded memory: a sample set keeps its values exactly up to a cap
 * (MET_SAMPLES_EXACT_MAX unless set otherwise, 8 MiB of values), and on
 * the next sample moves them into a log-linear histogram (sim/hist.h:
 * values read back within 0.05 %, count, minimum and maximum exact), where
 * it stays. Runs under the cap see exactly what they always saw. */
#define MET_SAMPLES_EXACT_MAX ((size_t)1 << 20)
/* The cap of sets that are still exact (>= 1; tests use small ones). */
void met_samples_set_exact_max(met_registry *m, size_t cap);
/* Samples added to the set (exact or binned). */
size_t met_samples_n(const met_registry *m, met_id id);
/* 1 while the set holds its values exactly. */
int met_samples_exact(const met_registry *m, met_id id);
/* Exact sets only: sorts the set in place (ascending) and returns it; *n
 * set. NULL and 0 for a set that went over the cap: use met_samples_iter. */
const int64_t *met_samples_sorted(met_registry *m, met_id id, size_t *n);
/* Every sample in ascending order as (value, count) pairs, count >= 1,
 * each value once: from the sorted values of an exact set (sorting it), or
 * from the histogram's buckets. The set must not change while iterated. */
typedef struct met_iter {
    const int64_t *v;   /* exact: the sorted values */
    size_t n, pos;
    hist_iter h;        /* else: the buckets */
    int exact, have;    /* have: (pv, pc) is a bucket read ahead */
    int64_t pv;
    uint64_t pc;
} met_iter;
void met_samples_iter(met_registry *m, met_id id, met_iter *it);
int met_samples_next(met_iter *it, int64_t *v, uint64_t *count); /* 0: end */
/* Nearest-rank quantile (met_quantile's rule) of either representation. */
int64_t met_samples_quantile(met_registry *m, met_id id, double p);
/* Bytes held by sample sets (values, buckets): what the cap bounds. */
size_t met_samples_bytes(const met_registry *m);
/* What reports show of a sample set: count, extremes and nearest-rank
 * quantiles (met_quantile). All 0 when empty. */
typedef struct met_stat {
    size_t n;
    int64_t min, p50, p95, p99, max;
} met_stat;
/* From the values (sorting them) or, after met_samples_summarize, from
 * the summary kept. */
void met_samples_stat(met_registry *m, met_id id, met_stat *st);
/* Replaces every sample set's values by its met_stat and frees them: a
 * finished run waiting to be reported keeps a few bytes, not one value per
 * sample. met_samples_sorted then gives NULL and n 0; met_sample fails. */
void met_samples_summarize(met_registry *m);
/* Quantile p in [0,1] of an ascending array, nearest rank (an observed
 * value, integral, exact): the smallest x with at least p*n values <= x. */
int64_t met_quantile(const int64_t *sorted, size_t n, double p);

size_t met_series_count(const met_registry *m);
const char *met_series_cols(const met_registry *m, met_id id);
int met_series_ncols(const met_registry *m, met_id id);
size_t met_series_rows(const met_registry *m, met_id id); /* rows seen */
/* Kept rows, row-major, ncols each; NULL unless kept. */
const int64_t *met_series_data(const met_registry *m, met_id id);
met_id met_find_series(const met_registry *m, const char *name);

#endif
