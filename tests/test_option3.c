/* test_option3.c - Option 3, the background cleanup (MODEL.md section 5,
 * model/strategies/option3.c): a cron trigger every N minutes verifies
 * every non-terminal bot entry and puts the fixed cache once.
 *
 *  - a stuck entry heals at the first cron run, N min after time 0 plus
 *    the run's operation latencies (N = 1 and 5), never before;
 *  - each run costs 1 + v reads (v: non-terminal bot entries in the cache
 *    at that moment) and at most 1 write, whatever the number of stale
 *    entries; no write at all when nothing is stale; each run is a Worker
 *    request;
 *  - cron_every under 1 minute or not a whole number of minutes is
 *    refused by the scenario parser (code 2, naming strategy.cron_every).
 *
 * No bots and no other traffic unless said, one location, constant
 * latencies (get hit 1 ms, miss 20 ms, put 30 ms), explicit kv.p429. The
 * default start_epoch_ms is midnight UTC, so "every N minutes" fires at
 * N min, 2N min, ... of simulated time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "trace_reader.h"

#define MS INT64_C(1000)
#define S SIM_US_PER_S
#define MIN (60 * SIM_US_PER_S)

/* One location, exact latencies, p429 1, five plain messages then the
 * given ones, cron every `every`. */
static scenario *room(const char *duration, const char *every, const char *messages, const char *script)
{
    return sq("{'duration':'%s','strategy':{'cron_every':'%s'},"
              "'kv':{'p429':1,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
              "'initial':{'plain':{'count':5},'messages':[%s]},'script':[%s]}",
              duration, every, messages, script);
}

/* The cron runs of a trace: start time, billed reads and writes, status. */
typedef struct cron_run {
    int64_t t;
    int kvr, kvw, status;
} cron_run;

static int cron_runs(const tr *t, cron_run *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->l[i].type != 'c' || strcmp(t->l[i].endpoint, "cron") != 0)
            continue;
        assert_true(n < max);
        out[n].t = t->l[i].t;
        size_t j = i + 1;
        while (j < t->n && !(t->l[j].type == 'e' && t->l[j].call == t->l[i].call))
            j++;
        assert_true(j < t->n);
        out[n].kvr = t->l[j].kvr;
        out[n].kvw = t->l[j].kvw;
        out[n].status = t->l[j].status;
        n++;
    }
    return n;
}

#define S1 "1761868700001-s1sssssss"

/* ---- 1. healing within N minutes ---- */

/* One stuck entry. The first run at N min reads the cache (a miss, 20 ms),
 * the key (a miss, 20 ms) and puts (30 ms): healed at N min + 70 ms, an
 * episode open since time 0. A run lasting exactly N min (events at the
 * duration do not run) heals nothing and makes no cron call. */
static void test_heals_at_first_run(void **state)
{
    (void)state;
    static const struct { const char *every, *dur, *short_dur; sim_us n; } cases[] = {
        { "1min", "90s", "1min", 1 * MIN },
        { "5min", "330s", "5min", 5 * MIN },
        { "60s", "90s", "60s", 1 * MIN }, /* the same minute, spelt in seconds */
    };
    const char *msgs = "{'id':'" S1 "','entity':'E','stored':'complete','cached':'processing'}";
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        h_run r;
        tr t;
        run_traced(&r, room(cases[k].dur, cases[k].every, msgs, ""), "3", &t);
        cron_run runs[4];
        assert_int_equal(cron_runs(&t, runs, 4), 1);
        assert_int_equal(runs[0].t, cases[k].n);
        assert_int_equal(runs[0].kvr, 2);
        assert_int_equal(runs[0].kvw, 1);
        assert_int_equal(runs[0].status, 200);
        assert_int_equal(h_counter(&r, "divergence.healed"), 1);
        assert_int_equal(h_counter(&r, "stuck.final"), 0);
        assert_int_equal(h_counter(&r, "witness.slowest_heal_end_us"), cases[k].n + 70 * MS);
        size_t n = 0;
        const int64_t *v = met_samples_sorted(r.m, met_samples(r.m, "heal_latency_us"), &n);
        assert_int_equal(n, 1);
        assert_int_equal(v[0], cases[k].n + 70 * MS);
        h_msg(&r, S1, MS_COMPLETE, MS_COMPLETE);
        h_free(&r);
        tr_free(&t);

        h_run_scenario(&r, room(cases[k].short_dur, cases[k].every, msgs, ""), "3");
        assert_int_equal(h_counter(&r, "calls.cron"), 0);
        assert_int_equal(h_counter(&r, "divergence.healed"), 0);
        assert_int_equal(h_counter(&r, "stuck.final"), 1);
        h_free(&r);
    }
}

