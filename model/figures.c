/* figures.c - the metric catalogue (figures.h). Kinds: counter (a run
 * total), daily (a total kept per simulated day too), gauge (a level
 * whose end value is published), max (the largest level seen), samples
 * (a distribution, published as quantiles). */
#include "figures.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const fig table[] = {
    /* KV operations and requests */
    { "kv.reads", FIG_DAILY, "count", "billed KV gets (ok or miss)" },
    { "kv.writes", FIG_DAILY, "count", "billed KV puts (landed)" },
    { "worker.requests", FIG_DAILY, "count", "Worker invocations that ran" },
    { "worker.requests.capped", FIG_DAILY, "count", "requests past the plan's daily cap (429, not run)" },
    { "worker.responded_before_end", FIG_COUNTER, "count", "invocations that answered before their waitUntil work ended" },
    { "cache_update.wait_until_cancelled", FIG_COUNTER, "count", "retries not made: past the waitUntil limit" },
    { "kv.storage.byte_s", FIG_COUNTER, "byte_s", "KV stored bytes integrated over the run" },
    { "kv.storage.bytes_end", FIG_GAUGE, "bytes", "KV stored bytes at the end" },
    { "kv.reads.key.cache", FIG_COUNTER, "count", "billed gets of recent:comments" },
    { "kv.writes.key.cache", FIG_COUNTER, "count", "billed puts of recent:comments" },
    { "kv.reads.key.individual", FIG_COUNTER, "count", "billed gets of comment: keys" },
    { "kv.writes.key.individual", FIG_COUNTER, "count", "billed puts of comment: keys" },
    { "kv.reads.key.other", FIG_COUNTER, "count", "deployed: billed gets of its other keys" },
    { "kv.writes.key.other", FIG_COUNTER, "count", "deployed: billed puts of its other keys" },
    { "calls.<ep>", FIG_COUNTER, "count", "invocations started, by endpoint" },
    { "kv.reads.<ep>", FIG_COUNTER, "count", "billed gets by endpoint" },
    { "kv.writes.<ep>", FIG_COUNTER, "count", "billed puts by endpoint" },
    { "http.<ep>.<code>", FIG_COUNTER, "count", "responses by endpoint and status" },
    { "kv.failed.<kind>", FIG_COUNTER, "count", "failed KV operations by kind" },
    { "kv.failed.<ep>.<op>.<class>", FIG_COUNTER, "count", "failed KV operations by endpoint, op and key class (endpoint faults only)" },
    { "faults.<i>.matched", FIG_COUNTER, "count", "operations endpoint fault i matched" },
    { "faults.<i>.fired", FIG_COUNTER, "count", "operations endpoint fault i failed" },
    /* cache updates */
    { "cache_update.swallowed.<kind>", FIG_COUNTER, "count", "errors a try/catch logged and swallowed" },
    { "cache_update.entry_missing", FIG_COUNTER, "count", "cache updates that found no entry" },
    { "cache_update.retries", FIG_COUNTER, "count", "Option 2's retries" },
    { "cache_update.gave_up", FIG_COUNTER, "count", "Option 2's updates given up" },
    { "cache.reset_unparseable", FIG_COUNTER, "count", "deployed post: an unparseable cache replaced" },
    /* divergence */
    { "divergence.episodes", FIG_COUNTER, "count", "divergence episodes opened" },
    { "divergence.healed", FIG_COUNTER, "count", "episodes healed" },
    { "divergence.censored.aged_out", FIG_COUNTER, "count", "episodes ended by aging out" },
    { "divergence.censored.overwritten", FIG_COUNTER, "count", "episodes ended by an overwrite" },
    { "divergence.censored.open_at_end", FIG_COUNTER, "count", "episodes open at the end" },
    { "divergence.open_max_age_us", FIG_MAX, "us", "age of the oldest episode open at the end" },
    { "heal_latency_us", FIG_SAMPLES, "us", "healing latency of healed episodes" },
    { "heal_censored_us", FIG_SAMPLES, "us", "durations of censored episodes" },
    { "heal.km.<x>", FIG_COUNTER, "us", "Kaplan-Meier healing-time quantile (p50, p90, p95, p99_us); -1: never" },
    /* stuck */
    { "stuck.final", FIG_GAUGE, "count", "stuck messages at the end" },
    { "stuck.peak", FIG_MAX, "count", "most stuck messages at once" },
    /* the cache window */
    { "cache.aged_out", FIG_COUNTER, "count", "messages pushed out of the window" },
    { "cache.lost_by_overwrite", FIG_COUNTER, "count", "messages lost from the cache by an overwrite" },
    { "cache.lost_by_overwrite.<ep>", FIG_COUNTER, "count", "the same, by the endpoint whose write lost them" },
    { "cache.overwrite_removals", FIG_COUNTER, "count", "every removal by overwrite" },
    { "kv.gets.local.<class>.<location>", FIG_COUNTER, "count", "gets served from a location's copy" },
    { "kv.gets.central.<class>.<location>", FIG_COUNTER, "count", "gets that went to the central store" },
    { "kv.refreshes.<class>.<location>", FIG_COUNTER, "count", "background refreshes of a location's copy" },
    { "cache.lost_by_corruption", FIG_COUNTER, "count", "messages lost when the cache became unparseable" },
    { "cache.pending_aged_out", FIG_COUNTER, "count", "pending messages pushed out of the window" },
    { "cache.never_cached", FIG_COUNTER, "count", "posted messages never in the cache" },
    /* liveness and safety */
    { "liveness.answers", FIG_COUNTER, "count", "AI replies posted" },
    { "liveness.never_answered", FIG_COUNTER, "count", "bot messages never answered" },
    { "safety.answered_twice", FIG_COUNTER, "count", "bot messages answered more than once" },
    { "safety.returned_after_claim", FIG_COUNTER, "count", "pending answers naming an already claimed message" },
    { "safety.status_regressions", FIG_COUNTER, "count", "stored statuses going back from terminal" },
    { "reply_latency_us", FIG_SAMPLES, "us", "post to first AI reply" },
    /* witnesses */
    { "polls.kvr_max", FIG_MAX, "count", "most reads of one poll" },
    { "witness.first_lost_us", FIG_COUNTER, "us", "time of the first loss by overwrite" },
    { "witness.first_lost_us.<ep>", FIG_COUNTER, "us", "the same, by endpoint" },
    { "witness.first_double_answer_us", FIG_COUNTER, "us", "time of the first double answer" },
    { "witness.slowest_heal_end_us", FIG_GAUGE, "us", "end of the slowest healed episode" },
    /* the run */
    { "sim.events", FIG_COUNTER, "count", "events processed" },
    { "sim.duration_us", FIG_COUNTER, "us", "simulated duration" },
    { "messages", FIG_COUNTER, "count", "messages ever in the run" },
    /* Durable Object (Option 4) */
    { "do.requests", FIG_DAILY, "count", "Worker-to-object calls" },
    { "do.rows_read", FIG_DAILY, "rows", "SQLite rows read" },
    { "do.rows_written", FIG_DAILY, "rows", "SQLite rows written" },
    { "do.rows_read.pending", FIG_COUNTER, "rows", "rows read by pending requests" },
    { "do.rows_read.reload", FIG_COUNTER, "rows", "rows the constructor read" },
    { "do.evictions", FIG_COUNTER, "count", "times the object had left memory" },
    { "do.constructor_runs", FIG_COUNTER, "count", "constructor runs" },
    { "do.duration_us", FIG_COUNTER, "us", "billed duration" },
    { "do.storage.byte_s", FIG_COUNTER, "byte_s", "DO stored bytes integrated over the run" },
    { "do.storage.rows_end", FIG_GAUGE, "rows", "rows stored at the end" },
    { "do.gate_wait_us", FIG_SAMPLES, "us", "wait at the input gate" },
    /* cost */
    { "cost.<plan>.day.kv_reads_pusd", FIG_COUNTER, "pusd", "KV reads at list price per day" },
    { "cost.<plan>.day.kv_writes_pusd", FIG_COUNTER, "pusd", "KV writes at list price per day" },
    { "cost.<plan>.day.requests_pusd", FIG_COUNTER, "pusd", "Worker requests at list price per day" },
    { "cost.<plan>.day.storage_pusd", FIG_COUNTER, "pusd", "KV storage at list price per day" },
    { "cost.<plan>.day.total_pusd", FIG_COUNTER, "pusd", "list price per day" },
    { "cost.<plan>.month.total_pusd", FIG_COUNTER, "pusd", "the month's bill" },
    { "cost.<plan>.day.do_requests_pusd", FIG_COUNTER, "pusd", "DO requests per day" },
    { "cost.<plan>.day.do_duration_pusd", FIG_COUNTER, "pusd", "DO duration per day" },
    { "cost.<plan>.day.do_rows_read_pusd", FIG_COUNTER, "pusd", "DO rows read per day" },
    { "cost.<plan>.day.do_rows_written_pusd", FIG_COUNTER, "pusd", "DO rows written per day" },
    { "cost.<plan>.day.do_storage_pusd", FIG_COUNTER, "pusd", "DO storage per day" },
};

