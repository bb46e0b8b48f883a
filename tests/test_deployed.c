/* test_deployed.c - "endpoints": "deployed", one test per difference from
 * the write-up's excerpt (docs/model.md, "The deployed Worker"):
 * the post's heartbeat (and its 500), the message-count read-modify-write,
 * the rate limit (429 after 10 posts a minute, a 60 s TTL), pending's
 * priority order and limit, claim/complete/fail without the legacy
 * fallback (404), complete without a precondition, fail's attempts, the
 * cache kept sorted by client timestamp, an unparseable cache reset.
 *
 * Scripted scenarios with constant latencies (get 10 ms, put 30 ms) and,
 * unless a test says otherwise, calls 2 s apart, so no same-key write comes
 * within 1 s of another (p429 = 1: such a write would always be refused).
 * Script actors that are neither a human nor a bot of the scenario pay the
 * rate limit for human messages only. */
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

#define EPOCH_MS INT64_C(1761868800000)

/* A scenario on one location; extra is spliced in at the top level. */
static scenario *dep_scenario(const char *endpoints, const char *extra, const char *messages, const char *script)
{
    static char text[65536];
    int n = snprintf(text, sizeof text,
                     "{'name':'deployed','duration':'%s','endpoints':'%s',"
                     "'kv':{'p429':1,'latency':{'get_hit':'10ms','get_miss':'10ms','put':'30ms'}},"
                     "%s%s'initial':{'messages':[%s]},'script':[%s]}",
                     "120s", endpoints, extra, extra[0] ? "," : "", messages, script);
    assert_true(n > 0 && (size_t)n < sizeof text);
    return h_parse_sq(text);
}

static void dep_run(h_run *r, const char *endpoints, const char *extra, const char *messages, const char *script)
{
    h_run_scenario(r, dep_scenario(endpoints, extra, messages, script), "0");
}

static int64_t central_num(const h_run *r, uint32_t key)
{
    int64_t v = -1;
    if (kv_central_num(world_kv(r->w), key, &v) != 0)
        return -1;
    return v;
}

/* Post's ops: a human message from a limited sender is rate-limit get +
 * put, put comment, get + put cache, put heartbeat, get + put
 * message-count (3 reads, 5 writes); a bot's AI reply skips the rate limit
 * (2 reads, 4 writes). The write-up's post is 1 read, 2 writes. */
static void test_post_ops_and_message_count(void **state)
{
    (void)state;
    h_run r;
    dep_run(&r, "deployed", "", "",
            "{'at':'1s','actor':'alice','call':'post','msg':{'id':'m-h','entity':'Ada'}},"
            "{'at':'3s','actor':'bot-x','call':'post','msg':{'id':'m-ai','type':'ai'}}");
    assert_int_equal(h_counter(&r, "http.post.201"), 2);
    h_costs(&r, "post", 3 + 2, 5 + 4);
    assert_int_equal(h_counter(&r, "kv.reads.key.cache"), 2);
    assert_int_equal(h_counter(&r, "kv.writes.key.cache"), 2);
    assert_int_equal(h_counter(&r, "kv.writes.key.individual"), 2);
    /* other: rate-limit get, 2 message-count gets; rate-limit put, 2
     * heartbeats, 2 message-count puts */
    assert_int_equal(h_counter(&r, "kv.reads.key.other"), 3);
    assert_int_equal(h_counter(&r, "kv.writes.key.other"), 5);
    assert_int_equal(central_num(&r, KV_KEY_MSG_COUNT), 2);
    /* the second post's heartbeat: Date.now() when it is put, after its
     * comment put (30 ms), cache get (10 ms) and cache put (30 ms) */
    assert_int_equal(central_num(&r, KV_KEY_HEARTBEAT), EPOCH_MS + 3070);
    /* alice's rate-limit key (slot 0), put at 1.03 s with a 60 s TTL, has
     * expired by the end (120 s) */
    assert_int_equal(central_num(&r, kv_key_rate_limit(0)), -1);
    h_msg(&r, "m-h", MS_PENDING, MS_PENDING);
    h_free(&r);

    dep_run(&r, "write-up", "", "",
            "{'at':'1s','actor':'alice','call':'post','msg':{'id':'m-h','entity':'Ada'}},"
            "{'at':'3s','actor':'bot-x','call':'post','msg':{'id':'m-ai','type':'ai'}}");
    h_costs(&r, "post", 2, 4);
    assert_int_equal(met_find_counter(r.m, "kv.reads.key.other"), -1);
    h_free(&r);
}

