/* human.c - Poisson posting. Each arrival draws, in this order: entity?,
 * legacy?, size, id; then the gap to the next arrival. */
#include "human.h"

#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>

struct human {
    actor_env *env;
    const sc_human *cfg;
    gsl_rng *rng;
    kv_streams rs;
    char name[SC_NAME + 8];
};

human *human_new(actor_env *env, const sc_human *cfg)
{
    human *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->env = env;
    h->cfg = cfg;
    snprintf(h->name, sizeof h->name, "human:%s", cfg->name);
    h->rng = sim_rng(env->ctx, h->name);
    if (!h->rng || kv_streams_init(env->ctx, cfg->name, &h->rs) != 0) {
        free(h);
        return NULL;
    }
    snprintf(h->name, sizeof h->name, "%s", cfg->name);
    return h;
}

void human_free(human *h)
{
    free(h);
}

static sim_us gap(human *h)
{
    double us = gsl_ran_exponential(h->rng, 1.0 / h->cfg->rate_per_s) * (double)SIM_US_PER_S;
    if (!(us < 4.0e18)) /* a rate near 0: later than any run ends (and no overflow) */
        return INT64_C(4000000000000000000);
    return us < 1 ? 1 : (sim_us)us;
}

static void arrive(sim_ctx *ctx, void *obj, uint64_t arg)
{
    human *h = obj;
    (void)arg;
    int entity = gsl_rng_uniform(h->rng) < h->cfg->entity_share;
    int legacy = gsl_rng_uniform(h->rng) < h->cfg->legacy_share;
    int32_t bytes = (int32_t)dist_draw(&h->cfg->bytes, h->rng);
    uint32_t m = actor_new_msg(h->env, h->rng, MT_HUMAN, entity, legacy, bytes);
    if (m != MSG_NONE) {
        msg_get(h->env->msgs, m)->priority = (uint8_t)h->cfg->priority;
        call_start(h->env->calls, EP_POST, h->name, &h->rs, h->cfg->loc, m, NULL, 0, NULL, NULL);
    }
    sim_after(ctx, gap(h), arrive, h, 0);
}

void human_start(human *h)
{
    if (h->cfg->rate_per_s > 0)
        sim_after(h->env->ctx, gap(h), arrive, h, 0);
}
