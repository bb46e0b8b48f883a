/* test_names.c - sim/names: the name index finds every registered name at
 * its position and no other name, across growth and hash collisions; the
 * registries built on it (metrics, RNG streams) keep one id per name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/metrics.h"
#include "sim/names.h"
#include "sim/sim.h"

enum { N = 5000 };

static const char *name_at(const void *arr, size_t i)
{
    return ((char (*)[24])arr)[i];
}

static void test_finds_each_name_at_its_position(void **state)
{
    (void)state;
    static char names[N][24];
    nm_index x = { 0 };
    for (size_t i = 0; i < N; i++) {
        /* names that share long prefixes, as counters do */
        snprintf(names[i], sizeof names[i], "kv.gets.local.%zu", i);
        assert_int_equal(nm_find(&x, names[i], name_at, names), -1);
        assert_int_equal(nm_add(&x, i, name_at, names), 0);
        if (i % 997 == 0) /* every earlier name still found after the growths */
            for (size_t k = 0; k <= i; k++)
                assert_int_equal(nm_find(&x, names[k], name_at, names), (long)k);
    }
    for (size_t i = 0; i < N; i++)
        assert_int_equal(nm_find(&x, names[i], name_at, names), (long)i);
    assert_int_equal(nm_find(&x, "kv.gets.local.", name_at, names), -1);
    assert_int_equal(nm_find(&x, "kv.gets.local.5000", name_at, names), -1);
    assert_int_equal(nm_find(&x, "", name_at, names), -1);
    assert_true(x.cap >= 2 * N); /* at most half full */
    nm_free(&x);
    assert_int_equal(nm_find(&x, names[0], name_at, names), -1);
}

static void test_registries_keep_one_id_per_name(void **state)
{
    (void)state;
    met_registry *m = met_new();
    assert_non_null(m);
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "c.%d", i);
        assert_int_equal(met_counter(m, name), i);
    }
    for (int i = 1999; i >= 0; i--) {
        snprintf(name, sizeof name, "c.%d", i);
        assert_int_equal(met_counter(m, name), i);
        assert_int_equal(met_find_counter(m, name), i);
    }
    assert_int_equal(met_find_counter(m, "c.2000"), -1);
    met_free(m);

    sim_ctx *ctx = sim_new(7);
    assert_non_null(ctx);
    gsl_rng *first[300];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "bot-%d", i);
        first[i] = sim_rng(ctx, name);
        assert_non_null(first[i]);
        for (int k = 0; k < i; k++)
            assert_ptr_not_equal(first[i], first[k]);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "bot-%d", i);
        assert_ptr_equal(sim_rng(ctx, name), first[i]);
    }
    sim_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_each_name_at_its_position),
        cmocka_unit_test(test_registries_keep_one_id_per_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
