/* scenario.c - strict scenario parsing with located errors.
 *
 * A small validator walks the cJSON tree with a path stack ("bots[1].
 * generation.median"); every accessor checks presence, type and range and
 * reports the first problem. Unknown keys are errors: a typo must not fall
 * back silently to a default. */
#include "scenario.h"

#include "model/figures.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idset.h"
#include "jv.h"
#include "provenance.h"

/* ---- durations ---- */

int sc_parse_duration(const char *s, sim_us *out)
{
    static const struct { const char *unit; int64_t us; } units[] = {
        { "us", 1 }, { "ms", 1000 }, { "s", 1000000 }, { "min", 60000000 },
        { "h", INT64_C(3600000000) }, { "d", INT64_C(86400000000) },
    };
    const char *p = s;
    int64_t whole = 0, frac = 0, fscale = 1;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > (INT64_MAX - 9) / 10)
            return -1;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (fscale > INT64_MAX / 100)
                return -1; /* more digits than any unit resolves */
            frac = frac * 10 + (*p - '0');
            fscale *= 10;
        }
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].unit) != 0)
            continue;
        int64_t u = units[i].us;
        if (whole > INT64_MAX / u)
            return -1;
        int64_t t = whole * u;
        if (frac) { /* the fraction must come to whole microseconds */
            if (frac > INT64_MAX / u)
                return -1;
            int64_t f = frac * u;
            if (f % fscale != 0)
                return -1;
            if (t > INT64_MAX - f / fscale)
                return -1;
            t += f / fscale;
        }
        *out = t;
        return 0;
    }
    return -1;
}

/* Durations that are added to the clock (cache expiries, waits) stay far
 * from int64 overflow: at most a year. */
#define SC_MAX_SPAN (INT64_C(366) * 86400 * 1000000)

static int at_most(jv *v, const char *key, sim_us t, sim_us max)
{
    if (t <= max)
        return 0;
    size_t n = jv_push(v, key, 0);
    jv_fail(v, "at most %lld s", (long long)(max / 1000000));
    jv_pop(v, n);
    return -1;
}

static int jv_duration(jv *v, const cJSON *obj, const char *key, int required, sim_us lo, sim_us *out)
{
    const cJSON *j = jv_get(v, obj, key, required);
    if (!j)
        return required ? -1 : 0;
    size_t n = jv_push(v, key, 0);
    int rc = 0;
    sim_us t = 0;
    if (!cJSON_IsString(j))
        rc = jv_fail(v, "expected a duration string such as \"3s\", \"250ms\" or \"1d\", got %s", jv_type_name(j));
    else if (sc_parse_duration(j->valuestring, &t) != 0)
        rc = jv_fail(v, "'%s' is not a duration: a decimal with a unit (us, ms, s, min, h, d), "
                        "whole microseconds, at most 106751991 days", j->valuestring);
    else if (t < lo)
        rc = jv_fail(v, "must be at least %lld us, got '%s'", (long long)lo, j->valuestring);
    else
        *out = t;
    jv_pop(v, n);
    return rc;
}

/* A distribution: a duration/number shorthand for const, or an object. */
static int jv_dist(jv *v, const cJSON *obj, const char *key, int is_time, int64_t max, dist *out)
{
    static const char *const keys[] = { "dist", "value", "min", "max", "mean", "median", "sigma", NULL };
    const cJSON *j = jv_get(v, obj, key, 0);
    if (!j)
        return 0;
    size_t n = jv_push(v, key, 0);
    int rc = -1;
    char kind[16] = "";
    dist d = { DIST_CONST, 0, 0, 0 };
    const char *need[2] = { NULL, NULL };
    if (is_time && cJSON_IsString(j)) {
        if (sc_parse_duration(j->valuestring, &d.a) != 0) {
            jv_fail(v, "'%s' is not a duration (e.g. \"30ms\")", j->valuestring);
            goto out;
        }
        d.b = d.a;
        goto check;
    }
    if (!is_time && cJSON_IsNumber(j)) {
        obj = NULL;
        /* range first: casting an out-of-range double is undefined */
        if (j->valuedouble != floor(j->valuedouble) || j->valuedouble < 0 || j->valuedouble > (double)max) {
            jv_fail(v, "expected a whole number from 0 to %lld", (long long)max);
            goto out;
        }
        d.a = d.b = (int64_t)j->valuedouble;
        goto check;
    }
    if (jv_object(v, j, keys) != 0 || jv_string(v, j, "dist", 1, kind, sizeof kind) != 0)
        goto out;
    if (strcmp(kind, "const") == 0) { d.kind = DIST_CONST; need[0] = "value"; }
    else if (strcmp(kind, "uniform") == 0) { d.kind = DIST_UNIFORM; need[0] = "min"; need[1] = "max"; }
    else if (strcmp(kind, "exp") == 0) { d.kind = DIST_EXP; need[0] = "mean"; }
    else if (strcmp(kind, "lognormal") == 0) { d.kind = DIST_LOGNORMAL; need[0] = "median"; }
    else {
        size_t m = jv_push(v, "dist", 0);
        jv_fail(v, "unknown distribution '%s' (const, uniform, exp, lognormal)", kind);
        jv_pop(v, m);
        goto out;
    }
    for (const cJSON *c = j->child; c; c = c->next) {
        int used = strcmp(c->string, "dist") == 0 || (need[0] && strcmp(c->string, need[0]) == 0) ||
                   (need[1] && strcmp(c->string, need[1]) == 0) ||
                   (d.kind == DIST_LOGNORMAL && strcmp(c->string, "sigma") == 0);
        if (!used) {
            size_t m = jv_push(v, c->string, 0);
            jv_fail(v, "not a parameter of a %s distribution", kind);
            jv_pop(v, m);
            goto out;
        }
    }
    for (int i = 0; i < 2 && need[i]; i++) {
        int64_t x = 0;
        if (!jv_get(v, j, need[i], 1))
            goto out;
        if (is_time ? jv_duration(v, j, need[i], 1, 0, &x) : jv_int(v, j, need[i], 0, (double)max, &x))
            goto out;
        if (i == 0)
            d.a = x;
        else
            d.b = x;
    }
    if (d.kind == DIST_CONST)
        d.b = d.a;
    if (d.kind == DIST_LOGNORMAL) {
        d.sigma = 0.5;
        if (jv_number(v, j, "sigma", 0, 5, &d.sigma) != 0)
            goto out;
        if (d.a <= 0) {
            jv_fail(v, "median must be > 0");
            goto out;
        }
    }
    if (d.kind == DIST_UNIFORM && d.b < d.a) {
        jv_fail(v, "max must be >= min");
        goto out;
    }
check:
    if (d.a > max || d.b > max) {
        jv_fail(v, "values must be at most %lld", (long long)max);
        goto out;
    }
    *out = d;
    rc = 0;
out:
    jv_pop(v, n);
    return rc;
}

