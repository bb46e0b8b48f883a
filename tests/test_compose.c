/* test_compose.c - composing strategies (model/strategy.c, MODEL.md
 * section 5: "strategies must be composable, for instance 1 + 2").
 *
 *  - st_compose("1+2") holds Option 1's pending hooks and Option 2's cache
 *    update, and nothing else; "2+1" is the same table;
 *  - two strategies filling one hook are refused, naming the hook
 *    ("1+1fixed": pending_verify); a strategy named twice is refused; an
 *    unknown name is refused with the list of every known one; more than
 *    ST_MAX_PARTS parts is refused; a scenario's "options" gives the same
 *    refusals with the JSON path;
 *  - 1+2 behaves as both in one run: it heals a stuck entry at the poll
 *    like Option 1 and retries a failed cache update like Option 2, and
 *    "2+1" gives every counter identical. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "model/strategies/strategies.h"

static int compose(const char *spec, st_set *out, sim_err *err)
{
    st_params p;
    st_params_default(&p);
    memset(err, 0, sizeof *err);
    return st_compose(spec, &p, out, err);
}

/* ---- 1. the merged table ---- */

static void test_1_plus_2_has_both_hooks(void **state)
{
    (void)state;
    static const char *const specs[] = { "1+2", "2+1", "0+1+2" };
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        st_set s;
        sim_err err;
        if (compose(specs[k], &s, &err) != 0)
            fail_msg("'%s' refused: %s", specs[k], err.msg);
        assert_int_equal(err.code, 0);
        assert_string_equal(s.name, specs[k]);
        assert_string_equal(s.h.name, specs[k]);
        assert_int_equal(s.nparts, k == 2 ? 3 : 2);
        assert_non_null(st_option1.pending_verify);
        assert_non_null(st_option2.cache_update);
        assert_ptr_equal(s.h.pending_verify, st_option1.pending_verify);
        assert_ptr_equal(s.h.pending_after_scan, st_option1.pending_after_scan);
        assert_ptr_equal(s.h.cache_update, st_option2.cache_update);
        assert_null(s.h.pending_should_verify);
        assert_null(s.h.cron_job);
        assert_int_equal(s.p.retry_max_attempts, 5);
        assert_int_equal(s.p.retry_first_backoff, SIM_US_PER_S);
    }
}

/* Every strategy on its own is its own table; 3 and verify-all compose
 * with 1+2 (cron_job, pending_should_verify are theirs alone). */
static void test_single_and_wider(void **state)
{
    (void)state;
    for (const st_hooks *const *r = st_registry(); *r; r++) {
        st_set s;
        sim_err err;
        if (compose((*r)->name, &s, &err) != 0)
            fail_msg("'%s' refused: %s", (*r)->name, err.msg);
        assert_int_equal(s.nparts, 1);
        assert_ptr_equal(s.parts[0], *r);
        assert_ptr_equal(s.h.pending_should_verify, (*r)->pending_should_verify);
        assert_ptr_equal(s.h.pending_verify, (*r)->pending_verify);
        assert_ptr_equal(s.h.pending_after_scan, (*r)->pending_after_scan);
        assert_ptr_equal(s.h.cache_update, (*r)->cache_update);
        assert_ptr_equal(s.h.cron_job, (*r)->cron_job);
    }
    st_set s;
    sim_err err;
    if (compose("1+2+3+verify-all", &s, &err) != 0)
        fail_msg("'1+2+3+verify-all' refused: %s", err.msg);
    assert_int_equal(s.nparts, 4);
    assert_ptr_equal(s.h.cron_job, st_option3.cron_job);
    assert_ptr_equal(s.h.pending_should_verify, st_verify_all.pending_should_verify);
    assert_ptr_equal(s.h.cache_update, st_option2.cache_update);
}

/* ---- 2. refusals ---- */

static void refused(const char *spec, const char *const *must_contain)
{
    st_set s;
    sim_err err;
    if (compose(spec, &s, &err) == 0)
        fail_msg("'%s' accepted", spec);
    assert_int_equal(err.code, 2);
    for (; *must_contain; must_contain++)
        if (!strstr(err.msg, *must_contain))
            fail_msg("'%s': message lacks '%s': %s", spec, *must_contain, err.msg);
}

