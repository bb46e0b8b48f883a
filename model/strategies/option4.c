/* option4.c - Option 4: the queue in one Durable Object (beyond the
 * write-up; what the real system did the day after the incident).
 *
 * Every endpoint becomes one call to a single object (model/durable.h) at
 * strategy.do_location: the object holds the chat window that
 * recent:comments held, one stored row per message with its status, so the
 * cache and the source of truth are one thing and nothing can diverge.
 * Requests are serialised by the object's input gate, so there are no
 * read-modify-write races; KV is not used at all (its initial contents are
 * migrated into the object before time 0, unbilled).
 *
 * strategy.do_storage picks how the object uses its storage:
 *   "scan"   every pending (and GET /api/comments) lists and reads every
 *            stored row, the first real migration's cost trap; claim,
 *            complete and fail read their row; nothing is kept in memory.
 *   "memory" the queue lives in memory and answers from there; storage is
 *            written on each change and read only by the constructor after
 *            an eviction (do_evict_idle idle), which reloads every row.
 * Either way each change writes one row, and a message pushed out of the
 * window deletes its row (one row written). */
#include "model/durable.h"
#include "model/endpoint.h"
#include "strategies.h"

#include <stdlib.h>

enum { P_STORAGE, P_LOCATION, P_RTT_LOCAL, P_RTT_REMOTE, P_SERVICE, P_STORAGE_LAT, P_EVICT, P_COUNT };
enum { STORAGE_SCAN = 0, STORAGE_MEMORY = 1 };

static const char *const storage_names[] = { "scan", "memory", NULL };

#define MS SIM_US_PER_MS
#define S SIM_US_PER_S
static const st_param params[P_COUNT] = {
    { "do_storage", ST_PARAM_ENUM, storage_names, STORAGE_MEMORY, 0, 0,
      "\"scan\": pending lists and reads every stored row; \"memory\": answers from memory" },
    { "do_location", ST_PARAM_LOCATION, NULL, -1, 0, 0,
      "where the object runs (a scenario location; default the first)" },
    { "do_rtt_local", ST_PARAM_DURATION, NULL, 2 * MS, 0, 10 * S,
      "round trip of a Worker-to-object call from the object's own location" },
    { "do_rtt_remote", ST_PARAM_DURATION, NULL, 90 * MS, 0, 10 * S,
      "round trip of a Worker-to-object call from any other location" },
    { "do_service", ST_PARAM_DURATION, NULL, 1 * MS, 0, 10 * S,
      "wall-clock time the object spends on a request (billed duration)" },
    { "do_storage_latency", ST_PARAM_DURATION, NULL, 1 * MS, 0, 10 * S,
      "time a request that reads or writes storage adds" },
    { "do_evict_idle", ST_PARAM_DURATION, NULL, 10 * S, 0, 86400 * S,
      "idle time after which the object leaves memory (0: never)" },
};
#undef MS
#undef S

typedef struct o4 {
    call_env *env;
    do_object *obj;
    int scan;
    kv_list *rows;       /* the stored rows, oldest first: the chat window */
    int8_t *status;      /* stored status by message slot; -1: no row */
    size_t nstatus;
    met_id m_rows_pending, m_pending;
} o4;

/* The per-call state: the call's request to the object. */
typedef struct o4_call {
    do_req req;
} o4_call;

static int backend_status(const void *be, uint32_t key)
{
    const o4 *s = be;
    uint32_t m = kv_key_to_msg(key);
    return m < s->nstatus ? s->status[m] : -1;
}

static const kv_list *backend_cache(const void *be)
{
    return ((const o4 *)be)->rows;
}

static void backend_visit(const void *be, void (*fn)(void *ud, uint32_t m), void *ud)
{
    const o4 *s = be;
    for (uint32_t k = 0; s->rows && k < s->rows->n; k++)
        fn(ud, s->rows->e[k].msg);
}

/* Grows the status array to cover message slot m (doubling). */
static int cover(o4 *s, uint32_t m)
{
    if (m < s->nstatus)
        return 0;
    size_t n = s->nstatus ? s->nstatus : 64;
    while (n <= m)
        n *= 2;
    int8_t *st = realloc(s->status, n);
    if (!st)
        return -1;
    for (size_t i = s->nstatus; i < n; i++)
        st[i] = -1;
    s->status = st;
    s->nstatus = n;
    return 0;
}

