/* test_scenario_roundtrip.c - parse(write(parse(x))) equals parse(x),
 * field by field, for every scenario in scenarios/ and for scenarios whose
 * strategy fields are all away from their defaults (so a field the writer
 * forgets, written as its default by omission, is caught).
 *
 * Structs are compared with memcmp: every scenario struct is calloc'd and
 * filled field by field, so padding is zero in both; the two pointers of
 * kv_config are compared as strings or cleared. Expectations are not
 * written (sc_to_json's contract) and are not compared. */
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

static size_t first_diff(const void *x, const void *y, size_t n)
{
    const unsigned char *p = x, *q = y;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return i;
    return n;
}

/* Scalars and arrays of scalars (no padding inside). */
#define F(x, y, field) \
    do { \
        if (memcmp(&(x)->field, &(y)->field, sizeof (x)->field) != 0) \
            fail_msg("%s: '%s' differs after write and parse (byte %zu)", what, #field, \
                     first_diff(&(x)->field, &(y)->field, sizeof (x)->field)); \
    } while (0)
/* A distribution, field by field (its padding is indeterminate). */
#define D(x, y, field) \
    do { \
        F(x, y, field.kind); \
        F(x, y, field.a); \
        F(x, y, field.b); \
        F(x, y, field.sigma); \
    } while (0)

static void same(const char *what, const scenario *a, const scenario *b)
{
    F(a, b, seed);
    F(a, b, duration);
    F(a, b, epoch_ms);
    F(a, b, noptions);
    F(a, b, options);
    F(a, b, nlocs);
    F(a, b, locs);
    const kv_config *ka = &a->kv, *kb = &b->kv;
    F(ka, kb, nlocs);
    F(ka, kb, cache_ttl);
    F(ka, kb, own_writes_visible);
    F(ka, kb, background_refresh);
    D(ka, kb, get_hit);
    D(ka, kb, get_miss);
    D(ka, kb, put);
    F(ka, kb, get_error_prob);
    F(ka, kb, put_error_prob);
    F(ka, kb, same_key_interval);
    F(ka, kb, p429);
    F(ka, kb, value_max_bytes);
    F(ka, kb, key_max_bytes);
    F(ka, kb, daily_read_cap);
    F(ka, kb, daily_write_cap);
    F(ka, kb, watch_reads_day);
    F(ka, kb, watch_writes_day);
    F(ka, kb, daily_request_cap);
    F(ka, kb, watch_requests_day);
    F(ka, kb, utc_offset);
    F(ka, kb, window);
    F(ka, kb, nmisc);
    assert_string_equal(ka->cache_key_name, kb->cache_key_name);
    F(a, b, nhumans);
    for (int i = 0; i < a->nhumans; i++) {
        const sc_human *x = &a->humans[i], *y = &b->humans[i];
        F(x, y, name);
        F(x, y, loc);
        F(x, y, rate_per_s);
        F(x, y, entity_share);
        F(x, y, legacy_share);
        D(x, y, bytes);
        F(x, y, priority);
        F(x, y, rate_limited);
    }
    F(a, b, nbots);
    for (int i = 0; i < a->nbots; i++) {
        const sc_bot *x = &a->bots[i], *y = &b->bots[i];
        F(x, y, name);
        F(x, y, loc);
        F(x, y, loop);
        F(x, y, poll_every);
        F(x, y, first_poll);
        D(x, y, generation);
        D(x, y, reply_bytes);
        F(x, y, fail_prob);
        F(x, y, crash_prob);
        F(x, y, restart_after);
        F(x, y, rate_limited);
    }
    F(a, b, nreaders);
    for (int i = 0; i < a->nreaders; i++) {
        const sc_reader *x = &a->readers[i], *y = &b->readers[i];
        F(x, y, name);
        F(x, y, loc);
        F(x, y, count);
        F(x, y, period);
        F(x, y, rate_per_s);
        F(x, y, first_poll);
    }
    F(a, b, plain_count);
    F(a, b, plain_bytes);
    F(a, b, nmsgs);
    for (int i = 0; i < a->nmsgs; i++)
        if (memcmp(&a->msgs[i], &b->msgs[i], sizeof a->msgs[i]) != 0)
            fail_msg("%s: 'msgs[%d]' differs after write and parse", what, i);
    F(a, b, strategy.retry_max_attempts);
    F(a, b, strategy.retry_first_backoff);
    F(a, b, strategy.option2_placement);
    F(a, b, strategy.wait_until_limit);
    F(a, b, strategy.cron_every);
    F(a, b, strategy.cron_loc);
    F(a, b, strategy.ext);
    F(a, b, endpoints);
    F(a, b, deployed.pending_limit);
    F(a, b, deployed.max_attempts);
    F(a, b, deployed.rate_posts);
    F(a, b, deployed.rate_window);
    F(a, b, ncalls);
    for (int i = 0; i < a->ncalls; i++)
        if (memcmp(&a->script[i], &b->script[i], sizeof a->script[i]) != 0)
            fail_msg("%s: 'script[%d]' differs after write and parse", what, i);
    F(a, b, npins);
    if (a->npins && memcmp(a->pins, b->pins, (size_t)a->npins * sizeof *a->pins) != 0)
        fail_msg("%s: 'pins' differ after write and parse", what);
    F(a, b, nfaults);
    for (int i = 0; i < a->nfaults; i++) {
        const call_epfault *x = &a->faults[i], *y = &b->faults[i];
        F(x, y, endpoint);
        F(x, y, op);
        F(x, y, key_class);
        F(x, y, prob);
        F(x, y, kind);
    }
}