/* A failing heartbeat put answers 500 although the message is stored and
 * cached; message-count is then never reached. */
static void test_heartbeat_failure_500(void **state)
{
    (void)state;
    h_run r;
    dep_run(&r, "deployed", "", "",
            "{'at':'1s','actor':'bot-x','call':'post','msg':{'id':'m-ai','type':'ai'},"
            "'fail':[{'op':'put','key':'heartbeat','kind':'error'}]}");
    assert_int_equal(h_counter(&r, "http.post.500"), 1);
    assert_int_equal(h_counter(&r, "http.post.201"), 0);
    h_costs(&r, "post", 1, 2); /* cache get; comment and cache puts */
    assert_int_equal(h_counter(&r, "kv.failed.transient"), 1);
    assert_int_equal(central_num(&r, KV_KEY_MSG_COUNT), -1);
    h_msg(&r, "m-ai", MS_NONE, MS_NONE);
    h_free(&r);
}

/* Two posts 0.5 s apart: the second's heartbeat lands 0.5 s after the
 * first's (A's at 1.100 s, B's at 1.600 s) and is refused (p429 = 1): 500.
 * Its cache put is refused too, but that one is caught. The write-up's
 * excerpt has no heartbeat: both posts answer 201. */
static void test_heartbeat_429_between_posts(void **state)
{
    (void)state;
    static const char *const script =
        "{'at':'1s','actor':'bot-x','call':'post','msg':{'id':'m-a','type':'ai'}},"
        "{'at':'1500ms','actor':'bot-x','call':'post','msg':{'id':'m-b','type':'ai'}}";
    h_run r;
    dep_run(&r, "deployed", "", "", script);
    assert_int_equal(h_counter(&r, "http.post.201"), 1);
    assert_int_equal(h_counter(&r, "http.post.500"), 1);
    assert_int_equal(h_counter(&r, "kv.failed.429"), 2);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.429"), 1);
    h_free(&r);
    dep_run(&r, "write-up", "", "", script);
    assert_int_equal(h_counter(&r, "http.post.201"), 2);
    assert_int_equal(h_counter(&r, "kv.failed.429"), 1);
    h_free(&r);
}

/* One sender, a post every 2 s: posts 1-10 pass, 11 and 12 (21 s, 23 s)
 * get 429 after one read; the key (last put at 19.04 s, TTL 60 s) has
 * expired at 80 s, so post 13 passes. Another sender is not affected. */
static void test_rate_limit_429(void **state)
{
    (void)state;
    char script[8192] = "";
    size_t n = 0;
    for (int k = 0; k < 12; k++)
        n += (size_t)snprintf(script + n, sizeof script - n,
                              "{'at':'%ds','actor':'alice','call':'post','msg':{'id':'m-%02d'}},", 1 + 2 * k, k + 1);
    snprintf(script + n, sizeof script - n,
             "{'at':'25s','actor':'bob','call':'post','msg':{'id':'m-bob'}},"
             "{'at':'80s','actor':'alice','call':'post','msg':{'id':'m-13'}}");
    h_run r;
    dep_run(&r, "deployed", "", "", script);
    assert_int_equal(h_counter(&r, "http.post.201"), 12);
    assert_int_equal(h_counter(&r, "http.post.429"), 2);
    /* 12 passing posts at 3r/5w, 2 refused at 1r/0w */
    h_costs(&r, "post", 12 * 3 + 2, 12 * 5);
    h_msg(&r, "m-11", -1, -1);
    h_msg(&r, "m-13", MS_NONE, MS_NONE);
    assert_int_equal(central_num(&r, kv_key_rate_limit(0)), 1); /* restarted at 80 s */
    h_free(&r);

    /* the limit and window are scenario parameters */
    dep_run(&r, "deployed", "'deployed':{'rate_limit':{'posts':3,'window':'60s'}}", "", script);
    assert_int_equal(h_counter(&r, "http.post.201"), 3 + 1 + 1);
    assert_int_equal(h_counter(&r, "http.post.429"), 9);
    h_free(&r);
}

