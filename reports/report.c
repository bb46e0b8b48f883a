/* report.c - results.json, the poll profile and the stdout summary. All
 * numbers come from integer counters; doubles appear only as derived rates
 * printed with fixed precision, so output bytes do not depend on the build. */
#include "report.h"

#include <cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/km.h"

/* The column table (report.h): the one place reports/ names a metric. */
static const rep_col cols[RC_COUNT] = {
    [RC_OPTION] = { "option", NULL, NULL, RCF_OPTION },
    [RC_POLLS] = { "polls", NULL, NULL, RCF_POLLS },
    [RC_KVR_MEAN] = { "kvr_mean", NULL, NULL, RCF_KVR_MEAN },
    [RC_READS] = { "reads_per_day", "kv.reads", NULL, RCF_PER_DAY },
    [RC_WRITES] = { "writes_per_day", "kv.writes", NULL, RCF_PER_DAY },
    [RC_REQUESTS] = { "requests_per_day", "worker.requests", NULL, RCF_PER_DAY },
    [RC_USD_DAY] = { "usd_per_day", "cost.<plan>.day.total_pusd", NULL, RCF_USD },
    [RC_USD_MONTH] = { "usd_per_month", "cost.<plan>.month.total_pusd", NULL, RCF_USD },
    [RC_EPISODES] = { "episodes", "divergence.episodes", NULL, RCF_INT },
    [RC_HEALED] = { "healed", "divergence.healed", NULL, RCF_INT },
    [RC_CENSORED] = { "censored", NULL, "censored", RCF_FIG_INT },
    [RC_KM50] = { "heal_p50_us", "heal.km.p50_us", NULL, RCF_KM },
    [RC_KM95] = { "heal_p95_us", "heal.km.p95_us", NULL, RCF_KM },
    [RC_KM99] = { "heal_p99_us", "heal.km.p99_us", NULL, RCF_KM },
    [RC_HEAL_MAX] = { "heal_max_us", "heal_latency_us", NULL, RCF_SAMPLES_MAX },
    [RC_STUCK] = { "stuck_final", "stuck.final", NULL, RCF_INT },
    [RC_LOST] = { "lost_by_overwrite", "cache.lost_by_overwrite", NULL, RCF_INT },
    [RC_AGED_OUT] = { "aged_out", "cache.aged_out", NULL, RCF_INT },
    [RC_NEVER] = { "never_answered", "liveness.never_answered", NULL, RCF_INT },
    [RC_TWICE] = { "answered_twice", "safety.answered_twice", NULL, RCF_INT },
    [RC_VS_BASE] = { "usd_per_month_vs_baseline", "cost.<plan>.month.total_pusd", NULL, RCF_VS_BASE },
    [RC_WORSE] = { "worse_than_baseline", NULL, NULL, RCF_WORSE },
    [RC_HEAL_CENSORED] = { NULL, "heal_censored_us", NULL, RCF_SAMPLES },
};

const rep_col *rep_columns(size_t *n)
{
    *n = RC_COUNT;
    return cols;
}

static const rep_figures *figs;

void rep_use_figures(const rep_figures *f) { figs = f; }

/* The experiment figures; a caller that set none is a programming error. */
static const rep_figures *F(void)
{
    if (!figs || figs->n > REP_MAX_FIGURES) {
        fputs("qsim: reports: no experiment figures (rep_use_figures) before an output\n", stderr);
        abort();
    }
    return figs;
}

/* name with "<plan>" replaced by plan (NULL: left as it is). */
static const char *resolve(const char *name, const char *plan, char *buf, size_t len)
{
    const char *at = plan ? strstr(name, "<plan>") : NULL;
    if (!at)
        return name;
    snprintf(buf, len, "%.*s%s%s", (int)(at - name), name, plan, at + 6);
    return buf;
}


/* Column c's counter in m (0 when the run has none). */
static int64_t col_int(const met_registry *m, const char *plan, int c)
{
    char buf[96];
    return rep_counter(m, resolve(cols[c].name, plan, buf, sizeof buf));
}

/* Column c's sample set: its stat, all 0 when the run has none. */
static void col_stat(met_registry *m, int c, met_stat *st)
{
    met_id id = met_find_samples(m, cols[c].name);
    if (id >= 0)
        met_samples_stat(m, id, st);
    else
        memset(st, 0, sizeof *st);
}

void rep_polls_init(rep_polls *p, FILE *csv, const char *option)
{
    memset(p, 0, sizeof *p);
    p->csv = csv;
    p->option = option;
    p->kvr_min = INT64_MAX;
}

void rep_polls_header(FILE *csv)
{
    fputs("option,t_us,t_s,kvr,kvw,returned,status,bot\n", csv);
}

