/* test_ep_faults.c - endpoint faults (the scenario's "faults", issue 13
 * section 2): a fault scoped to one endpoint's step fails only that step,
 * prob 0 is exactly no fault and prob 1 fails every matching operation,
 * and a fault draws from its own stream, so declaring one leaves every
 * other draw of the run where it was. Expected values are derived from the
 * endpoints' op sequences (docs/model.md#endpoints). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>

#include "harness.h"

#define CCF "scenarios/faults/complete-cache-fault.json"

static scenario *load(const char *path)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load(path, H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    return s;
}

/* Every counter of a that b also has must have the same value in b, except
 * the endpoint faults' own (faults.*, kv.failed.<ep>.*). */
static void same_counters(const h_run *a, const h_run *b)
{
    size_t n = met_counter_count(a->m);
    assert_true(n > 50);
    for (size_t i = 0; i < n; i++) {
        const char *name = met_counter_name(a->m, (met_id)i);
        met_id j = met_find_counter(b->m, name);
        if (strncmp(name, "faults.", 7) == 0)
            continue;
        if (j < 0)
            fail_msg("counter %s missing", name);
        if (met_counter_value(a->m, (met_id)i) != met_counter_value(b->m, j))
            fail_msg("counter %s: %lld against %lld", name, (long long)met_counter_value(a->m, (met_id)i),
                     (long long)met_counter_value(b->m, j));
    }
    assert_int_equal(h_npolls(a), h_npolls(b));
    for (size_t k = 0; k < h_npolls(a); k++)
        assert_memory_equal(h_poll(a, k), h_poll(b, k), 6 * sizeof(int64_t));
}

/* The failures of one endpoint, both ops and key classes. */
static int64_t failed_ep(const h_run *r, const char *ep)
{
    static const char *const ops[2] = { "get", "put" }, *const cls[2] = { "cache", "individual" };
    char name[96];
    int64_t n = 0;
    for (int o = 0; o < 2; o++)
        for (int k = 0; k < 2; k++) {
            snprintf(name, sizeof name, "kv.failed.%s.%s.%s", ep, ops[o], cls[k]);
            n += h_counter(r, name);
        }
    return n;
}

/* The write-up's failure as an endpoint fault: only complete's cache get
 * fails. Post's, claim's and the heal's puts all land; each fired fault is
 * one swallowed error and one cache put fewer for complete. */
static void test_only_complete_cache_update_fails(void **state)
{
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        const char *option = opt ? "1" : "0";
        h_run f, clean;
        h_run_file(&f, CCF, option);
        scenario *s = load(CCF);
        s->nfaults = 0;
        h_run_scenario(&clean, s, option);

        int64_t fired = h_counter(&f, "faults.0.fired");
        assert_true(fired >= 3);
        assert_int_equal(h_counter(&f, "faults.0.matched"), h_counter(&f, "calls.complete"));
        assert_int_equal(h_counter(&f, "kv.failed.complete.get.cache"), fired);
        assert_int_equal(failed_ep(&f, "complete"), fired);
        assert_int_equal(h_counter(&f, "kv.failed.transient"), fired);
        assert_int_equal(h_counter(&f, "cache_update.swallowed.transient"), fired);
        assert_int_equal(failed_ep(&f, "post"), 0);
        assert_int_equal(failed_ep(&f, "claim"), 0);
        assert_int_equal(failed_ep(&f, "pending"), 0);
        assert_int_equal(h_counter(&f, "http.complete.200"), h_counter(&f, "calls.complete"));
        /* the humans' posts and the bot's work are the same messages: every
         * post lands both puts, every claim too */
        assert_int_equal(h_counter(&f, "calls.post"), h_counter(&clean, "calls.post"));
        assert_int_equal(h_counter(&f, "kv.writes.post"), 2 * h_counter(&f, "calls.post"));
        assert_int_equal(h_counter(&f, "kv.writes.post"), h_counter(&clean, "kv.writes.post"));
        assert_int_equal(h_counter(&f, "kv.writes.claim"), 2 * h_counter(&f, "calls.claim"));
        assert_int_equal(h_counter(&f, "kv.writes.claim"), h_counter(&clean, "kv.writes.claim"));
        /* complete: 2 writes each, less the cache put of each fired fault */
        assert_int_equal(h_counter(&clean, "calls.complete"), h_counter(&f, "calls.complete"));
        assert_int_equal(h_counter(&f, "kv.writes.complete"), 2 * h_counter(&f, "calls.complete") - fired);
        assert_int_equal(h_counter(&f, "kv.reads.complete"), h_counter(&clean, "kv.reads.complete") - fired);
        /* Each fired fault leaves its message processing in the cache and
         * complete in its key (none when the entry has already left the
         * cache; a quiet room takes hours to push a message out of the
         * window, a complete comes seconds after its claim), and under
         * Option 0 nothing writes complete into the cache again: that
         * episode never heals (exactly so in test_prob_zero_and_one). Other
         * episodes come from races of overlapping read-modify-writes; a race
         * over a claim heals at the complete. An unhealed episode ends
         * censored. The clean run does not bound the faulted run's races: a
         * fired fault changes the timing of what follows, so the two days
         * race differently (under taus2 with GSL's exponential: 12 fired, 15
         * unhealed, the clean day 2 unhealed races), and that bound is gone
         * (issue 18). */
        int64_t episodes = h_counter(&f, "divergence.episodes");
        int64_t unhealed = episodes - h_counter(&f, "divergence.healed");
        assert_true(episodes >= 1);
        if (opt) { /* each heal put lands */
            assert_int_equal(unhealed, 0);
            assert_true(h_counter(&f, "kv.writes.pending") >= 1);
        } else {
            assert_true(unhealed >= 1);
            /* every unhealed episode ends censored: aged out, overwritten
             * or open at the end */
            assert_int_equal(unhealed, h_counter(&f, "divergence.censored.aged_out") +
                                           h_counter(&f, "divergence.censored.overwritten") +
                                           h_counter(&f, "divergence.censored.open_at_end"));
            assert_int_equal(h_counter(&f, "kv.writes.pending"), 0);
        }
        h_free(&f);
        h_free(&clean);
    }
}

