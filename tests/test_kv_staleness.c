/* test_kv_staleness.c - location copies age from their fetch: a location
 * that keeps writing a key still sees other locations' writes within
 * cacheTtl; own writes are visible (with a probability) without extending
 * the copy's life; background refresh; the per-location get counters; and
 * the tracker telling aging from loss by overwrite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/harness.h"

/* Two locations A and B, cacheTtl 60 s, fixed latencies (hit 1 ms, miss
 * 20 ms, put 30 ms), no 429, the default window (200). A post puts its
 * individual key (30 ms), then reads recent:comments and puts it back with
 * the message appended. */
#define TWO_LOC_HEAD                                                                                       \
    "{'name':'stale','duration':'120s','locations':['A','B'],"                                            \
    "'kv':{'cache_ttl':'60s','p429':0,'background_refresh':%s,'own_writes_visible':%s,"                    \
    "'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"                                         \
    "'initial':{'plain':{'count':3,'bytes':400}},"

/* B reads the cache at 0 s (copy fetched at 0.02 s, expiring at 60.02 s)
 * and then writes it every 10 s; A posts entity messages a1 at 5 s and a2
 * at 55 s. B's post at 10 s writes B's copy back without a1 (lost by
 * overwrite). A's post at 55 s writes A's copy (fetched at 5.05 s, with
 * its own a1) back with a2: central [p1-p3, a1, a2], B's b1-b5 lost. B's
 * poll at 58 s serves its copy (no entity message); at 62 s the copy has
 * expired and B fetches central: a1 and a2. A model where B's own writes
 * restart its copy's expiry serves the copy at 62 s too, and B never sees
 * A's posts while it keeps writing. */
static const char stale_sq[] =
    "'script':["
    "{'at':'0s','call':'pending','location':'B','actor':'reader'},"
    "{'at':'5s','call':'post','location':'A','actor':'a','msg':{'id':'1761868805000-a1','entity':'E'}},"
    "{'at':'10s','call':'post','location':'B','actor':'b','msg':{'id':'1761868810000-b1'}},"
    "{'at':'20s','call':'post','location':'B','actor':'b','msg':{'id':'1761868820000-b2'}},"
    "{'at':'30s','call':'post','location':'B','actor':'b','msg':{'id':'1761868830000-b3'}},"
    "{'at':'40s','call':'post','location':'B','actor':'b','msg':{'id':'1761868840000-b4'}},"
    "{'at':'50s','call':'post','location':'B','actor':'b','msg':{'id':'1761868850000-b5'}},"
    "{'at':'55s','call':'post','location':'A','actor':'a','msg':{'id':'1761868855000-a2','entity':'E'}},"
    "{'at':'58s','call':'pending','location':'B','actor':'reader'},"
    "{'at':'62s','call':'pending','location':'B','actor':'reader'},"
    "{'at':'70s','call':'post','location':'B','actor':'b','msg':{'id':'1761868870000-b7'}},"
    "{'at':'80s','call':'post','location':'B','actor':'b','msg':{'id':'1761868880000-b8'}}]}";

static scenario *stale_scenario(const char *refresh, const char *own)
{
    char text[4096];
    snprintf(text, sizeof text, TWO_LOC_HEAD, refresh, own);
    strncat(text, stale_sq, sizeof text - strlen(text) - 1);
    return h_parse_sq(text);
}

static void test_copy_expires_from_fetch_despite_own_writes(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, stale_scenario("0", "true"), "0");
    assert_int_equal(h_npolls(&r), 3);
    assert_int_equal(h_poll(&r, 1)[H_RET], 0);
    assert_int_equal(h_poll(&r, 2)[H_RET], 2);
    /* B fetched the cache from central twice, at 0 s and 62 s; its other
     * 8 gets (3 pendings + 7 posts, less those 2) were served by its copy */
    assert_int_equal(h_counter(&r, "kv.gets.central.cache.B"), 2);
    assert_int_equal(h_counter(&r, "kv.gets.local.cache.B"), 8);
    assert_int_equal(h_counter(&r, "kv.gets.central.cache.A"), 1);
    /* a1 (by B at 10 s) and b1-b5 (by A at 55 s): none of them aged out,
     * the window never filled */
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 6);
    assert_int_equal(h_counter(&r, "cache.aged_out"), 0);
    h_msg(&r, "1761868805000-a1", MS_PENDING, MS_PENDING);
    h_msg(&r, "1761868810000-b1", -1, MS_NONE);
    h_free(&r);
}

static void test_own_write_visibility(void **state)
{
    (void)state;
    h_run r;
    /* Never visible: each B post reads B's copy as fetched (0 s, then
     * 62 s) and drops B's previous post: b1-b4 lost, b5 dropped by A's 55 s
     * write (A's copy of 5.05 s lacks a1 too), b7 by b8, a1 at 10 s: 7.
     * The 62 s fetch finds [p1-p3, a2]: one entity message. */
    h_run_scenario(&r, stale_scenario("0", "false"), "0");
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 7);
    assert_int_equal(h_poll(&r, 2)[H_RET], 1);
    h_msg(&r, "1761868805000-a1", -1, MS_PENDING);
    h_free(&r);
    /* "true" and 1 are the same; 0.5 draws per put and lands in between */
    h_run_scenario(&r, stale_scenario("0", "1"), "0");
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 6);
    h_free(&r);
    h_run_scenario(&r, stale_scenario("0", "0.5"), "0");
    int64_t lost = h_counter(&r, "cache.lost_by_overwrite");
    assert_true(lost >= 1 && lost <= 8);
    h_free(&r);
}

