/* search.c - the search engine (search.h): trials, their scenarios, the
 * properties, shrinking. */
#include "app/search.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/session.h"
#include "model/endpoint.h"
#include "model/figures.h"
#include "model/world.h"
#include "reports/report.h"
#include "sim/rng.h"

/* Features whose strength matters (the others are on or off). */
static const int has_level[F_COUNT] = { 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1 };
static const char *const feature_names[F_COUNT] = {
    "two locations and a short cacheTtl", "human traffic", "several bots", "put errors", "get errors",
    "429 enforcement", "bot crashes", "generation failures", "legacy keys", "large messages",
    "stuck messages at the start", "fast generation",
};

int sr_parse_property(const char *s, sr_property *p)
{
    snprintf(p->text, sizeof p->text, "%s", s);
    p->x = 0;
    const char *op = strstr(s, "<=");
    if (op) { /* METRIC<=VALUE: the vocabulary of compare and advise */
        char name[64];
        char *end;
        snprintf(name, sizeof name, "%.*s", (int)(op - s < 63 ? op - s : 63), s);
        p->kind = P_METRIC;
        if ((p->metric = fig_metric_find(name)) < 0)
            return -2;
        if (strcmp(fig_metric_at(p->metric)->unit, "s") == 0) {
            sim_us t;
            if (sc_parse_duration(op + 2, &t) != 0)
                return -1;
            p->x = (double)t / 1e6;
            return 0;
        }
        p->x = strtod(op + 2, &end);
        return *end || end == op + 2 ? -1 : 0;
    }
    if (strncmp(s, "healed-within:", 14) == 0) {
        sim_us t;
        p->kind = P_HEALED_WITHIN;
        if (sc_parse_duration(s + 14, &t) != 0)
            return -1;
        p->x = (double)t;
        return 0;
    }
    if (strcmp(s, "no-lost-posts") == 0 || strncmp(s, "no-lost-posts:", 14) == 0) {
        p->kind = P_NO_LOST;
        p->endpoint[0] = 0;
        if (s[13] == ':') {
            if (ep_parse(s + 14) < 0)
                return -1;
            snprintf(p->endpoint, sizeof p->endpoint, "%s", s + 14);
        }
        return 0;
    }
    if (strcmp(s, "no-double-answer") == 0) {
        p->kind = P_NO_DOUBLE;
        return 0;
    }
    char *end;
    if (strncmp(s, "max-kvr-per-poll:", 17) == 0) {
        p->kind = P_MAX_KVR;
        p->x = strtod(s + 17, &end);
        return *end || p->x < 0 ? -1 : 0;
    }
    if (strncmp(s, "never-answered:", 15) == 0) {
        p->kind = P_NEVER_ANSWERED;
        p->x = strtod(s + 15, &end);
        return *end || p->x < 0 ? -1 : 0;
    }
    return -1;
}

/* The stat of the sample set called name; all 0 when the run has none. */
static void samples_stat(met_registry *m, const char *name, met_stat *st)
{
    met_id id = met_find_samples(m, name);
    if (id >= 0)
        met_samples_stat(m, id, st);
    else
        memset(st, 0, sizeof *st);
}

/* Is the property violated by this run? why says how; *witness is a time
 * to look at in the trace. */
