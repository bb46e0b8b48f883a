/* endpoint.c - the endpoints, written to read like comments-worker.js.
 *
 * Each is a coroutine (call.h) at level 0; hooks and shared steps run at
 * deeper levels. Where the seed wraps a cache update in try/catch that only
 * logs, the error is counted (cache_update.swallowed.*) and the request
 * still succeeds. Choices where the seed is silent are in docs/model.md. */
#include "endpoint.h"

static const st_hooks *hooks(const call *c)
{
    return &c->env->strategy->h;
}

int ep_is_bot_work(const call *c, const kv_entry *e)
{
    (void)c;
    return e->work;
}

void ep_return(call *c, uint32_t m)
{
    if (c->nret < c->env->window)
        c->ret[c->nret++] = m;
}

/* The pending scan's steps, inlined into its loop (a call per resume
 * otherwise). */
#define EP_INLINE static inline __attribute__((always_inline))

int ep_lookup(call *c, int lvl, uint32_t m, int legacy_fallback)
{
    CO_BEGIN(c, lvl);
    c->found = -1;
    c->key = kv_key_msg(m, 0);
    CALL_GET(c, lvl, c->key);
    if (c->op.res == KV_MISS && legacy_fallback) {
        c->key = kv_key_msg(m, 1);
        CALL_GET(c, lvl, c->key);
    }
    if (c->op.res == KV_OK) {
        c->found = c->op.status;
        c->found_attempts = c->op.attempts;
    }
    CO_END(c, lvl);
}

/* The seed's verification, ground truth from the individual key, is
 * written into the scan's loop below (ep_pending_body): ep_lookup(), then
 * "if (found === pending) return it", at the scan's own coroutine level, so
 * a resume dispatches once, not once per nested level. */

/* The seed's cache update in claim/complete/fail: one try, errors logged. */
int ep_cache_update_seed(call *c, int lvl)
{
    int idx;
    CO_BEGIN(c, lvl);
    CALL_GET(c, lvl, KV_KEY_CACHE);
    if (call_failed(c)) {
        call_swallowed(c, c->op.res);
        CO_RETURN(c, lvl);
    }
    if (c->op.res == KV_MISS) /* if (cachedData) */
        CO_RETURN(c, lvl);
    call_take_list(c);
    if (c->list->corrupt) {
        call_swallowed(c, CALL_EPARSE);
        CO_RETURN(c, lvl);
    }
    idx = kv_list_find(c->list, c->msg);
    if (idx < 0) {
        call_entry_missing(c);
        CO_RETURN(c, lvl);
    }
    if (kv_list_set_status(c->env->kv, &c->list, (uint32_t)idx, c->target) != 0)
        CO_RETURN(c, lvl);
    CALL_PUT_LIST(c, lvl);
    if (call_failed(c))
        call_swallowed(c, c->op.res);
    CO_END(c, lvl);
}

/* The status a post stores: pending for a human message to an entity. */
static int post_status(const call *c)
{
    const msg *m = msg_get(c->env->msgs, c->msg);
    return m->type == MT_HUMAN && m->entity ? MS_PENDING : MS_NONE;
}

/* The seed's post append (get cache, append, keep the window, put). */
static int ep_post_append_seed(call *c, int lvl)
{
    CO_BEGIN(c, lvl);
    /* try { get cache; append; keep newest window; put } catch { log } */
    CALL_GET(c, lvl, KV_KEY_CACHE);
    if (call_failed(c)) {
        call_swallowed(c, c->op.res);
        CO_RETURN(c, lvl);
    }
    if (c->op.res == KV_MISS) {
        kv_list_unref(c->env->kv, c->list);
        c->list = kv_list_new(c->env->kv);
    } else {
        call_take_list(c);
    }
    if (!c->list)
        CO_RETURN(c, lvl);
    if (c->list->corrupt) {
        call_swallowed(c, CALL_EPARSE);
        CO_RETURN(c, lvl);
    }
    if (kv_list_mutable(c->env->kv, &c->list) != 0)
        CO_RETURN(c, lvl);
    kv_list_append(c->env->kv, c->list, c->msg, post_status(c));
    CALL_PUT_LIST(c, lvl);
    if (call_failed(c))
        call_swallowed(c, c->op.res);
    CO_END(c, lvl);
}

static int post(call *c)
{
    const st_hooks *h = hooks(c);
    CO_BEGIN(c, 0);
    CALL_PUT_STATUS(c, 0, kv_key_msg(c->msg, msg_get(c->env->msgs, c->msg)->legacy), post_status(c));
    if (call_failed(c)) {
        c->status = 500;
        CO_RETURN(c, 0);
    }
    c->status = 201;
    CO_AWAIT(c, 0, (h->post_append ? h->post_append : ep_post_append_seed)(c, 1));
    CO_END(c, 0);
}

/* The next entry at or after i that the scan must verify: bot work whose
 * cache status is not terminal (or whatever the strategy says). A tight
 * loop of its own: the scan's coroutine re-enters only at verifications. */
