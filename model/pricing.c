/* pricing.c - loading price lists and costing a run. */
#include "pricing.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (buf)
        buf[len] = 0;
    return buf;
}

/* Reads obj.a.b as a non-negative number; missing -> def. */
static int num(const cJSON *root, const char *sect, const char *key, double def, double *out, const char *path,
               sim_err *err)
{
    const cJSON *o = sect ? cJSON_GetObjectItemCaseSensitive(root, sect) : root;
    const cJSON *j = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!j) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > 1e15) {
        snprintf(err->msg, sizeof err->msg, "%.400s: %s%s%s: expected a number >= 0", path, sect ? sect : "",
                 sect ? "." : "", key);
        err->code = 2;
        return -1;
    }
    *out = j->valuedouble;
    return 0;
}

/* Dollars to pico-dollars, rounded to the nearest pico. */
static int64_t pusd(double usd) { return (int64_t)llround(usd * 1e12); }

int pr_load(const char *path, pr_plan *p, sim_err *err)
{
    memset(p, 0, sizeof *p);
    char *text = slurp(path);
    if (!text) {
        snprintf(err->msg, sizeof err->msg, "%.400s: cannot read the pricing file", path);
        err->code = 2;
        return -1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root || !cJSON_IsObject(root)) {
        snprintf(err->msg, sizeof err->msg, "%.400s: not a JSON object (see data/pricing/)", path);
        err->code = 2;
        cJSON_Delete(root);
        return -1;
    }
    double d[16];
    int rc = num(root, NULL, "days_per_month", 30, &d[0], path, err) ||
             num(root, NULL, "base_per_month", 0, &d[1], path, err) ||
             num(root, "kv", "read_per_million", 0, &d[2], path, err) ||
             num(root, "kv", "write_per_million", 0, &d[3], path, err) ||
             num(root, "kv", "storage_per_gb_month", 0, &d[4], path, err) ||
             num(root, "kv", "included_reads_per_month", 0, &d[5], path, err) ||
             num(root, "kv", "included_writes_per_month", 0, &d[6], path, err) ||
             num(root, "workers", "request_per_million", 0, &d[7], path, err) ||
             num(root, "workers", "included_requests_per_month", 0, &d[8], path, err) ||
             num(root, "daily_caps", "kv_reads", 0, &d[9], path, err) ||
             num(root, "daily_caps", "kv_writes", 0, &d[10], path, err) ||
             num(root, "daily_caps", "workers_requests", 0, &d[11], path, err) ||
             num(root, "kv", "included_storage_gb", 0, &d[12], path, err) ||
             num(root, "kv", "storage_bytes_per_gb", 1e9, &d[13], path, err);
    if (rc == 0 && (d[13] < 1 || d[13] != floor(d[13]))) {
        snprintf(err->msg, sizeof err->msg, "%.400s: kv.storage_bytes_per_gb: expected a whole number >= 1", path);
        err->code = 2;
        rc = -1;
    }
    if (rc == 0 && (d[0] < 1 || d[0] > 31 || d[0] != floor(d[0]))) {
        snprintf(err->msg, sizeof err->msg, "%.400s: days_per_month: expected a whole number from 1 to 31", path);
        err->code = 2;
        rc = -1;
    }
    if (rc == 0) {
        const cJSON *s;
        snprintf(p->path, sizeof p->path, "%s", path);
        if ((s = cJSON_GetObjectItemCaseSensitive(root, "name")) && cJSON_IsString(s))
            snprintf(p->name, sizeof p->name, "%s", s->valuestring);
        if ((s = cJSON_GetObjectItemCaseSensitive(root, "date")) && cJSON_IsString(s))
            snprintf(p->date, sizeof p->date, "%s", s->valuestring);
        snprintf(p->plan, sizeof p->plan, "paid");
        if ((s = cJSON_GetObjectItemCaseSensitive(root, "plan")) && cJSON_IsString(s))
            snprintf(p->plan, sizeof p->plan, "%s", s->valuestring);
        p->days_per_month = (int)d[0];
        p->base_month_pusd = pusd(d[1]);
        p->read_pusd = pusd(d[2] / 1e6);
        p->write_pusd = pusd(d[3] / 1e6);
        p->storage_gb_month_pusd = pusd(d[4]);
        p->incl_reads_month = (int64_t)d[5];
        p->incl_writes_month = (int64_t)d[6];
        p->request_pusd = pusd(d[7] / 1e6);
        p->incl_requests_month = (int64_t)d[8];
        p->cap_reads_day = (int64_t)d[9];
        p->cap_writes_day = (int64_t)d[10];
        p->cap_requests_day = (int64_t)d[11];
        p->storage_gb_bytes = (int64_t)d[13];
        p->incl_storage_bytes = (int64_t)llround(d[12] * d[13]);
    }
    cJSON_Delete(root);
    return rc ? -1 : 0;
}

/* n * num / den without overflow (GCC/Clang 128-bit integers). */
static int64_t scale(int64_t n, int64_t num, int64_t den)
{
    return den ? (int64_t)((__int128)n * num / den) : 0;
}

static int64_t counter(const met_registry *m, const char *name)
{
    met_id id = met_find_counter(m, name);
    return id >= 0 ? met_counter_value(m, id) : 0;
}

void pr_apply(const pr_plan *p, met_registry *m, sim_us duration)
{
    char name[96];
    int64_t reads = counter(m, "kv.reads"), writes = counter(m, "kv.writes"), reqs = counter(m, "worker.requests");
    /* exact per-day cost: scale the run's total cost, not a rounded rate */
    int64_t day_r = scale(reads * p->read_pusd, MET_US_PER_DAY, duration);
    int64_t day_w = scale(writes * p->write_pusd, MET_US_PER_DAY, duration);
    int64_t day_q = scale(reqs * p->request_pusd, MET_US_PER_DAY, duration);
    int64_t month = MET_US_PER_DAY * p->days_per_month;
    int64_t mr = scale(reads, month, duration) - p->incl_reads_month;
    int64_t mw = scale(writes, month, duration) - p->incl_writes_month;
    int64_t mq = scale(reqs, month, duration) - p->incl_requests_month;
    /* storage: byte_s / (duration_us / 1e6) is the average stored bytes */
    int64_t byte_s = counter(m, "kv.storage.byte_s");
    __int128 gb_us = (__int128)duration * p->storage_gb_bytes; /* average GB x duration, in byte-µs */
    int64_t day_s = duration && p->storage_gb_bytes
                        ? (int64_t)((__int128)byte_s * SIM_US_PER_S * p->storage_gb_month_pusd /
                                    (gb_us * p->days_per_month))
                        : 0;
    __int128 excess = (__int128)byte_s * SIM_US_PER_S - (__int128)p->incl_storage_bytes * duration;
    int64_t ms = excess > 0 && gb_us ? (int64_t)(excess * p->storage_gb_month_pusd / gb_us) : 0;
    int64_t bill = p->base_month_pusd + (mr > 0 ? mr * p->read_pusd : 0) + (mw > 0 ? mw * p->write_pusd : 0) +
                   (mq > 0 ? mq * p->request_pusd : 0) + ms;
    struct { const char *k; int64_t v; } rows[] = {
        { "day.kv_reads", day_r }, { "day.kv_writes", day_w }, { "day.requests", day_q },
        { "day.storage", day_s }, { "day.total", day_r + day_w + day_q + day_s }, { "month.total", bill },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(name, sizeof name, "cost.%s.%s_pusd", p->plan, rows[i].k);
        met_add(m, met_counter(m, name), 0, rows[i].v);
    }
}
