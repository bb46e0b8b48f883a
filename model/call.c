/* call.c - invocations: the pool, KV operations with their accounting and
 * trace lines, and resuming the endpoint coroutine when an operation ends. */
#include "call.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const ep_names[EP_COUNT] = { "post", "pending", "claim", "complete", "fail", "cron", "comments" };
static const int http_codes[6] = { 200, 201, 404, 409, 429, 500 };

const char *ep_name(int kind) { return kind >= 0 && kind < EP_COUNT ? ep_names[kind] : "?"; }

int ep_parse(const char *name)
{
    for (int i = 0; i < EP_COUNT; i++)
        if (strcmp(name, ep_names[i]) == 0)
            return i;
    return -1;
}

/* A registration: a negative id (the registry is out of memory) clears ok. */
static met_id reg(int *ok, met_id id)
{
    if (id < 0)
        *ok = 0;
    return id;
}

int call_env_init(call_env *env, sim_ctx *ctx, kv_store *kv, msg_table *msgs, uint32_t window, int op_limit)
{
    char name[96];
    int ok = 1;
    met_registry *m = sim_metrics(ctx);
    memset(env, 0, sizeof *env);
    env->ctx = ctx;
    env->met = m;
    env->kv = kv;
    env->msgs = msgs;
    env->window = window;
    env->op_limit = op_limit;
    env->m_reads = reg(&ok, met_counter_daily(m, "kv.reads"));
    env->m_writes = reg(&ok, met_counter_daily(m, "kv.writes"));
    env->m_requests = reg(&ok, met_counter_daily(m, "worker.requests"));
    static const char *const cls[2] = { "cache", "individual" };
    for (int k = 0; k < KV_CLASS_COUNT; k++)
        env->m_reads_class[k] = env->m_writes_class[k] = -1;
    env->m_cache_reset = -1;
    for (int k = 0; k < 2; k++) {
        snprintf(name, sizeof name, "kv.reads.key.%s", cls[k]);
        env->m_reads_class[k] = reg(&ok, met_counter(m, name));
        snprintf(name, sizeof name, "kv.writes.key.%s", cls[k]);
        env->m_writes_class[k] = reg(&ok, met_counter(m, name));
    }
    for (int e = 0; e < EP_COUNT; e++) {
        snprintf(name, sizeof name, "calls.%s", ep_names[e]);
        env->m_calls_ep[e] = reg(&ok, met_counter(m, name));
        snprintf(name, sizeof name, "kv.reads.%s", ep_names[e]);
        env->m_reads_ep[e] = reg(&ok, met_counter(m, name));
        snprintf(name, sizeof name, "kv.writes.%s", ep_names[e]);
        env->m_writes_ep[e] = reg(&ok, met_counter(m, name));
        for (int h = 0; h < 6; h++) {
            snprintf(name, sizeof name, "http.%s.%d", ep_names[e], http_codes[h]);
            env->m_http[e][h] = reg(&ok, met_counter(m, name));
        }
    }
    for (int r = KV_ETRANSIENT; r < KV_RESULT_COUNT; r++) {
        snprintf(name, sizeof name, "kv.failed.%s", kv_result_name(r) + 6);
        env->m_failed[r] = reg(&ok, met_counter(m, name));
    }
    for (int r = KV_ETRANSIENT; r <= CALL_EPARSE; r++) {
        snprintf(name, sizeof name, "cache_update.swallowed.%s",
                 r == CALL_EPARSE ? "parse" : kv_result_name(r) + 6);
        env->m_swallowed[r] = reg(&ok, met_counter(m, name));
    }
    env->m_entry_missing = reg(&ok, met_counter(m, "cache_update.entry_missing"));
    env->m_retries = reg(&ok, met_counter(m, "cache_update.retries"));
    env->m_gave_up = reg(&ok, met_counter(m, "cache_update.gave_up"));
    env->m_wait_until = reg(&ok, met_counter(m, "worker.responded_before_end"));
    env->m_wait_until_cut = reg(&ok, met_counter(m, "cache_update.wait_until_cancelled"));
    env->m_capped = reg(&ok, met_counter_daily(m, "worker.requests.capped"));
    env->m_deletes = env->m_lists = -1;
    env->req_day = -1;
    env->r_caps = reg(&ok, met_series(m, "cap_crossing", "day,kind,t_us"));
    if (ok)
        met_series_keep(m, env->r_caps, 1);
    return ok ? 0 : -1;
}

