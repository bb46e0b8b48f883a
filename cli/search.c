/* search.c - `qsim search`: swarm testing for a fault schedule that breaks a
 * property under a strategy, shrunk to a minimal scenario file.
 *
 * A trial turns on a random subset of fault features at random strengths
 * (swarm testing: Groce et al. 2012), drawn from rng_derive(seed, trial), and
 * runs the scenario built from them. The first violating trial is shrunk:
 * features are dropped, strengths halved, the run shortened, bots and
 * traffic reduced, as long as the violation stays (a greedy delta-debugging
 * fixpoint; every step makes the case smaller, so shrinking is monotone).
 * With --baseline B the violation must also be absent under B on the same
 * scenario: the search then isolates what the strategy itself breaks. The
 * minimal case is written as a normal scenario file that qsim run replays. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "model/world.h"
#include "reports/outfile.h"
#include "reports/report.h"
#include "sim/rng.h"

enum { F_LOCS, F_TRAFFIC, F_BOTS, F_PUT_ERR, F_GET_ERR, F_429, F_CRASH, F_GENFAIL, F_LEGACY, F_LARGE, F_STUCK,
       F_FASTGEN, F_COUNT };
/* Features whose strength matters (the others are on or off). */
static const int has_level[F_COUNT] = { 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1 };
static const char *const feature_names[F_COUNT] = {
    "two locations and a short cacheTtl", "human traffic", "several bots", "put errors", "get errors",
    "429 enforcement", "bot crashes", "generation failures", "legacy keys", "large messages",
    "stuck messages at the start", "fast generation",
};

typedef struct trial {
    uint64_t seed;
    int on[F_COUNT];
    double level[F_COUNT]; /* strength in (0, 1] */
    sim_us duration;
    int nbots;
    double rate;           /* human posts per second, when F_TRAFFIC */
} trial;

enum { P_HEALED_WITHIN, P_NO_LOST, P_NO_DOUBLE, P_MAX_KVR, P_NEVER_ANSWERED };
typedef struct property {
    int kind;
    double x;
    char endpoint[16]; /* no-lost-posts:<endpoint>: only losses by that endpoint's writes */
    char text[64];
} property;

static int parse_property(const char *s, property *p)
{
    snprintf(p->text, sizeof p->text, "%s", s);
    p->x = 0;
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

/* Is the property violated by this run? why says how; *witness is a time
 * to look at in the trace. */
static int violated(const property *p, met_registry *m, char *why, size_t len, sim_us *witness)
{
    met_stat st;
    int64_t v;
    switch (p->kind) {
    case P_HEALED_WITHIN:
        met_samples_stat(m, met_samples(m, "heal_latency_us"), &st);
        if (st.n && (double)st.max > p->x) {
            snprintf(why, len, "a divergence episode took %.3f s to heal (limit %.3f s)", (double)st.max / 1e6,
                     p->x / 1e6);
            *witness = rep_counter(m, "witness.slowest_heal_end_us");
            return 1;
        }
        /* the censored episodes, as the Kaplan-Meier estimate sees them: one
         * that ended unhealed (aged out, overwritten, open at the end) later
         * than the limit did not heal within it */
        met_samples_stat(m, met_samples(m, "heal_censored_us"), &st);
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

typedef struct searcher {
    const scenario *base;
    const pr_plan *plan;   /* costs, so that a trial's metrics are a run's */
    const char *option, *baseline;
    property prop;
    uint64_t seed;
    sim_us max_duration;
    int runs;
} searcher;

/* The scenario of a trial: the base's name, KV latencies and limits, with
 * actors and faults from the trial. No script, no expectations. */
static scenario *build(const searcher *S, const trial *t)
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
            m->stored = ST_COMPLETE;
            m->cached = ST_PROCESSING;
            m->bytes = 600;
        }
    }
    return s;
}

/* Runs s under option; returns 1 when the property fails, fills why. */
static int run_one(searcher *S, const scenario *s, const char *option, char *why, size_t len, sim_us *witness)
{
    sim_err err = { 0, "" };
    world_opts o = { 0 };
    o.check = 1;
    world *w = NULL;
    int bad = 0;
    S->runs++;
    if (ses_run(s, S->plan, option, s->seed, &o, &w, &err) == 0)
        bad = violated(&S->prop, sim_metrics(world_ctx(w)), why, len, witness);
    else
        snprintf(why, len, "run failed: %s", err.msg);
    world_free(w);
    return bad;
}

