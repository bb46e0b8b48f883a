/* stats.c - mean and Student-t interval in a fixed summation order. */
#include "stats.h"

#include <math.h>
#include <gsl/gsl_cdf.h>

stat_summary stat_of(const double *x, size_t n, size_t stride)
{
    stat_summary s = { 0, NAN, NAN, 0, 0 };
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i * stride])) {
            if (isinf(x[i * stride]) && x[i * stride] > 0)
                s.never++;
            else
                sum += x[i * stride];
            s.n++;
        }
    if (s.n == 0)
        return s;
    if (s.never) {
        s.mean = INFINITY;
        s.half = NAN;
        return s;
    }
    s.mean = sum / (double)s.n;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i * stride])) {
            double d = x[i * stride] - s.mean;
            ss += d * d;
        }
    s.sd = s.n > 1 ? sqrt(ss / (double)(s.n - 1)) : 0;
    s.half = s.n > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(s.n - 1)) * s.sd / sqrt((double)s.n) : 0;
    return s;
}