/* Under any option without Option 3 there is no cron at all. */
static void test_no_cron_without_option3(void **state)
{
    (void)state;
    static const char *const opts[] = { "0", "1", "2", "1fixed", "verify-all", "1+2" };
    const char *msgs = "{'id':'" S1 "','entity':'E','stored':'complete','cached':'processing'}";
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        h_run r;
        h_run_scenario(&r, room("3min", "1min", msgs, ""), opts[k]);
        assert_int_equal(h_counter(&r, "calls.cron"), 0);
        assert_int_equal(h_counter(&r, "worker.requests"), 0);
        assert_int_equal(h_counter(&r, "stuck.final"), 1);
        h_free(&r);
    }
}

/* ---- 2. cost per run ---- */

/* s1 (complete/processing) and s2 (failed/pending) are stale, p1 is
 * pending in both, c1 is complete in both (terminal: not read), plus an AI
 * reply and plain chat. Run 1 (60 s): 1 + 3 reads, one write for both
 * fixes; runs 2 and 3: 1 + 1 reads (only p1 is non-terminal), no write.
 * Every run is a request. */
static void test_cost_per_run(void **state)
{
    (void)state;
    const char *msgs = "{'id':'" S1 "','entity':'E','stored':'complete','cached':'processing'},"
                       "{'id':'1761868700002-s2sssssss','entity':'E','stored':'failed','cached':'pending'},"
                       "{'id':'1761868700003-p1ppppppp','entity':'E','stored':'pending','cached':'pending'},"
                       "{'id':'1761868700004-c1ccccccc','entity':'E','stored':'complete','cached':'complete'},"
                       "{'id':'1761868700005-a1aaaaaaa','type':'ai'}";
    h_run r;
    tr t;
    run_traced(&r, room("200s", "1min", msgs, ""), "3", &t);
    cron_run runs[8];
    assert_int_equal(cron_runs(&t, runs, 8), 3);
    static const int kvr[3] = { 4, 2, 2 }, kvw[3] = { 1, 0, 0 };
    for (int k = 0; k < 3; k++) {
        assert_int_equal(runs[k].t, (k + 1) * MIN);
        assert_int_equal(runs[k].kvr, kvr[k]);
        assert_int_equal(runs[k].kvw, kvw[k]);
        assert_int_equal(runs[k].status, 200);
    }
    assert_int_equal(h_counter(&r, "calls.cron"), 3);
    assert_int_equal(h_counter(&r, "http.cron.200"), 3);
    assert_int_equal(h_counter(&r, "worker.requests"), 3);
    h_costs(&r, "cron", 8, 1);
    assert_int_equal(h_counter(&r, "kv.writes.key.cache"), 1);
    assert_int_equal(h_counter(&r, "kv.reads.key.cache"), 3);
    assert_int_equal(h_counter(&r, "divergence.healed"), 2);
    h_msg(&r, S1, MS_COMPLETE, MS_COMPLETE);
    h_msg(&r, "1761868700002-s2sssssss", MS_FAILED, MS_FAILED);
    h_msg(&r, "1761868700003-p1ppppppp", MS_PENDING, MS_PENDING);
    h_free(&r);
    tr_free(&t);
}

/* Many stale entries still cost one write: 30 stuck, run 1 reads 1 + 30
 * and writes 1; run 2 reads 1. */
static void test_one_write_for_many(void **state)
{
    (void)state;
    char msgs[8192];
    size_t len = 0;
    for (int i = 0; i < 30; i++)
        len += (size_t)snprintf(msgs + len, sizeof msgs - len,
                                "%s{'id':'17618687000%02d-st%06d','entity':'E','stored':'complete','cached':'processing'}",
                                i ? "," : "", i, i);
    assert_true(len < sizeof msgs);
    h_run r;
    tr t;
    run_traced(&r, room("150s", "1min", msgs, ""), "3", &t);
    cron_run runs[4];
    assert_int_equal(cron_runs(&t, runs, 4), 2);
    assert_int_equal(runs[0].kvr, 31);
    assert_int_equal(runs[0].kvw, 1);
    assert_int_equal(runs[1].kvr, 1);
    assert_int_equal(runs[1].kvw, 0);
    assert_int_equal(h_counter(&r, "divergence.healed"), 30);
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    h_free(&r);
    tr_free(&t);
}

/* Nothing stale: pending and processing entries that agree with their
 * keys. Every run reads 1 + 2 and never writes. */