/* Appends the decimal digits of v to *p, two at a time (half the
 * divisions: polls.csv writes five or six numbers per poll). */
static char *put_int(char *p, int64_t v)
{
    static const char pairs[201] = "0001020304050607080910111213141516171819"
                                 "2021222324252627282930313233343536373839"
                                 "4041424344454647484950515253545556575859"
                                 "6061626364656667686970717273747576777879"
                                 "8081828384858687888990919293949596979899";
    char tmp[24];
    int n = 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        tmp[--n] = pairs[2 * r + 1];
        tmp[--n] = pairs[2 * r];
    }
    if (u >= 10) {
        tmp[--n] = pairs[2 * u + 1];
        tmp[--n] = pairs[2 * u];
    } else {
        tmp[--n] = (char)('0' + u);
    }
    memcpy(p, tmp + n, (size_t)(24 - n));
    return p + (24 - n);
}

/* One polls.csv row. Hand-formatted: a year has 10 M polls per option and
 * fprintf's format parsing was a fifth of the run time. */
static void write_row(FILE *f, const char *option, const int64_t *row)
{
    char buf[256], *p = buf;
    size_t ol = strlen(option);
    if (ol > 64)
        ol = 64;
    memcpy(p, option, ol);
    p += ol;
    *p++ = ',';
    p = put_int(p, row[0]);
    *p++ = ',';
    p = put_int(p, row[0] / 1000000);
    *p++ = '.';
    int64_t frac = row[0] % 1000000; /* six digits, by constant divisors */
    for (int k = 5; k >= 0; k--) {
        p[k] = (char)('0' + frac % 10);
        frac /= 10;
    }
    p += 6;
    for (int k = 1; k <= 5; k++) {
        *p++ = ',';
        p = put_int(p, row[k]);
    }
    *p++ = '\n';
    fwrite(buf, 1, (size_t)(p - buf), f);
}

void rep_polls_sink(void *ud, const int64_t *row, int ncols)
{
    rep_polls *p = ud;
    (void)ncols;
    int64_t t = row[0], kvr = row[1], kvw = row[2];
    if (p->csv)
        write_row(p->csv, p->option, row);
    p->count++;
    p->sum_kvr += kvr;
    p->sum_kvw += kvw;
    p->errors += row[4] != 200;
    if (kvr < p->kvr_min) p->kvr_min = kvr;
    if (kvr > p->kvr_max) p->kvr_max = kvr;
    int same = p->count > 1 && p->last_kvr == kvr && p->last_kvw == kvw;
    p->last_kvr = kvr;
    p->last_kvw = kvw;
    if (same) {
        if (p->runs_total == p->nruns)
            p->runs[p->nruns - 1].n++;
        return;
    }
    p->runs_total++; /* a new run; only the first REP_MAX_RUNS are kept */
    if (p->nruns < REP_MAX_RUNS) {
        p->runs[p->nruns].kvr = kvr;
        p->runs[p->nruns].kvw = kvw;
        p->runs[p->nruns].n = 1;
        p->runs[p->nruns].first_t = t;
        p->nruns++;
    }
}

/* The kind column of "cap_crossing": 0 KV reads, 1 KV writes, 2 Worker
 * requests (model/kv.c, model/call.c). */
static const char *cap_kind(int64_t k)
{
    return k == 0 ? "reads" : k == 1 ? "writes" : "requests";
}

int64_t rep_counter(const met_registry *m, const char *name)
{
    met_id id = met_find_counter(m, name);
    return id >= 0 ? met_counter_value(m, id) : 0;
}

void rep_usd(char *buf, size_t len, int64_t pusd)
{
    int64_t micro = (pusd + 500000) / 1000000; /* costs are never negative */
    snprintf(buf, len, "%" PRId64 ".%06" PRId64, micro / 1000000, micro % 1000000);
}

static double per_day(int64_t v, int64_t duration)
{
    return duration > 0 ? (double)v * (double)MET_US_PER_DAY / (double)duration : 0;
}

/* Rounds to 6 decimals through an integer so the printed double is stable. */
static cJSON *fixed(double x)
{
    return cJSON_CreateNumber((double)llround(x * 1e6) / 1e6);
}

