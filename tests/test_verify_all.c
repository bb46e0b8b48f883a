/* test_verify_all.c - the reference without the terminal-state shortcut
 * (MODEL.md sections 5 and 7, model/strategies/verify_all.c).
 *
 *  - a poll reads 1 + one lookup per human entity entry in the cache,
 *    whatever its status (pending, processing, complete, failed, stale or
 *    not); AI replies and plain chat are never read; a legacy entry costs
 *    two reads (current key miss, then legacy key);
 *  - the write-up's "200 messages x 2 reads = 400 reads per poll": with
 *    200 legacy entity entries a poll reads exactly 1 + 2 x 200 = 401;
 *  - the 93 % claim: with 7 % of 200 entity entries non-terminal (14),
 *    Option 0 reads 1 + 14 = 15 a poll (the write-up's "~15"), verify-all
 *    1 + 200 = 201; legacy keys double both lookups (29 against 401).
 *    Either way the shortcut saves exactly 93 % of the verification reads
 *    (186 of 200 lookups); of the whole poll it saves 186/201 = 92.5 %
 *    (current keys) or 372/401 = 92.8 % (legacy). The write-up's framing,
 *    15 against 400, mixes one read per lookup with two (96 %).
 *
 * Scripted polls on one location, constant latencies, p429 0, no writes
 * at all: verify-all never changes the cache. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

/* A cache of the given messages (no plain chat unless given), two polls. */
static void run_room(h_run *r, int window, const char *messages, const char *option)
{
    static char text[1 << 17];
    int n = snprintf(text, sizeof text,
                     "{'duration':'10s','cache':{'window':%d},"
                     "'kv':{'p429':0,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
                     "'initial':{'plain':{'count':3},'messages':[%s]},"
                     "'script':[{'at':'1s','call':'pending'},{'at':'4s','call':'pending'}]}",
                     window, messages);
    assert_true(n > 0 && (size_t)n < sizeof text);
    h_run_sq(r, text, option);
}

static void assert_polls(const h_run *r, int64_t kvr, int64_t returned)
{
    assert_int_equal(h_npolls(r), 2);
    for (size_t k = 0; k < 2; k++) {
        const int64_t *row = h_poll(r, k);
        if (row[H_KVR] != kvr || row[H_KVW] != 0 || row[H_RET] != returned || row[H_STATUS] != 200)
            fail_msg("poll %zu: [KVr:%lld KVw:%lld] returned %lld status %lld, expected [KVr:%lld KVw:0] "
                     "returned %lld status 200",
                     k + 1, (long long)row[H_KVR], (long long)row[H_KVW], (long long)row[H_RET],
                     (long long)row[H_STATUS], (long long)kvr, (long long)returned);
    }
}

/* ---- 1. every entity entry, whatever its status ---- */

/* Six entity entries (pending, processing, complete, failed, stale
 * processing over complete, stale pending over failed), an AI reply, a
 * human message without entity and 3 plain: verify-all 1 + 6, Option 0
 * 1 + 4 (the four non-terminal cache statuses). Both return the one
 * pending message; neither writes. */
static void test_every_entity_entry(void **state)
{
    (void)state;
    const char *msgs = "{'id':'1761868700001-pppppppp1','entity':'E','stored':'pending','cached':'pending'},"
                       "{'id':'1761868700002-qqqqqqqq1','entity':'E','stored':'processing','cached':'processing'},"
                       "{'id':'1761868700003-cccccccc1','entity':'E','stored':'complete','cached':'complete'},"
                       "{'id':'1761868700004-ffffffff1','entity':'E','stored':'failed','cached':'failed'},"
                       "{'id':'1761868700005-ssssssss1','entity':'E','stored':'complete','cached':'processing'},"
                       "{'id':'1761868700006-ssssssss2','entity':'E','stored':'failed','cached':'pending'},"
                       "{'id':'1761868700007-aaaaaaaa1','type':'ai'},"
                       "{'id':'1761868700008-hhhhhhhh1'}";
    h_run r;
    run_room(&r, 200, msgs, "verify-all");
    assert_polls(&r, 1 + 6, 1);
    assert_int_equal(h_counter(&r, "kv.reads.key.individual"), 2 * 6);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    assert_int_equal(h_counter(&r, "stuck.final"), 2);
    h_free(&r);
    run_room(&r, 200, msgs, "0");
    assert_polls(&r, 1 + 4, 1);
    h_free(&r);
}

