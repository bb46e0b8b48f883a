/* robust.h - does a comparison hold across what nobody knows?
 *
 * The assumed values of the limits and pricing files (model/provenance.h)
 * each have a plausible range. rb_ runs every option again at the low end,
 * the middle and the high end of each range, one assumption at a time, on
 * the same replication seeds as the comparison (common random numbers), and
 * says for each figure whether the ranking of the options is the same at
 * every point. A pair of options "flips" on a figure when one is lower at
 * some point and higher at another; the flip is "clear" when the paired 95 %
 * CI of their difference excludes 0 at both points, else "within noise". */
#ifndef QSIM_ROBUST_H
#define QSIM_ROBUST_H

#include <stdio.h>

#include <cJSON.h>

#include "app/experiment.h"
#include "model/provenance.h"

#define RB_MAX_POINTS (PV_MAX * 3 + 1)

typedef struct rb_point {
    int assumption;  /* index into rb_set.as; -1 for the comparison as given */
    double value;
    char label[160]; /* "kv.p429=0.01" */
} rb_point;

typedef struct rb_set {
    pv_list as;                  /* limits file's, then the pricing file's */
    char as_file[PV_MAX][64];    /* basename of the file each comes from */
    int nopt, reps;
    const char *const *options;
    int npoints;                 /* point 0: the comparison as given */
    rb_point pts[RB_MAX_POINTS];
    double *vals;                /* [point][option][rep][M_COUNT] */
} rb_set;

/* Loads the assumptions (from the data folder data, or the default one,
 * and the pricing plan's file) and runs every point: vals0 holds the
 * comparison as given (copied in as point 0). Returns 0, 2 on bad input,
 * 1 when a run failed; the message is printed. */
int rb_run(rb_set *r, const char *scenario_path, const char *data, const scenario *s, const pr_plan *plan,
           const experiment *e, const double *vals0, int jobs, int show);
void rb_free(rb_set *r);
/* The figures the robustness is judged on (a subset of M_*). */
extern const int rb_metrics[];
extern const int rb_nmetrics;
/* 1 when the ranking on metric k is the same at every point. */
int rb_stable(const rb_set *r, int k);
/* 1 when metric k's ranking flips with both differences clear (the
 * DEPENDS ON THE ASSUMPTIONS of rb_write), 0 when stable or within noise. */
int rb_clear_flip(const rb_set *r, int k);
/* The section: assumptions with their ranges and notes, then one line per
 * figure. md: Markdown, else text. */
void rb_write(FILE *f, const rb_set *r, int md);
cJSON *rb_json(const rb_set *r);
/* A choice made on the results (advise's recommendation): choose(vals, ud)
 * returns an option index, or -1 for none, from one point's
 * [option][rep][M_COUNT] block. Writes the choice at every point and
 * whether it is the same everywhere ("what" names it: "advice"); returns
 * 1 when it is, else 0. */
int rb_choice(FILE *f, const rb_set *r, int (*choose)(const double *vals, void *ud), void *ud, const char *what);

#endif
