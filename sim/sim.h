/* sim.h - one simulation run: clock, event queue, RNG streams, metrics.
 *
 * There is no global state: two sim_ctx in one process are two independent,
 * identical-given-the-seed runs. Events fire in (time, insertion) order;
 * the clock only moves forward (asserted). */
#ifndef QSIM_SIM_H
#define QSIM_SIM_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "event_queue.h"
#include "metrics.h"

#define SIM_US_PER_MS INT64_C(1000)
#define SIM_US_PER_S INT64_C(1000000)

typedef struct sim_ctx sim_ctx;
typedef void (*sim_fn)(sim_ctx *ctx, void *obj, uint64_t arg);

typedef struct { int code; char msg[1024]; } sim_err;

sim_ctx *sim_new(uint64_t seed);
void sim_free(sim_ctx *ctx);

/* The clock is the context's first member, so reading it inlines. */
static inline sim_us sim_now(const sim_ctx *ctx) { return *(const sim_us *)(const void *)ctx; }
uint64_t sim_events(const sim_ctx *ctx); /* events fired so far */
met_registry *sim_metrics(sim_ctx *ctx);
/* Hands the metrics to the caller (who met_free()s them), so a finished
 * run's state can be freed while its results wait to be reported. The
 * context must not run or record anything afterwards. */
met_registry *sim_take_metrics(sim_ctx *ctx);

/* Schedules fn(ctx, obj, arg) at absolute time t (>= now) or after dt. */
eq_handle sim_at(sim_ctx *ctx, sim_us t, sim_fn fn, void *obj, uint64_t arg);
eq_handle sim_after(sim_ctx *ctx, sim_us dt, sim_fn fn, void *obj, uint64_t arg);
int sim_cancel(sim_ctx *ctx, eq_handle h);

/* Fires every event with time < until, then sets the clock to until.
 * Returns the number of events fired. sim_stop() from a handler ends the
 * loop after that handler. */
uint64_t sim_run_until(sim_ctx *ctx, sim_us until);
/* Fires events until the queue is empty; the clock stays on the last one. */
uint64_t sim_run(sim_ctx *ctx);
void sim_stop(sim_ctx *ctx);
int sim_stopped(const sim_ctx *ctx);
/* An event could not be queued (out of memory): the run stopped and its
 * results are not valid. */
int sim_out_of_memory(const sim_ctx *ctx);

/* The stream named name, created on first use and owned by ctx. Same name,
 * same stream. NULL on OOM. */
gsl_rng *sim_rng(sim_ctx *ctx, const char *name);

#endif
