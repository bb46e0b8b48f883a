/* test_pricing.c - price lists and what a run costs (model/pricing.{h,c},
 * the files in data/pricing/, docs/metrics.md "Cost"). Money is integral:
 * pico-dollars (1e-12 USD), so every figure below is exact.
 *
 *  - pr_load of the paid list: a read is 500,000 pUSD ($0.50 per million
 *    is 5e-7 USD per read), a write 5,000,000, a request 300,000; $5 base;
 *    10 M reads, 1 M writes, 10 M requests included a month. The free
 *    list: prices 0, caps 100,000 reads and 1,000 writes a day. Bad files
 *    are refused (code 2) naming the file and the key.
 *  - pr_apply on registries with counters set by hand: exact day costs at
 *    list price, scaled to 24 h, and the month's bill with the included
 *    amounts and the base, for a light run ($5.00) and a heavy one.
 *  - the incident (scenarios/incident-164.json, 1 day): Option 0 reads
 *    5 x 28,800 = 144,000 a day; its 115,200 reads over the 1-read-per-poll
 *    baseline (28,800) cost exactly 57,600,000,000 pUSD = $0.0576 a day;
 *    the month's bill is the $5.00 base (usage under the included
 *    amounts); and the write-up's "~$0.006/day" appears nowhere in what
 *    `qsim run` writes (results.json, summary.csv, stdout).
 *  - the free plan: the cap of 100,000 reads is crossed by the 100,000th
 *    billed read, the 5th read of the 20,000th poll, which starts at
 *    19,999 x 3 s = 59,997 s; the cap_crossing row's time of day lies in
 *    [59,997 s, 59,998 s]; every later poll that day fails (500); the cap
 *    resets at 00:00 UTC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>

#include "harness.h"
#include "model/pricing.h"

#define PAID "data/pricing/cloudflare-paid-2026.json"
#define FREE "data/pricing/cloudflare-free-2026.json"
#define INCIDENT "scenarios/incident-164.json"
#define USD INT64_C(1000000000000) /* pico-dollars per dollar */
#define DAY MET_US_PER_DAY

static void load(const char *path, pr_plan *p)
{
    sim_err err = { 0, "" };
    if (pr_load(path, p, &err) != 0)
        fail_msg("pr_load(%s): %s", path, err.msg);
}

static int64_t counter(const met_registry *m, const char *name)
{
    met_id id = met_find_counter(m, name);
    if (id < 0)
        fail_msg("no counter named '%s'", name);
    return met_counter_value(m, id);
}

/* ---- 1. loading ---- */

static void test_load_paid(void **state)
{
    (void)state;
    pr_plan p;
    load(PAID, &p);
    assert_string_equal(p.plan, "paid");
    assert_int_equal(p.days_per_month, 30);
    assert_int_equal(p.read_pusd, 500000);     /* $0.50 / 1e6 = 5e-7 USD */
    assert_int_equal(p.write_pusd, 5000000);   /* $5.00 / 1e6 */
    assert_int_equal(p.request_pusd, 300000);  /* $0.30 / 1e6 */
    assert_int_equal(p.base_month_pusd, 5 * USD);
    assert_int_equal(p.storage_gb_month_pusd, USD / 2);
    assert_int_equal(p.incl_reads_month, 10000000);
    assert_int_equal(p.incl_writes_month, 1000000);
    assert_int_equal(p.incl_requests_month, 10000000);
    assert_int_equal(p.cap_reads_day, 0);
    assert_int_equal(p.cap_writes_day, 0);
    /* one read in dollars, with no rounding anywhere */
    assert_true((double)p.read_pusd / (double)USD == 5e-7);
}

static void test_load_free(void **state)
{
    (void)state;
    pr_plan p;
    load(FREE, &p);
    assert_string_equal(p.plan, "free");
    assert_int_equal(p.read_pusd, 0);
    assert_int_equal(p.write_pusd, 0);
    assert_int_equal(p.request_pusd, 0);
    assert_int_equal(p.base_month_pusd, 0);
    assert_int_equal(p.cap_reads_day, 100000);
    assert_int_equal(p.cap_writes_day, 1000);
    assert_int_equal(p.cap_requests_day, 100000);
}

