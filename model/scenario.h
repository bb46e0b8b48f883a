/* scenario.h - scenario files: JSON in, validated configuration out.
 *
 * sc_load reads and checks everything up front (unknown keys, types,
 * ranges), so a run never meets bad input. Errors name the file and either
 * line:col (malformed JSON) or the JSON path of the offending value, say
 * what was expected, and carry code 2. Every field: docs/scenarios.md. */
#ifndef QSIM_SCENARIO_H
#define QSIM_SCENARIO_H

#include <stdint.h>

#include "model/dist.h"
#include "model/call.h"
#include "model/kv.h"
#include "model/strategy.h"
#include "sim/sim.h"

#define SC_MAX_LOCS 300     /* Cloudflare's footprint: about 300 cities (issue 18) */
#define SC_MAX_HUMANS 16
#define SC_MAX_BOTS 1000
#define SC_MAX_READERS 16
#define SC_MAX_PAGES 100000   /* readers[].count */
#define SC_MAX_OPTIONS 16
#define SC_NAME 64

typedef struct sc_human {
    char name[SC_NAME];
    int loc;
    double rate_per_s;     /* Poisson arrivals; with a profile, its mean */
    int have_profile;      /* rate_by_hour given: a Poisson process whose rate
                            * is rate_by_hour[h] in hour h of the UTC day */
    double rate_by_hour[24];
    double entity_share;   /* share addressed to an AI entity */
    double legacy_share;   /* share stored under the legacy key format */
    dist bytes;
    int priority;          /* botParams.priority of its messages (deployed) */
    int rate_limited;      /* pays the deployed post's rate limit */
} sc_human;

/* bots[].loop: how the bot schedules its polls (docs/model.md#bots). */
enum { SC_LOOP_SEQUENTIAL = 0, SC_LOOP_INTERVAL };
/* bots[].first_poll not given (or "random"): the bot draws its phase
 * uniformly in [0, poll_every) from its stream "bot-phase:<name>". */
#define SC_PHASE_RANDOM (-1)

typedef struct sc_bot {
    char name[SC_NAME];
    int loc;
    int loop;              /* SC_LOOP_* */
    sim_us poll_every;
    sim_us first_poll;     /* or SC_PHASE_RANDOM */
    dist generation;       /* µs, the LLM call */
    dist reply_bytes;
    double fail_prob;      /* generation fails: the bot calls fail */
    double crash_prob;     /* crashes after a successful claim */
    sim_us restart_after;  /* PM2 restarts the crashed bot after this */
    int rate_limited;      /* its replies pay the deployed post's rate limit */
} sc_bot;

/* Open chat pages polling GET /api/comments: count identical pages at one
 * location, each every period (phase drawn per page unless first_poll is
 * given) or, when period is 0, each a Poisson process at rate_per_s. */
typedef struct sc_reader {
    char name[SC_NAME];
    int loc;
    int32_t count;
    sim_us period;         /* 0: Poisson */
    double rate_per_s;     /* per page, when period is 0 */
    sim_us first_poll;     /* or SC_PHASE_RANDOM */
} sc_reader;

typedef struct sc_msg {
    char id[SC_NAME];
    int type;              /* msg_type */
    int entity;
    int legacy;
    int stored;            /* msg_status in the individual key; -1: none */
    int cached;            /* msg_status in the cache; -1: not in the cache */
    int32_t bytes;
    int priority;          /* botParams.priority */
} sc_msg;

/* A scripted call: run through the same endpoint code as generated ones.
 * kind is an ep_kind, or SC_CORRUPT: a write of an unparseable cache. */
#define SC_CORRUPT 100
#define SC_MAX_FAULTS CALL_MAX_FAULTS
#define SC_MAX_PINS 1024
#define SC_MAX_EPFAULTS CALL_MAX_EPFAULTS
typedef struct sc_call {
    sim_us at;
    int kind;
    char actor[SC_NAME];
    int loc;
    char msg[SC_NAME];     /* message id ("" for pending) */
    int type, entity, legacy;  /* post: the new message */
    int32_t bytes;
    int priority;
    int nfaults;
    call_fault faults[SC_MAX_FAULTS];
    int npins;             /* "done_us": op completion times after the call's start (a replay) */
    int64_t pin_off;       /* into scenario.pins */
} sc_call;

