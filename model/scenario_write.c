/* scenario_write.c - a scenario back to JSON, and deep copies: what search
 * needs to hand back a case a user can read, keep and replay with qsim run.
 * The JSON is explicit (every value written, durations in whole µs), so it
 * reproduces the run byte for byte whatever the defaults become. */
#include "scenario.h"

#include "scenario_int.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *status_text(int s) { return s < 0 ? "absent" : msg_status_name(s); }

/* op and key of a fault, and its kind, as both kinds of fault entry spell them. */
static void fault_scope_json(cJSON *o, int op, int key_class)
{
    cJSON_AddStringToObject(o, "op", op == KV_GET ? "get" : op == KV_PUT ? "put" : "any");
    cJSON_AddStringToObject(o, "key", key_class == KV_CLASS_CACHE ? "cache"
                                      : key_class == KV_CLASS_INDIVIDUAL ? "individual"
                                      : key_class == KV_CLASS_OTHER ? "other"
                                      : key_class == CALL_KEY_HEARTBEAT ? "heartbeat"
                                      : key_class == CALL_KEY_MSG_COUNT ? "message-count"
                                      : key_class == CALL_KEY_RATE_LIMIT ? "rate-limit" : "any");
}

static const char *fault_kind_text(int kind)
{
    return kind == KV_E429 ? "429" : kind == KV_ETOOLARGE ? "too-large" : kind == KV_ECAP ? "daily-cap"
         : kind == KV_EOPLIMIT ? "op-limit" : "error";
}

static cJSON *faults_json(const call_fault *f, int n)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        fault_scope_json(o, f[i].op, f[i].key_class);
        cJSON_AddNumberToObject(o, "nth", f[i].nth);
        cJSON_AddStringToObject(o, "kind", fault_kind_text(f[i].kind));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *ep_faults_json(const call_epfault *f, int n)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "endpoint", f[i].endpoint < 0 ? "any" : ep_name(f[i].endpoint));
        fault_scope_json(o, f[i].op, f[i].key_class);
        cJSON_AddNumberToObject(o, "prob", f[i].prob);
        cJSON_AddStringToObject(o, "kind", fault_kind_text(f[i].kind));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

