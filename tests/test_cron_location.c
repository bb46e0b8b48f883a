/* test_cron_location.c - where the cron invocation runs (model/world.c,
 * strategy.cron_location): Cloudflare runs Cron Triggers on machines it
 * chooses, so by default each run gets a KV location of its own with a
 * cold cache; strategy.cron_location names an edge location instead (a
 * what-if override).
 *
 *  - a bot at location "ewr" polls every 3 s and keeps ewr's copy of the
 *    cache fresh; Option 3 runs every minute. By default each run's cache
 *    get is a miss (20 ms): at 60.020 s and 120.020 s, the second although
 *    the first run's copy (fetched at 60.020 s) would still be valid at
 *    120 s: each run is a different machine. With cron_location "ewr" both
 *    are hits (1 ms) on the bot's copy;
 *  - the scenario writer leaves cron_location out when Cloudflare chooses
 *    and parse(write(parse(x))) keeps both forms.
 *
 * One location, constant latencies (get hit 1 ms, miss 20 ms, put 30 ms).
 * ewr's copy: fetched by the poll at 0 (20 ms), valid until 60.020 s; the
 * poll at 63 s refetches it (valid until 123.020 s). */
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

static scenario *room(const char *cron_location)
{
    return sq("{'duration':'150s','locations':['ewr'],'options':['3'],'strategy':{'cron_every':'1min'%s},"
              "'kv':{'p429':0,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
              "'initial':{'plain':{'count':5}},"
              "'bots':[{'name':'bot-1','location':'ewr','poll_every':'3s','first_poll':'0s'}]}",
              cron_location);
}

static void test_cron_cache_is_cold(void **state)
{
    (void)state;
    for (int override = 0; override <= 1; override++) {
        h_run r;
        tr t;
        scenario *s = room(override ? ",'cron_location':'ewr'" : "");
        assert_int_equal(s->strategy.cron_loc, override ? 0 : ST_CRON_LOC_CLOUDFLARE);
        run_traced(&r, s, "3", &t);
        int64_t lat = override ? 1 * MS : 20 * MS;
        for (int k = 0; k < 2; k++) {
            uint64_t id = tr_call(&t, "cron", k);
            assert_int_equal(tr_op_t(&t, id, "get", "recent:comments", 0), (k + 1) * 60 * S + lat);
        }
        assert_int_equal(h_counter(&r, "calls.cron"), 2);
        tr_free(&t);
        h_free(&r);
    }
}

static void test_cron_location_written_only_when_set(void **state)
{
    (void)state;
    for (int override = 0; override <= 1; override++) {
        scenario *s = room(override ? ",'cron_location':'ewr'" : "");
        cJSON *j = sc_to_json(s, NULL);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "strategy");
        const cJSON *loc = cJSON_GetObjectItemCaseSensitive(st, "cron_location");
        if (override)
            assert_string_equal(loc->valuestring, "ewr");
        else
            assert_null(loc);
        char *text = cJSON_PrintUnformatted(j);
        scenario *back = h_parse(text);
        assert_int_equal(back->strategy.cron_loc, s->strategy.cron_loc);
        free(text);
        cJSON_Delete(j);
        sc_free(back);
        sc_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cron_cache_is_cold),
        cmocka_unit_test(test_cron_location_written_only_when_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
