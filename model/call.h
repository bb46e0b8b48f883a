/* call.h - one Worker invocation: a request to an endpoint, running as a
 * coroutine that yields at every KV operation.
 *
 * Endpoint and strategy code reads like the Worker's JavaScript: each
 * `await env.KV.get(...)` is a CALL_GET that yields until the KV model
 * completes the operation. The coroutines are protothreads (switch on a
 * saved line number), so locals do not survive a yield: keep state in the
 * call. Nested coroutines (a strategy hook inside an endpoint) use the next
 * level of pc[]. Calls come from a pool; none is allocated per request once
 * the pool has grown to the peak number of concurrent requests. */
#ifndef QSIM_CALL_H
#define QSIM_CALL_H

#include <stdint.h>
#include <stdio.h>

#include "model/kv.h"
#include "model/msg.h"
#include "sim/sim.h"

/* EP_COMMENTS is GET /api/comments, the chat page's read (readers). */
typedef enum { EP_POST = 0, EP_PENDING, EP_CLAIM, EP_COMPLETE, EP_FAIL, EP_CRON, EP_COMMENTS, EP_COUNT } ep_kind;
const char *ep_name(int kind);    /* "post", "pending", ... */
int ep_parse(const char *name);   /* -1 when unknown */

enum { CO_DONE = 0, CO_WAIT = 1 };
#define CO_LEVELS 4

#define CO_BEGIN(c, lvl) switch ((c)->pc[lvl]) { case 0:
#define CO_END(c, lvl) } (c)->pc[lvl] = 0; return CO_DONE
#define CO_RETURN(c, lvl) do { (c)->pc[lvl] = 0; return CO_DONE; } while (0)
/* Suspends here; the next resume continues after this point. */
#define CO_YIELD(c, lvl) do { (c)->pc[lvl] = __LINE__; return CO_WAIT; case __LINE__:; } while (0)
/* Runs a nested coroutine (expr, at level lvl + 1) to completion. */
#define CO_AWAIT(c, lvl, expr) do { (c)->pc[lvl] = __LINE__; __attribute__((fallthrough)); \
        case __LINE__: if ((expr) == CO_WAIT) return CO_WAIT; } while (0)

/* await env.KV.get / put; the reply is in c->op (res, status, list). */
#define CALL_GET(c, lvl, key) do { call_get((c), (key)); CO_YIELD(c, lvl); } while (0)
#define CALL_PUT_STATUS(c, lvl, key, st) do { call_put_status((c), (key), (st)); CO_YIELD(c, lvl); } while (0)
#define CALL_PUT_LIST(c, lvl) do { call_put_list(c); CO_YIELD(c, lvl); } while (0)
#define CALL_SLEEP(c, lvl, dt) do { call_sleep((c), (dt)); CO_YIELD(c, lvl); } while (0)
/* await env.KV.put(key, String(num), ttl ? { expirationTtl } : {}) on a misc key. */
#define CALL_PUT_NUM(c, lvl, key, num, ttl) do { call_put_num((c), (key), (num), (ttl)); CO_YIELD(c, lvl); } while (0)

/* A scripted fault: the nth operation of this call matching (op, key class)
 * fails with kind. op and key_class -1 match any. */
/* Fault key selectors beyond the key classes: one misc key kind each. */
enum { CALL_KEY_HEARTBEAT = 10, CALL_KEY_MSG_COUNT, CALL_KEY_RATE_LIMIT };
typedef struct call_fault {
    int op;         /* KV_GET, KV_PUT or -1 */
    int key_class;  /* KV_CLASS_*, CALL_KEY_* or -1 */
    int nth;        /* 1-based */
    int kind;       /* kv_result */
} call_fault;

#define CALL_MAX_FAULTS 16

/* An endpoint fault (the scenario's "faults"): every KV operation that an
 * invocation of endpoint issues and that matches (op, key class) fails with
 * kind, with probability prob. endpoint, op and key_class -1 match any.
 * Draws come from the caller's kv:fault:<actor> stream: one uniform per
 * (operation, matching entry) when 0 < prob < 1; prob 0 and 1 draw nothing. */