static void test_load_refusals(void **state)
{
    (void)state;
    static const struct { const char *text, *what; } cases[] = {
        { "{\"kv\":{\"read_per_million\":-1}}", "kv.read_per_million" },
        { "{\"kv\":{\"write_per_million\":\"5\"}}", "kv.write_per_million" },
        { "{\"days_per_month\":0}", "days_per_month" },
        { "{\"days_per_month\":30.5}", "days_per_month" },
        { "[1,2]", "(top level): expected an object, got an array" },
        { "{\"kv\":", ":1:7: malformed JSON" },
        { "{\"kv\":{\"read_per_milion\":0.5}}", "kv.read_per_milion: unknown key" },
        { "{\"kv\":{\"read_per_million\":1e15}}", "must be between 0 and 1000, got 1000000000000000" },
        { "{\"daily_caps\":{\"kv_reads\":1.5}}", "daily_caps.kv_reads: expected a whole number, got 1.5" },
    };
    char dir[] = "/tmp/qsim-pricing.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/p.json", dir);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(cases[k].text, f);
        fclose(f);
        pr_plan p;
        sim_err err = { 0, "" };
        if (pr_load(path, &p, &err) == 0)
            fail_msg("%s accepted", cases[k].text);
        assert_int_equal(err.code, 2);
        if (!strstr(err.msg, path) || !strstr(err.msg, cases[k].what))
            fail_msg("%s: message '%s' lacks the file or '%s'", cases[k].text, err.msg, cases[k].what);
    }
    unlink(path);
    rmdir(dir);
    pr_plan p;
    sim_err err = { 0, "" };
    assert_int_equal(pr_load("/nonexistent/qsim/pricing.json", &p, &err), -1);
    assert_int_equal(err.code, 2);
}

/* ---- 2. pr_apply with known counters ---- */

static met_registry *registry(int64_t reads, int64_t writes, int64_t requests)
{
    met_registry *m = met_new();
    assert_non_null(m);
    met_add(m, met_counter(m, "kv.reads"), 0, reads);
    met_add(m, met_counter(m, "kv.writes"), 0, writes);
    met_add(m, met_counter(m, "worker.requests"), 0, requests);
    return m;
}

/* One day: 1 M reads, 100 k writes, 50 k requests. A day costs
 * 1e6 x 500,000 + 1e5 x 5e6 + 5e4 x 3e5 = 5e11 + 5e11 + 1.5e10 pUSD. The
 * month: 30 M reads (20 M over), 3 M writes (2 M over), 1.5 M requests
 * (under): 1e13 + 1e13 + $5 base. */
static void test_apply_known_counters(void **state)
{
    (void)state;
    pr_plan p;
    load(PAID, &p);
    met_registry *m = registry(1000000, 100000, 50000);
    pr_apply(&p, m, DAY);
    assert_int_equal(counter(m, "cost.paid.day.kv_reads_pusd"), INT64_C(500000000000));
    assert_int_equal(counter(m, "cost.paid.day.kv_writes_pusd"), INT64_C(500000000000));
    assert_int_equal(counter(m, "cost.paid.day.requests_pusd"), INT64_C(15000000000));
    assert_int_equal(counter(m, "cost.paid.day.total_pusd"), INT64_C(1015000000000));
    assert_int_equal(counter(m, "cost.paid.month.total_pusd"), INT64_C(25000000000000));
    met_free(m);

    /* the same counts over half a day are twice the rate */
    m = registry(1000000, 100000, 50000);
    pr_apply(&p, m, DAY / 2);
    assert_int_equal(counter(m, "cost.paid.day.kv_reads_pusd"), INT64_C(1000000000000));
    assert_int_equal(counter(m, "cost.paid.day.total_pusd"), INT64_C(2030000000000));
    /* 60 M reads (50 M over), 6 M writes (5 M over), 3 M requests (under) */
    assert_int_equal(counter(m, "cost.paid.month.total_pusd"),
                     50000000 * INT64_C(500000) + 5000000 * INT64_C(5000000) + 5 * USD);
    met_free(m);

    /* the free list prices nothing */
    load(FREE, &p);
    m = registry(1000000, 100000, 50000);
    pr_apply(&p, m, DAY);
    assert_int_equal(counter(m, "cost.free.day.total_pusd"), 0);
    assert_int_equal(counter(m, "cost.free.month.total_pusd"), 0);
    met_free(m);
}