/* 1 when trial t shows the violation (and the baseline, if any, does not). */
static int fails(searcher *S, const trial *t, char *why, size_t len, sim_us *witness)
{
    scenario *s = build(S, t);
    if (!s)
        return 0;
    int bad = run_one(S, s, S->option, why, len, witness);
    if (bad && S->baseline) {
        char w2[256];
        sim_us x;
        if (run_one(S, s, S->baseline, w2, sizeof w2, &x))
            bad = 0; /* the baseline breaks too: not this strategy's doing */
    }
    sc_free(s);
    return bad;
}

static void random_trial(const searcher *S, uint64_t k, trial *t)
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

static int size_of(const trial *t)
{
    int n = 0;
    for (int f = 0; f < F_COUNT; f++)
        n += t->on[f];
    return n;
}

static void describe(const trial *t, char *buf, size_t len)
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
static void shrink(searcher *S, trial *t, char *why, size_t len, sim_us *witness, int *steps)
{
    int changed = 1;
    trial c;
    while (changed) {
        changed = 0;
        for (int f = 0; f < F_COUNT; f++) {
            if (!t->on[f])
                continue;
            c = *t;
            c.on[f] = 0;
            if (fails(S, &c, why, len, witness)) {
                *t = c;
                changed = 1;
                (*steps)++;
            }
        }
        while (t->duration / 2 >= 60 * SIM_US_PER_S) {
            c = *t;
            c.duration /= 2;
            if (!fails(S, &c, why, len, witness))
                break;
            *t = c;
            changed = 1;
            (*steps)++;
        }
        if (t->on[F_BOTS] && t->nbots > 2) {
            c = *t;
            c.nbots--;
            if (fails(S, &c, why, len, witness)) {
                *t = c;
                changed = 1;
                (*steps)++;
            }
        }
        if (t->on[F_TRAFFIC] && t->rate / 2 >= 0.01) {
            c = *t;
            c.rate /= 2;
            if (fails(S, &c, why, len, witness)) {
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
            if (fails(S, &c, why, len, witness)) {
                *t = c;
                changed = 1;
                (*steps)++;
            }
        }
    }
    fails(S, t, why, len, witness); /* leaves why/witness of the final case */
}

typedef struct {
    long long t, call;
    char type;   /* 'c' call, 'k' kv, 'e' end */
    char *line;
} tline;

/* The violating calls: the call that acted at the witness time (its last
 * line there), and every call overlapping it in time, all their lines in
 * order; at most 80 lines. With no call at the witness (a property judged
 * at the end of the run), the last pending call. */
static void explain(const scenario *s, const char *option, sim_us witness, FILE *out)
{
    char *buf = NULL;
    size_t len = 0, n = 0, cap = 0;
    tline *L = NULL;
    FILE *mem = open_memstream(&buf, &len);
    sim_err err;
    world_opts o = { 0 };
    if (!mem)
        return;
    o.trace = mem;
    world *w = world_new(s, option, s->seed, &o, &err);
    if (w)
        world_run(w, 0, &err);
    world_free(w);
    fclose(mem);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        tline x = { 0, 0, 0, line };
        char type[8] = "";
        if (sscanf(line, "{\"t\":%lld,\"type\":\"%7[a-z]\",\"call\":%lld", &x.t, type, &x.call) != 3)
            continue;
        x.type = type[0] == 'c' ? 'c' : type[0] == 'k' ? 'k' : 'e';
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            tline *nl = realloc(L, cap * sizeof *L);
            if (!nl)
                break;
            L = nl;
        }
        L[n++] = x;
    }
    long long focus = -1;
    for (size_t i = 0; i < n; i++)
        if (L[i].t == witness && L[i].type != 'c')
            focus = L[i].call;
    if (focus < 0) /* judged at the end: show the last poll */
        for (size_t i = 0; i < n; i++)
            if (L[i].type == 'c' && strstr(L[i].line, "\"endpoint\":\"pending\""))
                focus = L[i].call;
    long long f0 = -1, f1 = -1;
    for (size_t i = 0; i < n; i++)
        if (L[i].call == focus) {
            if (f0 < 0)
                f0 = L[i].t;
            f1 = L[i].t;
        }
    int shown = 0;
    for (size_t i = 0; i < n && shown < 80 && focus >= 0; i++) {
        /* the call's span: from its 'call' line to its 'end' line */
        long long c = L[i].call, c0 = -1, c1 = -1;
        int gets = 0, nth = 0;
        for (size_t j = 0; j < n; j++)
            if (L[j].call == c) {
                if (c0 < 0)
                    c0 = L[j].t;
                c1 = L[j].t;
                if (L[j].type == 'k' && strstr(L[j].line, "\"op\":\"get\",\"key\":\"comment:")) {
                    gets++;
                    if (j < i)
                        nth++;
                }
            }
        if (c1 < f0 || c0 > f1)
            continue;
        /* a long verification scan: its first and last two gets only */
        if (L[i].type == 'k' && gets > 5 && strstr(L[i].line, "\"op\":\"get\",\"key\":\"comment:") &&
            nth >= 2 && nth < gets - 2) {
            if (nth == 2)
                fprintf(out, "  %s... %d more gets of individual keys\n", c == focus ? "* " : "  ", gets - 4);
            continue;
        }
        fprintf(out, "  %s%s\n", c == focus ? "* " : "  ", L[i].line);
        shown++;
    }
    free(L);
    free(buf);
}

