/* test_incident.c - the incident as a regression test.
 *
 * 1. scenarios/incident-164.json for a simulated day: under Option 0 every
 *    one of the 28,800 polls is [KVr:5 KVw:0] and the four messages are
 *    still stuck at the end; under Option 1 the first poll is [KVr:5 KVw:1]
 *    and every later one [KVr:1 KVw:0], with four healed episodes.
 * 2. The race by timing alone: two completes on different messages overlap,
 *    both cache updates read recent:comments before either writes it, and
 *    the later put erases the earlier status update. No scripted fault, no
 *    error probability, no 429 (p429 0): only interleaving.
 * 3. Determinism in-process: the same scenario and seed, run twice in one
 *    process (both worlds alive at once), gives identical counters and poll
 *    rows; a different seed does not.
 * 4. The scripted regression scenarios' own expectations, in-process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define INCIDENT "scenarios/incident-164.json"
#define POLLS_PER_DAY 28800 /* one every 3 s for 86,400 s */

static void test_incident_option0_day(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, INCIDENT, "0");
    assert_int_equal(h_npolls(&r), POLLS_PER_DAY);
    for (size_t k = 0; k < POLLS_PER_DAY; k++) {
        const int64_t *row = h_poll(&r, k);
        if (row[H_KVR] != 5 || row[H_KVW] != 0 || row[H_STATUS] != 200 || row[H_RET] != 0)
            fail_msg("poll %zu of %d at t=%lldus: [KVr:%lld KVw:%lld] status %lld returned %lld, "
                     "expected [KVr:5 KVw:0] status 200 returned 0",
                     k + 1, POLLS_PER_DAY, (long long)row[H_T], (long long)row[H_KVR], (long long)row[H_KVW],
                     (long long)row[H_STATUS], (long long)row[H_RET]);
        assert_int_equal(row[H_T], (int64_t)k * 3 * SIM_US_PER_S);
        assert_int_equal(row[H_BOT], 0);
    }
    /* 4 x 28,800 = 115,200 extra reads a day over the single cache read */
    assert_int_equal(h_counter(&r, "kv.reads.pending"), 5 * POLLS_PER_DAY);
    assert_int_equal(h_counter(&r, "kv.reads.key.individual"), 4 * POLLS_PER_DAY);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    assert_int_equal(h_counter(&r, "stuck.final"), 4);
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    h_msg(&r, "1761922126074-d9ostp8tt", MS_PROCESSING, MS_COMPLETE);
    h_msg(&r, "1761922134340-bm7vvn9qa", MS_PROCESSING, MS_COMPLETE);
    h_free(&r);
}

static void test_incident_option1_day(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, INCIDENT, "1");
    assert_int_equal(h_npolls(&r), POLLS_PER_DAY);
    const int64_t *first = h_poll(&r, 0);
    assert_int_equal(first[H_KVR], 5);
    assert_int_equal(first[H_KVW], 1);
    for (size_t k = 1; k < POLLS_PER_DAY; k++) {
        const int64_t *row = h_poll(&r, k);
        if (row[H_KVR] != 1 || row[H_KVW] != 0 || row[H_STATUS] != 200)
            fail_msg("poll %zu of %d at t=%lldus: [KVr:%lld KVw:%lld] status %lld, expected [KVr:1 KVw:0]",
                     k + 1, POLLS_PER_DAY, (long long)row[H_T], (long long)row[H_KVR], (long long)row[H_KVW],
                     (long long)row[H_STATUS]);
    }
    assert_int_equal(h_counter(&r, "kv.reads.pending"), 5 + (POLLS_PER_DAY - 1));
    assert_int_equal(h_counter(&r, "kv.writes"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 4);
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    h_msg(&r, "1761922130907-gf4x1loyh", MS_COMPLETE, MS_COMPLETE);
    h_free(&r);
}

/* ---- the lost status update ---- */

/* complete A at 1.000 s, complete B at 1.005 s. With gets of 10 ms and
 * puts of 30 ms, A reads the cache at 1.050 and puts it at 1.080; B reads
 * it at 1.055 (before A's put) and puts at 1.085, with A still processing.
 * Polls at 4 s and 7 s show what each option makes of it. */
