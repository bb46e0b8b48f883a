/* endpoint_deployed.c - the endpoints as the deployed comments-worker.js
 * runs them ("endpoints": "deployed"), beside the write-up's excerpt in
 * endpoint.c. Each difference, with its source, is in docs/model.md
 * ("The deployed Worker"):
 *
 *   post      rate-limit get + put (senders that are not exempt; 429 past
 *             the limit), put comment:<id>, the cache update (kept sorted
 *             by client timestamp; an unparseable cache is reset), put
 *             dashboard:heartbeat (uncaught: a failure answers 500), and a
 *             read-modify-write of message-count (caught);
 *   pending   the seed's scan, then the verified messages sorted by
 *             priority (higher first), then oldest first, at most limit;
 *   claim, complete, fail
 *             comment:<id> only (a legacy message is a 404); fail counts
 *             botParams.attempts and is pending again until the last.
 *
 * Strategies hook in as they do over the write-up's code: the pending
 * scan, its hooks and the claim/complete/fail cache update are shared. */
#include "endpoint.h"

#include <string.h>

static const st_hooks *hooks(const call *c)
{
    return &c->env->strategy->h;
}

/* The sender's rate-limit slot, or nsenders when it has none (exempt). */
static uint32_t sender_slot(const call *c)
{
    const call_env *env = c->env;
    const msg *m = msg_get(env->msgs, c->msg);
    for (uint32_t k = 0; k < env->nsenders; k++)
        if (strcmp(env->senders[k].name, c->actor) == 0) {
            int limited = env->senders[k].limited == CALL_RL_BY_TYPE ? m->type == MT_HUMAN
                                                                     : env->senders[k].limited == CALL_RL_LIMITED;
            return limited ? k : env->nsenders;
        }
    return env->nsenders;
}

/* try { get cache; parse (or start over); push; sort; trim; put } catch { log } */
static int post_cache(call *c, int lvl)
{
    const msg *m = msg_get(c->env->msgs, c->msg);
    int status = m->type == MT_HUMAN && m->entity ? MS_PENDING : MS_NONE;
    CO_BEGIN(c, lvl);
    CALL_GET(c, lvl, KV_KEY_CACHE);
    if (call_failed(c)) {
        call_swallowed(c, c->op.res);
        CO_RETURN(c, lvl);
    }
    if (c->op.res == KV_OK)
        call_take_list(c);
    if (c->op.res == KV_MISS || c->list->corrupt) {
        /* a missing or unparseable cache starts again with this message */
        if (c->list && c->list->corrupt)
            met_add(sim_metrics(c->env->ctx), c->env->m_cache_reset, sim_now(c->env->ctx), 1);
        kv_list_unref(c->env->kv, c->list);
        c->list = kv_list_new(c->env->kv);
    }
    if (!c->list || kv_list_mutable(c->env->kv, &c->list) != 0)
        CO_RETURN(c, lvl);
    kv_list_insert_sorted(c->env->kv, c->list, c->msg, status);
    CALL_PUT_LIST(c, lvl);
    if (call_failed(c))
        call_swallowed(c, c->op.res);
    CO_END(c, lvl);
}

