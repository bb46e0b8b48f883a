/* test_endpoints.c - each endpoint's KV cost without faults, against the
 * table in MODEL.md section 2: post 1r/2w, pending 1 + v reads (+1 per
 * legacy fallback), claim/complete/fail 2r/2w; claim of a non-pending
 * message is a 409 after one read; Option 1 never reads the legacy key.
 *
 * Every scenario is scripted, with constant latencies (get 10 ms, put
 * 30 ms) and calls 2 s apart, so nothing overlaps and no same-key write
 * comes within 1 s of another (p429 is set to 1, so such a write would be
 * refused every time and show up as a missing write and in
 * kv.failed.429). Costs are read from the per-endpoint
 * counters kv.reads.<ep> / kv.writes.<ep> and, for pending, also from the
 * poll row the bot would log as [KVr:n KVw:n]. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

static const char *const options[] = { "0", "1" };
#define NOPTIONS (sizeof options / sizeof options[0])

/* A 30 s scenario on one location with five plain messages (oldest), the
 * given initial messages and the given script; single-quoted JSON. */
static void run_ep(h_run *r, const char *option, const char *messages, const char *script)
{
    static char text[65536];
    int n = snprintf(text, sizeof text,
                     "{'name':'endpoints','duration':'30s','options':['0','1'],"
                     "'kv':{'p429':1,'latency':{'get_hit':'10ms','get_miss':'10ms','put':'30ms'}},"
                     "'initial':{'plain':{'count':5,'bytes':400},'messages':[%s]},"
                     "'script':[%s]}",
                     messages, script);
    assert_true(n > 0 && (size_t)n < sizeof text);
    h_run_sq(r, text, option);
}