/* Two pending messages, each claimed and completed by script; a poll at
 * 10 s. The fault text is spliced in. */
static const char *const TWO = "{ 'duration': '12s', 'kv': { 'p429': 0 }, "
    "'initial': { 'messages': [ { 'id': '1761868000000-m1aaaaaaa', 'entity': 'E' }, "
    "{ 'id': '1761868000001-m2bbbbbbb', 'entity': 'E' } ] }, "
    "'script': [ { 'at': '1s', 'call': 'claim', 'msg': '1761868000000-m1aaaaaaa' }, "
    "{ 'at': '2s', 'call': 'complete', 'msg': '1761868000000-m1aaaaaaa' }, "
    "{ 'at': '3s', 'call': 'claim', 'msg': '1761868000001-m2bbbbbbb' }, "
    "{ 'at': '4s', 'call': 'complete', 'msg': '1761868000001-m2bbbbbbb' }, "
    "{ 'at': '5s', 'call': 'post', 'msg': { 'id': '1761868005000-p1ccccccc' } }, "
    "{ 'at': '10s', 'call': 'pending' } ]%s }";

static void run_two(h_run *r, const char *faults)
{
    char text[2048];
    snprintf(text, sizeof text, TWO, faults);
    h_run_sq(r, text, "0");
}

/* prob 1: both completes' cache gets fail (not billed), no cache put; the
 * entries stay processing, so the poll verifies both: [KVr:3 KVw:0]. prob
 * 0: both cache updates land and the poll reads the cache only. */
static void test_prob_zero_and_one(void **state)
{
    (void)state;
    h_run r;
    run_two(&r, ", 'faults': [ { 'endpoint': 'complete', 'op': 'get', 'key': 'cache', 'prob': 1, 'kind': 'error' } ]");
    assert_int_equal(h_counter(&r, "faults.0.matched"), 2);
    assert_int_equal(h_counter(&r, "faults.0.fired"), 2);
    assert_int_equal(h_counter(&r, "kv.failed.complete.get.cache"), 2);
    assert_int_equal(h_counter(&r, "http.complete.200"), 2);
    h_costs(&r, "complete", 2, 2); /* the individual get and put of each */
    h_costs(&r, "claim", 4, 4);
    h_costs(&r, "post", 1, 2);
    h_msg(&r, "1761868000000-m1aaaaaaa", MS_PROCESSING, MS_COMPLETE);
    h_msg(&r, "1761868000001-m2bbbbbbb", MS_PROCESSING, MS_COMPLETE);
    assert_int_equal(h_npolls(&r), 1);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 3);
    assert_int_equal(h_poll(&r, 0)[H_KVW], 0);
    /* each failed update opens one episode (cache processing, key complete)
     * and Option 0 has nothing that writes complete into the cache: both
     * are open at the end */
    assert_int_equal(h_counter(&r, "divergence.episodes"), 2);
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 2);
    h_free(&r);

    run_two(&r, ", 'faults': [ { 'endpoint': 'complete', 'op': 'get', 'key': 'cache', 'prob': 0, 'kind': 'error' } ]");
    assert_int_equal(h_counter(&r, "faults.0.matched"), 2);
    assert_int_equal(h_counter(&r, "faults.0.fired"), 0);
    assert_int_equal(h_counter(&r, "kv.failed.complete.get.cache"), 0);
    h_costs(&r, "complete", 4, 4);
    h_msg(&r, "1761868000000-m1aaaaaaa", MS_COMPLETE, MS_COMPLETE);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 1);
    h_free(&r);
}