static const char race_sq[] =
    "{'name':'race','duration':'10s','seed':7,"
    "'kv':{'p429':0,'get_error_prob':0,'put_error_prob':0,"
    "'latency':{'get_hit':'10ms','get_miss':'10ms','put':'30ms'}},"
    "'initial':{'plain':{'count':10,'bytes':400},'messages':["
    "{'id':'1761868790000-aaaaaaaaa','entity':'Alice','stored':'processing','cached':'processing'},"
    "{'id':'1761868795000-bbbbbbbbb','entity':'Bob','stored':'processing','cached':'processing'}]},"
    "'script':["
    "{'at':'1s','call':'complete','msg':'1761868790000-aaaaaaaaa'},"
    "{'at':'1005ms','call':'complete','msg':'1761868795000-bbbbbbbbb'},"
    "{'at':'4s','call':'pending'},{'at':'7s','call':'pending'}]}";

/* The order in which cache operations ended, from the trace: "g" for a
 * get, "p" for a put, for calls with ids in [lo, hi]. */
static void cache_ops(const char *trace, unsigned lo, unsigned hi, char *out, size_t len)
{
    size_t n = 0;
    const char *p = trace;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        unsigned callno = 0;
        snprintf(line, sizeof line, "%.*s", (int)(l < sizeof line ? l : sizeof line - 1), p);
        p += nl ? l + 1 : l;
        const char *cp = strstr(line, "\"call\":");
        if (!strstr(line, "\"type\":\"kv\"") || !strstr(line, "\"key\":\"recent:comments\"") || !cp ||
            sscanf(cp, "\"call\":%u", &callno) != 1 || callno < lo || callno > hi)
            continue;
        assert_true(n + 1 < len);
        out[n++] = strstr(line, "\"op\":\"get\"") ? 'g' : 'p';
    }
    out[n] = 0;
}

static void test_race_lost_status_update(void **state)
{
    (void)state;
    static const char *const opts[] = { "0", "1" };
    for (int o = 0; o < 2; o++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        world_opts wo = { 0 };
        wo.trace = f;
        h_run r;
        h_run_scenario_opts(&r, h_parse_sq(race_sq), opts[o], &wo);
        fclose(f);

        /* the interleaving: both gets of the cache end before either put */
        char ops[16];
        cache_ops(buf, 1, 2, ops, sizeof ops);
        assert_string_equal(ops, "ggpp");
        free(buf);

        /* nothing failed: every write landed, nothing was swallowed */
        assert_int_equal(h_counter(&r, "kv.failed.transient"), 0);
        assert_int_equal(h_counter(&r, "kv.failed.429"), 0);
        assert_int_equal(h_counter(&r, "cache_update.swallowed.transient"), 0);
        assert_int_equal(h_counter(&r, "cache_update.swallowed.429"), 0);
        assert_int_equal(h_counter(&r, "cache_update.entry_missing"), 0);
        h_costs(&r, "complete", 4, 4);
        /* a status was lost, not a message */
        assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
        assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
        h_msg(&r, "1761868795000-bbbbbbbbb", MS_COMPLETE, MS_COMPLETE);
        if (o == 0) {
            h_msg(&r, "1761868790000-aaaaaaaaa", MS_PROCESSING, MS_COMPLETE);
            assert_int_equal(h_counter(&r, "stuck.final"), 1);
            assert_int_equal(h_poll(&r, 0)[H_KVR], 2);
            assert_int_equal(h_poll(&r, 1)[H_KVR], 2);
        } else {
            h_msg(&r, "1761868790000-aaaaaaaaa", MS_COMPLETE, MS_COMPLETE);
            assert_int_equal(h_counter(&r, "stuck.final"), 0);
            assert_int_equal(h_counter(&r, "divergence.healed"), 1);
            assert_int_equal(h_poll(&r, 0)[H_KVR], 2);
            assert_int_equal(h_poll(&r, 0)[H_KVW], 1);
            assert_int_equal(h_poll(&r, 1)[H_KVR], 1);
            assert_int_equal(h_poll(&r, 1)[H_KVW], 0);
        }
        h_free(&r);
    }
}

