/* test_rng.c - rng_: splitmix64 and FNV-1a against published vectors,
 * reproducible streams, and stream independence inside a sim_ctx. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "model/dist.h"
#include "sim/rng.h"
#include "sim/sim.h"

#define GAMMA 0x9e3779b97f4a7c15ULL

/* splitmix64 finaliser written out from the paper's constants, to check
 * rng_mix64 against something it does not share code with. */
static uint64_t ref_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_mix64_known(void **state)
{
    (void)state;
    /* Vigna's splitmix64.c seeded with 1234567: output k is
     * mix(seed + k * gamma). */
    static const uint64_t want[] = {
        6457827717110365317ULL, 3203168211198807973ULL,
        9817491932198370423ULL, 4593380528125082431ULL,
        16408922859458223821ULL,
    };
    for (uint64_t k = 0; k < 5; k++)
        assert_true(rng_mix64(1234567ULL + (k + 1) * GAMMA) == want[k]);
    assert_true(rng_mix64(0) == 0);
    uint64_t x = 1;
    for (int i = 0; i < 1000; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
        assert_true(rng_mix64(x) == ref_mix64(x));
}

static void test_stream_id_fnv1a(void **state)
{
    (void)state;
    /* FNV-1a 64 test vectors (Fowler, Noll, Vo). */
    assert_true(rng_stream_id("") == 0xcbf29ce484222325ULL);
    assert_true(rng_stream_id("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(rng_stream_id("foobar") == 0x85944171f73967e8ULL);
}

/* Pins the documented derivation: changing it changes every figure. */
static void test_derive_formula(void **state)
{
    (void)state;
    uint64_t id = rng_stream_id("humans");
    assert_true(rng_derive(42, id) == ref_mix64(42 ^ ref_mix64(id + GAMMA)));
    assert_true(rng_derive(42, id) != rng_derive(43, id));
}

static void draws(gsl_rng *r, unsigned long *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = gsl_rng_get(r);
}

enum { ND = 1000 };

static void test_same_seed_same_draws(void **state)
{
    (void)state;
    unsigned long a[ND], b[ND];
    gsl_rng *r1 = rng_new(42, "humans"), *r2 = rng_new(42, "humans");
    assert_non_null(r1);
    assert_non_null(r2);
    draws(r1, a, ND);
    draws(r2, b, ND);
    assert_memory_equal(a, b, sizeof a);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}

static size_t count_equal(const unsigned long *a, const unsigned long *b)
{
    size_t same = 0;
    for (size_t i = 0; i < ND; i++)
        same += a[i] == b[i];
    return same;
}

static void test_names_and_seeds_differ(void **state)
{
    (void)state;
    unsigned long a[ND], b[ND], c[ND];
    gsl_rng *r1 = rng_new(42, "humans"), *r2 = rng_new(42, "bot-1");
    gsl_rng *r3 = rng_new(43, "humans");
    draws(r1, a, ND);
    draws(r2, b, ND);
    draws(r3, c, ND);
    /* 32-bit draws: a chance match is ~ND / 2^32. */
    assert_true(count_equal(a, b) <= 1);
    assert_true(count_equal(a, c) <= 1);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(r3);
}

/* Adding a bot's stream (before, and interleaved with draws) leaves the
 * human stream's draws unchanged. */
static void test_ctx_extra_stream_independent(void **state)
{
    (void)state;
    unsigned long a[ND], b[ND];
    sim_ctx *c1 = sim_new(7), *c2 = sim_new(7);
    assert_non_null(c1);
    assert_non_null(c2);
    gsl_rng *bot = sim_rng(c2, "bot-2");
    assert_non_null(bot);
    gsl_rng_get(bot);
    gsl_rng *h1 = sim_rng(c1, "humans"), *h2 = sim_rng(c2, "humans");
    assert_ptr_not_equal(h2, bot);
    draws(h1, a, ND);
    for (size_t i = 0; i < ND; i++) {
        b[i] = gsl_rng_get(h2);
        gsl_rng_get(bot);
    }
    assert_memory_equal(a, b, sizeof a);
    assert_ptr_equal(sim_rng(c2, "humans"), h2); /* same name, same stream */
    assert_ptr_equal(sim_rng(c2, "bot-2"), bot);
    sim_free(c1);
    sim_free(c2);
}

/* Many streams (past the ctx's initial table) all stay distinct and
 * keep their identity across the table's growth. */
static void test_ctx_many_streams(void **state)
{
    (void)state;
    sim_ctx *c = sim_new(1);
    gsl_rng *first = sim_rng(c, "s0");
    char name[16];
    for (int i = 1; i < 40; i++) {
        snprintf(name, sizeof name, "s%d", i);
        assert_non_null(sim_rng(c, name));
    }
    assert_ptr_equal(sim_rng(c, "s0"), first);
    gsl_rng *fresh = rng_new(1, "s39");
    assert_true(gsl_rng_get(sim_rng(c, "s39")) == gsl_rng_get(fresh));
    gsl_rng_free(fresh);
    sim_free(c);
}

/* A uniform wider than 2^32 draws the high half first, then the low half,
 * whatever order a compiler would evaluate two calls in one expression
 * (C leaves it open): the same value from every build. The expected value
 * is composed from a second generator with the same seed. */
static void test_wide_uniform_draw_order(void **state)
{
    (void)state;
    dist d = { 0 };
    d.kind = DIST_UNIFORM;
    d.a = 0;
    d.b = INT64_C(1) << 40; /* n = 2^40 + 1: the two-half path */
    gsl_rng *r = rng_new(7, "wide"), *q = rng_new(7, "wide");
    assert_non_null(r);
    assert_non_null(q);
    for (int k = 0; k < 100; k++) {
        uint64_t n = (uint64_t)(d.b - d.a) + 1, want;
        for (;;) {
            uint64_t hi = (uint64_t)gsl_rng_get(q), lo = (uint64_t)gsl_rng_get(q);
            uint64_t u = hi << 32 | lo;
            if (u < UINT64_MAX - UINT64_MAX % n) {
                want = u % n;
                break;
            }
        }
        assert_int_equal(dist_draw(&d, r), (int64_t)want);
    }
    gsl_rng_free(r);
    gsl_rng_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mix64_known),
        cmocka_unit_test(test_stream_id_fnv1a),
        cmocka_unit_test(test_derive_formula),
        cmocka_unit_test(test_same_seed_same_draws),
        cmocka_unit_test(test_names_and_seeds_differ),
        cmocka_unit_test(test_ctx_extra_stream_independent),
        cmocka_unit_test(test_ctx_many_streams),
        cmocka_unit_test(test_wide_uniform_draw_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
