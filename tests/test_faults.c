/* test_faults.c - the fault catalogue (MODEL.md section 4, docs/faults.md).
 *
 * For each fault: with its mechanism on, the fault appears, produced by that
 * mechanism (timing, location caches, sizes, a corrupt value, the window,
 * error probabilities, 429s, caps, the op limit, bots); with the mechanism
 * off and everything else equal, it does not. Most tests load the fault's
 * scenario from scenarios/faults/ and change one field of the loaded
 * configuration to switch the mechanism off. The last tests check the
 * divergence metrics on hand-built timelines whose answer is known to the
 * microsecond. Tests run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define FAULTS "scenarios/faults/"

static scenario *load(const char *path)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load(path, H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    return s;
}

static scenario *parse_sq(const char *sq_text)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    size_t n = strlen(sq_text);
    char *text = test_malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        text[i] = sq_text[i] == '\'' ? '"' : sq_text[i];
    int rc = sc_parse("inline.json", text, n, H_LIMITS, &s, &err);
    test_free(text);
    if (rc != 0)
        fail_msg("sc_parse: %s", err.msg);
    return s;
}

/* Index of the script entry at time t (seconds, exact), or fails. */
static int script_at(const scenario *s, sim_us t)
{
    for (int i = 0; i < s->ncalls; i++)
        if (s->script[i].at == t)
            return i;
    fail_msg("%s: no script entry at %lld us", s->path, (long long)t);
    return -1;
}

static const char *const M1 = "1761868000000-m1aaaaaaa";

/* ---- 1. race: overlapping read-modify-writes of recent:comments ---- */

static void test_race_lost_update_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "race-lost-update.json", "0");
    assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
    assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 1);
    h_msg(&r, M1, MS_PROCESSING, MS_COMPLETE);
    h_free(&r);
}

/* The same two requests, the post moved 2 s later: no overlap, no loss. */
static void test_race_lost_update_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "race-lost-update.json");
    s->script[script_at(s, 10030000)].at = 12 * SIM_US_PER_S;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
    h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
    h_msg(&r, "1761868010030-m3ccccccc", MS_PENDING, MS_PENDING);
    h_free(&r);
}

static void test_race_lost_post_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "race-lost-post.json", "1");
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 1);
    h_msg(&r, "1761868010000-m2bbbbbbb", -1, MS_PENDING);
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_RET], 1);
    h_free(&r);
}

static void test_race_lost_post_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "race-lost-post.json");
    s->script[script_at(s, 10010000)].at = 12 * SIM_US_PER_S;
    h_run_scenario(&r, s, "1");
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
    h_msg(&r, "1761868010000-m2bbbbbbb", MS_PENDING, MS_PENDING);
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_RET], 2);
    h_free(&r);
}

/* ---- 2. stale read: location caches ---- */

static void test_stale_read_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "stale-read.json", "0");
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 1);
    h_msg(&r, "1761868005000-m2bbbbbbb", -1, MS_PENDING);
    h_free(&r);
}

/* Every actor at one location: each write refreshes the copy the next
 * read is served from, so nothing is lost. */
static void test_stale_read_one_location(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "stale-read.json");
    for (int i = 0; i < s->ncalls; i++)
        s->script[i].loc = 0;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
    h_msg(&r, "1761868005000-m2bbbbbbb", MS_PENDING, MS_PENDING);
    h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
    h_free(&r);
}

/* With one location cacheTtl changes nothing: 30 s and 1 h give the same. */
static void test_stale_read_ttl_irrelevant_one_location(void **state)
{
    (void)state;
    static const sim_us ttls[2] = { 30 * SIM_US_PER_S, 3600 * SIM_US_PER_S };
    for (int k = 0; k < 2; k++) {
        h_run r;
        scenario *s = load(FAULTS "stale-read.json");
        s->kv.cache_ttl = ttls[k];
        for (int i = 0; i < s->ncalls; i++)
            s->script[i].loc = 0;
        h_run_scenario(&r, s, "0");
        assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
        assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
        h_msg(&r, "1761868005000-m2bbbbbbb", MS_PENDING, MS_PENDING);
        h_free(&r);
    }
}

