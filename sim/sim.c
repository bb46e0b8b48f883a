/* sim.c - the run loop: pop the earliest event, advance the clock, fire. */
#include "sim.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "event_queue_int.h"
#include "names.h"
#include "rng.h"

typedef struct {
    char *name;
    gsl_rng *r;
} stream;

struct sim_ctx {
    sim_us now; /* must stay first: sim_now() in sim.h reads it */
    uint64_t seed;
    uint64_t events;
    int stop;
    int oom;        /* an event could not be queued: the run is invalid */
    eq_queue *eq;
    met_registry *met;
    stream *streams;
    size_t nstreams, capstreams;
    nm_index sidx; /* the streams by name */
};

sim_ctx *sim_new(uint64_t seed)
{
    sim_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->seed = seed;
    ctx->eq = eq_new(1024);
    ctx->met = met_new();
    if (!ctx->eq || !ctx->met)
        goto fail;
    return ctx;
fail:
    sim_free(ctx);
    return NULL;
}

void sim_free(sim_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->nstreams; i++) {
        free(ctx->streams[i].name);
        gsl_rng_free(ctx->streams[i].r);
    }
    free(ctx->streams);
    nm_free(&ctx->sidx);
    eq_free(ctx->eq);
    met_free(ctx->met);
    free(ctx);
}

uint64_t sim_events(const sim_ctx *ctx) { return ctx->events; }
met_registry *sim_metrics(sim_ctx *ctx) { return ctx->met; }

met_registry *sim_take_metrics(sim_ctx *ctx)
{
    met_registry *m = ctx->met;
    ctx->met = NULL;
    return m;
}

static inline eq_handle schedule(sim_ctx *ctx, sim_us t, sim_fn fn, void *obj, uint64_t arg)
{
    eq_handle h = eq__push(ctx->eq, t, (eq_fn)fn, obj, arg);
    if (h == EQ_NO_HANDLE) { /* out of memory: a lost event would silently change the run */
        ctx->oom = 1;
        ctx->stop = 1;
    }
    return h;
}

eq_handle sim_at(sim_ctx *ctx, sim_us t, sim_fn fn, void *obj, uint64_t arg)
{
    assert(t >= ctx->now);
    return schedule(ctx, t, fn, obj, arg);
}

eq_handle sim_after(sim_ctx *ctx, sim_us dt, sim_fn fn, void *obj, uint64_t arg)
{
    assert(dt >= 0);
    return schedule(ctx, ctx->now + dt, fn, obj, arg);
}

int sim_cancel(sim_ctx *ctx, eq_handle h)
{
    return eq_cancel(ctx->eq, h);
}

/* Fires events with time < until; leaves the clock on the last one.
 * ctx->events is bumped per event, so a handler's sim_events() counts the
 * events before it. */
static uint64_t run_loop(sim_ctx *ctx, sim_us until)
{
    uint64_t fired = 0;
    eq_queue *q = ctx->eq; /* never replaced during a run */
    eq_fired ev;
    ctx->stop = 0;
    while (!ctx->stop) {
        if (q->has_front) {
            /* The front slot's pop, inline: the handler's fields are read
             * from the released record (nothing is pushed before the call
             * takes them), not copied through ev. */
            if (q->front.t >= until)
                break;
            const eq_record *r = eq__take_front_record(q);
            assert(q->front.t >= ctx->now); /* time never goes backwards */
            ctx->now = q->front.t;
            ((sim_fn)r->fn)(ctx, r->obj, r->arg);
        } else {
            if (eq_pop_before(q, until, &ev) != 0)
                break;
            assert(ev.t >= ctx->now);
            ctx->now = ev.t;
            ((sim_fn)ev.fn)(ctx, ev.obj, ev.arg);
        }
        ctx->events++;
        fired++;
    }
    return fired;
}

uint64_t sim_run_until(sim_ctx *ctx, sim_us until)
{
    uint64_t fired = run_loop(ctx, until);
    if (!ctx->stop && until > ctx->now)
        ctx->now = until;
    return fired;
}

/* Not sim_run_until(INT64_MAX): that would park the clock at INT64_MAX, and
 * the next sim_after() would overflow. */
uint64_t sim_run(sim_ctx *ctx)
{
    return run_loop(ctx, INT64_MAX);
}

void sim_stop(sim_ctx *ctx) { ctx->stop = 1; }
int sim_out_of_memory(const sim_ctx *ctx) { return ctx->oom; }
int sim_stopped(const sim_ctx *ctx) { return ctx->stop; }

static const char *stream_name(const void *arr, size_t i)
{
    return ((const stream *)arr)[i].name;
}

gsl_rng *sim_rng(sim_ctx *ctx, const char *name)
{
    long i = nm_find(&ctx->sidx, name, stream_name, ctx->streams);
    if (i >= 0)
        return ctx->streams[i].r;
    if (ctx->nstreams == ctx->capstreams) {
        size_t cap = ctx->capstreams ? ctx->capstreams * 2 : 8;
        stream *s = realloc(ctx->streams, cap * sizeof *s);
        if (!s)
            return NULL;
        ctx->streams = s;
        ctx->capstreams = cap;
    }
    stream *s = &ctx->streams[ctx->nstreams];
    s->name = strdup(name);
    s->r = rng_new(ctx->seed, name);
    if (!s->name || !s->r || nm_add(&ctx->sidx, ctx->nstreams, stream_name, ctx->streams) != 0) {
        free(s->name);
        gsl_rng_free(s->r);
        return NULL;
    }
    ctx->nstreams++;
    return s->r;
}