int call_env_set_faults(call_env *env, const call_epfault *faults, int n)
{
    static const char *const ops[2] = { "get", "put" };
    static const char *const cls[KV_CLASS_COUNT] = { "cache", "individual", "other" };
    char name[96];
    met_registry *m = sim_metrics(env->ctx);
    env->epfaults = faults;
    env->nepfaults = n > CALL_MAX_EPFAULTS ? CALL_MAX_EPFAULTS : n;
    int ok = 1;
    if (env->nepfaults == 0)
        return 0;
    for (int i = 0; i < env->nepfaults; i++) {
        snprintf(name, sizeof name, "faults.%d.matched", i);
        env->m_ep_matched[i] = reg(&ok, met_counter(m, name));
        snprintf(name, sizeof name, "faults.%d.fired", i);
        env->m_ep_fired[i] = reg(&ok, met_counter(m, name));
    }
    for (int e = 0; e < EP_COUNT; e++)
        for (int o = 0; o < 2; o++)
            for (int k = 0; k < KV_CLASS_COUNT; k++) {
                snprintf(name, sizeof name, "kv.failed.%s.%s.%s", ep_names[e], ops[o], cls[k]);
                env->m_failed_ep[e][o][k] = reg(&ok, met_counter(m, name));
            }
    return ok ? 0 : -1;
}

int call_env_deployed(call_env *env, const call_deployed *dep, const call_sender *senders, uint32_t nsenders)
{
    met_registry *m = sim_metrics(env->ctx);
    int ok = 1;
    env->endpoints = CALL_EP_DEPLOYED;
    env->dep = *dep;
    env->senders = senders;
    env->nsenders = nsenders;
    env->m_reads_class[KV_CLASS_OTHER] = reg(&ok, met_counter(m, "kv.reads.key.other"));
    env->m_writes_class[KV_CLASS_OTHER] = reg(&ok, met_counter(m, "kv.writes.key.other"));
    env->m_cache_reset = reg(&ok, met_counter(m, "cache.reset_unparseable"));
    return ok ? 0 : -1;
}

void call_take_list(call *c)
{
    kv_list_unref(c->env->kv, c->list);
    c->list = c->op.list;
    c->op.list = NULL;
}

void call_swallowed(call *c, int kind)
{
    met_add(sim_metrics(c->env->ctx), c->env->m_swallowed[kind], sim_now(c->env->ctx), 1);
}

void call_entry_missing(call *c)
{
    met_add(sim_metrics(c->env->ctx), c->env->m_entry_missing, sim_now(c->env->ctx), 1);
}

void call_retried(call *c)
{
    met_add(sim_metrics(c->env->ctx), c->env->m_retries, sim_now(c->env->ctx), 1);
}

void call_wait_until_cancelled(call *c)
{
    met_add(sim_metrics(c->env->ctx), c->env->m_wait_until_cut, sim_now(c->env->ctx), 1);
}

void call_gave_up(call *c)
{
    met_add(sim_metrics(c->env->ctx), c->env->m_gave_up, sim_now(c->env->ctx), 1);
}

void call_respond(call *c)
{
    if (c->responded)
        return;
    c->responded = 1;
    c->responded_at = sim_now(c->env->ctx);
    met_add(sim_metrics(c->env->ctx), c->env->m_wait_until, c->responded_at, 1);
    if (c->done)
        c->done(c->owner, c);
}

void call_note_fix(call *c, uint32_t m, int st)
{
    for (uint32_t k = 0; k < c->nfix; k++)
        if (c->fix_msg[k] == m) {
            c->fix_status[k] = (uint8_t)st;
            return;
        }
    if (c->nfix < c->env->window) {
        c->fix_msg[c->nfix] = m;
        c->fix_status[c->nfix++] = (uint8_t)st;
    }
}

void call_env_deinit(call_env *env)
{
    for (size_t i = 0; i < env->nall; i++) {
        kv_list_unref(env->kv, env->all[i]->list);
        kv_list_unref(env->kv, env->all[i]->op.list);
        /* a put still in flight when the run ended holds its list */
        kv_list_unref(env->kv, env->all[i]->op.put_list);
        kv_blob_unref(env->all[i]->op.blob);
        kv_blob_unref(env->all[i]->op.put_blob);
        free(env->all[i]->ret);
        free(env->all[i]->fix_msg);
        free(env->all[i]->fix_status);
        free(env->all[i]->st_state);
        free(env->all[i]);
    }
    free(env->all);
    env->all = NULL;
    env->nall = env->capall = 0;
    env->free_calls = NULL;
}

