/* pricing.c - loading price lists and costing a run. */
#include "pricing.h"

#include <cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/jv.h"
#include "model/provenance.h"

/* A price in USD as exact pico-dollars: v * scale must be a whole number
 * (scale 1e12 for a price per unit, 1e6 for a price per million
 * operations, which is pico-dollars per operation). */
static int price(jv *v, const cJSON *obj, const char *key, double max_usd, double scale, int64_t *out)
{
    double d = 0;
    const cJSON *j = jv_get(v, obj, key, 0);
    if (!j)
        return 0;
    if (jv_number(v, obj, key, 0, max_usd, &d) != 0)
        return -1;
    double x = d * scale, r = nearbyint(x);
    if (fabs(x - r) > 1e-6 * (r > 1 ? r : 1)) {
        size_t n = jv_push(v, key, 0);
        jv_fail(v, "finer than a pico-dollar per %s, got %.17g", scale == 1e6 ? "operation" : "unit", d);
        jv_pop(v, n);
        return -1;
    }
    *out = (int64_t)r;
    return 0;
}

/* A note: a string of any length (the source of a value). */
static int note(jv *v, const cJSON *obj, const char *key)
{
    char buf[8];
    const cJSON *j = jv_get(v, obj, key, 0);
    return j && !cJSON_IsString(j) ? jv_string(v, obj, key, 0, buf, sizeof buf) : 0;
}

