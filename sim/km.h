/* km.h - the Kaplan-Meier estimator of a time-to-event distribution from
 * observations some of which are censored (the event had not happened when
 * observation stopped): how qsim states healing times without pretending
 * that episodes still open at the end, or ended another way, healed. */
#ifndef QSIM_KM_H
#define QSIM_KM_H

#include <stddef.h>
#include <stdint.h>

/* Kaplan-Meier product-limit estimate of a time-to-event distribution
 * (healing time) from observations that either ended with the event
 * (healed) or were censored (still open at the end of the run, or ended
 * another way: aged out, overwritten). One step per distinct event time;
 * at a time with both, events come before censorings (the usual
 * convention). var is Greenwood's variance of S. */
typedef struct km_step {
    int64_t t;         /* event time */
    int64_t at_risk;   /* observations with time >= t */
    int64_t events;    /* events at t */
    double s;          /* S(t): share still without the event after t */
    double var;        /* Greenwood: S^2 * sum d / (n (n - d)) */
} km_step;

typedef struct km_curve {
    size_t nsteps;
    km_step *step;     /* by increasing t */
    size_t nobs, nevents;
    int64_t last_t;    /* largest observed time, event or censored */
} km_curve;

/* Fits t[i] (any order) with event[i] != 0 for an event, 0 for a censored
 * observation. 0, or -1 on OOM. Free with km_free. */
int km_fit(const int64_t *t, const unsigned char *event, size_t n, km_curve *out);
void km_free(km_curve *c);
/* S just after time t (1 before the first event). */
double km_survival(const km_curve *c, int64_t t);
/* The p-quantile of the time to the event: the smallest event time with
 * 1 - S(t) >= p, or -1 when the curve never reaches p ("never": too
 * much is censored before). */
int64_t km_quantile(const km_curve *c, double p);

/* The same estimate without holding the observations: fed one distinct
 * time at a time, ascending, with the events and censorings at it (from
 * grouped or binned samples, e.g. met_samples_iter). After km_stream_add,
 * s is S just after t, exactly the s km_fit gives that step. O(1) memory. */
typedef struct km_stream {
    int64_t at_risk;   /* observations with time >= the next t */
    double s, g;       /* S and Greenwood's sum so far */
} km_stream;
void km_stream_init(km_stream *k, int64_t nobs);
/* Returns 1 when t was an event time (a step of the curve), else 0. */
int km_stream_add(km_stream *k, int64_t t, int64_t events, int64_t censored);
/* km_quantile's rule for one step: does S = s reach the p-quantile? */
int km_reaches(double s, double p);

#endif