/* An expectation checked at the end of a run (docs/scenarios.md). */
enum { SC_EXPECT_POLL, SC_EXPECT_MSG, SC_EXPECT_METRIC };
enum { SC_CMP_EQ, SC_CMP_LE, SC_CMP_GE, SC_CMP_LT, SC_CMP_GT };
#define SC_POLL_LAST (-1)
#define SC_POLL_ALL (-2)
#define SC_UNCHECKED (-100)
typedef struct sc_expect {
    int kind;
    char option[SC_NAME];  /* "" : every option */
    char where[SC_NAME];   /* JSON path, for messages */
    int poll;              /* 1-based index, SC_POLL_LAST or SC_POLL_ALL */
    int64_t kvr, kvw, returned; /* SC_UNCHECKED when not given */
    char msg[SC_NAME];
    int cache_status, stored_status; /* SC_UNCHECKED; -1 absent */
    char metric[96];
    int cmp;
    int64_t value;
} sc_expect;

typedef struct sc_limits {
    int64_t value_max_bytes;
    int key_max_bytes;
    int ops_per_invocation;
    sim_us same_key_interval;
    double same_key_enforcement; /* default kv.p429 */
    sim_us cache_ttl_min;
    sim_us cache_ttl_default;
    double own_writes_visible;   /* default kv.own_writes_visible */
    double background_refresh;   /* default kv.background_refresh */
    sim_us wait_until_limit;     /* ctx.waitUntil work after the response */
} sc_limits;

/* "worker" (docs/worker-host.md): the endpoints are a Worker module run by
 * the worker host (model/jshost.h); module "" means the C endpoints. */
#define SC_WORKER_NAMES 8
typedef struct sc_worker {
    char module[1024];     /* resolved against the scenario's folder */
    int nkv;
    char kv[SC_WORKER_NAMES][SC_NAME]; /* KV binding names, one namespace */
    int nvars;
    char var_names[SC_WORKER_NAMES][SC_NAME];
    char var_values[SC_WORKER_NAMES][256];
} sc_worker;

typedef struct scenario {
    char path[512];
    char name[SC_NAME];
    uint64_t seed;
    sim_us duration;
    int64_t epoch_ms;      /* wall-clock ms at simulated time 0 (message ids) */
    int noptions;
    char options[SC_MAX_OPTIONS][SC_NAME];
    int nlocs;
    char locs[SC_MAX_LOCS][SC_NAME];
    kv_config kv;
    sc_limits limits;
    int nhumans;
    sc_human humans[SC_MAX_HUMANS];
    int nbots;
    sc_bot bots[SC_MAX_BOTS];
    int nreaders;
    sc_reader readers[SC_MAX_READERS];
    int32_t plain_count;   /* initial plain chat, oldest in the cache */
    int32_t plain_bytes;
    int nmsgs;
    sc_msg *msgs;          /* initial messages, oldest first */
    st_params strategy;
    int endpoints;         /* CALL_EP_WRITE_UP (default) or CALL_EP_DEPLOYED */
    call_deployed deployed;
    int ncalls;
    sc_call *script;
    sim_us *pins;          /* every script call's pinned latencies */
    int64_t npins;
    int nexpect;
    sc_expect *expect;
    int nfaults;           /* endpoint faults ("faults") */
    call_epfault faults[SC_MAX_EPFAULTS];
    sc_worker worker;      /* "worker": endpoints from a Worker module */
} scenario;

/* Loads path, reading KV limits from limits_path (a data file). Returns 0,
 * or -1 with err->code 2 and a located message. *out is freed by sc_free. */
int sc_load(const char *path, const char *limits_path, scenario **out, sim_err *err);
/* Same, from text already in memory (name is used in messages). */
int sc_parse(const char *name, const char *text, size_t len, const char *limits_path,
             scenario **out, sim_err *err);
/* The same with the limits already loaded (sc_load_limits): for callers
 * that parse many scenarios, such as the fuzzer. */
int sc_load_limits(const char *limits_path, sc_limits *out, sim_err *err);
int sc_parse_limits(const char *name, const char *text, size_t len, const sc_limits *limits, scenario **out,
                    sim_err *err);
void sc_free(scenario *s);
/* Sets the worker module (--worker FILE): path as given, bindings
 * COMMENTS_KV unless the scenario named some. -1 with err (code 2) when
 * the file cannot be read. */
int sc_set_worker(scenario *s, const char *path, sim_err *err);


/* The scenario as explicit JSON (every value written; expectations are
 * not), that sc_parse reads back to the same scenario. Caller deletes. */
struct cJSON;
struct cJSON *sc_to_json(const scenario *s, const char *description);
/* A deep copy; free with sc_free. NULL on OOM. */
scenario *sc_clone(const scenario *s);

/* "12.500s", "3min", "1d" -> µs. Returns 0, or -1 (syntax, overflow). */
int sc_parse_duration(const char *s, sim_us *out);

#endif
