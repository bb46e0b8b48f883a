/* stats.h - summaries of replicated results: mean, standard deviation and
 * the 95 % confidence interval of the mean from Student's t (GSL). NaN
 * values (a quantity undefined in a replication, such as the healing
 * latency of a run with no episode) are left out and n says so. +inf
 * values are "never" (a healing quantile the replication's Kaplan-Meier
 * curve never reached): they count in n and in never, and make the mean
 * +inf, so a figure with one such replication reads "never", not the mean
 * of the others. */
#ifndef QSIM_STATS_H
#define QSIM_STATS_H

#include <stddef.h>

typedef struct stat_summary {
    size_t n;        /* values used (non-NaN) */
    double mean;
    double sd;       /* sample standard deviation (n - 1) */
    double half;     /* 95 % CI half-width: t(0.975, n-1) * sd / sqrt(n); 0 when n < 2 */
    size_t never;    /* values that were +inf (then mean is +inf, sd and half NaN) */
} stat_summary;

stat_summary stat_of(const double *x, size_t n, size_t stride);

#endif