int pr_load(const char *path, pr_plan *p, sim_err *err)
{
    static const char *const top_keys[] = { "name", "source", "date", "plan", "currency", "days_per_month",
                                            "base_per_month", "kv", "workers", "durable_objects", "daily_caps",
                                            "published", "assumptions", NULL };
    static const char *const kv_keys[] = { "read_per_million", "write_per_million", "storage_per_gb_month",
                                           "included_reads_per_month", "included_writes_per_month",
                                           "included_storage_gb", "storage_bytes_per_gb", "storage_note", NULL };
    static const char *const wk_keys[] = { "request_per_million", "included_requests_per_month", NULL };
    static const char *const do_keys[] = { "source", "request_per_million", "included_requests_per_month",
                                           "gb_s_per_million", "included_gb_s_per_month", "memory_mb", "mb_per_gb",
                                           "memory_note", "rows_read_per_million", "included_rows_read_per_month",
                                           "rows_written_per_million", "included_rows_written_per_month",
                                           "storage_per_gb_month", "included_storage_gb", "storage_backend_note", NULL };
    static const char *const cap_keys[] = { "kv_reads", "kv_writes", "workers_requests", "workers_requests_note",
                                            "reset_utc", NULL };
    /* Bounds keep every product in pr_apply far from int64 overflow for
     * realistic runs (it saturates beyond): $1,000 per million operations
     * is 2,000 times the list price of a read. */
    const double max_per_million = 1000, max_usd = 1e6, max_count = 1e15;
    memset(p, 0, sizeof *p);
    cJSON *root = jv_load(path, err);
    if (!root)
        return -1;
    jv v = { path, "", err, 0 };
    int64_t days = 30, incl_gb = 0, gb_bytes = 1000000000, do_incl_gb = 0;
    char currency[8] = "USD", caps_reset[8] = "00:00";
    const cJSON *kv = NULL, *wk = NULL, *dobj = NULL, *caps = NULL;
    snprintf(p->plan, sizeof p->plan, "paid");
    if (jv_object(&v, root, top_keys) == 0 && jv_string(&v, root, "name", 0, p->name, sizeof p->name) == 0 &&
        jv_string(&v, root, "date", 0, p->date, sizeof p->date) == 0 &&
        jv_string(&v, root, "plan", 0, p->plan, sizeof p->plan) == 0 &&
        jv_string(&v, root, "currency", 0, currency, sizeof currency) == 0 &&
        jv_int(&v, root, "days_per_month", 1, 31, &days) == 0 &&
        price(&v, root, "base_per_month", max_usd, 1e12, &p->base_month_pusd) == 0) {
        char src[8];
        const cJSON *sj = jv_get(&v, root, "source", 0);
        if (sj && !cJSON_IsString(sj)) /* any length: a note */
            jv_string(&v, root, "source", 0, src, sizeof src);
        if (!v.failed && strcmp(p->plan, "paid") != 0 && strcmp(p->plan, "free") != 0) {
            size_t n = jv_push(&v, "plan", 0);
            jv_fail(&v, "expected \"paid\" or \"free\", got '%s'", p->plan);
            jv_pop(&v, n);
        }
        if (!v.failed && strcmp(currency, "USD") != 0) {
            size_t n = jv_push(&v, "currency", 0);
            jv_fail(&v, "qsim reports costs in USD, got '%s'", currency);
            jv_pop(&v, n);
        }
    }
    size_t n;
    if (!v.failed && (kv = jv_get(&v, root, "kv", 0))) {
        n = jv_push(&v, "kv", 0);
        if (jv_object(&v, kv, kv_keys) == 0 &&
            price(&v, kv, "read_per_million", max_per_million, 1e6, &p->read_pusd) == 0 &&
            price(&v, kv, "write_per_million", max_per_million, 1e6, &p->write_pusd) == 0 &&
            price(&v, kv, "storage_per_gb_month", max_usd, 1e12, &p->storage_gb_month_pusd) == 0 &&
            jv_int(&v, kv, "included_reads_per_month", 0, max_count, &p->incl_reads_month) == 0 &&
            jv_int(&v, kv, "included_writes_per_month", 0, max_count, &p->incl_writes_month) == 0 &&
            jv_int(&v, kv, "included_storage_gb", 0, 1e6, &incl_gb) == 0 &&
            jv_int(&v, kv, "storage_bytes_per_gb", 1, 1e12, &gb_bytes) == 0)
            note(&v, kv, "storage_note");
        p->storage_gb_bytes = gb_bytes;
        p->incl_storage_bytes = incl_gb * gb_bytes; /* <= 1e18: no overflow */
        jv_pop(&v, n);
    }
    if (!v.failed && (wk = jv_get(&v, root, "workers", 0))) {
        n = jv_push(&v, "workers", 0);
        if (jv_object(&v, wk, wk_keys) == 0 &&
            price(&v, wk, "request_per_million", max_per_million, 1e6, &p->request_pusd) == 0)
            jv_int(&v, wk, "included_requests_per_month", 0, max_count, &p->incl_requests_month);
        jv_pop(&v, n);
    }
    p->do_memory_mb = 128;
    p->do_mb_per_gb = 1024;
    if (!v.failed && (dobj = jv_get(&v, root, "durable_objects", 0))) {
        n = jv_push(&v, "durable_objects", 0);
        if (jv_object(&v, dobj, do_keys) == 0 && note(&v, dobj, "source") == 0 &&
            price(&v, dobj, "request_per_million", max_per_million, 1e6, &p->do_request_pusd) == 0 &&
            jv_int(&v, dobj, "included_requests_per_month", 0, max_count, &p->incl_do_requests_month) == 0 &&
            price(&v, dobj, "gb_s_per_million", max_per_million, 1e6, &p->do_gb_s_pusd) == 0 &&
            jv_int(&v, dobj, "included_gb_s_per_month", 0, max_count, &p->incl_do_gb_s_month) == 0 &&
            jv_int(&v, dobj, "memory_mb", 1, 1e6, &p->do_memory_mb) == 0 &&
            jv_int(&v, dobj, "mb_per_gb", 1, 1e6, &p->do_mb_per_gb) == 0 && note(&v, dobj, "memory_note") == 0 &&
            price(&v, dobj, "rows_read_per_million", max_per_million, 1e6, &p->do_row_read_pusd) == 0 &&
            jv_int(&v, dobj, "included_rows_read_per_month", 0, max_count, &p->incl_do_rows_read_month) == 0 &&
            price(&v, dobj, "rows_written_per_million", max_per_million, 1e6, &p->do_row_write_pusd) == 0 &&
            jv_int(&v, dobj, "included_rows_written_per_month", 0, max_count, &p->incl_do_rows_written_month) == 0 &&
            price(&v, dobj, "storage_per_gb_month", max_usd, 1e12, &p->do_storage_gb_month_pusd) == 0 &&
            jv_int(&v, dobj, "included_storage_gb", 0, 1e6, &do_incl_gb) == 0)
            note(&v, dobj, "storage_backend_note");
        jv_pop(&v, n);
    }
    if (!v.failed && (caps = jv_get(&v, root, "daily_caps", 0))) {
        n = jv_push(&v, "daily_caps", 0);
        if (jv_object(&v, caps, cap_keys) == 0 &&
            jv_int(&v, caps, "kv_reads", 0, max_count, &p->cap_reads_day) == 0 &&
            jv_int(&v, caps, "kv_writes", 0, max_count, &p->cap_writes_day) == 0 &&
            jv_int(&v, caps, "workers_requests", 0, max_count, &p->cap_requests_day) == 0 &&
            note(&v, caps, "workers_requests_note") == 0 &&
            jv_string(&v, caps, "reset_utc", 0, caps_reset, sizeof caps_reset) == 0 &&
            strcmp(caps_reset, "00:00") != 0) {
            size_t m = jv_push(&v, "reset_utc", 0);
            jv_fail(&v, "the daily caps reset at \"00:00\" UTC, got '%s'", caps_reset);
            jv_pop(&v, m);
        }
        jv_pop(&v, n);
    }
    if (!v.failed)
        pv_check(&v, root, NULL); /* each value published or assumed (model/provenance.h) */
    cJSON_Delete(root);
    if (v.failed)
        return -1;
    snprintf(p->path, sizeof p->path, "%s", path);
    p->days_per_month = (int)days;
    p->incl_do_storage_bytes = do_incl_gb * gb_bytes;
    return 0;
}

