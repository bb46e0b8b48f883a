/* test_stats.c - stat_ (reports/stats.h) against textbook values: mean,
 * sample standard deviation (n - 1), the 95 % Student-t half-width, NaN
 * values left out, one value, strided columns (the layout compare, sweep
 * and advise read); and met_quantile's nearest rank on small arrays.
 *
 * Reference values: the sample {2,4,4,4,5,5,7,9} has mean 5 and sample
 * sd sqrt(32/7) = 2.138089935; t(0.975, 7) = 2.364624252, so the half-width
 * is 2.364624252 * 2.138089935 / sqrt(8) = 1.787488. t(0.975, 1) =
 * 12.706204736, t(0.975, 2) = 4.302652730 (any statistics table). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/session.h"
#include "reports/report.h"
#include "reports/stats.h"
#include "sim/km.h"
#include "sim/metrics.h"

#define TOL 1e-6

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, expected %.12g (tolerance %g)", got, want, tol);
}

static void test_textbook_sample(void **state)
{
    (void)state;
    const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    stat_summary s = stat_of(x, 8, 1);
    assert_int_equal(s.n, 8);
    assert_near(s.mean, 5.0, 1e-12);
    assert_near(s.sd, 2.138089935, 1e-9);
    assert_near(s.half, 2.364624252 * 2.138089935299395 / sqrt(8.0), TOL);
    assert_near(s.half, 1.787488, TOL);
}

/* Two and three values: the t quantile has to follow the degrees of
 * freedom (a fixed 1.96 or a table off by one would fail here). */
static void test_small_samples_t_quantile(void **state)
{
    (void)state;
    const double two[] = { 1, 3 };
    stat_summary s = stat_of(two, 2, 1);
    assert_int_equal(s.n, 2);
    assert_near(s.mean, 2, 1e-12);
    assert_near(s.sd, sqrt(2.0), 1e-12);
    assert_near(s.half, 12.706204736, TOL); /* t(0.975,1) * sqrt2 / sqrt2 */
    const double three[] = { 1, 2, 3 };
    s = stat_of(three, 3, 1);
    assert_int_equal(s.n, 3);
    assert_near(s.mean, 2, 1e-12);
    assert_near(s.sd, 1, 1e-12);
    assert_near(s.half, 4.302652730 / sqrt(3.0), TOL);
}

static void test_nan_skipped(void **state)
{
    (void)state;
    const double x[] = { NAN, 2, 4, NAN, 4, 4, 5, NAN, 5, 7, 9, NAN };
    stat_summary s = stat_of(x, 12, 1);
    assert_int_equal(s.n, 8);
    assert_near(s.mean, 5.0, 1e-12);
    assert_near(s.sd, 2.138089935, 1e-9);
    assert_near(s.half, 1.787488, TOL);
}

static void test_one_value(void **state)
{
    (void)state;
    const double one[] = { 3.25 };
    stat_summary s = stat_of(one, 1, 1);
    assert_int_equal(s.n, 1);
    assert_near(s.mean, 3.25, 0);
    assert_true(s.half == 0);
    assert_false(isnan(s.half));
    assert_true(s.sd == 0);
    /* one value left after NaNs: still n = 1, half 0, never NaN */
    const double mostly_nan[] = { NAN, NAN, 7.5, NAN };
    s = stat_of(mostly_nan, 4, 1);
    assert_int_equal(s.n, 1);
    assert_near(s.mean, 7.5, 0);
    assert_true(s.half == 0);
}

static void test_no_values(void **state)
{
    (void)state;
    const double all_nan[] = { NAN, NAN, NAN };
    stat_summary s = stat_of(all_nan, 3, 1);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean));
    assert_true(s.half == 0);
    s = stat_of(all_nan, 0, 1);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean));
}

static void test_constant_sample(void **state)
{
    (void)state;
    const double x[] = { 0.1, 0.1, 0.1, 0.1, 0.1 };
    stat_summary s = stat_of(x, 5, 1);
    assert_int_equal(s.n, 5);
    assert_near(s.mean, 0.1, 1e-15);
    assert_near(s.sd, 0, 1e-15);
    assert_near(s.half, 0, 1e-14);
}

/* The textbook sample shifted by 1e9: a one-pass sum of squares loses
 * every digit of the variance here; the two-pass form keeps it. */
