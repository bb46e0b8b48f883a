/* test_option4.c - Option 4, the queue in one Durable Object, and the
 * plug-in interface it proves.
 *
 * 1. The incident: no KV operation at all; memory reads the 200 migrated
 *    rows once (the first constructor), scan reads all 200 on each of the
 *    28,800 polls.
 * 2. The busy room: zero posts lost and zero double answers where Option 0
 *    has many; scan's pending reads exactly the stored rows per poll,
 *    memory's none.
 * 3. Eviction: a bot polling every 30 s finds an object that evicts after
 *    10 s idle gone each time; the constructor reloads every row, billed
 *    as rows read and as duration.
 * 4. The bill of that run against a hand calculation.
 * 5. Parameters: parsed from the scenario, bad values located, written
 *    back only when not the default, set in an option spec.
 * 6. A strategy defined in this file alone runs end to end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "model/endpoint.h"
#include "model/pricing.h"
#include "model/strategies/strategies.h"
#include "model/strategy.h"
#include "trace_reader.h"

#define INCIDENT "scenarios/incident-164.json"
#define BUSY "scenarios/busy.json"
#define POLLS_PER_DAY 28800
#define PUSD_PER_USD INT64_C(1000000000000)

/* ---- 1. the incident ---- */

static void test_incident_memory(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, INCIDENT, "4");
    assert_int_equal(h_npolls(&r), POLLS_PER_DAY);
    for (size_t k = 0; k < POLLS_PER_DAY; k++) {
        const int64_t *row = h_poll(&r, k);
        if (row[H_KVR] != 0 || row[H_KVW] != 0 || row[H_STATUS] != 200 || row[H_RET] != 0)
            fail_msg("poll %zu: [KVr:%lld KVw:%lld] status %lld returned %lld", k + 1, (long long)row[H_KVR],
                     (long long)row[H_KVW], (long long)row[H_STATUS], (long long)row[H_RET]);
    }
    assert_int_equal(h_counter(&r, "kv.reads"), 0);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    assert_int_equal(h_counter(&r, "do.requests"), POLLS_PER_DAY);
    /* the window the incident starts with: 200 rows, read once by the
     * first constructor; the bot polls every 3 s, under the 10 s idle */
    assert_int_equal(h_counter(&r, "do.storage.rows_end"), 200);
    assert_int_equal(h_counter(&r, "do.rows_read"), 200);
    assert_int_equal(h_counter(&r, "do.rows_read.reload"), 200);
    assert_int_equal(h_counter(&r, "do.rows_read.pending"), 0);
    assert_int_equal(h_counter(&r, "do.evictions"), 0);
    assert_int_equal(h_counter(&r, "do.rows_written"), 0);
    /* the migration gives the four stuck entries their keys' status */
    assert_int_equal(h_counter(&r, "stuck.final"), 0);
    h_msg(&r, "1761922126074-d9ostp8tt", MS_COMPLETE, MS_COMPLETE);
    h_free(&r);
}

static void test_incident_scan(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, INCIDENT, "4:do_storage=scan");
    assert_int_equal(h_counter(&r, "kv.reads"), 0);
    assert_int_equal(h_counter(&r, "do.rows_read.pending"), 200 * POLLS_PER_DAY);
    assert_int_equal(h_counter(&r, "do.rows_read"), 200 * POLLS_PER_DAY); /* no constructor reload */
    h_free(&r);
}

/* ---- 2. the busy room ---- */

static scenario *busy(int hours)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load(BUSY, H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    s->duration = hours * 3600 * SIM_US_PER_S;
    return s;
}

static void test_busy_safety(void **state)
{
    (void)state;
    h_run r;
    /* Option 0's double answers come in bursts (a divergence episode answers
     * many messages twice): over 2 hours, seeds 1-10 and 2026 give 6 to 177
     * of them, over 6 hours the four lowest of those seeds give 21 to 27
     * (issue 18's generator switch: the old draws gave 57 in 2 hours). So the
     * baseline runs 6 hours, long enough for the burst-free rate of about
     * 3.5 an hour to pass 10 whatever the draws; lost overwrites are steady
     * (5,200-5,500 in 2 hours). */
    h_run_scenario(&r, busy(6), "0");
    int64_t lost0 = h_counter(&r, "cache.lost_by_overwrite"), twice0 = h_counter(&r, "safety.answered_twice");
    h_free(&r);
    assert_true(lost0 > 100);
    assert_true(twice0 > 10);
    static const char *const variants[] = { "4", "4:do_storage=scan" };
    for (int v = 0; v < 2; v++) {
        h_run_scenario(&r, busy(2), variants[v]);
        assert_int_equal(h_counter(&r, "cache.lost_by_overwrite"), 0);
        assert_int_equal(h_counter(&r, "safety.answered_twice"), 0);
        /* a poll's answer can still reach its bot after another bot's
         * claim (the reply's trip back): the object refuses the late
         * claim with 409, so nobody answers twice */
        if (h_counter(&r, "safety.returned_after_claim") > 0)
            assert_true(h_counter(&r, "http.claim.409") > 0);
        assert_int_equal(h_counter(&r, "divergence.episodes"), 0);
        assert_int_equal(h_counter(&r, "kv.reads") + h_counter(&r, "kv.writes"), 0);
        assert_true(h_counter(&r, "liveness.answers") > 1000);
        int64_t pending = h_counter(&r, "http.pending.200"), rows = h_counter(&r, "do.rows_read.pending");
        /* the window is full from the start (200 plain messages) */
        assert_int_equal(rows, v == 0 ? 0 : 200 * pending);
        h_free(&r);
    }
}