/* Two locations, but the complete comes after sin's copy expired (ttl
 * 30 s, read at 1 s): it reads the current value and nothing is lost. */
static void test_stale_read_after_ttl(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "stale-read.json");
    s->kv.cache_ttl = 30 * SIM_US_PER_S;
    s->duration = 60 * SIM_US_PER_S;
    s->script[script_at(s, 10 * SIM_US_PER_S)].at = 40 * SIM_US_PER_S;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
    h_msg(&r, "1761868005000-m2bbbbbbb", MS_PENDING, MS_PENDING);
    h_free(&r);
}

/* ---- 3. size limit ---- */

static void test_size_limit_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "size-limit.json", "0");
    assert_int_equal(h_counter(&r, "kv.failed.too-large"), 2);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.too-large"), 2);
    assert_int_equal(h_counter(&r, "cache.never_cached"), 2);
    h_msg(&r, "1761868005000-m2bbbbbbb", -1, MS_PENDING);
    h_free(&r);
}

/* Messages a tenth the size: the cache is 2.6 MB and every put fits. */
static void test_size_limit_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "size-limit.json");
    s->plain_bytes /= 10;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "kv.failed.too-large"), 0);
    assert_int_equal(h_counter(&r, "cache.never_cached"), 0);
    h_msg(&r, "1761868005000-m2bbbbbbb", MS_PENDING, MS_PENDING);
    assert_int_equal(h_poll(&r, 0)[H_RET], 1);
    h_free(&r);
}

/* The boundary, exactly: a put of value_max_bytes fits, one byte more is
 * refused. The cache: 2 + 3 x 400 + 2 commas = 1,204 bytes, plus a post of
 * b bytes and its comma. */
static void test_size_limit_boundary(void **state)
{
    (void)state;
    const int64_t lim = 26214400, base = 2 + 3 * 400 + 2;
    for (int over = 0; over <= 1; over++) {
        h_run r;
        scenario *s = parse_sq("{ 'duration': '10s', 'initial': { 'plain': { 'count': 3, 'bytes': 400 } },"
                               "  'script': [ { 'at': '1s', 'call': 'post', 'msg': { 'id': '1761868001000-bigbigbig' } } ] }");
        assert_int_equal(s->limits.value_max_bytes, lim);
        s->script[0].bytes = (int32_t)(lim - base - 1 + over);
        h_run_scenario(&r, s, "0");
        assert_int_equal(h_counter(&r, "kv.failed.too-large"), over);
        h_msg(&r, "1761868001000-bigbigbig", over ? -1 : MS_NONE, MS_NONE);
        h_free(&r);
    }
}

/* A cache seeded over the limit (a state the binding itself never writes)
 * makes every cache update fail, claim/complete and Option 1's heal put
 * alike: the episode stays open. */
static void test_size_limit_seeded_over(void **state)
{
    (void)state;
    for (int opt = 0; opt <= 1; opt++) {
        h_run r;
        scenario *s = load(FAULTS "size-limit.json");
        s->plain_bytes = 174760; /* a few hundred bytes over the limit */
        h_run_scenario(&r, s, opt ? "1" : "0");
        assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
        assert_int_equal(h_counter(&r, "divergence.healed"), 0);
        assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 1);
        /* complete, two posts, and under Option 1 three heal puts */
        assert_int_equal(h_counter(&r, "cache_update.swallowed.too-large"), opt ? 6 : 3);
        h_msg(&r, M1, MS_PROCESSING, MS_COMPLETE);
        h_free(&r);
    }
}

/* ---- 4. parse error ---- */

static void test_parse_error_on(void **state)
{
    (void)state;
    for (int opt = 0; opt <= 1; opt++) {
        h_run r;
        h_run_file(&r, FAULTS "parse-error.json", opt ? "1" : "0");
        assert_int_equal(h_counter(&r, "http.pending.500"), 3);
        assert_int_equal(h_counter(&r, "cache_update.swallowed.parse"), 2);
        assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_STATUS], 500);
        h_free(&r);
    }
}

