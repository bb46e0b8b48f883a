/* test_reader.c - chat pages polling GET /api/comments (model/reader.c,
 * docs/model.md#readers): each read is one billed KV read of the cache and
 * one billed Worker request, and the bill follows by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cJSON.h>

#include "harness.h"
#include "model/pricing.h"

#define PAID "data/pricing/cloudflare-paid-2026.json"

/* 100 pages reading every second for 60 s: 100 x 60 = 6,000 reads of
 * recent:comments and 6,000 requests, nothing written, every one a 200.
 * Per day (x 1,440): 8,640,000 of each, so at $0.50 / M reads and
 * $0.30 / M requests: $4.32 + $2.592 = $6.912 a day. A 30-day month:
 * 259,200,000 of each; minus the included 10 M reads and 10 M requests,
 * 249,200,000 x $0.50 / M = $124.60 and 249,200,000 x $0.30 / M = $74.76,
 * plus the $5 base: $204.36. Storage: the empty cache, key
 * "recent:comments" (15 bytes) and value "[]" (2), 17 bytes for the day:
 * 17 x $0.50 / 10^9 / 30 = 283.3 pico-dollars a day, within the included
 * 1 GB for the month. */
static void test_readers_billed(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r, "{ 'duration': '60s', 'locations': ['ewr'],"
                 "  'readers': [ { 'name': 'pages', 'count': 100, 'period': '1s' } ] }", "0");
    assert_int_equal(h_counter(&r, "calls.comments"), 6000);
    assert_int_equal(h_counter(&r, "http.comments.200"), 6000);
    assert_int_equal(h_counter(&r, "worker.requests"), 6000);
    assert_int_equal(h_counter(&r, "kv.reads"), 6000);
    assert_int_equal(h_counter(&r, "kv.reads.key.cache"), 6000);
    h_costs(&r, "comments", 6000, 0);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    pr_plan p;
    sim_err err = { 0, "" };
    assert_int_equal(pr_load(PAID, &p, &err), 0);
    pr_apply(&p, r.m, r.s->duration);
    assert_int_equal(h_counter(&r, "cost.paid.day.kv_reads_pusd"), INT64_C(4320000000000));
    assert_int_equal(h_counter(&r, "cost.paid.day.requests_pusd"), INT64_C(2592000000000));
    assert_int_equal(h_counter(&r, "cost.paid.day.storage_pusd"), 283);
    assert_int_equal(h_counter(&r, "cost.paid.day.total_pusd"), INT64_C(6912000000283));
    assert_int_equal(h_counter(&r, "cost.paid.month.total_pusd"), INT64_C(204360000000000));
    h_free(&r);
}

/* Phases: 4 pages every 10 s with drawn phases read at 4 distinct moments
 * in [0, 10 s), then 10 s apart: in 35 s each reads 3 or 4 times, 12 to 16
 * in all. With first_poll '0s' they read together at 0, 10, 20, 30 s: 16.
 * Read off the trace's call lines. */
static int count_calls(const char *trace, int64_t *first, int nfirst)
{
    int n = 0;
    for (const char *p = strstr(trace, "\"endpoint\":\"comments\""); p; p = strstr(p + 1, "\"endpoint\":\"comments\"")) {
        const char *t = p;
        while (t > trace && strncmp(t, "{\"t\":", 5) != 0)
            t--;
        if (n < nfirst)
            first[n] = strtoll(t + 5, NULL, 10);
        n++;
    }
    return n;
}

static int run_traced(const char *sq, int64_t *first, int nfirst)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    world_opts o = { 0 };
    o.trace = f;
    h_run r;
    h_run_scenario_opts(&r, h_parse_sq(sq), "0", &o);
    fclose(f);
    int n = count_calls(buf, first, nfirst);
    assert_int_equal(n, h_counter(&r, "calls.comments"));
    h_free(&r);
    free(buf);
    return n;
}

static void test_reader_phases(void **state)
{
    (void)state;
    int64_t t[4];
    int n = run_traced("{ 'duration': '35s', 'locations': ['ewr'],"
                       "  'readers': [ { 'count': 4, 'period': '10s' } ] }", t, 4);
    assert_true(n >= 12 && n <= 16);
    for (int i = 0; i < 4; i++) {
        assert_true(t[i] >= 0 && t[i] < 10 * SIM_US_PER_S);
        for (int j = 0; j < i; j++)
            assert_true(t[i] != t[j]);
    }
    n = run_traced("{ 'duration': '35s', 'locations': ['ewr'],"
                   "  'readers': [ { 'count': 4, 'period': '10s', 'first_poll': '0s' } ] }", t, 4);
    assert_int_equal(n, 16);
    for (int i = 0; i < 4; i++)
        assert_int_equal(t[i], 0);
}