static int sr_violated(const sr_property *p, met_registry *m, const pr_plan *plan, sim_us duration, char *why,
                       size_t len, sim_us *witness)
{
    met_stat st;
    int64_t v;
    double fv[M_COUNT];
    switch (p->kind) {
    case P_METRIC:
        fig_derive(m, plan->plan, duration, fv);
        *witness = rep_counter(m, "sim.duration_us");
        snprintf(why, len, "%s was %.6g (limit %.6g)", fig_metric_at(p->metric)->name, fv[p->metric], p->x);
        return fv[p->metric] > p->x; /* NaN (undefined) is no violation; +inf (never) is one */
    case P_HEALED_WITHIN:
        samples_stat(m, "heal_latency_us", &st);
        if (st.n && (double)st.max > p->x) {
            snprintf(why, len, "a divergence episode took %.3f s to heal (limit %.3f s)", (double)st.max / 1e6,
                     p->x / 1e6);
            *witness = rep_counter(m, "witness.slowest_heal_end_us");
            return 1;
        }
        /* the censored episodes, as the Kaplan-Meier estimate sees them: one
         * that ended unhealed (aged out, overwritten, open at the end) later
         * than the limit did not heal within it */
        samples_stat(m, "heal_censored_us", &st);
        v = rep_counter(m, "divergence.open_max_age_us");
        if (st.n && (double)st.max > p->x && (double)v <= p->x) {
            snprintf(why, len, "a divergence episode ended unhealed (aged out or overwritten) %.3f s after it began "
                     "(limit %.3f s)", (double)st.max / 1e6, p->x / 1e6);
            *witness = rep_counter(m, "sim.duration_us");
            return 1;
        }
        if ((double)v > p->x) {
            snprintf(why, len, "a divergence episode was still open %.3f s after it began (limit %.3f s)",
                     (double)v / 1e6, p->x / 1e6);
            *witness = rep_counter(m, "sim.duration_us");
            return 1;
        }
        return 0;
    case P_NO_LOST:
        if (p->endpoint[0]) {
            char key[64];
            snprintf(key, sizeof key, "cache.lost_by_overwrite.%s", p->endpoint);
            v = rep_counter(m, key);
            snprintf(why, len, "%" PRId64 " message(s) lost from the cache by a %s call's write", v, p->endpoint);
            snprintf(key, sizeof key, "witness.first_lost_us.%s", p->endpoint);
            *witness = rep_counter(m, key);
            return v > 0;
        } else {
            v = rep_counter(m, "cache.lost_by_overwrite");
            snprintf(why, len, "%" PRId64 " message(s) lost from the cache by an overwrite", v);
        }
        *witness = rep_counter(m, "witness.first_lost_us");
        return v > 0;
    case P_NO_DOUBLE:
        v = rep_counter(m, "safety.answered_twice");
        snprintf(why, len, "%" PRId64 " message(s) answered more than once", v);
        *witness = rep_counter(m, "witness.first_double_answer_us");
        return v > 0;
    case P_MAX_KVR:
        v = rep_counter(m, "polls.kvr_max");
        snprintf(why, len, "a poll read %" PRId64 " KV keys (limit %.0f)", v, p->x);
        *witness = rep_counter(m, "sim.duration_us");
        return (double)v > p->x;
    default:
        v = rep_counter(m, "liveness.never_answered");
        snprintf(why, len, "%" PRId64 " message(s) never answered (limit %.0f)", v, p->x);
        *witness = rep_counter(m, "sim.duration_us");
        return (double)v > p->x;
    }
}



/* The scenario of a trial: the base's name, KV latencies and limits, with
 * actors and faults from the trial. No script, no expectations. */
