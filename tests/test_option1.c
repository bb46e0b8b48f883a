/* test_option1.c - Option 1, self-heal in pending exactly as proposed
 * (MODEL.md section 5, model/strategies/option1.c), flaws included.
 *
 *  - current-format stuck entries heal at the next poll: that poll reads
 *    1 + v and writes 1, every later poll reads 1;
 *  - a missing individual key is ignored (no fix, no write);
 *  - a legacy-format stuck message is never healed and a legacy pending one
 *    never returned under Option 1, while Option 3 and 1fixed heal it;
 *  - the single blind put loses a message posted while the poll ran (its
 *    cache put lands between the poll's cache get and the poll's put) and
 *    reverts a status update that landed in that window; 1fixed, which
 *    re-reads before its put, keeps both.
 *
 * Every scenario is scripted on one location with constant latencies (get
 * hit 1 ms, get miss 20 ms, put 30 ms) and an explicit kv.p429, so each
 * figure below is exact. A get that a location has not fetched in the last
 * cacheTtl is a miss (20 ms); the initial state is in no location's cache. */
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

/* One location, exact latencies, p429 as given, five plain messages
 * (oldest) then the given messages, and the given script. */
static scenario *room(const char *duration, int p429, const char *messages, const char *script)
{
    return sq("{'duration':'%s','kv':{'p429':%d,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
              "'initial':{'plain':{'count':5},'messages':[%s]},'script':[%s]}",
              duration, p429, messages, script);
}

/* ---- helpers ---- */

/* Every value of the heal latency sample equals want; n of them. */
static void assert_heal_latencies(h_run *r, size_t n, int64_t want)
{
    size_t got = 0;
    const int64_t *v = met_samples_sorted(r->m, met_samples(r->m, "heal_latency_us"), &got);
    assert_int_equal(got, n);
    for (size_t i = 0; i < got; i++)
        if (v[i] != want)
            fail_msg("heal latency %zu is %lld us, expected %lld us", i, (long long)v[i], (long long)want);
}

