/* test_option2.c - Option 2, the robust original update (MODEL.md section
 * 5, model/strategies/option2.c): the cache update of claim, complete and
 * fail re-reads the cache and retries with exponential backoff.
 *
 *  - a first cache put failing with a transient error is retried once and
 *    the entry ends right, for claim, complete and fail (Option 0 leaves
 *    it stale); a failing cache get is retried too; a corrupt cache is
 *    re-read on every try until the update gives up;
 *  - two 429s on the hot key: the retries wait 1 s, then 2 s, measured in
 *    the trace between the failed put and the next try; a real 429 (a
 *    post's cache write 20 ms earlier) is outlived by the first retry;
 *  - retry_max_attempts is honoured: when every try fails, exactly that
 *    many puts are made, then cache_update.gave_up;
 *  - an entry that aged out of the window is not retried
 *    (cache_update.entry_missing, no retry, no cache put).
 *
 * Scripted calls on one location, constant latencies (get hit 1 ms, miss
 * 20 ms, put 30 ms), explicit kv.p429, faults forced with a script "fail"
 * list, so every time below is exact. A complete at 1 s: key get 1.020 s
 * (a miss), key put 1.050 s, cache get 1.070 s (a miss), cache put
 * 1.100 s; a retry after backoff b re-reads the cache from the location
 * (a hit, 1 ms) and puts 30 ms later. */
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
 * (oldest) then the given messages and script; extra is inserted at the
 * top level (e.g. "'strategy':{...},"). */
static scenario *room(const char *duration, int p429, const char *extra, const char *messages, const char *script)
{
    return sq("{'duration':'%s',%s'kv':{'p429':%d,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
              "'initial':{'plain':{'count':5},'messages':[%s]},'script':[%s]}",
              duration, extra, p429, messages, script);
}

/* The cache operations (op "get" or "put") of call id, in order: their
 * completion times and results. Returns how many. */
static int cache_ops(const tr *t, uint64_t id, const char *op, int64_t *times, char (*results)[24], int max)
{
    int n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->l[i].type == 'k' && t->l[i].call == id && strcmp(t->l[i].op, op) == 0 &&
            strcmp(t->l[i].key, "recent:comments") == 0) {
            assert_true(n < max);
            times[n] = t->l[i].t;
            if (results)
                snprintf(results[n], sizeof results[n], "%s", t->l[i].result);
            n++;
        }
    return n;
}

#define M1 "1761868700001-m1mmmmmmm"

/* ---- 1. a transient error on the first cache put ---- */

/* claim, complete and fail share the hook: each with its first cache put
 * failing. Option 2: one retry 1 s later re-reads the cache (a hit) and
 * puts; the entry ends at the target status; 3 reads (key, cache twice)
 * and 2 writes; no episode ever opens (the request fixed it before it
 * ended). Option 0: the error is swallowed, the entry stays stale. */