/* 128-bit to int64, saturating: a bill past $9.2 million is shown as the
 * largest amount rather than wrapping around. */
static int64_t sat(__int128 x) { return x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : (int64_t)x; }

/* n * num / den without overflow (GCC/Clang 128-bit integers). */
static int64_t scale(__int128 n, int64_t num, int64_t den)
{
    return den ? sat(n * num / den) : 0;
}

static int64_t counter(const met_registry *m, const char *name)
{
    met_id id = met_find_counter(m, name);
    return id >= 0 ? met_counter_value(m, id) : 0;
}

/* One metered item: its run total n (in units of price), scaled to a day
 * at list price, and its month beyond the included amount. */
static void item(int64_t n, int64_t unit_pusd, int64_t incl_month, sim_us duration, int days, int64_t *day,
                 int64_t *month)
{
    int64_t mon = MET_US_PER_DAY * days;
    *day = scale((__int128)n * unit_pusd, MET_US_PER_DAY, duration);
    int64_t over = scale(n, mon, duration) - incl_month;
    *month = over > 0 ? sat((__int128)over * unit_pusd) : 0;
}

/* Durable Object costs: day[5] per item (requests, duration, rows read,
 * rows written, storage) and the month's billable amount beyond the
 * included ones. Duration: do.duration_us at memory_mb per object, in
 * GB-s = µs x memory_mb / mb_per_gb / 1e6, billed per GB-s. */
static void do_cost(const pr_plan *p, const met_registry *m, sim_us duration, int64_t day[5], int64_t *bill)
{
    int64_t mo[5] = { 0 };
    int days = p->days_per_month;
    if (duration <= 0)
        return;
    item(counter(m, "do.requests"), p->do_request_pusd, p->incl_do_requests_month, duration, days, &day[0], &mo[0]);
    /* GB-µs, then priced per GB-s: the per-µs price is do_gb_s_pusd / 1e6 */
    __int128 gb_us_num = (__int128)counter(m, "do.duration_us") * p->do_memory_mb; /* / mb_per_gb */
    __int128 mon = (__int128)MET_US_PER_DAY * days;
    day[1] = sat(gb_us_num * p->do_gb_s_pusd * MET_US_PER_DAY / ((__int128)p->do_mb_per_gb * SIM_US_PER_S * duration));
    __int128 over = gb_us_num * mon / duration -
                    (__int128)p->incl_do_gb_s_month * p->do_mb_per_gb * SIM_US_PER_S; /* GB-µs x mb_per_gb */
    mo[1] = over > 0 ? sat(over * p->do_gb_s_pusd / ((__int128)p->do_mb_per_gb * SIM_US_PER_S)) : 0;
    item(counter(m, "do.rows_read"), p->do_row_read_pusd, p->incl_do_rows_read_month, duration, days, &day[2], &mo[2]);
    item(counter(m, "do.rows_written"), p->do_row_write_pusd, p->incl_do_rows_written_month, duration, days, &day[3],
         &mo[3]);
    int64_t byte_s = counter(m, "do.storage.byte_s");
    __int128 gb_us = (__int128)duration * p->storage_gb_bytes;
    if (p->storage_gb_bytes) {
        day[4] = sat((__int128)byte_s * SIM_US_PER_S * p->do_storage_gb_month_pusd / (gb_us * days));
        __int128 ex = (__int128)byte_s * SIM_US_PER_S - (__int128)p->incl_do_storage_bytes * duration;
        mo[4] = ex > 0 ? sat(ex * p->do_storage_gb_month_pusd / gb_us) : 0;
    }
    for (int i = 0; i < 5; i++)
        *bill = sat((__int128)*bill + mo[i]);
}