/* Starts a change of the window: old keeps the value the tracker saw. */
static kv_list *begin(o4 *s)
{
    kv_list *old = kv_list_ref(s->rows);
    if (kv_list_mutable(s->env->kv, &s->rows) != 0) {
        kv_list_unref(s->env->kv, old);
        return NULL;
    }
    return old;
}

static void end(o4 *s, kv_list *old, int tag)
{
    if (s->env->on_write)
        s->env->on_write(s->env->on_write_ud, KV_KEY_CACHE, old, s->rows, tag);
    kv_list_unref(s->env->kv, old);
    do_set_stored(s->obj, s->rows->n, s->rows->bytes);
}

static void note_status(o4 *s, uint32_t m, int st, int tag)
{
    s->status[m] = (int8_t)st;
    if (s->env->on_write)
        s->env->on_write(s->env->on_write_ud, kv_key_msg(m, msg_get(s->env->msgs, m)->legacy), NULL, NULL, tag);
}

static do_work post(o4 *s, call *c)
{
    do_work w = { 0, 1 };
    const msg *m = msg_get(c->env->msgs, c->msg);
    int st = m->type == MT_HUMAN && m->entity ? MS_PENDING : MS_NONE;
    kv_list *old;
    if (cover(s, c->msg) != 0 || !(old = begin(s))) {
        c->status = 500;
        return (do_work){ 0, 0 };
    }
    uint32_t window = c->env->window, first = s->rows->n >= window ? s->rows->n - window + 1 : 0;
    for (uint32_t k = 0; k < first; k++) { /* pushed out: its row deleted */
        s->status[s->rows->e[k].msg] = -1;
        w.rows_written++;
    }
    note_status(s, c->msg, st, c->kind);
    kv_list_append(c->env->kv, s->rows, c->msg, st);
    end(s, old, c->kind);
    c->status = 201;
    return w;
}

static do_work pending(o4 *s, call *c)
{
    do_work w = { s->scan ? s->rows->n : 0, 0 };
    c->nret = 0;
    for (uint32_t k = 0; k < s->rows->n; k++)
        if (s->rows->e[k].work && s->rows->e[k].status == MS_PENDING)
            ep_return(c, s->rows->e[k].msg);
    met_add(sim_metrics(c->env->ctx), s->m_rows_pending, sim_now(c->env->ctx), w.rows_read);
    c->status = 200;
    return w;
}

static do_work transition(o4 *s, call *c)
{
    do_work w = { s->scan ? 1 : 0, 0 };
    int idx = kv_list_find(s->rows, c->msg);
    int target = c->kind == EP_CLAIM ? MS_PROCESSING : c->kind == EP_COMPLETE ? MS_COMPLETE : MS_FAILED;
    kv_list *old;
    if (idx < 0) {
        c->status = 404;
        return w;
    }
    if (c->kind == EP_CLAIM && s->rows->e[idx].status != MS_PENDING) {
        c->status = 409;
        return w;
    }
    if (!msg_get(c->env->msgs, c->msg)->entity) { /* no botParams: the TypeError of the seed */
        c->status = 500;
        return w;
    }
    if (!(old = begin(s))) {
        c->status = 500;
        return w;
    }
    s->rows->e[idx].status = (uint8_t)target;
    kv_list_touch(c->env->kv, s->rows);
    note_status(s, c->msg, target, c->kind);
    end(s, old, c->kind);
    w.rows_written = 1;
    c->status = 200;
    return w;
}

static do_work serve(void *ud, int fresh)
{
    call *c = ud;
    o4 *s = st_run_state(c->env, &st_option4);
    (void)fresh; /* memory is rebuilt from the rows the constructor read */
    switch (c->kind) {
    case EP_POST: return post(s, c);
    case EP_PENDING: return pending(s, c);
    case EP_CLAIM:
    case EP_COMPLETE:
    case EP_FAIL: return transition(s, c);
    default: /* GET /api/comments: the window, from memory or listed */
        c->status = 200;
        return (do_work){ s->scan ? s->rows->n : 0, 0 };
    }
}