static void test_transient_error_retried(void **state)
{
    (void)state;
    static const struct { const char *ep, *before; int target; } cases[] = {
        { "claim", "pending", MS_PROCESSING },
        { "complete", "processing", MS_COMPLETE },
        { "fail", "processing", MS_FAILED },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char msgs[256], script[512], name[64];
        snprintf(msgs, sizeof msgs, "{'id':'%s','entity':'E','stored':'%s','cached':'%s'}", M1, cases[k].before,
                 cases[k].before);
        snprintf(script, sizeof script,
                 "{'at':'1s','call':'%s','msg':'%s','fail':[{'op':'put','key':'cache','nth':1,'kind':'error'}]}",
                 cases[k].ep, M1);
        for (int opt2 = 0; opt2 <= 1; opt2++) {
            h_run r;
            tr t;
            run_traced(&r, room("20s", 1, "", msgs, script), opt2 ? "2" : "0", &t);
            uint64_t id = tr_call(&t, cases[k].ep, 0);
            int64_t gets[8], puts[8];
            char res[8][24];
            int ng = cache_ops(&t, id, "get", gets, NULL, 8), np = cache_ops(&t, id, "put", puts, res, 8);
            assert_int_equal(h_counter(&r, "cache_update.swallowed.transient"), 1);
            assert_int_equal(h_counter(&r, "kv.failed.transient"), 1);
            assert_int_equal(h_counter(&r, "kv.failed.429"), 0);
            assert_int_equal(h_counter(&r, "cache_update.gave_up"), 0);
            snprintf(name, sizeof name, "http.%s.200", cases[k].ep);
            assert_int_equal(h_counter(&r, name), 1);
            assert_int_equal(gets[0], S + 70 * MS);
            assert_int_equal(puts[0], S + 100 * MS);
            assert_string_equal(res[0], "error:transient");
            if (opt2) {
                assert_int_equal(ng, 2);
                assert_int_equal(np, 2);
                assert_int_equal(gets[1], 2 * S + 101 * MS); /* 1 s backoff, then a 1 ms hit */
                assert_int_equal(puts[1], 2 * S + 131 * MS);
                assert_string_equal(res[1], "ok");
                assert_int_equal(h_counter(&r, "cache_update.retries"), 1);
                h_costs(&r, cases[k].ep, 3, 2);
                h_msg(&r, M1, cases[k].target, cases[k].target);
                assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
                assert_int_equal(h_counter(&r, "stuck.final"), 0);
            } else {
                assert_int_equal(ng, 1);
                assert_int_equal(np, 1);
                assert_int_equal(h_counter(&r, "cache_update.retries"), 0);
                h_costs(&r, cases[k].ep, 2, 1);
                h_msg(&r, M1, msg_status_parse(cases[k].before), cases[k].target);
                assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
                assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 1);
                assert_int_equal(h_counter(&r, "stuck.final"), cases[k].target == MS_PROCESSING ? 0 : 1);
            }
            h_free(&r);
            tr_free(&t);
        }
    }
}

/* The cache get fails instead: the retry re-reads after 1 s. The failed
 * get fetched nothing, so the re-read is a miss (20 ms). Option 0 gives up
 * at once. */
static void test_failed_cache_get_retried(void **state)
{
    (void)state;
    char msgs[256], script[512];
    snprintf(msgs, sizeof msgs, "{'id':'%s','entity':'E','stored':'processing','cached':'processing'}", M1);
    snprintf(script, sizeof script,
             "{'at':'1s','call':'complete','msg':'%s','fail':[{'op':'get','key':'cache','nth':1,'kind':'error'}]}",
             M1);
    for (int opt2 = 0; opt2 <= 1; opt2++) {
        h_run r;
        tr t;
        run_traced(&r, room("20s", 1, "", msgs, script), opt2 ? "2" : "0", &t);
        uint64_t id = tr_call(&t, "complete", 0);
        int64_t gets[4], puts[4];
        char res[4][24];
        int ng = cache_ops(&t, id, "get", gets, res, 4);
        assert_int_equal(gets[0], S + 70 * MS);
        assert_string_equal(res[0], "error:transient");
        assert_int_equal(h_counter(&r, "cache_update.swallowed.transient"), 1);
        if (opt2) {
            assert_int_equal(ng, 2);
            assert_int_equal(gets[1], 2 * S + 90 * MS);
            assert_int_equal(cache_ops(&t, id, "put", puts, NULL, 4), 1);
            assert_int_equal(puts[0], 2 * S + 120 * MS);
            assert_int_equal(h_counter(&r, "cache_update.retries"), 1);
            h_costs(&r, "complete", 2, 2);
            h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
        } else {
            assert_int_equal(ng, 1);
            assert_int_equal(cache_ops(&t, id, "put", puts, NULL, 4), 0);
            h_costs(&r, "complete", 1, 1);
            h_msg(&r, M1, MS_PROCESSING, MS_COMPLETE);
        }
        h_free(&r);
        tr_free(&t);
    }
}

