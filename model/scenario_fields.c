/* scenario_fields.c - field tables: one entry per key of a scenario object
 * drives both its parser (sc__fields_parse) and its writer
 * (sc__fields_write), so a key cannot be read without being written back.
 *
 * Each kind has its parse and its write side here, next to each other.
 * Entries are parsed in table order and the first problem is reported
 * (located, as everywhere in the loader); the table order is also the
 * object's key order in written JSON and in "allowed here" messages. */
#include "scenario_int.h"

#include <assert.h>
#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void sc__add_duration(cJSON *o, const char *key, sim_us t)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64 "us", t);
    cJSON_AddStringToObject(o, key, buf);
}

cJSON *sc__dist_json(const dist *d, int is_time)
{
    static const char *const kinds[] = { "const", "uniform", "exp", "lognormal" };
    static const char *const first[] = { "value", "min", "mean", "median" };
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dist", kinds[d->kind]);
    if (is_time) {
        sc__add_duration(o, first[d->kind], d->a);
        if (d->kind == DIST_UNIFORM)
            sc__add_duration(o, "max", d->b);
    } else {
        cJSON_AddNumberToObject(o, first[d->kind], (double)d->a);
        if (d->kind == DIST_UNIFORM)
            cJSON_AddNumberToObject(o, "max", (double)d->b);
    }
    if (d->kind == DIST_LOGNORMAL)
        cJSON_AddNumberToObject(o, "sigma", d->sigma);
    return o;
}

/* A duration, or "random": a phase drawn per actor (SC_PHASE_RANDOM). */
static int parse_phase(jv *v, const cJSON *obj, const char *key, sim_us max, sim_us *out)
{
    const cJSON *j = jv_get(v, obj, key, 0);
    if (!j)
        return 0;
    if (cJSON_IsString(j) && strcmp(j->valuestring, "random") == 0) {
        *out = SC_PHASE_RANDOM;
        return 0;
    }
    if (cJSON_IsString(j) && jv_parse_duration(j->valuestring, out) != 0) {
        size_t n = jv_push(v, key, 0);
        jv_fail(v, "'%s' is not a duration (e.g. \"1.5s\") nor \"random\"", j->valuestring);
        jv_pop(v, n);
        return -1;
    }
    return jv_duration(v, obj, key, 0, 0, out) == 0 ? jv_at_most(v, key, *out, max) : -1;
}

int sc__phase(jv *v, const cJSON *obj, const char *key, sim_us *out)
{
    return parse_phase(v, obj, key, SC_MAX_SPAN, out);
}

static int parse_enum(jv *v, const cJSON *obj, const sc_field *f, int *out)
{
    char name[SC_NAME] = "";
    if (!jv_get(v, obj, f->key, 0))
        return 0;
    if (jv_string(v, obj, f->key, 0, name, f->size < sizeof name ? f->size : sizeof name) != 0)
        return -1;
    for (int c = 0; f->choices[c]; c++)
        if (strcmp(name, f->choices[c]) == 0) {
            *out = c;
            return 0;
        }
    size_t n = jv_push(v, f->key, 0);
    jv_fail(v, f->what, name);
    jv_pop(v, n);
    return -1;
}

/* The member's size each kind stores into (0: any, a buffer). */
static size_t kind_size(sf_kind k)
{
    switch (k) {
    case SF_LOCATION: case SF_LOCATION_OPT: case SF_INT: case SF_BOOL: return sizeof(int);
    case SF_U32: return sizeof(uint32_t);
    case SF_NUMBER: case SF_PROB: return sizeof(double);
    case SF_DURATION: case SF_PHASE: return sizeof(sim_us);
    case SF_DIST_TIME: case SF_DIST: return sizeof(dist);
    case SF_ENUM: case SF_STRING: case SF_OBJECT: case SF_CUSTOM: return 0;
    }
    return 0;
}

