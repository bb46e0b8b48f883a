/* test_rng.c - rng_: splitmix64 and FNV-1a against published vectors,
 * reproducible streams, stream independence inside a sim_ctx, and the
 * ziggurat exponential rng_exp: its statistics on a fixed seed (moments,
 * Kolmogorov-Smirnov against 1 - exp(-x), the tail), and every strip's fast
 * and slow paths driven word by word through a scripted generator. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
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


/* ---- the generator: taus2 ---- */

/* rng_new's generator is GSL's taus2, checked against the value GSL's own
 * test suite pins (gsl/rng/test.c: seeded with 1, the 10,000th output is
 * 2733957125), and rng_new seeds it with the folded derived seed. */
static void test_generator_taus2(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(1, "x"), *t = gsl_rng_alloc(gsl_rng_taus2);
    assert_non_null(r);
    assert_non_null(t);
    assert_string_equal(gsl_rng_name(r), "taus2");
    assert_true(gsl_rng_min(r) == 0 && gsl_rng_max(r) == 0xffffffffUL); /* rng_exp's contract */
    gsl_rng_set(t, 1);
    unsigned long k = 0;
    for (int i = 0; i < 10000; i++)
        k = gsl_rng_get(t);
    assert_true(k == 2733957125UL);
    uint64_t s = rng_derive(1, rng_stream_id("x"));
    gsl_rng_set(t, (unsigned long)((s >> 32) ^ (s & 0xffffffffu)));
    for (int i = 0; i < 100; i++)
        assert_true(gsl_rng_get(r) == gsl_rng_get(t));
    gsl_rng_free(r);
    gsl_rng_free(t);
}

/* Zero and small seeds (taus2 seeds its three words from an LCG of the
 * seed) give streams that are not degenerate: no repeats among the first
 * ND words (a chance repeat of 32-bit words: ~ND^2 / 2^33 = 1e-4), each of
 * the 32 bits set in 50 % +- 5 sd of 20,000 words, the mean of 20,000
 * uniforms within 5 sd of 1/2, and neighbouring seeds unrelated. Seed 0 is
 * taus2's seed 1 (gsl/rng/taus.c), documented in sim/rng.h. */
static void test_small_seeds_not_degenerate(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2), *q = gsl_rng_alloc(gsl_rng_taus2);
    assert_non_null(r);
    assert_non_null(q);
    enum { NB = 20000 };
    static unsigned long w[NB];
    for (unsigned long seed = 0; seed < 20; seed++) {
        gsl_rng_set(r, seed);
        for (size_t i = 0; i < NB; i++)
            w[i] = gsl_rng_get(r);
        unsigned long sorted[ND];
        memcpy(sorted, w, sizeof sorted);
        for (size_t i = 1; i < ND; i++) /* insertion sort: ND is small */
            for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
                unsigned long x = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = x;
            }
        for (size_t i = 1; i < ND; i++)
            assert_true(sorted[i] != sorted[i - 1]);
        double sd = sqrt(NB * 0.25);
        for (int b = 0; b < 32; b++) {
            size_t ones = 0;
            for (size_t i = 0; i < NB; i++)
                ones += (w[i] >> b) & 1;
            assert_true(fabs((double)ones - NB / 2.0) < 5 * sd);
        }
        double m = 0;
        for (size_t i = 0; i < NB; i++)
            m += gsl_rng_uniform(r);
        assert_true(fabs(m / NB - 0.5) < 5 * sqrt(1.0 / 12 / NB));
        unsigned long a[ND], b[ND];
        gsl_rng_set(r, seed + 1);
        gsl_rng_set(q, seed + 2);
        draws(r, a, ND);
        draws(q, b, ND);
        assert_true(count_equal(a, b) <= 1);
    }
    gsl_rng_set(r, 0);
    gsl_rng_set(q, 1);
    assert_true(gsl_rng_get(r) == gsl_rng_get(q));
    gsl_rng_free(r);
    gsl_rng_free(q);
}

/* ---- rng_exp: statistics of one fixed-seed sample ---- */

enum { NX = 1000000 };

typedef struct {
    double *x; /* NX draws of rng_exp(r, 1), sorted by the setup */
    double m1, m2, m3; /* raw moments, before sorting */
} exp_sample;

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int sample_setup(void **state)
{
    exp_sample *s = calloc(1, sizeof *s);
    gsl_rng *r = rng_new(20261202, "test.exp");
    if (!s || !r || !(s->x = malloc(NX * sizeof *s->x)))
        return -1;
    double a1 = 0, a2 = 0, a3 = 0;
    for (size_t i = 0; i < NX; i++) {
        double x = rng_exp(r, 1.0);
        s->x[i] = x;
        a1 += x;
        a2 += x * x;
        a3 += x * x * x;
    }
    gsl_rng_free(r);
    s->m1 = a1 / NX;
    s->m2 = a2 / NX;
    s->m3 = a3 / NX;
    qsort(s->x, NX, sizeof *s->x, cmp_dbl);
    *state = s;
    return 0;
}

static int sample_teardown(void **state)
{
    exp_sample *s = *state;
    if (s)
        free(s->x);
    free(s);
    return 0;
}