scenario *sr_build(const sr_searcher *S, const sr_trial *t)
{
    scenario *s = sc_clone(S->base);
    if (!s)
        return NULL;
    const double *L = t->level;
    s->seed = t->seed;
    s->duration = t->duration;
    s->ncalls = 0;
    s->nexpect = 0;
    s->noptions = 0;
    snprintf(s->options[s->noptions++], SC_NAME, "%s", S->option);
    if (S->baseline)
        snprintf(s->options[s->noptions++], SC_NAME, "%s", S->baseline);
    int two = t->on[F_LOCS];
    s->nlocs = two ? 2 : 1;
    snprintf(s->locs[0], SC_NAME, "near");
    snprintf(s->locs[1], SC_NAME, "far");
    s->kv.nlocs = s->nlocs;
    s->strategy.cron_loc = ST_CRON_LOC_CLOUDFLARE;
    s->kv.cache_ttl = two ? s->limits.cache_ttl_min + (sim_us)(L[F_LOCS] * 90e6) : s->limits.cache_ttl_default;
    s->kv.put_error_prob[KV_CLASS_CACHE] = t->on[F_PUT_ERR] ? 0.2 * L[F_PUT_ERR] : 0;
    s->kv.put_error_prob[KV_CLASS_INDIVIDUAL] = t->on[F_PUT_ERR] ? 0.05 * L[F_PUT_ERR] : 0;
    s->kv.get_error_prob[KV_CLASS_CACHE] = s->kv.get_error_prob[KV_CLASS_INDIVIDUAL] =
        t->on[F_GET_ERR] ? 0.05 * L[F_GET_ERR] : 0;
    s->kv.p429 = t->on[F_429] ? L[F_429] : 0;
    s->nhumans = 0;
    if (t->on[F_TRAFFIC] && t->rate > 0) {
        for (int k = 0; k < (two ? 2 : 1); k++) {
            sc_human *h = &s->humans[s->nhumans++];
            memset(h, 0, sizeof *h);
            char name[SC_NAME];
            snprintf(name, sizeof name, "people-%.40s", k ? "far" : "near");
            memcpy(h->name, name, sizeof name);
            h->loc = k;
            h->rate_per_s = t->rate / (two ? 2 : 1);
            h->entity_share = 0.5;
            h->legacy_share = t->on[F_LEGACY] ? 0.5 * L[F_LEGACY] : 0;
            h->bytes = dist_const(600);
            if (t->on[F_LARGE]) {
                h->bytes.kind = DIST_LOGNORMAL;
                h->bytes.a = (int64_t)(20000 + 280000 * L[F_LARGE]);
                h->bytes.sigma = 0.5;
            }
        }
    }
    s->nbots = t->on[F_BOTS] ? t->nbots : 1;
    for (int i = 0; i < s->nbots; i++) {
        sc_bot *b = &s->bots[i];
        memset(b, 0, sizeof *b);
        snprintf(b->name, sizeof b->name, "bot-%d", i + 1);
        b->loc = two ? i % 2 : 0;
        b->poll_every = 3 * SIM_US_PER_S;
        b->first_poll = (i * 1000003) % (3 * SIM_US_PER_S);
        b->generation = t->on[F_FASTGEN] ? dist_const((sim_us)(20000 + 980000 * (1 - L[F_FASTGEN])))
                                         : (dist){ DIST_LOGNORMAL, 4 * SIM_US_PER_S, 0, 0.5 };
        b->reply_bytes = dist_const(800);
        b->fail_prob = t->on[F_GENFAIL] ? 0.3 * L[F_GENFAIL] : 0;
        b->crash_prob = t->on[F_CRASH] ? 0.2 * L[F_CRASH] : 0;
        b->restart_after = 10 * SIM_US_PER_S;
    }
    s->plain_count = 150;
    s->plain_bytes = 500;
    s->nmsgs = 0;
    if (t->on[F_STUCK]) {
        static const char *const ids[3] = { "1761868000001-stuckaaaa", "1761868000002-stuckbbbb",
                                            "1761868000003-stuckleg1" };
        sc_msg *mm = realloc(s->msgs, 3 * sizeof *mm);
        if (!mm) {
            sc_free(s);
            return NULL;
        }
        s->msgs = mm;
        for (int k = 0; k < (t->on[F_LEGACY] ? 3 : 2); k++) {
            sc_msg *m = &s->msgs[s->nmsgs++];
            memset(m, 0, sizeof *m);
            snprintf(m->id, sizeof m->id, "%s", ids[k]);
            m->type = MT_HUMAN;
            m->entity = 1;
            m->legacy = k == 2;
            m->stored = MS_COMPLETE;
            m->cached = MS_PROCESSING;
            m->bytes = 600;
        }
    }
    return s;
}

/* Runs s under option; returns 1 when the sr_property fails, fills why. */
int sr_run_one(sr_searcher *S, const scenario *s, const char *option, char *why, size_t len, sim_us *witness)
{
    sim_err err = { 0, "" };
    world_opts o = { 0 };
    o.check = 1;
    world *w = NULL;
    int bad = 0;
    S->runs++;
    if (ses_run(s, S->plan, option, s->seed, &o, &w, &err) == 0)
        bad = sr_violated(&S->prop, sim_metrics(world_ctx(w)), S->plan, s->duration, why, len, witness);
    else
        snprintf(why, len, "run failed: %s", err.msg);
    world_free(w);
    return bad;
}

