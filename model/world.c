/* world.c - wiring a run: scenario -> KV, endpoints, actors, tracking. */
#include "world.h"

#include <stdlib.h>
#include <string.h>

#include "model/actor.h"
#include "model/bot.h"
#include "model/call.h"
#include "model/endpoint.h"
#include "model/human.h"
#include "model/jshost.h"
#include "model/kv.h"
#include "model/msg.h"
#include "model/reader.h"
#include "model/cron.h"
#include "model/strategy.h"
#include "model/track.h"

struct world {
    const scenario *sc;
    sim_ctx *ctx;
    msg_table msgs;
    kv_store *kv;
    call_env calls;
    int calls_ready;
    st_set st;
    int attached;           /* st_attach ran: st_detach on free */
    track *track;
    actor_env actors;
    human *humans[SC_MAX_HUMANS];
    cron cron;
    kv_streams *script_rs;   /* per script entry: its actor's streams */
    bot *bots[SC_MAX_BOTS];
    reader *readers[SC_MAX_READERS];
    call_sender *senders;    /* deployed: rate-limit slots, one per actor name */
    uint32_t nsenders;
    int started, finished;
    jsh *js;                 /* JS mode: the worker host, else NULL */
};

sim_ctx *world_ctx(world *w) { return w->ctx; }
size_t world_msg_slots(const world *w) { return w->msgs.cap; }
uint64_t world_msgs_total(const world *w) { return w->msgs.total; }

/* ---- message slot recycling ----
 *
 * A message is settled, and its slot may be reused, when nothing in the
 * run can refer to it again or change what it adds to the results:
 *  - no cache snapshot holds it: not the central recent:comments, not a
 *    location's cached copy, not a request's working copy, read reply or
 *    put in flight. New snapshots are only made from old ones plus new
 *    messages, so once no snapshot holds it, no pending poll can return it
 *    and no stale put can bring it back;
 *  - no request is running on it (msg.inflight), and no running request
 *    holds it in what it returned or means to fix;
 *  - no bot holds it in its last poll's list or works on it (it may still
 *    claim it, answer it, complete it, although it left the cache);
 *  - no AI reply still referring to it is alive (its answer is counted
 *    when the reply's post ends);
 *  - the measurement is done with it (track_can_retire: out of the cache,
 *    no open episode, not stuck).
 * Its end-of-run contribution is then final and counted at once
 * (track_retire), its KV keys are dropped (kv_forget_msg) and its slot is
 * released. Scripted calls and expectations name messages by id, at any
 * time: scenarios with either never recycle (they are small), nor does a
 * world whose whole store is read back (world_opts.keep_messages). In JS
 * mode the worker host's invocations hold ids too (jsh_visit_msgs), and a
 * module with keys of its own recycles nothing (jsh_may_recycle). */

static void mark_msg(void *ud, uint32_t m)
{
    world *w = ud;
    w->msgs.m[m].mark = 1;
}

static void mark_list(void *ud, const kv_list *l)
{
    for (uint32_t k = 0; k < l->n; k++)
        mark_msg(ud, l->e[k].msg);
}

static size_t reclaim(void *ud)
{
    world *w = ud;
    msg_table *t = &w->msgs;
    size_t freed = 0;
    if (w->js && !jsh_may_recycle(w->js))
        return 0;
    for (size_t i = 0; i < t->n; i++)
        t->m[i].mark = 0;
    kv_visit_lists(w->kv, mark_list, w);
    call_visit_msgs(&w->calls, mark_msg, w);
    if (w->js) /* what the worker host's invocations hold (model/jshost.h) */
        jsh_visit_msgs(w->js, mark_msg, mark_list, w);
    for (int b = 0; b < w->sc->nbots; b++)
        bot_visit_msgs(w->bots[b], mark_msg, w);
    for (size_t i = 0; i < t->n; i++) { /* a live reply keeps its question */
        const msg *m = &t->m[i];
        if (!m->freed && (m->mark || m->inflight) && m->reply_to != MSG_NONE)
            t->m[m->reply_to].mark = 1;
    }
    for (size_t i = 0; i < t->n; i++) {
        const msg *m = &t->m[i];
        if (m->freed || m->mark || m->inflight || !track_can_retire(w->track, (uint32_t)i))
            continue;
        track_retire(w->track, (uint32_t)i);
        kv_forget_msg(w->kv, (uint32_t)i);
        msg_release(t, (uint32_t)i);
        freed++;
    }
    return freed;
}

