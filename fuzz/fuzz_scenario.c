/* fuzz_scenario.c - libFuzzer target: scenario bytes in, a short checked
 * run of every option out.
 *
 * Each input goes through app/session exactly as `qsim run` reads a file
 * (ses_parse: the limits, then the plan's caps) and runs as every command
 * runs an option (ses_run: world, run, pricing). A
 * rejected input must come back with code 2 and a message; an accepted one
 * is clamped to a short, bounded run (below) and run under every option it
 * names with the runtime invariants on (world_opts.check), then reported
 * into /dev/null, so the parser, the model, the pricing and the reports all
 * see it. Sanitizers (ASan, UBSan, libFuzzer's leak check) turn any crash,
 * UB or leak into a finding. Build and run: `make fuzz` (fuzz/fuzz.mk),
 * docs/testing.md.
 *
 * The clamps keep one execution in the milliseconds, so that the fuzzer
 * spends its time on new shapes of input rather than on long days: they
 * shorten a valid scenario, never make an invalid one valid. A run that
 * the clamps cannot make short (16 options x 1,000 bots) is still bounded:
 * at most FZ_POLLS_BUDGET polls per option.
 *
 * Data files are found relative to the working directory, the repository
 * root (fuzz.mk runs the fuzzer from there); QSIM_DATA overrides it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "app/session.h"
#include "model/expect.h"
#include "model/pricing.h"
#include "model/scenario.h"
#include "model/world.h"
#include "reports/report.h"

#define FZ_MAX_DURATION (60 * SIM_US_PER_S)
#define FZ_MAX_RATE 5.0         /* posts per second per human source */
#define FZ_MAX_PLAIN 500        /* initial plain messages */
#define FZ_MAX_CALLS 200        /* script entries kept, the first ones */
#define FZ_MAX_WINDOW 2000      /* cache window: each copy is O(window) */
#define FZ_POLLS_BUDGET 20000   /* polls per option over all bots */

typedef struct fz_env {
    ses_data paid, free_plan; /* the session's data files, under each plan */
    FILE *devnull;
} fz_env;

/* libFuzzer gives the target no context argument: the read-only setup
 * (data files, the sink) is loaded once and kept here. */
static fz_env *env;
/* QSIM_FUZZ_PARSE_ONLY=1: parse, validate and write back only, no run:
 * tens of thousands of inputs a second instead of about a thousand. */
static int parse_only;

static fz_env *fz_setup(void)
{
    static fz_env e;
    sim_err err = { 0, "" };
    const char *data = getenv("QSIM_DATA");
    if (!data || !data[0])
        data = "data";
    if (ses_data_load(data, "paid", NULL, &e.paid, &err) != 0 || ses_data_load(data, "free", NULL, &e.free_plan, &err) != 0)
        goto fail;
    if (!(e.devnull = fopen("/dev/null", "w"))) {
        snprintf(err.msg, sizeof err.msg, "cannot open /dev/null");
        goto fail;
    }
    return &e;
fail:
    fprintf(stderr, "fuzz_scenario: %s (run from the repository root or set QSIM_DATA)\n", err.msg);
    abort();
}

/* Is id an initial message or posted by one of the first n script calls? */
static int fz_posted(const scenario *s, const char *id, int n)
{
    for (int i = 0; i < s->nmsgs; i++)
        if (strcmp(s->msgs[i].id, id) == 0)
            return 1;
    for (int i = 0; i < n; i++)
        if (s->script[i].kind == EP_POST && strcmp(s->script[i].msg, id) == 0)
            return 1;
    return 0;
}

/* Makes a valid scenario short, and keeps it valid: a duration still
 * >= 1 s, and only script calls whose message still exists (a call may
 * name a message posted by a later entry that runs earlier, so a prefix
 * of the script alone could name a post that was cut). */
