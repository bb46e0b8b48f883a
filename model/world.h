/* world.h - one run of one strategy on one scenario: builds the KV, the
 * endpoints, the actors and the measurement from the configuration, seeds
 * the initial state, and runs to the scenario's end. Everything the run
 * measured is in sim_metrics(world_ctx(w)). */
#ifndef QSIM_WORLD_H
#define QSIM_WORLD_H

#include <stdio.h>

#include "model/scenario.h"
#include "sim/sim.h"

typedef struct world world;

typedef struct world_opts {
    FILE *trace;        /* JSON Lines trace (docs/trace.md), or NULL */
    FILE *poll_log;     /* bot log lines (actor_log_poll), or NULL */
    met_sink polls_sink;/* receives every poll row, or NULL */
    void *polls_ud;
    met_sink stuck_sink;/* receives every change of the stuck gauge, or NULL */
    void *stuck_ud;
    int keep_series;    /* keep poll and stuck rows in memory (tests) */
    int check;          /* runtime invariants (track.h); world_run fails on one */
    int keep_messages;  /* never recycle message slots (world_snapshot of a
                         * whole store, e.g. script-from-trace) */
    const struct st_hooks *const *strategies; /* NULL-terminated strategies
                         * beyond the registry, by name in option (a
                         * strategy defined in a test file); NULL: none */
} world_opts;

/* option: a strategy spec such as "1+2". seed overrides the scenario's. */
world *world_new(const scenario *s, const char *option, uint64_t seed, const world_opts *o, sim_err *err);
void world_free(world *w);
/* Runs until the scenario's duration (or until, if smaller and > 0), then
 * closes the measurement. Returns 0, or -1 with err set. */
int world_run(world *w, sim_us until, sim_err *err);
/* Runs to time t without closing the measurement (world_run still can). */
int world_advance(world *w, sim_us t, sim_err *err);
/* What the store says now about message id (type, entity, key format,
 * size, stored and cached status). -1 when unknown. */
int world_msg_info(const world *w, const char *id, sc_msg *out);
/* The central store now, as dst's initial state (dst->msgs replaced: the
 * messages outside the cache, then the cache in order; no plain filler).
 * *corrupt is set when the cache value is unparseable. -1 on OOM. */
int world_snapshot(const world *w, scenario *dst, int *corrupt);
sim_ctx *world_ctx(world *w);
/* Message slots in use or free now (bounded when slots are recycled), and
 * messages ever created. */
size_t world_msg_slots(const world *w);
uint64_t world_msgs_total(const world *w);
/* The run's KV store, for reading the central values (tests). */
const struct kv_store *world_kv(const world *w);
/* End state of a message: its status in the central cache (-1: not there)
 * and in its individual key (-1: absent). -1 when the id is unknown. */
int world_msg_state(const world *w, const char *id, int *cache_status, int *stored_status);

#endif