static int names_messages(const scenario *s)
{
    if (s->ncalls > 0)
        return 1;
    for (int i = 0; i < s->nexpect; i++)
        if (s->expect[i].kind == SC_EXPECT_MSG)
            return 1;
    return 0;
}

const kv_store *world_kv(const world *w) { return w->kv; }

static int fail(sim_err *err, const char *what)
{
    err->code = 1;
    snprintf(err->msg, sizeof err->msg, "%s", what);
    return -1;
}

/* Initial state: plain chat first (oldest), then the listed messages. */
static int seed_state(world *w, sim_err *err)
{
    const scenario *s = w->sc;
    char id[48];
    kv_list *l = kv_list_new(w->kv);
    if (!l)
        return fail(err, "out of memory");
    /* The list keeps the newest window entries: the older ones are not
     * appended at all (appending each to a full list would shift it). */
    int64_t listed = s->plain_count, skip;
    for (int k = 0; k < s->nmsgs; k++)
        listed += s->msgs[k].cached >= 0;
    skip = listed > (int64_t)s->kv.window ? listed - (int64_t)s->kv.window : 0;
    for (int32_t k = 0; k < s->plain_count; k++) {
        int64_t ts = w->actors.epoch_ms - (int64_t)(s->plain_count + s->nmsgs - k) * 1000;
        snprintf(id, sizeof id, "%lld-plain%04d", (long long)ts, (int)(k % 10000));
        uint32_t m = msg_add(&w->msgs, id, ts);
        if (m == MSG_NONE || kv_reserve(w->kv, w->msgs.n) != 0)
            return fail(err, "out of memory");
        msg *mm = msg_get(&w->msgs, m);
        mm->type = MT_HUMAN;
        mm->bytes = s->plain_bytes;
        mm->posted = -1;
        kv_seed_status(w->kv, kv_key_msg(m, 0), MS_NONE);
        if (skip > 0)
            skip--;
        else
            kv_list_append(w->kv, l, m, MS_NONE);
    }
    for (int k = 0; k < s->nmsgs; k++) {
        const sc_msg *sm = &s->msgs[k];
        int64_t ts = msg_id_ts(sm->id);
        uint32_t m = msg_add(&w->msgs, sm->id, ts);
        if (m == MSG_NONE || kv_reserve(w->kv, w->msgs.n) != 0)
            return fail(err, "out of memory");
        msg *mm = msg_get(&w->msgs, m);
        mm->type = (uint8_t)sm->type;
        mm->entity = (uint8_t)sm->entity;
        mm->legacy = (uint8_t)sm->legacy;
        mm->bytes = sm->bytes;
        mm->priority = (uint8_t)sm->priority;
        mm->posted = -1;
        if (sm->stored >= 0)
            kv_seed_status(w->kv, kv_key_msg(m, sm->legacy), sm->stored);
        if (sm->cached >= 0 && skip > 0)
            skip--;
        else if (sm->cached >= 0)
            kv_list_append(w->kv, l, m, sm->cached);
    }
    kv_seed_list(w->kv, l);
    return 0;
}

/* The deployed post's senders: humans, bots, then script actors named by
 * neither (those are limited by message type: a human message pays). */
static int build_senders(world *w)
{
    const scenario *s = w->sc;
    size_t cap = (size_t)s->nhumans + (size_t)s->nbots + (size_t)s->ncalls;
    if (cap && !(w->senders = calloc(cap, sizeof *w->senders)))
        return -1;
    for (int i = 0; i < s->nhumans; i++)
        w->senders[w->nsenders++] = (call_sender){ s->humans[i].name,
                                                   s->humans[i].rate_limited ? CALL_RL_LIMITED : CALL_RL_EXEMPT };
    for (int i = 0; i < s->nbots; i++)
        w->senders[w->nsenders++] = (call_sender){ s->bots[i].name,
                                                   s->bots[i].rate_limited ? CALL_RL_LIMITED : CALL_RL_EXEMPT };
    for (int i = 0; i < s->ncalls; i++) {
        uint32_t k = 0;
        while (k < w->nsenders && strcmp(w->senders[k].name, s->script[i].actor) != 0)
            k++;
        if (k == w->nsenders)
            w->senders[w->nsenders++] = (call_sender){ s->script[i].actor, CALL_RL_BY_TYPE };
    }
    return 0;
}