static cJSON *polls_json(const rep_polls *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)p->count);
    cJSON_AddItemToObject(o, "kvr_mean", fixed(p->count ? (double)p->sum_kvr / (double)p->count : 0));
    cJSON_AddItemToObject(o, "kvw_mean", fixed(p->count ? (double)p->sum_kvw / (double)p->count : 0));
    cJSON_AddNumberToObject(o, "kvr_min", p->count ? (double)p->kvr_min : 0);
    cJSON_AddNumberToObject(o, "kvr_max", (double)p->kvr_max);
    cJSON_AddNumberToObject(o, "errors", (double)p->errors);
    cJSON_AddNumberToObject(o, "profile_runs", (double)p->runs_total);
    cJSON *runs = cJSON_AddArrayToObject(o, "profile");
    for (int i = 0; i < p->nruns; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "kvr", (double)p->runs[i].kvr);
        cJSON_AddNumberToObject(r, "kvw", (double)p->runs[i].kvw);
        cJSON_AddNumberToObject(r, "polls", (double)p->runs[i].n);
        cJSON_AddNumberToObject(r, "from_us", (double)p->runs[i].first_t);
        cJSON_AddItemToArray(runs, r);
    }
    return o;
}

/* A figure's value: 6 decimals; NaN (undefined) null, +inf "never". */
static cJSON *figure_json(double v)
{
    if (isnan(v))
        return cJSON_CreateNull();
    if (isinf(v))
        return cJSON_CreateString("never");
    return fixed(v);
}

static cJSON *run_json(const rep_run *r, const char *plan, int64_t duration)
{
    met_registry *m = r->m;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "option", r->option);
    cJSON *rates = cJSON_AddObjectToObject(o, "per_day");
    static const int rated[] = { RC_READS, RC_WRITES, RC_REQUESTS };
    for (size_t i = 0; i < sizeof rated / sizeof rated[0]; i++)
        cJSON_AddItemToObject(rates, cols[rated[i]].name, fixed(per_day(col_int(m, plan, rated[i]), duration)));
    cJSON *counters = cJSON_AddObjectToObject(o, "counters");
    cJSON *daily = cJSON_AddObjectToObject(o, "daily");
    for (size_t i = 0; i < met_counter_count(m); i++) {
        met_id id = (met_id)i;
        cJSON_AddNumberToObject(counters, met_counter_name(m, id), (double)met_counter_value(m, id));
        if (met_counter_is_daily(m, id)) {
            size_t nd = 0;
            const int64_t *d = met_counter_days(m, id, &nd);
            cJSON *arr = cJSON_AddArrayToObject(daily, met_counter_name(m, id));
            for (size_t k = 0; k < nd; k++)
                cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)d[k]));
        }
    }
    cJSON *samples = cJSON_AddObjectToObject(o, "samples");
    for (size_t i = 0; i < met_samples_count(m); i++) {
        met_stat st;
        met_samples_stat(m, (met_id)i, &st);
        cJSON *s = cJSON_AddObjectToObject(samples, met_samples_name(m, (met_id)i));
        cJSON_AddNumberToObject(s, "n", (double)st.n);
        cJSON_AddNumberToObject(s, "min", (double)st.min);
        cJSON_AddNumberToObject(s, "p50", (double)st.p50);
        cJSON_AddNumberToObject(s, "p95", (double)st.p95);
        cJSON_AddNumberToObject(s, "p99", (double)st.p99);
        cJSON_AddNumberToObject(s, "max", (double)st.max);
    }
    if (r->polls)
        cJSON_AddItemToObject(o, "polls", polls_json(r->polls));
    met_id cs = met_find_series(m, "cap_crossing");
    const int64_t *cd = cs >= 0 ? met_series_data(m, cs) : NULL;
    cJSON *caps = cJSON_AddArrayToObject(o, "free_cap_crossings");
    for (size_t k = 0; cd && k < met_series_rows(m, cs); k++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "day", (double)cd[k * 3]);
        cJSON_AddStringToObject(c, "kind", cap_kind(cd[k * 3 + 1]));
        cJSON_AddNumberToObject(c, "t_in_day_us", (double)cd[k * 3 + 2]);
        cJSON_AddItemToArray(caps, c);
    }
    /* the experiment figures, by name: the numbers compare uses */
    double fv[REP_MAX_FIGURES];
    F()->derive(m, plan, duration, fv);
    cJSON *fo = cJSON_AddObjectToObject(o, "figures");
    for (int k = 0; k < F()->n; k++)
        cJSON_AddItemToObject(fo, F()->name(k), figure_json(fv[k]));
    return o;
}