static void test_parse_error_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "parse-error.json");
    int k = 0;
    for (int i = 0; i < s->ncalls; i++)
        if (s->script[i].kind != SC_CORRUPT)
            s->script[k++] = s->script[i];
    assert_int_equal(k, s->ncalls - 1);
    s->ncalls = k;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "http.pending.500"), 0);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.parse"), 0);
    assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
    h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
    h_msg(&r, "1761868050000-m2bbbbbbb", MS_PENDING, MS_PENDING);
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_RET], 1);
    h_free(&r);
}

/* The corrupt value is written from elsewhere: a location keeps serving
 * its good copy until cacheTtl runs out. Corrupted at 40 s, ewr's copy
 * (from the claim's put at 2.062 s) is good until 62.062 s with a 60 s ttl,
 * so the 45-57 s requests all parse fine. */
static void test_parse_error_hidden_by_location_copy(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "parse-error.json");
    s->kv.cache_ttl = 60 * SIM_US_PER_S;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "http.pending.500"), 0);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.parse"), 0);
    h_free(&r);
}

/* ---- 5. aged out ---- */

static void test_aged_out_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "aged-out.json", "0");
    assert_int_equal(h_counter(&r, "cache_update.entry_missing"), 1);
    assert_int_equal(h_counter(&r, "cache.pending_aged_out"), 1);
    assert_int_equal(h_counter(&r, "divergence.censored.aged_out"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    h_free(&r);
}

/* The real window of 200: nothing leaves, m1's complete finds its entry,
 * m2 is returned, s1 stays stuck to the end under Option 0. */
static void test_aged_out_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "aged-out.json");
    s->kv.window = 200;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "cache.aged_out"), 0);
    assert_int_equal(h_counter(&r, "cache_update.entry_missing"), 0);
    assert_int_equal(h_counter(&r, "cache.pending_aged_out"), 0);
    assert_int_equal(h_counter(&r, "divergence.censored.aged_out"), 0);
    assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 1);
    h_msg(&r, "1761868001000-m1aaaaaaa", MS_COMPLETE, MS_COMPLETE);
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_RET], 1);
    h_free(&r);
}

/* ---- legacy keys ---- */

static void test_legacy_keys_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "legacy-keys.json", "0");
    assert_int_equal(h_poll(&r, 0)[H_KVR], 5);
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_KVR], 3); /* 2 for L1 */
    assert_int_equal(h_counter(&r, "liveness.answers"), 1);
    h_free(&r);
    h_run_file(&r, FAULTS "legacy-keys.json", "1");
    for (size_t k = 0; k < h_npolls(&r); k++) {
        assert_int_equal(h_poll(&r, k)[H_KVW], 0);
        assert_int_equal(h_poll(&r, k)[H_RET], 0);
    }
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    assert_int_equal(h_counter(&r, "liveness.answers"), 0);
    h_free(&r);
}

/* The same two messages under the current key format: one read each, and
 * Option 1 heals L1 on its first poll and answers L2. */
static void test_legacy_keys_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "legacy-keys.json");
    for (int i = 0; i < s->nmsgs; i++)
        s->msgs[i].legacy = 0;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_poll(&r, 0)[H_KVR], 3);
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_KVR], 2);
    h_free(&r);
    s = load(FAULTS "legacy-keys.json");
    for (int i = 0; i < s->nmsgs; i++)
        s->msgs[i].legacy = 0;
    h_run_scenario(&r, s, "1");
    assert_int_equal(h_poll(&r, 0)[H_KVW], 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 1);
    assert_int_equal(h_counter(&r, "liveness.answers"), 1);
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_KVR], 1);
    h_free(&r);
}

/* ---- 6. KV failures: error probabilities, 429, daily caps ---- */

static void test_kv_failures_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "kv-failures.json", "0");
    assert_true(h_counter(&r, "kv.failed.transient") > 0);
    assert_true(h_counter(&r, "cache_update.swallowed.transient") > 0);
    assert_true(h_counter(&r, "divergence.episodes") >= 1);
    h_free(&r);
}

/* Same day, no errors: nothing fails and nothing is swallowed. What still
 * diverges is the race of fault 1 (a post overlapping a claim or complete
 * at this traffic, p429 being 0), far rarer than the errors' episodes. */
