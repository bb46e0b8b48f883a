/* strategy.c - the registry of strategies and their composition. */
#include "strategy.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/strategies/strategies.h"

static const st_hooks *const registry[] = {
    &st_option0,
    &st_option1,
    &st_option2,
    &st_option3,
    &st_verify_all,
    &st_option1_fixed,
    &st_option4,
    NULL,
};

const st_hooks *const *st_registry(void) { return registry; }

void st_params_default(st_params *p)
{
    memset(p, 0, sizeof *p);
    for (const st_hooks *const *r = registry; *r; r++)
        for (int k = 0; k < (*r)->nparams; k++)
            p->ext[st_param_slot(*r, k)] = (*r)->params[k].def;
    p->retry_max_attempts = 5;
    p->retry_first_backoff = SIM_US_PER_S;
    p->option2_placement = ST_PLACE_WAIT_UNTIL;
    p->wait_until_limit = 30 * SIM_US_PER_S; /* replaced by the limits file's value */
    p->cron_every = 60 * SIM_US_PER_S;
    p->cron_loc = ST_CRON_LOC_CLOUDFLARE;
}

int st_param_slot(const st_hooks *h, int k)
{
    int slot = 0;
    for (const st_hooks *const *r = registry; *r && *r != h; r++)
        slot += (*r)->nparams;
    assert(slot + k < ST_MAX_EXT); /* a registry whose parameters do not fit */
    return slot + k;
}

int64_t st_param_value(const st_set *st, const st_hooks *h, int k)
{
    return st->p.ext[st_param_slot(h, k)];
}

int st_param_parse(const st_param *p, const char *text, int64_t *out)
{
    if (p->kind == ST_PARAM_ENUM) {
        for (int64_t i = 0; p->choices[i]; i++)
            if (strcmp(p->choices[i], text) == 0) {
                *out = i;
                return 0;
            }
        return -1;
    }
    if (p->kind == ST_PARAM_INT) {
        char *end;
        long long v = strtoll(text, &end, 10);
        if (!*text || *end || v < p->lo || v > p->hi)
            return -1;
        *out = v;
        return 0;
    }
    return -1; /* durations and locations only from the scenario file */
}

static int part_of(const st_set *st, const st_hooks *h)
{
    for (int i = 0; i < st->nparts; i++)
        if (st->parts[i] == h)
            return i;
    assert(!"strategy not in the set");
    return 0;
}

void *st_run_state(const call_env *env, const st_hooks *h) { return env->st_run[part_of(env->strategy, h)]; }

void st_set_run_state(call_env *env, const st_hooks *h, void *state)
{
    env->st_run[part_of(env->strategy, h)] = state;
}

void *st_call_state(call *c, const st_hooks *h)
{
    const st_set *st = c->env->strategy;
    return c->st_state + st->call_off[part_of(st, h)];
}

int st_attach(call_env *env, const st_set *st, sim_err *err)
{
    env->st_call_size = st->call_size;
    for (int i = 0; i < st->nparts; i++)
        if (st->parts[i]->attach && st->parts[i]->attach(env, st, err) != 0) {
            while (i-- > 0)
                if (st->parts[i]->detach)
                    st->parts[i]->detach(env);
            return -1;
        }
    return 0;
}

void st_finish(call_env *env, const st_set *st)
{
    for (int i = 0; i < st->nparts; i++)
        if (st->parts[i]->finish)
            st->parts[i]->finish(env);
}

void st_detach(call_env *env, const st_set *st)
{
    for (int i = st->nparts; i-- > 0;)
        if (st->parts[i]->detach)
            st->parts[i]->detach(env);
}

/* "name:key=value:key=value": the overrides after the name, on out->p. */
static int overrides(const char *q, size_t len, const st_hooks *s, const char *spec, st_set *out, sim_err *err)
{
    const char *colon = memchr(q, ':', len);
    while (colon) {
        const char *item = colon + 1, *end = q + len;
        colon = memchr(item, ':', (size_t)(end - item));
        const char *stop = colon ? colon : end;
        const char *eq = memchr(item, '=', (size_t)(stop - item));
        char key[64], val[64];
        int k;
        if (!eq || eq - item >= (long)sizeof key || stop - eq - 1 >= (long)sizeof val) {
            snprintf(err->msg, sizeof err->msg, "expected key=value after ':' in '%s'", spec);
            return -1;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - item), item);
        snprintf(val, sizeof val, "%.*s", (int)(stop - eq - 1), eq + 1);
        for (k = 0; k < s->nparams && strcmp(s->params[k].name, key) != 0; k++)
            ;
        if (k == s->nparams) {
            snprintf(err->msg, sizeof err->msg, "strategy '%s' has no parameter '%s' (in '%s')", s->name, key, spec);
            return -1;
        }
        if (st_param_parse(&s->params[k], val, &out->p.ext[st_param_slot(s, k)]) != 0) {
            snprintf(err->msg, sizeof err->msg, "bad value '%s' for %s in '%s'%s", val, key, spec,
                     s->params[k].kind == ST_PARAM_ENUM || s->params[k].kind == ST_PARAM_INT
                         ? "" : " (set it in the scenario's \"strategy\" object)");
            return -1;
        }
    }
    return 0;
}