/* A corrupt cache is an error like any other to Option 2: every try
 * re-reads it, fails to parse it, and after retry_max_attempts (5) tries
 * the update gives up; no put is ever made. */
static void test_corrupt_cache_gives_up(void **state)
{
    (void)state;
    char msgs[256], script[512];
    snprintf(msgs, sizeof msgs, "{'id':'%s','entity':'E','stored':'processing','cached':'processing'}", M1);
    snprintf(script, sizeof script,
             "{'at':'500ms','call':'corrupt-cache'},{'at':'1s','call':'complete','msg':'%s'}", M1);
    h_run r;
    tr t;
    run_traced(&r, room("1min", 1, "", msgs, script), "2", &t);
    uint64_t id = tr_call(&t, "complete", 0);
    int64_t ops[8];
    assert_int_equal(cache_ops(&t, id, "get", ops, NULL, 8), 5);
    assert_int_equal(cache_ops(&t, id, "put", ops, NULL, 8), 0);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.parse"), 5);
    assert_int_equal(h_counter(&r, "cache_update.retries"), 4);
    assert_int_equal(h_counter(&r, "cache_update.gave_up"), 1);
    assert_int_equal(h_counter(&r, "http.complete.200"), 1);
    h_costs(&r, "complete", 6, 1);
    h_free(&r);
    tr_free(&t);
}

/* ---- 2. 429 on the hot key: backoff 1 s, then 2 s ---- */

/* Two scripted 429s. The put times differ by backoff + the re-read (a 1 ms
 * hit) + the put (30 ms): 1.031 s, then 2.031 s; each re-read completes
 * backoff + 1 ms after the failed put. With retry_first_backoff 250ms the
 * waits are 250 ms and 500 ms. */
static void test_429_backoff_doubles(void **state)
{
    (void)state;
    static const struct { const char *extra; sim_us first; } cases[] = {
        { "", S },
        { "'strategy':{'retry_first_backoff':'250ms'},", 250 * MS },
    };
    char msgs[256], script[512];
    snprintf(msgs, sizeof msgs, "{'id':'%s','entity':'E','stored':'processing','cached':'processing'}", M1);
    snprintf(script, sizeof script,
             "{'at':'1s','call':'complete','msg':'%s','fail':[{'op':'put','key':'cache','nth':1,'kind':'429'},"
             "{'op':'put','key':'cache','nth':2,'kind':'429'}]}",
             M1);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        h_run r;
        tr t;
        run_traced(&r, room("20s", 1, cases[k].extra, msgs, script), "2", &t);
        uint64_t id = tr_call(&t, "complete", 0);
        int64_t gets[8], puts[8];
        char res[8][24];
        assert_int_equal(cache_ops(&t, id, "get", gets, NULL, 8), 3);
        assert_int_equal(cache_ops(&t, id, "put", puts, res, 8), 3);
        assert_string_equal(res[0], "error:429");
        assert_string_equal(res[1], "error:429");
        assert_string_equal(res[2], "ok");
        sim_us b = cases[k].first;
        assert_int_equal(puts[0], S + 100 * MS);
        assert_int_equal(gets[1] - puts[0], b + 1 * MS);
        assert_int_equal(puts[1] - puts[0], b + 1 * MS + 30 * MS);
        assert_int_equal(gets[2] - puts[1], 2 * b + 1 * MS);
        assert_int_equal(puts[2] - puts[1], 2 * b + 1 * MS + 30 * MS);
        assert_int_equal(h_counter(&r, "cache_update.retries"), 2);
        assert_int_equal(h_counter(&r, "cache_update.swallowed.429"), 2);
        assert_int_equal(h_counter(&r, "kv.failed.429"), 2);
        assert_int_equal(h_counter(&r, "cache_update.gave_up"), 0);
        h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
        h_free(&r);
        tr_free(&t);
    }
}

/* A real 429, not a scripted one: a post at the same moment lands its
 * cache put at 1.080 s, so the complete's at 1.100 s is 20 ms too soon
 * (p429 1). Option 2's retry lands at 2.131 s, 1.051 s after the post's:
 * accepted; it re-read the cache, so the post survives too. Option 0
 * swallows the 429 and leaves the entry stuck. */