EP_INLINE uint32_t next_to_verify(call *c, const st_hooks *h, uint32_t i)
{
    kv_list *l = c->list;
    if (!h->pending_should_verify)
        return kv_list_next_open_at(l, i, &c->open_k);
    for (; i < l->n; i++)
        if (l->e[i].work && h->pending_should_verify(c, &l->e[i]))
            break;
    return i;
}

int ep_pending_body(call *c, int lvl)
{
    const st_hooks *h = hooks(c);
    CO_BEGIN(c, lvl);
    c->nret = 0;
    CALL_GET(c, lvl, KV_KEY_CACHE);
    if (call_failed(c)) {
        c->status = 500;
        CO_RETURN(c, lvl);
    }
    if (c->op.res == KV_MISS) { /* JSON.parse(null) is null; iterating it throws */
        c->status = 500;
        CO_RETURN(c, lvl);
    }
    call_take_list(c);
    if (c->list->corrupt) { /* JSON.parse throws, uncaught */
        c->status = 500;
        CO_RETURN(c, lvl);
    }
    c->open_k = 0;
    for (c->i = next_to_verify(c, h, 0); c->i < c->list->n; c->i = next_to_verify(c, h, c->i + 1)) {
        if (h->pending_verify) {
            CO_AWAIT(c, lvl, h->pending_verify(c, lvl + 1));
        } else { /* the seed's: ep_lookup(m, legacy fallback), flattened */
            c->found = -1;
            c->key = kv_key_msg(c->list->e[c->i].msg, 0);
            CALL_GET(c, lvl, c->key);
            if (c->op.res == KV_MISS) {
                c->key = kv_key_msg(c->list->e[c->i].msg, 1);
                CALL_GET(c, lvl, c->key);
            }
            if (c->op.res == KV_OK) {
                c->found = c->op.status;
                c->found_attempts = c->op.attempts;
            }
            if (c->found == MS_PENDING)
                ep_return(c, c->list->e[c->i].msg);
        }
        if (call_failed(c)) { /* a throwing get inside the loop: 500 */
            c->status = 500;
            c->nret = 0;
            CO_RETURN(c, lvl);
        }
    }
    if (h->pending_after_scan)
        CO_AWAIT(c, lvl, h->pending_after_scan(c, lvl + 1));
    c->status = 200;
    CO_END(c, lvl);
}

static int pending(call *c)
{
    return ep_pending_body(c, 0);
}

/* claim, complete and fail share one shape: look the key up, check, write
 * the new status, then update the cache entry (hookable). */
static int transition(call *c)
{
    const st_hooks *h = hooks(c);
    CO_BEGIN(c, 0);
    c->target = c->kind == EP_CLAIM ? MS_PROCESSING : c->kind == EP_COMPLETE ? MS_COMPLETE : MS_FAILED;
    CO_AWAIT(c, 0, ep_lookup(c, 1, c->msg, 1));
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
    /* complete/fail set message.botParams.status on the parsed key value,
     * outside any try/catch: on a message without botParams (plain chat,
     * AI replies) that throws a TypeError and the Worker answers 500, after
     * the lookup's reads and before any write. A message with botParams but
     * no status gets one. Claim's check reads the status and refuses (409)
     * above, so it never gets here with such a message. */
    if (!msg_get(c->env->msgs, c->msg)->entity) {
        c->status = 500;
        CO_RETURN(c, 0);
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

static int cron(call *c)
{
    const st_hooks *h = hooks(c);
    CO_BEGIN(c, 0);
    if (h->cron_job)
        CO_AWAIT(c, 0, h->cron_job(c, 1));
    c->status = 200;
    CO_END(c, 0);
}

/* GET /api/comments?after=<ts>, the chat page's cursor poll: one get of the
 * cache, filtered in memory. Its try/catch answers 200 with [] on any error
 * (a failed get, an unparseable cache) and a missing cache is [] too: no
 * fallback in this branch (docs/model.md#readers). */
static int comments(call *c)
{
    CO_BEGIN(c, 0);
    CALL_GET(c, 0, KV_KEY_CACHE);
    c->status = 200;
    CO_END(c, 0);
}

/* An endpoint the strategy replaced as a whole. */
static int replaced(call *c)
{
    return hooks(c)->endpoint[c->kind](c, 0);
}

void ep_install(call_env *env, const st_set *st)
{
    env->strategy = st;
    env->entry[EP_POST] = post;
    env->entry[EP_PENDING] = pending;
    env->entry[EP_CLAIM] = transition;
    env->entry[EP_COMPLETE] = transition;
    env->entry[EP_FAIL] = transition;
    env->entry[EP_CRON] = cron;
    env->entry[EP_COMMENTS] = comments;
    for (int e = 0; e < EP_COUNT; e++)
        if (st->h.endpoint[e])
            env->entry[e] = replaced;
}