int rep_results_json(FILE *f, const rep_meta *meta, const rep_run *runs, int n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "qsim", meta->version);
    cJSON_AddStringToObject(root, "scenario", meta->scenario);
    cJSON_AddStringToObject(root, "file", meta->file);
    cJSON_AddNumberToObject(root, "seed", (double)meta->seed);
    cJSON_AddNumberToObject(root, "duration_us", (double)meta->duration_us);
    cJSON_AddStringToObject(root, "pricing", meta->pricing);
    cJSON_AddStringToObject(root, "plan", meta->plan);
    cJSON *arr = cJSON_AddArrayToObject(root, "runs");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, run_json(&runs[i], meta->plan, meta->duration_us));
    cJSON *units = cJSON_AddObjectToObject(root, "figure_units");
    for (int k = 0; k < F()->n; k++)
        cJSON_AddStringToObject(units, F()->name(k), F()->unit(k));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    int rc = fputs(text, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
    free(text);
    return rc;
}

static void profile_text(const rep_polls *p, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    if (!p || p->count == 0) {
        snprintf(buf, len, "(no polls)");
        return;
    }
    for (int i = 0; i < p->nruns && k < len; i++) {
        if (i == 2 && p->runs_total > 3) {
            k += (size_t)snprintf(buf + k, len - k, " ... (%" PRId64 " runs)", p->runs_total);
            break;
        }
        k += (size_t)snprintf(buf + k, len - k, "%s[KVr:%" PRId64 " KVw:%" PRId64 "]x%" PRId64, i ? " -> " : "",
                              p->runs[i].kvr, p->runs[i].kvw, p->runs[i].n);
    }
}

static void duration_text(char *buf, size_t len, int64_t us)
{
    if (us < 1000000)
        snprintf(buf, len, "%" PRId64 "ms", us / 1000);
    else
        snprintf(buf, len, "%" PRId64 ".%03" PRId64 "s", us / 1000000, us % 1000000 / 1000);
}

const char *const rep_risk_names[REP_RISK_COUNT] = { "lost", "never", "twice", "stuck" };
const int rep_risk_columns[REP_RISK_COUNT] = { RC_LOST, RC_NEVER, RC_TWICE, RC_STUCK };
static const char *const risk_words[REP_RISK_COUNT] = { "lost posts (overwritten)", "never answered",
                                                        "answered twice", "stuck at the end" };

int rep_baseline(const rep_run *runs, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(runs[i].option, "0") == 0)
            return i;
    return 0;
}

unsigned rep_worse(const rep_run *runs, int n, int r)
{
    int b = rep_baseline(runs, n);
    unsigned bits = 0;
    for (int k = 0; k < REP_RISK_COUNT && r != b; k++)
        if (col_int(runs[r].m, NULL, rep_risk_columns[k]) > col_int(runs[b].m, NULL, rep_risk_columns[k]))
            bits |= 1u << k;
    return bits;
}

/* "lost,twice" from rep_worse's bits; "-" when none. */
static void worse_text(char *buf, size_t len, unsigned bits, const char *sep)
{
    size_t k = 0;
    snprintf(buf, len, "-");
    for (int i = 0; i < REP_RISK_COUNT; i++)
        if (bits & (1u << i))
            k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? sep : "", rep_risk_names[i]);
}

/* "$5.00", "-$71.71", "+$0.00" from pico-dollars, to the cent; sign: print
 * '+' for positive values too. */
static void cents(char *buf, size_t len, int64_t pusd, int sign)
{
    int64_t a = pusd < 0 ? -pusd : pusd;
    int64_t c = (a + 5000000000) / 10000000000; /* 1 cent = 1e10 pico-USD */
    snprintf(buf, len, "%s$%" PRId64 ".%02" PRId64, pusd < 0 ? "-" : sign ? "+" : "", c / 100, c % 100);
}

/* "10 M" / "100,000" for the included amounts. */
static void amount(char *buf, size_t len, int64_t v)
{
    if (v >= 1000000 && v % 1000000 == 0)
        snprintf(buf, len, "%" PRId64 " M", v / 1000000);
    else
        snprintf(buf, len, "%" PRId64, v);
}

/* The decision lines: for each option against the baseline, the month's
 * bill (headline), the list-price rate (second) and the risk figures. */