/* A heavy run, by hand: 10 M reads, 250 k writes, 2 M requests in half a
 * day, i.e. 20 M reads, 500 k writes, 4 M requests a day. A day: $10 +
 * $2.50 + $1.20. The month (30 days): 600 M reads - 10 M = 590 M x $0.50/M
 * = $295; 15 M writes - 1 M = 14 M x $5/M = $70; 120 M requests - 10 M =
 * 110 M x $0.30/M = $33; plus $5: $403. */
static void test_month_bill_heavy(void **state)
{
    (void)state;
    pr_plan p;
    load(PAID, &p);
    met_registry *m = registry(10000000, 250000, 2000000);
    pr_apply(&p, m, DAY / 2);
    assert_int_equal(counter(m, "cost.paid.day.kv_reads_pusd"), 10 * USD);
    assert_int_equal(counter(m, "cost.paid.day.kv_writes_pusd"), 5 * USD / 2);
    assert_int_equal(counter(m, "cost.paid.day.requests_pusd"), 12 * USD / 10);
    assert_int_equal(counter(m, "cost.paid.day.total_pusd"), 137 * USD / 10);
    assert_int_equal(counter(m, "cost.paid.month.total_pusd"), 403 * USD);
    met_free(m);
}

/* Exactly at the included amounts the bill is the base; one more read a
 * month costs one read. */
static void test_month_bill_at_included(void **state)
{
    (void)state;
    pr_plan p;
    load(PAID, &p);
    /* over 30 days: 10 M reads, 1 M writes, 10 M requests */
    met_registry *m = registry(10000000, 1000000, 10000000);
    pr_apply(&p, m, 30 * DAY);
    assert_int_equal(counter(m, "cost.paid.month.total_pusd"), 5 * USD);
    met_free(m);
    m = registry(10000001, 1000000, 10000000);
    pr_apply(&p, m, 30 * DAY);
    assert_int_equal(counter(m, "cost.paid.month.total_pusd"), 5 * USD + 500000);
    met_free(m);
}

/* ---- 3. the incident ---- */

