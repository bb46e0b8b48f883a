/* strategy.c - the registry of strategies and their composition. */
#include "strategy.h"

#include <stdio.h>
#include <string.h>

#include "model/strategies/strategies.h"

static const st_hooks *const registry[] = {
    &st_option0,
    &st_option1,
    &st_option2,
    &st_option3,
    &st_verify_all,
    &st_option1_fixed,
    NULL,
};

const st_hooks *const *st_registry(void) { return registry; }

void st_params_default(st_params *p)
{
    memset(p, 0, sizeof *p);
    p->retry_max_attempts = 5;
    p->retry_first_backoff = SIM_US_PER_S;
    p->option2_placement = ST_PLACE_WAIT_UNTIL;
    p->wait_until_limit = 30 * SIM_US_PER_S; /* replaced by the limits file's value */
    p->cron_every = 60 * SIM_US_PER_S;
    p->cron_loc = ST_CRON_LOC_CLOUDFLARE;
}

static const st_hooks *lookup(const char *name, size_t len)
{
    for (const st_hooks *const *s = registry; *s; s++)
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
    memset(out, 0, sizeof *out);
    out->p = *p;
    err->code = 2;
    const char *q = spec;
    for (;;) {
        const char *plus = strchr(q, '+');
        size_t len = plus ? (size_t)(plus - q) : strlen(q);
        const st_hooks *s = lookup(q, len);
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
        out->parts[out->nparts++] = s;
        MERGE(pending_should_verify);
        MERGE(pending_verify);
        MERGE(pending_after_scan);
        MERGE(cache_update);
        MERGE(cron_job);
        if (!plus)
            break;
        q = plus + 1;
    }
    snprintf(out->name, sizeof out->name, "%s", spec);
    out->h.name = out->name;
    err->code = 0;
    return 0;
}