/* Scope: "any" endpoint on cache puts hits post's and claim's too, and a
 * fault on individual gets makes claim and complete answer 500 before any
 * write. The nth-op scripted fault takes precedence over an endpoint fault. */
static void test_scope_and_precedence(void **state)
{
    (void)state;
    h_run r;
    run_two(&r, ", 'faults': [ { 'endpoint': 'any', 'op': 'put', 'key': 'cache', 'prob': 1, 'kind': '429' } ]");
    /* 2 claims + 2 completes + 1 post, one cache put each */
    assert_int_equal(h_counter(&r, "faults.0.fired"), 5);
    assert_int_equal(h_counter(&r, "kv.failed.429"), 5);
    assert_int_equal(h_counter(&r, "kv.failed.post.put.cache"), 1);
    assert_int_equal(h_counter(&r, "kv.failed.claim.put.cache"), 2);
    assert_int_equal(h_counter(&r, "kv.failed.complete.put.cache"), 2);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.429"), 5);
    h_msg(&r, "1761868000000-m1aaaaaaa", MS_PENDING, MS_COMPLETE);
    h_msg(&r, "1761868005000-p1ccccccc", -1, MS_NONE);
    h_free(&r);

    run_two(&r, ", 'faults': [ { 'endpoint': 'claim', 'op': 'get', 'key': 'individual', 'prob': 1, 'kind': 'error' } ]");
    assert_int_equal(h_counter(&r, "http.claim.500"), 2);
    h_costs(&r, "claim", 0, 0);
    /* complete does not check the status: it still completes */
    assert_int_equal(h_counter(&r, "http.complete.200"), 2);
    h_msg(&r, "1761868000000-m1aaaaaaa", MS_COMPLETE, MS_COMPLETE);
    h_free(&r);

    /* the script's own fault (a 429 on the first op) wins over the endpoint
     * fault on the same op, which still counts as matched, not fired */
    scenario *s = NULL;
    char text[2048];
    snprintf(text, sizeof text, TWO,
             ", 'faults': [ { 'endpoint': 'complete', 'op': 'any', 'key': 'individual', 'prob': 1, 'kind': 'error' } ]");
    s = h_parse_sq(text);
    sc_call *c = &s->script[1];
    c->faults[0] = (call_fault){ KV_GET, KV_CLASS_INDIVIDUAL, 1, KV_E429 };
    c->nfaults = 1;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "faults.0.matched"), 2); /* each complete's get; both answer 500 */
    assert_int_equal(h_counter(&r, "faults.0.fired"), 1);
    assert_int_equal(h_counter(&r, "kv.failed.429"), 1);
    assert_int_equal(h_counter(&r, "kv.failed.transient"), 1);
    assert_int_equal(h_counter(&r, "http.complete.500"), 2);
    h_free(&r);
}

/* A replayed call (done_us) takes its outcome from its script: endpoint
 * faults leave its pinned operations alone, and apply past the pins. */
static void test_pinned_ops_are_not_faulted(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r, "{ 'duration': '5s', 'faults': [ { 'endpoint': 'post', 'op': 'any', 'key': 'any', 'prob': 1, "
                 "'kind': 'error' } ], 'script': [ "
                 "{ 'at': '1s', 'call': 'post', 'msg': { 'id': '1761868001000-p1aaaaaaa' }, 'done_us': [30000, 50000, 80000] }, "
                 "{ 'at': '2s', 'call': 'post', 'msg': { 'id': '1761868002000-p2bbbbbbb' }, 'done_us': [30000] } ] }",
             "0");
    /* p1: all three ops pinned, none faulted; p2: its first op pinned, its
     * cache get (not pinned) fails and is swallowed */
    assert_int_equal(h_counter(&r, "faults.0.matched"), 1);
    assert_int_equal(h_counter(&r, "faults.0.fired"), 1);
    assert_int_equal(h_counter(&r, "kv.failed.post.get.cache"), 1);
    h_costs(&r, "post", 1, 3);
    h_msg(&r, "1761868001000-p1aaaaaaa", MS_NONE, MS_NONE);
    h_msg(&r, "1761868002000-p2bbbbbbb", -1, MS_NONE);
    h_free(&r);
}

