/* bench_engine.c - engine throughput in events/s: the hold model on eq_queue
 * (10, 1,000, 100,000 pending), chains of short steps on sim_ctx (the
 * model's KV operations) and an M/M/1 queue run through sim_ctx.
 * The M/M/1 runs on the shipped streams (taus2 + rng_exp, sim/rng.h) and,
 * for comparison, on the other generator/exponential pairs (MT19937, GSL's
 * exponential, the previous shipped pair among them); those variants live
 * here only (docs/performance.md, "The RNG").
 * Wall-clock time is read here only: the model never looks at it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <gsl/gsl_randist.h>

#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/sim.h"

#define REPS 3            /* timed segments per measurement; median reported */
#define INC_LEN (1u << 16) /* pre-generated hold increments, cycled */
#define BATCH 16384u      /* hold ops between clock reads */
#define SEED 20260101u

typedef struct {
    double min_s;        /* each timed segment runs at least this long */
    uint64_t warm_ops;   /* hold warm-up, beyond one pass over the queue */
    sim_us mm1_span;     /* simulated time per M/M/1 chunk */
    int quick;
    FILE *json;          /* NULL: no JSON */
} bench_cfg;

typedef struct {
    double rate[REPS];   /* events/s of each segment */
    uint64_t events;     /* over all segments */
    double seconds;
} bench_result;

/* CLOCK_MONOTONIC, or with --cpu-clock the process's CPU time: on a shared
 * machine the CPU time of a single-threaded loop is far steadier than the
 * wall time, which counts the time other processes hold the core. Set once
 * in main, read-only after. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v)
{
    double s[REPS];
    for (int i = 0; i < REPS; i++)
        s[i] = v[i];
    qsort(s, REPS, sizeof s[0], cmp_double);
    return s[REPS / 2];
}

static double best(const double *v)
{
    double b = v[0];
    for (int i = 1; i < REPS; i++)
        b = v[i] > b ? v[i] : b;
    return b;
}

static void nop(void) {}

/* One hold op: pop the earliest event, push it back one increment later.
 * Returns a checksum of the popped times so the loop cannot be elided. */
static uint64_t hold_ops(eq_queue *q, const sim_us *inc, uint64_t from, uint64_t n)
{
    uint64_t sum = 0;
    eq_fired f;
    for (uint64_t i = from; i < from + n; i++) {
        eq_pop(q, &f);
        eq_push(q, f.t + inc[i & (INC_LEN - 1)], f.fn, f.obj, f.arg);
        sum += (uint64_t)f.t;
    }
    return sum;
}

static int bench_hold(const bench_cfg *cfg, size_t pending, const sim_us *inc,
                      bench_result *res, uint64_t *checksum)
{
    eq_queue *q = eq_new(pending);
    if (!q)
        return -1;
    for (size_t i = 0; i < pending; i++)
        if (eq_push(q, inc[i & (INC_LEN - 1)], nop, NULL, i) == EQ_NO_HANDLE)
            goto fail;
    uint64_t op = 0;
    *checksum = hold_ops(q, inc, op, 2 * pending + cfg->warm_ops);
    op += 2 * pending + cfg->warm_ops;
    res->events = 0;
    res->seconds = 0;
    for (int r = 0; r < REPS; r++) {
        uint64_t n = 0;
        double t0 = wall_s(), dt;
        do {
            *checksum += hold_ops(q, inc, op, BATCH);
            op += BATCH;
            n += BATCH;
        } while ((dt = wall_s() - t0) < cfg->min_s);
        res->rate[r] = (double)n / dt;
        res->events += n;
        res->seconds += dt;
    }
    if (eq_size(q) != pending || eq_pool_size(q) != pending)
        goto fail; /* the hold model keeps the queue (and pool) size fixed */
    eq_free(q);
    return 0;
fail:
    eq_free(q);
    return -1;
}

/* The model's pattern on sim_ctx: each of `pending` actors runs a chain of
 * CHAIN_STEPS short steps (a KV operation's completion, CHAIN_STEP_US
 * each), then waits CHAIN_WAIT times a pre-generated increment (mean 10 s)
 * and starts again. Most short steps are due before every other pending
 * event, as on busy.json (80 % of its pushes): the queue's front slot takes
 * them without touching the heap (docs/performance.md, "The event queue"). */
#define CHAIN_STEPS 4
#define CHAIN_STEP_US (5 * SIM_US_PER_MS)
#define CHAIN_WAIT 10

typedef struct {
    const sim_us *inc;
    uint64_t next;  /* next increment to use */
    uint64_t sum;   /* checksum of the fired times */
} chain_state;