/* Exp(1): mean 1, variance 1, E[X^3] = 3! = 6. Each bound is 5 standard
 * errors of the estimate for n draws of an exact Exp(1): sd(mean) = 1/sqrt(n);
 * sd(sample variance) = sqrt((mu4 - sigma^4) / n) = sqrt(8 / n) (central
 * mu4 = 9); sd(mean of X^3) = sqrt((E[X^6] - 36) / n) = sqrt(684 / n). */
static void test_exp_moments(void **state)
{
    const exp_sample *s = *state;
    double var = s->m2 - s->m1 * s->m1, n = NX;
    assert_true(s->x[0] >= 0);
    assert_true(fabs(s->m1 - 1.0) < 5.0 / sqrt(n));
    assert_true(fabs(var - 1.0) < 5.0 * sqrt(8.0 / n));
    assert_true(fabs(s->m3 - 6.0) < 5.0 * sqrt(684.0 / n));
}

/* The exact one-sample Kolmogorov-Smirnov statistic against F(x) = 1 - e^-x:
 * D = max over the sorted sample of max(i/n - F(x_i), F(x_i) - (i-1)/n),
 * against the 1 % critical value of the Kolmogorov distribution,
 * 1.6276 / sqrt(n) (n = 10^6: 0.00163). A ziggurat with one strip wrong
 * moves up to 1/256 = 0.0039 of the mass. */
static void test_exp_ks(void **state)
{
    const exp_sample *s = *state;
    double d = 0;
    for (size_t i = 0; i < NX; i++) {
        double f = -expm1(-s->x[i]);
        double hi = (double)(i + 1) / NX - f, lo = f - (double)i / NX;
        d = fmax(d, fmax(hi, lo));
    }
    print_message("KS distance %.6f, 1 %% critical value %.6f\n", d, 1.6276 / sqrt((double)NX));
    assert_true(d < 1.6276 / sqrt((double)NX));
}

/* Tail counts against the exact probabilities, each within its binomial
 * 99.9 % interval (normal approximation, z = 3.29; np >= 45 here):
 * P(X > r) = e^-r (r = 7.697, where the base strip's tail begins: the slow
 * path), P(X > 8) = e^-8 and P(X > 10) = e^-10. */
static void tail_within(const exp_sample *s, double t)
{
    size_t above = 0;
    for (size_t i = NX; i > 0 && s->x[i - 1] > t; i--)
        above++;
    double p = exp(-t), n = NX, half = 3.29 * sqrt(n * p * (1 - p));
    print_message("P(X > %g): %zu draws, expected %.1f +- %.1f\n", t, above, n * p, half);
    assert_true(fabs((double)above - n * p) < half);
}

static void test_exp_tail(void **state)
{
    const exp_sample *s = *state;
    tail_within(s, 7.697117470131487);
    tail_within(s, 8.0);
    tail_within(s, 10.0);
}

/* ---- rng_exp: each strip's paths, word by word ----
 * A gsl_rng type that returns scripted values: get() the next 32-bit word,
 * get_double() the next uniform, so each path of the ziggurat can be entered
 * on purpose and the number of words it consumed counted. */

typedef struct {
    uint32_t w[4];
    double u[4];
    int nw, nu; /* consumed */
} script;

static void script_set(void *st, unsigned long seed)
{
    (void)seed;
    memset(st, 0, sizeof(script));
}

static unsigned long script_get(void *st)
{
    script *s = st;
    assert_true(s->nw < 4);
    return s->w[s->nw++];
}

static double script_get_double(void *st)
{
    script *s = st;
    assert_true(s->nu < 4);
    return s->u[s->nu++];
}

static const gsl_rng_type script_type = { "script", 0xffffffffUL, 0, sizeof(script), script_set, script_get,
                                          script_get_double };

/* The strip edges from the paper's definition, in long double and
 * independently of rng.c's tables: x_255 = r, and each strip has area v,
 * x_i (f(x_{i-1}) - f(x_i)) = v, so x_{i-1} = -log(v / x_i + f(x_i)). */
#define ZR 7.697117470131487L
#define ZV 3.949659822581572e-3L
static void strip_edges(long double *x)
{
    x[255] = ZR;
    for (int i = 255; i >= 1; i--)
        x[i - 1] = -logl(ZV / x[i] + expl(-x[i]));
}

/* One call of rng_exp on scripted words and uniforms; *nw, *nu: consumed. */
static double scripted(gsl_rng *r, uint32_t w0, uint32_t w1, double u0, double u1, int *nw, int *nu)
{
    script *s = r->state;
    memset(s, 0, sizeof *s);
    s->w[0] = w0;
    s->w[1] = w1;
    s->u[0] = u0;
    s->u[1] = u1;
    double x = rng_exp(r, 1.0);
    *nw = s->nw;
    *nu = s->nu;
    return x;
}

static uint32_t word(uint32_t strip, uint32_t u) { return u << 8 | strip; }