static void test_incident_cost(void **state)
{
    (void)state;
    pr_plan p;
    load(PAID, &p);
    h_run r;
    h_run_file(&r, INCIDENT, "0");
    assert_int_equal(r.s->duration, DAY);
    assert_int_equal(h_npolls(&r), 28800);
    assert_int_equal(h_counter(&r, "kv.reads"), 5 * 28800);
    assert_int_equal(h_counter(&r, "kv.writes"), 0);
    assert_int_equal(h_counter(&r, "worker.requests"), 28800);
    pr_apply(&p, r.m, r.s->duration);
    int64_t reads_cost = h_counter(&r, "cost.paid.day.kv_reads_pusd");
    assert_int_equal(reads_cost, INT64_C(144000) * 500000);
    /* the extra 4 x 28,800 = 115,200 reads over a 1-read-per-poll day */
    int64_t extra = reads_cost - INT64_C(28800) * p.read_pusd;
    assert_int_equal(extra, INT64_C(57600000000));
    assert_int_equal(extra * 10000, 576 * USD); /* $0.0576 */
    assert_int_equal(h_counter(&r, "cost.paid.day.requests_pusd"), INT64_C(28800) * 300000);
    /* 4.32 M reads and 864 k requests a month: under the included amounts */
    assert_int_equal(h_counter(&r, "cost.paid.month.total_pusd"), 5 * USD);
    h_free(&r);

    /* Option 1: one 5-read poll, then 28,799 1-read polls, and one write */
    h_run_file(&r, INCIDENT, "1");
    assert_int_equal(h_counter(&r, "kv.reads"), 5 + 28799);
    pr_apply(&p, r.m, r.s->duration);
    assert_int_equal(h_counter(&r, "cost.paid.day.kv_reads_pusd"), INT64_C(28804) * 500000);
    assert_int_equal(h_counter(&r, "cost.paid.day.kv_writes_pusd"), 5000000);
    assert_int_equal(h_counter(&r, "cost.paid.month.total_pusd"), 5 * USD);
    h_free(&r);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* `qsim run` of the incident: "0.006" is nowhere in its outputs; its own
 * figures are those computed above. $QSIM names the binary (make
 * test-asan sets it), else ./qsim. */
static void test_incident_run_never_says_0006(void **state)
{
    (void)state;
    const char *qsim = getenv("QSIM");
    if (!qsim || !*qsim)
        qsim = "./qsim";
    if (access(qsim, X_OK) != 0)
        fail_msg("%s is not built (make qsim)", qsim);
    char dir[] = "/tmp/qsim-pricing.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[1024], path[256];
    snprintf(cmd, sizeof cmd, "%s run %s --out %s/out > %s/stdout 2> %s/stderr", qsim, INCIDENT, dir, dir, dir);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("'%s' exited with %d", cmd, rc);
    static const char *const files[] = { "out/results.json", "out/summary.csv", "stdout" };
    char *text[3];
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        text[k] = slurp(path);
        if (strstr(text[k], "0.006"))
            fail_msg("%s says 0.006: %s", files[k], strstr(text[k], "0.006"));
    }
    /* summary.csv, option 0: $0.080643 a day (reads $0.072 + requests
     * $0.00864 + storage: 196 plain keys of 31 + 420 bytes, 4 stuck keys of
     * 31 + their bytes (2,460 in all) + 37 for the complete status, and the
     * cache: 15 + 2 + 82,320 + 2,460 + 4 x 22 + 199 commas; 176,212 bytes x
     * $0.50 / 10^9 / 30 = $0.0000029), $5.000000 a month */
    if (!strstr(text[1], "\n0,28800,5.000000,144000.000000,0.000000,28800.000000,0.080643,5.000000,"))
        fail_msg("summary.csv lacks the expected option 0 row:\n%s", text[1]);
    /* results.json: option 0's read cost */
    cJSON *root = cJSON_Parse(text[0]);
    assert_non_null(root);
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
    assert_true(cJSON_IsArray(runs));
    const cJSON *run0 = cJSON_GetArrayItem(runs, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(run0, "option")->valuestring, "0");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(run0, "counters"),
                                                      "cost.paid.day.kv_reads_pusd");
    assert_true(cJSON_IsNumber(c));
    assert_true(c->valuedouble == 72000000000.0);
    cJSON_Delete(root);
    for (int k = 0; k < 3; k++)
        free(text[k]);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- 4. the free plan's read cap ---- */