static void test_kv_failures_off(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "kv-failures.json", "0");
    int64_t with_errors = h_counter(&r, "divergence.episodes");
    h_free(&r);
    scenario *s = load(FAULTS "kv-failures.json");
    for (int k = 0; k < 2; k++)
        s->kv.get_error_prob[k] = s->kv.put_error_prob[k] = 0;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "kv.failed.transient"), 0);
    assert_int_equal(h_counter(&r, "cache_update.swallowed.transient"), 0);
    assert_int_equal(h_counter(&r, "http.pending.500"), 0);
    assert_int_equal(h_counter(&r, "http.claim.500") + h_counter(&r, "http.complete.500") +
                     h_counter(&r, "http.post.500"), 0);
    assert_true(h_counter(&r, "divergence.episodes") * 4 <= with_errors);
    h_free(&r);
}

/* No overlapping requests at all: one bot working through five pending
 * messages, nobody else. Without errors nothing diverges; with cache puts
 * failing half the time, episodes open (and stay open under Option 0). */
static const char *const SERIAL_SQ =
    "{ 'duration': '10min', 'locations': ['ewr'], 'kv': { 'p429': 0 },"
    "  'initial': { 'plain': { 'count': 20 }, 'messages': ["
    "    { 'id': '1761868000001-s1sssssss', 'entity': 'E' }, { 'id': '1761868000002-s2sssssss', 'entity': 'E' },"
    "    { 'id': '1761868000003-s3sssssss', 'entity': 'E' }, { 'id': '1761868000004-s4sssssss', 'entity': 'E' },"
    "    { 'id': '1761868000005-s5sssssss', 'entity': 'E' } ] },"
    "  'bots': [ { 'name': 'bot-1', 'generation': '4s' } ] }";

static void test_kv_failures_serial(void **state)
{
    (void)state;
    for (int on = 0; on <= 1; on++) {
        h_run r;
        scenario *s = parse_sq(SERIAL_SQ);
        s->kv.put_error_prob[KV_CLASS_CACHE] = on ? 0.5 : 0;
        h_run_scenario(&r, s, "0");
        assert_int_equal(h_counter(&r, "liveness.answers"), 5);
        if (on) {
            assert_true(h_counter(&r, "divergence.episodes") >= 1);
            assert_true(h_counter(&r, "cache_update.swallowed.transient") >= 1);
        } else {
            assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
            assert_int_equal(h_counter(&r, "stuck.final"), 0);
            assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_KVR], 1);
        }
        h_free(&r);
    }
}

/* Split probabilities: errors only on the cache key never fail a request
 * (every cache get/put outside pending sits in a try/catch) except pending's
 * own cache get; errors only on individual keys never touch the cache. */
static void test_kv_failures_by_class(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "kv-failures.json");
    s->kv.get_error_prob[KV_CLASS_INDIVIDUAL] = s->kv.put_error_prob[KV_CLASS_INDIVIDUAL] = 0;
    s->kv.get_error_prob[KV_CLASS_CACHE] = 0;
    s->kv.put_error_prob[KV_CLASS_CACHE] = 0.05;
    h_run_scenario(&r, s, "0");
    assert_true(h_counter(&r, "cache_update.swallowed.transient") > 0);
    assert_int_equal(h_counter(&r, "kv.failed.transient"), h_counter(&r, "cache_update.swallowed.transient"));
    assert_int_equal(h_counter(&r, "http.claim.500") + h_counter(&r, "http.complete.500") +
                     h_counter(&r, "http.post.500") + h_counter(&r, "http.pending.500"), 0);
    h_free(&r);
}

static const char *const POSTS_SQ =
    "{ 'duration': '20s', 'locations': ['ewr'],"
    "  'kv': { 'latency': { 'get_hit': '1ms', 'get_miss': '20ms', 'put': '30ms' } },"
    "  'initial': { 'plain': { 'count': 5 } },"
    "  'script': ["
    "    { 'at': '1s', 'call': 'post', 'msg': { 'id': '1761868001000-p1ppppppp', 'entity': 'E' } },"
    "    { 'at': '2s', 'call': 'post', 'msg': { 'id': '1761868002000-p2ppppppp', 'entity': 'E' } },"
    "    { 'at': '3s', 'call': 'post', 'msg': { 'id': '1761868003000-p3ppppppp', 'entity': 'E' } },"
    "    { 'at': '4s', 'call': 'post', 'msg': { 'id': '1761868004000-p4ppppppp', 'entity': 'E' } },"
    "    { 'at': '10s', 'call': 'pending' } ] }";