static const st_hooks *lookup(const st_hooks *const *list, const char *name, size_t len)
{
    for (const st_hooks *const *s = list; s && *s; s++)
        if (strlen((*s)->name) == len && strncmp((*s)->name, name, len) == 0)
            return *s;
    return NULL;
}

#define MERGE(field)                                                                     \
    do {                                                                                 \
        if (s->field) {                                                                  \
            if (out->h.field) {                                                          \
                snprintf(err->msg, sizeof err->msg,                                      \
                         "strategies in '%s' both change the hook " #field, spec);       \
                return -1;                                                               \
            }                                                                            \
            out->h.field = s->field;                                                     \
        }                                                                                \
    } while (0)

int st_compose(const char *spec, const st_params *p, st_set *out, sim_err *err)
{
    return st_compose_ext(spec, p, NULL, out, err);
}

int st_compose_ext(const char *spec, const st_params *p, const st_hooks *const *extra, st_set *out, sim_err *err)
{
    memset(out, 0, sizeof *out);
    out->p = *p;
    err->code = 2;
    const char *q = spec;
    for (;;) {
        const char *plus = strchr(q, '+');
        size_t full = plus ? (size_t)(plus - q) : strlen(q);
        const char *colon = memchr(q, ':', full);
        size_t len = colon ? (size_t)(colon - q) : full;
        const st_hooks *s = lookup(registry, q, len);
        if (!s && (s = lookup(extra, q, len)) && s->nparams) {
            snprintf(err->msg, sizeof err->msg, "strategy '%s' is outside the registry and cannot declare parameters",
                     s->name);
            return -1;
        }
        if (!s) {
            char known[256] = "";
            for (const st_hooks *const *r = registry; *r; r++) {
                strncat(known, (*r)->name, sizeof known - strlen(known) - 1);
                if (r[1])
                    strncat(known, ", ", sizeof known - strlen(known) - 1);
            }
            snprintf(err->msg, sizeof err->msg, "unknown strategy '%.*s' in '%s' (known: %s; combine with '+')",
                     (int)len, q, spec, known);
            return -1;
        }
        if (out->nparts == ST_MAX_PARTS) {
            snprintf(err->msg, sizeof err->msg, "too many strategies in '%s' (at most %d)", spec, ST_MAX_PARTS);
            return -1;
        }
        for (int i = 0; i < out->nparts; i++)
            if (out->parts[i] == s) {
                snprintf(err->msg, sizeof err->msg, "strategy '%s' named twice in '%s'", s->name, spec);
                return -1;
            }
        if (overrides(q, full, s, spec, out, err) != 0)
            return -1;
        out->call_off[out->nparts] = out->call_size;
        /* keep every part's state aligned for any type */
        out->call_size += (s->call_state_size + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) *
                          _Alignof(max_align_t);
        out->parts[out->nparts++] = s;
        MERGE(pending_should_verify);
        MERGE(pending_verify);
        MERGE(pending_after_scan);
        MERGE(cache_update);
        MERGE(cron_job);
        MERGE(post_append);
        for (int e = 0; e < EP_COUNT; e++)
            MERGE(endpoint[e]);
        if (!plus)
            break;
        q = plus + 1;
    }
    /* a replaced endpoint never runs the hooks inside the seed's one */
    const struct { int ep; int hooked; const char *hook; } inner[] = {
        { EP_PENDING, out->h.pending_should_verify || out->h.pending_verify || out->h.pending_after_scan,
          "pending_*" },
        { EP_CLAIM, out->h.cache_update != NULL, "cache_update" },
        { EP_COMPLETE, out->h.cache_update != NULL, "cache_update" },
        { EP_FAIL, out->h.cache_update != NULL, "cache_update" },
        { EP_POST, out->h.post_append != NULL, "post_append" },
        { EP_CRON, out->h.cron_job != NULL, "cron_job" },
    };
    for (size_t k = 0; k < sizeof inner / sizeof inner[0]; k++)
        if (out->h.endpoint[inner[k].ep] && inner[k].hooked) {
            snprintf(err->msg, sizeof err->msg, "strategies in '%s' clash: one replaces the %s endpoint, another "
                     "changes its hook %s", spec, ep_name(inner[k].ep), inner[k].hook);
            return -1;
        }
    snprintf(out->name, sizeof out->name, "%s", spec);
    out->h.name = out->name;
    err->code = 0;
    return 0;
}
