/* human.c - Poisson posting. Each arrival draws, in this order: entity?,
 * legacy?, size, id; then the gap to the next arrival. */
#include "human.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/rng.h"

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
    double us = rng_exp(h->rng, 1.0 / h->cfg->rate_per_s) * (double)SIM_US_PER_S;
    if (!(us < 4.0e18)) /* a rate near 0: later than any run ends (and no overflow) */
        return INT64_C(4000000000000000000);
    return us < 1 ? 1 : (sim_us)us;
}

/* With a profile: the time to the next arrival of a Poisson process whose
 * rate is constant in each hour, by inversion of its integrated rate (one
 * Exp(1) draw per arrival, as without a profile): walk the hours from now,
 * spending the draw at each hour's rate. Hours of rate 0 are skipped; a
 * profile of zeros never posts. */
static sim_us gap_profile(human *h, sim_us now)
{
    const sim_us hour = 3600 * SIM_US_PER_S, day = 24 * hour;
    const sim_us never = INT64_C(4000000000000000000);
    double e = rng_exp(h->rng, 1.0); /* in posts */
    double per_day = 0;
    for (int i = 0; i < 24; i++)
        per_day += h->cfg->rate_by_hour[i] * 3600.0;
    if (!(per_day > 0))
        return never;
    sim_us t = now;
    /* at most to the next midnight, then whole days at once, then at most
     * a day again (25 hours: rounding may leave a hair of the draw) */
    for (int step = 0; step < 50; step++) {
        if (step > 0 && t % day == 0 && e > per_day) {
            double days = floor(e / per_day);
            if (days * (double)day > (double)(never - t))
                return never;
            t += (sim_us)days * day;
            e -= days * per_day;
        }
        sim_us end = (t / hour + 1) * hour;
        double r = h->cfg->rate_by_hour[(t / hour) % 24];
        double span_s = (double)(end - t) / (double)SIM_US_PER_S;
        if (r > 0 && e <= r * span_s) {
            sim_us d = (sim_us)(e / r * (double)SIM_US_PER_S);
            t += d < 1 ? 1 : d;
            return t - now;
        }
        e -= r * span_s;
        t = end;
    }
    return t - now; /* not reached: the draw is spent within two days of walking */
}

static sim_us next_gap(human *h, sim_us now) { return h->cfg->have_profile ? gap_profile(h, now) : gap(h); }

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
    sim_after(ctx, next_gap(h, sim_now(ctx)), arrive, h, 0);
}

void human_start(human *h)
{
    if (h->cfg->rate_per_s > 0)
        sim_after(h->env->ctx, next_gap(h, sim_now(h->env->ctx)), arrive, h, 0);
}
