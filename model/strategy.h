/* strategy.h - the fixes under comparison, as hook tables over the
 * endpoints' code.
 *
 * A strategy fills only the hooks it changes; NULL means "the seed's code"
 * (Option 0). Strategies compose ("1+2") by merging tables: two strategies
 * filling the same hook do not compose and st_compose says so. Hooks that
 * touch KV are coroutines at the level they are given (see call.h). A new
 * strategy is one file in model/strategies/ and one line in strategy.c. */
#ifndef QSIM_STRATEGY_H
#define QSIM_STRATEGY_H

#include "model/call.h"
#include "sim/sim.h"

typedef int (*st_co)(call *c, int lvl);

/* A strategy's own parameter, declared in its hook table: the scenario
 * loader parses it from the "strategy" object (located errors), the writer
 * writes it back when it differs from the default, and a --option spec
 * may set an ENUM or INT one ("4:do_storage=scan"). Values are int64:
 * ENUM the index in choices, DURATION microseconds, LOCATION a scenario
 * location index (-1: the first), INT the number. */
typedef enum { ST_PARAM_ENUM = 0, ST_PARAM_DURATION, ST_PARAM_LOCATION, ST_PARAM_INT } st_param_kind;
typedef struct st_param {
    const char *name;            /* key in the scenario's "strategy" object */
    int kind;                    /* st_param_kind */
    const char *const *choices;  /* ENUM: NULL-terminated names */
    int64_t def, lo, hi;         /* default; bounds of INT and DURATION */
    const char *doc;             /* one line: what it means, its unit */
} st_param;

/* Slots for every registered strategy's declared parameters. */
#define ST_MAX_EXT 16

struct st_set;

/* Where Option 2's cache update runs: after the response, in
 * ctx.waitUntil (the default), or before it, awaited in the handler. */
enum { ST_PLACE_WAIT_UNTIL = 0, ST_PLACE_INLINE = 1 };

/* Cron Triggers run where Cloudflare chooses ("underutilized machines"),
 * not at an edge location of the scenario: a KV location of its own, after
 * the scenario's (model/world.c). */
#define ST_CRON_LOC_CLOUDFLARE (-1)

/* Parameters strategies may read; set from the scenario's "strategy". */
typedef struct st_params {
    int retry_max_attempts;     /* Option 2: tries of the cache update */
    sim_us retry_first_backoff; /* Option 2: first wait, doubling */
    int option2_placement;      /* ST_PLACE_* */
    sim_us wait_until_limit;    /* how long work may go on after the
                                 * response (data/limits) */
    sim_us cron_every;          /* Option 3: trigger period */
    int cron_loc;               /* Option 3: where the cron invocation runs:
                                 * a scenario location (an override), or
                                 * ST_CRON_LOC_CLOUDFLARE */
    int64_t ext[ST_MAX_EXT];    /* declared parameters (st_param), by
                                 * st_param_slot */
} st_params;

typedef struct st_hooks {
    const char *name;     /* as in --option: "0", "1", "1fixed", ... */
    const char *summary;  /* one line for --help and reports */
    /* pending: must entry e of the cache be verified? NULL: when its cache
     * status is not terminal. */
    int (*pending_should_verify)(const call *c, const kv_entry *e);
    /* pending: verify entry c->list->e[c->i]; append to c->ret when stored
     * status is pending. May heal c->list and set c->dirty. NULL: the seed's
     * current-then-legacy lookup. */
    st_co pending_verify;
    /* pending: after the scan, before responding. NULL: nothing. */
    st_co pending_after_scan;
    /* claim/complete/fail: bring the cache entry of c->msg to c->target.
     * NULL: the seed's single try whose errors are swallowed. */
    st_co cache_update;
    /* cron-triggered invocation (Option 3); runs only when set. */
    st_co cron_job;
    /* post: after the message's key is written, add it to the cache.
     * NULL: the seed's get, append, keep the newest window, put. */
    st_co post_append;
    /* A whole endpoint replaced, for a strategy that moves the queue off
     * KV (Option 4). NULL: the seed's endpoint with the hooks above. */
    st_co endpoint[EP_COUNT];
    /* Per-run state: attach runs once when the endpoints are installed
     * (it may register metrics, build objects, and set env->backend);
     * detach frees what attach made. Returns 0, or -1 with err filled. */
    int (*attach)(call_env *env, const struct st_set *st, sim_err *err);
    void (*detach)(call_env *env);
    /* End of the run, before the metrics are read: add end-of-run counters. */
    void (*finish)(call_env *env);
    /* Bytes of per-call state (st_call_state), zeroed at each call start. */
    size_t call_state_size;
    const st_param *params;
    int nparams;
} st_hooks;

#define ST_MAX_PARTS 4

typedef struct st_set {
    char name[64];        /* canonical, e.g. "1+2" */
    st_hooks h;           /* merged */
    st_params p;
    int nparts;
    const st_hooks *parts[ST_MAX_PARTS];
    size_t call_off[ST_MAX_PARTS]; /* part i's per-call state offset */
    size_t call_size;              /* all parts' per-call state */
} st_set;

/* Parses "0", "1", "1+2", "4:do_storage=scan", ... into a merged set. Returns 0, or -1 with a
 * message naming the unknown strategy or the clashing hook. */
int st_compose(const char *spec, const st_params *p, st_set *out, sim_err *err);
/* The same, also finding names in extra (NULL-terminated, may be NULL):
 * strategies outside the registry, which declare no parameters. */
int st_compose_ext(const char *spec, const st_params *p, const st_hooks *const *extra, st_set *out,
                   sim_err *err);
/* Per-run state of the strategies in env (attach in order; on failure the
 * attached ones are detached). */
int st_attach(call_env *env, const st_set *st, sim_err *err);
void st_detach(call_env *env, const st_set *st);
void st_finish(call_env *env, const st_set *st);
/* The slot of h's k-th parameter (h must be registered). */
int st_param_slot(const st_hooks *h, int k);
/* h's k-th parameter's value in set st. */
int64_t st_param_value(const struct st_set *st, const st_hooks *h, int k);
/* The value of a parameter's text form (ENUM name or INT); -1 when bad. */
int st_param_parse(const st_param *p, const char *text, int64_t *out);
/* Strategy h's per-run state in env (what its attach stored), and storing
 * it; h must be a part of env's set. */
void *st_run_state(const call_env *env, const st_hooks *h);
void st_set_run_state(call_env *env, const st_hooks *h, void *state);
/* The per-call state of c for strategy h (call_state_size bytes). */
void *st_call_state(call *c, const st_hooks *h);
/* The registry, for --help: NULL-terminated. */
const st_hooks *const *st_registry(void);
void st_params_default(st_params *p);

#endif