const fig *fig_catalogue(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

int fig_match(const char *p, const char *s)
{
    while (*p) {
        if (*p == '<') {
            const char *close = strchr(p, '>');
            if (!close)
                return 0;
            p = close + 1;
            if (!*s || *s == '.')
                return 0; /* a placeholder is at least one character */
            const char *dot = strchr(s, '.'); /* it ends at the next '.' */
            s = dot ? dot : s + strlen(s);
            continue;
        }
        if (*p++ != *s++)
            return 0;
    }
    return *s == '\0';
}

const fig *fig_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (fig_match(table[i].name, name))
            return &table[i];
    return NULL;
}

static const fig_metric metrics[M_COUNT] = {
    [M_READS] = { "reads_per_day", "per_day", "billed KV reads per simulated day (kv.reads)" },
    [M_WRITES] = { "writes_per_day", "per_day", "billed KV writes per simulated day (kv.writes)" },
    [M_USD_DAY] = { "usd_per_day", "usd", "list price per day (cost.<plan>.day.total_pusd)" },
    [M_USD_MONTH] = { "usd_per_month", "usd", "the month's bill with included amounts (cost.<plan>.month.total_pusd)" },
    [M_KVR_POLL] = { "kvr_per_poll", "ratio", "KV reads per pending call (kv.reads.pending / calls.pending)" },
    [M_HEAL50] = { "heal_p50_s", "s", "healing latency median, Kaplan-Meier (heal.km.p50_us)" },
    [M_HEAL95] = { "heal_p95_s", "s", "healing latency p95, Kaplan-Meier (heal.km.p95_us)" },
    [M_HEAL99] = { "heal_p99_s", "s", "healing latency p99, Kaplan-Meier (heal.km.p99_us)" },
    [M_EPISODES] = { "episodes", "count", "divergence episodes opened" },
    [M_HEALED] = { "healed", "count", "divergence episodes healed" },
    [M_CENSORED] = { "censored", "count", "divergence episodes censored (aged out, overwritten, open at the end)" },
    [M_STUCK] = { "stuck_final", "count", "messages stuck at the end" },
    [M_LOST] = { "lost_by_overwrite", "count", "messages lost from the cache by an overwrite" },
    [M_REPLY50] = { "reply_p50_s", "s", "post to AI reply, median" },
    [M_REPLY99] = { "reply_p99_s", "s", "post to AI reply, p99" },
    [M_NEVER] = { "never_answered", "count", "messages never answered" },
    [M_TWICE] = { "answered_twice", "count", "messages answered twice" },
    [M_STALE_PENDING] = { "returned_after_claim", "count", "messages pending returned after their claim" },
    [M_OPEN_AGE] = { "open_max_age_s", "s", "the oldest divergence still open at the end" },
};