/* No KV operation failed, so every cost below is the fault-free cost. */
static void no_failures(const h_run *r)
{
    static const char *const names[] = { "kv.failed.transient", "kv.failed.429", "kv.failed.too-large",
                                         "kv.failed.daily-cap", "kv.failed.op-limit" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (h_counter(r, names[i]) != 0)
            fail_msg("%s is %lld", names[i], (long long)h_counter(r, names[i]));
}

static void assert_poll(const h_run *r, size_t k, int64_t kvr, int64_t kvw, int64_t returned)
{
    const int64_t *row = h_poll(r, k);
    if (row[H_KVR] != kvr || row[H_KVW] != kvw || row[H_RET] != returned || row[H_STATUS] != 200)
        fail_msg("poll %zu: [KVr:%lld KVw:%lld] returned %lld status %lld, expected [KVr:%lld KVw:%lld] "
                 "returned %lld status 200",
                 k + 1, (long long)row[H_KVR], (long long)row[H_KVW], (long long)row[H_RET],
                 (long long)row[H_STATUS], (long long)kvr, (long long)kvw, (long long)returned);
}

static void test_post_1r_2w(void **state)
{
    (void)state;
    for (size_t o = 0; o < NOPTIONS; o++) {
        h_run r;
        run_ep(&r, options[o], "",
               "{'at':'1s','call':'post','msg':{'id':'m-new','entity':'Alice','bytes':600}},"
               "{'at':'3s','call':'post','msg':{'id':'m-plain','bytes':300}}");
        no_failures(&r);
        h_costs(&r, "post", 2, 4);
        assert_int_equal(h_counter(&r, "calls.post"), 2);
        assert_int_equal(h_counter(&r, "http.post.201"), 2);
        assert_int_equal(h_counter(&r, "kv.reads"), 2);
        assert_int_equal(h_counter(&r, "kv.writes"), 4);
        /* one individual put and one cache get + put per post */
        assert_int_equal(h_counter(&r, "kv.reads.key.cache"), 2);
        assert_int_equal(h_counter(&r, "kv.reads.key.individual"), 0);
        assert_int_equal(h_counter(&r, "kv.writes.key.cache"), 2);
        assert_int_equal(h_counter(&r, "kv.writes.key.individual"), 2);
        h_msg(&r, "m-new", MS_PENDING, MS_PENDING);
        h_msg(&r, "m-plain", MS_NONE, MS_NONE);
        assert_int_equal(h_npolls(&r), 0);
        h_free(&r);
    }
}

/* v non-terminal bot entries in the cache: 1 + v reads, 0 writes. Terminal
 * entries, plain chat and AI replies are never verified. */
static void pending_with(const char *option, int npending, int nprocessing)
{
    static char msgs[32768];
    size_t len = 0;
    msgs[0] = 0;
#define ADD(...) len += (size_t)snprintf(msgs + len, sizeof msgs - len, __VA_ARGS__)
    ADD("{'id':'c1','entity':'E','stored':'complete','cached':'complete'},"
        "{'id':'f1','entity':'E','stored':'failed','cached':'failed'},"
        "{'id':'ai1','type':'ai'},{'id':'h1'}");
    for (int i = 0; i < npending; i++)
        ADD(",{'id':'p%d','entity':'E','stored':'pending','cached':'pending'}", i);
    for (int i = 0; i < nprocessing; i++)
        ADD(",{'id':'q%d','entity':'E','stored':'processing','cached':'processing'}", i);
#undef ADD
    assert_true(len < sizeof msgs);
    h_run r;
    run_ep(&r, option, msgs, "{'at':'1s','call':'pending'},{'at':'3s','call':'pending'}");
    int v = npending + nprocessing;
    no_failures(&r);
    assert_int_equal(h_npolls(&r), 2);
    assert_poll(&r, 0, 1 + v, 0, npending);
    assert_poll(&r, 1, 1 + v, 0, npending);
    assert_int_equal(h_poll(&r, 0)[H_BOT], -1); /* a scripted call, not a bot's */
    h_costs(&r, "pending", 2 * (1 + v), 0);
    assert_int_equal(h_counter(&r, "kv.reads.key.cache"), 2);
    assert_int_equal(h_counter(&r, "kv.reads.key.individual"), 2 * v);
    assert_int_equal(h_counter(&r, "http.pending.200"), 2);
    h_free(&r);
}

static void test_pending_1_plus_v(void **state)
{
    (void)state;
    for (size_t o = 0; o < NOPTIONS; o++) {
        pending_with(options[o], 0, 0);
        pending_with(options[o], 1, 0);
        pending_with(options[o], 0, 1);
        pending_with(options[o], 3, 4);
        pending_with(options[o], 40, 0);
    }
}

static void test_claim_2r_2w(void **state)
{
    (void)state;
    for (size_t o = 0; o < NOPTIONS; o++) {
        h_run r;
        run_ep(&r, options[o], "{'id':'m1','entity':'E','stored':'pending','cached':'pending'}",
               "{'at':'1s','call':'claim','msg':'m1'}");
        no_failures(&r);
        h_costs(&r, "claim", 2, 2);
        assert_int_equal(h_counter(&r, "http.claim.200"), 1);
        assert_int_equal(h_counter(&r, "kv.writes.key.cache"), 1);
        assert_int_equal(h_counter(&r, "kv.writes.key.individual"), 1);
        h_msg(&r, "m1", MS_PROCESSING, MS_PROCESSING);
        h_free(&r);
    }
}

static void test_complete_and_fail_2r_2w(void **state)
{
    (void)state;
    for (size_t o = 0; o < NOPTIONS; o++) {
        h_run r;
        run_ep(&r, options[o],
               "{'id':'m1','entity':'E','stored':'processing','cached':'processing'},"
               "{'id':'m2','entity':'E','stored':'processing','cached':'processing'}",
               "{'at':'1s','call':'complete','msg':'m1'},{'at':'3s','call':'fail','msg':'m2'}");
        no_failures(&r);
        h_costs(&r, "complete", 2, 2);
        h_costs(&r, "fail", 2, 2);
        assert_int_equal(h_counter(&r, "http.complete.200"), 1);
        assert_int_equal(h_counter(&r, "http.fail.200"), 1);
        h_msg(&r, "m1", MS_COMPLETE, MS_COMPLETE);
        h_msg(&r, "m2", MS_FAILED, MS_FAILED);
        assert_int_equal(h_counter(&r, "cache_update.entry_missing"), 0);
        assert_int_equal(h_counter(&r, "stuck.final"), 0);
        h_free(&r);
    }
}

/* post, poll, claim, complete, poll: the totals add up, and after the
 * cycle the poll is back to the single cache read. */
static void test_full_cycle(void **state)
{
    (void)state;
    for (size_t o = 0; o < NOPTIONS; o++) {
        h_run r;
        run_ep(&r, options[o], "",
               "{'at':'0s','call':'post','msg':{'id':'m1','entity':'E'}},"
               "{'at':'2s','call':'pending'},"
               "{'at':'4s','call':'claim','msg':'m1'},"
               "{'at':'6s','call':'complete','msg':'m1'},"
               "{'at':'8s','call':'pending'}");
        no_failures(&r);
        h_costs(&r, "post", 1, 2);
        h_costs(&r, "pending", 3, 0);
        h_costs(&r, "claim", 2, 2);
        h_costs(&r, "complete", 2, 2);
        h_costs(&r, "fail", 0, 0);
        assert_int_equal(h_counter(&r, "kv.reads"), 8);
        assert_int_equal(h_counter(&r, "kv.writes"), 6);
        assert_poll(&r, 0, 2, 0, 1);
        assert_poll(&r, 1, 1, 0, 0);
        h_msg(&r, "m1", MS_COMPLETE, MS_COMPLETE);
        assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
        h_free(&r);
    }
}

/* A legacy-key message whose cache status is not terminal: the seed reads
 * comment:<id> (a miss), then comment:<ts>:<id>: 2 reads. Option 1 reads
 * only the current key: 1 read, the miss is ignored, nothing is healed. */
static void test_legacy_fallback(void **state)
{
    (void)state;
    const char *msgs = "{'id':'1761900000000-legacy001','entity':'E','key':'legacy','stored':'complete',"
                       "'cached':'processing'}";
    const char *polls = "{'at':'1s','call':'pending'},{'at':'4s','call':'pending'}";
    h_run r;

    run_ep(&r, "0", msgs, polls);
    no_failures(&r);
    assert_poll(&r, 0, 3, 0, 0);
    assert_poll(&r, 1, 3, 0, 0);
    assert_int_equal(h_counter(&r, "kv.reads.key.individual"), 4);
    h_msg(&r, "1761900000000-legacy001", MS_PROCESSING, MS_COMPLETE);
    assert_int_equal(h_counter(&r, "stuck.final"), 1);
    h_free(&r);

    run_ep(&r, "1", msgs, polls);
    no_failures(&r);
    assert_poll(&r, 0, 2, 0, 0);
    assert_poll(&r, 1, 2, 0, 0);
    assert_int_equal(h_counter(&r, "kv.reads.key.individual"), 2);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    h_msg(&r, "1761900000000-legacy001", MS_PROCESSING, MS_COMPLETE);
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    assert_int_equal(h_counter(&r, "stuck.final"), 1);
    h_free(&r);
}

/* A pending legacy message: the seed returns it (3 reads); Option 1 never
 * does (2 reads, returned 0): its flaw, as MODEL.md section 5 asks. */
static void test_legacy_pending_returned_only_by_seed(void **state)
{
    (void)state;
    const char *msgs = "{'id':'1761900000000-legacy002','entity':'E','key':'legacy','stored':'pending',"
                       "'cached':'pending'}";
    h_run r;
    run_ep(&r, "0", msgs, "{'at':'1s','call':'pending'}");
    assert_poll(&r, 0, 3, 0, 1);
    h_free(&r);
    run_ep(&r, "1", msgs, "{'at':'1s','call':'pending'}");
    assert_poll(&r, 0, 2, 0, 0);
    h_free(&r);
}

/* claim's lookup has the same fallback: 3 reads for a legacy message, and
 * the put goes to the legacy key. */
static void test_claim_legacy_3r_2w(void **state)
{
    (void)state;
    for (size_t o = 0; o < NOPTIONS; o++) {
        h_run r;
        run_ep(&r, options[o],
               "{'id':'1761900000000-legacy003','entity':'E','key':'legacy','stored':'pending','cached':'pending'}",
               "{'at':'1s','call':'claim','msg':'1761900000000-legacy003'}");
        no_failures(&r);
        h_costs(&r, "claim", 3, 2);
        assert_int_equal(h_counter(&r, "http.claim.200"), 1);
        h_msg(&r, "1761900000000-legacy003", MS_PROCESSING, MS_PROCESSING);
        h_free(&r);
    }
}

/* claim refuses (409) unless the stored status is pending: one read, no
 * write, nothing changes. A second claim of the same message is a 409. */
static void test_claim_non_pending_409(void **state)
{
    (void)state;
    for (size_t o = 0; o < NOPTIONS; o++) {
        h_run r;
        run_ep(&r, options[o],
               "{'id':'busy','entity':'E','stored':'processing','cached':'processing'},"
               "{'id':'done','entity':'E','stored':'complete','cached':'pending'},"
               "{'id':'free','entity':'E','stored':'pending','cached':'pending'}",
               "{'at':'1s','call':'claim','msg':'busy'},"
               "{'at':'3s','call':'claim','msg':'done'},"
               "{'at':'5s','call':'claim','msg':'free'},"
               "{'at':'7s','call':'claim','msg':'free'}");
        no_failures(&r);
        assert_int_equal(h_counter(&r, "http.claim.409"), 3);
        assert_int_equal(h_counter(&r, "http.claim.200"), 1);
        h_costs(&r, "claim", 1 + 1 + 2 + 1, 2);
        h_msg(&r, "busy", MS_PROCESSING, MS_PROCESSING);
        h_msg(&r, "done", MS_PENDING, MS_COMPLETE);
        h_msg(&r, "free", MS_PROCESSING, MS_PROCESSING);
        h_free(&r);
    }
}

/* No individual key in either format: 404 after two reads. */
static void test_claim_missing_key_404(void **state)
{
    (void)state;
    h_run r;
    run_ep(&r, "0", "{'id':'ghost','entity':'E','stored':'absent','cached':'pending'}",
           "{'at':'1s','call':'claim','msg':'ghost'}");
    assert_int_equal(h_counter(&r, "http.claim.404"), 1);
    h_costs(&r, "claim", 2, 0);
    h_msg(&r, "ghost", MS_PENDING, -1);
    h_free(&r);
}

/* Option 1 on a current-key stuck entry: 2 reads and the healing write,
 * then the single cache read. Option 0 pays 2 reads on every poll. */
static void test_option1_heal_cost(void **state)
{
    (void)state;
    const char *msgs = "{'id':'s1','entity':'E','stored':'complete','cached':'processing'}";
    const char *polls = "{'at':'1s','call':'pending'},{'at':'4s','call':'pending'},{'at':'7s','call':'pending'}";
    h_run r;
    run_ep(&r, "0", msgs, polls);
    for (size_t k = 0; k < 3; k++)
        assert_poll(&r, k, 2, 0, 0);
    h_msg(&r, "s1", MS_PROCESSING, MS_COMPLETE);
    h_free(&r);

    run_ep(&r, "1", msgs, polls);
    no_failures(&r);
    assert_poll(&r, 0, 2, 1, 0);
    assert_poll(&r, 1, 1, 0, 0);
    assert_poll(&r, 2, 1, 0, 0);
    h_costs(&r, "pending", 4, 1);
    assert_int_equal(h_counter(&r, "kv.writes.key.cache"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 1);
    h_msg(&r, "s1", MS_COMPLETE, MS_COMPLETE);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_1r_2w),
        cmocka_unit_test(test_pending_1_plus_v),
        cmocka_unit_test(test_claim_2r_2w),
        cmocka_unit_test(test_complete_and_fail_2r_2w),
        cmocka_unit_test(test_full_cycle),
        cmocka_unit_test(test_legacy_fallback),
        cmocka_unit_test(test_legacy_pending_returned_only_by_seed),
        cmocka_unit_test(test_claim_legacy_3r_2w),
        cmocka_unit_test(test_claim_non_pending_409),
        cmocka_unit_test(test_claim_missing_key_404),
        cmocka_unit_test(test_option1_heal_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