/* 1 when trial t shows the violation (and the baseline, if any, does not). */
int sr_fails(sr_searcher *S, const sr_trial *t, char *why, size_t len, sim_us *witness)
{
    scenario *s = sr_build(S, t);
    if (!s)
        return 0;
    int bad = sr_run_one(S, s, S->option, why, len, witness);
    if (bad && S->baseline) {
        char w2[256];
        sim_us x;
        if (sr_run_one(S, s, S->baseline, w2, sizeof w2, &x))
            bad = 0; /* the baseline breaks too: not this strategy's doing */
    }
    sc_free(s);
    return bad;
}

void sr_random_trial(const sr_searcher *S, uint64_t k, sr_trial *t)
{
    gsl_rng *r = rng_new(S->seed, "search");
    gsl_rng_set(r, (unsigned long)(rng_derive(S->seed, k) & 0xffffffffu));
    memset(t, 0, sizeof *t);
    t->seed = rng_derive(S->seed ^ 0x5eedULL, k) & 0xffffffffULL;
    for (int f = 0; f < F_COUNT; f++) {
        t->on[f] = gsl_rng_uniform(r) < 0.5;
        t->level[f] = 0.2 + 0.8 * gsl_rng_uniform(r);
    }
    t->duration = S->max_duration;
    t->nbots = 2 + (int)gsl_rng_uniform_int(r, 3);
    t->rate = 0.05 + 1.5 * gsl_rng_uniform(r);
    gsl_rng_free(r);
}

int sr_size(const sr_trial *t)
{
    int n = 0;
    for (int f = 0; f < F_COUNT; f++)
        n += t->on[f];
    return n;
}

void sr_describe(const sr_trial *t, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (int f = 0; f < F_COUNT && k < len; f++)
        if (t->on[f] && has_level[f])
            k += (size_t)snprintf(buf + k, len - k, "%s%s (%.2f)", k ? ", " : "", feature_names[f], t->level[f]);
        else if (t->on[f])
            k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? ", " : "", feature_names[f]);
    if (k == 0)
        snprintf(buf, len, "no fault features");
}

/* Greedy shrinking to a fixpoint; every accepted step makes the case
 * smaller in one measure and larger in none. */
void sr_shrink(sr_searcher *S, sr_trial *t, char *why, size_t len, sim_us *witness, int *steps)
{
    int changed = 1;
    sr_trial c;
    while (changed) {
        changed = 0;
        for (int f = 0; f < F_COUNT; f++) {
            if (!t->on[f])
                continue;
            c = *t;
            c.on[f] = 0;
            if (sr_fails(S, &c, why, len, witness)) {
                *t = c;
                changed = 1;
                (*steps)++;
            }
        }
        while (t->duration / 2 >= 60 * SIM_US_PER_S) {
            c = *t;
            c.duration /= 2;
            if (!sr_fails(S, &c, why, len, witness))
                break;
            *t = c;
            changed = 1;
            (*steps)++;
        }
        if (t->on[F_BOTS] && t->nbots > 2) {
            c = *t;
            c.nbots--;
            if (sr_fails(S, &c, why, len, witness)) {
                *t = c;
                changed = 1;
                (*steps)++;
            }
        }
        if (t->on[F_TRAFFIC] && t->rate / 2 >= 0.01) {
            c = *t;
            c.rate /= 2;
            if (sr_fails(S, &c, why, len, witness)) {
                *t = c;
                changed = 1;
                (*steps)++;
            }
        }
        for (int f = 0; f < F_COUNT; f++) {
            if (!t->on[f] || !has_level[f] || t->level[f] / 2 < 0.05)
                continue;
            c = *t;
            c.level[f] /= 2;
            if (sr_fails(S, &c, why, len, witness)) {
                *t = c;
                changed = 1;
                (*steps)++;
            }
        }
    }
    sr_fails(S, t, why, len, witness); /* leaves why/witness of the final case */
}