static int post(call *c)
{
    const call_env *env = c->env;
    const msg *m = msg_get(env->msgs, c->msg);
    int status = m->type == MT_HUMAN && m->entity ? MS_PENDING : MS_NONE;
    CO_BEGIN(c, 0);
    c->slot = sender_slot(c);
    if (c->slot < env->nsenders) {
        /* const n = parseInt(await KV.get(rlKey)) || 0; if (n >= max) 429;
         * await KV.put(rlKey, String(n + 1), { expirationTtl }) */
        CALL_GET(c, 0, kv_key_rate_limit(c->slot));
        if (call_failed(c)) {
            c->status = 500;
            CO_RETURN(c, 0);
        }
        if (c->op.res == KV_OK && c->op.num >= env->dep.rate_posts) {
            c->status = 429;
            CO_RETURN(c, 0);
        }
        CALL_PUT_NUM(c, 0, kv_key_rate_limit(c->slot), (c->op.res == KV_OK ? c->op.num : 0) + 1,
                     env->dep.rate_window);
        if (call_failed(c)) {
            c->status = 500;
            CO_RETURN(c, 0);
        }
    }
    CALL_PUT_STATUS(c, 0, kv_key_msg(c->msg, m->legacy), status);
    if (call_failed(c)) {
        c->status = 500;
        CO_RETURN(c, 0);
    }
    c->stored = 1;
    CO_AWAIT(c, 0, post_cache(c, 1));
    /* await KV.put('dashboard:heartbeat', Date.now()): outside any try */
    CALL_PUT_NUM(c, 0, KV_KEY_HEARTBEAT, env->epoch_ms + sim_now(env->ctx) / SIM_US_PER_MS, 0);
    if (call_failed(c)) {
        c->status = 500;
        CO_RETURN(c, 0);
    }
    c->status = 201;
    /* try { n = parseInt(await KV.get('message-count')) || 0; put n + 1 } catch {} */
    CALL_GET(c, 0, KV_KEY_MSG_COUNT);
    if (call_failed(c))
        CO_RETURN(c, 0);
    CALL_PUT_NUM(c, 0, KV_KEY_MSG_COUNT, (c->op.res == KV_OK ? c->op.num : 0) + 1, 0);
    CO_END(c, 0);
}

/* Does a come before b in the response: higher priority, then older
 * client timestamp; equal keys keep the scan's (cache) order. */
static int served_before(const msg_table *t, uint32_t a, uint32_t b)
{
    const msg *x = msg_get(t, a), *y = msg_get(t, b);
    if (x->priority != y->priority)
        return x->priority > y->priority;
    return x->ts_ms < y->ts_ms;
}

static int pending(call *c)
{
    CO_BEGIN(c, 0);
    CO_AWAIT(c, 0, ep_pending_body(c, 1));
    if (c->status != 200)
        CO_RETURN(c, 0);
    /* stable insertion sort: at most a window's worth of messages */
    for (uint32_t i = 1; i < c->nret; i++) {
        uint32_t v = c->ret[i], j = i;
        for (; j > 0 && served_before(c->env->msgs, v, c->ret[j - 1]); j--)
            c->ret[j] = c->ret[j - 1];
        c->ret[j] = v;
    }
    if (c->nret > c->env->dep.pending_limit)
        c->nret = c->env->dep.pending_limit;
    CO_END(c, 0);
}

static int transition(call *c)
{
    const st_hooks *h = hooks(c);
    CO_BEGIN(c, 0);
    c->target = c->kind == EP_CLAIM ? MS_PROCESSING : c->kind == EP_COMPLETE ? MS_COMPLETE : MS_FAILED;
    CO_AWAIT(c, 0, ep_lookup(c, 1, c->msg, 0)); /* comment:<id> only */
    if (call_failed(c)) {
        c->status = 500;
        CO_RETURN(c, 0);
    }
    if (c->found < 0) {
        c->status = 404;
        CO_RETURN(c, 0);
    }
    if (c->kind == EP_CLAIM && c->found != MS_PENDING) {
        c->status = 409;
        CO_RETURN(c, 0);
    }
    if (c->kind == EP_FAIL) {
        /* attempts = (attempts || 0) + 1; failed on the last, else pending */
        if (c->found_attempts < UINT8_MAX)
            c->found_attempts++;
        c->target = c->found_attempts >= c->env->dep.max_attempts ? MS_FAILED : MS_PENDING;
    }
    CALL_PUT_STATUS(c, 0, c->key, c->target);
    if (call_failed(c)) {
        c->status = 500;
        CO_RETURN(c, 0);
    }
    CO_AWAIT(c, 0, (h->cache_update ? h->cache_update : ep_cache_update_seed)(c, 1));
    c->status = 200;
    CO_END(c, 0);
}

void ep_install_deployed(call_env *env, const st_set *st)
{
    ep_install(env, st); /* cron is the write-up's */
    env->entry[EP_POST] = post;
    env->entry[EP_PENDING] = pending;
    env->entry[EP_CLAIM] = transition;
    env->entry[EP_COMPLETE] = transition;
    env->entry[EP_FAIL] = transition;
}