static void chain_step(sim_ctx *ctx, void *obj, uint64_t steps_left)
{
    chain_state *c = obj;
    c->sum += (uint64_t)sim_now(ctx);
    if (steps_left > 0)
        sim_after(ctx, CHAIN_STEP_US, chain_step, obj, steps_left - 1);
    else
        sim_after(ctx, CHAIN_WAIT * c->inc[c->next++ & (INC_LEN - 1)], chain_step, obj, CHAIN_STEPS);
}

static int bench_chain(const bench_cfg *cfg, size_t pending, const sim_us *inc,
                       bench_result *res, uint64_t *checksum)
{
    sim_ctx *ctx = sim_new(SEED);
    if (!ctx)
        return -1;
    chain_state c = { inc, 0, 0 };
    for (size_t i = 0; i < pending; i++)
        sim_at(ctx, CHAIN_WAIT * inc[c.next++ & (INC_LEN - 1)], chain_step, &c, CHAIN_STEPS);
    /* Simulated time per chunk: about 16,384 events at `pending` actors of
     * CHAIN_STEPS + 1 events per CHAIN_WAIT seconds each. */
    sim_us span = (sim_us)(BATCH * CHAIN_WAIT * SIM_US_PER_S / (pending * (CHAIN_STEPS + 1))) + 1;
    sim_run_until(ctx, sim_now(ctx) + (sim_us)(cfg->warm_ops / BATCH + 1) * span);
    res->events = 0;
    res->seconds = 0;
    for (int r = 0; r < REPS; r++) {
        uint64_t e0 = sim_events(ctx);
        double t0 = wall_s(), dt;
        do
            sim_run_until(ctx, sim_now(ctx) + span);
        while ((dt = wall_s() - t0) < cfg->min_s);
        uint64_t n = sim_events(ctx) - e0;
        res->rate[r] = (double)n / dt;
        res->events += n;
        res->seconds += dt;
    }
    *checksum = c.sum;
    int ok = !sim_out_of_memory(ctx) && res->events > 0;
    sim_free(ctx);
    return ok ? 0 : -1;
}

/* M/M/1: Poisson arrivals at rate lambda, exponential service at rate mu,
 * rates per simulated second. Tracks the time-average number in system as
 * a check that the engine runs the model it claims to. */
typedef sim_us (*mm1_draw)(gsl_rng *r, double mean_us);

typedef struct {
    gsl_rng *arr, *svc;
    mm1_draw draw;
    double arr_mean_us, svc_mean_us;
    int64_t in_system;
    sim_us last;
    int64_t area;   /* integral of in_system dt, customer-us */
    sim_us busy;    /* time with in_system > 0, us */
} mm1;

static sim_us draw_us(gsl_rng *r, double mean_us)
{
    return (sim_us)(gsl_ran_exponential(r, mean_us) + 0.5);
}

static sim_us draw_zig_us(gsl_rng *r, double mean_us)
{
    return (sim_us)(rng_exp(r, mean_us) + 0.5);
}

static void mm1_account(mm1 *m, sim_us now)
{
    m->area += m->in_system * (now - m->last);
    m->busy += m->in_system > 0 ? now - m->last : 0;
    m->last = now;
}

static void mm1_depart(sim_ctx *ctx, void *obj, uint64_t arg)
{
    mm1 *m = obj;
    (void)arg;
    mm1_account(m, sim_now(ctx));
    if (--m->in_system > 0)
        sim_after(ctx, m->draw(m->svc, m->svc_mean_us), mm1_depart, m, 0);
}

static void mm1_arrive(sim_ctx *ctx, void *obj, uint64_t arg)
{
    mm1 *m = obj;
    (void)arg;
    mm1_account(m, sim_now(ctx));
    if (++m->in_system == 1)
        sim_after(ctx, m->draw(m->svc, m->svc_mean_us), mm1_depart, m, 0);
    sim_after(ctx, m->draw(m->arr, m->arr_mean_us), mm1_arrive, m, 0);
}

/* A stream of generator type t seeded as rng_new seeds its generator. */
static gsl_rng *other_rng(const gsl_rng_type *t, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(t);
    uint64_t s = rng_derive(SEED, rng_stream_id(name));
    if (r)
        gsl_rng_set(r, (unsigned long)((s >> 32) ^ (s & 0xffffffffu)));
    return r;
}

