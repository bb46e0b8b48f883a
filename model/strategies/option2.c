/* option2.c - Option 2: a robust original update. The cache update in
 * claim/complete/fail re-reads the cache and retries with exponential
 * backoff (first wait strategy.retry_first_backoff, doubling) up to
 * strategy.retry_max_attempts tries, and records every error instead of
 * swallowing it. It fixes nothing that is already stale, and an entry that
 * has aged out of the window cannot be updated at all.
 *
 * strategy.option2_placement says where the update runs. "wait_until"
 * (the default): the handler answers 200 as soon as the key is written and
 * hands the update to ctx.waitUntil, so the bot's next step never waits for
 * the retries; the runtime cancels that work strategy.wait_until_limit
 * after the response (30 s, data/limits), so a retry whose wait would end
 * past that point is never made. "inline": the handler awaits the update,
 * retries included, before it answers. */
#include "model/endpoint.h"
#include "strategies.h"

static int update(call *c, int lvl)
{
    const st_params *p = &c->env->strategy->p;
    int idx;
    CO_BEGIN(c, lvl);
    if (p->option2_placement == ST_PLACE_WAIT_UNTIL) {
        c->status = 200; /* ctx.waitUntil(update()); return 200 */
        call_respond(c);
    }
    for (c->attempt = 1;; c->attempt++) {
        CALL_GET(c, lvl, KV_KEY_CACHE);
        if (c->op.res == KV_MISS)
            CO_RETURN(c, lvl);
        if (!call_failed(c)) {
            call_take_list(c);
            if (c->list->corrupt) {
                call_swallowed(c, CALL_EPARSE);
            } else {
                idx = kv_list_find(c->list, c->msg);
                if (idx < 0) { /* aged out: nothing to update, retrying cannot help */
                    call_entry_missing(c);
                    CO_RETURN(c, lvl);
                }
                if (kv_list_set_status(c->env->kv, &c->list, (uint32_t)idx, c->target) != 0)
                    CO_RETURN(c, lvl);
                CALL_PUT_LIST(c, lvl);
                if (!call_failed(c))
                    CO_RETURN(c, lvl);
                call_swallowed(c, c->op.res);
            }
        } else {
            call_swallowed(c, c->op.res);
        }
        if (c->attempt >= p->retry_max_attempts) {
            call_gave_up(c);
            CO_RETURN(c, lvl);
        }
        if (c->responded &&
            sim_now(c->env->ctx) + (p->retry_first_backoff << (c->attempt - 1)) > c->responded_at + p->wait_until_limit) {
            call_wait_until_cancelled(c); /* the runtime ends the invocation during this wait */
            CO_RETURN(c, lvl);
        }
        call_retried(c);
        CALL_SLEEP(c, lvl, p->retry_first_backoff << (c->attempt - 1));
    }
    CO_END(c, lvl);
}

const st_hooks st_option2 = {
    .name = "2",
    .summary = "robust original update: re-read and retry the cache update with backoff",
    .cache_update = update,
};