static void no_failures(const h_run *r)
{
    static const char *const names[] = { "kv.failed.transient", "kv.failed.429", "kv.failed.too-large",
                                         "kv.failed.daily-cap", "kv.failed.op-limit" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (h_counter(r, names[i]) != 0)
            fail_msg("%s is %lld", names[i], (long long)h_counter(r, names[i]));
}

/* ---- 1. current-format stuck entries heal at the next poll ---- */

/* v stuck entries (key terminal, cache not), current key format. Polls at
 * 1, 4, 7 s. Option 1: [KVr:1+v KVw:1], then [KVr:1 KVw:0] twice; the
 * healing put lands at 1 s + 20 ms (cache get, a miss) + v x 20 ms (key
 * gets, misses) + 30 ms, and every episode (open since time 0) heals then.
 * Option 0 pays 1 + v reads on every poll and never writes. */
static void stuck_current(int v, const char *option)
{
    static const char *const st[2][2] = { { "complete", "processing" }, { "failed", "pending" } };
    char msgs[4096];
    size_t len = 0;
    msgs[0] = 0;
    for (int i = 0; i < v; i++)
        len += (size_t)snprintf(msgs + len, sizeof msgs - len,
                                "%s{'id':'17618687000%02d-stuck%04d','entity':'E','stored':'%s','cached':'%s'}",
                                i ? "," : "", i, i, st[i % 2][0], st[i % 2][1]);
    assert_true(len < sizeof msgs);
    h_run r;
    h_run_scenario(&r,
                   room("10s", 1, msgs,
                        "{'at':'1s','call':'pending'},{'at':'4s','call':'pending'},{'at':'7s','call':'pending'}"),
                   option);
    no_failures(&r);
    assert_int_equal(h_npolls(&r), 3);
    if (strcmp(option, "1") == 0) {
        assert_poll(&r, 0, 1 + v, 1, 0);
        assert_poll(&r, 1, 1, 0, 0);
        assert_poll(&r, 2, 1, 0, 0);
        h_costs(&r, "pending", 1 + v + 1 + 1, 1);
        assert_int_equal(h_counter(&r, "kv.writes.key.cache"), 1);
        assert_int_equal(h_counter(&r, "divergence.episodes"), v);
        assert_int_equal(h_counter(&r, "divergence.healed"), v);
        assert_int_equal(h_counter(&r, "stuck.final"), 0);
        assert_heal_latencies(&r, (size_t)v, S + 20 * MS + v * 20 * MS + 30 * MS);
        for (int i = 0; i < v; i++) {
            char id[64];
            snprintf(id, sizeof id, "17618687000%02d-stuck%04d", i, i);
            h_msg(&r, id, i % 2 ? MS_FAILED : MS_COMPLETE, i % 2 ? MS_FAILED : MS_COMPLETE);
        }
    } else {
        for (size_t k = 0; k < 3; k++)
            assert_poll(&r, k, 1 + v, 0, 0);
        h_costs(&r, "pending", 3 * (1 + v), 0);
        assert_int_equal(h_counter(&r, "divergence.healed"), 0);
        assert_int_equal(h_counter(&r, "stuck.final"), v);
    }
    h_free(&r);
}

static void test_heals_current_format_at_next_poll(void **state)
{
    (void)state;
    static const int vs[] = { 1, 2, 4, 12 };
    for (size_t k = 0; k < sizeof vs / sizeof vs[0]; k++) {
        stuck_current(vs[k], "1");
        stuck_current(vs[k], "0");
    }
}

/* A cache entry whose individual key does not exist: Option 1 reads the
 * current key (a miss) and does nothing: 2 reads, no write, every poll.
 * The seed also tries the legacy key (3 reads). */
static void test_missing_key_ignored(void **state)
{
    (void)state;
    const char *msgs = "{'id':'1761868700000-ghostgggg','entity':'E','stored':'absent','cached':'processing'}";
    const char *polls = "{'at':'1s','call':'pending'},{'at':'4s','call':'pending'}";
    h_run r;
    h_run_scenario(&r, room("10s", 1, msgs, polls), "1");
    no_failures(&r);
    assert_poll(&r, 0, 2, 0, 0);
    assert_poll(&r, 1, 2, 0, 0);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    h_msg(&r, "1761868700000-ghostgggg", MS_PROCESSING, -1);
    h_free(&r);
    h_run_scenario(&r, room("10s", 1, msgs, polls), "0");
    assert_poll(&r, 0, 3, 0, 0);
    assert_poll(&r, 1, 3, 0, 0);
    h_free(&r);
}

/* ---- 2. legacy-format messages ---- */

/* L1: legacy key, stored complete, cached processing (stuck). L2: legacy
 * key, pending in both. Polls at 1, 4, 70, 73 s; 2 min. */
static const char *const LEGACY_MSGS =
    "{'id':'1761868000001-legacy001','entity':'E','key':'legacy','stored':'complete','cached':'processing'},"
    "{'id':'1761868000002-legacy002','entity':'E','key':'legacy','stored':'pending','cached':'pending'}";
static const char *const LEGACY_POLLS = "{'at':'1s','call':'pending'},{'at':'4s','call':'pending'},"
                                        "{'at':'70s','call':'pending'},{'at':'73s','call':'pending'}";

/* Option 1 reads only comment:<id>: one miss per entry, 1 + 2 reads a
 * poll, never a write; L1 stays stuck to the end, L2 is never returned. */
static void test_legacy_stuck_under_option1(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, room("2min", 1, LEGACY_MSGS, LEGACY_POLLS), "1");
    no_failures(&r);
    assert_int_equal(h_npolls(&r), 4);
    for (size_t k = 0; k < 4; k++)
        assert_poll(&r, k, 3, 0, 0);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 1);
    assert_int_equal(h_counter(&r, "stuck.final"), 1);
    h_msg(&r, "1761868000001-legacy001", MS_PROCESSING, MS_COMPLETE);
    h_msg(&r, "1761868000002-legacy002", MS_PENDING, MS_PENDING);
    h_free(&r);
}

/* 1fixed verifies with the legacy fallback: the first poll reads 1 + 2 x 2
 * (miss then legacy hit, each) + 1 (the re-read before its put), writes 1
 * and returns L2; then 1 + 2 a poll (L2 only), returned every time. */
static void test_legacy_stuck_under_1fixed(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, room("2min", 1, LEGACY_MSGS, LEGACY_POLLS), "1fixed");
    no_failures(&r);
    assert_poll(&r, 0, 6, 1, 1);
    for (size_t k = 1; k < 4; k++)
        assert_poll(&r, k, 3, 0, 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 1);
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    /* 1 s + 20 (cache) + 4 x 20 (keys, misses) + 1 (re-read, a hit) + 30 */
    assert_heal_latencies(&r, 1, S + 20 * MS + 80 * MS + 1 * MS + 30 * MS);
    h_msg(&r, "1761868000001-legacy001", MS_COMPLETE, MS_COMPLETE);
    h_msg(&r, "1761868000002-legacy002", MS_PENDING, MS_PENDING);
    h_free(&r);
}