static int parse_one(jv *v, const scenario *s, const cJSON *obj, const sc_field *f, char *base)
{
    void *p = base + f->off;
    int64_t x;
    assert(!kind_size(f->kind) || kind_size(f->kind) == f->size); /* a table entry of the wrong kind */
    switch (f->kind) {
    case SF_STRING:
        return jv_string(v, obj, f->key, 0, p, f->size);
    case SF_LOCATION:
    case SF_LOCATION_OPT:
        return sc__location(v, s, obj, f->key, p);
    case SF_NUMBER:
        return jv_number(v, obj, f->key, f->lo, f->hi, p);
    case SF_PROB:
        return jv_prob(v, obj, f->key, p);
    case SF_INT:
        x = *(int *)p;
        if (jv_int(v, obj, f->key, f->lo, f->hi, &x) != 0)
            return -1;
        *(int *)p = (int)x;
        return 0;
    case SF_U32:
        x = *(uint32_t *)p;
        if (jv_int(v, obj, f->key, f->lo, f->hi, &x) != 0)
            return -1;
        *(uint32_t *)p = (uint32_t)x;
        return 0;
    case SF_OBJECT: {
        const cJSON *o = jv_get(v, obj, f->key, 0);
        if (!o)
            return 0;
        size_t n = jv_push(v, f->key, 0);
        int rc = sc__fields_parse(v, s, o, f->sub, f->nsub, base);
        jv_pop(v, n);
        return rc;
    }
    case SF_BOOL:
        return jv_bool(v, obj, f->key, p);
    case SF_DURATION:
        if (jv_duration(v, obj, f->key, 0, (sim_us)f->lo, p) != 0)
            return -1;
        return f->hi > 0 ? jv_at_most(v, f->key, *(sim_us *)p, (sim_us)f->hi) : 0;
    case SF_DIST_TIME:
    case SF_DIST:
        return jv_dist(v, obj, f->key, f->kind == SF_DIST_TIME, (int64_t)f->hi, p);
    case SF_ENUM:
        return parse_enum(v, obj, f, p);
    case SF_PHASE:
        return parse_phase(v, obj, f->key, (sim_us)f->hi, p);
    case SF_CUSTOM:
        return f->parse(v, obj, base);
    }
    return jv_fail(v, "(internal) field kind %d", f->kind);
}

int sc__fields_parse(jv *v, const scenario *s, const cJSON *obj, const sc_field *f, size_t n, void *base)
{
    const char *keys[SC_MAX_FIELDS + 1];
    if (n > SC_MAX_FIELDS)
        return jv_fail(v, "(internal) more than %d fields", SC_MAX_FIELDS);
    for (size_t i = 0; i < n; i++)
        keys[i] = f[i].key;
    keys[n] = NULL;
    if (jv_object(v, obj, keys) != 0)
        return -1;
    return sc__fields_parse_present(v, s, obj, f, n, base);
}

int sc__fields_parse_present(jv *v, const scenario *s, const cJSON *obj, const sc_field *f, size_t n, void *base)
{
    for (int late = 0; late < 2; late++)
        for (size_t i = 0; i < n; i++)
            if (f[i].late == late && parse_one(v, s, obj, &f[i], base) != 0)
                return -1;
    return 0;
}

void sc__fields_write(cJSON *o, const scenario *s, const sc_field *f, size_t n, const void *base)
{
    for (size_t i = 0; i < n; i++) {
        const void *p = (const char *)base + f[i].off;
        const char *key = f[i].key;
        if (f[i].omit && f[i].omit(base))
            continue;
        switch (f[i].kind) {
        case SF_STRING: cJSON_AddStringToObject(o, key, p); break;
        case SF_LOCATION: cJSON_AddStringToObject(o, key, s->locs[*(const int *)p]); break;
        case SF_LOCATION_OPT:
            if (*(const int *)p >= 0)
                cJSON_AddStringToObject(o, key, s->locs[*(const int *)p]);
            break;
        case SF_U32: cJSON_AddNumberToObject(o, key, *(const uint32_t *)p); break;
        case SF_OBJECT: sc__fields_write(cJSON_AddObjectToObject(o, key), s, f[i].sub, f[i].nsub, base); break;
        case SF_NUMBER:
        case SF_PROB: cJSON_AddNumberToObject(o, key, *(const double *)p); break;
        case SF_INT: cJSON_AddNumberToObject(o, key, *(const int *)p); break;
        case SF_BOOL: cJSON_AddBoolToObject(o, key, *(const int *)p); break;
        case SF_DURATION: sc__add_duration(o, key, *(const sim_us *)p); break;
        case SF_DIST_TIME:
        case SF_DIST: cJSON_AddItemToObject(o, key, sc__dist_json(p, f[i].kind == SF_DIST_TIME)); break;
        case SF_ENUM: cJSON_AddStringToObject(o, key, f[i].choices[*(const int *)p]); break;
        case SF_PHASE:
            if (*(const sim_us *)p == SC_PHASE_RANDOM)
                cJSON_AddStringToObject(o, key, "random");
            else
                sc__add_duration(o, key, *(const sim_us *)p);
            break;
        case SF_CUSTOM: f[i].write(o, base); break;
        }
    }
}

