/* scenario_expect.c - a scenario's "expect" list parsed with located errors;
 * model/expect.c checks it against a finished run. */
#include "scenario_int.h"

#include "model/figures.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sc__expect(jv *v, const cJSON *arr, scenario *s)
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
            if (jv_string(v, e, "msg", 1, x->msg, sizeof x->msg) == 0 && !ids && !(ids = sc__msg_index(s, 0)))
                jv_fail(v, "out of memory");
            if (!v->failed && !sc__known_msg(s, ids, x->msg, INT32_MAX)) {
                size_t k = jv_push(v, "msg", 0);
                jv_fail(v, "unknown message '%s'", x->msg);
                jv_pop(v, k);
            }
            if (!v->failed && sc__status(v, e, "cache_status", &x->cache_status) == 0)
                sc__status(v, e, "stored_status", &x->stored_status);
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