/* Poisson pages: 10 pages at 0.5 reads/s for 10 min, 3,000 expected; the
 * count is Poisson (sd 55): within 5 sd. Reads still equal requests. */
static void test_reader_rate(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r, "{ 'duration': '10min', 'locations': ['ewr'],"
                 "  'readers': [ { 'count': 10, 'rate_per_s': 0.5 } ] }", "0");
    int64_t n = h_counter(&r, "calls.comments");
    assert_true(n > 3000 - 275 && n < 3000 + 275);
    assert_int_equal(h_counter(&r, "kv.reads.comments"), n);
    assert_int_equal(h_counter(&r, "worker.requests"), n);
    h_free(&r);
}

/* A reader's failed get or unparseable cache still answers 200, as the
 * seed's try/catch does; a failed get is not billed. */
static void test_reader_errors_answer_200(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r, "{ 'duration': '100s', 'locations': ['ewr'], 'kv': { 'get_error_prob': 1 },"
                 "  'readers': [ { 'period': '1s', 'first_poll': '0s' } ] }", "0");
    assert_int_equal(h_counter(&r, "http.comments.200"), 100);
    assert_int_equal(h_counter(&r, "kv.reads"), 0);
    assert_int_equal(h_counter(&r, "kv.failed.transient"), 100);
    h_free(&r);
}

/* readers survive sc_to_json and back; bad values are refused with a path. */
static void test_readers_round_trip_and_errors(void **state)
{
    (void)state;
    scenario *s = h_parse_sq("{ 'locations': ['a', 'b'], 'readers': ["
                             "{ 'name': 'p', 'location': 'b', 'count': 30, 'period': '5s' },"
                             "{ 'name': 'q', 'rate_per_s': 0.25 }, { 'period': '7s', 'first_poll': '1s' } ] }");
    cJSON *j = sc_to_json(s, NULL);
    char *text = cJSON_PrintUnformatted(j);
    scenario *t = h_parse(text);
    assert_int_equal(t->nreaders, 3);
    assert_memory_equal(s->readers, t->readers, 3 * sizeof s->readers[0]);
    assert_string_equal(t->readers[2].name, "reader-3");
    assert_int_equal(t->readers[0].loc, 1);
    assert_int_equal(t->readers[0].first_poll, SC_PHASE_RANDOM);
    assert_int_equal(t->readers[2].first_poll, 1000000);
    free(text);
    cJSON_Delete(j);
    sc_free(s);
    sc_free(t);
    static const struct { const char *text, *want; } bad[] = {
        { "{\"readers\": {}}", "readers: expected an array of readers" },
        { "{\"readers\": [{\"count\": 2}]}", "readers[0]: give exactly one of \"period\"" },
        { "{\"readers\": [{\"period\": \"5s\", \"rate_per_s\": 1}]}", "readers[0]: give exactly one" },
        { "{\"readers\": [{\"period\": \"5s\", \"count\": 0}]}", "readers[0].count: must be between 1 and 100000" },
        { "{\"readers\": [{\"rate_per_s\": 0}]}", "readers[0].rate_per_s: must be between" },
        { "{\"readers\": [{\"rate_per_s\": 1, \"first_poll\": \"1s\"}]}", "readers[0].first_poll: only with \"period\"" },
        { "{\"readers\": [{\"period\": \"5s\", \"perod\": 1}]}", "readers[0].perod: unknown key" },
        { "{\"readers\": [{\"period\": \"5s\", \"location\": \"x\"}]}", "readers[0].location: unknown location 'x'" },
        { "{\"bots\": [{\"name\": \"a\"}], \"readers\": [{\"name\": \"a\", \"period\": \"5s\"}]}",
          "readers[0].name: 'a' is also bots[0].name" },
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
        cmocka_unit_test(test_readers_billed),
        cmocka_unit_test(test_reader_phases),
        cmocka_unit_test(test_reader_rate),
        cmocka_unit_test(test_reader_errors_answer_200),
        cmocka_unit_test(test_readers_round_trip_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
