/* endpoint.h - the Worker's endpoints as MODEL.md section 2 lists them:
 * POST /api/comments, GET /api/queue/pending, POST /api/queue/claim,
 * /complete and /fail, plus the cron-triggered invocation of Option 3 and
 * GET /api/comments, the chat page's own poll of the cache (readers).
 * Their code is the seed's; the strategy's hooks replace marked steps. */
#ifndef QSIM_ENDPOINT_H
#define QSIM_ENDPOINT_H

#include "model/call.h"
#include "model/strategy.h"

/* Installs the endpoints into env under strategy set st (kept by
 * reference: it must outlive the run). */
void ep_install(call_env *env, const st_set *st);

/* The same under the deployed comments-worker.js (endpoint_deployed.c):
 * env->endpoints must be CALL_EP_DEPLOYED (call_env_deployed). */
void ep_install_deployed(call_env *env, const st_set *st);

/* Shared steps that strategies reuse. */
/* Reads message m's individual key: current format, then on a miss the
 * legacy one when legacy_fallback. Sets c->key and c->found (-1: missing);
 * c->op.res is the last get's result. */
int ep_lookup(call *c, int lvl, uint32_t m, int legacy_fallback);
/* Is entry e work for the bots (a human message addressed to an entity)? */
int ep_is_bot_work(const call *c, const kv_entry *e);
/* Appends m to the pending response. */
void ep_return(call *c, uint32_t m);
/* The seed's pending endpoint (cache read, verification scan, the
 * strategy's hooks) as a coroutine at level lvl. */
int ep_pending_body(call *c, int lvl);
/* The seed's cache update of claim/complete/fail: one try, errors logged. */
int ep_cache_update_seed(call *c, int lvl);

#endif