/* The claims of a trace, in order, as "id,id,...". */
static void trace_claims(const char *trace, char *out, size_t len)
{
    static const char pat[] = "\"endpoint\":\"claim\",\"msg\":\"";
    out[0] = 0;
    for (const char *p = strstr(trace, pat); p; p = strstr(p + 1, pat)) {
        const char *id = p + sizeof pat - 1, *q = strchr(id, '"');
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s%.*s", l ? "," : "", (int)(q - id), id);
    }
}

/* Twelve pending messages: m10 priority 9, m03 and m07 priority 5, the
 * rest 0; m02's client timestamp is older than m01's although it comes
 * later in the cache. With a limit of 3 the bot's first poll returns
 * m10, m03, m07 (priority, then oldest), its second m02, m01, m04. */
static void test_pending_priority_and_limit(void **state)
{
    (void)state;
    char msgs[4096] = "";
    size_t n = 0;
    static const int prio[12] = { 0, 0, 5, 0, 0, 0, 5, 0, 0, 9, 0, 0 };
    for (int k = 1; k <= 12; k++) {
        int ts = k == 1 ? 2500 : k == 2 ? 1500 : k * 1000;
        n += (size_t)snprintf(msgs + n, sizeof msgs - n, "%s{'id':'%d-m%02d','entity':'Ada','priority':%d}",
                              k > 1 ? "," : "", ts, k, prio[k - 1]);
    }
    static const char *const bot = "'bots':[{'name':'bot-1','first_poll':'1s','poll_every':'3s',"
                                   "'generation':{'dist':'const','value':'100ms'}}]";
    char extra[512];
    snprintf(extra, sizeof extra, "%s,'deployed':{'pending_limit':3}", bot);
    char *buf = NULL;
    size_t blen = 0;
    FILE *tr = open_memstream(&buf, &blen);
    assert_non_null(tr);
    world_opts o = { 0 };
    o.trace = tr;
    scenario *s = dep_scenario("deployed", extra, msgs, "");
    s->duration = 6 * SIM_US_PER_S; /* polls at 1 s and 4 s */
    s->kv.p429 = 0; /* a bot's own cycle writes the cache faster than 1/s */
    h_run r;
    h_run_scenario_opts(&r, s, "0", &o);
    fclose(tr);
    char claims[1024];
    trace_claims(buf, claims, sizeof claims);
    free(buf);
    assert_string_equal(claims, "10000-m10,3000-m03,7000-m07,1500-m02,2500-m01,4000-m04");
    assert_int_equal(h_poll(&r, 0)[H_RET], 3);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 1 + 12); /* every pending message verified */
    h_free(&r);
}

/* A legacy message: pending still finds it (its scan keeps the fallback),
 * but claim, complete and fail read only comment:<id> and answer 404
 * after one read; the write-up's claim finds it with a second read. */
static void test_legacy_404(void **state)
{
    (void)state;
    static const char *const msgs = "{'id':'1000-old','entity':'Ada','key':'legacy'}";
    static const char *const script = "{'at':'1s','call':'pending'},{'at':'3s','call':'claim','msg':'1000-old'},"
                                      "{'at':'5s','call':'complete','msg':'1000-old'},"
                                      "{'at':'7s','call':'fail','msg':'1000-old'}";
    h_run r;
    dep_run(&r, "deployed", "", msgs, script);
    assert_int_equal(h_poll(&r, 0)[H_RET], 1);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 3);
    assert_int_equal(h_counter(&r, "http.claim.404"), 1);
    assert_int_equal(h_counter(&r, "http.complete.404"), 1);
    assert_int_equal(h_counter(&r, "http.fail.404"), 1);
    h_costs(&r, "claim", 1, 0);
    h_costs(&r, "complete", 1, 0);
    h_msg(&r, "1000-old", MS_PENDING, MS_PENDING);
    h_free(&r);
    dep_run(&r, "write-up", "", msgs, script);
    assert_int_equal(h_counter(&r, "http.claim.200"), 1);
    h_costs(&r, "claim", 3, 2);
    h_free(&r);
}