/* Spaced 100 ms apart instead of 5 ms, the same two completes do not race:
 * the control that shows the loss above comes from the overlap. */
static void test_no_overlap_no_loss(void **state)
{
    (void)state;
    char *sq = test_malloc(sizeof race_sq);
    memcpy(sq, race_sq, sizeof race_sq);
    char *at = strstr(sq, "'1005ms'");
    assert_non_null(at);
    memcpy(at, "'1100ms'", 8);
    h_run r;
    h_run_sq(&r, sq, "0");
    test_free(sq);
    h_msg(&r, "1761868790000-aaaaaaaaa", MS_COMPLETE, MS_COMPLETE);
    h_msg(&r, "1761868795000-bbbbbbbbb", MS_COMPLETE, MS_COMPLETE);
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
    h_free(&r);
}

/* ---- determinism ---- */

/* Everything random at once: Poisson humans at two locations (legacy keys
 * too), two bots with lognormal generation, failures and crashes, transient
 * KV errors, probabilistic 429s, eventual consistency. */
static const char random_sq[] =
    "{'name':'busy','duration':'2h','seed':4242,'locations':['ewr','lhr'],"
    "'kv':{'cache_ttl':'30s','p429':0.5,'get_error_prob':0.002,'put_error_prob':{'cache':0.01,'individual':0.002},"
    "'latency':{'get_hit':{'dist':'uniform','min':'1ms','max':'3ms'},"
    "'get_miss':{'dist':'lognormal','median':'20ms','sigma':0.6},"
    "'put':{'dist':'lognormal','median':'30ms','sigma':0.4}}},"
    "'humans':[{'name':'us','location':'ewr','rate_per_s':0.05,'entity_share':0.4,'legacy_share':0.1,"
    "'bytes':{'dist':'uniform','min':200,'max':900}},"
    "{'name':'eu','location':'lhr','rate_per_s':0.02,'entity_share':0.5}],"
    "'bots':[{'name':'bot-1','location':'ewr','poll_every':'3s','generation':{'dist':'lognormal','median':'4s'},"
    "'fail_prob':0.1,'crash_prob':0.02,'restart_after':'20s'},"
    "{'name':'bot-2','location':'lhr','poll_every':'5s','first_poll':'1s','generation':{'dist':'exp','mean':'3s'}}],"
    "'initial':{'plain':{'count':150,'bytes':420},'messages':["
    "{'id':'1761868000000-stuck0001','entity':'E','stored':'complete','cached':'processing'},"
    "{'id':'1761868000001-legacy001','entity':'E','key':'legacy','stored':'complete','cached':'pending'}]}}";

static void same_run(h_run *a, h_run *b)
{
    size_t n = met_counter_count(a->m);
    assert_int_equal(n, met_counter_count(b->m));
    for (met_id i = 0; (size_t)i < n; i++) {
        assert_string_equal(met_counter_name(a->m, i), met_counter_name(b->m, i));
        if (met_counter_value(a->m, i) != met_counter_value(b->m, i))
            fail_msg("counter %s: %lld vs %lld", met_counter_name(a->m, i), (long long)met_counter_value(a->m, i),
                     (long long)met_counter_value(b->m, i));
    }
    size_t rows = h_npolls(a);
    assert_int_equal(rows, h_npolls(b));
    assert_true(rows > 0);
    assert_memory_equal(h_poll(a, 0), h_poll(b, 0), rows * 6 * sizeof(int64_t));
    met_id sa = met_find_series(a->m, "stuck"), sb = met_find_series(b->m, "stuck");
    assert_true(sa >= 0 && sb >= 0);
    assert_int_equal(met_series_rows(a->m, sa), met_series_rows(b->m, sb));
    if (met_series_rows(a->m, sa) > 0)
        assert_memory_equal(met_series_data(a->m, sa), met_series_data(b->m, sb),
                            met_series_rows(a->m, sa) * 2 * sizeof(int64_t));
}

/* Both worlds are built before either runs, so shared state between two
 * contexts in one process would show. */