/* ---- 3. eviction ---- */

/* One location, five plain messages, one bot polling every 30 s from 0. */
static scenario *idle_room(const char *evict)
{
    return sq("{'duration':'100s','locations':['ewr'],"
              "'strategy':{'do_evict_idle':'%s'},"
              "'initial':{'plain':{'count':5}},"
              "'bots':[{'name':'b','location':'ewr','poll_every':'30s','first_poll':'0s'}]}",
              evict);
}

static void test_eviction_reload(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, idle_room("10s"), "4");
    /* polls at 0, 30, 60, 90 s: the first constructs, each later one finds
     * the object evicted (idle ~30 s > 10 s) and reloads the 5 rows */
    assert_int_equal(h_npolls(&r), 4);
    assert_int_equal(h_counter(&r, "do.constructor_runs"), 4);
    assert_int_equal(h_counter(&r, "do.evictions"), 3);
    assert_int_equal(h_counter(&r, "do.rows_read.reload"), 20);
    assert_int_equal(h_counter(&r, "do.rows_read"), 20);
    /* 1 ms service + 1 ms storage for the reload, each of 4 requests */
    assert_int_equal(h_counter(&r, "do.duration_us"), 4 * 2000);
    h_free(&r);

    h_run_scenario(&r, idle_room("0s"), "4"); /* never evicted */
    assert_int_equal(h_counter(&r, "do.evictions"), 0);
    assert_int_equal(h_counter(&r, "do.rows_read"), 5);
    assert_int_equal(h_counter(&r, "do.duration_us"), 2000 + 3 * 1000);
    h_free(&r);
}

/* ---- 4. the bill ---- */

static void test_bill_by_hand(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    pr_plan p;
    if (pr_load("data/pricing/cloudflare-paid-2026.json", &p, &err) != 0)
        fail_msg("pr_load: %s", err.msg);
    h_run r;
    h_run_scenario(&r, idle_room("10s"), "4");
    pr_apply(&p, r.m, r.s->duration);
    /* per run of 100 s, scaled to a day (x 864), in pico-dollars:
     *   4 DO requests at $0.15/M          4 x 150,000
     *   8,000 us at 128 MB = 0.001 GB-s at $12.50/M GB-s     12,500
     *   20 rows read at $0.001/M          20 x 1,000
     *   0 rows written */
    assert_int_equal(h_counter(&r, "cost.paid.day.do_requests_pusd"), 4 * 150000 * 864);
    assert_int_equal(h_counter(&r, "cost.paid.day.do_duration_pusd"), 12500 * 864);
    assert_int_equal(h_counter(&r, "cost.paid.day.do_rows_read_pusd"), 20 * 1000 * 864);
    assert_int_equal(h_counter(&r, "cost.paid.day.do_rows_written_pusd"), 0);
    /* storage: byte_s x $0.20 per GB-month (10^9 bytes, 30 days) over the
     * run's 100 s average, for a day */
    int64_t byte_s = h_counter(&r, "do.storage.byte_s");
    assert_true(byte_s > 0);
    int64_t storage = (int64_t)((__int128)byte_s * 200000000000 / ((__int128)100 * 1000000000 * 30));
    assert_int_equal(h_counter(&r, "cost.paid.day.do_storage_pusd"), storage);
    /* the Worker's own 4 requests at $0.30/M, no KV operation */
    int64_t worker = INT64_C(4) * 300000 * 864;
    assert_int_equal(h_counter(&r, "cost.paid.day.total_pusd"),
                     worker + h_counter(&r, "cost.paid.day.storage_pusd") + 4 * 150000 * 864 + 12500 * 864 +
                         20 * 1000 * 864 + storage);
    /* everything inside the included amounts: the $5 base only */
    assert_int_equal(h_counter(&r, "cost.paid.month.total_pusd"), 5 * PUSD_PER_USD);
    h_free(&r);

    /* nothing included: the month is 30 days of the day's DO items */
    p.incl_do_requests_month = p.incl_do_gb_s_month = p.incl_do_rows_read_month = 0;
    p.incl_do_rows_written_month = p.incl_do_storage_bytes = 0;
    p.base_month_pusd = 0;
    p.incl_requests_month = p.incl_storage_bytes = INT64_MAX / 4;
    snprintf(p.plan, sizeof p.plan, "x");
    h_run_scenario(&r, idle_room("10s"), "4");
    pr_apply(&p, r.m, r.s->duration);
    int64_t month = INT64_C(30) * (INT64_C(4) * 150000 * 864 + 12500 * 864 + 20 * 1000 * 864) +
                    (int64_t)((__int128)h_counter(&r, "do.storage.byte_s") * 200000000000 / ((__int128)100 * 1000000000));
    assert_int_equal(h_counter(&r, "cost.x.month.total_pusd"), month);
    h_free(&r);
}