/* Four posts at a given spacing with p429 set to 1. The limit counts from the
 * last write that landed (a refused one does not count): 0.3 s apart, the
 * first cache put lands at 1.080 s and the other three by 1.961 s, all
 * refused; 1.5 s apart, none is. (At 0.5 s the fourth, 1.481 s after the
 * first, would be accepted.) */
static void test_429_by_spacing(void **state)
{
    (void)state;
    static const sim_us gaps[2] = { 300000, 1500000 };
    for (int k = 0; k < 2; k++) {
        h_run r;
        scenario *s = parse_sq(POSTS_SQ);
        s->kv.p429 = 1.0;
        for (int i = 0; i < 4; i++)
            s->script[i].at = SIM_US_PER_S + i * gaps[k];
        h_run_scenario(&r, s, "0");
        int64_t refused = k == 0 ? 3 : 0;
        assert_int_equal(h_counter(&r, "kv.failed.429"), refused);
        assert_int_equal(h_counter(&r, "cache_update.swallowed.429"), refused);
        assert_int_equal(h_counter(&r, "cache.never_cached"), refused);
        assert_int_equal(h_poll(&r, 0)[H_RET], 4 - refused);
        h_free(&r);
    }
}

static void test_429_hot_key_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "hot-key-429.json", "0");
    assert_true(h_counter(&r, "kv.failed.429") > 0);
    assert_true(h_counter(&r, "cache_update.swallowed.429") > 0);
    assert_true(h_counter(&r, "divergence.episodes") > 0);
    h_free(&r);
}

/* The bot posts its reply and calls complete about 60 ms later: with the
 * limit enforced, the complete's cache put lands too soon after the
 * reply's and is refused, leaving exactly the incident's state. */
static const char *const ONE_ANSWER_SQ =
    "{ 'duration': '30s', 'locations': ['ewr'],"
    "  'kv': { 'latency': { 'get_hit': '1ms', 'get_miss': '20ms', 'put': '30ms' } },"
    "  'initial': { 'plain': { 'count': 5 },"
    "    'messages': [ { 'id': '1761868000000-m1aaaaaaa', 'entity': 'E' } ] },"
    "  'bots': [ { 'name': 'bot-1', 'first_poll': '1s', 'generation': '4s' } ] }";

static void test_429_reply_then_complete(void **state)
{
    (void)state;
    for (int enforce = 0; enforce <= 1; enforce++) {
        h_run r;
        scenario *s = parse_sq(ONE_ANSWER_SQ);
        s->kv.p429 = enforce;
        h_run_scenario(&r, s, "0");
        assert_int_equal(h_counter(&r, "liveness.answers"), 1);
        assert_int_equal(h_counter(&r, "cache_update.swallowed.429"), enforce);
        assert_int_equal(h_counter(&r, "stuck.final"), enforce);
        h_msg(&r, M1, enforce ? MS_PROCESSING : MS_COMPLETE, MS_COMPLETE);
        h_free(&r);
    }
}

/* Free plan, incident state, Option 0: 5 reads x 28,800 polls = 144,000
 * reads a day, over the 100,000 cap, so reads fail past the cap. */
static void test_daily_read_cap(void **state)
{
    (void)state;
    for (int capped = 0; capped <= 1; capped++) {
        h_run r;
        scenario *s = load("scenarios/incident-164.json");
        s->kv.daily_read_cap = capped ? 100000 : 0;
        h_run_scenario(&r, s, "0");
        if (capped) {
            assert_true(h_counter(&r, "kv.failed.daily-cap") > 0);
            assert_int_equal(h_counter(&r, "kv.reads"), 100000);
            assert_true(h_counter(&r, "http.pending.500") > 0);
        } else {
            assert_int_equal(h_counter(&r, "kv.failed.daily-cap"), 0);
            assert_int_equal(h_counter(&r, "kv.reads"), 5 * 28800);
        }
        h_free(&r);
    }
}