static void done(void *ud, sim_us back)
{
    call_sleep(ud, back); /* the reply travels back; the call resumes */
}

static int endpoint(call *c, int lvl)
{
    o4_call *cs = st_call_state(c, &st_option4);
    o4 *s = st_run_state(c->env, &st_option4);
    CO_BEGIN(c, lvl);
    do_send(s->obj, &cs->req, c->loc, c, serve, done);
    CO_YIELD(c, lvl);
    CO_END(c, lvl);
}

static void finish(call_env *env)
{
    do_finish(((o4 *)st_run_state(env, &st_option4))->obj);
}

static void detach(call_env *env)
{
    o4 *s = st_run_state(env, &st_option4);
    if (!s)
        return;
    do_free(s->obj);
    kv_list_unref(env->kv, s->rows);
    free(s->status);
    free(s);
    st_set_run_state(env, &st_option4, NULL);
}

static int attach(call_env *env, const st_set *st, sim_err *err)
{
    o4 *s = calloc(1, sizeof *s);
    met_registry *m = sim_metrics(env->ctx);
    err->code = 2;
    if (env->endpoints != CALL_EP_WRITE_UP) {
        snprintf(err->msg, sizeof err->msg, "strategy 4 models the write-up's endpoints, not \"endpoints\": \"deployed\"");
        free(s);
        return -1;
    }
    if (!s)
        goto oom;
    st_set_run_state(env, &st_option4, s);
    s->env = env;
    s->scan = st_param_value(st, &st_option4, P_STORAGE) == STORAGE_SCAN;
    int64_t loc = st_param_value(st, &st_option4, P_LOCATION);
    do_config cfg = {
        .loc = loc < 0 ? 0 : (int)loc,
        .rtt_local = st_param_value(st, &st_option4, P_RTT_LOCAL),
        .rtt_remote = st_param_value(st, &st_option4, P_RTT_REMOTE),
        .service = st_param_value(st, &st_option4, P_SERVICE),
        .storage = st_param_value(st, &st_option4, P_STORAGE_LAT),
        .evict_idle = st_param_value(st, &st_option4, P_EVICT),
        .load_on_start = !s->scan,
    };
    s->m_rows_pending = met_counter(m, "do.rows_read.pending");
    if (s->m_rows_pending < 0 || !(s->obj = do_new(env->ctx, &cfg)))
        goto oom;
    /* the migration: the window as KV holds it, each entry with its key's
     * stored status (the truth), before time 0 and unbilled */
    const kv_list *kvl = kv_central_list(env->kv);
    if (!(s->rows = kv_list_new(env->kv)))
        goto oom;
    for (uint32_t k = 0; kvl && !kvl->corrupt && k < kvl->n; k++) {
        uint32_t mi = kvl->e[k].msg;
        int stored = kv_central_status(env->kv, kv_key_msg(mi, msg_get(env->msgs, mi)->legacy));
        if (cover(s, mi) != 0)
            goto oom;
        s->status[mi] = (int8_t)(stored < 0 ? MS_NONE : stored);
        kv_list_append(env->kv, s->rows, mi, s->status[mi]);
    }
    env->backend = (call_backend){ backend_status, backend_visit, backend_cache, s };
    if (env->on_write) /* the tracker sees the object's window replace KV's */
        env->on_write(env->on_write_ud, KV_KEY_CACHE, kvl, s->rows, -1);
    do_set_stored(s->obj, s->rows->n, s->rows->bytes);
    return 0;
oom:
    snprintf(err->msg, sizeof err->msg, "out of memory");
    err->code = 1;
    detach(env);
    return -1;
}

const st_hooks st_option4 = {
    .name = "4",
    .summary = "the queue in one Durable Object: serialised, strongly consistent (do_storage scan|memory)",
    .endpoint = { [EP_POST] = endpoint, [EP_PENDING] = endpoint, [EP_CLAIM] = endpoint,
                  [EP_COMPLETE] = endpoint, [EP_FAIL] = endpoint, [EP_COMMENTS] = endpoint },
    .attach = attach,
    .detach = detach,
    .finish = finish,
    .call_state_size = sizeof(o4_call),
    .params = params,
    .nparams = P_COUNT,
};