static void test_large_offset_is_stable(void **state)
{
    (void)state;
    const double base[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    double x[8];
    for (int i = 0; i < 8; i++)
        x[i] = 1e9 + base[i];
    stat_summary s = stat_of(x, 8, 1);
    assert_int_equal(s.n, 8);
    assert_near(s.mean, 1e9 + 5, 1e-6);
    assert_near(s.sd, 2.138089935, 1e-6);
    assert_near(s.half, 1.787488, 1e-5);
}

/* One column of a row-major table (stride = row width), as compare and
 * sweep read vals[(o * reps + r) * M_COUNT + k]; the other columns hold
 * junk, NaNs and huge values that must not leak in. */
static void test_stride(void **state)
{
    (void)state;
    enum { W = 5, ROWS = 9 };
    const double col[ROWS] = { 2, 4, NAN, 4, 4, 5, 5, 7, 9 };
    double t[ROWS * W];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < W; c++)
            t[r * W + c] = c == 2 ? col[r] : (c % 2 ? NAN : 1e300);
    stat_summary s = stat_of(t + 2, ROWS, W);
    assert_int_equal(s.n, 8);
    assert_near(s.mean, 5.0, 1e-12);
    assert_near(s.sd, 2.138089935, 1e-9);
    assert_near(s.half, 1.787488, TOL);
    /* the last column: reads exactly ROWS values, never past the end */
    for (int r = 0; r < ROWS; r++)
        t[r * W + W - 1] = r + 1;
    s = stat_of(t + W - 1, ROWS, W);
    assert_int_equal(s.n, ROWS);
    assert_near(s.mean, 5.0, 1e-12); /* 1..9 */
    /* stride 1 over a prefix: only n values are read */
    const double pre[] = { 1, 3, 1000 };
    s = stat_of(pre, 2, 1);
    assert_near(s.mean, 2, 1e-12);
}

/* Nearest rank: the smallest value with at least p * n values <= it. */
static void test_quantile_nearest_rank(void **state)
{
    (void)state;
    const int64_t v[] = { 10, 20, 30, 40, 50 };
    assert_int_equal(met_quantile(v, 5, 0.0), 10);
    assert_int_equal(met_quantile(v, 5, -1.0), 10);
    assert_int_equal(met_quantile(v, 5, 0.2), 10);  /* rank 1 exactly */
    assert_int_equal(met_quantile(v, 5, 0.21), 20); /* rank ceil(1.05) = 2 */
    assert_int_equal(met_quantile(v, 5, 0.5), 30);  /* rank ceil(2.5) = 3, no interpolation */
    assert_int_equal(met_quantile(v, 5, 0.6), 30);  /* rank 3 exactly */
    assert_int_equal(met_quantile(v, 5, 0.8), 40);
    assert_int_equal(met_quantile(v, 5, 0.95), 50);
    assert_int_equal(met_quantile(v, 5, 0.99), 50);
    assert_int_equal(met_quantile(v, 5, 1.0), 50);
    assert_int_equal(met_quantile(v, 5, 1.5), 50);
    assert_int_equal(met_quantile(v, 0, 0.5), 0);
    assert_int_equal(met_quantile(v, 1, 0.99), 10);
    /* an even count: the median is the lower middle value, not the mean */
    const int64_t e[] = { 1, 2, 3, 4 };
    assert_int_equal(met_quantile(e, 4, 0.5), 2);
    assert_int_equal(met_quantile(e, 4, 0.51), 3);
    /* 1..100: p50, p95, p99 are the 50th, 95th and 99th values */
    int64_t h[100];
    for (int i = 0; i < 100; i++)
        h[i] = i + 1;
    assert_int_equal(met_quantile(h, 100, 0.01), 1);
    assert_int_equal(met_quantile(h, 100, 0.5), 50);
    assert_int_equal(met_quantile(h, 100, 0.95), 95);
    assert_int_equal(met_quantile(h, 100, 0.99), 99);
    assert_int_equal(met_quantile(h, 99, 0.99), 99); /* ceil(98.01) = 99 */
    assert_int_equal(met_quantile(h, 98, 0.99), 98); /* ceil(97.02) = 98 */
}

/* Kaplan-Meier on the textbook data set: remission times (weeks) of the
 * 6-MP group of Freireich et al. (1963), 21 patients, 12 censored (+).
 * 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+.
 * The product-limit estimate and Greenwood standard errors, as printed in
 * Kleinbaum & Klein, Survival Analysis (table of the 6-MP group) and by R's
 * survfit: S(6) = 18/21, S(7) = S(6) * 16/17, S(10) = * 14/15,
 * S(13) = * 11/12, S(16) = * 10/11, S(22) = * 6/7, S(23) = * 5/6;
 * SE 0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346. Median 23. */