static void test_clashing_hooks_refused(void **state)
{
    (void)state;
    static const char *const a[] = { "'1+1fixed'", "pending_verify", NULL };
    static const char *const b[] = { "'1fixed+1'", "pending_verify", NULL };
    static const char *const c[] = { "'2+1+1fixed'", "pending_verify", NULL };
    refused("1+1fixed", a);
    refused("1fixed+1", b);
    refused("2+1+1fixed", c);
}

static void test_named_twice_refused(void **state)
{
    (void)state;
    static const char *const a[] = { "'1'", "twice", "'1+1'", NULL };
    static const char *const b[] = { "'2'", "twice", NULL };
    static const char *const c[] = { "'0'", "twice", NULL };
    refused("1+1", a);
    refused("2+3+2", b);
    refused("0+0", c);
}

/* The message names the unknown part and lists every registered name. */
static void test_unknown_refused_with_list(void **state)
{
    (void)state;
    static const char *const specs[] = { "7", "1+x", "one", "", "1+", "+1", "1 + 2", "1fix", "verify_all" };
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        st_set s;
        sim_err err;
        if (compose(specs[k], &s, &err) == 0)
            fail_msg("'%s' accepted", specs[k]);
        assert_int_equal(err.code, 2);
        if (!strstr(err.msg, "unknown strategy"))
            fail_msg("'%s': %s", specs[k], err.msg);
        const char *known = strstr(err.msg, "known: ");
        if (!known)
            fail_msg("'%s': no list of known strategies: %s", specs[k], err.msg);
        for (const st_hooks *const *r = st_registry(); *r; r++) {
            char item[80];
            /* each name appears as a whole list item */
            snprintf(item, sizeof item, " %s,", (*r)->name);
            int found = strstr(known, item) != NULL;
            snprintf(item, sizeof item, " %s;", (*r)->name);
            found = found || strstr(known, item) != NULL;
            if (!found)
                fail_msg("'%s': '%s' missing from the list: %s", specs[k], (*r)->name, err.msg);
        }
    }
}

static void test_too_many_parts_refused(void **state)
{
    (void)state;
    static const char *const a[] = { "too many", NULL };
    refused("0+1+2+3+verify-all", a);
}

/* A scenario's options go through the same check: exit code 2 and the
 * path of the offending option. */
static void test_scenario_options_refused(void **state)
{
    (void)state;
    static const struct { const char *opts, *path, *what; } cases[] = {
        { "['0','1+1fixed']", "options[1]", "pending_verify" },
        { "['1+1']", "options[0]", "twice" },
        { "['0','1','9']", "options[2]", "known: " },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[256];
        snprintf(text, sizeof text, "{\"options\":%s}", cases[k].opts);
        for (char *p = text; *p; p++)
            if (*p == '\'')
                *p = '"';
        scenario *s = NULL;
        sim_err err = { 0, "" };
        if (sc_parse("inline.json", text, strlen(text), H_LIMITS, &s, &err) == 0) {
            sc_free(s);
            fail_msg("options %s accepted", cases[k].opts);
        }
        assert_int_equal(err.code, 2);
        if (!strstr(err.msg, cases[k].path) || !strstr(err.msg, cases[k].what))
            fail_msg("options %s: %s", cases[k].opts, err.msg);
    }
}

/* ---- 3. 1+2 behaves as both ---- */

/* s1 is stuck (complete/processing); m1 is processing. Poll at 1 s; a
 * complete of m1 at 3 s whose first cache put fails; poll at 10 s.
 *   1+2: poll 1 reads 1 + 2 and heals s1 (1 write); the complete retries
 *        and m1 ends complete; poll 2 reads only the cache.
 *   1:   poll 1 the same; m1 is left stuck by the complete and healed by
 *        poll 2 (1 + 1 reads, 1 write).
 *   2:   poll 1 reads 1 + 2 and writes nothing; the retry fixes m1; s1
 *        stays stuck and poll 2 reads 1 + 1.
 *   0:   both stuck: poll 2 reads 1 + 2. */
static const char *const BOTH_SQ =
    "{'duration':'20s','kv':{'p429':1,'latency':{'get_hit':'1ms','get_miss':'20ms','put':'30ms'}},"
    "'initial':{'plain':{'count':5},'messages':["
    "{'id':'1761868700001-s1sssssss','entity':'E','stored':'complete','cached':'processing'},"
    "{'id':'1761868700002-m1mmmmmmm','entity':'E','stored':'processing','cached':'processing'}]},"
    "'script':[{'at':'1s','call':'pending'},"
    "{'at':'3s','call':'complete','msg':'1761868700002-m1mmmmmmm',"
    "'fail':[{'op':'put','key':'cache','nth':1,'kind':'error'}]},"
    "{'at':'10s','call':'pending'}]}";

