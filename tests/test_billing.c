/* test_billing.c - the Workers Free plan's daily request cap (model/call.c)
 * and KV storage billing (model/kv.c stored bytes, model/pricing.c).
 *
 *  - request cap: three bots poll every second (at .0, .3 and .6 s); time 0
 *    is 12:00 UTC. Request n runs at (n-1)/3 s + 0.3 s * ((n-1) % 3): the
 *    100,000th at 33,333.0 s answers 200, the 100,001st at 33,333.3 s
 *    answers 429 with no KV read, and so does every poll until 00:00 UTC
 *    (43,200 s); the poll at 43,200.0 s answers 200 again. Counts: 3 x
 *    43,200 - 100,000 = 29,600 capped; 140,400 - 29,600 = 110,800 requests
 *    and as many reads (one cache read per poll, nothing pending). The
 *    watched crossing (kind 2) is at 33,333 s + 12 h = 76,533 s of the UTC
 *    day. The cap comes from data/pricing/cloudflare-free-2026.json;
 *  - without a cap (paid plan) nothing is capped;
 *  - storage: one message of 1,000 bytes, stored and cached as pending:
 *    key "comment:<23-char id>" 31 bytes + value 1,000 + ',"status":"pending"'
 *    19 = 1,050; cache "recent:comments" 15 + "[" "]" 2 + 1,019 = 1,036;
 *    2,086 bytes from time 0. A claim at 10 s lands its key put at 10.050 s
 *    and its cache put at 10.100 s, each +3 bytes ("processing" is 3 longer
 *    than "pending"). Over 100 s: 2,086 x 100 + 3 x 89.95 + 3 x 89.9 =
 *    209,139.55 byte-s, counted 209,139; 2,092 bytes at the end;
 *  - storage cost at $0.50/GB-month, GB = 10^9 bytes, 30-day month:
 *    average 2,091.39 bytes; a day costs 2,091.39e-9 x 0.5 / 30 USD =
 *    34,856 pico-USD (209,139 / 6, rounded down); the month beyond 0
 *    included bytes 2,091.39e-9 x 0.5 USD = 1,045,695 pico-USD; with the
 *    file's 1 GB included, nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "model/pricing.h"
#include "trace_reader.h"

#define MS INT64_C(1000)
#define S SIM_US_PER_S
#define M1 "1761868700001-m1mmmmmmm"
#define PUSD_PER_USD INT64_C(1000000000000)

static void load_plan(const char *path, pr_plan *p)
{
    sim_err err = { 0, "" };
    if (pr_load(path, p, &err) != 0)
        fail_msg("pr_load: %s", err.msg);
}

/* Three bots from 12:00 UTC (2025-10-31T12:00:00Z), 13 h. */
static scenario *three_bots(void)
{
    return sq("{'duration':'13h','start_epoch_ms':1761912000000,"
              "'kv':{'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
              "'bots':[{'name':'b1','poll_every':'1s','first_poll':'0s'},"
              "{'name':'b2','poll_every':'1s','first_poll':'300ms'},"
              "{'name':'b3','poll_every':'1s','first_poll':'600ms'}]}");
}

/* The status of the poll that started at t (the series is in end order). */
static int64_t poll_status_at(const h_run *r, int64_t t)
{
    for (size_t k = 0; k < h_npolls(r); k++)
        if (h_poll(r, k)[H_T] == t)
            return h_poll(r, k)[H_STATUS];
    fail_msg("no poll at %lld us", (long long)t);
    return -1;
}

