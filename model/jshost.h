/* jshost.h - the worker host: a scenario's endpoints served by a Worker
 * module's own JavaScript, run by one Node.js process per run under qsim's
 * clock and KV model (docs/worker-host.md).
 *
 * qsim stays the only clock: every invocation is a call (model/call.h)
 * whose steps are the module's KV calls. The host reports each KV call it
 * issues; qsim runs it through the KV model (latency, location caches,
 * 429s, limits, caps, faults, billing, trace) and sends the result back at
 * the simulated completion time. Values are the module's strings: the KV
 * model keeps them as opaque blobs (kv_config.render), beside the
 * structured view qsim's metrics read from them. */
#ifndef QSIM_JSHOST_H
#define QSIM_JSHOST_H

#include "model/call.h"
#include "sim/sim.h"

typedef struct jsh jsh;

/* What the scenario says about the worker. */
typedef struct jsh_config {
    const char *module;          /* path of the module (ES module or CommonJS) */
    const char *const *kv_names; /* KV bindings (env.<NAME>), all one namespace */
    int nkv;
    const char *const *var_names; /* plain-text vars (env.<NAME>) */
    const char *const *var_values;
    int nvars;
    const char *option;          /* env.QSIM_OPTION: the strategy spec of the run */
    int64_t epoch_ms;            /* Date.now() at simulated time 0 */
    uint32_t pending_limit;      /* ?limit= of the bots' pending request */
    uint32_t window;             /* env.QSIM_CACHE_WINDOW: the cache's length */
    uint32_t user_key0;          /* the first misc key of the module's own keys */
    uint32_t nuser_keys;         /* how many (kv_config.nmisc covers them) */
} jsh_config;

/* Distinct keys of its own (not the model's message and cache keys) a
 * module may use in one run. The KV model's tables for them are calloc'd:
 * pages never touched cost no memory. */
#define JSH_USER_KEYS 65536u

/* Starts the host process and loads the module. NULL with err set (code 1)
 * when node cannot run or the module does not load. The node binary is
 * $QSIM_NODE, else "node" on the PATH. */
jsh *jsh_new(sim_ctx *ctx, msg_table *msgs, const jsh_config *cfg, sim_err *err);
/* Ends the host process; NULL is a no-op. */
void jsh_free(jsh *h);
/* kv_config.render for the store of a JS-mode run (ud: the jsh). */
kv_blob *jsh_render(void *ud, uint32_t key, int status, const kv_list *list);
/* Installs the JS endpoints into env (every ep_kind) over store kv. */
void jsh_install(jsh *h, call_env *env, kv_store *kv);
/* Message slot recycling (model/world.c): 1 when the world may release
 * settled slots now (the module has no keys of its own, which could hold
 * message ids, and no batch is being applied); jsh_visit_msgs calls
 * on_msg / on_list on what the host's invocations hold besides their
 * calls: the recent:comments snapshots they read, the keys of their KV
 * operations queued and in flight, the lists of their queued puts. */
int jsh_may_recycle(const jsh *h);
void jsh_visit_msgs(const jsh *h, void (*on_msg)(void *ud, uint32_t m), void (*on_list)(void *ud, const kv_list *l),
                    void *ud);
/* The first runtime failure (host crash, protocol error, unsupported KV
 * key), or NULL. It stops the simulation when it happens. */
const char *jsh_error(const jsh *h);

/* ---- the in-process transport (docs/worker-host.md, "Transports") ----
 *
 * Without it every KV round trip is two process switches over pipes. With
 * the Node-API addon (cli/node/qsim_node.c, `make addon`: build/qsim.node),
 * `qsim run` execs node with the host script, node loads the addon, and the
 * addon runs qsim's own main on a coroutine stack: where the pipe transport
 * writes a batch and blocks in read, the in-process one switches back to
 * the host's JavaScript with the bytes, which answers with the next call
 * into the addon. Same messages, same parser. */

/* Set by the addon before it runs qsim's main: xfer hands out[0..n) to the
 * host and returns when the host answers, with *in (valid until the next
 * call) and its length; -1: the host has exited, with *status. */
typedef long (*jsh_xfer_fn)(const char *out, size_t n, const char **in, int *status);
void jsh_set_inproc(jsh_xfer_fn xfer);

/* `qsim run` of a JS-mode scenario: replaces the process with node running
 * the host script in in-process mode (argv: qsim's own), when the addon is
 * usable and $QSIM_JS_TRANSPORT is not "pipe" (unset: the addon when it is
 * there, built from the same sources, and $QSIM_NODE is unset; "inproc":
 * required). Returns only when it
 * did not exec: 0 (use the pipes), or 1 with a message on stderr
 * ("inproc" asked for and not possible). data_dir: the data folder this
 * process resolved (passed on as $QSIM_DATA: under node, /proc/self/exe is
 * node). The addon is $QSIM_ADDON, else qsim.node beside the binary or in
 * build/ beside it. */
int jsh_exec_inproc(const char *data_dir);

#endif
