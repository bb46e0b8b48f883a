/* test_sim.c - sim_: run_until bounds and clock, handlers that schedule,
 * cancel, sim_stop, event counts, the run loop's inline front-slot path,
 * and identical traces from equal seeds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "sim/sim.h"

/* What fired, in order: (time, arg, sim_events() seen by the handler). */
typedef struct {
    sim_us t[4096];
    uint64_t arg[4096];
    uint64_t seen[4096];
    size_t n;
    uint64_t stop_at; /* arg that calls sim_stop; UINT64_MAX for none */
} trace;

static int ctx_setup(void **state)
{
    *state = sim_new(42);
    return *state ? 0 : -1;
}

static int ctx_teardown(void **state)
{
    sim_free(*state);
    return 0;
}

static void record(sim_ctx *ctx, void *obj, uint64_t arg)
{
    trace *tr = obj;
    assert_true(tr->n < 4096);
    tr->t[tr->n] = sim_now(ctx);
    tr->arg[tr->n] = arg;
    tr->seen[tr->n] = sim_events(ctx);
    tr->n++;
    if (arg == tr->stop_at)
        sim_stop(ctx);
}

static trace *new_trace(void)
{
    static trace tr; /* one test at a time; too big for the stack */
    memset(&tr, 0, sizeof tr);
    tr.stop_at = UINT64_MAX;
    return &tr;
}

static void test_run_until_bounds(void **state)
{
    sim_ctx *ctx = *state;
    trace *tr = new_trace();
    sim_at(ctx, 10, record, tr, 1);
    sim_at(ctx, 20, record, tr, 2);
    sim_at(ctx, 30, record, tr, 3);
    assert_int_equal(sim_run_until(ctx, 20), 1); /* t < until only */
    assert_int_equal(sim_now(ctx), 20);
    assert_int_equal(tr->n, 1);
    assert_int_equal(tr->t[0], 10);
    assert_int_equal(sim_run_until(ctx, 20), 0); /* same bound: nothing */
    assert_int_equal(sim_run_until(ctx, 1000), 2);
    assert_int_equal(sim_now(ctx), 1000);        /* clock set to until */
    assert_int_equal(tr->arg[1], 2);
    assert_int_equal(tr->arg[2], 3);
    assert_int_equal(sim_events(ctx), 3);
    assert_int_equal(sim_run_until(ctx, 5000), 0);
    assert_int_equal(sim_now(ctx), 5000);        /* even with no events */
}

/* A handler that reschedules itself, and one that schedules at "now":
 * the new event goes after events already pending at the same time. */
static void chain(sim_ctx *ctx, void *obj, uint64_t arg)
{
    record(ctx, obj, arg);
    if (arg > 0)
        sim_after(ctx, 5, chain, obj, arg - 1);
}

static void same_time(sim_ctx *ctx, void *obj, uint64_t arg)
{
    record(ctx, obj, arg);
    sim_after(ctx, 0, record, obj, 99);
}

static void test_handlers_schedule(void **state)
{
    sim_ctx *ctx = *state;
    trace *tr = new_trace();
    sim_at(ctx, 0, chain, tr, 3);
    sim_at(ctx, 7, same_time, tr, 50);
    sim_at(ctx, 7, record, tr, 51);
    assert_int_equal(sim_run(ctx), 7);
    static const sim_us wt[] = { 0, 5, 7, 7, 7, 10, 15 };
    static const uint64_t wa[] = { 3, 2, 50, 51, 99, 1, 0 };
    assert_int_equal(tr->n, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(tr->t[i], wt[i]);
        assert_int_equal(tr->arg[i], wa[i]);
        assert_int_equal(tr->seen[i], i); /* sim_events is live in handlers */
    }
    /* sim_run ends with the clock on the last event, not at "forever". */
    assert_int_equal(sim_now(ctx), 15);
    sim_after(ctx, 1, record, tr, 7);
    assert_int_equal(sim_run(ctx), 1);
    assert_int_equal(tr->t[7], 16);
}

static void test_cancel(void **state)
{
    sim_ctx *ctx = *state;
    trace *tr = new_trace();
    sim_at(ctx, 1, record, tr, 1);
    eq_handle h = sim_at(ctx, 2, record, tr, 2);
    sim_at(ctx, 3, record, tr, 3);
    assert_int_equal(sim_cancel(ctx, h), 0);
    assert_int_equal(sim_cancel(ctx, h), -1);
    assert_int_equal(sim_run(ctx), 2);
    assert_int_equal(tr->arg[0], 1);
    assert_int_equal(tr->arg[1], 3);
}

static void test_stop(void **state)
{
    sim_ctx *ctx = *state;
    trace *tr = new_trace();
    for (uint64_t i = 0; i < 10; i++)
        sim_at(ctx, (sim_us)(10 * i), record, tr, i);
    tr->stop_at = 3;
    assert_int_equal(sim_run_until(ctx, 1000), 4); /* the stopper fires */
    assert_true(sim_stopped(ctx));
    assert_int_equal(sim_now(ctx), 30);              /* not moved to until */
    assert_int_equal(sim_events(ctx), 4);
    tr->stop_at = UINT64_MAX;
    assert_int_equal(sim_run_until(ctx, 1000), 6);   /* resumes */
    assert_false(sim_stopped(ctx));
    assert_int_equal(sim_events(ctx), 10);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(tr->arg[i], i);
}