static void test_1_plus_2_behaves_as_both(void **state)
{
    (void)state;
    static const struct {
        const char *opt;
        int poll1_kvw, retries, poll2_kvr, poll2_kvw, s1_cache, m1_cache_before_poll2;
    } cases[] = {
        { "1+2", 1, 1, 1, 0, MS_COMPLETE, MS_COMPLETE },
        { "2+1", 1, 1, 1, 0, MS_COMPLETE, MS_COMPLETE },
        { "1", 1, 0, 2, 1, MS_COMPLETE, MS_PROCESSING },
        { "2", 0, 1, 2, 0, MS_PROCESSING, MS_COMPLETE },
        { "0", 0, 0, 3, 0, MS_PROCESSING, MS_PROCESSING },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        h_run r;
        h_run_sq(&r, BOTH_SQ, cases[k].opt);
        assert_int_equal(h_npolls(&r), 2);
        const int64_t *p1 = h_poll(&r, 0), *p2 = h_poll(&r, 1);
        if (p1[H_KVR] != 3 || p1[H_KVW] != cases[k].poll1_kvw || p2[H_KVR] != cases[k].poll2_kvr ||
            p2[H_KVW] != cases[k].poll2_kvw)
            fail_msg("%s: polls [KVr:%lld KVw:%lld] [KVr:%lld KVw:%lld], expected [KVr:3 KVw:%d] [KVr:%d KVw:%d]",
                     cases[k].opt, (long long)p1[H_KVR], (long long)p1[H_KVW], (long long)p2[H_KVR],
                     (long long)p2[H_KVW], cases[k].poll1_kvw, cases[k].poll2_kvr, cases[k].poll2_kvw);
        assert_int_equal(h_counter(&r, "cache_update.retries"), cases[k].retries);
        assert_int_equal(h_counter(&r, "cache_update.swallowed.transient"), 1);
        /* m1 is stale after the complete only without Option 2; Option 1
         * then heals it at the next poll */
        int opt1 = strchr(cases[k].opt, '1') != NULL;
        h_msg(&r, "1761868700001-s1sssssss", cases[k].s1_cache, MS_COMPLETE);
        h_msg(&r, "1761868700002-m1mmmmmmm", opt1 ? MS_COMPLETE : cases[k].m1_cache_before_poll2, MS_COMPLETE);
        int64_t stuck = (cases[k].s1_cache != MS_COMPLETE) + (!opt1 && cases[k].m1_cache_before_poll2 != MS_COMPLETE);
        assert_int_equal(h_counter(&r, "stuck.final"), stuck);
        h_free(&r);
    }
}

/* "1+2" and "2+1" are one strategy: every counter of the run agrees. */
static void test_order_irrelevant(void **state)
{
    (void)state;
    h_run a, b;
    h_run_sq(&a, BOTH_SQ, "1+2");
    h_run_sq(&b, BOTH_SQ, "2+1");
    size_t n = met_counter_count(a.m);
    assert_int_equal(n, met_counter_count(b.m));
    for (met_id i = 0; (size_t)i < n; i++) {
        const char *name = met_counter_name(a.m, i);
        met_id j = met_find_counter(b.m, name);
        if (j < 0)
            fail_msg("counter %s missing under 2+1", name);
        if (met_counter_value(a.m, i) != met_counter_value(b.m, j))
            fail_msg("%s: %lld under 1+2, %lld under 2+1", name, (long long)met_counter_value(a.m, i),
                     (long long)met_counter_value(b.m, j));
    }
    h_free(&a);
    h_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_1_plus_2_has_both_hooks),
        cmocka_unit_test(test_single_and_wider),
        cmocka_unit_test(test_clashing_hooks_refused),
        cmocka_unit_test(test_named_twice_refused),
        cmocka_unit_test(test_unknown_refused_with_list),
        cmocka_unit_test(test_too_many_parts_refused),
        cmocka_unit_test(test_scenario_options_refused),
        cmocka_unit_test(test_1_plus_2_behaves_as_both),
        cmocka_unit_test(test_order_irrelevant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