static void test_free_plan_request_cap(void **state)
{
    (void)state;
    pr_plan p;
    load_plan("data/pricing/cloudflare-free-2026.json", &p);
    assert_int_equal(p.cap_requests_day, 100000);
    scenario *s = three_bots();
    s->kv.daily_read_cap = p.cap_reads_day; /* as cli_load does */
    s->kv.daily_write_cap = p.cap_writes_day;
    s->kv.daily_request_cap = p.cap_requests_day;
    s->kv.watch_requests_day = p.cap_requests_day;
    h_run r;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_npolls(&r), 3 * 46800);
    assert_int_equal(poll_status_at(&r, 33333 * S), 200);
    assert_int_equal(poll_status_at(&r, 33333 * S + 300 * MS), 429);
    assert_int_equal(poll_status_at(&r, 43199 * S + 600 * MS), 429);
    assert_int_equal(poll_status_at(&r, 43200 * S), 200);
    int64_t capped = 0;
    for (size_t k = 0; k < h_npolls(&r); k++) {
        const int64_t *row = h_poll(&r, k);
        int in_cap = row[H_T] > 33333 * S && row[H_T] < 43200 * S;
        assert_int_equal(row[H_STATUS], in_cap ? 429 : 200);
        if (in_cap) /* the Worker never ran: no KV operation */
            assert_int_equal(row[H_KVR], 0);
        capped += in_cap;
    }
    assert_int_equal(capped, 29600);
    assert_int_equal(h_counter(&r, "worker.requests.capped"), 29600);
    assert_int_equal(h_counter(&r, "worker.requests"), 110800);
    assert_int_equal(h_counter(&r, "kv.reads"), 110800);
    assert_int_equal(h_counter(&r, "http.pending.429"), 29600);
    met_id cs = met_find_series(r.m, "cap_crossing");
    assert_true(cs >= 0);
    const int64_t *d = met_series_data(r.m, cs);
    size_t n = met_series_rows(r.m, cs), found = 0;
    for (size_t k = 0; k < n; k++)
        if (d[k * 3 + 1] == 2) {
            assert_int_equal(d[k * 3 + 2], 76533 * S);
            found++;
        }
    assert_int_equal(found, 1);
    h_free(&r);
}

static void test_paid_plan_no_request_cap(void **state)
{
    (void)state;
    h_run r;
    h_run_scenario(&r, three_bots(), "0");
    assert_int_equal(h_counter(&r, "worker.requests"), 3 * 46800);
    assert_int_equal(h_counter(&r, "worker.requests.capped"), 0);
    h_free(&r);
}

static h_run storage_run(void)
{
    h_run r;
    h_run_scenario(&r,
                   sq("{'duration':'100s','kv':{'p429':0,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
                      "'initial':{'messages':[{'id':'%s','entity':'E','stored':'pending','cached':'pending',"
                      "'bytes':1000}]},'script':[{'at':'10s','call':'claim','msg':'%s'}]}",
                      M1, M1),
                   "0");
    return r;
}

static void test_storage_bytes_over_time(void **state)
{
    (void)state;
    h_run r = storage_run();
    assert_int_equal(h_counter(&r, "http.claim.200"), 1);
    assert_int_equal(h_counter(&r, "kv.storage.bytes_end"), 2092);
    assert_int_equal(h_counter(&r, "kv.storage.byte_s"), 209139);
    h_free(&r);
}

static void test_storage_cost(void **state)
{
    (void)state;
    pr_plan p;
    load_plan("data/pricing/cloudflare-paid-2026.json", &p);
    assert_int_equal(p.storage_gb_month_pusd, PUSD_PER_USD / 2);
    assert_int_equal(p.storage_gb_bytes, 1000000000);
    assert_int_equal(p.incl_storage_bytes, 1000000000);
    h_run r = storage_run();
    pr_apply(&p, r.m, r.s->duration);
    assert_int_equal(h_counter(&r, "cost.paid.day.storage_pusd"), 34856);
    /* reads, writes and requests at list price: 2 x $0.50/M, 2 x $5/M and
     * 1 x $0.30/M over 100 s, scaled to a day (x 864) */
    int64_t ops = (2 * INT64_C(500000) + 2 * INT64_C(5000000) + 300000) * 864;
    assert_int_equal(h_counter(&r, "cost.paid.day.total_pusd"), ops + 34856);
    assert_int_equal(h_counter(&r, "cost.paid.month.total_pusd"), 5 * PUSD_PER_USD); /* within the 1 GB */
    h_free(&r);

    p.incl_storage_bytes = 0;
    p.base_month_pusd = 0;
    p.incl_reads_month = p.incl_writes_month = p.incl_requests_month = INT64_MAX / 4;
    snprintf(p.plan, sizeof p.plan, "x");
    r = storage_run();
    pr_apply(&p, r.m, r.s->duration);
    assert_int_equal(h_counter(&r, "cost.x.month.total_pusd"), 1045695);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_plan_request_cap),
        cmocka_unit_test(test_paid_plan_no_request_cap),
        cmocka_unit_test(test_storage_bytes_over_time),
        cmocka_unit_test(test_storage_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