/* A legacy entity entry costs two reads under verify-all too, terminal or
 * not; a current one costs one. */
static void test_legacy_costs_two(void **state)
{
    (void)state;
    const char *msgs =
        "{'id':'1761868700001-legacy001','entity':'E','key':'legacy','stored':'complete','cached':'complete'},"
        "{'id':'1761868700002-legacy002','entity':'E','key':'legacy','stored':'failed','cached':'failed'},"
        "{'id':'1761868700003-currentc1','entity':'E','stored':'complete','cached':'complete'}";
    h_run r;
    run_room(&r, 200, msgs, "verify-all");
    assert_polls(&r, 1 + 2 + 2 + 1, 0);
    h_free(&r);
    run_room(&r, 200, msgs, "0");
    assert_polls(&r, 1, 0);
    h_free(&r);
}

/* ---- 2. the write-up's figures ---- */

/* 200 entity entries filling the window (the plain chat ages out); entry i
 * is non-terminal for i < nopen (alternately pending and processing),
 * else alternately complete and failed; every key current or legacy. */
static const char *window_of(int nopen, int legacy)
{
    static char msgs[1 << 16];
    static const char *const open_st[2] = { "pending", "processing" }, *const done_st[2] = { "complete", "failed" };
    size_t len = 0;
    for (int i = 0; i < 200; i++) {
        const char *st = i < nopen ? open_st[i % 2] : done_st[i % 2];
        len += (size_t)snprintf(msgs + len, sizeof msgs - len,
                                "%s{'id':'%lld-e%08d','entity':'E','key':'%s','stored':'%s','cached':'%s'}",
                                i ? "," : "", (long long)(INT64_C(1761868000000) + i), i,
                                legacy ? "legacy" : "current", st, st);
        assert_true(len < sizeof msgs);
    }
    return msgs;
}

static void test_400_reads_with_legacy_fallbacks(void **state)
{
    (void)state;
    h_run r;
    run_room(&r, 200, window_of(0, 1), "verify-all");
    assert_polls(&r, 1 + 2 * 200, 0);
    assert_int_equal(h_counter(&r, "kv.reads"), 2 * 401);
    assert_int_equal(h_counter(&r, "polls.kvr_max"), 401);
    assert_int_equal(h_counter(&r, "kv.failed.op-limit"), 0);
    h_free(&r);
    /* the same cache under Option 0: every entry terminal, the cache only */
    run_room(&r, 200, window_of(0, 1), "0");
    assert_polls(&r, 1, 0);
    h_free(&r);
}

static void test_93_percent_claim(void **state)
{
    (void)state;
    const int nopen = 14; /* 7 % of 200 */
    const int returned = nopen / 2; /* the pending half */
    for (int legacy = 0; legacy <= 1; legacy++) {
        int per = legacy ? 2 : 1; /* reads per lookup */
        h_run r;
        run_room(&r, 200, window_of(nopen, legacy), "0");
        assert_polls(&r, 1 + per * nopen, returned);
        int64_t o0 = h_poll(&r, 0)[H_KVR];
        h_free(&r);
        run_room(&r, 200, window_of(nopen, legacy), "verify-all");
        assert_polls(&r, 1 + per * 200, returned);
        int64_t va = h_poll(&r, 0)[H_KVR];
        h_free(&r);
        /* 93 % of the lookups are saved, exactly */
        assert_int_equal(100 * (va - o0), 93 * (va - 1));
        if (!legacy) {
            assert_int_equal(o0, 15);  /* "~15 reads per poll" */
            assert_int_equal(va, 201);
        } else {
            assert_int_equal(o0, 29);
            assert_int_equal(va, 401); /* "400 reads per poll", plus the cache */
        }
        /* of the whole poll: 92.5 % and 92.8 %, never 93 % or more */
        assert_true(1000 * (va - o0) / va == (legacy ? 927 : 925));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entity_entry),
        cmocka_unit_test(test_legacy_costs_two),
        cmocka_unit_test(test_400_reads_with_legacy_fallbacks),
        cmocka_unit_test(test_93_percent_claim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
