/* test_metrics.c - met_: counter registration, daily buckets, sorted
 * samples and nearest-rank quantiles, kept series and sinks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/metrics.h"

static int m_setup(void **state)
{
    *state = met_new();
    return *state ? 0 : -1;
}

static int m_teardown(void **state)
{
    met_free(*state);
    return 0;
}

static void test_counter_idempotent(void **state)
{
    met_registry *m = *state;
    met_id a = met_counter(m, "kv.reads");
    met_id b = met_counter(m, "kv.writes");
    assert_true(a >= 0 && b >= 0 && a != b);
    assert_int_equal(met_counter(m, "kv.reads"), a);
    assert_int_equal(met_counter_count(m), 2);
    assert_int_equal(met_find_counter(m, "kv.writes"), b);
    assert_int_equal(met_find_counter(m, "nope"), -1);
    assert_string_equal(met_counter_name(m, a), "kv.reads");
    met_add(m, a, 0, 5);
    met_add(m, met_counter(m, "kv.reads"), 0, 2);
    assert_int_equal(met_counter_value(m, a), 7);
    assert_int_equal(met_counter_value(m, b), 0);
    assert_false(met_counter_is_daily(m, a));
    size_t nd = 99;
    assert_null(met_counter_days(m, a, &nd));
    assert_int_equal(nd, 0);
}

/* A gauge keeps the last level set, a max the largest offered (from 0);
 * both read back as counters do, and a name keeps its kind. */
static void test_gauge_and_max(void **state)
{
    met_registry *m = *state;
    met_id g = met_gauge(m, "stuck.final");
    met_id x = met_max(m, "stuck.peak");
    assert_true(g >= 0 && x >= 0 && g != x);
    assert_int_equal(met_counter_kind(m, g), MET_KIND_GAUGE);
    assert_int_equal(met_counter_kind(m, x), MET_KIND_MAX);
    assert_int_equal(met_gauge(m, "stuck.final"), g);
    assert_int_equal(met_max(m, "stuck.peak"), x);
    assert_int_equal(met_counter_value(m, x), 0);
    int64_t levels[] = { 3, 7, 2, 7, 5 };
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        met_set(m, g, levels[i]);
        met_offer(m, x, levels[i]);
    }
    assert_int_equal(met_counter_value(m, g), 5); /* the last, not a sum (24) */
    assert_int_equal(met_counter_value(m, x), 7); /* the largest, not the last */
    met_set(m, g, 0);
    assert_int_equal(met_counter_value(m, g), 0);
    met_offer(m, x, -4); /* below the start: no change */
    assert_int_equal(met_counter_value(m, x), 7);
    assert_false(met_counter_is_daily(m, g));
    /* another kind under the same name is refused */
    assert_int_equal(met_counter(m, "stuck.final"), -1);
    assert_int_equal(met_max(m, "stuck.final"), -1);
    assert_int_equal(met_gauge(m, "stuck.peak"), -1);
    assert_int_equal(met_counter_daily(m, "stuck.peak"), -1);
    /* a counter may become daily (a total either way), and stays daily */
    met_id c = met_counter(m, "kv.reads");
    assert_int_equal(met_counter_daily(m, "kv.reads"), c);
    assert_int_equal(met_counter(m, "kv.reads"), c);
    assert_int_equal(met_counter_kind(m, c), MET_KIND_DAILY);
    assert_int_equal(met_gauge(m, "kv.reads"), -1);
    assert_int_equal(met_counter_count(m), 3);
}

static void test_daily_buckets(void **state)
{
    met_registry *m = *state;
    met_id d = met_counter_daily(m, "kv.reads.daily");
    assert_int_equal(met_counter_daily(m, "kv.reads.daily"), d);
    assert_true(met_counter_is_daily(m, d));
    met_add(m, d, 0, 3);
    met_add(m, d, MET_US_PER_DAY - 1, 1);           /* still day 0 */
    met_add(m, d, 2 * MET_US_PER_DAY + 5, 4);       /* day 2 */
    size_t nd = 0;
    const int64_t *days = met_counter_days(m, d, &nd);
    assert_int_equal(nd, 3);
    assert_int_equal(days[0], 4);
    assert_int_equal(days[1], 0);
    assert_int_equal(days[2], 4);
    assert_int_equal(met_counter_value(m, d), 8);
    /* A far day grows the buckets and keeps the earlier ones. */
    met_add(m, d, 40 * MET_US_PER_DAY, 9);
    days = met_counter_days(m, d, &nd);
    assert_int_equal(nd, 41);
    assert_int_equal(days[0], 4);
    assert_int_equal(days[2], 4);
    assert_int_equal(days[39], 0);
    assert_int_equal(days[40], 9);
    /* the same day again, then back to an earlier one, after the growth
     * moved the buckets: each add lands in its own day */
    met_add(m, d, 40 * MET_US_PER_DAY + 1, 1);
    met_add(m, d, 2 * MET_US_PER_DAY, 2);
    met_add(m, d, 2 * MET_US_PER_DAY + 7, 3);
    met_add(m, d, -5, 1); /* before the epoch: day 0 */
    days = met_counter_days(m, d, &nd);
    assert_int_equal(days[40], 10);
    assert_int_equal(days[2], 9);
    assert_int_equal(days[0], 5);
    assert_int_equal(met_counter_value(m, d), 8 + 9 + 1 + 5 + 1);
}

