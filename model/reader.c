/* reader.c - chat pages reading the cache. A periodic page re-arms itself
 * (arg: the page's index); Poisson pages are one merged process of rate
 * count * rate_per_s, which is the same in law and needs one event. */
#include "reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/rng.h"

struct reader {
    actor_env *env;
    const sc_reader *cfg;
    gsl_rng *rng;
    kv_streams rs;
    char name[SC_NAME];
};

reader *reader_new(actor_env *env, const sc_reader *cfg)
{
    char stream[SC_NAME + 8];
    reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->env = env;
    r->cfg = cfg;
    snprintf(r->name, sizeof r->name, "%s", cfg->name);
    snprintf(stream, sizeof stream, "reader:%s", cfg->name);
    r->rng = sim_rng(env->ctx, stream);
    if (!r->rng || kv_streams_init(env->ctx, cfg->name, &r->rs) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

void reader_free(reader *r)
{
    free(r);
}

static void read_once(reader *r)
{
    call_start(r->env->calls, EP_COMMENTS, r->name, &r->rs, r->cfg->loc, MSG_NONE, NULL, 0, NULL, NULL);
}

static void tick(sim_ctx *ctx, void *obj, uint64_t page)
{
    reader *r = obj;
    read_once(r);
    sim_after(ctx, r->cfg->period, tick, r, page);
}

static sim_us gap(reader *r)
{
    double rate = r->cfg->rate_per_s * (double)r->cfg->count;
    double us = rng_exp(r->rng, 1.0 / rate) * (double)SIM_US_PER_S;
    if (!(us < 4.0e18)) /* a rate near 0: later than any run ends */
        return INT64_C(4000000000000000000);
    return us < 1 ? 1 : (sim_us)us;
}

static void arrive(sim_ctx *ctx, void *obj, uint64_t arg)
{
    reader *r = obj;
    (void)arg;
    read_once(r);
    sim_after(ctx, gap(r), arrive, r, 0);
}

void reader_start(reader *r)
{
    const sc_reader *c = r->cfg;
    if (c->period <= 0) {
        sim_after(r->env->ctx, gap(r), arrive, r, 0);
        return;
    }
    for (int32_t i = 0; i < c->count; i++) {
        sim_us t0 = c->first_poll;
        if (t0 == SC_PHASE_RANDOM) /* pages opened at unrelated moments */
            t0 = (sim_us)floor(gsl_rng_uniform(r->rng) * (double)c->period);
        sim_at(r->env->ctx, t0, tick, r, (uint64_t)i);
    }
}
