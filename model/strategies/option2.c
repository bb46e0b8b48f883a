/* option2.c - Option 2: a robust original update. The cache update in
 * claim/complete/fail re-reads the cache and retries with exponential
 * backoff (first wait strategy.retry_first_backoff, doubling) up to
 * strategy.retry_max_attempts tries, and records every error instead of
 * swallowing it. It fixes nothing that is already stale, and an entry that
 * has aged out of the window cannot be updated at all. */
#include "model/endpoint.h"
#include "strategies.h"

static int update(call *c, int lvl)
{
    const st_params *p = &((const st_set *)c->env->strategy)->p;
    int idx;
    CO_BEGIN(c, lvl);
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