/* ---- declared strategy parameters (st_param) ---- */

int sc__declared_parse(jv *v, const cJSON *j, scenario *s)
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
                if (jv_duration(v, j, p->name, 0, p->lo, val) != 0 || jv_at_most(v, p->name, *val, p->hi) != 0)
                    return -1;
                break;
            case ST_PARAM_LOCATION:
                if (sc__location(v, s, j, p->name, &loc) != 0)
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

void sc__declared_write(cJSON *st, const scenario *s)
{
    for (const st_hooks *const *r = st_registry(); *r; r++)
        for (int k = 0; k < (*r)->nparams; k++) {
            const st_param *p = &(*r)->params[k];
            int64_t v = s->strategy.ext[st_param_slot(*r, k)];
            if (v == p->def)
                continue;
            if (p->kind == ST_PARAM_ENUM)
                cJSON_AddStringToObject(st, p->name, p->choices[v]);
            else if (p->kind == ST_PARAM_DURATION)
                sc__add_duration(st, p->name, v);
            else if (p->kind == ST_PARAM_LOCATION)
                cJSON_AddStringToObject(st, p->name, s->locs[v]);
            else
                cJSON_AddNumberToObject(st, p->name, (double)v);
        }
}

/* ---- the tables ---- */

/* A key named as its member; the others name theirs (.key, .off). */
#define FIELD(type, member, kind_, lo_, hi_) \
    { .key = #member, .kind = kind_, .off = offsetof(type, member), .size = sizeof(((type *)0)->member), \
      .lo = lo_, .hi = hi_ }
#define AT(type, member) .off = offsetof(type, member), .size = sizeof(((type *)0)->member)

/* humans[i].rate_by_hour: 24 rates (posts/s), hour 0 = 00:00-01:00 UTC;
 * instead of rate_per_s, which becomes their mean. Parsed after the
 * human's other keys. */
static int parse_rate_by_hour(jv *v, const cJSON *h, void *base)
{
    sc_human *hu = base;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(h, "rate_by_hour");
    if (!a)
        return 0;
    size_t n = jv_push(v, "rate_by_hour", 0);
    if (cJSON_GetObjectItemCaseSensitive(h, "rate_per_s"))
        jv_fail(v, "give either \"rate_per_s\" or \"rate_by_hour\", not both");
    else if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 24)
        jv_fail(v, "expected an array of 24 rates (posts per second in each UTC hour of the day), got %s",
                cJSON_IsArray(a) ? "another length" : jv_type_name(a));
    double sum = 0;
    int i = 0;
    for (const cJSON *x = cJSON_IsArray(a) ? a->child : NULL; x && !v->failed; x = x->next, i++) {
        size_t m = jv_push(v, NULL, i);
        char buf[32];
        if (!cJSON_IsNumber(x))
            jv_fail(v, "expected a number of posts per second, got %s", jv_type_name(x));
        else if (!(x->valuedouble >= 0 && x->valuedouble <= 1000))
            jv_fail(v, "must be between 0 and 1000, got %s", jv_fmt(buf, sizeof buf, x->valuedouble));
        else
            sum += hu->rate_by_hour[i] = x->valuedouble;
        jv_pop(v, m);
    }
    jv_pop(v, n);
    if (v->failed)
        return -1;
    hu->have_profile = 1;
    hu->rate_per_s = sum / 24;
    return 0;
}

static void write_rate_by_hour(cJSON *o, const void *base)
{
    const sc_human *hu = base;
    if (hu->have_profile)
        cJSON_AddItemToObject(o, "rate_by_hour", cJSON_CreateDoubleArray(hu->rate_by_hour, 24));
}

/* With a profile, rate_per_s is its mean, not written (the parser refuses both). */
static int has_profile(const void *base) { return ((const sc_human *)base)->have_profile; }

static const char *const loops[] = { "sequential", "interval", NULL }; /* SC_LOOP_* */

