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
    case SF_LOCATION: case SF_INT: case SF_BOOL: return sizeof(int);
    case SF_NUMBER: case SF_PROB: return sizeof(double);
    case SF_DURATION: case SF_PHASE: return sizeof(sim_us);
    case SF_DIST_TIME: case SF_DIST: return sizeof(dist);
    case SF_ENUM: case SF_STRING: return 0;
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
    case SF_BOOL:
        return jv_bool(v, obj, f->key, p);
    case SF_DURATION:
        return jv_duration(v, obj, f->key, 0, (sim_us)f->lo, p) == 0 ? jv_at_most(v, f->key, *(sim_us *)p, (sim_us)f->hi)
                                                                       : -1;
    case SF_DIST_TIME:
    case SF_DIST:
        return jv_dist(v, obj, f->key, f->kind == SF_DIST_TIME, (int64_t)f->hi, p);
    case SF_ENUM:
        return parse_enum(v, obj, f, p);
    case SF_PHASE:
        return parse_phase(v, obj, f->key, (sim_us)f->hi, p);
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
    for (size_t i = 0; i < n; i++)
        if (parse_one(v, s, obj, &f[i], base) != 0)
            return -1;
    return 0;
}

void sc__fields_write(cJSON *o, const scenario *s, const sc_field *f, size_t n, const void *base)
{
    for (size_t i = 0; i < n; i++) {
        const void *p = (const char *)base + f[i].off;
        const char *key = f[i].key;
        switch (f[i].kind) {
        case SF_STRING: cJSON_AddStringToObject(o, key, p); break;
        case SF_LOCATION: cJSON_AddStringToObject(o, key, s->locs[*(const int *)p]); break;
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
        }
    }
}

/* ---- the tables ---- */

#define FIELD(type, member, kind_, ...) \
    { #member, kind_, offsetof(type, member), sizeof(((type *)0)->member), __VA_ARGS__ }

static const char *const loops[] = { "sequential", "interval", NULL }; /* SC_LOOP_* */

const sc_field sc__human_fields[] = {
    FIELD(sc_human, name, SF_STRING, 0, 0, NULL, NULL),
    { "location", SF_LOCATION, offsetof(sc_human, loc), sizeof(int), 0, 0, NULL, NULL },
    FIELD(sc_human, rate_per_s, SF_NUMBER, 0, 1000, NULL, NULL),
    FIELD(sc_human, entity_share, SF_PROB, 0, 1, NULL, NULL),
    FIELD(sc_human, legacy_share, SF_PROB, 0, 1, NULL, NULL),
    FIELD(sc_human, bytes, SF_DIST, 0, MAX_MSG_BYTES, NULL, NULL),
    FIELD(sc_human, priority, SF_INT, 0, SC_MAX_PRIORITY, NULL, NULL),
    FIELD(sc_human, rate_limited, SF_BOOL, 0, 1, NULL, NULL),
};
const size_t sc__nhuman_fields = sizeof sc__human_fields / sizeof sc__human_fields[0];

const sc_field sc__bot_fields[] = {
    FIELD(sc_bot, name, SF_STRING, 0, 0, NULL, NULL),
    { "location", SF_LOCATION, offsetof(sc_bot, loc), sizeof(int), 0, 0, NULL, NULL },
    { "loop", SF_ENUM, offsetof(sc_bot, loop), 16, 0, 0, loops, "unknown loop '%s' (sequential, interval)" },
    FIELD(sc_bot, poll_every, SF_DURATION, SIM_US_PER_MS, SC_MAX_SPAN, NULL, NULL),
    FIELD(sc_bot, first_poll, SF_PHASE, 0, SC_MAX_SPAN, NULL, NULL),
    FIELD(sc_bot, generation, SF_DIST_TIME, 0, INT64_C(86400000000), NULL, NULL),
    FIELD(sc_bot, reply_bytes, SF_DIST, 0, MAX_MSG_BYTES, NULL, NULL),
    FIELD(sc_bot, fail_prob, SF_PROB, 0, 1, NULL, NULL),
    FIELD(sc_bot, crash_prob, SF_PROB, 0, 1, NULL, NULL),
    FIELD(sc_bot, restart_after, SF_DURATION, 0, SC_MAX_SPAN, NULL, NULL),
    FIELD(sc_bot, rate_limited, SF_BOOL, 0, 1, NULL, NULL),
};
const size_t sc__nbot_fields = sizeof sc__bot_fields / sizeof sc__bot_fields[0];