static int jv_location(jv *v, const scenario *s, const cJSON *obj, const char *key, int *out)
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

/* ---- files ---- */


static int load_limits(const char *path, sc_limits *l, sim_err *err)
{
    static const char *const keys[] = { "source", "date", "value_max_bytes", "key_max_bytes",
                                        "ops_per_invocation", "same_key_write_interval", "same_key_write_enforcement",
                                        "same_key_write_enforcement_note", "cache_ttl_min",
                                        "cache_ttl_default", "own_writes_visible", "own_writes_visible_note",
                                        "background_refresh", "background_refresh_note", "wait_until_after_response",
                                        "wait_until_after_response_source", "published", "assumptions", NULL };
    size_t len = 0;
    char *text = jv_slurp(path, &len, err);
    if (!text)
        return -1;
    cJSON *root = jv_parse(path, text, len, err);
    free(text);
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

#define MAX_MSG_BYTES (64 * 1024 * 1024)
#define MAX_INITIAL 1000000
#define SC_MAX_PRIORITY 100 /* botParams.priority: 0 (default) to 100 */

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
        at_most(v, "cache_ttl", s->kv.cache_ttl, SC_MAX_SPAN) == 0 &&
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

static int parse_humans(jv *v, const cJSON *arr, scenario *s)
{
    static const char *const keys[] = { "name", "location", "rate_per_s", "entity_share", "legacy_share",
                                        "bytes", "priority", "rate_limited", NULL };
    if (!arr)
        return 0;
    size_t n = jv_push(v, "humans", 0);
    if (!cJSON_IsArray(arr))
        jv_fail(v, "expected an array of human sources, got %s", jv_type_name(arr));
    else if (cJSON_GetArraySize(arr) > SC_MAX_HUMANS)
        jv_fail(v, "at most %d human sources", SC_MAX_HUMANS);
    int i = 0;
    for (const cJSON *h = arr->child; h && !v->failed; h = h->next, i++) {
        sc_human *hu = &s->humans[s->nhumans];
        size_t m = jv_push(v, NULL, i);
        snprintf(hu->name, sizeof hu->name, "human-%d", i + 1);
        hu->bytes = dist_const(600);
        hu->rate_limited = 1;
        int64_t prio = 0;
        if (jv_object(v, h, keys) == 0 && jv_string(v, h, "name", 0, hu->name, sizeof hu->name) == 0 &&
            jv_location(v, s, h, "location", &hu->loc) == 0 &&
            jv_number(v, h, "rate_per_s", 0, 1000, &hu->rate_per_s) == 0 &&
            jv_prob(v, h, "entity_share", &hu->entity_share) == 0 &&
            jv_prob(v, h, "legacy_share", &hu->legacy_share) == 0 &&
            jv_dist(v, h, "bytes", 0, MAX_MSG_BYTES, &hu->bytes) == 0 &&
            jv_int(v, h, "priority", 0, SC_MAX_PRIORITY, &prio) == 0 &&
            jv_bool(v, h, "rate_limited", &hu->rate_limited) == 0) {
            hu->priority = (int)prio;
            s->nhumans++;
        }
        jv_pop(v, m);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static int parse_loop(jv *v, const cJSON *b, int *out)
{
    char name[16] = "";
    if (!jv_get(v, b, "loop", 0))
        return 0;
    if (jv_string(v, b, "loop", 0, name, sizeof name) != 0)
        return -1;
    if (strcmp(name, "sequential") == 0 || strcmp(name, "interval") == 0) {
        *out = name[0] == 's' ? SC_LOOP_SEQUENTIAL : SC_LOOP_INTERVAL;
        return 0;
    }
    size_t n = jv_push(v, "loop", 0);
    jv_fail(v, "unknown loop '%s' (sequential, interval)", name);
    jv_pop(v, n);
    return -1;
}

/* A duration, or "random" (the default): a phase drawn per bot. */
static int parse_first_poll(jv *v, const cJSON *b, sim_us *out)
{
    const cJSON *j = jv_get(v, b, "first_poll", 0);
    if (!j)
        return 0;
    if (cJSON_IsString(j) && strcmp(j->valuestring, "random") == 0) {
        *out = SC_PHASE_RANDOM;
        return 0;
    }
    if (cJSON_IsString(j) && sc_parse_duration(j->valuestring, out) != 0) {
        size_t n = jv_push(v, "first_poll", 0);
        jv_fail(v, "'%s' is not a duration (e.g. \"1.5s\") nor \"random\"", j->valuestring);
        jv_pop(v, n);
        return -1;
    }
    return jv_duration(v, b, "first_poll", 0, 0, out) == 0 ? at_most(v, "first_poll", *out, SC_MAX_SPAN) : -1;
}

static int parse_bots(jv *v, const cJSON *arr, scenario *s)
{
    static const char *const keys[] = { "name", "location", "loop", "poll_every", "first_poll", "generation",
                                        "reply_bytes", "fail_prob", "crash_prob", "restart_after", "rate_limited",
                                        NULL };
    if (!arr)
        return 0;
    size_t n = jv_push(v, "bots", 0);
    if (!cJSON_IsArray(arr))
        jv_fail(v, "expected an array of bots, got %s", jv_type_name(arr));
    else if (cJSON_GetArraySize(arr) > SC_MAX_BOTS)
        jv_fail(v, "at most %d bots", SC_MAX_BOTS);
    int i = 0;
    for (const cJSON *b = arr->child; b && !v->failed; b = b->next, i++) {
        sc_bot *bo = &s->bots[s->nbots];
        size_t m = jv_push(v, NULL, i);
        snprintf(bo->name, sizeof bo->name, "bot-%d", i + 1);
        bo->poll_every = 3 * SIM_US_PER_S;
        bo->generation = dist_const(4 * SIM_US_PER_S);
        bo->reply_bytes = dist_const(800);
        bo->restart_after = 10 * SIM_US_PER_S;
        bo->first_poll = SC_PHASE_RANDOM;
        if (jv_object(v, b, keys) == 0 && jv_string(v, b, "name", 0, bo->name, sizeof bo->name) == 0 &&
            jv_location(v, s, b, "location", &bo->loc) == 0 && parse_loop(v, b, &bo->loop) == 0 &&
            jv_duration(v, b, "poll_every", 0, SIM_US_PER_MS, &bo->poll_every) == 0 &&
            at_most(v, "poll_every", bo->poll_every, SC_MAX_SPAN) == 0 && parse_first_poll(v, b, &bo->first_poll) == 0 &&
            jv_dist(v, b, "generation", 1, INT64_C(86400000000), &bo->generation) == 0 &&
            jv_dist(v, b, "reply_bytes", 0, MAX_MSG_BYTES, &bo->reply_bytes) == 0 &&
            jv_prob(v, b, "fail_prob", &bo->fail_prob) == 0 && jv_prob(v, b, "crash_prob", &bo->crash_prob) == 0 &&
            jv_duration(v, b, "restart_after", 0, 0, &bo->restart_after) == 0 &&
            at_most(v, "restart_after", bo->restart_after, SC_MAX_SPAN) == 0 &&
            jv_bool(v, b, "rate_limited", &bo->rate_limited) == 0)
            s->nbots++;
        jv_pop(v, m);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static int parse_readers(jv *v, const cJSON *arr, scenario *s)
{
    static const char *const keys[] = { "name", "location", "count", "period", "rate_per_s", "first_poll", NULL };
    if (!arr)
        return 0;
    size_t n = jv_push(v, "readers", 0);
    if (!cJSON_IsArray(arr))
        jv_fail(v, "expected an array of readers, got %s", jv_type_name(arr));
    else if (cJSON_GetArraySize(arr) > SC_MAX_READERS)
        jv_fail(v, "at most %d readers", SC_MAX_READERS);
    int i = 0;
    for (const cJSON *r = v->failed ? NULL : arr->child; r && !v->failed; r = r->next, i++) {
        sc_reader *re = &s->readers[s->nreaders];
        size_t m = jv_push(v, NULL, i);
        int64_t count = 1;
        snprintf(re->name, sizeof re->name, "reader-%d", i + 1);
        re->first_poll = SC_PHASE_RANDOM;
        if (jv_object(v, r, keys) != 0 || jv_string(v, r, "name", 0, re->name, sizeof re->name) != 0 ||
            jv_location(v, s, r, "location", &re->loc) != 0 || jv_int(v, r, "count", 1, SC_MAX_PAGES, &count) != 0)
            goto next;
        re->count = (int32_t)count;
        int has_p = jv_get(v, r, "period", 0) != NULL, has_r = jv_get(v, r, "rate_per_s", 0) != NULL;
        if (has_p == has_r) {
            jv_fail(v, "give exactly one of \"period\" (a duration) and \"rate_per_s\" (a number)");
            goto next;
        }
        if (has_p) {
            if (jv_duration(v, r, "period", 1, SIM_US_PER_MS, &re->period) == 0 &&
                at_most(v, "period", re->period, SC_MAX_SPAN) == 0)
                parse_first_poll(v, r, &re->first_poll);
        } else if (jv_number(v, r, "rate_per_s", 1e-9, 1000, &re->rate_per_s) == 0 && jv_get(v, r, "first_poll", 0)) {
            size_t k = jv_push(v, "first_poll", 0);
            jv_fail(v, "only with \"period\": Poisson readers have no phase");
            jv_pop(v, k);
        }
        if (!v->failed)
            s->nreaders++;
    next:
        jv_pop(v, m);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

/* Actor names key the random streams (bot:<name>, kv:latency:<name>, ...):
 * two actors with one name would share draws, so names are unique across
 * humans, bots and readers, and "cron" is the cron job's. */
static int unique_actors(jv *v, const scenario *s)
{
    const char *names[SC_MAX_HUMANS + SC_MAX_BOTS + SC_MAX_READERS];
    char where[SC_MAX_HUMANS + SC_MAX_BOTS + SC_MAX_READERS][32];
    int n = 0;
    for (int i = 0; i < s->nhumans; i++) {
        names[n] = s->humans[i].name;
        snprintf(where[n++], sizeof where[0], "humans[%d].name", i);
    }
    for (int i = 0; i < s->nbots; i++) {
        names[n] = s->bots[i].name;
        snprintf(where[n++], sizeof where[0], "bots[%d].name", i);
    }
    for (int i = 0; i < s->nreaders; i++) {
        names[n] = s->readers[i].name;
        snprintf(where[n++], sizeof where[0], "readers[%d].name", i);
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], "cron") == 0) {
            size_t k = jv_push(v, where[i], 0);
            jv_fail(v, "\"cron\" is the name of the cron job's invocations; choose another");
            jv_pop(v, k);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                size_t k = jv_push(v, where[i], 0);
                jv_fail(v, "'%s' is also %s: actor names must be unique (each has its own random streams)",
                        names[i], where[j]);
                jv_pop(v, k);
                return -1;
            }
    }
    return 0;
}

static int parse_status(jv *v, const cJSON *obj, const char *key, int *out)
{
    char st[16] = "";
    if (!jv_get(v, obj, key, 0))
        return 0;
    if (jv_string(v, obj, key, 0, st, sizeof st) != 0)
        return -1;
    if (strcmp(st, "absent") == 0) {
        *out = -1;
        return 0;
    }
    int x = msg_status_parse(st);
    if (x < 0) {
        size_t n = jv_push(v, key, 0);
        jv_fail(v, "unknown status '%s' (pending, processing, complete, failed, none, absent)", st);
        jv_pop(v, n);
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_initial(jv *v, const cJSON *j, scenario *s)
{
    static const char *const keys[] = { "plain", "messages", NULL };
    static const char *const plain_keys[] = { "count", "bytes", NULL };
    static const char *const msg_keys[] = { "id", "type", "entity", "key", "stored", "cached", "bytes",
                                            "priority", NULL };
    if (!j)
        return 0;
    size_t n = jv_push(v, "initial", 0);
    if (jv_object(v, j, keys) != 0)
        goto out;
    const cJSON *plain = jv_get(v, j, "plain", 0);
    if (plain) {
        size_t m = jv_push(v, "plain", 0);
        int64_t count = 0, bytes = 400;
        if (jv_object(v, plain, plain_keys) == 0 && jv_int(v, plain, "count", 0, MAX_INITIAL, &count) == 0 &&
            jv_int(v, plain, "bytes", 1, MAX_MSG_BYTES, &bytes) == 0) {
            s->plain_count = (int32_t)count;
            s->plain_bytes = (int32_t)bytes;
        }
        jv_pop(v, m);
    }
    const cJSON *arr = jv_get(v, j, "messages", 0);
    ids_set *seen = NULL; /* the ids so far: duplicates in O(1) each */
    if (arr && !v->failed) {
        size_t m = jv_push(v, "messages", 0);
        int cnt = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
        if (!cJSON_IsArray(arr))
            jv_fail(v, "expected an array of messages, got %s", jv_type_name(arr));
        else if (cnt > MAX_INITIAL)
            jv_fail(v, "at most %d initial messages", MAX_INITIAL);
        else if (cnt > 0 && (!(s->msgs = calloc((size_t)cnt, sizeof *s->msgs)) || !(seen = ids_new((size_t)cnt))))
            jv_fail(v, "out of memory");
        int i = 0;
        for (const cJSON *e = arr->child; e && !v->failed; e = e->next, i++) {
            sc_msg *mm = &s->msgs[s->nmsgs];
            char type[8] = "human", key[8] = "current", entity[SC_NAME] = "";
            int64_t bytes = 600, prio = 0;
            size_t k = jv_push(v, NULL, i);
            mm->stored = -2;
            mm->cached = -2;
            if (jv_object(v, e, msg_keys) == 0 && jv_string(v, e, "id", 1, mm->id, sizeof mm->id) == 0 &&
                jv_string(v, e, "type", 0, type, sizeof type) == 0 &&
                jv_string(v, e, "entity", 0, entity, sizeof entity) == 0 &&
                jv_string(v, e, "key", 0, key, sizeof key) == 0 && parse_status(v, e, "stored", &mm->stored) == 0 &&
                parse_status(v, e, "cached", &mm->cached) == 0 && jv_int(v, e, "bytes", 1, MAX_MSG_BYTES, &bytes) == 0 &&
                jv_int(v, e, "priority", 0, SC_MAX_PRIORITY, &prio) == 0) {
                mm->priority = (int)prio;
                mm->type = strcmp(type, "ai") == 0 ? MT_AI : MT_HUMAN;
                mm->entity = entity[0] != 0;
                mm->legacy = strcmp(key, "legacy") == 0;
                mm->bytes = (int32_t)bytes;
                if (strcmp(type, "human") != 0 && strcmp(type, "ai") != 0)
                    jv_fail(v, "type must be \"human\" or \"ai\", got '%s'", type);
                else if (strcmp(key, "current") != 0 && strcmp(key, "legacy") != 0)
                    jv_fail(v, "key must be \"current\" or \"legacy\", got '%s'", key);
                else {
                    int def = mm->entity && mm->type == MT_HUMAN ? ST_PENDING : ST_NONE;
                    if (mm->stored == -2)
                        mm->stored = def;
                    if (mm->cached == -2)
                        mm->cached = mm->stored < 0 ? def : mm->stored;
                    int q = ids_put(seen, mm->id, s->nmsgs);
                    if (q >= 0)
                        jv_fail(v, "duplicate message id '%s' (also messages[%d])", mm->id, q);
                    if (!v->failed)
                        s->nmsgs++;
                }
            }
            jv_pop(v, k);
        }
        jv_pop(v, m);
    }
    ids_free(seen);
out:
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

/* strategy.option2_placement: "wait_until" or "inline". */
static int parse_placement(jv *v, const cJSON *j, int *out)
{
    char name[SC_NAME] = "";
    if (!jv_get(v, j, "option2_placement", 0))
        return 0;
    if (jv_string(v, j, "option2_placement", 0, name, sizeof name) != 0)
        return -1;
    if (strcmp(name, "wait_until") == 0 || strcmp(name, "inline") == 0) {
        *out = name[0] == 'w' ? ST_PLACE_WAIT_UNTIL : ST_PLACE_INLINE;
        return 0;
    }
    size_t n = jv_push(v, "option2_placement", 0);
    jv_fail(v, "expected \"wait_until\" (the update runs after the response, in ctx.waitUntil) or \"inline\" "
               "(awaited before the response), got '%s'", name);
    jv_pop(v, n);
    return -1;
}

/* The parameters strategies declare (st_param), generically. */
static int parse_declared(jv *v, const cJSON *j, scenario *s)
{
    for (const st_hooks *const *r = st_registry(); *r; r++)
        for (int k = 0; k < (*r)->nparams; k++) {
            const st_param *p = &(*r)->params[k];
            int64_t *val = &s->strategy.ext[st_param_slot(*r, k)];
            char name[SC_NAME] = "";
            int loc = -1;
            if (!jv_get(v, j, p->name, 0))
                continue;
            switch (p->kind) {
            case ST_PARAM_ENUM:
                if (jv_string(v, j, p->name, 0, name, sizeof name) != 0)
                    return -1;
                if (st_param_parse(p, name, val) != 0) {
                    char known[256] = "";
                    for (int c = 0; p->choices[c]; c++)
                        snprintf(known + strlen(known), sizeof known - strlen(known), "%s\"%s\"", c ? ", " : "",
                                 p->choices[c]);
                    size_t n = jv_push(v, p->name, 0);
                    jv_fail(v, "expected one of %s, got '%s'", known, name);
                    jv_pop(v, n);
                    return -1;
                }
                break;
            case ST_PARAM_DURATION:
                if (jv_duration(v, j, p->name, 0, p->lo, val) != 0 || at_most(v, p->name, *val, p->hi) != 0)
                    return -1;
                break;
            case ST_PARAM_LOCATION:
                if (jv_location(v, s, j, p->name, &loc) != 0)
                    return -1;
                *val = loc;
                break;
            default:
                if (jv_int(v, j, p->name, (double)p->lo, (double)p->hi, val) != 0)
                    return -1;
            }
        }
    return 0;
}

static int parse_strategy(jv *v, const cJSON *j, scenario *s)
{
    const char *keys[6 + ST_MAX_EXT] = { "retry_max_attempts", "retry_first_backoff", "option2_placement",
                                         "cron_every", "cron_location" };
    size_t nk = 5;
    int64_t attempts = s->strategy.retry_max_attempts;
    if (!j)
        return 0;
    for (const st_hooks *const *r = st_registry(); *r; r++)
        for (int k = 0; k < (*r)->nparams && nk < 5 + ST_MAX_EXT; k++)
            keys[nk++] = (*r)->params[k].name;
    keys[nk] = NULL;
    size_t n = jv_push(v, "strategy", 0);
    if (jv_object(v, j, keys) == 0 && parse_declared(v, j, s) == 0 &&
        jv_int(v, j, "retry_max_attempts", 1, 64, &attempts) == 0 &&
        jv_duration(v, j, "retry_first_backoff", 0, 0, &s->strategy.retry_first_backoff) == 0 &&
        at_most(v, "retry_first_backoff", s->strategy.retry_first_backoff, SC_MAX_SPAN / 64) == 0 &&
        parse_placement(v, j, &s->strategy.option2_placement) == 0 &&
        jv_duration(v, j, "cron_every", 0, 60 * SIM_US_PER_S, &s->strategy.cron_every) == 0 &&
        jv_location(v, s, j, "cron_location", &s->strategy.cron_loc) == 0 &&
        !cron_every_ok(s->strategy.cron_every)) {
        size_t k = jv_push(v, "cron_every", 0);
        jv_fail(v, "a Cron Trigger repeats every N minutes (1 to 59), every H hours (1 to 23) or daily "
                   "(\"5min\", \"2h\", \"1d\")");
        jv_pop(v, k);
    }
    s->strategy.retry_max_attempts = (int)attempts;
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

/* The ids of the initial messages (value: index) and of the posts among
 * the first ncalls script entries (value: nmsgs + entry); NULL on OOM. */
static ids_set *msg_index(const scenario *s, int extra)
{
    ids_set *ids = ids_new((size_t)s->nmsgs + (size_t)s->ncalls + (size_t)extra);
    for (int i = 0; ids && i < s->nmsgs; i++)
        ids_put(ids, s->msgs[i].id, i);
    for (int i = 0; ids && i < s->ncalls; i++)
        if (s->script[i].kind == EP_POST)
            ids_put(ids, s->script[i].msg, s->nmsgs + i);
    return ids;
}

/* Is id an initial message, or posted by a script entry that runs before
 * entry upto (earlier, or at the same time and listed before it)? ids is
 * msg_index(s): ids are unique, so one lookup answers. */
static int known_msg(const scenario *s, const ids_set *ids, const char *id, int upto)
{
    int q = ids_get(ids, id);
    if (q < 0)
        return 0;
    if (q < s->nmsgs)
        return 1;
    int i = q - s->nmsgs;
    return i != upto && (upto >= s->ncalls || s->script[i].at < s->script[upto].at ||
                         (s->script[i].at == s->script[upto].at && i < upto));
}

/* op, key and kind of a fault entry (a script call's "fail", or the
 * scenario's "faults"): the vocabulary both share. */
static int fault_fields(jv *v, const cJSON *f, int *op_out, int *key_out, int *kind_out)
{
    char op[8] = "any", key[16] = "any", kind[16] = "";
    if (jv_string(v, f, "op", 0, op, sizeof op) != 0 || jv_string(v, f, "key", 0, key, sizeof key) != 0 ||
        jv_string(v, f, "kind", 1, kind, sizeof kind) != 0)
        return -1;
    *op_out = strcmp(op, "get") == 0 ? KV_GET : strcmp(op, "put") == 0 ? KV_PUT : strcmp(op, "any") == 0 ? -1 : -2;
    static const struct { const char *name; int sel; } sels[] = {
        { "any", -1 }, { "cache", KV_CLASS_CACHE }, { "individual", KV_CLASS_INDIVIDUAL },
        { "other", KV_CLASS_OTHER }, { "heartbeat", CALL_KEY_HEARTBEAT },
        { "message-count", CALL_KEY_MSG_COUNT }, { "rate-limit", CALL_KEY_RATE_LIMIT },
    };
    *key_out = -2;
    for (size_t q = 0; q < sizeof sels / sizeof sels[0]; q++)
        if (strcmp(key, sels[q].name) == 0)
            *key_out = sels[q].sel;
    *kind_out = strcmp(kind, "error") == 0 ? KV_ETRANSIENT : strcmp(kind, "429") == 0 ? KV_E429
              : strcmp(kind, "too-large") == 0 ? KV_ETOOLARGE : strcmp(kind, "daily-cap") == 0 ? KV_ECAP
              : strcmp(kind, "op-limit") == 0 ? KV_EOPLIMIT : 0;
    if (*op_out == -2)
        return jv_fail(v, "op must be \"get\", \"put\" or \"any\", got '%s'", op);
    if (*key_out == -2)
        return jv_fail(v, "key must be \"cache\", \"individual\", \"other\", \"heartbeat\", \"message-count\", "
                       "\"rate-limit\" or \"any\", got '%s'", key);
    if (!*kind_out)
        return jv_fail(v, "kind must be \"error\", \"429\", \"too-large\", \"daily-cap\" or \"op-limit\", got '%s'",
                       kind);
    return 0;
}

static int parse_faults(jv *v, const cJSON *arr, sc_call *c)
{
    static const char *const keys[] = { "op", "key", "nth", "kind", NULL };
    if (!arr)
        return 0;
    size_t n = jv_push(v, "fail", 0);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > SC_MAX_FAULTS)
        jv_fail(v, "expected an array of at most %d faults", SC_MAX_FAULTS);
    int i = 0;
    for (const cJSON *f = cJSON_IsArray(arr) ? arr->child : NULL; f && !v->failed; f = f->next, i++) {
        int64_t nth = 1;
        size_t m = jv_push(v, NULL, i);
        call_fault *cf = &c->faults[c->nfaults];
        if (jv_object(v, f, keys) == 0 && jv_int(v, f, "nth", 1, 1000, &nth) == 0 &&
            fault_fields(v, f, &cf->op, &cf->key_class, &cf->kind) == 0) {
            cf->nth = (int)nth;
            c->nfaults++;
        }
        jv_pop(v, m);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

/* The scenario's endpoint faults: "faults": [{endpoint, op, key, prob,
 * kind}]. Two entries with the same endpoint, op, key and kind are one
 * fault written twice: refused, with the hint to combine them. */
static int parse_ep_faults(jv *v, const cJSON *arr, scenario *s)
{
    static const char *const keys[] = { "endpoint", "op", "key", "prob", "kind", NULL };
    if (!arr)
        return 0;
    size_t n = jv_push(v, "faults", 0);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > SC_MAX_EPFAULTS)
        jv_fail(v, "expected an array of at most %d faults, got %s", SC_MAX_EPFAULTS, jv_type_name(arr));
    int i = 0;
    for (const cJSON *f = cJSON_IsArray(arr) ? arr->child : NULL; f && !v->failed; f = f->next, i++) {
        char ep[16] = "";
        size_t m = jv_push(v, NULL, i);
        call_epfault *ef = &s->faults[s->nfaults];
        ef->prob = -1;
        if (jv_object(v, f, keys) != 0 || jv_string(v, f, "endpoint", 1, ep, sizeof ep) != 0)
            goto next;
        ef->endpoint = strcmp(ep, "any") == 0 ? -1 : ep_parse(ep);
        if (strcmp(ep, "any") != 0 && ef->endpoint < 0) {
            size_t k = jv_push(v, "endpoint", 0);
            jv_fail(v, "unknown endpoint '%s' (post, pending, claim, complete, fail, cron, any)", ep);
            jv_pop(v, k);
            goto next;
        }
        if (!jv_get(v, f, "prob", 1) || jv_prob(v, f, "prob", &ef->prob) != 0 ||
            fault_fields(v, f, &ef->op, &ef->key_class, &ef->kind) != 0)
            goto next;
        for (int q = 0; q < s->nfaults; q++) {
            const call_epfault *o = &s->faults[q];
            if (o->endpoint == ef->endpoint && o->op == ef->op && o->key_class == ef->key_class &&
                o->kind == ef->kind) {
                jv_fail(v, "same endpoint, op, key and kind as faults[%d]: combine them into one prob", q);
                goto next;
            }
        }
        s->nfaults++;
    next:
        jv_pop(v, m);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static int parse_script(jv *v, const cJSON *arr, scenario *s)
{
    static const char *const keys[] = { "at", "actor", "location", "call", "msg", "fail", "done_us", NULL };
    static const char *const post_keys[] = { "id", "type", "entity", "key", "bytes", "priority", NULL };
    if (!arr)
        return 0;
    size_t n = jv_push(v, "script", 0);
    int cnt = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
    if (cnt < 0 || cnt > MAX_INITIAL)
        jv_fail(v, "expected an array of at most %d calls", MAX_INITIAL);
    else if (cnt > 0 && !(s->script = calloc((size_t)cnt, sizeof *s->script)))
        jv_fail(v, "out of memory");
    ids_set *ids = v->failed ? NULL : msg_index(s, cnt > 0 ? cnt : 0);
    if (!v->failed && !ids)
        jv_fail(v, "out of memory");
    int i = 0;
    for (const cJSON *e = cnt > 0 ? arr->child : NULL; e && !v->failed; e = e->next, i++) {
        sc_call *c = &s->script[s->ncalls];
        char what[16] = "";
        size_t m = jv_push(v, NULL, i);
        if (jv_object(v, e, keys) != 0 || jv_duration(v, e, "at", 1, 0, &c->at) != 0 ||
            jv_string(v, e, "call", 1, what, sizeof what) != 0 ||
            jv_string(v, e, "actor", 0, c->actor, sizeof c->actor) != 0 ||
            jv_location(v, s, e, "location", &c->loc) != 0 || parse_faults(v, jv_get(v, e, "fail", 0), c) != 0)
            goto next;
        c->kind = strcmp(what, "corrupt-cache") == 0 ? SC_CORRUPT : ep_parse(what);
        if (c->kind == EP_CRON && !jv_get(v, e, "location", 0))
            c->loc = s->strategy.cron_loc; /* where Cloudflare runs it, unless overridden */
        if (c->kind < 0) {
            size_t k = jv_push(v, "call", 0);
            jv_fail(v, "unknown call '%s' (post, pending, claim, complete, fail, cron, corrupt-cache)", what);
            jv_pop(v, k);
            goto next;
        }
        if (!c->actor[0])
            snprintf(c->actor, sizeof c->actor, "%s",
                     c->kind == EP_POST ? "human-1" : c->kind == EP_CRON ? "cron" : "bot-1");
        const cJSON *lat = jv_get(v, e, "done_us", 0);
        if (lat) {
            size_t k = jv_push(v, "done_us", 0);
            int npin = cJSON_IsArray(lat) ? cJSON_GetArraySize(lat) : -1;
            if (npin < 0 || npin > SC_MAX_PINS) {
                jv_fail(v, "expected an array of at most %d completion times (whole microseconds after the call starts)",
                        SC_MAX_PINS);
            } else if (npin > 0) {
                sim_us *np = realloc(s->pins, (size_t)(s->npins + npin) * sizeof *np);
                if (!np) {
                    jv_fail(v, "out of memory");
                } else {
                    s->pins = np;
                    c->pin_off = s->npins;
                    int q = 0;
                    for (const cJSON *x = lat->child; x && !v->failed; x = x->next, q++) {
                        if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 3.6e9 ||
                            x->valuedouble != floor(x->valuedouble)) {
                            size_t r = jv_push(v, NULL, q);
                            jv_fail(v, "expected whole microseconds from 0 to 3600000000");
                            jv_pop(v, r);
                            break;
                        }
                        s->pins[s->npins + q] = (sim_us)x->valuedouble;
                    }
                    c->npins = npin;
                    s->npins += npin;
                }
            }
            jv_pop(v, k);
            if (v->failed)
                goto next;
        }
        if (c->at > s->duration) {
            size_t k = jv_push(v, "at", 0);
            jv_fail(v, "after the scenario's duration");
            jv_pop(v, k);
            goto next;
        }
        const cJSON *msgj = jv_get(v, e, "msg", 0);
        if (c->kind == EP_POST) {
            char type[8] = "human", key[8] = "current", entity[SC_NAME] = "";
            int64_t bytes = 600, prio = 0;
            size_t k = jv_push(v, "msg", 0);
            if (!msgj)
                jv_fail(v, "a post needs \"msg\": {\"id\": ...}");
            else if (jv_object(v, msgj, post_keys) == 0 && jv_string(v, msgj, "id", 1, c->msg, sizeof c->msg) == 0 &&
                     jv_string(v, msgj, "type", 0, type, sizeof type) == 0 &&
                     jv_string(v, msgj, "entity", 0, entity, sizeof entity) == 0 &&
                     jv_string(v, msgj, "key", 0, key, sizeof key) == 0 &&
                     jv_int(v, msgj, "bytes", 1, MAX_MSG_BYTES, &bytes) == 0 &&
                     jv_int(v, msgj, "priority", 0, SC_MAX_PRIORITY, &prio) == 0) {
                c->priority = (int)prio;
                c->type = strcmp(type, "ai") == 0 ? MT_AI : MT_HUMAN;
                c->entity = entity[0] != 0;
                c->legacy = strcmp(key, "legacy") == 0;
                c->bytes = (int32_t)bytes;
                if (strcmp(type, "human") != 0 && strcmp(type, "ai") != 0)
                    jv_fail(v, "type must be \"human\" or \"ai\"");
                else if (strcmp(key, "current") != 0 && strcmp(key, "legacy") != 0)
                    jv_fail(v, "key must be \"current\" or \"legacy\"");
                else if (ids_put(ids, c->msg, s->nmsgs + s->ncalls) >= 0)
                    jv_fail(v, "message '%s' already exists", c->msg);
            }
            jv_pop(v, k);
        } else if (c->kind == EP_CLAIM || c->kind == EP_COMPLETE || c->kind == EP_FAIL) {
            jv_string(v, e, "msg", 1, c->msg, sizeof c->msg); /* checked below, once all posts are known */
        } else if (msgj) {
            size_t k = jv_push(v, "msg", 0);
            jv_fail(v, "'%s' takes no message", what);
            jv_pop(v, k);
        }
        if (!v->failed)
            s->ncalls++;
    next:
        jv_pop(v, m);
    }
    for (int k = 0; k < s->ncalls && !v->failed; k++) {
        const sc_call *c = &s->script[k];
        if ((c->kind == EP_CLAIM || c->kind == EP_COMPLETE || c->kind == EP_FAIL) && !known_msg(s, ids, c->msg, k)) {
            size_t q = jv_push(v, NULL, k);
            size_t r = jv_push(v, "msg", 0);
            jv_fail(v, "unknown message '%s' (not in \"initial\" nor posted by an earlier script call)", c->msg);
            jv_pop(v, r);
            jv_pop(v, q);
        }
    }
    ids_free(ids);
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static int parse_expect(jv *v, const cJSON *arr, scenario *s)
{
    static const char *const keys[] = { "option", "poll", "kvr", "kvw", "returned", "msg", "cache_status",
                                        "stored_status", "metric", "eq", "le", "ge", "lt", "gt", NULL };
    static const char *const cmps[] = { "eq", "le", "ge", "lt", "gt" };
    if (!arr)
        return 0;
    size_t n = jv_push(v, "expect", 0);
    int cnt = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
    if (cnt < 0 || cnt > 10000)
        jv_fail(v, "expected an array of at most 10000 expectations");
    else if (cnt > 0 && !(s->expect = calloc((size_t)cnt, sizeof *s->expect)))
        jv_fail(v, "out of memory");
    ids_set *ids = NULL; /* the message ids, built at the first message expectation */
    int i = 0;
    for (const cJSON *e = cnt > 0 ? arr->child : NULL; e && !v->failed; e = e->next, i++) {
        sc_expect *x = &s->expect[s->nexpect];
        size_t m = jv_push(v, NULL, i);
        snprintf(x->where, sizeof x->where, "%.63s", v->path);
        x->kvr = x->kvw = x->returned = SC_UNCHECKED;
        x->cache_status = x->stored_status = SC_UNCHECKED;
        if (jv_object(v, e, keys) != 0 || jv_string(v, e, "option", 0, x->option, sizeof x->option) != 0)
            goto next;
        if (x->option[0]) {
            st_set set;
            sim_err e2;
            if (st_compose(x->option, &s->strategy, &set, &e2) != 0) {
                size_t k = jv_push(v, "option", 0);
                jv_fail(v, "%s", e2.msg);
                jv_pop(v, k);
                goto next;
            }
        }
        const cJSON *poll = jv_get(v, e, "poll", 0);
        const cJSON *msgj = jv_get(v, e, "msg", 0);
        const cJSON *metric = jv_get(v, e, "metric", 0);
        if ((poll != NULL) + (msgj != NULL) + (metric != NULL) != 1) {
            jv_fail(v, "an expectation names exactly one of \"poll\", \"msg\" or \"metric\"");
            goto next;
        }
        if (poll) {
            x->kind = SC_EXPECT_POLL;
            size_t k = jv_push(v, "poll", 0);
            if (cJSON_IsString(poll) && strcmp(poll->valuestring, "last") == 0)
                x->poll = SC_POLL_LAST;
            else if (cJSON_IsString(poll) && strcmp(poll->valuestring, "all") == 0)
                x->poll = SC_POLL_ALL;
            else if (cJSON_IsString(poll) && strcmp(poll->valuestring, "first") == 0)
                x->poll = 1;
            else if (cJSON_IsNumber(poll) && poll->valuedouble >= 1 && poll->valuedouble <= 1e9 &&
                     poll->valuedouble == floor(poll->valuedouble))
                x->poll = (int)poll->valuedouble;
            else
                jv_fail(v, "expected \"first\", \"last\", \"all\" or a poll number from 1");
            jv_pop(v, k);
            if (!v->failed && jv_int(v, e, "kvr", 0, 1e9, &x->kvr) == 0 && jv_int(v, e, "kvw", 0, 1e9, &x->kvw) == 0)
                jv_int(v, e, "returned", 0, 1e9, &x->returned);
            if (!v->failed && x->kvr == SC_UNCHECKED && x->kvw == SC_UNCHECKED && x->returned == SC_UNCHECKED)
                jv_fail(v, "a poll expectation checks at least one of kvr, kvw, returned");
        } else if (msgj) {
            x->kind = SC_EXPECT_MSG;
            if (jv_string(v, e, "msg", 1, x->msg, sizeof x->msg) == 0 && !ids && !(ids = msg_index(s, 0)))
                jv_fail(v, "out of memory");
            if (!v->failed && !known_msg(s, ids, x->msg, INT32_MAX)) {
                size_t k = jv_push(v, "msg", 0);
                jv_fail(v, "unknown message '%s'", x->msg);
                jv_pop(v, k);
            }
            if (!v->failed && parse_status(v, e, "cache_status", &x->cache_status) == 0)
                parse_status(v, e, "stored_status", &x->stored_status);
            if (!v->failed && x->cache_status == SC_UNCHECKED && x->stored_status == SC_UNCHECKED)
                jv_fail(v, "a message expectation checks cache_status and/or stored_status");
        } else {
            x->kind = SC_EXPECT_METRIC;
            int found = 0;
            if (jv_string(v, e, "metric", 1, x->metric, sizeof x->metric) == 0 && !fig_find(x->metric)) {
                size_t q = jv_push(v, "metric", 0);
                jv_fail(v, "unknown metric '%s' (the names are in docs/metrics.md)", x->metric);
                jv_pop(v, q);
            }
            for (int k = 0; k < 5 && !v->failed; k++) {
                if (!jv_get(v, e, cmps[k], 0))
                    continue;
                found++;
                x->cmp = k;
                jv_int(v, e, cmps[k], -9e15, 9e15, &x->value);
            }
            if (!v->failed && found != 1)
                jv_fail(v, "a metric expectation has exactly one of eq, le, ge, lt, gt");
        }
        if (!v->failed && x->kind != SC_EXPECT_METRIC) {
            for (int k = 0; k < 5; k++)
                if (jv_get(v, e, cmps[k], 0)) {
                    jv_fail(v, "'%s' belongs to metric expectations", cmps[k]);
                    break;
                }
        }
        static const char *const poll_only[] = { "kvr", "kvw", "returned", NULL };
        static const char *const msg_only[] = { "cache_status", "stored_status", NULL };
        for (int k = 0; !v->failed && x->kind != SC_EXPECT_POLL && poll_only[k]; k++)
            if (jv_get(v, e, poll_only[k], 0))
                jv_fail(v, "'%s' belongs to poll expectations", poll_only[k]);
        for (int k = 0; !v->failed && x->kind != SC_EXPECT_MSG && msg_only[k]; k++)
            if (jv_get(v, e, msg_only[k], 0))
                jv_fail(v, "'%s' belongs to message expectations", msg_only[k]);
        if (!v->failed)
            s->nexpect++;
    next:
        jv_pop(v, m);
    }
    ids_free(ids);
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
    static const char *const keys[] = { "pending_limit", "max_attempts", "rate_limit", NULL };
    static const char *const rl_keys[] = { "posts", "window", NULL };
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
    int64_t limit = s->deployed.pending_limit, att = s->deployed.max_attempts, posts = s->deployed.rate_posts;
    if (s->endpoints != CALL_EP_DEPLOYED)
        jv_fail(v, "only with \"endpoints\": \"deployed\"");
    else if (jv_object(v, d, keys) == 0 && jv_int(v, d, "pending_limit", 1, 100000, &limit) == 0 &&
             jv_int(v, d, "max_attempts", 1, 31, &att) == 0) {
        const cJSON *rl = jv_get(v, d, "rate_limit", 0);
        if (rl) {
            size_t m = jv_push(v, "rate_limit", 0);
            /* expirationTtl: at least 60 s (Cloudflare KV) */
            if (jv_object(v, rl, rl_keys) == 0 && jv_int(v, rl, "posts", 1, 1000000, &posts) == 0 &&
                jv_duration(v, rl, "window", 0, 60 * SIM_US_PER_S, &s->deployed.rate_window) == 0)
                at_most(v, "window", s->deployed.rate_window, SC_MAX_SPAN);
            jv_pop(v, m);
        }
        s->deployed.pending_limit = (uint32_t)limit;
        s->deployed.max_attempts = (int)att;
        s->deployed.rate_posts = (int)posts;
    }
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
    if (!v.failed && parse_humans(&v, jv_get(&v, root, "humans", 0), s) == 0 &&
        parse_bots(&v, jv_get(&v, root, "bots", 0), s) == 0 &&
        parse_readers(&v, jv_get(&v, root, "readers", 0), s) == 0 && unique_actors(&v, s) == 0 &&
        parse_initial(&v, jv_get(&v, root, "initial", 0), s) == 0 &&
        parse_strategy(&v, jv_get(&v, root, "strategy", 0), s) == 0 &&
        parse_script(&v, jv_get(&v, root, "script", 0), s) == 0 &&
        parse_ep_faults(&v, jv_get(&v, root, "faults", 0), s) == 0 &&
        parse_worker(&v, jv_get(&v, root, "worker", 0), name, s) == 0)
        parse_expect(&v, jv_get(&v, root, "expect", 0), s);
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
