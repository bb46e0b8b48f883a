/* dist.h - distributions of durations (KV latencies, generation time) and
 * sizes, drawn from a given GSL stream and rounded to integers. */
#ifndef QSIM_DIST_H
#define QSIM_DIST_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

typedef enum { DIST_CONST = 0, DIST_UNIFORM, DIST_EXP, DIST_LOGNORMAL } dist_kind;

/* const: a. uniform: integers in [a, b]. exp: mean a. lognormal: median a,
 * shape sigma (so log-mean ln a). Units are the caller's (µs or bytes). */
typedef struct dist {
    int kind;
    int64_t a, b;
    double sigma;
} dist;

static inline dist dist_const(int64_t v) { dist d = { DIST_CONST, v, v, 0 }; return d; }
/* Draws one value >= 0. A const distribution consumes no random number. */
int64_t dist_draw(const dist *d, gsl_rng *r);

#endif
