/* search.h - the search engine of `qsim search`: swarm testing for a fault
 * schedule that breaks a property under a strategy, and its shrinking to a
 * minimal case (docs/search.md).
 *
 * A trial turns on a random subset of fault features at random strengths
 * (swarm testing: Groce et al. 2012), drawn from rng_derive(seed, trial),
 * and runs the scenario built from them through app/session (world, run,
 * pricing: a property on a cost sees a priced run). The first violating
 * trial is shrunk: features are dropped, strengths halved, the run
 * shortened, bots and traffic reduced, as long as the violation stays (a
 * greedy delta-debugging fixpoint; every step makes the case smaller, so
 * shrinking is monotone). With a baseline the violation must also be
 * absent under it on the same scenario. */
#ifndef QSIM_SEARCH_H
#define QSIM_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "model/pricing.h"
#include "model/scenario.h"
#include "sim/sim.h"

enum { F_LOCS, F_TRAFFIC, F_BOTS, F_PUT_ERR, F_GET_ERR, F_429, F_CRASH, F_GENFAIL, F_LEGACY, F_LARGE, F_STUCK,
       F_FASTGEN, F_COUNT };
typedef struct sr_trial {
    uint64_t seed;
    int on[F_COUNT];
    double level[F_COUNT]; /* strength in (0, 1] */
    sim_us duration;
    int nbots;
    double rate;           /* human posts per second, when F_TRAFFIC */
} sr_trial;

/* P_METRIC: "METRIC<=VALUE", METRIC an experiment figure (model/figures.h) */
enum { P_HEALED_WITHIN, P_NO_LOST, P_NO_DOUBLE, P_MAX_KVR, P_NEVER_ANSWERED, P_METRIC };
typedef struct sr_property {
    int kind;
    double x;
    char endpoint[16]; /* no-lost-posts:<endpoint>: only losses by that endpoint's writes */
    int metric;        /* P_METRIC: M_* */
    char text[64];
} sr_property;


typedef struct sr_searcher {
    const scenario *base;
    const pr_plan *plan;   /* costs, so that a trial's metrics are a run's */
    const char *option, *baseline;
    sr_property prop;
    uint64_t seed;
    sim_us max_duration;
    int runs;
} sr_searcher;

/* Parses a property: healed-within:DURATION, no-lost-posts[:ENDPOINT],
 * no-double-answer, max-kvr-per-poll:K, never-answered:N, or
 * METRIC<=VALUE with METRIC an experiment figure (a duration for figures
 * in seconds). 0; -1 malformed; -2 a METRIC<=VALUE naming no figure. */
int sr_parse_property(const char *s, sr_property *p);
/* Trial k of the search (deterministic in S->seed and k). */
void sr_random_trial(const sr_searcher *S, uint64_t k, sr_trial *t);
/* The scenario of a trial (the caller frees it), or NULL. */
scenario *sr_build(const sr_searcher *S, const sr_trial *t);
/* Runs s under option (checked, priced); 1 when the property fails, with
 * why and the witness time filled. Counts S->runs. */
int sr_run_one(sr_searcher *S, const scenario *s, const char *option, char *why, size_t len, sim_us *witness);
/* 1 when trial t shows the violation (and the baseline, if any, does not). */
int sr_fails(sr_searcher *S, const sr_trial *t, char *why, size_t len, sim_us *witness);
/* Shrinks a failing trial to a fixpoint; steps counts accepted steps. */
void sr_shrink(sr_searcher *S, sr_trial *t, char *why, size_t len, sim_us *witness, int *steps);
/* The number of features on. */
int sr_size(const sr_trial *t);
/* "put errors (0.50), several bots" */
void sr_describe(const sr_trial *t, char *buf, size_t len);

#endif