typedef struct call_epfault {
    int endpoint;   /* ep_kind or -1 */
    int op;         /* KV_GET, KV_PUT or -1 */
    int key_class;  /* KV_CLASS_CACHE, KV_CLASS_INDIVIDUAL or -1 */
    double prob;
    int kind;       /* kv_result */
} call_epfault;

#define CALL_MAX_EPFAULTS 64

typedef struct call call;
typedef struct call_env call_env;
typedef int (*call_entry)(call *c);
typedef void (*call_done_fn)(void *owner, call *c);

struct call {
    call_env *env;
    uint64_t id;          /* call number, from 1, in start order */
    uint8_t kind;         /* ep_kind */
    int loc;
    uint32_t msg;         /* the message the call is about, or MSG_NONE */
    const char *actor;
    const kv_streams *rs; /* the actor's KV streams */
    void *owner;
    call_done_fn done;
    sim_us started;
    int kvr, kvw, ops;    /* the Worker's own kvReads/kvWrites, and all ops */
    int status;           /* HTTP status of the response */
    int responded;        /* the response went out before the invocation
                           * ended (call_respond: ctx.waitUntil) */
    sim_us responded_at;
    int pc[CO_LEVELS];
    kv_op op;
    /* scratch for endpoint and strategy code */
    kv_list *list;        /* working copy of recent:comments, owned */
    uint32_t i;           /* scan position */
    uint32_t open_k;      /* the scan's place in c->list's open entries
                           * (kv_list_next_open_at) */
    uint32_t key;         /* individual key found by a lookup */
    int found;            /* stored status found by a lookup; -1 missing */
    int dirty;            /* the working copy was changed */
    int target;           /* status claim/complete/fail write */
    int attempt;
    uint8_t found_attempts; /* botParams.attempts found by a lookup; an
                             * individual put writes it back */
    uint8_t stored;       /* deployed post: the message's own key landed */
    uint32_t slot;        /* deployed post: the sender's rate-limit slot */
    uint32_t *ret;        /* pending: messages returned */
    uint32_t nret;
    uint32_t *fix_msg;    /* cache changes this call means to make */
    uint8_t *fix_status;
    uint32_t nfix;
    /* scripted faults and pinned latencies (a replayed call) */
    const call_fault *faults;
    int nfaults;
    int fault_seen[CALL_MAX_FAULTS];
    const sim_us *pins;   /* op k completes at started + pins[k]; NULL: drawn */
    int npins;
    uint8_t running;      /* started and not yet finished */
    void *js;             /* JS mode: the invocation's host state (model/jshost.c) */
    call *next_free;
    unsigned char *st_state; /* the strategies' per-call state
                              * (env->st_call_size bytes, zeroed at start) */
};

/* Which comments-worker.js the endpoints run (docs/model.md). */
enum { CALL_EP_WRITE_UP = 0, CALL_EP_DEPLOYED = 1 };

/* The deployed Worker's parameters. */
typedef struct call_deployed {
    uint32_t pending_limit;  /* ?limit= of the bot's pending request */
    int max_attempts;        /* fail: pending again until this attempt */
    int rate_posts;          /* posts a sender may make per window */
    sim_us rate_window;      /* the rate-limit key's expirationTtl */
} call_deployed;

/* A sender's rate-limit slot: its key is kv_key_rate_limit(slot). */
enum { CALL_RL_EXEMPT = 0, CALL_RL_LIMITED = 1, CALL_RL_BY_TYPE = 2 };
typedef struct call_sender {
    const char *name;
    uint8_t limited;   /* CALL_RL_*; BY_TYPE: human messages only */
} call_sender;

/* Where the queue lives when a strategy moves it off KV (Option 4's
 * Durable Object): the tracker asks it for stored statuses, the message
 * recycler visits the snapshots it holds, and it reports its cache changes
 * through env->on_write as KV reports central writes. status NULL: KV's
 * central store is the truth. */