/* complete has no precondition: a failed or a pending message is
 * completed (2 reads, 2 writes each). */
static void test_complete_without_precondition(void **state)
{
    (void)state;
    h_run r;
    dep_run(&r, "deployed", "",
            "{'id':'1000-f','entity':'Ada','stored':'failed','cached':'failed'},{'id':'2000-p','entity':'Ada'}",
            "{'at':'1s','call':'complete','msg':'1000-f'},{'at':'3s','call':'complete','msg':'2000-p'}");
    assert_int_equal(h_counter(&r, "http.complete.200"), 2);
    h_costs(&r, "complete", 4, 4);
    h_msg(&r, "1000-f", MS_COMPLETE, MS_COMPLETE);
    h_msg(&r, "2000-p", MS_COMPLETE, MS_COMPLETE);
    h_free(&r);
}

/* fail counts botParams.attempts in the stored message: pending again
 * after the first and second, failed on the third; a claim after that is
 * a 409. The write-up's fail is final at once. */
static void test_fail_attempts(void **state)
{
    (void)state;
    static const char *const script =
        "{'at':'1s','call':'claim','msg':'1000-x'},{'at':'3s','call':'fail','msg':'1000-x'},"
        "{'at':'5s','call':'claim','msg':'1000-x'},{'at':'7s','call':'fail','msg':'1000-x'},"
        "{'at':'9s','call':'claim','msg':'1000-x'},{'at':'11s','call':'fail','msg':'1000-x'},"
        "{'at':'13s','call':'claim','msg':'1000-x'}";
    sim_err err = { 0, "" };
    scenario *s = dep_scenario("deployed", "", "{'id':'1000-x','entity':'Ada'}", script);
    world_opts o = { 0 };
    world *w = world_new(s, "0", s->seed, &o, &err);
    assert_non_null(w);
    const sim_us at[3] = { 4, 8, 12 };
    const int want[3] = { MS_PENDING, MS_PENDING, MS_FAILED };
    for (int k = 0; k < 3; k++) {
        int cs = -2, ss = -2;
        assert_int_equal(world_advance(w, at[k] * SIM_US_PER_S, &err), 0);
        assert_int_equal(world_msg_state(w, "1000-x", &cs, &ss), 0);
        assert_int_equal(ss, want[k]);
        assert_int_equal(cs, want[k]);
        assert_int_equal(kv_central_attempts(world_kv(w), kv_key_msg(0, 0)), k + 1);
    }
    assert_int_equal(world_run(w, 0, &err), 0);
    met_registry *m = sim_metrics(world_ctx(w));
    assert_int_equal(met_counter_value(m, met_find_counter(m, "http.claim.200")), 3);
    assert_int_equal(met_counter_value(m, met_find_counter(m, "http.claim.409")), 1);
    /* claim keeps the attempts it read */
    assert_int_equal(kv_central_attempts(world_kv(w), kv_key_msg(0, 0)), 3);
    world_free(w);
    sc_free(s);

    h_run r;
    dep_run(&r, "write-up", "", "{'id':'1000-x','entity':'Ada'}", script);
    h_msg(&r, "1000-x", MS_FAILED, MS_FAILED);
    assert_int_equal(h_counter(&r, "http.claim.409"), 3); /* 5 s, 9 s, 13 s: fail needs no claim */
    h_free(&r);
}

