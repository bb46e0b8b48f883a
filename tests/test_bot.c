/* test_bot.c - the bot's two loops (model/bot.c, docs/model.md#bots) and
 * its phase: a sequential bot skips the ticks inside a running cycle, an
 * interval bot polls at every tick whatever runs, handles each message as
 * its own job, and a crash stops all of them until PM2 restarts it; a bot
 * without first_poll draws its phase, one with first_poll keeps it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cJSON.h>

#include "harness.h"

/* One pending message, one bot at 0 s polling every 3 s, a 30 s LLM call. */
static const char LONG_JOB[] =
    "{ 'duration': '30s', 'locations': ['ewr'],"
    "  'initial': { 'plain': { 'count': 5 }, 'messages': [ { 'id': '1761868000001-aaaaaaaaa', 'entity': 'E' } ] },"
    "  'bots': [ { 'name': 'bot-1', 'loop': '%s', 'first_poll': '0s', 'generation': '30s' } ] }";

static scenario *long_job(const char *loop)
{
    char text[sizeof LONG_JOB + 16];
    snprintf(text, sizeof text, LONG_JOB, loop);
    return h_parse_sq(text);
}

/* Interval: ticks at 0, 3, ..., 27 s in a 30 s run: 10 polls, each at its
 * tick to the microsecond, while the one job generates for 30 s. The first
 * returns the message; the others see it processing (cache and key agree:
 * one cache read plus one verification) and return nothing, so it is
 * claimed once. */
static void test_interval_polls_every_period(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, long_job("interval"), "0");
    assert_int_equal(h_npolls(&r), 10);
    for (size_t k = 0; k < 10; k++) {
        assert_int_equal(h_poll(&r, k)[H_T], (int64_t)k * 3000000);
        assert_int_equal(h_poll(&r, k)[H_STATUS], 200);
        assert_int_equal(h_poll(&r, k)[H_RET], k == 0 ? 1 : 0);
        assert_int_equal(h_poll(&r, k)[H_KVR], 2);
    }
    assert_int_equal(h_counter(&r, "calls.claim"), 1);
    assert_int_equal(h_counter(&r, "calls.pending"), 10);
    h_free(&r);
}

/* Sequential: the cycle started at 0 s lasts more than 30 s, so the ticks
 * at 3 ... 27 s are skipped: one poll in 30 s. */
static void test_sequential_skips_ticks(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, long_job("sequential"), "0");
    assert_int_equal(h_npolls(&r), 1);
    assert_int_equal(h_poll(&r, 0)[H_T], 0);
    h_free(&r);
}

/* Past the 30 s job the interval bot answers and completes the message
 * once, as the sequential bot does: a 40 s run. */
static void test_interval_answers_once(void **state)
{
    (void)state;
    for (int loop = 0; loop < 2; loop++) {
        h_run r;
        scenario *s = long_job(loop ? "interval" : "sequential");
        s->duration = 40 * SIM_US_PER_S;
        h_run_scenario(&r, s, "0");
        assert_int_equal(h_counter(&r, "liveness.answers"), 1);
        assert_int_equal(h_counter(&r, "safety.answered_twice"), 0);
        assert_int_equal(h_counter(&r, "http.complete.200"), 1);
        h_msg(&r, "1761868000001-aaaaaaaaa", MS_COMPLETE, MS_COMPLETE);
        /* interval: 0..39 s -> 14 ticks; sequential: 0 s, then the first tick
         * after the cycle's end (about 30.1 s): 33, 36, 39 s */
        assert_int_equal(h_npolls(&r), loop ? 14 : 4);
        h_free(&r);
    }
}

/* Two messages: the interval bot works on both at once (both claimed at
 * about 0 s, both answered at about 10 s), the sequential bot one after the
 * other (the second claimed after the first's complete, at about 10.1 s,
 * and answered at about 20 s). In a 15 s run both bots claimed twice; the
 * interval bot answered two, the sequential bot one. */