static void decision(FILE *f, const rep_meta *meta, const rep_run *runs, int n, int ow)
{
    int b = rep_baseline(runs, n);
    const met_registry *bm = runs[b].m;
    int64_t bbill = col_int(bm, meta->plan, RC_USD_MONTH), bday = col_int(bm, meta->plan, RC_USD_DAY);
    char x[32], y[32], z[32], w[32];
    fprintf(f, "\ndecision, against option %s:\n", runs[b].option);
    if (meta->base_month_pusd || meta->incl_reads_month) {
        char r[24], wr[24], q[24];
        amount(r, sizeof r, meta->incl_reads_month);
        amount(wr, sizeof wr, meta->incl_writes_month);
        amount(q, sizeof q, meta->incl_requests_month);
        cents(x, sizeof x, meta->base_month_pusd, 0);
        fprintf(f, "  the month's bill is %s base plus usage beyond the included %s reads, %s writes, %s requests\n"
                   "  and %.1f GB stored a month (%s)\n",
                x, r, wr, q, (double)meta->incl_storage_bytes / 1e9, meta->pricing);
    }
    cents(x, sizeof x, bbill, 0);
    rep_usd(y, sizeof y, bday);
    fprintf(f, "  %-*s bill %s/month; list price $%s/day\n", ow, runs[b].option, x, y);
    for (int i = 0; i < n; i++) {
        if (i == b)
            continue;
        const met_registry *m = runs[i].m;
        int64_t bill = col_int(m, meta->plan, RC_USD_MONTH), day = col_int(m, meta->plan, RC_USD_DAY);
        cents(x, sizeof x, bill, 0);
        cents(y, sizeof y, bill - bbill, 1);
        rep_usd(z, sizeof z, day);
        int64_t dd = day - bday;
        rep_usd(w, sizeof w, dd < 0 ? -dd : dd);
        fprintf(f, "  %-*s bill %s/month, ", ow, runs[i].option, x);
        if (bill == bbill)
            fprintf(f, "the same as option %s: this choice changes nothing on the bill", runs[b].option);
        else
            fprintf(f, "%s a month against option %s", y, runs[b].option);
        fprintf(f, "; list price $%s/day (%s$%s/day)\n", z, dd < 0 ? "-" : "+", w);
        unsigned bits = rep_worse(runs, n, i);
        if (!bits) {
            fprintf(f, "  %-*s risk: no worse than option %s on lost posts, never answered, answered twice, stuck\n", ow,
                    "", runs[b].option);
            continue;
        }
        fprintf(f, "  %-*s risk: WORSE than option %s on", ow, "", runs[b].option);
        int first = 1;
        for (int k = 0; k < REP_RISK_COUNT; k++)
            if (bits & (1u << k)) {
                fprintf(f, "%s %s (%" PRId64 " vs %" PRId64 ")", first ? "" : ",", risk_words[k],
                        col_int(m, NULL, rep_risk_columns[k]), col_int(bm, NULL, rep_risk_columns[k]));
                first = 0;
            }
        fprintf(f, "; single run: could be chance\n");
    }
    fprintf(f, "  (one run per option: a flag says only that the figure is higher in this run; qsim compare\n"
               "  flags WORSE only where the paired 95 %% CI over replications is above 0)\n");
}

