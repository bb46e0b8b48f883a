/* scenario_script.c - the messages and calls of a scenario: "initial" state,
 * the "script" of calls with their pinned faults, and the endpoint "faults". */
#include "scenario_int.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sc__status(jv *v, const cJSON *obj, const char *key, int *out)
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

int sc__initial(jv *v, const cJSON *j, scenario *s)
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
                jv_string(v, e, "key", 0, key, sizeof key) == 0 && sc__status(v, e, "stored", &mm->stored) == 0 &&
                sc__status(v, e, "cached", &mm->cached) == 0 && jv_int(v, e, "bytes", 1, MAX_MSG_BYTES, &bytes) == 0 &&
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
                    int def = mm->entity && mm->type == MT_HUMAN ? MS_PENDING : MS_NONE;
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

/* The ids of the initial messages (value: index) and of the posts among
 * the first ncalls script entries (value: nmsgs + entry); NULL on OOM. */
ids_set *sc__msg_index(const scenario *s, int extra)
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
 * sc__msg_index(s): ids are unique, so one lookup answers. */
int sc__known_msg(const scenario *s, const ids_set *ids, const char *id, int upto)
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
int sc__ep_faults(jv *v, const cJSON *arr, scenario *s)
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

int sc__script(jv *v, const cJSON *arr, scenario *s)
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
    ids_set *ids = v->failed ? NULL : sc__msg_index(s, cnt > 0 ? cnt : 0);
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
            sc__location(v, s, e, "location", &c->loc) != 0 || parse_faults(v, jv_get(v, e, "fail", 0), c) != 0)
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
        if ((c->kind == EP_CLAIM || c->kind == EP_COMPLETE || c->kind == EP_FAIL) && !sc__known_msg(s, ids, c->msg, k)) {
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