/* Write cap: the kv-failures day without errors writes about 6,000 times;
 * capped at 1,000 a day, the rest fail. Caps reset at 00:00 UTC: a second
 * day writes again. */
static void test_daily_write_cap(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "kv-failures.json");
    for (int k = 0; k < 2; k++)
        s->kv.get_error_prob[k] = s->kv.put_error_prob[k] = 0;
    s->kv.daily_write_cap = 1000;
    s->duration = 2 * MET_US_PER_DAY;
    h_run_scenario(&r, s, "0");
    assert_true(h_counter(&r, "kv.failed.daily-cap") > 0);
    met_id w = met_find_counter(r.m, "kv.writes");
    size_t nd = 0;
    const int64_t *days = met_counter_days(r.m, w, &nd);
    assert_int_equal(nd, 2);
    assert_int_equal(days[0], 1000);
    assert_int_equal(days[1], 1000);
    h_free(&r);
}

/* ---- 7. per-invocation operation limit ---- */

/* A window of n pending entity messages, each needing one verify read:
 * pending makes 1 + n operations. */
static scenario *backlog(int n)
{
    char text[512];
    snprintf(text, sizeof text,
             "{ 'duration': '1min', 'cache': { 'window': %d }, 'script': [ { 'at': '1s', 'call': 'pending' } ] }", n);
    scenario *s = parse_sq(text);
    s->msgs = calloc((size_t)n, sizeof *s->msgs);
    assert_non_null(s->msgs);
    for (int i = 0; i < n; i++) {
        sc_msg *m = &s->msgs[i];
        snprintf(m->id, sizeof m->id, "%lld-b%08d", (long long)(INT64_C(1761860000000) + i), i);
        m->type = MT_HUMAN;
        m->entity = 1;
        m->stored = m->cached = MS_PENDING;
        m->bytes = 600;
    }
    s->nmsgs = n;
    return s;
}

static void test_op_limit_boundary(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, backlog(999), "0"); /* 1,000 operations: allowed */
    assert_int_equal(h_counter(&r, "kv.failed.op-limit"), 0);
    assert_int_equal(h_poll(&r, 0)[H_STATUS], 200);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 1000);
    assert_int_equal(h_poll(&r, 0)[H_RET], 999);
    h_free(&r);
    h_run_scenario(&r, backlog(1000), "0"); /* the 1,001st is refused */
    assert_int_equal(h_counter(&r, "kv.failed.op-limit"), 1);
    assert_int_equal(h_poll(&r, 0)[H_STATUS], 500);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 1000);
    h_free(&r);
}

static void test_op_limit_scenario(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "invocation-limit.json", "1");
    assert_true(h_counter(&r, "kv.failed.op-limit") > 0);
    assert_int_equal(h_counter(&r, "kv.failed.op-limit"), h_counter(&r, "http.pending.500"));
    assert_int_equal(h_counter(&r, "http.pending.200"), 0);
    h_free(&r);
    /* the real window: at most 1 + 200 operations, the bot serves the room */
    scenario *s = load(FAULTS "invocation-limit.json");
    s->kv.window = 200;
    h_run_scenario(&r, s, "1");
    assert_int_equal(h_counter(&r, "kv.failed.op-limit"), 0);
    assert_int_equal(h_counter(&r, "http.pending.500"), 0);
    assert_true(h_counter(&r, "liveness.answers") > 0);
    h_free(&r);
}

/* ---- 8. bots ---- */

static void test_several_bots_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "several-bots.json", "0");
    /* the claim trusts its location's copy of the key: no 409 refuses it */
    assert_true(h_counter(&r, "safety.answered_twice") >= 1);
    assert_int_equal(h_counter(&r, "http.claim.409"), 0);
    h_free(&r);
}

static void test_several_bots_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "several-bots.json");
    s->nbots = 1;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "safety.answered_twice"), 0);
    assert_int_equal(h_counter(&r, "safety.returned_after_claim"), 0);
    h_free(&r);
}