const sc_field sc__human_fields[] = {
    FIELD(sc_human, name, SF_STRING, 0, 0),
    { .key = "location", .kind = SF_LOCATION, AT(sc_human, loc) },
    { .key = "rate_per_s", .kind = SF_NUMBER, AT(sc_human, rate_per_s), .lo = 0, .hi = 1000, .omit = has_profile },
    { .key = "rate_by_hour", .kind = SF_CUSTOM, AT(sc_human, rate_by_hour), .late = 1, .parse = parse_rate_by_hour,
      .write = write_rate_by_hour },
    FIELD(sc_human, entity_share, SF_PROB, 0, 1),
    FIELD(sc_human, legacy_share, SF_PROB, 0, 1),
    FIELD(sc_human, bytes, SF_DIST, 0, MAX_MSG_BYTES),
    FIELD(sc_human, priority, SF_INT, 0, SC_MAX_PRIORITY),
    FIELD(sc_human, rate_limited, SF_BOOL, 0, 1),
};
const size_t sc__nhuman_fields = sizeof sc__human_fields / sizeof sc__human_fields[0];

const sc_field sc__bot_fields[] = {
    FIELD(sc_bot, name, SF_STRING, 0, 0),
    { .key = "location", .kind = SF_LOCATION, AT(sc_bot, loc) },
    { .key = "loop", .kind = SF_ENUM, .off = offsetof(sc_bot, loop), .size = 16, .choices = loops,
      .what = "unknown loop '%s' (sequential, interval)" },
    FIELD(sc_bot, poll_every, SF_DURATION, SIM_US_PER_MS, SC_MAX_SPAN),
    FIELD(sc_bot, first_poll, SF_PHASE, 0, SC_MAX_SPAN),
    FIELD(sc_bot, generation, SF_DIST_TIME, 0, INT64_C(86400000000)),
    FIELD(sc_bot, reply_bytes, SF_DIST, 0, MAX_MSG_BYTES),
    FIELD(sc_bot, fail_prob, SF_PROB, 0, 1),
    FIELD(sc_bot, crash_prob, SF_PROB, 0, 1),
    FIELD(sc_bot, restart_after, SF_DURATION, 0, SC_MAX_SPAN),
    FIELD(sc_bot, rate_limited, SF_BOOL, 0, 1),
};
const size_t sc__nbot_fields = sizeof sc__bot_fields / sizeof sc__bot_fields[0];

static const char *const placements[] = { "wait_until", "inline", NULL }; /* ST_PLACE_* */

/* "strategy": its fixed keys (the declared parameters follow them). */
const sc_field sc__strategy_fields[] = {
    FIELD(st_params, retry_max_attempts, SF_INT, 1, 64),
    FIELD(st_params, retry_first_backoff, SF_DURATION, 0, SC_MAX_SPAN / 64),
    { .key = "option2_placement", .kind = SF_ENUM, .off = offsetof(st_params, option2_placement), .size = SC_NAME,
      .choices = placements,
      .what = "expected \"wait_until\" (the update runs after the response, in ctx.waitUntil) or \"inline\" "
              "(awaited before the response), got '%s'" },
    FIELD(st_params, cron_every, SF_DURATION, 60 * SIM_US_PER_S, 0), /* and cron_every_ok (scenario.c) */
    { .key = "cron_location", .kind = SF_LOCATION_OPT, AT(st_params, cron_loc) },
};
const size_t sc__nstrategy_fields = sizeof sc__strategy_fields / sizeof sc__strategy_fields[0];

/* "deployed": "rate_limit" is an object of two keys of the same struct;
 * its window is a KV expirationTtl: at least 60 s (Cloudflare KV). */
static const sc_field rate_limit_fields[] = {
    { .key = "posts", .kind = SF_INT, AT(call_deployed, rate_posts), .lo = 1, .hi = 1000000 },
    { .key = "window", .kind = SF_DURATION, AT(call_deployed, rate_window), .lo = 60 * SIM_US_PER_S,
      .hi = SC_MAX_SPAN },
};

const sc_field sc__deployed_fields[] = {
    FIELD(call_deployed, pending_limit, SF_U32, 1, 100000),
    FIELD(call_deployed, max_attempts, SF_INT, 1, 31),
    { .key = "rate_limit", .kind = SF_OBJECT, .sub = rate_limit_fields,
      .nsub = sizeof rate_limit_fields / sizeof rate_limit_fields[0] },
};
const size_t sc__ndeployed_fields = sizeof sc__deployed_fields / sizeof sc__deployed_fields[0];
