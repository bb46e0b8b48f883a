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
} st_hooks;

#define ST_MAX_PARTS 4

typedef struct st_set {
    char name[64];        /* canonical, e.g. "1+2" */
    st_hooks h;           /* merged */
    st_params p;
    int nparts;
    const st_hooks *parts[ST_MAX_PARTS];
} st_set;

/* Parses "0", "1", "1+2", ... into a merged set. Returns 0, or -1 with a
 * message naming the unknown strategy or the clashing hook. */
int st_compose(const char *spec, const st_params *p, st_set *out, sim_err *err);
/* The registry, for --help: NULL-terminated. */
const st_hooks *const *st_registry(void);
void st_params_default(st_params *p);

#endif