typedef struct call_backend {
    int (*status)(const void *be, uint32_t key);  /* -1: no such key */
    void (*visit)(const void *be, void (*fn)(void *ud, uint32_t m), void *ud);
    const kv_list *(*cache)(const void *be);      /* the window it holds */
    const void *be;
} call_backend;

/* What a strategy or the world may observe or count. */
typedef struct call_hooks {
    void (*on_call_end)(void *ud, const call *c);
    void *ud;
} call_hooks;

struct call_env {
    sim_ctx *ctx;
    met_registry *met;     /* sim_metrics(ctx), read once */
    kv_store *kv;
    msg_table *msgs;
    FILE *trace;           /* JSON Lines (docs/trace.md), or NULL */
    call_entry entry[EP_COUNT];
    const struct st_set *strategy; /* model/strategy.h, for endpoints */
    void *st_run[4];       /* per-run state of strategy part i (attach);
                            * 4 is ST_MAX_PARTS */
    size_t st_call_size;   /* per-call state bytes, all parts */
    call_backend backend;
    kv_write_fn on_write;  /* the observer of cache changes (the tracker) */
    void *on_write_ud;
    call_hooks hooks;
    uint32_t window;
    uint64_t next_id;
    call *free_calls;
    call **all;            /* every call ever made, to free */
    size_t nall, capall;
    int op_limit;          /* KV operations per invocation */
    int endpoints;         /* CALL_EP_* */
    call_deployed dep;
    int64_t epoch_ms;      /* wall-clock ms at simulated time 0 (Date.now()) */
    const call_sender *senders; /* the run's senders, by slot */
    uint32_t nsenders;
    /* metric ids */
    met_id m_reads, m_writes, m_requests;
    met_id m_reads_ep[EP_COUNT], m_writes_ep[EP_COUNT], m_calls_ep[EP_COUNT];
    met_id m_reads_class[KV_CLASS_COUNT], m_writes_class[KV_CLASS_COUNT];
    met_id m_failed[KV_RESULT_COUNT];
    met_id m_http[EP_COUNT][6];
    met_id m_swallowed[KV_RESULT_COUNT + 1]; /* + CALL_EPARSE */
    met_id m_entry_missing;
    met_id m_retries, m_gave_up;
    /* endpoint faults (call_env_set_faults); none by default */
    const call_epfault *epfaults;
    int nepfaults;
    met_id m_ep_matched[CALL_MAX_EPFAULTS], m_ep_fired[CALL_MAX_EPFAULTS];
    met_id m_failed_ep[EP_COUNT][2][KV_CLASS_COUNT]; /* [endpoint][op][key class], with epfaults only */
    met_id m_wait_until, m_wait_until_cut;
    /* the plan's daily request cap (kv_config.daily_request_cap) */
    int64_t req_day, day_requests;
    met_id m_capped, r_caps;
    met_id m_cache_reset; /* deployed post: an unparseable cache replaced */
    void *js;              /* JS mode: the worker host (model/jshost.h), or NULL */
    /* JS mode: the names of the module's own keys (misc keys past the
     * deployed Worker's); 0 when key is not one of them */
    int (*misc_name)(void *ud, uint32_t key, char *buf, size_t len);
    met_id m_deletes, m_lists; /* JS mode: kv.deletes, kv.lists (else -1) */
};

/* The cache value could not be parsed (a corrupt recent:comments). */
#define CALL_EPARSE KV_RESULT_COUNT

static inline int call_failed(const call *c) { return c->op.res != KV_OK && c->op.res != KV_MISS; }
/* Takes the list the last get returned: the caller now owns it in c->list. */
void call_take_list(call *c);
/* Counts an error a try/catch logged and swallowed (kind: kv_result or
 * CALL_EPARSE), and a cache update that found no entry to change. */