world *world_new(const scenario *s, const char *option, uint64_t seed, const world_opts *o, sim_err *err)
{
    world *w = calloc(1, sizeof *w);
    if (!w) {
        fail(err, "out of memory");
        return NULL;
    }
    w->sc = s;
    msg_table_init(&w->msgs);
    if (st_compose_ext(option, &s->strategy, o ? o->strategies : NULL, &w->st, err) != 0)
        goto fail;
    w->ctx = sim_new(seed);
    kv_config kvc = s->kv;
    kvc.nlocs = s->nlocs + 1; /* the last: where Cloudflare runs Cron Triggers */
    kvc.utc_offset = s->epoch_ms % (MET_US_PER_DAY / 1000) * 1000;
    if (s->endpoints == CALL_EP_DEPLOYED) {
        if (build_senders(w) != 0) {
            fail(err, "out of memory");
            goto fail;
        }
        kvc.nmisc = 2 + w->nsenders; /* heartbeat, message-count, rate limits */
    }
    const char *loc_names[SC_MAX_LOCS + 1];
    for (int i = 0; i < s->nlocs && i < SC_MAX_LOCS; i++)
        loc_names[i] = s->locs[i];
    loc_names[s->nlocs] = "(cron)"; /* counters kv.gets.*.<class>.(cron) */
    kvc.loc_names = loc_names;
    if (s->worker.module[0]) { /* JS mode: the module's values, as blobs */
        const char *kvn[SC_WORKER_NAMES], *vn[SC_WORKER_NAMES], *vv[SC_WORKER_NAMES];
        for (int i = 0; i < s->worker.nkv; i++)
            kvn[i] = s->worker.kv[i];
        for (int i = 0; i < s->worker.nvars; i++) {
            vn[i] = s->worker.var_names[i];
            vv[i] = s->worker.var_values[i];
        }
        jsh_config jc = { s->worker.module, kvn, s->worker.nkv, vn, vv, s->worker.nvars, option, s->epoch_ms,
                          s->deployed.pending_limit, s->kv.window, 0, JSH_USER_KEYS };
        /* the module's own keys: misc keys after the deployed Worker's */
        uint32_t misc0 = s->endpoints == CALL_EP_DEPLOYED ? 2 + w->nsenders : 0;
        jc.user_key0 = KV_KEY_MISC + misc0;
        kvc.nmisc = misc0 + JSH_USER_KEYS;
        if (!w->ctx || !(w->js = jsh_new(w->ctx, &w->msgs, &jc, err)))
            goto fail;
        kvc.render = jsh_render;
        kvc.render_ud = w->js;
    }
    if (!w->ctx || !(w->kv = kv_new(w->ctx, &kvc, &w->msgs)) ||
        !(w->track = track_new(w->ctx, &w->msgs, w->kv))) {
        fail(err, "out of memory");
        goto fail;
    }
    w->calls_ready = 1; /* deinit is safe on a partly initialised env */
    if (call_env_init(&w->calls, w->ctx, w->kv, &w->msgs, s->kv.window, s->limits.ops_per_invocation) != 0) {
        fail(err, "out of memory");
        goto fail;
    }
    w->calls.trace = o ? o->trace : NULL;
    w->calls.hooks.on_call_end = track_on_call_end;
    w->calls.hooks.ud = w->track;
    if (s->endpoints == CALL_EP_DEPLOYED) {
        if (call_env_deployed(&w->calls, &s->deployed, w->senders, w->nsenders) != 0) {
            fail(err, "out of memory (registering the deployed endpoints' counters)");
            goto fail;
        }
        w->calls.epoch_ms = s->epoch_ms;
        ep_install_deployed(&w->calls, &w->st);
    } else {
        ep_install(&w->calls, &w->st);
    }
    if (w->js)
        jsh_install(w->js, &w->calls, w->kv);
    if (call_env_set_faults(&w->calls, s->faults, s->nfaults) != 0) {
        fail(err, "out of memory (registering the faults' counters)");
        goto fail;
    }
    w->calls.on_write = track_on_write;
    w->calls.on_write_ud = w->track;
    track_set_backend(w->track, &w->calls.backend);
    if (o && o->check)
        track_set_check(w->track, s->limits.ops_per_invocation);
    kv_set_observer(w->kv, track_on_write, w->track);

    met_registry *m = sim_metrics(w->ctx);
    w->actors.ctx = w->ctx;
    w->actors.calls = &w->calls;
    w->actors.msgs = &w->msgs;
    w->actors.kv = w->kv;
    w->actors.epoch_ms = s->epoch_ms;
    w->actors.poll_log = o ? o->poll_log : NULL;
    w->actors.r_polls = met_series(m, "polls", "t_us,kvr,kvw,returned,status,bot");
    if (w->actors.r_polls < 0) {
        fail(err, "out of memory (registering the polls series)");
        goto fail;
    }
    met_id stuck = met_find_series(m, "stuck");
    if (o && o->polls_sink)
        met_series_sink(m, w->actors.r_polls, o->polls_sink, o->polls_ud);
    if (o && o->stuck_sink)
        met_series_sink(m, stuck, o->stuck_sink, o->stuck_ud);
    int keep = o && o->keep_series;
    for (int i = 0; i < s->nexpect; i++)
        keep |= s->expect[i].kind == SC_EXPECT_POLL;
    if (keep) {
        met_series_keep(m, w->actors.r_polls, 1);
        met_series_keep(m, stuck, 1);
    }
    if (seed_state(w, err) != 0)
        goto fail;
    /* after the initial state: a strategy holding the queue elsewhere
     * takes it over from KV (Option 4's migration) */
    if (st_attach(&w->calls, &w->st, err) != 0)
        goto fail;
    w->attached = 1;
    if (!names_messages(s) && !(o && o->keep_messages))
        msg_set_reclaim(&w->msgs, reclaim, w);
    /* KV streams of the scripted actors (same name, same streams) and cron */
    if (s->ncalls && !(w->script_rs = calloc((size_t)s->ncalls, sizeof *w->script_rs))) {
        fail(err, "out of memory");
        goto fail;
    }
    for (int i = 0; i < s->ncalls; i++)
        if (kv_streams_init(w->ctx, s->script[i].actor, &w->script_rs[i]) != 0) {
            fail(err, "out of memory");
            goto fail;
        }
    if (cron_init(&w->cron, &w->calls, w->kv, w->st.p.cron_every, w->st.p.cron_loc, s->nlocs,
                  s->epoch_ms * SIM_US_PER_MS) != 0) {
        fail(err, "out of memory");
        goto fail;
    }
    for (int i = 0; i < s->nhumans; i++)
        if (!(w->humans[i] = human_new(&w->actors, &s->humans[i]))) {
            fail(err, "out of memory");
            goto fail;
        }
    for (int i = 0; i < s->nbots; i++)
        if (!(w->bots[i] = bot_new(&w->actors, &s->bots[i], i))) {
            fail(err, "out of memory");
            goto fail;
        }
    for (int i = 0; i < s->nreaders; i++)
        if (!(w->readers[i] = reader_new(&w->actors, &s->readers[i]))) {
            fail(err, "out of memory");
            goto fail;
        }
    return w;
fail:
    world_free(w);
    return NULL;
}

