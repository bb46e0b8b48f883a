/* trace.c - the trace reader (trace.h). */
#include "app/trace.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/endpoint.h"
#include "model/kv.h"

static int fault_kind(const char *result)
{
    static const struct { const char *name; int kind; } kinds[] = {
        { "error:transient", KV_ETRANSIENT }, { "error:429", KV_E429 }, { "error:too-large", KV_ETOOLARGE },
        { "error:daily-cap", KV_ECAP }, { "error:op-limit", KV_EOPLIMIT },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(result, kinds[i].name) == 0)
            return kinds[i].kind;
    return 0;
}

static tr_call *find(tr_call *calls, size_t n, long long id)
{
    /* calls are numbered from 1 in start order: index id - 1 when dense */
    if (id >= 1 && (size_t)id <= n && calls[id - 1].id == id)
        return &calls[id - 1];
    for (size_t i = 0; i < n; i++)
        if (calls[i].id == id)
            return &calls[i];
    return NULL;
}



static void read_meta(const cJSON *j, tr_meta *m)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scenario");
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(j, "file");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "scenario_fnv1a64");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "option");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
    m->have = 1;
    snprintf(m->scenario, sizeof m->scenario, "%s", cJSON_IsString(sc) ? sc->valuestring : "");
    snprintf(m->file, sizeof m->file, "%s", cJSON_IsString(file) ? file->valuestring : "");
    snprintf(m->hash, sizeof m->hash, "%s", cJSON_IsString(h) ? h->valuestring : "");
    snprintf(m->option, sizeof m->option, "%s", cJSON_IsString(o) ? o->valuestring : "");
    /* the seed is written as a string: a uint64 does not survive a double */
    m->seed = cJSON_IsString(seed) ? strtoull(seed->valuestring, NULL, 10) : 0;
}

tr_call *tr_read(const char *path, size_t *ncalls, tr_meta *meta, sim_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err->code = 2;
        snprintf(err->msg, sizeof err->msg, "%.200s: %s", path, strerror(errno));
        return NULL;
    }
    char *line = NULL;
    size_t cap = 0, n = 0, ccap = 0;
    long lineno = 0;
    tr_call *calls = NULL;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        cJSON *j = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "t");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
        if (lineno == 1 && cJSON_IsString(type) && strcmp(type->valuestring, "meta") == 0) {
            read_meta(j, meta);
            cJSON_Delete(j);
            continue;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "call");
        if (!cJSON_IsNumber(t) || !cJSON_IsString(type) || !cJSON_IsNumber(id)) {
            err->code = 2;
            snprintf(err->msg, sizeof err->msg, "%.200s:%ld: not a trace line (docs/trace.md)", path, lineno);
            cJSON_Delete(j);
            goto fail;
        }
        tr_call *c = NULL;
        if (strcmp(type->valuestring, "call") == 0) {
            if (n == ccap) {
                ccap = ccap ? ccap * 2 : 256;
                tr_call *nc = realloc(calls, ccap * sizeof *nc);
                if (!nc) {
                    cJSON_Delete(j);
                    err->code = 1;
                    snprintf(err->msg, sizeof err->msg, "%.200s: out of memory", path);
                    goto fail;
                }
                calls = nc;
            }
            c = &calls[n++];
            memset(c, 0, sizeof *c);
            c->id = (long long)id->valuedouble;
            c->start = c->end = (sim_us)t->valuedouble;
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "actor");
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "endpoint");
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "msg");
            snprintf(c->actor, sizeof c->actor, "%s", cJSON_IsString(a) ? a->valuestring : "?");
            c->kind = cJSON_IsString(e) ? ep_parse(e->valuestring) : -1;
            if (cJSON_IsString(m))
                snprintf(c->msg, sizeof c->msg, "%s", m->valuestring);
        } else if ((c = find(calls, n, (long long)id->valuedouble)) != NULL) {
            c->end = (sim_us)t->valuedouble;
            if (strcmp(type->valuestring, "kv") == 0) {
                const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
                if (c->nops < SC_MAX_PINS)
                    c->done[c->nops] = (sim_us)t->valuedouble - c->start;
                c->nops++;
                int k = cJSON_IsString(res) ? fault_kind(res->valuestring) : 0;
                if (k && c->nfaults < SC_MAX_FAULTS) {
                    call_fault *cf = &c->faults[c->nfaults++];
                    cf->op = -1;
                    cf->key_class = -1;
                    cf->nth = c->nops;
                    cf->kind = k;
                } else if (k) {
                    c->dropped_faults++;
                }
            }
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    *ncalls = n;
    if (!calls && !(calls = calloc(1, sizeof *calls))) { /* no call: an empty array, not a failure */
        err->code = 1;
        snprintf(err->msg, sizeof err->msg, "%.200s: out of memory", path);
    }
    return calls;
fail:
    free(line);
    free(calls);
    fclose(f);
    return NULL;
}