/* gen NULL: the shipped streams (sim_rng, taus2); else streams of gen. */
static int bench_mm1(const bench_cfg *cfg, double lambda, double mu, const gsl_rng_type *gen,
                     mm1_draw draw, bench_result *res, double *mean_in_system, double *util)
{
    sim_ctx *ctx = sim_new(SEED);
    if (!ctx)
        return -1;
    gsl_rng *own_arr = gen ? other_rng(gen, "arrivals") : NULL, *own_svc = gen ? other_rng(gen, "service") : NULL;
    mm1 m = { gen ? own_arr : sim_rng(ctx, "arrivals"), gen ? own_svc : sim_rng(ctx, "service"), draw,
              SIM_US_PER_S / lambda, SIM_US_PER_S / mu, 0, 0, 0, 0 };
    if (!m.arr || !m.svc) {
        gsl_rng_free(own_arr);
        gsl_rng_free(own_svc);
        sim_free(ctx);
        return -1;
    }
    sim_at(ctx, 0, mm1_arrive, &m, 0);
    sim_run_until(ctx, 20 * cfg->mm1_span); /* warm-up, not counted */
    mm1_account(&m, sim_now(ctx));
    int64_t area0 = m.area;
    sim_us busy0 = m.busy, t0_sim = sim_now(ctx);
    res->events = 0;
    res->seconds = 0;
    for (int r = 0; r < REPS; r++) {
        uint64_t e0 = sim_events(ctx);
        double t0 = wall_s(), dt;
        do
            sim_run_until(ctx, sim_now(ctx) + cfg->mm1_span);
        while ((dt = wall_s() - t0) < cfg->min_s);
        uint64_t n = sim_events(ctx) - e0;
        res->rate[r] = (double)n / dt;
        res->events += n;
        res->seconds += dt;
    }
    mm1_account(&m, sim_now(ctx));
    double span = (double)(sim_now(ctx) - t0_sim);
    *mean_in_system = (double)(m.area - area0) / span;
    *util = (double)(m.busy - busy0) / span;
    gsl_rng_free(own_arr);
    gsl_rng_free(own_svc);
    sim_free(ctx);
    return 0;
}

/* Raw draws per second of one generator: gsl_rng_get, and the exponential. */
static double draws_per_s(const bench_cfg *cfg, const gsl_rng_type *t, int how, double *sink)
{
    gsl_rng *r = other_rng(t, "bench.draws");
    double acc = 0, t0 = wall_s(), dt;
    uint64_t n = 0;
    if (!r)
        return 0;
    do {
        for (int i = 0; i < 65536; i++)
            acc += how == 0 ? (double)gsl_rng_get(r) : how == 1 ? gsl_ran_exponential(r, 1.0) : rng_exp(r, 1.0);
        n += 65536;
    } while ((dt = wall_s() - t0) < cfg->min_s);
    gsl_rng_free(r);
    *sink += acc;
    return (double)n / dt;
}

/* Mean and variance of n rng_exp Exp(1) draws (both should be 1), and the
 * largest gap between the empirical and the exact CDF on a 0.01 grid
 * (a Kolmogorov-Smirnov distance, for 1e6 draws ~0.0014 at the 95 % level). */
static void zig_check(const gsl_rng_type *t, uint64_t n, double *mean, double *var, double *ks)
{
    enum { NB = 1500 };
    static uint64_t bins[NB + 1];
    gsl_rng *r = other_rng(t, "bench.zigcheck");
    double s = 0, s2 = 0;
    for (int b = 0; b <= NB; b++)
        bins[b] = 0;
    for (uint64_t i = 0; r && i < n; i++) {
        double x = rng_exp(r, 1.0);
        s += x;
        s2 += x * x;
        int b = x < NB * 0.01 ? (int)(x / 0.01) : NB;
        bins[b]++;
    }
    gsl_rng_free(r);
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
    uint64_t below = 0;
    *ks = 0;
    for (int b = 0; b < NB; b++) {
        below += bins[b];
        double d = fabs((double)below / (double)n - (1 - exp(-(b + 1) * 0.01)));
        *ks = d > *ks ? d : *ks;
    }
}

static void print_row(const char *name, const char *size, const bench_result *r,
                      double target)
{
    double med = median(r->rate);
    printf("%-6s %9s %14.2f %14.2f %12" PRIu64 " %8.3f", name, size, med / 1e6,
           best(r->rate) / 1e6, r->events, r->seconds);
    if (target > 0)
        printf("   >= %.0f M: %s", target / 1e6, med >= target ? "met" : "MISSED");
    printf("\n");
}

