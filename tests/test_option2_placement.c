/* test_option2_placement.c - where Option 2's cache update runs
 * (strategy.option2_placement, model/strategies/option2.c, call_respond in
 * model/call.c): after the response in ctx.waitUntil (the default), or
 * awaited before it ("inline").
 *
 *  - one bot claims one pending message while every cache put fails: with
 *    "inline" the claim answers only after 5 tries (waits 1+2+4+8 s), so
 *    the bot's reply is posted 15 s later than with "wait_until", where
 *    the claim answers right after its key put; the retries happen in both
 *    and belong to the same invocation (trace end after the last put);
 *  - the default is "wait_until";
 *  - ctx.waitUntil work is cut at 30 s after the response (data/limits):
 *    with 1 s backoff doubling and 8 tries, the wait before try 6 (32 s)
 *    would end past it, so exactly 5 tries are made and the cut counted;
 *    inline makes all 8;
 *  - a bad placement name is refused with its key path; both names survive
 *    parse(write(parse(x))).
 *
 * One location, constant latencies (get hit 1 ms, miss 20 ms, put 30 ms),
 * no 429s. Times by hand: the bot polls at 0: cache get (a miss, 20 ms),
 * key get (a miss, 40 ms): pending answers at 40 ms. Claim at 40 ms: key
 * get, a hit now (41 ms), key put (71 ms), cache get, a hit (72 ms), cache
 * put fails (102 ms); try k+1 starts after a wait of 2^(k-1) s with a hit
 * (1 ms) and a put (30 ms): puts at 1.133, 3.164, 7.195 and 15.226 s. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>

#include "harness.h"
#include "trace_reader.h"

#define MS INT64_C(1000)
#define S SIM_US_PER_S
#define M1 "1761868700001-m1mmmmmmm"

static scenario *room(const char *strategy)
{
    return sq("{'duration':'2min','strategy':{%s},"
              "'kv':{'p429':0,'put_error_prob':{'cache':1,'individual':0},"
              "'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
              "'initial':{'plain':{'count':5},'messages':[{'id':'%s','entity':'E','stored':'pending',"
              "'cached':'pending'}]},"
              "'bots':[{'name':'bot-1','poll_every':'1h','first_poll':'0s','generation':'1s'}]}",
              strategy, M1);
}

/* The start of the k-th call to ep, and the end of the same call. */
static void call_span(const tr *t, const char *ep, int k, int64_t *start, int64_t *end)
{
    uint64_t id = tr_call(t, ep, k);
    *start = *end = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (t->l[i].call != id)
            continue;
        if (t->l[i].type == 'c')
            *start = t->l[i].t;
        if (t->l[i].type == 'e')
            *end = t->l[i].t;
    }
    assert_true(*start >= 0 && *end >= 0);
}

static void test_bot_waits_only_inline(void **state)
{
    (void)state;
    static const char *const strategies[] = { "'option2_placement':'wait_until'", "'option2_placement':'inline'", "" };
    for (int k = 0; k < 3; k++) {
        h_run r;
        tr t;
        run_traced(&r, room(strategies[k]), "2", &t);
        int inline_ = k == 1;
        int64_t claim_start, claim_end, post_start, post_end;
        call_span(&t, "claim", 0, &claim_start, &claim_end);
        call_span(&t, "post", 0, &post_start, &post_end);
        assert_int_equal(claim_start, 40 * MS);
        /* the invocation runs its 5 tries either way: the last put lands
         * at 15.226 s and the call ends there */
        assert_int_equal(tr_op_t(&t, tr_call(&t, "claim", 0), "put", "recent:comments", 4), 15 * S + 226 * MS);
        assert_int_equal(claim_end, 15 * S + 226 * MS);
        /* claim's update and then complete's: 4 retries each */
        assert_int_equal(h_counter(&r, "cache_update.retries"), 8);
        assert_int_equal(h_counter(&r, "cache_update.gave_up"), 2);
        assert_int_equal(h_counter(&r, "http.claim.200"), 1);
        /* the bot's reply: 1 s of generation after the claim's response */
        if (inline_) {
            assert_int_equal(post_start, 16 * S + 226 * MS);
            assert_int_equal(h_counter(&r, "worker.responded_before_end"), 0);
        } else {
            assert_int_equal(post_start, 1 * S + 71 * MS);
            /* claim and complete each answered before their update ran */
            assert_int_equal(h_counter(&r, "worker.responded_before_end"), 2);
        }
        tr_free(&t);
        h_free(&r);
    }
}