/* ---- 5. parameters ---- */

static void test_params(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    const char *bad = "{\"strategy\":{\"do_storage\":\"disk\"}}";
    assert_int_not_equal(sc_parse("x.json", bad, strlen(bad), H_LIMITS, &s, &err), 0);
    assert_int_equal(err.code, 2);
    if (!strstr(err.msg, "strategy.do_storage") || !strstr(err.msg, "\"scan\", \"memory\""))
        fail_msg("message: %s", err.msg);
    const char *bad_loc = "{\"locations\":[\"ewr\"],\"strategy\":{\"do_location\":\"sin\"}}";
    assert_int_not_equal(sc_parse("x.json", bad_loc, strlen(bad_loc), H_LIMITS, &s, &err), 0);
    assert_non_null(strstr(err.msg, "do_location"));

    st_params p;
    st_set set;
    st_params_default(&p);
    assert_int_equal(st_compose("4:do_storage=scan", &p, &set, &err), 0);
    assert_int_equal(st_param_value(&set, &st_option4, 0), 0);
    assert_int_equal(st_compose("4", &p, &set, &err), 0);
    assert_int_equal(st_param_value(&set, &st_option4, 0), 1);
    assert_int_not_equal(st_compose("4:do_storage=tape", &p, &set, &err), 0);
    assert_int_not_equal(st_compose("4:colour=red", &p, &set, &err), 0);
    assert_non_null(strstr(err.msg, "no parameter 'colour'"));
    assert_int_not_equal(st_compose("4+1", &p, &set, &err), 0); /* 1's hooks sit in the pending 4 replaces */
    assert_non_null(strstr(err.msg, "clash"));
    assert_int_not_equal(st_compose("2+4", &p, &set, &err), 0);
}

/* ---- 6. a strategy defined here alone ---- */

/* Answers every pending poll with nothing and never touches KV, counting
 * its polls in its own per-call state and per-run state. */
typedef struct quiet_run {
    met_id polls;
} quiet_run;

typedef struct quiet_call {
    int64_t mark;
} quiet_call;

static const st_hooks st_quiet;

static int quiet_pending(call *c, int lvl)
{
    quiet_call *qc = st_call_state(c, &st_quiet);
    quiet_run *qr = st_run_state(c->env, &st_quiet);
    CO_BEGIN(c, lvl);
    assert_int_equal(qc->mark, 0); /* zeroed at each call start */
    qc->mark = 7;
    c->nret = 0;
    CALL_SLEEP(c, lvl, 5 * SIM_US_PER_MS);
    assert_int_equal(qc->mark, 7); /* kept across the yield */
    met_add(sim_metrics(c->env->ctx), qr->polls, sim_now(c->env->ctx), 1);
    c->status = 200;
    CO_END(c, lvl);
}

static int quiet_attach(call_env *env, const st_set *st, sim_err *err)
{
    (void)st;
    (void)err;
    quiet_run *qr = calloc(1, sizeof *qr);
    assert_non_null(qr);
    qr->polls = met_counter(sim_metrics(env->ctx), "quiet.polls");
    st_set_run_state(env, &st_quiet, qr);
    return 0;
}

static void quiet_detach(call_env *env)
{
    free(st_run_state(env, &st_quiet));
}

static const st_hooks st_quiet = {
    .name = "quiet",
    .summary = "test: pending answers nothing after 5 ms",
    .endpoint = { [EP_PENDING] = quiet_pending },
    .attach = quiet_attach,
    .detach = quiet_detach,
    .call_state_size = sizeof(quiet_call),
};

#define INCIDENT_LIKE "{'duration':'100s','locations':['ewr'],'initial':{'plain':{'count':5}}," \
    "'bots':[{'name':'b','location':'ewr','poll_every':'3s','first_poll':'0s'}]}"

static void test_strategy_in_test_file(void **state)
{
    (void)state;
    static const st_hooks *const extra[] = { &st_quiet, NULL };
    world_opts o = { .strategies = extra };
    h_run r;
    h_run_scenario_opts(&r, h_parse_sq(INCIDENT_LIKE), "quiet+2", &o);
    assert_int_equal(h_counter(&r, "quiet.polls"), 34); /* 0, 3, ..., 99 s */
    assert_int_equal(h_counter(&r, "kv.reads.pending"), 0);
    assert_int_equal(h_counter(&r, "http.pending.200"), 34);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incident_memory),
        cmocka_unit_test(test_incident_scan),
        cmocka_unit_test(test_busy_safety),
        cmocka_unit_test(test_eviction_reload),
        cmocka_unit_test(test_bill_by_hand),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_strategy_in_test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