void call_key_name(const call_env *env, uint32_t key, char *buf, size_t len)
{
    if (env->misc_name && kv_key_is_misc(key) && env->misc_name(env->js, key, buf, len))
        return;
    if (key == KV_KEY_HEARTBEAT)
        snprintf(buf, len, "dashboard:heartbeat");
    else if (key == KV_KEY_MSG_COUNT)
        snprintf(buf, len, "message-count");
    else if (kv_key_is_misc(key))
        snprintf(buf, len, "ratelimit:%s",
                 key - KV_KEY_MISC - 2 < env->nsenders ? env->senders[key - KV_KEY_MISC - 2].name : "?");
    else if (key == KV_KEY_CACHE)
        snprintf(buf, len, "%s", kv_config_of(env->kv)->cache_key_name);
    else
        msg_key_name(env->msgs, kv_key_to_msg(key), kv_key_legacy(key), buf, len);
}

static void visit_list(void (*fn)(void *ud, uint32_t m), void *ud, const kv_list *l)
{
    for (uint32_t k = 0; l && k < l->n; k++) /* a corrupt list's too: conservative */
        fn(ud, l->e[k].msg);
}

void call_visit_msgs(const call_env *env, void (*fn)(void *ud, uint32_t m), void *ud)
{
    if (env->backend.visit)
        env->backend.visit(env->backend.be, fn, ud);
    for (size_t i = 0; i < env->nall; i++) {
        const call *c = env->all[i];
        if (!c->running)
            continue;
        if (c->msg != MSG_NONE)
            fn(ud, c->msg);
        for (uint32_t k = 0; k < c->nret; k++)
            fn(ud, c->ret[k]);
        for (uint32_t k = 0; k < c->nfix; k++)
            fn(ud, c->fix_msg[k]);
        visit_list(fn, ud, c->list);
        visit_list(fn, ud, c->op.list);
        visit_list(fn, ud, c->op.put_list);
    }
}