/* The run loop pops the queue's front slot itself (sim/event_queue_int.h):
 * its bound, its clock, its handler's payload, sim_stop and cancellation
 * there, and a chain of steps each due before everything else pending. */
static void step(sim_ctx *ctx, void *obj, uint64_t arg)
{
    record(ctx, obj, arg);
    if (arg % 10 != 0) /* 3 short steps, then stop the chain */
        sim_after(ctx, 1, step, obj, arg - 1);
}

static void test_front_path(void **state)
{
    sim_ctx *ctx = *state;
    trace *tr = new_trace();
    sim_at(ctx, 10, record, tr, 1); /* alone: the front */
    assert_int_equal(sim_run_until(ctx, 10), 0); /* t < until only */
    assert_int_equal(sim_now(ctx), 10);
    assert_int_equal(sim_run_until(ctx, 11), 1);
    assert_int_equal(tr->t[0], 10);
    assert_int_equal(tr->arg[0], 1);

    /* A front event cancelled does not fire; the heap's goes on. */
    sim_at(ctx, 100, record, tr, 2);
    eq_handle h = sim_at(ctx, 50, record, tr, 3); /* the front */
    assert_int_equal(sim_cancel(ctx, h), 0);
    assert_int_equal(sim_run_until(ctx, 1000), 1);
    assert_int_equal(tr->n, 2);
    assert_int_equal(tr->arg[1], 2);

    /* Two chains of short steps beside a far event, and events at a step's
     * time pushed before it: (time, push order) throughout. */
    tr = new_trace();
    sim_at(ctx, 5000, record, tr, 99);
    sim_at(ctx, 1002, record, tr, 98); /* pushed before the step at 1002 */
    sim_at(ctx, 1000, step, tr, 13);   /* 1000, 1001, 1002, 1003 */
    sim_at(ctx, 1001, step, tr, 22);   /* 1001, 1002, 1003 */
    tr->stop_at = 21;
    assert_int_equal(sim_run_until(ctx, 10000), 5); /* stops after 21 */
    assert_int_equal(sim_now(ctx), 1002);
    tr->stop_at = UINT64_MAX;
    assert_int_equal(sim_run_until(ctx, 10000), 4);
    static const sim_us wt[] = { 1000, 1001, 1001, 1002, 1002, 1002, 1003, 1003, 5000 };
    /* 22 (pushed at the start) before 12 (pushed by 13's step); at 1002,
     * 98 (pushed first), then 21 (by 22), then 11 (by 12). */
    static const uint64_t wa[] = { 13, 22, 12, 98, 21, 11, 20, 10, 99 };
    assert_int_equal(tr->n, 9);
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(tr->t[i], wt[i]);
        assert_int_equal(tr->arg[i], wa[i]);
    }
    assert_int_equal(sim_now(ctx), 10000);
}

/* A small stochastic model: K sources with their own streams, each
 * arrival draws the next gap and a coin that may spawn a follow-up. */
typedef struct { trace *tr; gsl_rng *r; uint64_t id; } source;

static void arrive(sim_ctx *ctx, void *obj, uint64_t arg)
{
    source *s = obj;
    record(ctx, s->tr, s->id << 32 | arg);
    sim_us gap = (sim_us)(gsl_ran_exponential(s->r, 1000.0) + 0.5);
    sim_after(ctx, gap, arrive, s, arg + 1);
    if (gsl_rng_uniform(s->r) < 0.3)
        sim_after(ctx, gap / 2, record, s->tr, UINT64_C(1) << 63 | s->id);
}

static void run_model(sim_ctx *ctx, trace *tr, source *src, size_t k)
{
    static const char *names[] = { "humans", "bot-1", "cron" };
    for (size_t i = 0; i < k; i++) {
        src[i] = (source){ tr, sim_rng(ctx, names[i]), i };
        sim_at(ctx, 0, arrive, &src[i], 0);
    }
}

static void test_same_seed_same_trace(void **state)
{
    (void)state;
    static trace a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.stop_at = b.stop_at = UINT64_MAX;
    sim_ctx *ca = sim_new(2026), *cb = sim_new(2026), *cc = sim_new(2027);
    source sa[3], sb[3], sc[3];
    trace *c = new_trace();
    run_model(ca, &a, sa, 3);
    run_model(cb, &b, sb, 3);
    run_model(cc, c, sc, 3);
    /* Interleave the two runs in slices: no state leaks between them. */
    for (sim_us t = 10000; t <= 200000; t += 10000) {
        sim_run_until(ca, t);
        sim_run_until(cc, t);
        sim_run_until(cb, t);
    }
    assert_true(a.n > 500);
    assert_int_equal(a.n, b.n);
    assert_int_equal(sim_events(ca), a.n);
    assert_int_equal(sim_events(cb), b.n);
    assert_memory_equal(a.t, b.t, a.n * sizeof a.t[0]);
    assert_memory_equal(a.arg, b.arg, a.n * sizeof a.arg[0]);
    /* Another seed gives another run (checks the test can fail). */
    assert_true(c->n != a.n || memcmp(c->t, a.t, a.n * sizeof a.t[0]) != 0);
    sim_free(ca);
    sim_free(cb);
    sim_free(cc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_until_bounds, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_handlers_schedule, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_stop, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_front_path, ctx_setup, ctx_teardown),
        cmocka_unit_test(test_same_seed_same_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