/* Option 3's cron (every minute, at 60 s) heals L1; its pending is the
 * seed's, which reads the legacy key: 1 + 2 + 2 before the heal, 1 + 2
 * after, L2 returned every time. */
static void test_legacy_stuck_under_option3(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, room("2min", 1, LEGACY_MSGS, LEGACY_POLLS), "3");
    no_failures(&r);
    assert_poll(&r, 0, 5, 0, 1);
    assert_poll(&r, 1, 5, 0, 1);
    assert_poll(&r, 2, 3, 0, 1);
    assert_poll(&r, 3, 3, 0, 1);
    assert_int_equal(h_counter(&r, "calls.cron"), 1);
    assert_int_equal(h_counter(&r, "kv.writes.cron"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 1);
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    size_t n = 0;
    const int64_t *v = met_samples_sorted(r.m, met_samples(r.m, "heal_latency_us"), &n);
    assert_int_equal(n, 1);
    assert_in_range(v[0], 60 * S, 61 * S);
    h_msg(&r, "1761868000001-legacy001", MS_COMPLETE, MS_COMPLETE);
    h_free(&r);
}

/* ---- 3. the blind put ---- */

/* Four stuck entries, so the poll at 10 s spends 80 ms verifying. A post
 * starting at 10.010 s lands its cache put at 10.071 s: after the poll's
 * cache get (10.020 s) and before its put (10.130 s). p429 is 0, since the
 * poll's put lands 59 ms after the post's. */
static const char *const RACE_MSGS =
    "{'id':'1761868700001-s1sssssss','entity':'E','stored':'complete','cached':'processing'},"
    "{'id':'1761868700002-s2sssssss','entity':'E','stored':'complete','cached':'processing'},"
    "{'id':'1761868700003-s3sssssss','entity':'E','stored':'complete','cached':'processing'},"
    "{'id':'1761868700004-s4sssssss','entity':'E','stored':'complete','cached':'processing'}";
static const char *const RACE_SCRIPT =
    "{'at':'10s','call':'pending'},"
    "{'at':'10010ms','call':'post','msg':{'id':'1761868810010-postppppp','entity':'E'}},"
    "{'at':'13s','call':'pending'}";
#define POSTED "1761868810010-postppppp"

static void test_blind_put_loses_concurrent_post(void **state)
{
    (void)state;
    h_run r;
    tr t;
    run_traced(&r, room("20s", 0, RACE_MSGS, RACE_SCRIPT), "1", &t);
    uint64_t poll = tr_call(&t, "pending", 0), post = tr_call(&t, "post", 0);
    int64_t poll_get = tr_op_t(&t, poll, "get", "recent:comments", 0);
    int64_t post_put = tr_op_t(&t, post, "put", "recent:comments", 0);
    int64_t poll_put = tr_op_t(&t, poll, "put", "recent:comments", 0);
    assert_int_equal(poll_get, 10 * S + 20 * MS);
    assert_int_equal(post_put, 10 * S + 71 * MS);
    assert_int_equal(poll_put, 10 * S + 130 * MS);
    assert_true(poll_get < post_put && post_put < poll_put);
    no_failures(&r);
    assert_int_equal(h_counter(&r, "http.post.201"), 1);
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 1);
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite.pending"), 1);
    assert_int_equal(h_counter(&r, "witness.first_lost_us"), poll_put);
    assert_poll(&r, 0, 5, 1, 0);
    assert_poll(&r, 1, 1, 0, 0); /* the post is never returned */
    h_msg(&r, POSTED, -1, MS_PENDING);
    assert_int_equal(h_counter(&r, "divergence.healed"), 4);
    h_free(&r);
    tr_free(&t);
}

/* 1fixed re-reads the cache right before its put (10.101 s, a hit that
 * sees the post's write): nothing is lost, the next poll returns it. */