static void test_background_refresh(void **state)
{
    (void)state;
    h_run r;
    /* Refresh in the last half of a copy's life (30 s). B's get of its
     * 30 s post completes at 30.031 s, age 30.011 s: one background fetch,
     * landing at 30.051 s (miss latency), replaces the copy (expiry
     * 90.051 s). The 62 s poll is served by that copy (no entity message:
     * a2 landed at 55.08 s) and, at age 31.95 s, starts the second refresh,
     * which brings a1 and a2. Only the first get ever fetches. */
    h_run_scenario(&r, stale_scenario("0.5", "true"), "0");
    assert_int_equal(h_counter(&r, "kv.gets.central.cache.B"), 1);
    assert_int_equal(h_counter(&r, "kv.refreshes.cache.B"), 2);
    assert_int_equal(h_poll(&r, 2)[H_RET], 0);
    h_free(&r);
}

/* A room that writes the cache several times a minute at both locations:
 * each location fetches recent:comments from central at least once per
 * cacheTtl, by a get or a background refresh. */
static void test_each_location_fetches_once_per_ttl(void **state)
{
    (void)state;
    static const char *const refresh[] = { "0", "0.1" };
    for (int k = 0; k < 2; k++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "{'name':'room','duration':'1h','locations':['ewr','fra'],"
                 "'kv':{'cache_ttl':'60s','p429':0,'background_refresh':%s},"
                 "'humans':[{'name':'us','location':'ewr','rate_per_s':0.1,'entity_share':0.3},"
                 "{'name':'eu','location':'fra','rate_per_s':0.1,'entity_share':0.3}],"
                 "'bots':[{'name':'b1','location':'ewr'},{'name':'b2','location':'fra','first_poll':'1500ms'}]}",
                 refresh[k]);
        h_run r;
        h_run_scenario(&r, h_parse_sq(text), "0");
        for (int l = 0; l < 2; l++) {
            char a[64], b[64];
            const char *loc = l ? "fra" : "ewr";
            snprintf(a, sizeof a, "kv.gets.central.cache.%s", loc);
            snprintf(b, sizeof b, "kv.refreshes.cache.%s", loc);
            int64_t fetches = h_counter(&r, a) + h_counter(&r, b);
            /* A bot polls every 3 s, so a copy is replaced at most 3 s
             * after it expires: intervals of 60-63 s without refresh,
             * 54-57 s with it (plus the fetch latency). A copy refreshed
             * by its own writes would be fetched once. */
            assert_true(fetches >= 3600 / 63);
            assert_true(fetches <= (k == 0 ? 3600 / 60 + 1 : 3600 / 54 + 1));
        }
        h_free(&r);
    }
}

/* Aging is judged by what the new value holds. Window 3, three plain
 * messages p1-p3 at ewr; lhr reads the cache at 0 s (copy [p1,p2,p3]);
 * ewr posts x1, x2, x3 at 1, 2, 3 s (central [x1,x2,x3], p1-p3 aged out
 * by them); lhr posts y at 4 s from its copy: [p2,p3,y]. x1-x3 leave the
 * cache although the new value is full, because it holds older messages
 * (p2, p3): lost by overwrite, not aged. */
static const char aging_sq[] =
    "{'name':'aging','duration':'10s','locations':['ewr','lhr'],"
    "'kv':{'cache_ttl':'60s','p429':0,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
    "'cache':{'window':3},'initial':{'plain':{'count':3,'bytes':400}},"
    "'script':["
    "{'at':'0s','call':'pending','location':'lhr'},"
    "{'at':'1s','call':'post','location':'ewr','msg':{'id':'1761868801000-x1','entity':'E'}},"
    "{'at':'2s','call':'post','location':'ewr','msg':{'id':'1761868802000-x2','entity':'E'}},"
    "{'at':'3s','call':'post','location':'ewr','msg':{'id':'1761868803000-x3','entity':'E'}},"
    "{'at':'4s','call':'post','location':'lhr','msg':{'id':'1761868804000-y'}}]}";

static void test_stale_overwrite_is_not_aging(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r, aging_sq, "0");
    assert_int_equal(h_counter(&r, "cache.aged_out"), 3);         /* p1, p2, p3 by x1-x3 */
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 3); /* x1, x2, x3 by y */
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite.post"), 3);
    h_msg(&r, "1761868801000-x1", -1, MS_PENDING);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_expires_from_fetch_despite_own_writes),
        cmocka_unit_test(test_own_write_visibility),
        cmocka_unit_test(test_background_refresh),
        cmocka_unit_test(test_each_location_fetches_once_per_ttl),
        cmocka_unit_test(test_stale_overwrite_is_not_aging),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
