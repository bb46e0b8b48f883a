/* scenario_actors.c - the scenario's actors: "humans", "bots" and "readers"
 * parsed with located errors, and their names checked unique (scenario_int.h).
 * A human's and a bot's keys are field tables (scenario_fields.c). */
#include "scenario_int.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int humans(jv *v, const cJSON *arr, scenario *s)
{
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
        if (sc__fields_parse(v, s, h, sc__human_fields, sc__nhuman_fields, hu) == 0)
            s->nhumans++;
        jv_pop(v, m);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static int bots(jv *v, const cJSON *arr, scenario *s)
{
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
        if (sc__fields_parse(v, s, b, sc__bot_fields, sc__nbot_fields, bo) == 0)
            s->nbots++;
        jv_pop(v, m);
    }
    jv_pop(v, n);
    return v->failed ? -1 : 0;
}

static int readers(jv *v, const cJSON *arr, scenario *s)
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
            sc__location(v, s, r, "location", &re->loc) != 0 || jv_int(v, r, "count", 1, SC_MAX_PAGES, &count) != 0)
            goto next;
        re->count = (int32_t)count;
        int has_p = jv_get(v, r, "period", 0) != NULL, has_r = jv_get(v, r, "rate_per_s", 0) != NULL;
        if (has_p == has_r) {
            jv_fail(v, "give exactly one of \"period\" (a duration) and \"rate_per_s\" (a number)");
            goto next;
        }
        if (has_p) {
            if (jv_duration(v, r, "period", 1, SIM_US_PER_MS, &re->period) == 0 &&
                jv_at_most(v, "period", re->period, SC_MAX_SPAN) == 0)
                sc__phase(v, r, "first_poll", &re->first_poll);
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

int sc__actors(jv *v, const cJSON *root, scenario *s)
{
    return humans(v, jv_get(v, root, "humans", 0), s) == 0 && bots(v, jv_get(v, root, "bots", 0), s) == 0 &&
                   readers(v, jv_get(v, root, "readers", 0), s) == 0 && unique_actors(v, s) == 0
               ? 0
               : -1;
}