void world_free(world *w)
{
    if (!w)
        return;
    for (int i = 0; i < SC_MAX_HUMANS; i++)
        human_free(w->humans[i]);
    for (int i = 0; i < SC_MAX_BOTS; i++)
        bot_free(w->bots[i]);
    for (int i = 0; i < SC_MAX_READERS; i++)
        reader_free(w->readers[i]);
    if (w->attached)
        st_detach(&w->calls, &w->st);
    if (w->calls_ready)
        call_env_deinit(&w->calls);
    track_free(w->track);
    free(w->script_rs);
    free(w->senders);
    jsh_free(w->js); /* before kv_free: its queued puts hold lists */
    kv_free(w->kv);
    sim_free(w->ctx);
    msg_table_deinit(&w->msgs);
    free(w);
}

/* ---- scripted calls ---- */

static void script_done(void *owner, call *c)
{
    world *w = owner;
    if (c->kind != EP_PENDING)
        return;
    int64_t row[6] = { c->started, c->kvr, c->kvw, (int64_t)c->nret, c->status, -1 };
    met_row(sim_metrics(w->ctx), w->actors.r_polls, row);
    if (w->actors.poll_log)
        actor_log_poll(w->actors.poll_log, c->actor, c);
}

/* A scheduled corrupt write: the cache value becomes unparseable, as if a
 * truncated or garbled string had been put. It bypasses the binding (not
 * billed, no latency): it stands for a write by something outside the model. */
