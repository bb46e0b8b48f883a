/* scenario.c - the scenario loader's top level: the limits file, defaults,
 * locations, options, kv, endpoints, strategy, worker, and the entry points.
 *
 * The strict validator is model/jv.c; actors, script and faults, and
 * expectations are parsed in scenario_actors.c, scenario_script.c and
 * scenario_expect.c; field tables (parser and writer from one entry per
 * key) in scenario_fields.c; shared declarations in scenario_int.h.
 * Unknown keys are errors: a typo must not fall back silently to a default. */
#include "scenario_int.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provenance.h"

int sc_parse_duration(const char *s, sim_us *out)
{
    return jv_parse_duration(s, out);
}

int sc__location(jv *v, const scenario *s, const cJSON *obj, const char *key, int *out)
{
    char name[SC_NAME] = "";
    if (!jv_get(v, obj, key, 0))
        return 0;
    if (jv_string(v, obj, key, 0, name, sizeof name) != 0)
        return -1;
    for (int i = 0; i < s->nlocs; i++)
        if (strcmp(s->locs[i], name) == 0) {
            *out = i;
            return 0;
        }
    size_t n = jv_push(v, key, 0);
    jv_fail(v, "unknown location '%s' (declare it in \"locations\")", name);
    jv_pop(v, n);
    return -1;
}

static int load_limits(const char *path, sc_limits *l, sim_err *err)
{
    static const char *const keys[] = { "source", "date", "value_max_bytes", "key_max_bytes",
                                        "ops_per_invocation", "same_key_write_interval", "same_key_write_enforcement",
                                        "same_key_write_enforcement_note", "cache_ttl_min",
                                        "cache_ttl_default", "own_writes_visible", "own_writes_visible_note",
                                        "background_refresh", "background_refresh_note", "wait_until_after_response",
                                        "wait_until_after_response_source", "published", "assumptions", NULL };
    cJSON *root = jv_load(path, err);
    if (!root)
        return -1;
    jv v = { path, "", err, 0 };
    int64_t vmax = 0, kmax = 0, ops = 0;
    jv_object(&v, root, keys);
    if (!v.failed && jv_get(&v, root, "value_max_bytes", 1) && jv_get(&v, root, "key_max_bytes", 1) &&
        jv_get(&v, root, "ops_per_invocation", 1) && jv_get(&v, root, "same_key_write_interval", 1) &&
        jv_get(&v, root, "cache_ttl_min", 1) && jv_get(&v, root, "cache_ttl_default", 1)) {
        jv_int(&v, root, "value_max_bytes", 1, 1e12, &vmax);
        jv_int(&v, root, "key_max_bytes", 1, 1e6, &kmax);
        jv_int(&v, root, "ops_per_invocation", 1, 1e9, &ops);
        jv_duration(&v, root, "same_key_write_interval", 1, 0, &l->same_key_interval);
        l->same_key_enforcement = 1.0;
        jv_prob(&v, root, "same_key_write_enforcement", &l->same_key_enforcement);
        jv_duration(&v, root, "cache_ttl_min", 1, 0, &l->cache_ttl_min);
        jv_duration(&v, root, "cache_ttl_default", 1, 0, &l->cache_ttl_default);
        l->own_writes_visible = 1.0;
        jv_prob(&v, root, "own_writes_visible", &l->own_writes_visible);
        jv_prob(&v, root, "background_refresh", &l->background_refresh);
        if (!v.failed && l->cache_ttl_default < l->cache_ttl_min) {
            size_t n = jv_push(&v, "cache_ttl_default", 0);
            jv_fail(&v, "must be at least cache_ttl_min (%lld us), got %lld us", (long long)l->cache_ttl_min,
                    (long long)l->cache_ttl_default);
            jv_pop(&v, n);
        }
        l->wait_until_limit = 30 * SIM_US_PER_S;
        jv_duration(&v, root, "wait_until_after_response", 0, 0, &l->wait_until_limit);
        if (!v.failed)
            pv_check(&v, root, NULL); /* each value published or assumed (model/provenance.h) */
    }
    cJSON_Delete(root);
    l->value_max_bytes = vmax;
    l->key_max_bytes = (int)kmax;
    l->ops_per_invocation = (int)ops;
    return v.failed ? -1 : 0;
}