static void run_free(h_run *r, sim_us duration)
{
    pr_plan p;
    load(FREE, &p);
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load(INCIDENT, H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    /* as qsim run --plan free does (cli/cli.c) */
    s->kv.daily_read_cap = p.cap_reads_day;
    s->kv.daily_write_cap = p.cap_writes_day;
    s->kv.watch_reads_day = p.cap_reads_day;
    s->kv.watch_writes_day = p.cap_writes_day;
    s->duration = duration;
    h_run_scenario(r, s, "0");
}

static void test_free_plan_read_cap(void **state)
{
    (void)state;
    h_run r;
    run_free(&r, DAY);
    assert_int_equal(h_counter(&r, "kv.reads"), 100000);
    /* the 20,000th poll (index 19,999) starts at 59,997 s with 5 reads */
    const int64_t *last_ok = h_poll(&r, 19999);
    assert_int_equal(last_ok[H_T], INT64_C(59997) * SIM_US_PER_S);
    assert_int_equal(last_ok[H_KVR], 5);
    assert_int_equal(last_ok[H_STATUS], 200);
    const int64_t *first_refused = h_poll(&r, 20000);
    assert_int_equal(first_refused[H_T], INT64_C(60000) * SIM_US_PER_S);
    assert_int_equal(first_refused[H_KVR], 0);
    assert_int_equal(first_refused[H_STATUS], 500);
    assert_int_equal(h_counter(&r, "http.pending.500"), 28800 - 20000);
    assert_int_equal(h_counter(&r, "kv.failed.daily-cap"), 28800 - 20000);
    met_id cs = met_find_series(r.m, "cap_crossing");
    assert_true(cs >= 0);
    assert_int_equal(met_series_rows(r.m, cs), 1);
    const int64_t *row = met_series_data(r.m, cs);
    assert_non_null(row);
    assert_int_equal(row[0], 0); /* day */
    assert_int_equal(row[1], 0); /* reads */
    assert_in_range(row[2], INT64_C(59997) * SIM_US_PER_S, INT64_C(59998) * SIM_US_PER_S);
    h_free(&r);
}

/* Two days: the cap resets at 00:00 UTC, so day 2 reads 100,000 again and
 * crosses at the same time of day. */
static void test_free_plan_cap_resets(void **state)
{
    (void)state;
    h_run r;
    run_free(&r, 2 * DAY);
    met_id w = met_find_counter(r.m, "kv.reads");
    size_t nd = 0;
    const int64_t *days = met_counter_days(r.m, w, &nd);
    assert_int_equal(nd, 2);
    assert_int_equal(days[0], 100000);
    assert_int_equal(days[1], 100000);
    met_id cs = met_find_series(r.m, "cap_crossing");
    assert_int_equal(met_series_rows(r.m, cs), 2);
    const int64_t *row = met_series_data(r.m, cs);
    for (int d = 0; d < 2; d++) {
        assert_int_equal(row[3 * d], d);
        assert_int_equal(row[3 * d + 1], 0);
        assert_in_range(row[3 * d + 2], INT64_C(59997) * SIM_US_PER_S, INT64_C(59998) * SIM_US_PER_S);
    }
    h_free(&r);
}

/* The paid plan only watches: the crossing is recorded at the same moment
 * and the reads go on to 144,000. */
static void test_paid_plan_watches_only(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load(INCIDENT, H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    s->kv.watch_reads_day = 100000;
    s->kv.watch_writes_day = 1000;
    h_run r;
    h_run_scenario(&r, s, "0");
    assert_int_equal(h_counter(&r, "kv.reads"), 144000);
    assert_int_equal(h_counter(&r, "kv.failed.daily-cap"), 0);
    met_id cs = met_find_series(r.m, "cap_crossing");
    assert_int_equal(met_series_rows(r.m, cs), 1);
    const int64_t *row = met_series_data(r.m, cs);
    assert_in_range(row[2], INT64_C(59997) * SIM_US_PER_S, INT64_C(59998) * SIM_US_PER_S);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_paid),
        cmocka_unit_test(test_load_free),
        cmocka_unit_test(test_load_refusals),
        cmocka_unit_test(test_apply_known_counters),
        cmocka_unit_test(test_month_bill_heavy),
        cmocka_unit_test(test_month_bill_at_included),
        cmocka_unit_test(test_incident_cost),
        cmocka_unit_test(test_incident_run_never_says_0006),
        cmocka_unit_test(test_free_plan_read_cap),
        cmocka_unit_test(test_free_plan_cap_resets),
        cmocka_unit_test(test_paid_plan_watches_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