int cmd_search(int argc, char **argv)
{
    enum { O_OUT = 256, O_BASE, O_BUDGET, O_TIME, O_PROP, O_TD, O_DATA };
    static const struct option longs[] = {
        { "option", required_argument, 0, 'o' }, { "options", required_argument, 0, 'o' }, { "baseline", required_argument, 0, O_BASE },
        { "property", required_argument, 0, O_PROP }, { "budget", required_argument, 0, O_BUDGET },
        { "time", required_argument, 0, O_TIME }, { "seed", required_argument, 0, 's' },
        { "trial-duration", required_argument, 0, O_TD }, { "out", required_argument, 0, O_OUT },
        { "data", required_argument, 0, O_DATA }, { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    searcher S;
    const char *out = "scenarios/found", *data = NULL, *prop = NULL;
    long budget = 200;
    double max_time = 300;
    int quiet = 0, c;
    char *end;
    memset(&S, 0, sizeof S);
    S.option = "1";
    S.seed = 1;
    S.max_duration = 30 * 60 * SIM_US_PER_S;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'o': S.option = optarg; break;
        case O_BASE: S.baseline = optarg; break;
        case O_PROP: prop = optarg; break;
        case O_BUDGET:
            budget = strtol(optarg, &end, 10);
            if (*end || budget < 1)
                return cli_usage_error("--budget wants a number of trials >= 1, got '%s'", optarg);
            break;
        case O_TIME:
            max_time = strtod(optarg, &end);
            if (*end || max_time <= 0)
                return cli_usage_error("--time wants seconds > 0, got '%s'", optarg);
            break;
        case 's':
            S.seed = strtoull(optarg, &end, 10);
            if (*end || !*optarg)
                return cli_usage_error("--seed wants a non-negative integer, got '%s'", optarg);
            break;
        case O_TD:
            if (sc_parse_duration(optarg, &S.max_duration) != 0 || S.max_duration < 60 * SIM_US_PER_S)
                return cli_usage_error("--trial-duration wants a duration >= 1min, got '%s'", optarg);
            break;
        case O_OUT: out = optarg; break;
        case O_DATA: data = optarg; break;
        case 'q': quiet = 1; break;
        case 'h':
            puts("usage: qsim search SCENARIO --property P [--option 1] [--baseline 0] [--budget 200]\n"
                 "                   [--time 300] [--seed 1] [--trial-duration 30min] [--out scenarios/found]\n"
                 "properties: healed-within:DURATION, no-lost-posts[:ENDPOINT], no-double-answer,\n"
                 "            max-kvr-per-poll:K, never-answered:N\n"
                 "Swarm-tests random fault schedules against the property; shrinks the first violation\n"
                 "and writes it as a scenario file (see docs/search.md).");
            return 0;
        default: return cli_usage_error("%s", "bad option for 'search'");
        }
    }
    if (optind != argc - 1 || !prop)
        return cli_usage_error("%s", "search wants SCENARIO and --property P");
    if (parse_property(prop, &S.prop) != 0)
        return cli_usage_error("unknown property '%s' (healed-within:60s, no-lost-posts[:pending], no-double-answer, "
                               "max-kvr-per-poll:K, never-answered:N)", prop);
    scenario *base = NULL;
    pr_plan pp;
    if (cli_load(argv[optind], data, "paid", NULL, NULL, &base, &pp) != 0)
        return 2;
    st_set probe;
    sim_err err;
    if (st_compose(S.option, &base->strategy, &probe, &err) != 0 ||
        (S.baseline && st_compose(S.baseline, &base->strategy, &probe, &err) != 0)) {
        fprintf(stderr, "qsim: search: %s\n", err.msg);
        sc_free(base);
        return 2;
    }
    S.base = base;
    S.plan = &pp;
    if (base->duration < S.max_duration)
        S.max_duration = base->duration;
    double t0 = cli_wall();
    char why[256] = "";
    sim_us witness = 0;
    trial t;
    long k;
    int found = 0;
    for (k = 0; k < budget && cli_wall() - t0 < max_time; k++) {
        random_trial(&S, (uint64_t)k, &t);
        if (fails(&S, &t, why, sizeof why, &witness)) {
            found = 1;
            break;
        }
        if (!quiet && isatty(2))
            fprintf(stderr, "\r  trial %ld/%ld, %d runs, %.1f s   ", k + 1, budget, S.runs, cli_wall() - t0);
    }
    if (!quiet && isatty(2))
        fputc('\n', stderr);
    if (!found) {
        printf("search: no violation of %s under option %s in %ld trials (%d runs)\n", S.prop.text, S.option, k,
               S.runs);
        fprintf(stderr, "qsim: search: %.1f s\n", cli_wall() - t0);
        sc_free(base);
        return 3; /* distinct from "found" (0): scripts can tell them apart */
    }
    char before[512], after[512];
    describe(&t, before, sizeof before);
    int size0 = size_of(&t), steps = 0;
    sim_us dur0 = t.duration;
    shrink(&S, &t, why, sizeof why, &witness, &steps);
    describe(&t, after, sizeof after);
    scenario *found_s = build(&S, &t);
    int rc = 1;
    char path[1200], name[256], desc[2048];
    snprintf(name, sizeof name, "%s-%s-%" PRIu64, S.prop.text, S.option, S.seed);
    for (char *p = name; *p; p++)
        if (*p == ':' || *p == '/' || *p == '+')
            *p = '-';
    snprintf(desc, sizeof desc,
             "Found by qsim search (property %s, option %s%s%s, seed %" PRIu64 ", trial %ld, shrunk in %d steps): "
             "%s. Features: %s.",
             S.prop.text, S.option, S.baseline ? ", holds under " : "", S.baseline ? S.baseline : "", S.seed, k,
             steps, why, after);
    snprintf(found_s->name, sizeof found_s->name, "found-%.50s", name);
    cJSON *j = sc_to_json(found_s, desc);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    of_file f;
    snprintf(path, sizeof path, "%s/%s.json", out, name);
    if (!text || of_mkdirs(out) != 0 || of_open(&f, path) != 0) {
        fprintf(stderr, "qsim: search: cannot write %s: %s\n", path, strerror(errno));
        free(text);
        goto done;
    }
    fputs(text, f.f);
    fputc('\n', f.f);
    free(text);
    if (of_commit(&f) != 0)
        goto done;
    /* the file must replay the violation through the normal loader */
    char datadir[1024], limits[1100], why2[256];
    sim_us w2;
    scenario *re = NULL;
    cli_find_data(data, datadir, sizeof datadir);
    snprintf(limits, sizeof limits, "%s/limits/cloudflare-kv-2026.json", datadir);
    int replays = sc_load(path, limits, &re, &err) == 0 && run_one(&S, re, S.option, why2, sizeof why2, &w2);
    printf("search: %s violated under option %s after %ld trial(s), %d runs\n", S.prop.text, S.option, k + 1,
           S.runs);
    fprintf(stderr, "qsim: search: %.1f s\n", cli_wall() - t0);
    printf("  why:      %s\n", why);
    printf("  first:    %d features, %.0f s: %s\n", size0, (double)dur0 / 1e6, before);
    printf("  shrunk:   %d features, %.0f s: %s (%d steps)\n", size_of(&t), (double)t.duration / 1e6, after,
           steps);
    printf("  written:  %s (replays with qsim run: %s)\n", path, replays ? "yes" : "NO");
    printf("  the calls at t=%.3f s (* the one that broke it) and those overlapping it:\n", (double)witness / 1e6);
    explain(found_s, S.option, witness, stdout);
    sc_free(re);
    rc = replays ? 0 : 1;
done:
    sc_free(found_s);
    sc_free(base);
    return rc;
}