static void json_rates(FILE *f, const bench_result *r, double target, int quick)
{
    fprintf(f, "\"events\": %" PRIu64 ", \"seconds\": %.6f, \"events_per_s\": %.0f, "
               "\"best_events_per_s\": %.0f, \"reps\": %d, \"quick\": %s, \"clock\": \"%s\"",
            r->events, r->seconds, median(r->rate), best(r->rate), REPS,
            quick ? "true" : "false", bench_clock == CLOCK_MONOTONIC ? "wall" : "cpu");
    if (target > 0)
        fprintf(f, ", \"target_events_per_s\": %.0f, \"target_met\": %s", target,
                median(r->rate) >= target ? "true" : "false");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_engine [--quick] [--json FILE]\n"
               "  --quick      ~100x less work (a smoke test, not a measurement)\n"
               "  --cpu-clock  time by process CPU time, not wall time (a shared, busy machine)\n"
               "  --json FILE  also write one JSON object per line to FILE\n");
}

int main(int argc, char **argv)
{
    bench_cfg cfg = { 0.3, 1000000, 10000 * SIM_US_PER_S, 0, NULL };
    const char *json_path = NULL;
    static const struct option opts[] = {
        { "quick", no_argument, NULL, 'q' },
        { "json", required_argument, NULL, 'j' },
        { "cpu-clock", no_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'q': cfg.quick = 1; break;
        case 'j': json_path = optarg; break;
        case 'c': bench_clock = CLOCK_PROCESS_CPUTIME_ID; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "Try 'bench_engine --help' for more information.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bench_engine: unexpected argument '%s'\n"
                        "Try 'bench_engine --help' for more information.\n", argv[optind]);
        return 2;
    }
    if (cfg.quick) {
        cfg.min_s /= 100;
        cfg.warm_ops /= 100;
        cfg.mm1_span /= 100;
    }
    if (json_path && !(cfg.json = fopen(json_path, "w"))) {
        perror(json_path);
        return 1;
    }

    /* Increments: exponential, mean 1 s, drawn up front so the hold loop
     * times the queue and not the generator. */
    static sim_us inc[INC_LEN];
    gsl_rng *r = rng_new(SEED, "bench.hold");
    if (!r)
        return 1;
    for (size_t i = 0; i < INC_LEN; i++)
        inc[i] = (sim_us)(gsl_ran_exponential(r, (double)SIM_US_PER_S) + 0.5);
    gsl_rng_free(r);

    printf("engine benchmarks%s: events/s in millions, median and best of %d "
           "segments of >= %.3f s of %s\n", cfg.quick ? " (--quick: smoke test only)" : "",
           REPS, cfg.min_s, bench_clock == CLOCK_MONOTONIC ? "wall time" : "CPU time (--cpu-clock)");
    printf("hold = eq_pop + eq_push of the popped event, increments pre-generated "
           "(GSL exponential, mean 1 s, %u cycled): RNG not timed\n", INC_LEN);
    printf("%-6s %9s %14s %14s %12s %8s   %s\n", "bench", "pending", "median M/s",
           "best M/s", "events", "wall s", "target");
    static const size_t sizes[] = { 10, 1000, 100000 };
    static const double targets[] = { 40e6, 0, 10e6 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        bench_result res;
        uint64_t checksum;
        if (bench_hold(&cfg, sizes[i], inc, &res, &checksum) != 0) {
            fprintf(stderr, "bench_engine: hold with %zu pending failed\n", sizes[i]);
            return 1;
        }
        char size[32];
        snprintf(size, sizeof size, "%zu", sizes[i]);
        print_row("hold", size, &res, targets[i]);
        if (cfg.json) {
            fprintf(cfg.json, "{\"bench\": \"hold\", \"pending\": %zu, "
                              "\"increments\": \"pregenerated\", \"checksum\": %" PRIu64 ", ",
                    sizes[i], checksum);
            json_rates(cfg.json, &res, targets[i], cfg.quick);
            fprintf(cfg.json, "}\n");
        }
    }

    {
        bench_result res;
        uint64_t checksum;
        const size_t pending = 100;
        if (bench_chain(&cfg, pending, inc, &res, &checksum) != 0) {
            fprintf(stderr, "bench_engine: chain with %zu pending failed\n", pending);
            return 1;
        }
        print_row("chain", "100", &res, 0);
        printf("chain = on sim_ctx, 100 actors: %d steps of %d ms (a KV operation chain), then "
               "%d x the hold increment\n", CHAIN_STEPS, (int)(CHAIN_STEP_US / SIM_US_PER_MS), CHAIN_WAIT);
        if (cfg.json) {
            fprintf(cfg.json, "{\"bench\": \"chain\", \"pending\": %zu, \"steps\": %d, "
                              "\"step_us\": %d, \"wait_x\": %d, \"checksum\": %" PRIu64 ", ",
                    pending, CHAIN_STEPS, (int)CHAIN_STEP_US, CHAIN_WAIT, checksum);
            json_rates(cfg.json, &res, 0, cfg.quick);
            fprintf(cfg.json, "}\n");
        }
    }

    const double lambda = 0.9, mu = 1.0, rho = lambda / mu;
    /* The shipped M/M/1 first; then the other generator/exponential pairs
     * (not shipped: docs/performance.md, "The RNG"). */
    static const struct {
        const char *name, *what;
        const gsl_rng_type *const *gen; /* NULL: the shipped streams */
        mm1_draw draw;
    } variants[] = {
        { "mm1", "shipped: taus2 + rng_exp (ziggurat)", NULL, draw_zig_us },
        { "mm1-mt", "before: MT19937 + gsl_ran_exponential", &gsl_rng_mt19937, draw_us },
        { "mm1-taus2", "taus2 + gsl_ran_exponential", &gsl_rng_taus2, draw_us },
        { "mm1-mt-zig", "MT19937 + rng_exp (ziggurat)", &gsl_rng_mt19937, draw_zig_us },
    };
    double shipped = 0;
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        bench_result res;
        double l, util;
        if (bench_mm1(&cfg, lambda, mu, variants[v].gen ? *variants[v].gen : NULL, variants[v].draw, &res, &l,
                      &util) != 0) {
            fprintf(stderr, "bench_engine: M/M/1 (%s) failed\n", variants[v].name);
            return 1;
        }
        if (v == 0)
            shipped = median(res.rate);
        printf("%-13s %14.2f M/s (x%.2f)  %s; mean in system %.2f (theory %.2f), utilisation %.3f (theory %.3f)\n",
               variants[v].name, median(res.rate) / 1e6, median(res.rate) / shipped, variants[v].what, l,
               rho / (1 - rho), util, rho);
        if (cfg.json) {
            fprintf(cfg.json, "{\"bench\": \"%s\", \"rng\": \"%s\", \"lambda\": %.3f, \"mu\": %.3f, "
                              "\"mean_in_system\": %.4f, \"theory_mean_in_system\": %.4f, "
                              "\"utilisation\": %.4f, \"vs_shipped\": %.3f, ",
                    variants[v].name, variants[v].what, lambda, mu, l, rho / (1 - rho), util,
                    median(res.rate) / shipped);
            json_rates(cfg.json, &res, 0, cfg.quick);
            fprintf(cfg.json, "}\n");
        }
    }
    double sink = 0, zm, zv, zks;
    uint64_t zn = cfg.quick ? 100000 : 10000000;
    printf("raw draws, M/s: mt19937 get %.1f, gsl exponential %.1f, rng_exp %.1f; taus2 get %.1f, gsl exponential "
           "%.1f, rng_exp %.1f\n",
           draws_per_s(&cfg, gsl_rng_mt19937, 0, &sink) / 1e6, draws_per_s(&cfg, gsl_rng_mt19937, 1, &sink) / 1e6,
           draws_per_s(&cfg, gsl_rng_mt19937, 2, &sink) / 1e6, draws_per_s(&cfg, gsl_rng_taus2, 0, &sink) / 1e6,
           draws_per_s(&cfg, gsl_rng_taus2, 1, &sink) / 1e6, draws_per_s(&cfg, gsl_rng_taus2, 2, &sink) / 1e6);
    zig_check(gsl_rng_taus2, zn, &zm, &zv, &zks);
    printf("rng_exp check, %" PRIu64 " taus2 draws: mean %.5f, variance %.5f (both 1), KS distance %.5f "
           "(95 %% bound %.5f)\n", zn, zm, zv, zks, 1.36 / sqrt((double)zn));
    if (sink == 0) /* keeps the timed draws from being optimised away */
        printf("(no draws)\n");
    if (cfg.json) {
        fprintf(cfg.json, "{\"bench\": \"zig-check\", \"draws\": %" PRIu64 ", \"mean\": %.6f, "
                          "\"variance\": %.6f, \"ks\": %.6f, \"ks95\": %.6f}\n",
                zn, zm, zv, zks, 1.36 / sqrt((double)zn));
        if (fclose(cfg.json) != 0) {
            perror(json_path);
            return 1;
        }
    }
    return 0;
}