static void test_1fixed_keeps_concurrent_post(void **state)
{
    (void)state;
    h_run r;
    tr t;
    run_traced(&r, room("20s", 0, RACE_MSGS, RACE_SCRIPT), "1fixed", &t);
    uint64_t poll = tr_call(&t, "pending", 0), post = tr_call(&t, "post", 0);
    int64_t post_put = tr_op_t(&t, post, "put", "recent:comments", 0);
    int64_t reread = tr_op_t(&t, poll, "get", "recent:comments", 1);
    assert_true(post_put < reread);
    no_failures(&r);
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
    assert_poll(&r, 0, 6, 1, 0);
    assert_poll(&r, 1, 2, 0, 1);
    h_msg(&r, POSTED, MS_PENDING, MS_PENDING);
    assert_int_equal(h_counter(&r, "divergence.healed"), 4);
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    h_free(&r);
    tr_free(&t);
}

/* The same blind put reverts a status update. X is processing in key and
 * cache; its complete starts at 10.015 s, so the poll's read of X's key
 * (10.040 s) still sees processing, and the complete's cache put lands at
 * 10.096 s, before the poll's put (10.130 s). Option 1 puts X back to
 * processing: a new episode, opened by the poll's put, healed only by the
 * next poll (which pays a read and a write for it). 1fixed re-reads at
 * 10.101 s and keeps X complete. */
static void test_blind_put_reverts_concurrent_complete(void **state)
{
    (void)state;
    const char *msgs = "{'id':'1761868700000-xxxxxxxxx','entity':'E','stored':'processing','cached':'processing'},"
                       "{'id':'1761868700001-s1sssssss','entity':'E','stored':'complete','cached':'processing'},"
                       "{'id':'1761868700002-s2sssssss','entity':'E','stored':'complete','cached':'processing'},"
                       "{'id':'1761868700003-s3sssssss','entity':'E','stored':'complete','cached':'processing'}";
    const char *script = "{'at':'10s','call':'pending'},"
                         "{'at':'10015ms','call':'complete','msg':'1761868700000-xxxxxxxxx'}";
    const char *script_more = "{'at':'10s','call':'pending'},"
                              "{'at':'10015ms','call':'complete','msg':'1761868700000-xxxxxxxxx'},"
                              "{'at':'13s','call':'pending'}";
    for (int fixed = 0; fixed <= 1; fixed++) {
        h_run r;
        tr t;
        run_traced(&r, room("12s", 0, msgs, script), fixed ? "1fixed" : "1", &t);
        uint64_t poll = tr_call(&t, "pending", 0), done = tr_call(&t, "complete", 0);
        assert_int_equal(tr_op_t(&t, done, "put", "recent:comments", 0), 10 * S + 96 * MS);
        assert_int_equal(tr_op_t(&t, poll, "put", "recent:comments", 0), 10 * S + (fixed ? 131 : 130) * MS);
        no_failures(&r);
        assert_poll(&r, 0, 1 + 4 + fixed, 1, 0);
        if (fixed) {
            h_msg(&r, "1761868700000-xxxxxxxxx", MS_COMPLETE, MS_COMPLETE);
            assert_int_equal(h_counter(&r, "divergence.episodes"), 3);
            assert_int_equal(h_counter(&r, "stuck.final"), 0);
        } else {
            h_msg(&r, "1761868700000-xxxxxxxxx", MS_PROCESSING, MS_COMPLETE);
            assert_int_equal(h_counter(&r, "divergence.episodes"), 4);
            assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 1);
            assert_int_equal(h_counter(&r, "stuck.final"), 1);
        }
        h_free(&r);
        tr_free(&t);
    }
    /* with the 13 s poll: Option 1 heals X again at the cost of a write */
    for (int fixed = 0; fixed <= 1; fixed++) {
        h_run r;
        h_run_scenario(&r, room("20s", 0, msgs, script_more), fixed ? "1fixed" : "1");
        assert_poll(&r, 1, fixed ? 1 : 2, fixed ? 0 : 1, 0);
        h_msg(&r, "1761868700000-xxxxxxxxx", MS_COMPLETE, MS_COMPLETE);
        assert_int_equal(h_counter(&r, "divergence.healed"), fixed ? 3 : 4);
        h_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heals_current_format_at_next_poll),
        cmocka_unit_test(test_missing_key_ignored),
        cmocka_unit_test(test_legacy_stuck_under_option1),
        cmocka_unit_test(test_legacy_stuck_under_1fixed),
        cmocka_unit_test(test_legacy_stuck_under_option3),
        cmocka_unit_test(test_blind_put_loses_concurrent_post),
        cmocka_unit_test(test_1fixed_keeps_concurrent_post),
        cmocka_unit_test(test_blind_put_reverts_concurrent_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