void rep_summary(FILE *f, const rep_meta *meta, const rep_run *runs, int n)
{
    char cost[32], bill[32], prof[256], p50[32], diff[32], worse[64];
    char dur[32];
    int b = rep_baseline(runs, n);
    if (meta->duration_us >= MET_US_PER_DAY)
        snprintf(dur, sizeof dur, "%.3f simulated days", (double)meta->duration_us / (double)MET_US_PER_DAY);
    else
        snprintf(dur, sizeof dur, "%.3f simulated s", (double)meta->duration_us / 1e6);
    fprintf(f, "%s: seed %" PRIu64 ", %s, %s plan (%s)\n\n", meta->scenario, meta->seed, dur, meta->plan,
            meta->pricing);
    int ow = 6;
    for (int i = 0; i < n; i++)
        if ((int)strlen(runs[i].option) > ow)
            ow = (int)strlen(runs[i].option);
    char vs[32], wt[32];
    snprintf(vs, sizeof vs, "vs %.20s", runs[b].option);
    snprintf(wt, sizeof wt, "worse than %.12s", runs[b].option);
    fprintf(f, "%-*s %11s %9s %10s %8s %12s %11s %6s %6s %6s %6s %-18s %10s %9s  %s\n", ow, "option", "$/month", vs,
            "$/day", "polls", "reads/day", "writes/day", "lost", "never", "twice", "stuck", wt,
            "episodes", "heal p50", "poll log");
    for (int i = 0; i < n; i++) {
        met_registry *m = runs[i].m;
        rep_usd(cost, sizeof cost, col_int(m, meta->plan, RC_USD_DAY));
        int64_t mb = col_int(m, meta->plan, RC_USD_MONTH);
        rep_usd(bill, sizeof bill, mb);
        if (i == b)
            snprintf(diff, sizeof diff, "base");
        else if (mb == col_int(runs[b].m, meta->plan, RC_USD_MONTH))
            snprintf(diff, sizeof diff, "same");
        else
            cents(diff, sizeof diff, mb - col_int(runs[b].m, meta->plan, RC_USD_MONTH), 1);
        unsigned bits = rep_worse(runs, n, i);
        worse_text(worse, sizeof worse, bits, ",");
        if (bits) { /* "!" marks the flag so it cannot be missed in a long table */
            char t[sizeof worse];
            memcpy(t, worse, sizeof t);
            snprintf(worse, sizeof worse, "!%.60s", t);
        }
        profile_text(runs[i].polls, prof, sizeof prof);
        int64_t km50 = col_int(m, NULL, RC_KM50);
        if (col_int(m, NULL, RC_EPISODES) == 0)
            snprintf(p50, sizeof p50, "-");
        else if (km50 < 0)
            snprintf(p50, sizeof p50, "never");
        else
            duration_text(p50, sizeof p50, km50);
        char eps[32];
        snprintf(eps, sizeof eps, "%" PRId64 "/%" PRId64, col_int(m, NULL, RC_HEALED), col_int(m, NULL, RC_EPISODES));
        fprintf(f, "%-*s %11s %9s %10s %8" PRId64 " %12.1f %11.1f %6" PRId64 " %6" PRId64 " %6" PRId64 " %6" PRId64
                   " %-18s %10s %9s  %s\n",
                ow, runs[i].option, bill, diff, cost, runs[i].polls ? runs[i].polls->count : 0,
                per_day(col_int(m, NULL, RC_READS), meta->duration_us),
                per_day(col_int(m, NULL, RC_WRITES), meta->duration_us), col_int(m, NULL, rep_risk_columns[0]),
                col_int(m, NULL, rep_risk_columns[1]), col_int(m, NULL, rep_risk_columns[2]),
                col_int(m, NULL, rep_risk_columns[3]), worse, eps, p50, prof);
    }
    fprintf(f, "\n$/month: the month's bill with included amounts; vs: its difference from option %s; $/day at list\n"
               "price. lost: posts lost from the cache by an overwrite; never: posts never answered; twice: answered\n"
               "more than once; stuck: cache entry not terminal while its key is, at the end; '!': worse than\n"
               "option %s on those. episodes: divergence episodes healed/opened; heal p50: Kaplan-Meier median.\n",
            runs[b].option, runs[b].option);
    for (int i = 0; i < n; i++) {
        met_registry *m = runs[i].m;
        met_id cs = met_find_series(m, "cap_crossing");
        size_t rows = cs >= 0 ? met_series_rows(m, cs) : 0;
        const int64_t *d = cs >= 0 ? met_series_data(m, cs) : NULL;
        if (!rows || !d)
            continue;
        fprintf(f, "option %s: free-plan daily cap %s:", runs[i].option,
                strcmp(meta->plan, "free") == 0 ? "reached (later operations of that kind fail)"
                                                : "would be reached");
        for (size_t k = 0; k < rows && k < 4; k++) {
            int64_t s = d[k * 3 + 2] / 1000000;
            fprintf(f, "%s %s on day %" PRId64 " at %02d:%02d:%02d UTC", k ? "," : "", cap_kind(d[k * 3 + 1]),
                    d[k * 3] + 1, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
        }
        if (rows > 4)
            fprintf(f, " (and %zu more)", rows - 4);
        fputc('\n', f);
    }
    if (n > 1)
        decision(f, meta, runs, n, ow);
}

void rep_summary_csv(FILE *f, const rep_meta *meta, const rep_run *runs, int n)
{
    const char *plan = meta->plan;
    int first = 1;
    for (int c = 0; c < RC_COUNT; c++)
        if (cols[c].csv) {
            fprintf(f, "%s%s", first ? "" : ",", cols[c].csv);
            first = 0;
        }
    fputc('\n', f);
    int b = rep_baseline(runs, n);
    for (int i = 0; i < n; i++) {
        met_registry *m = runs[i].m;
        const rep_polls *p = runs[i].polls;
        double fv[REP_MAX_FIGURES];
        F()->derive(m, plan, meta->duration_us, fv);
        first = 1;
        for (int c = 0; c < RC_COUNT; c++) {
            if (!cols[c].csv)
                continue;
            char buf[64];
            met_stat st;
            int64_t d;
            if (!first)
                fputc(',', f);
            first = 0;
            switch (cols[c].fmt) {
            case RCF_OPTION:
                fputs(runs[i].option, f);
                break;
            case RCF_POLLS:
                fprintf(f, "%" PRId64, p ? p->count : 0);
                break;
            case RCF_KVR_MEAN:
                fprintf(f, "%.6f", p && p->count ? (double)p->sum_kvr / (double)p->count : 0.0);
                break;
            case RCF_PER_DAY:
                fprintf(f, "%.6f", per_day(col_int(m, plan, c), meta->duration_us));
                break;
            case RCF_USD:
                rep_usd(buf, sizeof buf, col_int(m, plan, c));
                fputs(buf, f);
                break;
            case RCF_INT:
                fprintf(f, "%" PRId64, col_int(m, plan, c));
                break;
            case RCF_FIG_INT:
                fprintf(f, "%" PRId64, (int64_t)fv[F()->find(cols[c].figure)]);
                break;
            case RCF_KM: /* Kaplan-Meier quantiles; empty where the curve
                          * never reaches them or nothing opened, never 0 */
                d = col_int(m, plan, c);
                if (d >= 0 && col_int(m, plan, RC_EPISODES) > 0)
                    fprintf(f, "%" PRId64, d);
                break;
            case RCF_SAMPLES_MAX:
                col_stat(m, c, &st);
                if (st.n)
                    fprintf(f, "%" PRId64, st.max);
                break;
            case RCF_VS_BASE: /* the bill's difference from the baseline, signed */
                d = col_int(m, plan, c) - col_int(runs[b].m, plan, c);
                rep_usd(buf, sizeof buf, d < 0 ? -d : d);
                fprintf(f, "%s%s", d < 0 ? "-" : "", buf);
                break;
            case RCF_WORSE: /* "lost;never"; empty when nothing */
                worse_text(buf, sizeof buf, rep_worse(runs, n, i), ";");
                fputs(buf[0] == '-' ? "" : buf, f);
                break;
            default:
                break;
            }
        }
        fputc('\n', f);
    }
}

void rep_csv_sink(void *ud, const int64_t *row, int ncols)
{
    rep_csv *c = ud;
    char buf[256], *p = buf;
    size_t ol = strlen(c->option);
    if (ol > 64)
        ol = 64;
    memcpy(p, c->option, ol);
    p += ol;
    for (int k = 0; k < ncols && k < MET_MAX_COLS; k++) {
        *p++ = ',';
        p = put_int(p, row[k]);
    }
    *p++ = '\n';
    fwrite(buf, 1, (size_t)(p - buf), c->f);
}

void rep_heal_csv_header(FILE *f)
{
    fputs("option,latency_s\n", f);
}

void rep_heal_csv(FILE *f, const char *option, met_registry *m)
{
    /* one row per episode; past the sample cap, the bucket's value */
    met_iter it;
    int64_t v = 0;
    uint64_t c = 0;
    met_id id = met_find_samples(m, cols[RC_HEAL_MAX].name);
    if (id < 0)
        return;
    met_samples_iter(m, id, &it);
    while (met_samples_next(&it, &v, &c))
        for (uint64_t i = 0; i < c; i++)
            fprintf(f, "%s,%" PRId64 ".%06" PRId64 "\n", option, v / 1000000, v % 1000000);
}

/* heal_km.csv: the Kaplan-Meier curve of the healing time, the same fit
 * as heal.km.* (model/track.c): healed episodes are events, the others are
 * censored when they ended. Rows, by option then time:
 *   step    the healed share 1 - S just after t, with the plain Greenwood
 *           95 % band 1 - (S +- 1.96 sqrt(var)) clipped to [0, 1];
 *   censor  a censor mark: censorings since the previous mark, at the
 *           share and band then reached (so a line through every row of
 *           an option is the curve: gnuplot breaks a line at a skipped row);
 *   end     the last observed time (event or censored), the share there:
 *           the line runs to the end of the data, not of the axis.
 * Every curve starts with a step at 0 with share 0, so an option whose
 * episodes all ended unhealed is drawn as a line at 0 to its end row; one
 * without any episode has one "none" row. The curve is thinned, not smoothed: a step is
 * written when the share moved by 0.001 or the time by 1 % (at least 1 ms)
 * since the last written one (and the last step always), a censor mark at
 * most once per 1 % of time (and at the last censoring); every written value is the fit's own. So a year-long busy
 * run writes a few thousand rows, not one per episode. */
void rep_heal_km_csv_header(FILE *f)
{
    fputs("option,kind,t_s,healed,lo95,hi95,at_risk,events,censored\n", f);
}

static void km_row(FILE *f, const char *option, const char *kind, int64_t t, double s, double var, int64_t risk,
                   int64_t d, int64_t c)
{
    double se = var > 0 ? sqrt(var) : 0;
    double up = s + 1.96 * se, dn = s - 1.96 * se;
    up = up > 1 ? 1 : up;
    dn = dn < 0 ? 0 : dn;
    fprintf(f, "%s,%s,%" PRId64 ".%06" PRId64 ",%.6f,%.6f,%.6f,%" PRId64 ",%" PRId64 ",%" PRId64 "\n", option, kind,
            t / 1000000, t % 1000000, 1 - s, 1 - up, 1 - dn, risk, d, c);
}

/* the thinning's time step after t: 1 % of it, at least 1 ms */
static int64_t km_gap(int64_t t)
{
    return t / 100 > 1000 ? t / 100 : 1000;
}

void rep_heal_km_csv(FILE *f, const char *option, met_registry *m)
{
    met_id sh = met_find_samples(m, cols[RC_HEAL_MAX].name), sc = met_find_samples(m, cols[RC_HEAL_CENSORED].name);
    /* a set the run lacks is empty */
    int64_t nobs = (int64_t)((sh >= 0 ? met_samples_n(m, sh) : 0) + (sc >= 0 ? met_samples_n(m, sc) : 0));
    if (nobs == 0) {
        fprintf(f, "%s,none,0.000000,0.000000,0.000000,0.000000,0,0,0\n", option);
        return;
    }
    met_iter ih, ic;
    int64_t vh = 0, vc = 0, last_t = 0;
    uint64_t ch = 0, cc = 0;
    int more_h = 0, more_c = 0;
    if (sh >= 0) {
        met_samples_iter(m, sh, &ih);
        more_h = met_samples_next(&ih, &vh, &ch);
    }
    if (sc >= 0) {
        met_samples_iter(m, sc, &ic);
        more_c = met_samples_next(&ic, &vc, &cc);
    }
    km_stream k;
    km_stream_init(&k, nobs);
    /* the last step read but not yet written, and the last written one */
    int64_t pend_t = -1, pend_risk = 0, pend_d = 0, out_t = -1, mark_t = -1, cens = 0;
    double pend_s = 1, pend_var = 0, out_s = 1;
    /* S(0) = 1: every line starts at 0 (and stays there when nothing heals) */
    km_row(f, option, "step", 0, 1, 0, nobs, 0, 0);
    while (more_h || more_c) {
        int64_t at = more_h && (!more_c || vh <= vc) ? vh : vc;
        int64_t d = 0, c = 0, risk = k.at_risk;
        if (more_h && vh == at) {
            d = (int64_t)ch;
            more_h = met_samples_next(&ih, &vh, &ch);
        }
        if (more_c && vc == at) {
            c = (int64_t)cc;
            more_c = met_samples_next(&ic, &vc, &cc);
        }
        last_t = at;
        if (km_stream_add(&k, at, d, c)) {
            if (pend_t >= 0 && (fabs(pend_s - out_s) >= 0.001 || out_t < 0 || pend_t - out_t >= km_gap(out_t))) {
                km_row(f, option, "step", pend_t, pend_s, pend_var, pend_risk, pend_d, 0);
                out_t = pend_t;
                out_s = pend_s;
            }
            pend_t = at;
            pend_s = k.s;
            pend_var = risk > d ? k.s * k.s * k.g : 0; /* S = 0: no variance */
            pend_risk = risk;
            pend_d = d;
        }
        if (c > 0) {
            cens += c;
            if (mark_t < 0 || at - mark_t >= km_gap(mark_t) || !(more_h || more_c)) {
                if (pend_t >= 0 && pend_t != out_t) { /* rows stay in time order */
                    km_row(f, option, "step", pend_t, pend_s, pend_var, pend_risk, pend_d, 0);
                    out_t = pend_t;
                    out_s = pend_s;
                }
                km_row(f, option, "censor", at, k.s, k.s * k.s * k.g, risk, 0, cens);
                mark_t = at;
                cens = 0;
            }
        }
    }
    if (pend_t >= 0 && pend_t != out_t)
        km_row(f, option, "step", pend_t, pend_s, pend_var, pend_risk, pend_d, 0);
    km_row(f, option, "end", last_t, k.s, k.s * k.s * k.g, k.at_risk, 0, cens);
}

int rep_heal_km_append(const char *dir, const char *option, met_registry *m, int first)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/heal_km.csv", dir);
    FILE *f = fopen(path, first ? "w" : "a");
    if (!f)
        return -1;
    if (first)
        rep_heal_km_csv_header(f);
    rep_heal_km_csv(f, option, m);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -1;
    return 0;
}

void rep_caps_csv_header(FILE *f)
{
    fputs("option,day,kind,t_in_day_s\n", f);
}

void rep_caps_csv(FILE *f, const char *option, met_registry *m)
{
    met_id cs = met_find_series(m, "cap_crossing");
    const int64_t *d = cs >= 0 ? met_series_data(m, cs) : NULL;
    for (size_t k = 0; d && k < met_series_rows(m, cs); k++)
        fprintf(f, "%s,%" PRId64 ",%s,%" PRId64 "\n", option, d[k * 3], cap_kind(d[k * 3 + 1]),
                d[k * 3 + 2] / 1000000);
}