static void test_no_write_when_nothing_stale(void **state)
{
    (void)state;
    const char *msgs = "{'id':'1761868700001-p1ppppppp','entity':'E','stored':'pending','cached':'pending'},"
                       "{'id':'1761868700002-q1qqqqqqq','entity':'E','stored':'processing','cached':'processing'},"
                       "{'id':'1761868700003-c1ccccccc','entity':'E','stored':'complete','cached':'complete'},"
                       "{'id':'1761868700004-f1fffffff','entity':'E','stored':'failed','cached':'failed'}";
    h_run r;
    tr t;
    run_traced(&r, room("5min", "1min", msgs, ""), "3", &t);
    cron_run runs[8];
    int n = cron_runs(&t, runs, 8);
    assert_int_equal(n, 4); /* 1, 2, 3, 4 min; 5 min is the end */
    for (int k = 0; k < n; k++) {
        assert_int_equal(runs[k].kvr, 3);
        assert_int_equal(runs[k].kvw, 0);
    }
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    h_costs(&r, "cron", 4 * 3, 0);
    assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
    h_free(&r);
    tr_free(&t);
}

/* A stuck entry with the bot polling every 3 s: the poll pays 1 + 1 reads
 * until the first run heals the entry, then 1. Polls at 0, 3, ..., 57 s
 * (20 of them) read 2; the poll at 60 s starts with the run and reads the
 * cache before the heal lands, so it reads 2 as well; every later poll 1. */
static void test_polls_cheaper_after_run(void **state)
{
    (void)state;
    /* no background refresh: the bot's copy, fetched at 0.02 s, expires at
     * 60.02 s and the 63 s poll fetches the cron's fix (a refresh at 54 s
     * would serve the unfixed copy until 114 s) */
    scenario *s = sq("{'duration':'90s','strategy':{'cron_every':'1min'},"
                     "'kv':{'p429':1,'background_refresh':0,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
                     "'initial':{'plain':{'count':5},'messages':["
                     "{'id':'" S1 "','entity':'E','stored':'complete','cached':'processing'}]},"
                     "'bots':[{'name':'bot-1','poll_every':'3s','first_poll':'0s'}]}");
    h_run r;
    h_run_scenario(&r, s, "3");
    assert_int_equal(h_npolls(&r), 30);
    for (size_t k = 0; k < 30; k++) {
        const int64_t *row = h_poll(&r, k);
        assert_int_equal(row[H_T], (int64_t)k * 3 * S);
        if (row[H_KVR] != (k <= 20 ? 2 : 1))
            fail_msg("poll %zu at %lld us read %lld", k + 1, (long long)row[H_T], (long long)row[H_KVR]);
        assert_int_equal(row[H_KVW], 0);
    }
    assert_int_equal(h_counter(&r, "calls.cron"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 1);
    h_free(&r);
}

/* ---- 3. the parser ---- */

static int parse_every(const char *every, sim_err *err, sim_us *got)
{
    char text[256];
    snprintf(text, sizeof text, "{\"strategy\":{\"cron_every\":\"%s\"}}", every);
    scenario *s = NULL;
    int rc = sc_parse("inline.json", text, strlen(text), H_LIMITS, &s, err);
    if (rc == 0) {
        *got = s->strategy.cron_every;
        sc_free(s);
    }
    return rc;
}

static void test_cron_every_parser(void **state)
{
    (void)state;
    static const char *const bad[] = { "0s", "1s", "30s", "59s", "59999999us", "61s", "90s", "1.5min", "119s",
                                       "2.5min", "3601s" };
    static const struct { const char *every; sim_us us; } good[] = {
        { "1min", MIN }, { "60s", MIN }, { "60000ms", MIN }, { "2min", 2 * MIN },
        { "5min", 5 * MIN }, { "1h", 60 * MIN }, { "1d", 1440 * MIN },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        sim_err err = { 0, "" };
        sim_us got = 0;
        if (parse_every(bad[k], &err, &got) == 0)
            fail_msg("cron_every '%s' accepted (%lld us)", bad[k], (long long)got);
        assert_int_equal(err.code, 2);
        if (!strstr(err.msg, "strategy.cron_every"))
            fail_msg("cron_every '%s': message does not name the key: %s", bad[k], err.msg);
    }
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        sim_err err = { 0, "" };
        sim_us got = 0;
        if (parse_every(good[k].every, &err, &got) != 0)
            fail_msg("cron_every '%s' refused: %s", good[k].every, err.msg);
        assert_int_equal(got, good[k].us);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heals_at_first_run),
        cmocka_unit_test(test_no_cron_without_option3),
        cmocka_unit_test(test_cost_per_run),
        cmocka_unit_test(test_one_write_for_many),
        cmocka_unit_test(test_no_write_when_nothing_stale),
        cmocka_unit_test(test_polls_cheaper_after_run),
        cmocka_unit_test(test_cron_every_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