const fig_metric *fig_metric_at(int k) { return k >= 0 && k < M_COUNT ? &metrics[k] : NULL; }

int fig_metric_find(const char *name)
{
    for (int k = 0; k < M_COUNT; k++)
        if (strcmp(metrics[k].name, name) == 0)
            return k;
    return -1;
}

const char *fig_metric_list(void)
{
    static const char list[] = "reads_per_day, writes_per_day, usd_per_day, usd_per_month, kvr_per_poll, "
                               "heal_p50_s, heal_p95_s, heal_p99_s, episodes, healed, censored, stuck_final, "
                               "lost_by_overwrite, reply_p50_s, reply_p99_s, never_answered, answered_twice, "
                               "returned_after_claim, open_max_age_s";
    return list;
}

static int64_t counter(const met_registry *m, const char *name)
{
    met_id id = met_find_counter(m, name);
    return id >= 0 ? met_counter_value(m, id) : 0;
}

/* The median or p99 of a sample set in s, NaN when empty. Through
 * met_samples_stat, so a summarized run (met_samples_summarize: results.json)
 * gives the same numbers as one that still holds its values (compare). */
static double quantile_s(met_registry *m, const char *name, int p99)
{
    met_id id = met_find_samples(m, name);
    met_stat st = { 0 };
    if (id >= 0)
        met_samples_stat(m, id, &st);
    return st.n ? (double)(p99 ? st.p99 : st.p50) / 1e6 : NAN;
}