static void roundtrip(const char *what, scenario *a)
{
    sim_err err = { 0, "" };
    scenario *b = NULL;
    cJSON *j = sc_to_json(a, NULL);
    assert_non_null(j);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    assert_non_null(text);
    if (sc_parse("written.json", text, strlen(text), H_LIMITS, &b, &err) != 0)
        fail_msg("%s: the written scenario does not parse: %s\n%s", what, err.msg, text);
    free(text);
    same(what, a, b);
    sc_free(b);
    sc_free(a);
}

static void test_every_scenario(void **state)
{
    (void)state;
    static const char *const files[] = {
        "scenarios/incident-164.json", "scenarios/busy.json", "scenarios/faults/aged-out.json",
        "scenarios/faults/bot-crash.json", "scenarios/faults/complete-cache-fault.json",
        "scenarios/faults/heartbeat-429.json", "scenarios/faults/hot-key-429.json",
        "scenarios/faults/invocation-limit.json", "scenarios/faults/kv-failures.json",
        "scenarios/faults/legacy-keys.json", "scenarios/faults/parse-error.json",
        "scenarios/faults/race-lost-post.json", "scenarios/faults/race-lost-update.json",
        "scenarios/faults/several-bots.json", "scenarios/faults/size-limit.json",
        "scenarios/faults/stale-read.json", "scenarios/scripted/aged-out-reordered.json",
        "scenarios/scripted/aged-out.json", "scenarios/scripted/incident-164.json",
        "scenarios/scripted/legacy-stuck.json", "scenarios/scripted/lost-post-race.json",
        "scenarios/scripted/lost-update-race.json", "scenarios/scripted/option-1-blind-put.json",
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        sim_err err = { 0, "" };
        scenario *s = NULL;
        if (sc_load(files[k], H_LIMITS, &s, &err) != 0)
            fail_msg("sc_load(%s): %s", files[k], err.msg);
        roundtrip(files[k], s);
    }
}

/* Every strategy field away from its default, declared parameters too. */
static void test_strategy_fields(void **state)
{
    (void)state;
    roundtrip("strategy fields",
              h_parse_sq("{'locations':['ewr','fra'],'strategy':{'retry_max_attempts':7,'retry_first_backoff':'250ms',"
                         "'option2_placement':'inline','cron_every':'5min','cron_location':'fra',"
                         "'do_storage':'scan','do_location':'fra','do_rtt_local':'3ms','do_rtt_remote':'120ms',"
                         "'do_service':'2ms','do_storage_latency':'4ms','do_evict_idle':'1min'}}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_scenario),
        cmocka_unit_test(test_strategy_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