/* Common random numbers: a fault that matches no operation draws nothing,
 * and one that matches but draws from its own stream leaves every other
 * draw (latencies, transient errors, 429s) where it was. */
static void test_faults_draw_from_their_own_stream(void **state)
{
    (void)state;
    /* a busy hour with every KV draw in play */
    static const char *const base = "{ 'duration': '1h', 'seed': 7, 'locations': ['ewr', 'sin'], "
        "'kv': { 'p429': 0.5, 'get_error_prob': 0.01, 'put_error_prob': 0.02, "
        "'latency': { 'get_miss': { 'dist': 'lognormal', 'median': '20ms', 'sigma': 0.6 }, "
        "'put': { 'dist': 'exp', 'mean': '30ms' } } }, "
        "'humans': [ { 'name': 'room', 'rate_per_s': 0.3, 'entity_share': 0.4 }, "
        "{ 'name': 'far', 'location': 'sin', 'rate_per_s': 0.1, 'entity_share': 0.5 } ], "
        "'bots': [ { 'name': 'b1', 'generation': { 'dist': 'exp', 'mean': '3s' }, 'fail_prob': 0.1 }, "
        "{ 'name': 'b2', 'location': 'sin', 'first_poll': '1500ms' } ]%s }";
    static const char *const variants[] = {
        /* matches nothing: no fail calls... */
        ", 'faults': [ { 'endpoint': 'cron', 'op': 'any', 'key': 'any', 'prob': 0.5, 'kind': 'error' } ]",
        /* ...matches every complete's individual put, draws, never fires */
        ", 'faults': [ { 'endpoint': 'complete', 'op': 'put', 'key': 'individual', 'prob': 1e-12, 'kind': 'error' } ]",
        /* matches everything, prob 0 */
        ", 'faults': [ { 'endpoint': 'any', 'op': 'any', 'key': 'any', 'prob': 0, 'kind': 'error' } ]",
    };
    char text[4096];
    h_run clean;
    snprintf(text, sizeof text, base, "");
    h_run_sq(&clean, text, "1");
    assert_true(h_counter(&clean, "kv.failed.transient") > 10);
    assert_true(h_counter(&clean, "kv.failed.429") > 10);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        h_run f;
        snprintf(text, sizeof text, base, variants[v]);
        h_run_sq(&f, text, "1");
        assert_int_equal(h_counter(&f, "faults.0.fired"), 0);
        if (v == 1) /* every complete past its lookup (some lookups fail) */
            assert_true(h_counter(&f, "faults.0.matched") > h_counter(&f, "calls.complete") * 9 / 10);
        same_counters(&clean, &f);
        h_free(&f);
    }
    h_free(&clean);
}

/* The scenario round-trips through sc_to_json with its faults. */
static void test_faults_round_trip(void **state)
{
    (void)state;
    scenario *s = load(CCF), *t = NULL;
    sim_err err = { 0, "" };
    struct cJSON *j = sc_to_json(s, NULL);
    char *text = cJSON_PrintUnformatted(j);
    assert_non_null(strstr(text, "\"faults\":[{\"endpoint\":\"complete\",\"op\":\"get\",\"key\":\"cache\","
                                 "\"prob\":0.02,\"kind\":\"error\"}]"));
    if (sc_parse("rt.json", text, strlen(text), H_LIMITS, &t, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t->nfaults, 1);
    assert_memory_equal(&t->faults[0], &s->faults[0], sizeof s->faults[0]);
    cJSON_free(text);
    cJSON_Delete(j);
    sc_free(s);
    sc_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_complete_cache_update_fails),
        cmocka_unit_test(test_prob_zero_and_one),
        cmocka_unit_test(test_scope_and_precedence),
        cmocka_unit_test(test_pinned_ops_are_not_faulted),
        cmocka_unit_test(test_faults_draw_from_their_own_stream),
        cmocka_unit_test(test_faults_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
