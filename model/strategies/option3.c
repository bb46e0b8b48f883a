/* option3.c - Option 3: a background cleanup. A cron trigger every
 * strategy.cron_every (>= 1 min, Cloudflare's minimum) starts its own
 * invocation at strategy.cron_location: read the cache, verify every
 * non-terminal bot entry against its individual key (legacy fallback
 * included), and put the fixed copy once when something changed. Each run
 * is billed as a Worker request. Like Option 1, the put is of the copy read
 * at the start of the job. */
#include "heal.h"
#include "model/endpoint.h"
#include "strategies.h"

static int job(call *c, int lvl)
{
    CO_BEGIN(c, lvl);
    CALL_GET(c, lvl, KV_KEY_CACHE);
    if (call_failed(c) || c->op.res == KV_MISS) {
        c->status = 500;
        CO_RETURN(c, lvl);
    }
    call_take_list(c);
    if (c->list->corrupt) {
        c->status = 500;
        CO_RETURN(c, lvl);
    }
    for (c->i = 0; c->i < c->list->n; c->i++) {
        if (!ep_is_bot_work(c, &c->list->e[c->i]) || msg_status_terminal(c->list->e[c->i].status))
            continue;
        CO_AWAIT(c, lvl, heal_verify_entry(c, lvl + 1));
        if (call_failed(c)) {
            c->status = 500;
            CO_RETURN(c, lvl);
        }
    }
    if (heal_apply(c) > 0) {
        CALL_PUT_LIST(c, lvl);
        if (call_failed(c)) {
            c->status = 500;
            CO_RETURN(c, lvl);
        }
    }
    c->status = 200;
    CO_END(c, lvl);
}

const st_hooks st_option3 = {
    .name = "3",
    .summary = "cron cleanup every N minutes: verify non-terminal entries, one put",
    .cron_job = job,
};