/* met_find_samples finds a set and registers nothing when there is none. */
static void test_find_samples(void **state)
{
    met_registry *m = *state;
    assert_int_equal(met_find_samples(m, "lat"), -1);
    assert_int_equal(met_samples_count(m), 0);
    met_id a = met_samples(m, "a"), b = met_samples(m, "lat");
    assert_int_equal(met_find_samples(m, "lat"), b);
    assert_int_equal(met_find_samples(m, "a"), a);
    assert_int_equal(met_find_samples(m, "la"), -1);
    assert_int_equal(met_samples_count(m), 2);
}

static void test_samples_sorted_and_quantiles(void **state)
{
    met_registry *m = *state;
    met_id s = met_samples(m, "latency_us");
    assert_int_equal(met_samples(m, "latency_us"), s);
    /* 1..100 in a scrambled order (37 is coprime with 100). */
    for (int i = 0; i < 100; i++)
        assert_int_equal(met_sample(m, s, (i * 37) % 100 + 1), 0);
    size_t n = 0;
    const int64_t *v = met_samples_sorted(m, s, &n);
    assert_int_equal(n, 100);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i], (int64_t)i + 1);
    assert_int_equal(met_quantile(v, n, 0.50), 50);
    assert_int_equal(met_quantile(v, n, 0.95), 95);
    assert_int_equal(met_quantile(v, n, 0.99), 99);
    assert_int_equal(met_quantile(v, n, 1.0), 100);
    assert_int_equal(met_quantile(v, n, 0.0), 1);
    assert_int_equal(met_quantile(v, n, 0.001), 1);
    assert_int_equal(met_quantile(v, n, 0.505), 51); /* rounds rank up */
    assert_int_equal(met_quantile(v, 0, 0.5), 0);
    assert_int_equal(met_quantile(NULL, 0, 0.99), 0);
    static const int64_t four[] = { 10, 20, 30, 40 };
    assert_int_equal(met_quantile(four, 4, 0.25), 10);
    assert_int_equal(met_quantile(four, 4, 0.26), 20);
    assert_int_equal(met_quantile(four, 4, 0.75), 30);
    assert_int_equal(met_quantile(four, 4, 0.76), 40);
}

typedef struct { int64_t rows[16][3]; int n; int bad_ncols; } sink_log;

static void collect(void *ud, const int64_t *row, int ncols)
{
    sink_log *log = ud;
    if (ncols != 3 || log->n >= 16) {
        log->bad_ncols++;
        return;
    }
    memcpy(log->rows[log->n++], row, 3 * sizeof *row);
}

static void test_series_keep_and_sink(void **state)
{
    met_registry *m = *state;
    met_id id = met_series(m, "poll", "t_us,kvr,kvw");
    assert_true(id >= 0);
    assert_int_equal(met_series(m, "poll", "t_us,kvr,kvw"), id);
    assert_int_equal(met_series_ncols(m, id), 3);
    assert_string_equal(met_series_cols(m, id), "t_us,kvr,kvw");
    sink_log log = { .n = 0 };
    met_series_keep(m, id, 1);
    met_series_sink(m, id, collect, &log);
    enum { ROWS = 10 };
    for (int64_t i = 0; i < ROWS; i++) {
        int64_t row[3] = { i * 1000, i, -i };
        met_row(m, id, row);
    }
    assert_int_equal(met_series_rows(m, id), ROWS);
    assert_int_equal(log.n, ROWS);
    assert_int_equal(log.bad_ncols, 0);
    const int64_t *data = met_series_data(m, id);
    assert_non_null(data);
    for (int i = 0; i < ROWS; i++) {
        int64_t want[3] = { i * 1000, i, -i };
        assert_memory_equal(&data[3 * i], want, sizeof want);
        assert_memory_equal(log.rows[i], want, sizeof want);
    }
}

static void test_series_count_only(void **state)
{
    met_registry *m = *state;
    met_id id = met_series(m, "quiet", "a,b");
    int64_t row[2] = { 1, 2 };
    met_row(m, id, row);
    met_row(m, id, row);
    assert_int_equal(met_series_rows(m, id), 2);
    assert_null(met_series_data(m, id));
    assert_int_equal(met_find_series(m, "quiet"), id);
    assert_int_equal(met_series(m, "wide", "a,b,c,d,e,f,g,h,i"), -1);
    assert_int_equal(met_series(m, "widest", "a,b,c,d,e,f,g,h"), id + 1);
}