/* A Kaplan-Meier healing quantile in s: NaN without episodes, +inf
 * ("never") where the run's curve does not reach it (a negative counter). */
static double heal_s(const met_registry *m, const char *name)
{
    if (counter(m, "divergence.episodes") == 0)
        return NAN;
    int64_t v = counter(m, name);
    return v < 0 ? INFINITY : (double)v / 1e6;
}

void fig_derive(met_registry *m, const char *plan, sim_us duration, double *v)
{
    char key[96];
    double days = (double)duration / (double)MET_US_PER_DAY;
    v[M_READS] = (double)counter(m, "kv.reads") / days;
    v[M_WRITES] = (double)counter(m, "kv.writes") / days;
    snprintf(key, sizeof key, "cost.%s.day.total_pusd", plan);
    v[M_USD_DAY] = (double)counter(m, key) / 1e12;
    snprintf(key, sizeof key, "cost.%s.month.total_pusd", plan);
    v[M_USD_MONTH] = (double)counter(m, key) / 1e12;
    int64_t polls = counter(m, "calls.pending");
    v[M_KVR_POLL] = polls ? (double)counter(m, "kv.reads.pending") / (double)polls : NAN;
    v[M_HEAL50] = heal_s(m, "heal.km.p50_us");
    v[M_HEAL95] = heal_s(m, "heal.km.p95_us");
    v[M_HEAL99] = heal_s(m, "heal.km.p99_us");
    v[M_EPISODES] = (double)counter(m, "divergence.episodes");
    v[M_HEALED] = (double)counter(m, "divergence.healed");
    v[M_CENSORED] = (double)(counter(m, "divergence.censored.aged_out") + counter(m, "divergence.censored.overwritten") +
                             counter(m, "divergence.censored.open_at_end"));
    v[M_STUCK] = (double)counter(m, "stuck.final");
    v[M_LOST] = (double)counter(m, "cache.lost_by_overwrite");
    v[M_REPLY50] = quantile_s(m, "reply_latency_us", 0);
    v[M_REPLY99] = quantile_s(m, "reply_latency_us", 1);
    v[M_NEVER] = (double)counter(m, "liveness.never_answered");
    v[M_TWICE] = (double)counter(m, "safety.answered_twice");
    v[M_STALE_PENDING] = (double)counter(m, "safety.returned_after_claim");
    v[M_OPEN_AGE] = (double)counter(m, "divergence.open_max_age_us") / 1e6;
}