static void test_kaplan_meier_textbook(void **state)
{
    (void)state;
    const int64_t t[] = { 6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35 };
    const unsigned char ev[] = { 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 };
    km_curve c;
    assert_int_equal(km_fit(t, ev, 21, &c), 0);
    assert_int_equal(c.nobs, 21);
    assert_int_equal(c.nevents, 9);
    assert_int_equal(c.nsteps, 7);
    const int64_t want_t[] = { 6, 7, 10, 13, 16, 22, 23 };
    const int64_t want_risk[] = { 21, 17, 15, 12, 11, 7, 6 };
    const double want_s[] = { 18.0 / 21, 18.0 / 21 * 16 / 17, 18.0 / 21 * 16 / 17 * 14 / 15,
                              18.0 / 21 * 16 / 17 * 14 / 15 * 11 / 12, 18.0 / 21 * 16 / 17 * 14 / 15 * 11 / 12 * 10 / 11,
                              18.0 / 21 * 16 / 17 * 14 / 15 * 11 / 12 * 10 / 11 * 6 / 7,
                              18.0 / 21 * 16 / 17 * 14 / 15 * 11 / 12 * 10 / 11 * 6 / 7 * 5 / 6 };
    const double want_se[] = { 0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346 };
    for (int k = 0; k < 7; k++) {
        assert_int_equal(c.step[k].t, want_t[k]);
        assert_int_equal(c.step[k].at_risk, want_risk[k]);
        assert_near(c.step[k].s, want_s[k], 1e-12);
        assert_near(sqrt(c.step[k].var), want_se[k], 5e-5);
    }
    assert_near(want_s[6], 0.4482, 1e-4); /* the table's rounding */
    assert_int_equal(km_quantile(&c, 0.5), 23);
    /* 1 - S reaches 0.25 at 13 (0.3098 >= 0.25; at 10 it is 0.2471) */
    assert_int_equal(km_quantile(&c, 0.25), 13);
    /* the curve ends at 0.448: the 90th percentile is never reached */
    assert_int_equal(km_quantile(&c, 0.9), -1);
    assert_near(km_survival(&c, 5), 1.0, 0);
    assert_near(km_survival(&c, 12), want_s[2], 1e-12);
    assert_int_equal(c.last_t, 35);
    km_free(&c);
}

/* Nothing healed: S stays 1, every quantile is "never" (-1), never 0. */
static void test_kaplan_meier_all_censored(void **state)
{
    (void)state;
    const int64_t t[] = { 5, 9, 100 };
    const unsigned char ev[] = { 0, 0, 0 };
    km_curve c;
    assert_int_equal(km_fit(t, ev, 3, &c), 0);
    assert_int_equal(c.nsteps, 0);
    assert_int_equal(km_quantile(&c, 0.5), -1);
    assert_int_equal(km_quantile(&c, 0.01), -1);
    assert_near(km_survival(&c, 1000), 1.0, 0);
    km_free(&c);
    assert_int_equal(km_fit(t, ev, 0, &c), 0);
    assert_int_equal(km_quantile(&c, 0.5), -1);
    km_free(&c);
}

/* Without censoring the estimate is the empirical distribution; a tie of
 * an event and a censoring counts the censored one at risk. */
static void test_kaplan_meier_uncensored_and_ties(void **state)
{
    (void)state;
    const int64_t t[] = { 4, 1, 3, 2 };
    const unsigned char ev[] = { 1, 1, 1, 1 };
    km_curve c;
    assert_int_equal(km_fit(t, ev, 4, &c), 0);
    assert_near(c.step[0].s, 0.75, 1e-15);
    assert_near(c.step[3].s, 0.0, 1e-15);
    assert_int_equal(km_quantile(&c, 0.5), 2);
    assert_int_equal(km_quantile(&c, 1.0), 4);
    km_free(&c);
    const int64_t t2[] = { 2, 2, 5 };
    const unsigned char ev2[] = { 0, 1, 1 };
    assert_int_equal(km_fit(t2, ev2, 3, &c), 0);
    assert_int_equal(c.step[0].at_risk, 3);
    assert_near(c.step[0].s, 2.0 / 3, 1e-15);
    assert_near(c.step[1].s, 0.0, 1e-15);
    km_free(&c);
}

/* The streamed estimate, fed grouped times, is km_fit's curve step for
 * step (the same doubles): what heal_quantiles relies on. */
static void test_kaplan_meier_stream(void **state)
{
    (void)state;
    const int64_t t[] = { 6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35 };
    const unsigned char ev[] = { 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 };
    km_curve c;
    assert_int_equal(km_fit(t, ev, 21, &c), 0);
    km_stream k;
    km_stream_init(&k, 21);
    size_t step = 0;
    for (size_t i = 0; i < 21;) { /* t is sorted: group it */
        int64_t d = 0, cens = 0;
        size_t j = i;
        for (; j < 21 && t[j] == t[i]; j++)
            ev[j] ? d++ : cens++;
        if (km_stream_add(&k, t[i], d, cens)) {
            assert_true(step < c.nsteps);
            assert_int_equal(c.step[step].t, t[i]);
            assert_true(k.s == c.step[step].s);
            assert_true(km_reaches(k.s, 0.5) == (km_quantile(&c, 0.5) != -1 && t[i] >= km_quantile(&c, 0.5)));
            step++;
        }
        i = j;
    }
    assert_int_equal(step, c.nsteps);
    assert_int_equal(k.at_risk, 0);
    km_free(&c);
}


