/* cron.c - Cron Triggers: the schedule of a 5-field "every N" expression
 * and the machine each run lands on. */
#include "cron.h"

#include "model/strategy.h"

int cron_init(cron *c, call_env *calls, kv_store *kv, sim_us every, int loc, int nlocs, sim_us epoch)
{
    c->calls = calls;
    c->kv = kv;
    c->every = every;
    c->loc = loc;
    c->cloudflare_loc = nlocs;
    c->epoch = epoch;
    return kv_streams_init(calls->ctx, "cron", &c->rs);
}

/* Each Cron Trigger run lands on a machine Cloudflare picks anew, so it
 * finds no copy of a previous run's reads (an assumption: docs/model.md).
 * A scenario location is itself. */
int cron_machine(cron *c, int loc)
{
    if (loc != ST_CRON_LOC_CLOUDFLARE)
        return loc;
    kv_location_forget(c->kv, c->cloudflare_loc);
    return c->cloudflare_loc;
}

/* N under an hour fires at the minutes of the hour divisible by N (every
 * 7 minutes: :00, :07, ... :56, then :00 again), whole hours under a day at
 * the hours divisible by H, a day at 00:00 UTC. The parser allows only
 * these. */
sim_us cron_next(sim_us utc, sim_us every)
{
    const sim_us min = 60 * SIM_US_PER_S, hour = 60 * min, day = 24 * hour;
    if (every < hour) {
        int64_t n = every / min;
        for (sim_us t = (utc / min + 1) * min;; t += min)
            if (t / min % 60 % n == 0)
                return t;
    }
    if (every < day) {
        int64_t h = every / hour;
        for (sim_us t = (utc / hour + 1) * hour;; t += hour)
            if (t / hour % 24 % h == 0)
                return t;
    }
    return (utc / day + 1) * day;
}

static void fire(sim_ctx *ctx, void *obj, uint64_t arg)
{
    cron *c = obj;
    (void)arg;
    call_start(c->calls, EP_CRON, "cron", &c->rs, cron_machine(c, c->loc), MSG_NONE, NULL, 0, NULL, NULL);
    sim_at(ctx, cron_next(sim_now(ctx) + c->epoch, c->every) - c->epoch, fire, c, 0);
}

void cron_start(cron *c)
{
    sim_at(c->calls->ctx, cron_next(c->epoch, c->every) - c->epoch, fire, c, 0);
}
