/* dist.c - drawing from dist. Rounding is to nearest, ties away from zero. */
#include "dist.h"

#include <math.h>
#include <gsl/gsl_randist.h>

#include "sim/rng.h"

int64_t dist_draw(const dist *d, gsl_rng *r)
{
    double x;
    switch (d->kind) {
    case DIST_UNIFORM: {
        /* gsl_rng_uniform_int takes n up to the generator's range (2^32 for
         * taus2); wider ranges (a uniform over more than ~71 min in µs)
         * are drawn as high and low halves, still exactly uniform. */
        uint64_t n = (uint64_t)(d->b - d->a) + 1;
        if (n <= UINT64_C(0xffffffff))
            return d->a + (int64_t)gsl_rng_uniform_int(r, (unsigned long)n);
        for (;;) {
            /* two statements: the order of two calls in one expression is
             * unspecified in C, and compilers differ */
            uint64_t hi = (uint64_t)gsl_rng_get(r);
            uint64_t u = (hi << 32) | (uint64_t)gsl_rng_get(r);
            uint64_t lim = UINT64_MAX - UINT64_MAX % n; /* reject the partial top bucket */
            if (u < lim)
                return d->a + (int64_t)(u % n);
        }
    }
    case DIST_EXP:
        x = rng_exp(r, (double)d->a);
        break;
    case DIST_LOGNORMAL:
        x = gsl_ran_lognormal(r, log((double)d->a), d->sigma);
        break;
    case DIST_CONST:
    default:
        return d->a;
    }
    if (x > 9.0e18)
        x = 9.0e18;
    return (int64_t)llround(x);
}