/* The central cache's ids in order, as "id,id,...". */
static void cache_order(const h_run *r, char *out, size_t len)
{
    scenario snap;
    int corrupt = 0;
    memset(&snap, 0, sizeof snap);
    assert_int_equal(world_snapshot(r->w, &snap, &corrupt), 0);
    out[0] = 0;
    for (int i = 0; i < snap.nmsgs; i++)
        if (snap.msgs[i].cached >= 0) {
            size_t l = strlen(out);
            snprintf(out + l, len - l, "%s%s", l ? "," : "", snap.msgs[i].id);
        }
    free(snap.msgs);
}

/* Window 4. The deployed post sorts by the client's timestamp (the id's
 * milliseconds here) before trimming: b (2000) goes between a and c; d
 * (500) is older than all four of a full cache and is trimmed at once;
 * f (3500) pushes out a. The write-up appends and drops the head. */
static void test_cache_sorted_by_client_timestamp(void **state)
{
    (void)state;
    static const char *const msgs = "{'id':'1000-a'},{'id':'3000-c'}";
    static const char *const script =
        "{'at':'1s','call':'post','msg':{'id':'2000-b'}},{'at':'3s','call':'post','msg':{'id':'4000-e'}},"
        "{'at':'5s','call':'post','msg':{'id':'500-d'}},{'at':'7s','call':'post','msg':{'id':'3500-f'}}";
    char order[256];
    h_run r;
    dep_run(&r, "deployed", "'cache':{'window':4}", msgs, script);
    cache_order(&r, order, sizeof order);
    assert_string_equal(order, "2000-b,3000-c,3500-f,4000-e");
    h_msg(&r, "500-d", -1, MS_NONE);
    h_free(&r);
    dep_run(&r, "write-up", "'cache':{'window':4}", msgs, script);
    cache_order(&r, order, sizeof order);
    assert_string_equal(order, "2000-b,4000-e,500-d,3500-f");
    h_free(&r);
}

/* An unparseable cache: the deployed post starts it again with its own
 * message, so the next pending call works; the write-up's post swallows
 * the parse error and pending keeps failing. */
static void test_unparseable_cache_reset(void **state)
{
    (void)state;
    static const char *const msgs = "{'id':'1000-a','entity':'Ada'},{'id':'2000-b'}";
    static const char *const script =
        "{'at':'1s','call':'corrupt-cache'},{'at':'2s','call':'post','msg':{'id':'3000-c','entity':'Ada'}},"
        "{'at':'4s','call':'pending'}";
    char order[256];
    h_run r;
    dep_run(&r, "deployed", "", msgs, script);
    assert_int_equal(h_counter(&r, "cache.reset_unparseable"), 1);
    cache_order(&r, order, sizeof order);
    assert_string_equal(order, "3000-c");
    assert_int_equal(h_poll(&r, 0)[H_STATUS], 200);
    assert_int_equal(h_poll(&r, 0)[H_RET], 1);
    h_free(&r);
    dep_run(&r, "write-up", "", msgs, script);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.parse"), 1);
    assert_int_equal(h_poll(&r, 0)[H_STATUS], 500);
    h_free(&r);
}

/* scenarios/faults/heartbeat-429.json: 1.2 posts/s make the heartbeat
 * put a 429, and the post a 500; a bot reply's 500 sends an answered
 * message back to pending, so it is answered twice. The same room under
 * the write-up's endpoints has neither. */
static void test_heartbeat_429_scenario(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, "scenarios/faults/heartbeat-429.json", "0");
    assert_true(h_counter(&r, "http.post.500") > 0);
    assert_true(h_counter(&r, "safety.answered_twice") > 0);
    h_expectations(&r, "0");
    h_free(&r);
    sim_err err = { 0, "" };
    scenario *s = NULL;
    assert_int_equal(sc_load("scenarios/faults/heartbeat-429.json", H_LIMITS, &s, &err), 0);
    s->endpoints = CALL_EP_WRITE_UP;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "http.post.500"), 0);
    assert_int_equal(h_counter(&r, "safety.answered_twice"), 0);
    assert_true(h_counter(&r, "kv.failed.429") > 0); /* the cache's, caught */
    h_free(&r);
}