cJSON *sc_to_json(const scenario *s, const char *description)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", s->name);
    if (description)
        cJSON_AddStringToObject(root, "description", description);
    cJSON_AddNumberToObject(root, "seed", (double)s->seed);
    sc__add_duration(root, "duration", s->duration);
    cJSON_AddNumberToObject(root, "start_epoch_ms", (double)s->epoch_ms);
    cJSON *opts = cJSON_AddArrayToObject(root, "options");
    for (int i = 0; i < s->noptions; i++)
        cJSON_AddItemToArray(opts, cJSON_CreateString(s->options[i]));
    cJSON *locs = cJSON_AddArrayToObject(root, "locations");
    for (int i = 0; i < s->nlocs; i++)
        cJSON_AddItemToArray(locs, cJSON_CreateString(s->locs[i]));

    cJSON *kv = cJSON_AddObjectToObject(root, "kv");
    sc__add_duration(kv, "cache_ttl", s->kv.cache_ttl);
    cJSON_AddNumberToObject(kv, "own_writes_visible", s->kv.own_writes_visible);
    cJSON_AddNumberToObject(kv, "background_refresh", s->kv.background_refresh);
    cJSON *lat = cJSON_AddObjectToObject(kv, "latency");
    cJSON_AddItemToObject(lat, "get_hit", sc__dist_json(&s->kv.get_hit, 1));
    cJSON_AddItemToObject(lat, "get_miss", sc__dist_json(&s->kv.get_miss, 1));
    cJSON_AddItemToObject(lat, "put", sc__dist_json(&s->kv.put, 1));
    cJSON *ge = cJSON_AddObjectToObject(kv, "get_error_prob");
    cJSON_AddNumberToObject(ge, "cache", s->kv.get_error_prob[KV_CLASS_CACHE]);
    cJSON_AddNumberToObject(ge, "individual", s->kv.get_error_prob[KV_CLASS_INDIVIDUAL]);
    cJSON_AddNumberToObject(ge, "other", s->kv.get_error_prob[KV_CLASS_OTHER]);
    cJSON *pe = cJSON_AddObjectToObject(kv, "put_error_prob");
    cJSON_AddNumberToObject(pe, "cache", s->kv.put_error_prob[KV_CLASS_CACHE]);
    cJSON_AddNumberToObject(pe, "individual", s->kv.put_error_prob[KV_CLASS_INDIVIDUAL]);
    cJSON_AddNumberToObject(pe, "other", s->kv.put_error_prob[KV_CLASS_OTHER]);
    cJSON_AddNumberToObject(kv, "p429", s->kv.p429);
    cJSON *cache = cJSON_AddObjectToObject(root, "cache");
    cJSON_AddNumberToObject(cache, "window", s->kv.window);
    cJSON_AddStringToObject(root, "endpoints", s->endpoints == CALL_EP_DEPLOYED ? "deployed" : "write-up");
    if (s->worker.module[0]) { /* written resolved: read back from anywhere */
        cJSON *w = cJSON_AddObjectToObject(root, "worker");
        cJSON_AddStringToObject(w, "module", s->worker.module);
        cJSON *bindings = cJSON_AddObjectToObject(w, "kv");
        for (int i = 0; i < s->worker.nkv; i++)
            cJSON_AddStringToObject(bindings, s->worker.kv[i], "default");
        if (s->worker.nvars) {
            cJSON *vars = cJSON_AddObjectToObject(w, "vars");
            for (int i = 0; i < s->worker.nvars; i++)
                cJSON_AddStringToObject(vars, s->worker.var_names[i], s->worker.var_values[i]);
        }
    }
    if (s->endpoints == CALL_EP_DEPLOYED) { /* "deployed" is refused with the write-up's endpoints */
        cJSON *d = cJSON_AddObjectToObject(root, "deployed");
        sc__fields_write(d, s, sc__deployed_fields, sc__ndeployed_fields, &s->deployed);
    }

    cJSON *hs = cJSON_AddArrayToObject(root, "humans");
    for (int i = 0; i < s->nhumans; i++) {
        cJSON *o = cJSON_CreateObject();
        sc__fields_write(o, s, sc__human_fields, sc__nhuman_fields, &s->humans[i]);
        cJSON_AddItemToArray(hs, o);
    }
    cJSON *bs = cJSON_AddArrayToObject(root, "bots");
    for (int i = 0; i < s->nbots; i++) {
        cJSON *o = cJSON_CreateObject();
        sc__fields_write(o, s, sc__bot_fields, sc__nbot_fields, &s->bots[i]);
        cJSON_AddItemToArray(bs, o);
    }
    if (s->nreaders > 0) {
        cJSON *rs = cJSON_AddArrayToObject(root, "readers");
        for (int i = 0; i < s->nreaders; i++) {
            const sc_reader *r = &s->readers[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", r->name);
            cJSON_AddStringToObject(o, "location", s->locs[r->loc]);
            cJSON_AddNumberToObject(o, "count", r->count);
            if (r->period > 0) {
                sc__add_duration(o, "period", r->period);
                if (r->first_poll == SC_PHASE_RANDOM)
                    cJSON_AddStringToObject(o, "first_poll", "random");
                else
                    sc__add_duration(o, "first_poll", r->first_poll);
            } else {
                cJSON_AddNumberToObject(o, "rate_per_s", r->rate_per_s);
            }
            cJSON_AddItemToArray(rs, o);
        }
    }
    cJSON *init = cJSON_AddObjectToObject(root, "initial");
    cJSON *plain = cJSON_AddObjectToObject(init, "plain");
    cJSON_AddNumberToObject(plain, "count", s->plain_count);
    cJSON_AddNumberToObject(plain, "bytes", s->plain_bytes);
    cJSON *ms = cJSON_AddArrayToObject(init, "messages");
    for (int i = 0; i < s->nmsgs; i++) {
        const sc_msg *m = &s->msgs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", m->id);
        cJSON_AddStringToObject(o, "type", m->type == MT_AI ? "ai" : "human");
        if (m->entity)
            cJSON_AddStringToObject(o, "entity", "E");
        cJSON_AddStringToObject(o, "key", m->legacy ? "legacy" : "current");
        cJSON_AddStringToObject(o, "stored", status_text(m->stored));
        cJSON_AddStringToObject(o, "cached", status_text(m->cached));
        cJSON_AddNumberToObject(o, "bytes", m->bytes);
        cJSON_AddNumberToObject(o, "priority", m->priority);
        cJSON_AddItemToArray(ms, o);
    }
    cJSON *st = cJSON_AddObjectToObject(root, "strategy");
    sc__fields_write(st, s, sc__strategy_fields, sc__nstrategy_fields, &s->strategy);
    sc__declared_write(st, s); /* when they differ from their default */
    if (s->nfaults > 0)
        cJSON_AddItemToObject(root, "faults", ep_faults_json(s->faults, s->nfaults));
    if (s->ncalls > 0) {
        cJSON *sc = cJSON_AddArrayToObject(root, "script");
        for (int i = 0; i < s->ncalls; i++) {
            const sc_call *c = &s->script[i];
            cJSON *o = cJSON_CreateObject();
            sc__add_duration(o, "at", c->at);
            cJSON_AddStringToObject(o, "actor", c->actor);
            if (c->loc >= 0) /* a cron call where Cloudflare chooses has none */
                cJSON_AddStringToObject(o, "location", s->locs[c->loc]);
            cJSON_AddStringToObject(o, "call", c->kind == SC_CORRUPT ? "corrupt-cache" : ep_name(c->kind));
            if (c->kind == EP_POST) {
                cJSON *m = cJSON_AddObjectToObject(o, "msg");
                cJSON_AddStringToObject(m, "id", c->msg);
                cJSON_AddStringToObject(m, "type", c->type == MT_AI ? "ai" : "human");
                if (c->entity)
                    cJSON_AddStringToObject(m, "entity", "E");
                cJSON_AddStringToObject(m, "key", c->legacy ? "legacy" : "current");
                cJSON_AddNumberToObject(m, "bytes", c->bytes);
                cJSON_AddNumberToObject(m, "priority", c->priority);
            } else if (c->msg[0]) {
                cJSON_AddStringToObject(o, "msg", c->msg);
            }
            if (c->nfaults)
                cJSON_AddItemToObject(o, "fail", faults_json(c->faults, c->nfaults));
            if (c->npins) {
                cJSON *pins = cJSON_AddArrayToObject(o, "done_us");
                for (int k = 0; k < c->npins; k++)
                    cJSON_AddItemToArray(pins, cJSON_CreateNumber((double)s->pins[c->pin_off + k]));
            }
            cJSON_AddItemToArray(sc, o);
        }
    }
    return root;
}

scenario *sc_clone(const scenario *s)
{
    scenario *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = *s;
    c->msgs = NULL;
    c->script = NULL;
    c->expect = NULL;
    c->pins = NULL;
    if (s->npins && !(c->pins = malloc((size_t)s->npins * sizeof *c->pins)))
        goto fail;
    if (s->npins)
        memcpy(c->pins, s->pins, (size_t)s->npins * sizeof *c->pins);
    if (s->nmsgs && !(c->msgs = malloc((size_t)s->nmsgs * sizeof *c->msgs)))
        goto fail;
    if (s->ncalls && !(c->script = malloc((size_t)s->ncalls * sizeof *c->script)))
        goto fail;
    if (s->nexpect && !(c->expect = malloc((size_t)s->nexpect * sizeof *c->expect)))
        goto fail;
    if (s->nmsgs)
        memcpy(c->msgs, s->msgs, (size_t)s->nmsgs * sizeof *c->msgs);
    if (s->ncalls)
        memcpy(c->script, s->script, (size_t)s->ncalls * sizeof *c->script);
    if (s->nexpect)
        memcpy(c->expect, s->expect, (size_t)s->nexpect * sizeof *c->expect);
    return c;
fail:
    sc_free(c);
    return NULL;
}