static void test_determinism_in_process(void **state)
{
    (void)state;
    static const char *const opts[] = { "0", "1" };
    for (int o = 0; o < 2; o++) {
        scenario *sa = h_parse_sq(random_sq), *sb = h_parse_sq(random_sq);
        sim_err err = { 0, "" };
        world_opts wo = { 0 };
        wo.keep_series = 1;
        h_run a = { sa, world_new(sa, opts[o], sa->seed, &wo, &err), NULL };
        h_run b = { sb, world_new(sb, opts[o], sb->seed, &wo, &err), NULL };
        assert_non_null(a.w);
        assert_non_null(b.w);
        assert_int_equal(world_run(a.w, 0, &err), 0);
        assert_int_equal(world_run(b.w, 0, &err), 0);
        a.m = sim_metrics(world_ctx(a.w));
        b.m = sim_metrics(world_ctx(b.w));
        /* the run must be busy enough to mean something */
        assert_true(h_counter(&a, "calls.post") > 100);
        assert_true(h_counter(&a, "calls.claim") > 10);
        assert_true(h_counter(&a, "kv.failed.transient") > 0);
        same_run(&a, &b);
        h_free(&a);
        h_free(&b);
    }
    /* the file scenario, too, one after the other */
    h_run a, b;
    h_run_file(&a, INCIDENT, "1");
    h_run_file(&b, INCIDENT, "1");
    same_run(&a, &b);
    h_free(&a);
    h_free(&b);
}

/* The control: another seed gives another run (the comparison above can
 * see a difference). */
static void test_other_seed_differs(void **state)
{
    (void)state;
    scenario *sa = h_parse_sq(random_sq), *sb = h_parse_sq(random_sq);
    sim_err err = { 0, "" };
    world_opts wo = { 0 };
    wo.keep_series = 1;
    h_run a = { sa, world_new(sa, "0", sa->seed, &wo, &err), NULL };
    h_run b = { sb, world_new(sb, "0", sb->seed + 1, &wo, &err), NULL };
    assert_non_null(a.w);
    assert_non_null(b.w);
    assert_int_equal(world_run(a.w, 0, &err), 0);
    assert_int_equal(world_run(b.w, 0, &err), 0);
    a.m = sim_metrics(world_ctx(a.w));
    b.m = sim_metrics(world_ctx(b.w));
    int differ = h_counter(&a, "kv.reads") != h_counter(&b, "kv.reads") ||
                 h_counter(&a, "calls.post") != h_counter(&b, "calls.post");
    assert_true(differ);
    h_free(&a);
    h_free(&b);
}

/* The scripted regression scenarios hold in-process too, under each of
 * their options (what 'qsim check scenarios/scripted' does). */
static void test_scripted_scenarios(void **state)
{
    (void)state;
    static const char *const files[] = {
        "scenarios/scripted/incident-164.json",   "scenarios/scripted/legacy-stuck.json",
        "scenarios/scripted/aged-out.json",       "scenarios/scripted/lost-post-race.json",
        "scenarios/scripted/option-1-blind-put.json", "scenarios/scripted/lost-update-race.json",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        sim_err err = { 0, "" };
        scenario *s = NULL;
        if (sc_load(files[i], H_LIMITS, &s, &err) != 0)
            fail_msg("%s", err.msg);
        assert_true(s->nexpect > 0);
        for (int o = 0; o < s->noptions; o++) {
            h_run r;
            char option[SC_NAME];
            snprintf(option, sizeof option, "%s", s->options[o]);
            /* each run gets its own copy: h_free frees the scenario */
            scenario *copy = NULL;
            if (sc_load(files[i], H_LIMITS, &copy, &err) != 0)
                fail_msg("%s", err.msg);
            h_run_scenario(&r, copy, option);
            h_expectations(&r, option);
            h_free(&r);
        }
        sc_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incident_option0_day),
        cmocka_unit_test(test_incident_option1_day),
        cmocka_unit_test(test_race_lost_status_update),
        cmocka_unit_test(test_no_overlap_no_loss),
        cmocka_unit_test(test_determinism_in_process),
        cmocka_unit_test(test_other_seed_differs),
        cmocka_unit_test(test_scripted_scenarios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