/* Under the cap, iteration is the sorted values with repeats counted. */
static void test_samples_iter_exact(void **state)
{
    met_registry *m = *state;
    met_id id = met_samples(m, "lat");
    const int64_t v[] = { 5, -3, 5, 9, 5, -3, 0 };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        assert_int_equal(met_sample(m, id, v[i]), 0);
    const int64_t want_v[] = { -3, 0, 5, 9 };
    const uint64_t want_c[] = { 2, 1, 3, 1 };
    met_iter it;
    int64_t x;
    uint64_t c;
    size_t k = 0;
    met_samples_iter(m, id, &it);
    while (met_samples_next(&it, &x, &c)) {
        assert_true(k < 4);
        assert_int_equal(x, want_v[k]);
        assert_int_equal(c, want_c[k]);
        k++;
    }
    assert_int_equal(k, 4);
    assert_true(met_samples_exact(m, id));
    assert_int_equal(met_samples_quantile(m, id, 0.5), 5);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Over the cap a set keeps a bounded histogram: count and extremes exact,
 * quantiles within 0.05 % (half a bucket) of the exact ones, iteration in
 * ascending order with every sample counted, memory independent of n. */
static void test_samples_over_cap(void **state)
{
    met_registry *m = *state;
    enum { N = 200000 };
    met_samples_set_exact_max(m, 1000);
    met_id id = met_samples(m, "lat");
    int64_t *ref = malloc(N * sizeof *ref);
    assert_non_null(ref);
    uint64_t x = 88172645463325252u; /* xorshift: spread over 12 decades */
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)((x >> 24) >> (x % 40));
        if (i % 97 == 0)
            v = -v; /* a few negatives */
        ref[i] = v;
        assert_int_equal(met_sample(m, id, v), 0);
        if (i == 999)
            assert_true(met_samples_exact(m, id));
    }
    assert_false(met_samples_exact(m, id));
    assert_int_equal(met_samples_n(m, id), N);
    size_t n = 99;
    assert_null(met_samples_sorted(m, id, &n));
    assert_int_equal(n, 0);
    /* 8 KiB per power of two reached, whatever N: far below N values */
    assert_true(met_samples_bytes(m) <= 128 * 8192);
    assert_true(met_samples_bytes(m) < N * sizeof(int64_t) / 2);
    qsort(ref, N, sizeof *ref, cmp64);
    met_stat st;
    met_samples_stat(m, id, &st);
    assert_int_equal(st.n, N);
    assert_int_equal(st.min, ref[0]);
    assert_int_equal(st.max, ref[N - 1]);
    const double ps[] = { 0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1 };
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        int64_t want = met_quantile(ref, N, ps[k]), got = met_samples_quantile(m, id, ps[k]);
        double err = (double)llabs(got - want);
        if (err > 1 && err > 0.0005 * (double)llabs(want))
            fail_msg("p%g: %lld, exact %lld", ps[k], (long long)got, (long long)want);
    }
    met_iter it;
    int64_t v, prev = INT64_MIN;
    uint64_t c, total = 0;
    int first = 1;
    met_samples_iter(m, id, &it);
    while (met_samples_next(&it, &v, &c)) {
        assert_true(first || v > prev);
        assert_true(c >= 1);
        prev = v;
        first = 0;
        total += c;
    }
    assert_int_equal(total, N);
    free(ref);
}

/* Every representative is within half a bucket: 2^-11 of the value. */
static void test_hist_error_bound(void **state)
{
    (void)state;
    hist h;
    hist_init(&h);
    const int64_t v[] = { 0, 1, 1023, 1024, 1025, 2047, 2048, 123456789, INT64_MAX, -1, -1024, -1025,
                          -987654321, INT64_MIN };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        assert_int_equal(hist_add(&h, v[i], 1), 0);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        int64_t r = hist_repr(&h, v[i]);
        double d = fabs((double)r - (double)v[i]), mag = fabs((double)v[i]);
        if (mag < 1024)
            assert_int_equal(r, v[i]);
        else if (d > mag / 2048)
            fail_msg("%lld reads back as %lld", (long long)v[i], (long long)r);
    }
    assert_int_equal(h.min, INT64_MIN);
    assert_int_equal(h.max, INT64_MAX);
    hist_deinit(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counter_idempotent, m_setup, m_teardown),
        cmocka_unit_test_setup_teardown(test_daily_buckets, m_setup, m_teardown),
        cmocka_unit_test_setup_teardown(test_find_samples, m_setup, m_teardown),
        cmocka_unit_test_setup_teardown(test_gauge_and_max, m_setup, m_teardown),
        cmocka_unit_test_setup_teardown(test_samples_sorted_and_quantiles, m_setup,
                                        m_teardown),
        cmocka_unit_test_setup_teardown(test_series_keep_and_sink, m_setup, m_teardown),
        cmocka_unit_test_setup_teardown(test_series_count_only, m_setup, m_teardown),
        cmocka_unit_test_setup_teardown(test_samples_iter_exact, m_setup, m_teardown),
        cmocka_unit_test_setup_teardown(test_samples_over_cap, m_setup, m_teardown),
        cmocka_unit_test(test_hist_error_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