/* ---- the scenario ---- */

/* true, false, or a probability in [0, 1]. */
static int parse_own_writes(jv *v, const cJSON *obj, double *out)
{
    const cJSON *j = jv_get(v, obj, "own_writes_visible", 0);
    if (!j || cJSON_IsNumber(j))
        return jv_prob(v, obj, "own_writes_visible", out);
    if (!cJSON_IsBool(j)) {
        size_t n = jv_push(v, "own_writes_visible", 0);
        jv_fail(v, "expected true, false or a probability from 0 to 1, got %s", jv_type_name(j));
        jv_pop(v, n);
        return -1;
    }
    *out = cJSON_IsTrue(j) ? 1.0 : 0.0;
    return 0;
}

static int parse_kv(jv *v, const cJSON *j, scenario *s)
{
    static const char *const keys[] = { "cache_ttl", "own_writes_visible", "background_refresh", "latency",
                                        "get_error_prob", "put_error_prob", "p429", NULL };
    static const char *const lat_keys[] = { "get_hit", "get_miss", "put", NULL };
    static const char *const cls_keys[] = { "cache", "individual", "other", NULL };
    const sim_us max_lat = INT64_C(3600000000);
    if (!j)
        return 0;
    size_t n = jv_push(v, "kv", 0);
    if (jv_object(v, j, keys) == 0 &&
        jv_duration(v, j, "cache_ttl", 0, s->limits.cache_ttl_min, &s->kv.cache_ttl) == 0 &&
        jv_at_most(v, "cache_ttl", s->kv.cache_ttl, SC_MAX_SPAN) == 0 &&
        parse_own_writes(v, j, &s->kv.own_writes_visible) == 0 &&
        jv_prob(v, j, "background_refresh", &s->kv.background_refresh) == 0 &&
        jv_prob(v, j, "p429", &s->kv.p429) == 0) {
        const cJSON *lat = jv_get(v, j, "latency", 0);
        if (lat) {
            size_t m = jv_push(v, "latency", 0);
            if (jv_object(v, lat, lat_keys) == 0 && jv_dist(v, lat, "get_hit", 1, max_lat, &s->kv.get_hit) == 0 &&
                jv_dist(v, lat, "get_miss", 1, max_lat, &s->kv.get_miss) == 0)
                jv_dist(v, lat, "put", 1, max_lat, &s->kv.put);
            jv_pop(v, m);
        }
        static const char *const probs[2] = { "get_error_prob", "put_error_prob" };
        for (int k = 0; k < 2 && !v->failed; k++) {
            double *dst = k == 0 ? s->kv.get_error_prob : s->kv.put_error_prob;
            const cJSON *p = jv_get(v, j, probs[k], 0);
            if (!p)
                continue;
            if (cJSON_IsNumber(p)) {
                double x = 0;
                if (jv_prob(v, j, probs[k], &x) == 0)
                    dst[KV_CLASS_CACHE] = dst[KV_CLASS_INDIVIDUAL] = dst[KV_CLASS_OTHER] = x;
                continue;
            }
            size_t m = jv_push(v, probs[k], 0);
            if (jv_object(v, p, cls_keys) == 0 && jv_prob(v, p, "cache", &dst[KV_CLASS_CACHE]) == 0 &&
                jv_prob(v, p, "individual", &dst[KV_CLASS_INDIVIDUAL]) == 0)
                jv_prob(v, p, "other", &dst[KV_CLASS_OTHER]);
            jv_pop(v, m);
        }
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

/* What a 5-field cron expression can repeat at: whole minutes under an
 * hour, whole hours under a day, or a day (model/world.c cron_next). */
static int cron_every_ok(sim_us t)
{
    const sim_us min = 60 * SIM_US_PER_S, hour = 60 * min, day = 24 * hour;
    return (t < hour && t % min == 0) || (t >= hour && t < day && t % hour == 0) || t == day;
}

static int parse_strategy(jv *v, const cJSON *j, scenario *s)
{
    const char *keys[SC_MAX_FIELDS + ST_MAX_EXT + 1];
    size_t nk = 0;
    if (!j)
        return 0;
    for (size_t i = 0; i < sc__nstrategy_fields; i++)
        keys[nk++] = sc__strategy_fields[i].key;
    for (const st_hooks *const *r = st_registry(); *r; r++)
        for (int k = 0; k < (*r)->nparams && nk < SC_MAX_FIELDS + ST_MAX_EXT; k++)
            keys[nk++] = (*r)->params[k].name;
    keys[nk] = NULL;
    size_t n = jv_push(v, "strategy", 0);
    if (jv_object(v, j, keys) == 0 && sc__declared_parse(v, j, s) == 0 &&
        sc__fields_parse_present(v, s, j, sc__strategy_fields, sc__nstrategy_fields, &s->strategy) == 0 &&
        !cron_every_ok(s->strategy.cron_every)) {
        size_t k = jv_push(v, "cron_every", 0);
        jv_fail(v, "a Cron Trigger repeats every N minutes (1 to 59), every H hours (1 to 23) or daily "
                   "(\"5min\", \"2h\", \"1d\")");
        jv_pop(v, k);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static void defaults(scenario *s, const sc_limits *lim)
{
    s->limits = *lim;
    s->seed = 1;
    /* 2025-10-31T00:00:00Z, the day of the incident: only message ids and
     * legacy keys show it; a scenario may set "start_epoch_ms". */
    s->epoch_ms = INT64_C(1761868800000);
    s->duration = INT64_C(86400000000);
    s->noptions = 1;
    snprintf(s->options[0], SC_NAME, "0");
    s->nlocs = 1;
    snprintf(s->locs[0], SC_NAME, "default");
    s->kv.nlocs = 1;
    s->kv.cache_ttl = lim->cache_ttl_default;
    s->kv.own_writes_visible = lim->own_writes_visible;
    s->kv.background_refresh = lim->background_refresh;
    s->kv.get_hit = dist_const(SIM_US_PER_MS);
    s->kv.get_miss = dist_const(20 * SIM_US_PER_MS);
    s->kv.put = dist_const(30 * SIM_US_PER_MS);
    s->kv.same_key_interval = lim->same_key_interval;
    s->kv.p429 = lim->same_key_enforcement;
    s->kv.value_max_bytes = lim->value_max_bytes;
    s->kv.key_max_bytes = lim->key_max_bytes;
    s->kv.window = 200;
    s->kv.cache_key_name = "recent:comments";
    s->plain_bytes = 400;
    st_params_default(&s->strategy);
    s->strategy.wait_until_limit = lim->wait_until_limit;
    s->endpoints = CALL_EP_WRITE_UP;
    s->deployed.pending_limit = 10;
    s->deployed.max_attempts = 3;
    s->deployed.rate_posts = 10;
    s->deployed.rate_window = 60 * SIM_US_PER_S;
}

/* "endpoints": which comments-worker.js runs; "deployed": its parameters,
 * accepted only with "endpoints": "deployed" (they change nothing else). */
static int parse_endpoints(jv *v, const cJSON *root, scenario *s)
{
    char name[16] = "write-up";
    if (jv_string(v, root, "endpoints", 0, name, sizeof name) != 0)
        return -1;
    if (strcmp(name, "deployed") == 0) {
        s->endpoints = CALL_EP_DEPLOYED;
    } else if (strcmp(name, "write-up") != 0) {
        size_t n = jv_push(v, "endpoints", 0);
        jv_fail(v, "expected \"write-up\" or \"deployed\", got '%s'", name);
        jv_pop(v, n);
        return -1;
    }
    const cJSON *d = jv_get(v, root, "deployed", 0);
    if (!d)
        return 0;
    size_t n = jv_push(v, "deployed", 0);
    if (s->endpoints != CALL_EP_DEPLOYED)
        jv_fail(v, "only with \"endpoints\": \"deployed\"");
    else
        sc__fields_parse(v, s, d, sc__deployed_fields, sc__ndeployed_fields, &s->deployed);
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static int worker_module_ok(const char *path, char *why, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, len, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

int sc_set_worker(scenario *s, const char *path, sim_err *err)
{
    char why[1200];
    if (strlen(path) >= sizeof s->worker.module || worker_module_ok(path, why, sizeof why) != 0) {
        err->code = 2;
        snprintf(err->msg, sizeof err->msg, "--worker: %.900s", strlen(path) >= sizeof s->worker.module
                                                                ? "path too long" : why);
        return -1;
    }
    if (s->endpoints == CALL_EP_DEPLOYED) { /* as "worker" in the scenario */
        err->code = 2;
        snprintf(err->msg, sizeof err->msg, "--worker: the scenario has \"endpoints\": \"deployed\": the module is "
                                            "the endpoints (docs/worker-host.md)");
        return -1;
    }
    snprintf(s->worker.module, sizeof s->worker.module, "%s", path);
    if (s->worker.nkv == 0)
        snprintf(s->worker.kv[s->worker.nkv++], SC_NAME, "COMMENTS_KV");
    return 0;
}

/* "worker": { "module": "w.js", "kv": { "COMMENTS_KV": "default" },
 * "vars": { "NAME": "text" } }; the module path is relative to the
 * scenario's folder. */
static int parse_worker(jv *v, const cJSON *w, const char *scenario_path, scenario *s)
{
    static const char *const keys[] = { "module", "kv", "vars", NULL };
    char mod[1024], why[1200];
    if (!w)
        return 0;
    size_t n = jv_push(v, "worker", 0);
    if (jv_object(v, w, keys) != 0 || jv_string(v, w, "module", 1, mod, sizeof mod) != 0)
        goto done;
    if (s->endpoints == CALL_EP_DEPLOYED) {
        jv_fail(v, "the module is the endpoints: leave \"endpoints\" out");
        goto done;
    }
    const char *slash = strrchr(scenario_path, '/');
    int dirlen = mod[0] != '/' && slash ? (int)(slash - scenario_path) : 0;
    if (snprintf(s->worker.module, sizeof s->worker.module, "%.*s%s%s", dirlen, scenario_path, dirlen ? "/" : "",
                 mod) >= (int)sizeof s->worker.module) {
        jv_fail(v, "module path too long");
        goto done;
    }
    if (worker_module_ok(s->worker.module, why, sizeof why) != 0) {
        size_t m = jv_push(v, "module", 0);
        jv_fail(v, "%.700s", why);
        jv_pop(v, m);
        goto done;
    }
    const cJSON *kv = jv_get(v, w, "kv", 0), *e;
    if (kv) {
        size_t m = jv_push(v, "kv", 0);
        if (!cJSON_IsObject(kv))
            jv_fail(v, "expected an object of binding names, each \"default\"");
        for (e = cJSON_IsObject(kv) ? kv->child : NULL; e && !v->failed; e = e->next) {
            size_t q = jv_push(v, e->string, 0);
            if (!cJSON_IsString(e) || strcmp(e->valuestring, "default") != 0)
                jv_fail(v, "expected \"default\" (qsim models one KV namespace)");
            else if (s->worker.nkv == SC_WORKER_NAMES || strlen(e->string) >= SC_NAME || !e->string[0])
                jv_fail(v, "at most %d bindings, names of 1 to %d characters", SC_WORKER_NAMES, SC_NAME - 1);
            else
                snprintf(s->worker.kv[s->worker.nkv++], SC_NAME, "%s", e->string);
            jv_pop(v, q);
        }
        jv_pop(v, m);
    } else {
        snprintf(s->worker.kv[s->worker.nkv++], SC_NAME, "COMMENTS_KV");
    }
    const cJSON *vars = jv_get(v, w, "vars", 0);
    if (vars && !v->failed) {
        size_t m = jv_push(v, "vars", 0);
        if (!cJSON_IsObject(vars))
            jv_fail(v, "expected an object of text variables");
        for (e = cJSON_IsObject(vars) ? vars->child : NULL; e && !v->failed; e = e->next) {
            size_t q = jv_push(v, e->string, 0);
            if (!cJSON_IsString(e) || strlen(e->valuestring) >= 256)
                jv_fail(v, "expected a string of at most 255 bytes");
            else if (s->worker.nvars == SC_WORKER_NAMES || strlen(e->string) >= SC_NAME || !e->string[0])
                jv_fail(v, "at most %d vars, names of 1 to %d characters", SC_WORKER_NAMES, SC_NAME - 1);
            else {
                snprintf(s->worker.var_names[s->worker.nvars], SC_NAME, "%s", e->string);
                snprintf(s->worker.var_values[s->worker.nvars++], 256, "%s", e->valuestring);
            }
            jv_pop(v, q);
        }
        jv_pop(v, m);
    }
done:
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

int sc_parse(const char *name, const char *text, size_t len, const char *limits_path,
             scenario **out, sim_err *err)
{
    sc_limits lim;
    *out = NULL;
    if (load_limits(limits_path, &lim, err) != 0)
        return -1;
    return sc_parse_limits(name, text, len, &lim, out, err);
}

int sc_load_limits(const char *limits_path, sc_limits *out, sim_err *err)
{
    return load_limits(limits_path, out, err);
}

int sc_parse_limits(const char *name, const char *text, size_t len, const sc_limits *limits, scenario **out,
                    sim_err *err)
{
    static const char *const keys[] = { "name", "description", "seed", "duration", "start_epoch_ms", "options", "locations", "worker",
                                        "kv", "cache", "humans", "bots", "readers", "initial", "strategy",
                                        "script", "expect", "faults", "endpoints", "deployed", NULL };
    static const char *const cache_keys[] = { "window", NULL };
    const sc_limits lim = *limits;
    *out = NULL;
    cJSON *root = jv_parse(name, text, len, err);
    if (!root)
        return -1;
    scenario *s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(root);
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", name);
        err->code = 2;
        return -1;
    }
    defaults(s, &lim);
    snprintf(s->path, sizeof s->path, "%s", name);
    jv v = { name, "", err, 0 };
    int64_t seed = 1, window = 200;
    if (jv_object(&v, root, keys) != 0)
        goto done;
    snprintf(s->name, sizeof s->name, "scenario");
    jv_string(&v, root, "name", 0, s->name, sizeof s->name);
    if (!v.failed && jv_get(&v, root, "description", 0) && !cJSON_IsString(jv_get(&v, root, "description", 0))) {
        size_t n = jv_push(&v, "description", 0);
        jv_fail(&v, "expected a string");
        jv_pop(&v, n);
    }
    if (v.failed || jv_int(&v, root, "seed", 0, 9007199254740991.0, &seed) != 0)
        goto done;
    s->seed = (uint64_t)seed;
    if (jv_int(&v, root, "start_epoch_ms", 0, 4102444800000.0, &s->epoch_ms) != 0)
        goto done;
    if (jv_duration(&v, root, "duration", 0, SIM_US_PER_S, &s->duration) != 0)
        goto done;
    const cJSON *locs = jv_get(&v, root, "locations", 0);
    if (locs) {
        size_t n = jv_push(&v, "locations", 0);
        int cnt = cJSON_IsArray(locs) ? cJSON_GetArraySize(locs) : -1;
        if (cnt < 1 || cnt > SC_MAX_LOCS)
            jv_fail(&v, "expected an array of 1 to %d location names", SC_MAX_LOCS);
        int i = 0;
        s->nlocs = 0;
        for (const cJSON *l = cnt > 0 ? locs->child : NULL; l && !v.failed; l = l->next, i++) {
            size_t m = jv_push(&v, NULL, i);
            if (!cJSON_IsString(l) || !l->valuestring[0] || strlen(l->valuestring) >= SC_NAME)
                jv_fail(&v, "expected a location name (1 to %d characters)", SC_NAME - 1);
            for (int q = 0; q < s->nlocs && !v.failed; q++)
                if (strcmp(s->locs[q], l->valuestring) == 0)
                    jv_fail(&v, "location '%s' listed twice", l->valuestring);
            if (!v.failed)
                snprintf(s->locs[s->nlocs++], SC_NAME, "%s", l->valuestring);
            jv_pop(&v, m);
        }
        jv_pop(&v, n);
        s->kv.nlocs = s->nlocs;
    }
    const cJSON *opts = jv_get(&v, root, "options", 0);
    if (opts && !v.failed) {
        size_t n = jv_push(&v, "options", 0);
        int cnt = cJSON_IsArray(opts) ? cJSON_GetArraySize(opts) : -1;
        if (cnt < 1 || cnt > SC_MAX_OPTIONS)
            jv_fail(&v, "expected an array of 1 to %d strategy names such as \"0\", \"1\" or \"1+2\"", SC_MAX_OPTIONS);
        int i = 0;
        s->noptions = 0;
        for (const cJSON *o = cnt > 0 ? opts->child : NULL; o && !v.failed; o = o->next, i++) {
            size_t m = jv_push(&v, NULL, i);
            st_set set;
            sim_err e2;
            if (!cJSON_IsString(o) || strlen(o->valuestring) >= SC_NAME)
                jv_fail(&v, "expected a strategy name such as \"0\", \"1\" or \"1+2\"");
            else if (st_compose(o->valuestring, &s->strategy, &set, &e2) != 0)
                jv_fail(&v, "%s", e2.msg);
            else
                snprintf(s->options[s->noptions++], SC_NAME, "%s", o->valuestring);
            jv_pop(&v, m);
        }
        jv_pop(&v, n);
    }
    if (v.failed || parse_kv(&v, jv_get(&v, root, "kv", 0), s) != 0 || parse_endpoints(&v, root, s) != 0)
        goto done;
    const cJSON *cache = jv_get(&v, root, "cache", 0);
    if (cache) {
        size_t n = jv_push(&v, "cache", 0);
        if (jv_object(&v, cache, cache_keys) == 0 && jv_int(&v, cache, "window", 1, 100000, &window) == 0)
            s->kv.window = (uint32_t)window;
        jv_pop(&v, n);
    }
    if (!v.failed && sc__actors(&v, root, s) == 0 &&
        sc__initial(&v, jv_get(&v, root, "initial", 0), s) == 0 &&
        parse_strategy(&v, jv_get(&v, root, "strategy", 0), s) == 0 &&
        sc__script(&v, jv_get(&v, root, "script", 0), s) == 0 &&
        sc__ep_faults(&v, jv_get(&v, root, "faults", 0), s) == 0 &&
        parse_worker(&v, jv_get(&v, root, "worker", 0), name, s) == 0)
        sc__expect(&v, jv_get(&v, root, "expect", 0), s);
done:
    cJSON_Delete(root);
    if (v.failed) {
        sc_free(s);
        return -1;
    }
    err->code = 0;
    *out = s;
    return 0;
}

int sc_load(const char *path, const char *limits_path, scenario **out, sim_err *err)
{
    size_t len = 0;
    char *text = jv_slurp(path, &len, err);
    *out = NULL;
    if (!text)
        return -1;
    int rc = sc_parse(path, text, len, limits_path, out, err);
    free(text);
    return rc;
}

void sc_free(scenario *s)
{
    if (!s)
        return;
    free(s->msgs);
    free(s->script);
    free(s->pins);
    free(s->expect);
    free(s);
}