static call *alloc_call(call_env *env)
{
    call *c = env->free_calls;
    if (c) {
        env->free_calls = c->next_free;
        return c;
    }
    if (env->nall == env->capall) {
        size_t cap = env->capall ? env->capall * 2 : 16;
        call **all = realloc(env->all, cap * sizeof *all);
        if (!all)
            return NULL;
        env->all = all;
        env->capall = cap;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ret = malloc(env->window * sizeof *c->ret);
    c->fix_msg = malloc(env->window * sizeof *c->fix_msg);
    c->fix_status = malloc(env->window);
    c->st_state = env->st_call_size ? malloc(env->st_call_size) : NULL;
    if (!c->ret || !c->fix_msg || !c->fix_status || (env->st_call_size && !c->st_state)) {
        free(c->st_state);
        free(c->ret);
        free(c->fix_msg);
        free(c->fix_status);
        free(c);
        return NULL;
    }
    env->all[env->nall++] = c;
    return c;
}

static void trace_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* The index of status in http_codes, or -1. */
static inline int http_index(int status)
{
    switch (status) {
    case 200: return 0;
    case 201: return 1;
    case 404: return 2;
    case 409: return 3;
    case 429: return 4;
    case 500: return 5;
    default: return -1;
    }
}

static void finish(call *c)
{
    call_env *env = c->env;
    sim_us now = sim_now(env->ctx);
    met_registry *m = env->met;
    if (env->trace)
        fprintf(env->trace, "{\"t\":%" PRId64 ",\"type\":\"end\",\"call\":%" PRIu64
                ",\"kvr\":%d,\"kvw\":%d,\"status\":%d}\n", now, c->id, c->kvr, c->kvw, c->status);
    int h = http_index(c->status);
    if (h >= 0)
        met_add(m, env->m_http[c->kind][h], now, 1);
    if (c->msg != MSG_NONE)
        env->msgs->m[c->msg].inflight--;
    if (env->hooks.on_call_end)
        env->hooks.on_call_end(env->hooks.ud, c);
    if (c->done && !c->responded)
        c->done(c->owner, c);
    kv_list_unref(env->kv, c->list);
    kv_list_unref(env->kv, c->op.list);
    c->list = c->op.list = NULL;
    kv_blob_unref(c->op.blob);
    c->op.blob = NULL;
    c->running = 0;
    c->next_free = env->free_calls;
    env->free_calls = c;
}

static void resume(call *c)
{
    if (c->env->entry[c->kind](c) == CO_DONE)
        finish(c);
}

static void capped_done(sim_ctx *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    (void)arg;
    finish(obj);
}

/* Counts a request against the day's cap (days start at 00:00 UTC); 0 when
 * the Worker runs, -1 when the request is past the cap. The 100,000th
 * request of a day still runs; the next fails. */
static int admit(call_env *env)
{
    const kv_config *k = kv_config_of(env->kv);
    sim_us utc = sim_now(env->ctx) + k->utc_offset;
    int64_t day = utc / MET_US_PER_DAY;
    if (day != env->req_day) {
        env->req_day = day;
        env->day_requests = 0;
    }
    if (k->daily_request_cap > 0 && env->day_requests >= k->daily_request_cap)
        return -1;
    if (++env->day_requests == k->watch_requests_day) {
        int64_t row[3] = { day, 2, utc % MET_US_PER_DAY };
        met_row(sim_metrics(env->ctx), env->r_caps, row);
    }
    return 0;
}

static void op_done(sim_ctx *ctx, kv_op *op);

call *call_start(call_env *env, int kind, const char *actor, const kv_streams *rs, int loc, uint32_t mi,
                 const call_fault *faults, int nfaults, void *owner, call_done_fn done)
{
    return call_start_pinned(env, kind, actor, rs, loc, mi, faults, nfaults, NULL, 0, owner, done);
}

call *call_start_pinned(call_env *env, int kind, const char *actor, const kv_streams *rs, int loc, uint32_t mi,
                        const call_fault *faults, int nfaults, const sim_us *pins, int npins, void *owner,
                        call_done_fn done)
{
    call *c = alloc_call(env);
    if (!c)
        return NULL;
    uint32_t *ret = c->ret, *fix_msg = c->fix_msg;
    uint8_t *fix_status = c->fix_status;
    void *js = c->js;
    unsigned char *st_state = c->st_state;
    memset(c, 0, sizeof *c);
    c->js = js;
    c->st_state = st_state;
    if (st_state)
        memset(st_state, 0, env->st_call_size);
    c->ret = ret;
    c->fix_msg = fix_msg;
    c->fix_status = fix_status;
    c->env = env;
    c->id = ++env->next_id;
    c->kind = (uint8_t)kind;
    c->actor = actor;
    c->rs = rs;
    c->loc = loc;
    c->msg = mi;
    c->owner = owner;
    c->done = done;
    c->faults = faults;
    c->nfaults = nfaults > CALL_MAX_FAULTS ? CALL_MAX_FAULTS : nfaults;
    c->pins = pins;
    c->npins = npins;
    c->found = -1;
    c->running = 1;
    c->op.loc = loc; /* the op's fields that stay for the call (prepare) */
    c->op.rs = rs;
    c->op.tag = (int8_t)kind;
    c->op.done = op_done;
    c->started = sim_now(env->ctx);
    if (mi != MSG_NONE)
        env->msgs->m[mi].inflight++;
    met_registry *m = env->met;
    met_add(m, env->m_calls_ep[kind], c->started, 1);
    int admitted = admit(env) == 0;
    if (admitted)
        met_add(m, env->m_requests, c->started, 1);
    if (env->trace) {
        fprintf(env->trace, "{\"t\":%" PRId64 ",\"type\":\"call\",\"call\":%" PRIu64 ",\"actor\":",
                c->started, c->id);
        trace_string(env->trace, actor);
        fprintf(env->trace, ",\"endpoint\":\"%s\",\"msg\":", ep_names[kind]);
        if (mi != MSG_NONE)
            trace_string(env->trace, msg_id(env->msgs, mi));
        else
            fputs("null", env->trace);
        fputs("}\n", env->trace);
    }
    if (!admitted) {
        met_add(m, env->m_capped, c->started, 1);
        c->status = 429;
        sim_after(env->ctx, 0, capped_done, c, 0);
        return c;
    }
    resume(c);
    return c;
}

/* Does a fault's key selector (KV_CLASS_*, CALL_KEY_*, -1) match key? */
static int call_fault_key_matches(int sel, uint32_t key)
{
    switch (sel) {
    case -1: return 1;
    case CALL_KEY_HEARTBEAT: return key == KV_KEY_HEARTBEAT;
    case CALL_KEY_MSG_COUNT: return key == KV_KEY_MSG_COUNT;
    case CALL_KEY_RATE_LIMIT: return kv_key_is_misc(key) && key >= kv_key_rate_limit(0);
    default: return sel == kv_key_class(key);
    }
}

/* The endpoint fault (if any) that fails this op: the first matching
 * entry whose draw fires; -1 when none. Every matching entry with
 * 0 < prob < 1 draws, fired or not, so the fault stream's position depends
 * only on the operations the actor has issued. A pinned op (a replayed
 * call) takes its outcome from its script and draws nothing. */
static int endpoint_fault(call *c, int type, uint32_t key)
{
    call_env *env = c->env;
    int hit = -1;
    if (c->pins && c->ops <= c->npins)
        return -1;
    for (int i = 0; i < env->nepfaults; i++) {
        const call_epfault *f = &env->epfaults[i];
        if ((f->endpoint >= 0 && f->endpoint != c->kind) || (f->op >= 0 && f->op != type) ||
            !call_fault_key_matches(f->key_class, key))
            continue;
        met_add(sim_metrics(env->ctx), env->m_ep_matched[i], sim_now(env->ctx), 1);
        int fires = f->prob >= 1.0 || (f->prob > 0.0 && gsl_rng_uniform(c->rs->fault) < f->prob);
        if (fires && hit < 0)
            hit = i;
    }
    return hit;
}

/* Which result the next op must have, from the per-invocation limit, the
 * scripted faults and the endpoint faults, in that order of precedence; 0
 * when it is free to succeed. */
static int forced(call *c, int type, uint32_t key)
{
    int force = 0;
    ++c->ops;
    int ep = c->env->nepfaults ? endpoint_fault(c, type, key) : -1;
    if (c->ops > c->env->op_limit)
        return KV_EOPLIMIT;
    for (int i = 0; i < c->nfaults; i++) {
        const call_fault *f = &c->faults[i];
        if ((f->op < 0 || f->op == type) && call_fault_key_matches(f->key_class, key) &&
            ++c->fault_seen[i] == f->nth && !force)
            force = f->kind;
    }
    if (!force && ep >= 0) {
        force = c->env->epfaults[ep].kind;
        met_add(sim_metrics(c->env->ctx), c->env->m_ep_fired[ep], sim_now(c->env->ctx), 1);
    }
    return force;
}

/* A replayed call's op k completes at start + pins[k]: its latency is
 * whatever is left until then (never negative). -1 when not pinned. */
static sim_us pinned(const call *c)
{
    if (!c->pins || c->ops > c->npins)
        return -1;
    sim_us left = c->started + c->pins[c->ops - 1] - sim_now(c->env->ctx);
    return left > 0 ? left : 0;
}

static void op_done(sim_ctx *ctx, kv_op *op)
{
    call *c = (call *)(void *)((char *)op - offsetof(call, op));
    call_env *env = c->env;
    met_registry *m = env->met;
    sim_us now = sim_now(ctx);
    int cls = kv_key_class(op->key);
    if ((op->res == KV_OK || op->res == KV_MISS) && op->verb == KV_VERB_PLAIN) {
        if (op->type == KV_GET) {
            c->kvr++;
            met_add(m, env->m_reads, now, 1);
            met_add(m, env->m_reads_ep[c->kind], now, 1);
            if (env->m_reads_class[cls] >= 0)
                met_add(m, env->m_reads_class[cls], now, 1);
        } else {
            c->kvw++;
            met_add(m, env->m_writes, now, 1);
            met_add(m, env->m_writes_ep[c->kind], now, 1);
            if (env->m_writes_class[cls] >= 0)
                met_add(m, env->m_writes_class[cls], now, 1);
        }
    } else if (op->res == KV_OK || op->res == KV_MISS) {
        /* billed as their own kinds (docs/model.md): not reads, not writes */
        met_id id = op->verb == KV_VERB_DELETE ? env->m_deletes : env->m_lists;
        if (id >= 0)
            met_add(m, id, now, 1);
    } else {
        met_add(m, env->m_failed[op->res], now, 1);
        if (env->nepfaults)
            met_add(m, env->m_failed_ep[c->kind][op->type][cls], now, 1);
    }
    if (env->trace) {
        char key[600];
        call_key_name(env, op->key, key, sizeof key);
        fprintf(env->trace, "{\"t\":%" PRId64 ",\"type\":\"kv\",\"call\":%" PRIu64 ",\"op\":\"%s\",\"key\":",
                now, c->id,
                op->verb == KV_VERB_DELETE ? "delete" : op->verb == KV_VERB_LIST ? "list"
                : op->type == KV_GET ? "get" : "put");
        trace_string(env->trace, key);
        fprintf(env->trace, ",\"result\":\"%s\"}\n", kv_result_name(op->res));
    }
    resume(c);
}

/* Fills c's op for the next operation: what every KV call shares. The
 * fields that stay the same for the whole call (loc, rs, tag, done) are
 * set once, at its start; the put fields are the put's (prepare_put), and
 * every completion leaves put_list and put_blob NULL (kv.c put_done takes
 * or drops them). The common case (no scripted or endpoint faults, no
 * pins, under the operation limit) forces nothing and pins nothing. */
static inline kv_op *prepare(call *c, int type, uint32_t key)
{
    kv_op *op = &c->op;
    if (op->list) {
        kv_list_unref(c->env->kv, op->list);
        op->list = NULL;
    }
    if (op->blob) {
        kv_blob_unref(op->blob);
        op->blob = NULL;
    }
    op->verb = KV_VERB_PLAIN;
    op->type = (uint8_t)type;
    op->key = key;
    if (!c->nfaults && !c->env->nepfaults && !c->pins && c->ops < c->env->op_limit) {
        ++c->ops;
        op->force = 0;
        op->pin_lat = -1;
    } else {
        op->force = (int8_t)forced(c, type, key);
        op->pin_lat = pinned(c);
    }
    return op;
}

static inline kv_op *prepare_put(call *c, uint32_t key)
{
    kv_op *op = prepare(c, KV_PUT, key);
    op->put_list = NULL;
    op->put_blob = NULL;
    op->put_attempts = 0;
    op->put_num = 0;
    op->put_ttl = 0;
    return op;
}

void call_get(call *c, uint32_t key)
{
    kv_get(c->env->kv, prepare(c, KV_GET, key));
}

void call_put_status(call *c, uint32_t key, int status)
{
    kv_op *op = prepare_put(c, key);
    op->put_status = (uint8_t)status;
    op->put_attempts = c->found_attempts;
    kv_put(c->env->kv, op);
}

void call_put_num(call *c, uint32_t key, int64_t num, sim_us ttl)
{
    kv_op *op = prepare_put(c, key);
    op->put_num = num;
    op->put_ttl = ttl;
    kv_put(c->env->kv, op);
}

void call_put_blob(call *c, uint32_t key, kv_blob *blob, int status, kv_list *list)
{
    kv_op *op = prepare_put(c, key);
    op->put_status = (uint8_t)status;
    op->put_list = list;
    op->put_blob = blob; /* NULL for the cache key: list->blob holds its text */
    kv_put(c->env->kv, op);
}

void call_misc_op(call *c, int verb, uint32_t key, int64_t num, sim_us ttl, int refuse)
{
    kv_op *op = verb == KV_VERB_LIST ? prepare(c, KV_GET, key) : prepare_put(c, key);
    op->verb = (uint8_t)verb;
    op->put_num = num;
    op->put_ttl = ttl;
    if (refuse && !op->force)
        op->force = (int8_t)refuse;
    if (verb == KV_VERB_LIST)
        kv_list_op(c->env->kv, op);
    else
        kv_put(c->env->kv, op);
}

void call_put_list(call *c)
{
    kv_op *op = prepare_put(c, KV_KEY_CACHE);
    op->put_list = kv_list_ref(c->list);
    kv_put(c->env->kv, op);
}

static void wake(sim_ctx *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    (void)arg;
    resume(obj);
}

void call_sleep(call *c, sim_us dt)
{
    sim_after(c->env->ctx, dt, wake, c, 0);
}