static void corrupt_cache(world *w)
{
    kv_list *l = kv_list_new(w->kv);
    if (!l)
        return;
    l->corrupt = 1;
    kv_seed_list(w->kv, l);
}

static void script_fire(sim_ctx *ctx, void *obj, uint64_t idx)
{
    world *w = obj;
    const sc_call *c = &w->sc->script[idx];
    uint32_t m;
    if (c->kind == SC_CORRUPT) {
        corrupt_cache(w);
        return;
    }
    if (c->kind == EP_POST) {
        int64_t ts = msg_id_ts(c->msg);
        m = msg_add(&w->msgs, c->msg, ts ? ts : w->actors.epoch_ms + sim_now(ctx) / SIM_US_PER_MS);
        if (m == MSG_NONE || kv_reserve(w->kv, w->msgs.n) != 0)
            return;
        msg *mm = msg_get(&w->msgs, m);
        mm->type = (uint8_t)c->type;
        mm->entity = (uint8_t)c->entity;
        mm->legacy = (uint8_t)c->legacy;
        mm->bytes = c->bytes;
        mm->priority = (uint8_t)c->priority;
        mm->posted = sim_now(ctx);
    } else {
        m = c->msg[0] ? msg_find(&w->msgs, c->msg) : MSG_NONE;
        if (c->msg[0] && m == MSG_NONE)
            return; /* validated at load: cannot happen */
    }
    call_start_pinned(&w->calls, c->kind, c->actor, &w->script_rs[idx],
                      c->kind == EP_CRON ? cron_machine(&w->cron, c->loc) : c->loc, m, c->faults, c->nfaults,
                      c->npins ? w->sc->pins + c->pin_off : NULL, c->npins, w, script_done);
}

/* The cache and stored statuses as the run's backend holds them: KV's
 * central store, or what a strategy moved them to (Option 4). */
static const kv_list *central_list(const world *w)
{
    const call_backend *b = &w->calls.backend;
    return b->cache ? b->cache(b->be) : kv_central_list(w->kv);
}

static int central_status(const world *w, uint32_t key)
{
    const call_backend *b = &w->calls.backend;
    return b->status ? b->status(b->be, key) : kv_central_status(w->kv, key);
}

int world_msg_state(const world *w, const char *id, int *cache_status, int *stored_status)
{
    uint32_t m = msg_find(&w->msgs, id);
    if (m == MSG_NONE)
        return -1;
    const msg *mm = msg_get(&w->msgs, m);
    const kv_list *l = central_list(w);
    int idx = l && !l->corrupt ? kv_list_find(l, m) : -1;
    *cache_status = idx >= 0 ? l->e[idx].status : -1;
    *stored_status = central_status(w, kv_key_msg(m, mm->legacy));
    return 0;
}

static void start(world *w)
{
    const scenario *s = w->sc;
    if (w->started)
        return;
    w->started = 1;
    for (int i = 0; i < s->nhumans; i++)
        human_start(w->humans[i]);
    for (int i = 0; i < s->nbots; i++)
        bot_start(w->bots[i]);
    for (int i = 0; i < s->nreaders; i++)
        reader_start(w->readers[i]);
    for (int i = 0; i < s->ncalls; i++)
        sim_at(w->ctx, s->script[i].at, script_fire, w, (uint64_t)i);
    if (w->st.h.cron_job)
        cron_start(&w->cron);
}

