/* pricing.h - a price list (a JSON file in data/pricing/) and what a run costs
 * under it. Money is integral: prices are read as micro-dollars per million
 * operations, which is exactly pico-dollars (1e-12 USD) per operation, so
 * costs are exact integer products, independent of summation order. */
#ifndef QSIM_PRICING_H
#define QSIM_PRICING_H

#include <stdint.h>

#include "sim/metrics.h"
#include "sim/sim.h"

typedef struct pr_plan {
    char path[512];
    char name[128];
    char plan[16];          /* "paid" or "free" */
    char date[32];
    int days_per_month;
    int64_t base_month_pusd;
    int64_t read_pusd, write_pusd, request_pusd; /* per operation */
    int64_t storage_gb_month_pusd;
    int64_t storage_gb_bytes;     /* bytes in the GB storage is billed in */
    int64_t incl_storage_bytes;   /* stored bytes included (monthly average) */
    int64_t incl_reads_month, incl_writes_month, incl_requests_month;
    int64_t cap_reads_day, cap_writes_day, cap_requests_day; /* 0: none */
    /* Durable Objects (SQLite-backed storage): per request, per GB-s of
     * duration at do_memory_mb per object, per row read and written, per
     * GB-month stored; their included monthly amounts. */
    int64_t do_request_pusd, do_gb_s_pusd, do_row_read_pusd, do_row_write_pusd, do_storage_gb_month_pusd;
    int64_t incl_do_requests_month, incl_do_gb_s_month, incl_do_rows_read_month, incl_do_rows_written_month;
    int64_t incl_do_storage_bytes;
    int64_t do_memory_mb, do_mb_per_gb;
} pr_plan;

int pr_load(const char *path, pr_plan *out, sim_err *err);

/* Adds cost counters (pico-USD) to m, from its kv.reads, kv.writes,
 * worker.requests and kv.storage.byte_s over a run of duration us:
 *   cost.<plan>.day.{kv_reads,kv_writes,requests,storage,total}  list price per day
 *   cost.<plan>.month.total  the month's bill with included amounts and base
 * The per-day figure is the run's total scaled to 24 h. Storage is billed
 * per GB-month of the run's average stored bytes (byte_s / duration): a day
 * costs that average times the GB-month price over days_per_month, and the
 * month bills the average beyond the included bytes for one month.
 * A run with a Durable Object (a do.requests counter) also gets
 *   cost.<plan>.day.{do_requests,do_duration,do_rows_read,do_rows_written,do_storage}
 * from do.requests, do.duration_us, do.rows_read, do.rows_written and
 * do.storage.byte_s, included in both totals; other runs are unchanged.
 * -1 if a cost counter could not be registered (out of memory). */
int pr_apply(const pr_plan *p, met_registry *m, sim_us duration);

#endif