void call_swallowed(call *c, int kind);
void call_entry_missing(call *c);
/* Option 2's bookkeeping: a retry of the cache update, and giving up. */
void call_retried(call *c);
void call_gave_up(call *c);
/* Work left to ctx.waitUntil was cancelled by the runtime's limit. */
void call_wait_until_cancelled(call *c);
/* Sends the response now with c->status, while the invocation goes on:
 * the handler returned and left work to ctx.waitUntil. The owner's done
 * runs now and sees kvr/kvw as they are (the response can only report
 * operations made before it); the call's later operations still count
 * against its per-invocation limit, and the call ends (trace "end",
 * on_call_end, in-flight count) when that work finishes. */
void call_respond(call *c);
/* Records that entry m should read status st (an upsert in c->fix_*). */
void call_note_fix(call *c, uint32_t m, int st);

int call_env_init(call_env *env, sim_ctx *ctx, kv_store *kv, msg_table *msgs, uint32_t window, int op_limit);
/* Switches env to the deployed endpoints' keys and metrics (the "other"
 * key class, cache resets); senders (kept by reference) name the
 * rate-limit slots. Counters are registered only here, so write-up runs
 * report exactly what they did before. -1 if a counter could not be
 * registered (out of memory). */
int call_env_deployed(call_env *env, const call_deployed *dep, const call_sender *senders, uint32_t nsenders);
void call_env_deinit(call_env *env);
/* Installs the scenario's endpoint faults (the array must outlive env) and
 * registers their counters: faults.<i>.matched, faults.<i>.fired and the
 * failures by endpoint, kv.failed.<endpoint>.<get|put>.<cache|individual>.
 * Nothing is registered when n is 0, so runs without faults report the
 * same counters as before. -1 if a counter could not be registered. */
int call_env_set_faults(call_env *env, const call_epfault *faults, int n);

/* Starts a request; it runs until its first KV operation before returning.
 * Past the plan's daily request cap the Worker does not run: the request
 * ends at once (in an event of its own) with 429, the status of Cloudflare's
 * error 1027 page, and counts as worker.requests.capped, not as a request.
 * done(owner, c) is called when it ends; c is recycled right after. */
call *call_start(call_env *env, int kind, const char *actor, const kv_streams *rs, int loc, uint32_t mi,
                 const call_fault *faults, int nfaults, void *owner, call_done_fn done);
/* The same, with op k completing at start + pins[k] (k < npins) and no
 * random failure or 429 on those ops: how a traced call is replayed. */
call *call_start_pinned(call_env *env, int kind, const char *actor, const kv_streams *rs, int loc, uint32_t mi,
                        const call_fault *faults, int nfaults, const sim_us *pins, int npins, void *owner,
                        call_done_fn done);

/* Message slot recycling (model/msg.h): calls fn on every message a
 * running request refers to: its own, those it returned or means to fix,
 * and every entry of the cache snapshots it holds. */
void call_visit_msgs(const call_env *env, void (*fn)(void *ud, uint32_t m), void *ud);

void call_get(call *c, uint32_t key);
void call_put_status(call *c, uint32_t key, int status);
/* Puts c->list (the call keeps its reference; kv gets another). */
void call_put_list(call *c);
void call_sleep(call *c, sim_us dt);
void call_put_num(call *c, uint32_t key, int64_t num, sim_us ttl);
/* JS mode: puts a Worker's value. blob (a reference given away) is what the
 * module stored; status or list (a reference given away; cache key only)
 * is what qsim reads from it for its metrics. */
void call_put_blob(call *c, uint32_t key, kv_blob *blob, int status, kv_list *list);
/* JS mode's own keys (model/jshost.c): a put of value version num (ttl as
 * call_put_num), a delete (verb KV_VERB_DELETE) or a list (KV_VERB_LIST,
 * key any misc key). refuse: a kv_result the binding fails with before
 * sending (a key or value over its limit), or 0. */
void call_misc_op(call *c, int verb, uint32_t key, int64_t num, sim_us ttl, int refuse);

/* The trace key text of a KV key. */
void call_key_name(const call_env *env, uint32_t key, char *buf, size_t len);

#endif