int world_advance(world *w, sim_us t, sim_err *err)
{
    if (w->finished)
        return fail(err, "world_advance: the run is finished");
    start(w);
    if (t > sim_now(w->ctx))
        sim_run_until(w->ctx, t);
    if (sim_out_of_memory(w->ctx))
        return fail(err, "out of memory: an event could not be queued");
    if (jsh_error(w->js)) {
        err->code = 1;
        snprintf(err->msg, sizeof err->msg, "%s", jsh_error(w->js));
        return -1;
    }
    if (track_violation(w->track)) {
        err->code = 1;
        snprintf(err->msg, sizeof err->msg, "%s", track_violation(w->track));
        return -1;
    }
    return 0;
}

int world_run(world *w, sim_us until, sim_err *err)
{
    const scenario *s = w->sc;
    sim_us end = until > 0 && until < s->duration ? until : s->duration;
    if (w->finished)
        return fail(err, "world_run: already run");
    if (world_advance(w, end, err) != 0)
        return -1;
    st_finish(&w->calls, &w->st);
    int ok = track_finish(w->track) == 0;
    /* Registered at the end, not in world_new: the registry's order is the
     * order of results.json, and these have always come last. */
    met_registry *m = sim_metrics(w->ctx);
    const struct { const char *name; int64_t v; int gauge; } last[] = {
        { "sim.events", (int64_t)sim_events(w->ctx), 0 }, { "sim.duration_us", end, 0 },
        { "messages", (int64_t)w->msgs.total, 0 }, { "kv.storage.byte_s", kv_storage_byte_s(w->kv), 0 },
        { "kv.storage.bytes_end", kv_stored_bytes(w->kv), 1 },
    };
    for (size_t i = 0; i < sizeof last / sizeof last[0]; i++) {
        met_id id = last[i].gauge ? met_gauge(m, last[i].name) : met_counter(m, last[i].name);
        if (id < 0)
            ok = 0;
        else if (last[i].gauge)
            met_set(m, id, last[i].v);
        else
            met_add(m, id, end, last[i].v);
    }
    w->finished = 1;
    if (!ok)
        return fail(err, "out of memory (registering the run's closing counters)");
    return 0;
}

int world_msg_info(const world *w, const char *id, sc_msg *out)
{
    uint32_t m = msg_find(&w->msgs, id);
    if (m == MSG_NONE)
        return -1;
    const msg *mm = msg_get(&w->msgs, m);
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    out->type = mm->type;
    out->entity = mm->entity;
    out->legacy = mm->legacy;
    out->bytes = mm->bytes;
    out->priority = mm->priority;
    out->stored = central_status(w, kv_key_msg(m, mm->legacy));
    const kv_list *l = central_list(w);
    int idx = l && !l->corrupt ? kv_list_find(l, m) : -1;
    out->cached = idx >= 0 ? l->e[idx].status : -1;
    return 0;
}

int world_snapshot(const world *w, scenario *dst, int *corrupt)
{
    const kv_list *l = central_list(w);
    size_t n = 0;
    sc_msg *ms = calloc(w->msgs.n ? w->msgs.n : 1, sizeof *ms);
    if (!ms)
        return -1;
    *corrupt = l && l->corrupt;
    /* first the messages outside the cache, then the cache in its order */
    for (size_t i = 0; i < w->msgs.n; i++) {
        const msg *mm = &w->msgs.m[i];
        if (mm->freed)
            continue;
        int stored = central_status(w, kv_key_msg((uint32_t)i, mm->legacy));
        int in = l && !l->corrupt && kv_list_find(l, (uint32_t)i) >= 0;
        if (in || stored < 0 || strlen(msg_id(&w->msgs, (uint32_t)i)) >= SC_NAME)
            continue;
        world_msg_info(w, msg_id(&w->msgs, (uint32_t)i), &ms[n]);
        ms[n++].cached = -1;
    }
    for (uint32_t k = 0; l && !l->corrupt && k < l->n; k++) {
        const char *id = msg_id(&w->msgs, l->e[k].msg);
        if (strlen(id) >= SC_NAME)
            continue;
        world_msg_info(w, id, &ms[n]);
        ms[n++].cached = l->e[k].status;
    }
    free(dst->msgs);
    dst->msgs = ms;
    dst->nmsgs = (int)n;
    dst->plain_count = 0;
    return 0;
}
