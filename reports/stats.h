/* stats.h - summaries of replicated results: mean, standard deviation and
 * the 95 % confidence interval of the mean from Student's t (GSL). NaN
 * values (a quantity undefined in a replication, such as the healing
 * latency of a run that healed nothing) are left out and n says so. */
#ifndef QSIM_STATS_H
#define QSIM_STATS_H

#include <stddef.h>

typedef struct stat_summary {
    size_t n;        /* values used (non-NaN) */
    double mean;
    double sd;       /* sample standard deviation (n - 1) */
    double half;     /* 95 % CI half-width: t(0.975, n-1) * sd / sqrt(n); 0 when n < 2 */
} stat_summary;

stat_summary stat_of(const double *x, size_t n, size_t stride);

#endif