/* The smallest u of strip i that leaves the fast path (one word, no uniform). */
static uint32_t fast_bound(gsl_rng *r, uint32_t i)
{
    uint32_t lo = 0, hi = 1u << 24; /* fast below lo, slow at and above hi */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int nw, nu;
        scripted(r, word(i, mid), word(2, 0), 0.5, 0.5, &nw, &nu);
        if (nw == 1 && nu == 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void test_exp_strip_paths(void **state)
{
    (void)state;
    long double x[256];
    strip_edges(x);
    /* the ziggurat closes: the top strip's left edge is 0 */
    assert_true(fabsl(x[0]) < 1e-9L);
    gsl_rng *r = gsl_rng_alloc(&script_type);
    assert_non_null(r);
    const long double m = 16777216.0L;
    int nw, nu;
    for (uint32_t i = 1; i < 256; i++) {
        /* fast path: u < 2^24 x_{i-1} / x_i, the strip's inner rectangle;
         * x = u x_i / 2^24 */
        uint32_t k = fast_bound(r, i);
        long double want_k = m * (i == 1 ? 0 : x[i - 1]) / x[i];
        assert_true(fabsl((long double)k - want_k) <= 1.0L);
        if (k > 0) {
            double v = scripted(r, word(i, k - 1), 0, 0, 0, &nw, &nu);
            assert_true(fabsl(v - (k - 1) * x[i] / m) <= 1e-12L * x[i]);
            assert_true(v < x[i - 1]);
        }
        /* a wedge, accepted: height 0 is under the curve anywhere in [0, x_i] */
        double v = scripted(r, word(i, k), 0, 0.0, 0, &nw, &nu);
        assert_int_equal(nw, 1);
        assert_int_equal(nu, 1);
        assert_true(fabsl(v - k * x[i] / m) <= 1e-12L * x[i]);
        /* a wedge, rejected: at the strip's right edge the curve is at
         * f(x_i), below the strip's top: a fresh word follows (strip 2, u 0:
         * x = 0) */
        v = scripted(r, word(i, (1u << 24) - 1), word(2, 0), 1.0 - 0x1p-53, 0, &nw, &nu);
        assert_int_equal(nw, 2);
        assert_int_equal(nu, 1);
        assert_true(v == 0.0);
    }
    /* the base strip: [0, r] x [0, f(r)] below u < 2^24 r f(r) / v, with
     * x = u (v / f(r)) / 2^24; above it, the tail r + Exp(1) = r - log(U) */
    long double q = ZV / expl(-ZR);
    uint32_t k0 = fast_bound(r, 0);
    assert_true(fabsl((long double)k0 - m * ZR / q) <= 1.0L);
    double v = scripted(r, word(0, k0 - 1), 0, 0, 0, &nw, &nu);
    assert_true(fabsl(v - (k0 - 1) * q / m) <= 1e-12L * ZR);
    assert_true(v < ZR);
    v = scripted(r, word(0, k0), 0, 0.5, 0, &nw, &nu);
    assert_int_equal(nw, 1);
    assert_int_equal(nu, 1);
    assert_true(fabsl(v - (ZR + logl(2.0L))) < 1e-13L);
    /* U = 0 would give an infinite tail: uniform_pos draws again */
    v = scripted(r, word(0, (1u << 24) - 1), 0, 0.0, 0.25, &nw, &nu);
    assert_int_equal(nu, 2);
    assert_true(fabsl(v - (ZR + logl(4.0L))) < 1e-13L);
    gsl_rng_free(r);
}

/* The mean scales the value exactly, and the stream is reproducible: two
 * streams of the same (seed, name) give the same values bit for bit through
 * a mix of exponentials of several means, uniforms and distributions, and
 * they consume the same words (the next raw draws agree). */
static void test_exp_stream_reproducible(void **state)
{
    (void)state;
    gsl_rng *a = rng_new(99, "repro"), *b = rng_new(99, "repro"), *c = rng_new(99, "repro");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    dist d = { 0 };
    d.kind = DIST_EXP;
    d.a = 5000000; /* 5 s in us */
    for (int i = 0; i < 200000; i++) {
        double mean = 1.0 + (i % 7) * 1000.0;
        double x = rng_exp(a, mean), y = rng_exp(b, mean), z = rng_exp(c, 1.0);
        assert_true(memcmp(&x, &y, sizeof x) == 0);
        assert_true(x == z * mean);
        if (i % 3 == 0) {
            assert_true(gsl_rng_uniform(a) == gsl_rng_uniform(b));
            gsl_rng_uniform(c);
        }
        if (i % 5 == 0) {
            assert_int_equal(dist_draw(&d, a), dist_draw(&d, b));
            dist_draw(&d, c);
        }
    }
    unsigned long na = gsl_rng_get(a);
    assert_true(na == gsl_rng_get(b));
    assert_true(na == gsl_rng_get(c));
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
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
        cmocka_unit_test(test_generator_taus2),
        cmocka_unit_test(test_small_seeds_not_degenerate),
        cmocka_unit_test(test_exp_strip_paths),
        cmocka_unit_test(test_exp_stream_reproducible),
        cmocka_unit_test_setup_teardown(test_exp_moments, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_exp_ks, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_exp_tail, sample_setup, sample_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