static void fz_clamp(scenario *s, const fz_env *e)
{
    if (s->duration > FZ_MAX_DURATION)
        s->duration = FZ_MAX_DURATION;
    for (int i = 0; i < s->nhumans; i++)
        if (s->humans[i].rate_per_s > FZ_MAX_RATE)
            s->humans[i].rate_per_s = FZ_MAX_RATE;
    if (s->plain_count > FZ_MAX_PLAIN)
        s->plain_count = FZ_MAX_PLAIN;
    if (s->ncalls > FZ_MAX_CALLS) {
        char keep[FZ_MAX_CALLS];
        int n = 0;
        for (int i = 0; i < FZ_MAX_CALLS; i++)
            keep[i] = s->script[i].kind == EP_POST || !s->script[i].msg[0] ||
                      fz_posted(s, s->script[i].msg, FZ_MAX_CALLS);
        for (int i = 0; i < FZ_MAX_CALLS; i++)
            if (keep[i])
                s->script[n++] = s->script[i];
        s->ncalls = n;
    }
    if (s->kv.window > FZ_MAX_WINDOW)
        s->kv.window = FZ_MAX_WINDOW;
    if (s->nbots > 0) {
        /* nbots * duration / poll_every <= budget */
        sim_us min_every = (sim_us)s->nbots * (s->duration / FZ_POLLS_BUDGET);
        for (int i = 0; i < s->nbots; i++)
            if (s->bots[i].poll_every < min_every)
                s->bots[i].poll_every = min_every;
    }
    /* The free plan's caps on odd seeds, so that capped runs are explored
     * too; watched caps always, as the session applies them. */
    const ses_data *d = s->seed & 1 ? &e->free_plan : &e->paid;
    ses_apply_plan(s, &d->plan, &e->free_plan.plan);
}

static void fz_run(scenario *s, const fz_env *e)
{
    world *worlds[SC_MAX_OPTIONS] = { 0 };
    rep_polls polls[SC_MAX_OPTIONS];
    rep_run runs[SC_MAX_OPTIONS];
    const pr_plan *plan = s->seed & 1 ? &e->free_plan.plan : &e->paid.plan;
    int n = 0, passed = 0, failed = 0;
    for (int i = 0; i < s->noptions; i++) {
        sim_err err = { 0, "" };
        world_opts wo = { 0 };
        wo.check = 1;
        rep_polls_init(&polls[n], NULL, s->options[i]);
        wo.polls_sink = rep_polls_sink;
        wo.polls_ud = &polls[n];
        world *w = NULL;
        if (ses_run(s, plan, s->options[i], s->seed, &wo, &w, &err) != 0) {
            /* the options were checked by the parser: only memory or a
             * broken invariant (a model bug, not bad input) can fail */
            fprintf(stderr, "fuzz_scenario: option %s: %s\n", s->options[i], err.msg);
            abort();
        }
        worlds[n] = w;
        met_registry *m = sim_metrics(world_ctx(w));
        ex_check(s, s->options[i], w, e->devnull, 1, &passed, &failed);
        runs[n].option = s->options[i];
        runs[n].m = m;
        runs[n].polls = &polls[n];
        n++;
    }
    rep_meta meta = { "fuzz", s->name, s->path, plan->name, plan->plan, s->seed, s->duration };
    rep_results_json(e->devnull, &meta, runs, n);
    rep_summary(e->devnull, &meta, runs, n);
    rep_summary_csv(e->devnull, &meta, runs, n);
    for (int i = 0; i < n; i++) {
        rep_heal_csv(e->devnull, runs[i].option, runs[i].m);
        rep_caps_csv(e->devnull, runs[i].option, runs[i].m);
    }
    for (int i = 0; i < n; i++)
        world_free(worlds[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scenario *s = NULL;
    sim_err err = { 0, "" };
    if (!env) {
        env = fz_setup();
        const char *po = getenv("QSIM_FUZZ_PARSE_ONLY");
        parse_only = po && po[0] == '1';
    }
    /* sc_parse reads text[len] (a NUL) past the bytes: give it a copy. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    int rc = ses_parse(&env->paid, "fuzz.json", text, size, &s, &err);
    free(text);
    if (rc != 0) {
        /* bad input: must be refused the documented way */
        if (s != NULL || err.code != 2 || strncmp(err.msg, "fuzz.json", 9) != 0) {
            fprintf(stderr, "fuzz_scenario: bad refusal: rc %d, code %d, out %p, msg '%s'\n", rc, err.code,
                    (void *)s, err.msg);
            abort();
        }
        return 0;
    }
    if (parse_only) {
        /* the writer's JSON of a valid scenario must read back (search and
         * script-from-trace hand such files to users) */
        struct cJSON *j = sc_to_json(s, "fuzz");
        char *out = j ? cJSON_PrintUnformatted(j) : NULL;
        scenario *back = NULL;
        if (out && ses_parse(&env->paid, "fuzz-written.json", out, strlen(out), &back, &err) != 0) {
            fprintf(stderr, "fuzz_scenario: the written scenario does not parse: %s\n%s\n", err.msg, out);
            abort();
        }
        sc_free(back);
        free(out);
        cJSON_Delete(j);
        sc_free(s);
        return 0;
    }
    fz_clamp(s, env);
    fz_run(s, env);
    sc_free(s);
    return 0;
}
