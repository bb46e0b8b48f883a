/* test_msg.c - the message table: slot recycling keeps memory bounded by
 * the messages alive, and recycling changes no measured number; what a
 * long run keeps does not grow with simulated time (issue 14). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/harness.h"

/* A reclaim that releases every even slot: enough to check reuse. */
static size_t release_even(void *ud)
{
    msg_table *t = ud;
    size_t n = 0;
    for (size_t i = 0; i < t->n; i += 2) {
        msg_release(t, (uint32_t)i);
        n++;
    }
    return n;
}

/* The hand-formatted decimal and key lengths the KV model uses on every
 * operation give what snprintf gives. */
static void test_key_len_and_decimal(void **state)
{
    (void)state;
    static const int64_t vals[] = { 0, 7, -7, 9, 10, -10, 1764547200123, -1764547200123, INT64_MAX, INT64_MIN,
                                    999999999999, 1000000000000 };
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
        char mine[32], libc[32];
        int n = msg_fmt_i64(mine, vals[k]);
        mine[n] = 0;
        assert_int_equal(n, snprintf(libc, sizeof libc, "%lld", (long long)vals[k]));
        assert_string_equal(mine, libc);
    }
    msg_table t;
    msg_table_init(&t);
    static const char *const ids[] = { "1764547200123-abcdefghi", "x", "", "-12-q" };
    static const int64_t ts[] = { 1764547200123, 0, -5, 12 };
    for (int k = 0; k < 4; k++) {
        uint32_t i = msg_add(&t, ids[k], ts[k]);
        assert_int_not_equal(i, MSG_NONE);
        char buf[8]; /* shorter than every name: the length is still the full one */
        for (int legacy = 0; legacy <= 1; legacy++)
            assert_int_equal(msg_key_len(&t, i, legacy), msg_key_name(&t, i, legacy, buf, sizeof buf));
    }
    msg_table_deinit(&t);
}

static void test_msg_reuse_and_ids(void **state)
{
    (void)state;
    msg_table t;
    char id[32];
    msg_table_init(&t);
    for (int k = 0; k < 256; k++) {
        snprintf(id, sizeof id, "%d-a", k);
        assert_int_equal(msg_add(&t, id, k), (uint32_t)k);
    }
    msg_set_reclaim(&t, release_even, &t);
    /* full: the next add reclaims 128 slots and reuses them, no growth */
    assert_int_equal(msg_add(&t, "new-0", 1), 254);
    assert_int_equal(t.cap, 256);
    assert_int_equal(t.total, 257);
    assert_int_equal(msg_find(&t, "254-a"), MSG_NONE); /* a released id is gone */
    assert_int_equal(msg_find(&t, "new-0"), 254);
    assert_int_equal(msg_find(&t, "255-a"), 255);      /* live ids survive compaction */
    assert_string_equal(msg_id(&t, 1), "1-a");
    assert_int_equal(msg_get(&t, 254)->div_start, -1); /* a reused slot starts cleared */
    msg_table_deinit(&t);
}

/* busy.json for two simulated hours: ~9,000 messages. Every slot would be
 * kept without recycling (16,384); with it the table stays near the
 * messages alive: the window, what bots hold, requests in flight. */