static void test_bot_crash_on(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, FAULTS "bot-crash.json", "1");
    int64_t crashed = h_counter(&r, "liveness.never_answered");
    assert_true(crashed >= 1);
    assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
    /* each crashed claim costs one read per poll while in the window */
    assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_KVR], 1 + crashed);
    h_free(&r);
}

static void test_bot_crash_off(void **state)
{
    (void)state;
    h_run r;
    scenario *s = load(FAULTS "bot-crash.json");
    s->bots[0].crash_prob = 0;
    s->duration -= 60 * SIM_US_PER_S; /* not cut off mid-answer */
    h_run_scenario(&r, s, "1");
    int64_t unanswered = h_counter(&r, "liveness.never_answered");
    assert_true(unanswered <= 1); /* at most the one in progress at the end */
    assert_true(h_poll(&r, h_npolls(&r) - 1)[H_KVR] <= 2);
    h_free(&r);
}

/* fail_prob 1: generation always fails, the bot calls fail, the message is
 * failed in key and cache (terminal: no more reads), never answered. */
static void test_bot_fail(void **state)
{
    (void)state;
    for (int failing = 0; failing <= 1; failing++) {
        h_run r;
        scenario *s = parse_sq(ONE_ANSWER_SQ);
        s->kv.p429 = 0;
        s->bots[0].fail_prob = failing;
        h_run_scenario(&r, s, "0");
        assert_int_equal(h_counter(&r, "http.fail.200"), failing);
        assert_int_equal(h_counter(&r, "liveness.answers"), 1 - failing);
        h_msg(&r, M1, failing ? MS_FAILED : MS_COMPLETE, failing ? MS_FAILED : MS_COMPLETE);
        assert_int_equal(h_poll(&r, h_npolls(&r) - 1)[H_KVR], 1);
        h_free(&r);
    }
}

/* ---- divergence metrics on hand-built timelines ---- */

/* m1 is processing. The complete at 10 s: get key (miss, 20 ms) 10.020,
 * put key 10.050, get cache (miss) 10.070, put cache fails 10.100: the
 * request ends at 10.100000 s with the cache stale, the episode opens. */
static const char *const FAILED_COMPLETE_SQ =
    "{ 'duration': '30s', 'locations': ['ewr'],"
    "  'kv': { 'latency': { 'get_hit': '1ms', 'get_miss': '20ms', 'put': '30ms' } },"
    "  'initial': { 'plain': { 'count': 3 }, 'messages': [ { 'id': '1761868000000-m1aaaaaaa',"
    "    'entity': 'E', 'stored': 'processing', 'cached': 'processing' } ] },"
    "  'script': ["
    "    { 'at': '10s', 'call': 'complete', 'msg': '1761868000000-m1aaaaaaa',"
    "      'fail': [ { 'op': 'put', 'key': 'cache', 'kind': 'error' } ] },"
    "    { 'at': '20s', 'call': 'pending' } ] }";

/* Option 1's poll at 20 s: get cache (hit) 20.001, get key (hit: the put
 * at 10.050 refreshed ewr) 20.002, heal put lands 20.032. */
static void test_heal_latency_exact(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, parse_sq(FAILED_COMPLETE_SQ), "1");
    assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 1);
    size_t n = 0;
    const int64_t *lat = met_samples_sorted(r.m, met_samples(r.m, "heal_latency_us"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(lat[0], INT64_C(20032000) - INT64_C(10100000));
    const int64_t *p = h_poll(&r, 0);
    assert_int_equal(p[H_KVR], 2);
    assert_int_equal(p[H_KVW], 1);
    h_msg(&r, M1, MS_COMPLETE, MS_COMPLETE);
    h_free(&r);
}

static void test_episode_open_at_end(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, parse_sq(FAILED_COMPLETE_SQ), "0");
    assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 1);
    assert_int_equal(h_counter(&r, "divergence.censored.aged_out"), 0);
    size_t n = 99;
    met_samples_sorted(r.m, met_samples(r.m, "heal_latency_us"), &n);
    assert_int_equal(n, 0);
    assert_int_equal(h_counter(&r, "stuck.final"), 1);
    h_free(&r);
}