static void test_interval_jobs_run_concurrently(void **state)
{
    (void)state;
    static const char sq[] =
        "{ 'duration': '15s', 'locations': ['ewr'],"
        "  'initial': { 'plain': { 'count': 5 }, 'messages': ["
        "    { 'id': '1761868000001-aaaaaaaaa', 'entity': 'E' }, { 'id': '1761868000002-bbbbbbbbb', 'entity': 'E' } ] },"
        "  'bots': [ { 'name': 'bot-1', 'loop': '%s', 'first_poll': '0s', 'generation': '10s' } ] }";
    for (int loop = 0; loop < 2; loop++) {
        char text[sizeof sq + 16];
        snprintf(text, sizeof text, sq, loop ? "interval" : "sequential");
        h_run r;
        h_run_sq(&r, text, "0");
        assert_int_equal(h_counter(&r, "liveness.answers"), loop ? 2 : 1);
        assert_int_equal(h_counter(&r, "calls.claim"), 2);
        h_free(&r);
    }
}

/* A crash after the claim kills every job and the interval: no poll until
 * PM2 restarts the bot restart_after (10 s) later, then one every 3 s from
 * the restart. In 20 s: the poll at 0 s, then about 10.05, 13.05, 16.05 and
 * 19.05 s: 5 polls; the message stays processing and is never answered. */
static void test_interval_crash_stops_everything(void **state)
{
    (void)state;
    h_run r;
    scenario *s = long_job("interval");
    s->duration = 20 * SIM_US_PER_S;
    s->bots[0].crash_prob = 1;
    s->bots[0].restart_after = 10 * SIM_US_PER_S;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_npolls(&r), 5);
    int64_t t1 = h_poll(&r, 1)[H_T];
    assert_true(t1 > 10 * SIM_US_PER_S && t1 < 11 * SIM_US_PER_S);
    for (size_t k = 2; k < 5; k++)
        assert_int_equal(h_poll(&r, k)[H_T], t1 + (int64_t)(k - 1) * 3000000);
    assert_int_equal(h_counter(&r, "liveness.answers"), 0);
    assert_int_equal(h_counter(&r, "calls.claim"), 1);
    h_msg(&r, "1761868000001-aaaaaaaaa", MS_PROCESSING, MS_PROCESSING);
    h_free(&r);
}

/* The first poll of each of n bots (from the poll series' bot column). */
static void first_polls(const h_run *r, int n, int64_t *t)
{
    for (int i = 0; i < n; i++)
        t[i] = -1;
    for (size_t k = 0; k < h_npolls(r); k++) {
        const int64_t *p = h_poll(r, k);
        if (t[p[H_BOT]] < 0)
            t[p[H_BOT]] = p[H_T];
    }
}

static const char TEN_BOTS[] =
    "{ 'duration': '10s', 'seed': %d, 'locations': ['ewr'], 'bots': ["
    "{ 'name': 'b1' %s }, { 'name': 'b2' %s }, { 'name': 'b3' %s }, { 'name': 'b4' %s }, { 'name': 'b5' %s },"
    "{ 'name': 'b6' %s }, { 'name': 'b7' %s }, { 'name': 'b8' %s }, { 'name': 'b9' %s }, { 'name': 'b10' %s } ] }";

static void run_ten(h_run *r, int seed, const char *extra)
{
    char text[sizeof TEN_BOTS + 10 * 64];
    snprintf(text, sizeof text, TEN_BOTS, seed, extra, extra, extra, extra, extra, extra, extra, extra, extra, extra);
    h_run_sq(r, text, "0");
}

/* No first_poll: ten phases in [0, 3 s), pairwise distinct, each bot then
 * polling every 3 s from its phase; the same seed draws the same phases,
 * another seed others. first_poll given: lockstep at that time. */