static void test_real_429_then_retry(void **state)
{
    (void)state;
    char msgs[256], script[512];
    snprintf(msgs, sizeof msgs, "{'id':'%s','entity':'E','stored':'processing','cached':'processing'}", M1);
    snprintf(script, sizeof script,
             "{'at':'1s','call':'complete','msg':'%s'},"
             "{'at':'1s','call':'post','msg':{'id':'1761868801000-postppppp','entity':'E'}}",
             M1);
    for (int opt2 = 0; opt2 <= 1; opt2++) {
        h_run r;
        tr t;
        run_traced(&r, room("20s", 1, "", msgs, script), opt2 ? "2" : "0", &t);
        int64_t post_put[2], puts[4];
        char res[4][24];
        assert_int_equal(cache_ops(&t, tr_call(&t, "post", 0), "put", post_put, NULL, 2), 1);
        assert_int_equal(post_put[0], S + 80 * MS);
        int np = cache_ops(&t, tr_call(&t, "complete", 0), "put", puts, res, 4);
        assert_int_equal(puts[0], S + 100 * MS);
        assert_string_equal(res[0], "error:429");
        assert_int_equal(h_counter(&r, "kv.failed.429"), 1);
        assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
        h_msg(&r, "1761868801000-postppppp", MS_PENDING, MS_PENDING);
        if (opt2) {
            assert_int_equal(np, 2);
            assert_int_equal(puts[1], 2 * S + 131 * MS);
            assert_string_equal(res[1], "ok");
            h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
            assert_int_equal(h_counter(&r, "stuck.final"), 0);
        } else {
            assert_int_equal(np, 1);
            h_msg(&r, M1, MS_PROCESSING, MS_COMPLETE);
            assert_int_equal(h_counter(&r, "stuck.final"), 1);
        }
        h_free(&r);
        tr_free(&t);
    }
}

/* ---- 3. retry_max_attempts ---- */

/* Every try fails: exactly max tries (cache puts), max - 1 retries, then
 * one give-up; the entry stays stuck. Puts land at 1.100 s and then
 * 2^k - 1 s + 31 ms x k later (backoffs 1, 2, 4, ... s). When one more try
 * is allowed than there are faults, it succeeds. */
static void max_attempts_case(int max, int nfail)
{
    char msgs[256], script[1024], extra[128];
    size_t len = 0;
    snprintf(msgs, sizeof msgs, "{'id':'%s','entity':'E','stored':'processing','cached':'processing'}", M1);
    snprintf(extra, sizeof extra, "'strategy':{'retry_max_attempts':%d},", max);
    len += (size_t)snprintf(script, sizeof script, "{'at':'1s','call':'complete','msg':'%s','fail':[", M1);
    for (int k = 1; k <= nfail; k++)
        len += (size_t)snprintf(script + len, sizeof script - len,
                                "%s{'op':'put','key':'cache','nth':%d,'kind':'error'}", k > 1 ? "," : "", k);
    snprintf(script + len, sizeof script - len, "]}");
    h_run r;
    tr t;
    run_traced(&r, room("1min", 1, extra, msgs, script), "2", &t);
    assert_int_equal(r.s->strategy.retry_max_attempts, max);
    int64_t puts[80];
    char res[80][24];
    int tries = nfail < max ? nfail + 1 : max;
    int np = cache_ops(&t, tr_call(&t, "complete", 0), "put", puts, res, 80);
    assert_int_equal(np, tries);
    for (int k = 0; k < np; k++) {
        sim_us want = S + 100 * MS + ((INT64_C(1) << k) - 1) * S + k * 31 * MS;
        if (puts[k] != want)
            fail_msg("max %d: try %d put at %lld us, expected %lld us", max, k + 1, (long long)puts[k],
                     (long long)want);
        assert_string_equal(res[k], k < nfail ? "error:transient" : "ok");
    }
    assert_int_equal(h_counter(&r, "cache_update.retries"), tries - 1);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.transient"), nfail < max ? nfail : max);
    assert_int_equal(h_counter(&r, "cache_update.gave_up"), nfail >= max);
    h_costs(&r, "complete", 1 + tries, nfail >= max ? 1 : 2);
    if (nfail >= max) {
        h_msg(&r, M1, MS_PROCESSING, MS_COMPLETE);
        assert_int_equal(h_counter(&r, "stuck.final"), 1);
    } else {
        h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
        assert_int_equal(h_counter(&r, "stuck.final"), 0);
    }
    h_free(&r);
    tr_free(&t);
}