/* Window 3: [p1, p2, m1]. The failed complete leaves m1 stale at 1.100 s;
 * three posts 2 s apart push it out with the third: censored, not healed,
 * and no longer open at the end. */
static void test_episode_censored_aged_out(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r,
             "{ 'duration': '20s', 'locations': ['ewr'], 'cache': { 'window': 3 },"
             "  'kv': { 'latency': { 'get_hit': '1ms', 'get_miss': '20ms', 'put': '30ms' } },"
             "  'initial': { 'plain': { 'count': 2 }, 'messages': [ { 'id': '1761868000000-m1aaaaaaa',"
             "    'entity': 'E', 'stored': 'processing', 'cached': 'processing' } ] },"
             "  'script': ["
             "    { 'at': '1s', 'call': 'complete', 'msg': '1761868000000-m1aaaaaaa',"
             "      'fail': [ { 'op': 'put', 'key': 'cache', 'kind': 'error' } ] },"
             "    { 'at': '3s', 'call': 'post', 'msg': { 'id': '1761868003000-aaaaaaaaa' } },"
             "    { 'at': '5s', 'call': 'post', 'msg': { 'id': '1761868005000-bbbbbbbbb' } },"
             "    { 'at': '7s', 'call': 'post', 'msg': { 'id': '1761868007000-ccccccccc' } },"
             "    { 'at': '9s', 'call': 'pending' } ] }",
             "0");
    assert_int_equal(h_counter(&r, "divergence.episodes"), 1);
    assert_int_equal(h_counter(&r, "divergence.censored.aged_out"), 1);
    assert_int_equal(h_counter(&r, "divergence.healed"), 0);
    assert_int_equal(h_counter(&r, "divergence.censored.open_at_end"), 0);
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 1); /* aging ended the extra read */
    h_msg(&r, M1, -1, MS_COMPLETE);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_race_lost_update_on),
        cmocka_unit_test(test_race_lost_update_off),
        cmocka_unit_test(test_race_lost_post_on),
        cmocka_unit_test(test_race_lost_post_off),
        cmocka_unit_test(test_stale_read_on),
        cmocka_unit_test(test_stale_read_one_location),
        cmocka_unit_test(test_stale_read_ttl_irrelevant_one_location),
        cmocka_unit_test(test_stale_read_after_ttl),
        cmocka_unit_test(test_size_limit_on),
        cmocka_unit_test(test_size_limit_off),
        cmocka_unit_test(test_size_limit_boundary),
        cmocka_unit_test(test_size_limit_seeded_over),
        cmocka_unit_test(test_parse_error_on),
        cmocka_unit_test(test_parse_error_off),
        cmocka_unit_test(test_parse_error_hidden_by_location_copy),
        cmocka_unit_test(test_aged_out_on),
        cmocka_unit_test(test_aged_out_off),
        cmocka_unit_test(test_legacy_keys_on),
        cmocka_unit_test(test_legacy_keys_off),
        cmocka_unit_test(test_kv_failures_on),
        cmocka_unit_test(test_kv_failures_off),
        cmocka_unit_test(test_kv_failures_serial),
        cmocka_unit_test(test_kv_failures_by_class),
        cmocka_unit_test(test_429_by_spacing),
        cmocka_unit_test(test_429_hot_key_on),
        cmocka_unit_test(test_429_reply_then_complete),
        cmocka_unit_test(test_daily_read_cap),
        cmocka_unit_test(test_daily_write_cap),
        cmocka_unit_test(test_op_limit_boundary),
        cmocka_unit_test(test_op_limit_scenario),
        cmocka_unit_test(test_several_bots_on),
        cmocka_unit_test(test_several_bots_off),
        cmocka_unit_test(test_bot_crash_on),
        cmocka_unit_test(test_bot_crash_off),
        cmocka_unit_test(test_bot_fail),
        cmocka_unit_test(test_heal_latency_exact),
        cmocka_unit_test(test_episode_open_at_end),
        cmocka_unit_test(test_episode_censored_aged_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