static void test_busy_slots_bounded(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load("scenarios/busy.json", H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    s->duration = 2 * 3600 * SIM_US_PER_S;
    world_opts o = { 0 };
    world *w = world_new(s, "0", s->seed, &o, &err);
    assert_non_null(w);
    assert_int_equal(world_run(w, 0, &err), 0);
    assert_true(world_msgs_total(w) > 8000);
    if (world_msg_slots(w) > 2048)
        fail_msg("%zu slots for %llu messages: settled messages are not recycled", world_msg_slots(w),
                 (unsigned long long)world_msgs_total(w));
    world_free(w);
    sc_free(s);
}

static size_t kept_rows(const met_registry *m)
{
    size_t n = 0;
    for (met_id i = 0; (size_t)i < met_series_count(m); i++)
        if (met_series_data(m, i))
            n += met_series_rows(m, i);
    return n;
}

/* busy.json's Option 0 at 2 and at 8 simulated hours, with a sample cap of
 * 256 values so that the short run already passes it (the default, 2^20,
 * is passed after about 11 days): message slots, kept series rows and
 * sample storage are the same at both times, but for histogram blocks
 * (8 KiB, one per power of two) of magnitudes not seen before: the oldest
 * censored episode's age can only quadruple, which adds a few per set (8 in
 * all when this was written; 16 allowed). Exact sets would grow by 8 bytes
 * a sample: about 270 KiB between the two. */
static void test_busy_memory_flat(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load("scenarios/busy.json", H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    s->duration = 8 * 3600 * SIM_US_PER_S;
    world_opts o = { 0 };
    world *w = world_new(s, "0", s->seed, &o, &err);
    assert_non_null(w);
    met_registry *m = sim_metrics(world_ctx(w));
    met_samples_set_exact_max(m, 256);
    assert_int_equal(world_advance(w, 2 * 3600 * SIM_US_PER_S, &err), 0);
    size_t slots = world_msg_slots(w), bytes = met_samples_bytes(m), rows = kept_rows(m);
    uint64_t msgs = world_msgs_total(w);
    assert_int_equal(world_run(w, 0, &err), 0);
    assert_true(world_msgs_total(w) > 3 * msgs);
    assert_int_equal(world_msg_slots(w), slots);
    assert_int_equal(kept_rows(m), rows);
    if (met_samples_bytes(m) > bytes + 16 * 8192)
        fail_msg("sample storage %zu bytes at 8 h, %zu at 2 h: it grows with simulated time",
                 met_samples_bytes(m), bytes);
    for (met_id i = 0; (size_t)i < met_samples_count(m); i++)
        assert_false(met_samples_exact(m, i)); /* all went over the cap */
    world_free(w);
    sc_free(s);
}

/* The same run with and without recycling: every counter, sample and
 * series row the same. Four options, so every strategy's calls (blind
 * puts, cron, verify-all's scans) hold snapshots while slots are reused. */
static void test_recycling_changes_nothing(void **state)
{
    (void)state;
    static const char *const opts[] = { "0", "1", "1+2", "verify-all", "3", "1" };
    for (size_t k = 0; k < sizeof opts / sizeof *opts; k++) {
        int interval = k == 5; /* the last: interval bots, jobs hold messages */
        h_run a, b;
        sim_err err = { 0, "" };
        scenario *sa = NULL, *sb = NULL;
        if (sc_load("scenarios/busy.json", H_LIMITS, &sa, &err) != 0 ||
            sc_load("scenarios/busy.json", H_LIMITS, &sb, &err) != 0)
            fail_msg("sc_load: %s", err.msg);
        sa->duration = sb->duration = 3600 * SIM_US_PER_S;
        for (int q = 0; interval && q < sa->nbots; q++)
            sa->bots[q].loop = sb->bots[q].loop = SC_LOOP_INTERVAL;
        world_opts keep = { 0 };
        keep.keep_messages = 1;
        h_run_scenario_opts(&a, sa, opts[k], &keep);
        h_run_scenario(&b, sb, opts[k]);
        assert_true(world_msg_slots(b.w) < world_msg_slots(a.w)); /* recycling did happen */
        size_t n = met_counter_count(a.m);
        assert_int_equal(n, met_counter_count(b.m));
        for (met_id i = 0; (size_t)i < n; i++)
            if (met_counter_value(a.m, i) != met_counter_value(b.m, i))
                fail_msg("option %s: counter %s: %lld kept vs %lld recycled", opts[k], met_counter_name(a.m, i),
                         (long long)met_counter_value(a.m, i), (long long)met_counter_value(b.m, i));
        for (met_id i = 0; (size_t)i < met_samples_count(a.m); i++) {
            size_t na = 0, nb = 0;
            const int64_t *va = met_samples_sorted(a.m, i, &na), *vb = met_samples_sorted(b.m, i, &nb);
            assert_int_equal(na, nb);
            if (na)
                assert_memory_equal(va, vb, na * sizeof *va);
        }
        assert_int_equal(h_npolls(&a), h_npolls(&b));
        assert_memory_equal(h_poll(&a, 0), h_poll(&b, 0), h_npolls(&a) * 6 * sizeof(int64_t));
        h_free(&a);
        h_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_reuse_and_ids),
        cmocka_unit_test(test_key_len_and_decimal),
        cmocka_unit_test(test_busy_slots_bounded),
        cmocka_unit_test(test_busy_memory_flat),
        cmocka_unit_test(test_recycling_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