static void test_max_attempts_honoured(void **state)
{
    (void)state;
    max_attempts_case(1, 1); /* one try: no retry at all */
    max_attempts_case(2, 2);
    max_attempts_case(3, 3);
    max_attempts_case(3, 4); /* a fault past the last try changes nothing */
    max_attempts_case(4, 4);
    max_attempts_case(5, 4); /* the default: the 5th try succeeds */
    max_attempts_case(3, 2);
}

/* Without a "strategy" object: 5 tries, first backoff 1 s, as documented. */
static void test_defaults(void **state)
{
    (void)state;
    scenario *s = room("10s", 1, "", "", "");
    assert_int_equal(s->strategy.retry_max_attempts, 5);
    assert_int_equal(s->strategy.retry_first_backoff, S);
    sc_free(s);
}

/* ---- 4. an entry that aged out ---- */

/* A window of 3: m1, h1, h2 at start. A plain post at 1 s lands at
 * 1.080 s and pushes m1 out (aged, not lost). The complete at 3 s writes
 * the key, reads the cache once (a 1 ms hit) and finds no entry: counted
 * as entry_missing, no retry, no cache put; not a failure to give up on. */
static void test_aged_out_not_retried(void **state)
{
    (void)state;
    char msgs[512], script[512];
    snprintf(msgs, sizeof msgs,
             "{'id':'%s','entity':'E','stored':'processing','cached':'processing'},"
             "{'id':'1761868700002-h1hhhhhhh'},{'id':'1761868700003-h2hhhhhhh'}",
             M1);
    snprintf(script, sizeof script,
             "{'at':'1s','call':'post','msg':{'id':'1761868801000-p1ppppppp'}},"
             "{'at':'3s','call':'complete','msg':'%s'}",
             M1);
    h_run r;
    tr t;
    run_traced(&r, room("20s", 1, "'cache':{'window':3},", msgs, script), "2", &t);
    uint64_t id = tr_call(&t, "complete", 0);
    int64_t gets[4], puts[4];
    assert_int_equal(cache_ops(&t, id, "get", gets, NULL, 4), 1);
    assert_int_equal(gets[0], 3 * S + 51 * MS);
    assert_int_equal(cache_ops(&t, id, "put", puts, NULL, 4), 0);
    assert_int_equal(h_counter(&r, "cache.aged_out"), 1);
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
    assert_int_equal(h_counter(&r, "cache_update.entry_missing"), 1);
    assert_int_equal(h_counter(&r, "cache_update.retries"), 0);
    assert_int_equal(h_counter(&r, "cache_update.gave_up"), 0);
    assert_int_equal(h_counter(&r, "kv.failed.transient") + h_counter(&r, "kv.failed.429"), 0);
    h_costs(&r, "complete", 2, 1);
    assert_int_equal(h_counter(&r, "http.complete.200"), 1);
    h_msg(&r, M1, -1, MS_COMPLETE);
    h_free(&r);
    tr_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transient_error_retried),
        cmocka_unit_test(test_failed_cache_get_retried),
        cmocka_unit_test(test_corrupt_cache_gives_up),
        cmocka_unit_test(test_429_backoff_doubles),
        cmocka_unit_test(test_real_429_then_retry),
        cmocka_unit_test(test_max_attempts_honoured),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_aged_out_not_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
