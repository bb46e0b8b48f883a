/* test_search_engine.c - the search engine (app/search.h): properties in
 * the catalogue's vocabulary, priced trials (a cost property sees the
 * bill), and a search that finds and shrinks a known violation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/search.h"
#include "app/session.h"
#include "model/figures.h"

static void test_parse_properties(void **state)
{
    (void)state;
    sr_property p;
    assert_int_equal(sr_parse_property("healed-within:60s", &p), 0);
    assert_int_equal(p.kind, P_HEALED_WITHIN);
    assert_true(p.x == 60e6);
    assert_int_equal(sr_parse_property("stuck_final<=2", &p), 0);
    assert_int_equal(p.kind, P_METRIC);
    assert_int_equal(p.metric, M_STUCK);
    assert_true(p.x == 2);
    assert_int_equal(sr_parse_property("heal_p99_s<=2min", &p), 0); /* seconds take a duration */
    assert_int_equal(p.metric, M_HEAL99);
    assert_true(p.x == 120);
    assert_int_equal(sr_parse_property("stuck<=0", &p), -2);         /* the old advise name */
    assert_int_equal(sr_parse_property("heal-p99<=5s", &p), -2);
    assert_int_equal(sr_parse_property("heal_p99_s<=fast", &p), -1);
    assert_int_equal(sr_parse_property("stuck_final<=", &p), -1);
    assert_int_equal(sr_parse_property("no-lost-posts:nowhere", &p), -1);
    assert_int_equal(sr_parse_property("bogus", &p), -1);
}

static void load(scenario **s, pr_plan *plan)
{
    sim_err err = { 0, "" };
    if (ses_load("scenarios/incident-164.json", "data", "paid", NULL, NULL, s, plan, NULL, &err) != 0)
        fail_msg("ses_load: %s", err.msg);
}

/* A searcher of option on s, seed 1, trials cut at max_duration. */
static sr_searcher searcher(scenario *s, pr_plan *plan, const char *option, sim_us max_duration)
{
    sr_searcher S;
    memset(&S, 0, sizeof S);
    S.base = s;
    S.plan = plan;
    S.option = option;
    S.seed = 1;
    S.max_duration = max_duration;
    return S;
}

/* A trial is priced: usd_per_day<=0 fails on any run (a run costs its
 * requests), which it would not if the engine skipped the pricing step. */
static void test_trials_are_priced(void **state)
{
    (void)state;
    scenario *s = NULL;
    pr_plan plan;
    load(&s, &plan);
    sr_searcher S = searcher(s, &plan, "1", 600 * SIM_US_PER_S);
    char why[256];
    sim_us w;
    assert_int_equal(sr_parse_property("usd_per_day<=0", &S.prop), 0);
    assert_int_equal(sr_run_one(&S, s, "1", why, sizeof why, &w), 1);
    assert_non_null(strstr(why, "usd_per_day was 0.0230")); /* the incident under option 1: $0.023050/day */
    assert_int_equal(sr_parse_property("usd_per_day<=0.03", &S.prop), 0);
    assert_int_equal(sr_run_one(&S, s, "1", why, sizeof why, &w), 0);
    assert_int_equal(S.runs, 2);
    sc_free(s);
}

/* Option 0 never heals: any trial with stuck messages at the start ends
 * with them stuck, and nothing else makes a message stuck at the end
 * under option 0 unless a cache update fails. The shrunk case keeps that
 * one feature, and the run is cut to the shortest the shrinker allows
 * (halving from 30 min while >= 60 s: 112.5 s). */
static void test_find_and_shrink(void **state)
{
    (void)state;
    scenario *s = NULL;
    pr_plan plan;
    load(&s, &plan);
    sr_searcher S = searcher(s, &plan, "0", 30 * 60 * SIM_US_PER_S);
    assert_int_equal(sr_parse_property("stuck_final<=0", &S.prop), 0);
    char why[256];
    sim_us w;
    sr_trial t;
    int found = -1;
    for (int k = 0; k < 50 && found < 0; k++) {
        sr_random_trial(&S, (uint64_t)k, &t);
        if (sr_fails(&S, &t, why, sizeof why, &w))
            found = k;
    }
    assert_true(found >= 0);
    assert_true(t.on[F_STUCK]);
    int size0 = sr_size(&t), steps = 0;
    sr_shrink(&S, &t, why, sizeof why, &w, &steps);
    assert_true(sr_size(&t) <= size0);
    assert_int_equal(sr_size(&t), 1);
    assert_true(t.on[F_STUCK]);
    assert_true(t.duration == 112500000);
    assert_true(sr_fails(&S, &t, why, sizeof why, &w)); /* the shrunk case still fails */
    /* the same search again gives the same trial */
    sr_trial t2;
    sr_random_trial(&S, (uint64_t)found, &t2);
    sr_trial t1;
    sr_random_trial(&S, (uint64_t)found, &t1);
    assert_memory_equal(&t1, &t2, sizeof t1);
    sc_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_properties),
        cmocka_unit_test(test_trials_are_priced),
        cmocka_unit_test(test_find_and_shrink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