int pr_apply(const pr_plan *p, met_registry *m, sim_us duration)
{
    char name[96];
    int64_t reads = counter(m, "kv.reads"), writes = counter(m, "kv.writes"), reqs = counter(m, "worker.requests");
    /* exact per-day cost: scale the run's total cost, not a rounded rate */
    int64_t day_r = scale((__int128)reads * p->read_pusd, MET_US_PER_DAY, duration);
    /* JS mode's deletes and lists: Cloudflare prices each like a write,
     * with a monthly inclusion of its own (docs/model.md) */
    int64_t dels = counter(m, "kv.deletes"), lists = counter(m, "kv.lists");
    int64_t day_w = scale((__int128)(writes + dels + lists) * p->write_pusd, MET_US_PER_DAY, duration);
    int64_t day_q = scale((__int128)reqs * p->request_pusd, MET_US_PER_DAY, duration);
    int64_t month = MET_US_PER_DAY * p->days_per_month;
    int64_t mr = scale(reads, month, duration) - p->incl_reads_month;
    int64_t mw = scale(writes, month, duration) - p->incl_writes_month;
    int64_t md = scale(dels, month, duration) - p->incl_writes_month;
    int64_t ml = scale(lists, month, duration) - p->incl_writes_month;
    int64_t mq = scale(reqs, month, duration) - p->incl_requests_month;
    /* storage: byte_s / (duration_us / 1e6) is the average stored bytes */
    int64_t byte_s = counter(m, "kv.storage.byte_s");
    __int128 gb_us = (__int128)duration * p->storage_gb_bytes; /* average GB x duration, in byte-µs */
    int64_t day_s = duration && p->storage_gb_bytes
                        ? sat((__int128)byte_s * SIM_US_PER_S * p->storage_gb_month_pusd /
                              (gb_us * p->days_per_month))
                        : 0;
    __int128 excess = (__int128)byte_s * SIM_US_PER_S - (__int128)p->incl_storage_bytes * duration;
    int64_t ms = excess > 0 && gb_us ? sat(excess * p->storage_gb_month_pusd / gb_us) : 0;
    int64_t bill = sat((__int128)p->base_month_pusd + (mr > 0 ? (__int128)mr * p->read_pusd : 0) +
                       (mw > 0 ? (__int128)mw * p->write_pusd : 0) + (md > 0 ? (__int128)md * p->write_pusd : 0) +
                       (ml > 0 ? (__int128)ml * p->write_pusd : 0) + (mq > 0 ? (__int128)mq * p->request_pusd : 0) +
                       ms);
    int64_t do_day[5] = { 0 }, do_total = 0, do_bill = 0;
    int has_do = met_find_counter(m, "do.requests") >= 0;
    if (has_do)
        do_cost(p, m, duration, do_day, &do_bill);
    for (int i = 0; i < 5; i++)
        do_total = sat((__int128)do_total + do_day[i]);
    struct { const char *k; int64_t v; } rows[] = {
        { "day.kv_reads", day_r }, { "day.kv_writes", day_w }, { "day.requests", day_q },
        { "day.storage", day_s }, { "day.total", sat((__int128)day_r + day_w + day_q + day_s + do_total) },
        { "month.total", sat((__int128)bill + do_bill) },
        { "day.do_requests", do_day[0] }, { "day.do_duration", do_day[1] }, { "day.do_rows_read", do_day[2] },
        { "day.do_rows_written", do_day[3] }, { "day.do_storage", do_day[4] },
    };
    int rc = 0;
    for (size_t i = 0; i < (has_do ? 11 : 6); i++) {
        snprintf(name, sizeof name, "cost.%s.%s_pusd", p->plan, rows[i].k);
        met_id id = met_counter(m, name);
        if (id < 0)
            rc = -1;
        else
            met_add(m, id, 0, rows[i].v);
    }
    return rc;
}
