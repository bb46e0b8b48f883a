/* expect.c - evaluating poll, message and metric expectations. */
#include "expect.h"

#include <inttypes.h>
#include <string.h>

#include "model/msg.h"

static const char *const cmp_names[] = { "==", "<=", ">=", "<", ">" };

static int cmp(int op, int64_t a, int64_t b)
{
    switch (op) {
    case SC_CMP_LE: return a <= b;
    case SC_CMP_GE: return a >= b;
    case SC_CMP_LT: return a < b;
    case SC_CMP_GT: return a > b;
    default: return a == b;
    }
}

static const char *status_text(int s)
{
    return s < 0 ? "absent" : msg_status_name(s);
}

/* One poll row against x; writes why it failed into why. */
static int poll_ok(const sc_expect *x, const int64_t *row, char *why, size_t len)
{
    if ((x->kvr != SC_UNCHECKED && row[1] != x->kvr) || (x->kvw != SC_UNCHECKED && row[2] != x->kvw) ||
        (x->returned != SC_UNCHECKED && row[3] != x->returned)) {
        snprintf(why, len, "poll at t=%" PRId64 "us was [KVr:%" PRId64 " KVw:%" PRId64 "] returned %" PRId64,
                 row[0], row[1], row[2], row[3]);
        return 0;
    }
    return 1;
}

void ex_check(const scenario *s, const char *option, world *w, FILE *out, int verbose, int *passed, int *failed)
{
    met_registry *m = sim_metrics(world_ctx(w));
    met_id polls = met_find_series(m, "polls");
    size_t npolls = polls >= 0 ? met_series_rows(m, polls) : 0;
    const int64_t *rows = polls >= 0 ? met_series_data(m, polls) : NULL;
    int ncols = polls >= 0 ? met_series_ncols(m, polls) : 0;
    for (int i = 0; i < s->nexpect; i++) {
        const sc_expect *x = &s->expect[i];
        char why[256] = "";
        int ok = 1;
        if (x->option[0] && strcmp(x->option, option) != 0)
            continue;
        if (x->kind == SC_EXPECT_POLL) {
            if (npolls == 0 || !rows) {
                ok = 0;
                snprintf(why, sizeof why, "no polls were made");
            } else if (x->poll == SC_POLL_ALL) {
                for (size_t k = 0; k < npolls && ok; k++)
                    if (!poll_ok(x, rows + k * (size_t)ncols, why, sizeof why)) {
                        ok = 0;
                        size_t l = strlen(why);
                        snprintf(why + l, sizeof why - l, " (poll %zu of %zu)", k + 1, npolls);
                    }
            } else {
                size_t k = x->poll == SC_POLL_LAST ? npolls - 1 : (size_t)x->poll - 1;
                if (k >= npolls) {
                    ok = 0;
                    snprintf(why, sizeof why, "only %zu polls were made", npolls);
                } else {
                    ok = poll_ok(x, rows + k * (size_t)ncols, why, sizeof why);
                }
            }
        } else if (x->kind == SC_EXPECT_MSG) {
            int cs = -1, ss = -1;
            world_msg_state(w, x->msg, &cs, &ss);
            if ((x->cache_status != SC_UNCHECKED && cs != x->cache_status) ||
                (x->stored_status != SC_UNCHECKED && ss != x->stored_status)) {
                ok = 0;
                snprintf(why, sizeof why, "message %s: cache %s, stored %s", x->msg, status_text(cs), status_text(ss));
            }
        } else {
            met_id id = met_find_counter(m, x->metric);
            if (id < 0) {
                ok = 0;
                snprintf(why, sizeof why, "no metric named '%s' (see results.json \"counters\")", x->metric);
            } else if (!cmp(x->cmp, met_counter_value(m, id), x->value)) {
                ok = 0;
                snprintf(why, sizeof why, "%s is %" PRId64 ", expected %s %" PRId64, x->metric,
                         met_counter_value(m, id), cmp_names[x->cmp], x->value);
            }
        }
        if (ok) {
            (*passed)++;
            if (verbose)
                fprintf(out, "  ok    %s [option %s]\n", x->where, option);
        } else {
            (*failed)++;
            fprintf(out, "  FAIL  %s: %s [option %s, %s]\n", x->where, why, option, s->path);
        }
    }
}