static void test_phases(void **state)
{
    (void)state;
    int64_t a[10], b[10], c[10];
    h_run r;
    run_ten(&r, 7, "");
    first_polls(&r, 10, a);
    for (size_t k = 0; k < h_npolls(&r); k++) {
        const int64_t *p = h_poll(&r, k);
        assert_int_equal((p[H_T] - a[p[H_BOT]]) % 3000000, 0);
    }
    h_free(&r);
    for (int i = 0; i < 10; i++) {
        assert_true(a[i] >= 0 && a[i] < 3000000);
        for (int j = 0; j < i; j++)
            assert_true(a[i] != a[j]);
    }
    run_ten(&r, 7, ", 'first_poll': 'random'");
    first_polls(&r, 10, b);
    h_free(&r);
    assert_memory_equal(a, b, sizeof a);
    run_ten(&r, 8, "");
    first_polls(&r, 10, b);
    h_free(&r);
    int same = 0;
    for (int i = 0; i < 10; i++)
        same += a[i] == b[i];
    assert_true(same < 10);
    run_ten(&r, 7, ", 'first_poll': '250ms'");
    first_polls(&r, 10, c);
    assert_int_equal(h_npolls(&r), 10 * 4); /* 0.25, 3.25, 6.25, 9.25 s */
    h_free(&r);
    for (int i = 0; i < 10; i++)
        assert_int_equal(c[i], 250000);
}

/* loop and first_poll survive sc_to_json and back; bad values are refused
 * with their path. */
static void test_loop_fields_round_trip(void **state)
{
    (void)state;
    scenario *s = h_parse_sq("{ 'bots': [ { 'name': 'x', 'loop': 'interval' }, { 'name': 'y', 'first_poll': '2s' } ] }");
    assert_int_equal(s->bots[0].loop, SC_LOOP_INTERVAL);
    assert_int_equal(s->bots[0].first_poll, SC_PHASE_RANDOM);
    assert_int_equal(s->bots[1].loop, SC_LOOP_SEQUENTIAL);
    assert_int_equal(s->bots[1].first_poll, 2000000);
    cJSON *j = sc_to_json(s, NULL);
    char *text = cJSON_PrintUnformatted(j);
    scenario *t = h_parse(text);
    assert_int_equal(t->bots[0].loop, SC_LOOP_INTERVAL);
    assert_int_equal(t->bots[0].first_poll, SC_PHASE_RANDOM);
    assert_int_equal(t->bots[1].loop, SC_LOOP_SEQUENTIAL);
    assert_int_equal(t->bots[1].first_poll, 2000000);
    free(text);
    cJSON_Delete(j);
    sc_free(s);
    sc_free(t);
    static const struct { const char *text, *want; } bad[] = {
        { "{\"bots\": [{\"loop\": \"parallel\"}]}", "bots[0].loop: unknown loop 'parallel' (sequential, interval)" },
        { "{\"bots\": [{\"loop\": 1}]}", "bots[0].loop: expected a string" },
        { "{\"bots\": [{\"first_poll\": \"soon\"}]}", "bots[0].first_poll: 'soon' is not a duration" },
        { "{\"bots\": [{\"first_poll\": 3}]}", "bots[0].first_poll: expected a duration string" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sim_err err = { 0, "" };
        scenario *u = NULL;
        assert_int_equal(sc_parse("bad.json", bad[i].text, strlen(bad[i].text), H_LIMITS, &u, &err), -1);
        assert_int_equal(err.code, 2);
        if (!strstr(err.msg, bad[i].want))
            fail_msg("got '%s', want '%s'", err.msg, bad[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_polls_every_period),
        cmocka_unit_test(test_sequential_skips_ticks),
        cmocka_unit_test(test_interval_answers_once),
        cmocka_unit_test(test_interval_jobs_run_concurrently),
        cmocka_unit_test(test_interval_crash_stops_everything),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_loop_fields_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