/* heal_km.csv (reports/report.h) over the same 6-MP data, fed as sample
 * sets the way a run leaves them (weeks as seconds): the step rows are the
 * textbook's product-limit values as healed shares 1 - S, the band is
 * 1 - (S -+ 1.96 SE) with the textbook's Greenwood SE, censor marks add up
 * to the 12 censored patients, the curve starts at 0 and ends at 35. */
static void test_heal_km_csv_textbook(void **state)
{
    (void)state;
    const int64_t t[] = { 6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35 };
    const unsigned char ev[] = { 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 };
    met_registry *m = met_new();
    assert_non_null(m);
    met_id h = met_samples(m, "heal_latency_us"), c = met_samples(m, "heal_censored_us");
    for (int i = 0; i < 21; i++)
        assert_int_equal(met_sample(m, ev[i] ? h : c, t[i] * 1000000), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    rep_heal_km_csv(f, "x", m);
    fclose(f);
    const double want_t[] = { 0, 6, 7, 10, 13, 16, 22, 23 };
    const double want_s[] = { 1, 0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482 };
    const double want_se[] = { 0, 0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346 };
    int nstep = 0, ncens = 0, nend = 0;
    long cens = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        char kind[16];
        double ts, healed, lo, hi;
        long risk, d, cn;
        assert_int_equal(sscanf(line, "x,%15[a-z],%lf,%lf,%lf,%lf,%ld,%ld,%ld", kind, &ts, &healed, &lo, &hi, &risk,
                                &d, &cn), 8);
        if (strcmp(kind, "step") == 0) {
            assert_true(nstep < 8);
            assert_near(ts, want_t[nstep], 0);
            assert_near(healed, 1 - want_s[nstep], 1e-4);
            assert_near(lo, 1 - fmin(1, want_s[nstep] + 1.96 * want_se[nstep]), 2e-4);
            assert_near(hi, 1 - fmax(0, want_s[nstep] - 1.96 * want_se[nstep]), 2e-4);
            nstep++;
        } else if (strcmp(kind, "censor") == 0) {
            ncens++;
            cens += cn;
        } else if (strcmp(kind, "end") == 0) {
            assert_near(ts, 35, 0);
            assert_near(healed, 1 - 0.4482, 1e-4);
            nend++;
        } else {
            fail_msg("unexpected row %s", line);
        }
    }
    assert_int_equal(nstep, 8);
    assert_int_equal(ncens, 11); /* 11 distinct censoring times, > 1 % apart */
    assert_int_equal(cens, 12);
    assert_int_equal(nend, 1);
    free(buf);
    met_free(m);
}

/* Nothing healed: a line at 0 from 0 to the last censoring; no episode:
 * one "none" row. */
static void test_heal_km_csv_never(void **state)
{
    (void)state;
    met_registry *m = met_new();
    met_id c = met_samples(m, "heal_censored_us");
    met_sample(m, c, 5000000);
    met_sample(m, c, 86400000000);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rep_heal_km_csv(f, "0", m);
    fclose(f);
    assert_non_null(strstr(buf, "0,step,0.000000,0.000000,0.000000,0.000000,2,0,0\n"));
    assert_non_null(strstr(buf, "0,end,86400.000000,0.000000,"));
    assert_null(strstr(buf, "0,step,5"));
    free(buf);
    met_registry *e = met_new();
    buf = NULL;
    f = open_memstream(&buf, &len);
    rep_heal_km_csv(f, "empty", e);
    fclose(f);
    assert_string_equal(buf, "empty,none,0.000000,0.000000,0.000000,0.000000,0,0,0\n");
    free(buf);
    met_free(e);
    met_free(m);
}

int main(void)
{
    rep_use_figures(ses_figures()); /* the experiment figures reports/ name */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textbook_sample),
        cmocka_unit_test(test_small_samples_t_quantile),
        cmocka_unit_test(test_nan_skipped),
        cmocka_unit_test(test_one_value),
        cmocka_unit_test(test_no_values),
        cmocka_unit_test(test_constant_sample),
        cmocka_unit_test(test_large_offset_is_stable),
        cmocka_unit_test(test_stride),
        cmocka_unit_test(test_quantile_nearest_rank),
        cmocka_unit_test(test_kaplan_meier_textbook),
        cmocka_unit_test(test_kaplan_meier_stream),
        cmocka_unit_test(test_kaplan_meier_all_censored),
        cmocka_unit_test(test_kaplan_meier_uncensored_and_ties),
        cmocka_unit_test(test_heal_km_csv_textbook),
        cmocka_unit_test(test_heal_km_csv_never),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