/* Bad input: the choice and its parameters are validated. */
static void test_rejects(void **state)
{
    (void)state;
    static const struct { const char *text, *want; } cases[] = {
        { "{\"endpoints\": \"deploy\"}", "endpoints: expected \"write-up\" or \"deployed\", got 'deploy'" },
        { "{\"deployed\": {\"pending_limit\": 5}}", "deployed: only with \"endpoints\": \"deployed\"" },
        { "{\"endpoints\": \"deployed\", \"deployed\": {\"rate_limit\": {\"window\": \"30s\"}}}",
          "deployed.rate_limit.window" },
        { "{\"endpoints\": \"deployed\", \"deployed\": {\"max_attempts\": 0}}", "deployed.max_attempts" },
        { "{\"humans\": [{\"priority\": 101}]}", "humans[0].priority" },
        { "{\"script\": [{\"at\": \"1s\", \"call\": \"post\", \"msg\": {\"id\": \"x\"}, "
          "\"fail\": [{\"key\": \"hearbeat\", \"kind\": \"error\"}]}]}", "script[0].fail[0]" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_err err = { 0, "" };
        scenario *s = NULL;
        assert_int_equal(sc_parse("bad.json", cases[i].text, strlen(cases[i].text), H_LIMITS, &s, &err), -1);
        assert_int_equal(err.code, 2);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err.msg, cases[i].want);
    }
}

/* parse(write(parse(x))) keeps the new fields. */
static void test_round_trip(void **state)
{
    (void)state;
    scenario *a = h_parse_sq("{'endpoints':'deployed','deployed':{'pending_limit':7,'max_attempts':5,"
                             "'rate_limit':{'posts':4,'window':'90s'}},"
                             "'kv':{'put_error_prob':{'cache':0,'individual':0,'other':0.25}},"
                             "'humans':[{'name':'h','priority':7,'rate_limited':false}],"
                             "'bots':[{'name':'b','rate_limited':true}],"
                             "'initial':{'messages':[{'id':'1-a','entity':'E','priority':3}]},"
                             "'script':[{'at':'1s','actor':'h','call':'post','msg':{'id':'2-b','priority':9},"
                             "'fail':[{'op':'put','key':'heartbeat','kind':'429'}]}]}");
    cJSON *j = sc_to_json(a, NULL);
    char *text = cJSON_PrintUnformatted(j);
    scenario *b = h_parse(text);
    assert_int_equal(b->endpoints, CALL_EP_DEPLOYED);
    assert_int_equal(b->deployed.pending_limit, 7);
    assert_int_equal(b->deployed.max_attempts, 5);
    assert_int_equal(b->deployed.rate_posts, 4);
    assert_int_equal(b->deployed.rate_window, 90 * SIM_US_PER_S);
    assert_true(b->kv.put_error_prob[KV_CLASS_OTHER] == 0.25);
    assert_int_equal(b->humans[0].priority, 7);
    assert_int_equal(b->humans[0].rate_limited, 0);
    assert_int_equal(b->bots[0].rate_limited, 1);
    assert_int_equal(b->msgs[0].priority, 3);
    assert_int_equal(b->script[0].priority, 9);
    assert_int_equal(b->script[0].faults[0].key_class, CALL_KEY_HEARTBEAT);
    free(text);
    cJSON_Delete(j);
    sc_free(a);
    sc_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_ops_and_message_count),
        cmocka_unit_test(test_heartbeat_failure_500),
        cmocka_unit_test(test_heartbeat_429_between_posts),
        cmocka_unit_test(test_rate_limit_429),
        cmocka_unit_test(test_pending_priority_and_limit),
        cmocka_unit_test(test_legacy_404),
        cmocka_unit_test(test_complete_without_precondition),
        cmocka_unit_test(test_fail_attempts),
        cmocka_unit_test(test_cache_sorted_by_client_timestamp),
        cmocka_unit_test(test_unparseable_cache_reset),
        cmocka_unit_test(test_heartbeat_429_scenario),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