static void test_wait_until_cut_at_30s(void **state)
{
    (void)state;
    for (int inline_ = 0; inline_ <= 1; inline_++) {
        h_run r;
        tr t;
        char st[128];
        snprintf(st, sizeof st, "'retry_max_attempts':8,'option2_placement':'%s'", inline_ ? "inline" : "wait_until");
        run_traced(&r, room(st), "2", &t);
        uint64_t claim = tr_call(&t, "claim", 0);
        int puts = 0;
        for (size_t i = 0; i < t.n; i++)
            puts += t.l[i].type == 'k' && t.l[i].call == claim && strcmp(t.l[i].op, "put") == 0 &&
                    strcmp(t.l[i].key, "recent:comments") == 0;
        if (inline_) {
            /* 8 tries: waits 1+2+...+64 s = 127 s would pass the 2 min
             * run; within it, tries at 0.102 s + 1, 3, 7, 15, 31, 63 s */
            assert_int_equal(puts, 7);
            assert_int_equal(h_counter(&r, "cache_update.wait_until_cancelled"), 0);
        } else {
            /* responded at 71 ms; try 5's put at 15.226 s; the wait of
             * 16 s would end at 31.226 s > 30.071 s: cut */
            assert_int_equal(puts, 5);
            /* claim's and then complete's, which starts ~1.2 s in */
            assert_int_equal(h_counter(&r, "cache_update.wait_until_cancelled"), 2);
            assert_int_equal(h_counter(&r, "cache_update.gave_up"), 0);
        }
        tr_free(&t);
        h_free(&r);
    }
}

static void test_bad_placement(void **state)
{
    (void)state;
    const char *text = "{\"strategy\":{\"option2_placement\":\"later\"}}";
    sim_err err = { 0, "" };
    scenario *s = NULL;
    assert_int_equal(sc_parse("p.json", text, strlen(text), H_LIMITS, &s, &err), -1);
    assert_int_equal(err.code, 2);
    assert_non_null(strstr(err.msg, "strategy.option2_placement"));
    assert_non_null(strstr(err.msg, "wait_until"));
    assert_null(s);
}

static void test_default_is_wait_until(void **state)
{
    (void)state;
    scenario *s = h_parse("{}");
    assert_int_equal(s->strategy.option2_placement, ST_PLACE_WAIT_UNTIL);
    assert_int_equal(s->strategy.wait_until_limit, 30 * S);
    sc_free(s);
}

static void test_placement_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = { "wait_until", "inline" };
    for (int k = 0; k < 2; k++) {
        char text[128];
        snprintf(text, sizeof text, "{\"strategy\":{\"option2_placement\":\"%s\"}}", names[k]);
        scenario *s = h_parse(text);
        cJSON *j = sc_to_json(s, NULL);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "strategy");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(st, "option2_placement")->valuestring, names[k]);
        char *out = cJSON_PrintUnformatted(j);
        scenario *back = h_parse(out);
        assert_int_equal(back->strategy.option2_placement, k == 0 ? ST_PLACE_WAIT_UNTIL : ST_PLACE_INLINE);
        free(out);
        cJSON_Delete(j);
        sc_free(back);
        sc_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bot_waits_only_inline),
        cmocka_unit_test(test_wait_until_cut_at_30s),
        cmocka_unit_test(test_bad_placement),
        cmocka_unit_test(test_default_is_wait_until),
        cmocka_unit_test(test_placement_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
