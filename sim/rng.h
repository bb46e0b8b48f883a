/* rng.h - independent, reproducible random streams.
 *
 * Every component (a human source, a bot, the KV's latency draws, ...) gets
 * its own gsl_rng, seeded by rng_derive(run_seed, rng_stream_id(name)).
 * Streams are keyed by a stable name, not by creation order, so adding a bot
 * leaves every other component's draws unchanged: common random numbers
 * across strategies and across scenario edits. */
#ifndef QSIM_RNG_H
#define QSIM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

/* splitmix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix. */
uint64_t rng_mix64(uint64_t x);

/* FNV-1a 64 of a stream name: the fixed stream id. */
uint64_t rng_stream_id(const char *name);

/* Seed for one stream: mix(seed ^ mix(stream_id + golden gamma)). Documented
 * in docs/determinism.md; changing it changes every published figure. */
uint64_t rng_derive(uint64_t run_seed, uint64_t stream_id);

/* A new stream for (run_seed, name): GSL's taus2 (L'Ecuyer, "Maximally
 * equidistributed combined Tausworthe generators", Mathematics of
 * Computation 65(213), 1996, with the seeding fix of "Tables of maximally
 * equidistributed combined LFSR generators", 1999). gsl_rng_set takes a
 * 32-bit seed, so the derived 64-bit value is folded (hi ^ lo). taus2 fills
 * its three 32-bit words from an LCG of that seed (s_n = 69069 s_{n-1} mod
 * 2^32), raises each word above the few values that would freeze its
 * component (s1 >= 2, s2 >= 8, s3 >= 16) and discards 6 outputs: no seed,
 * zero or small, gives a degenerate stream; seed 0 is taken as 1, so the two
 * folded values 0 and 1 share a stream (a chance of 2^-32 per pair of
 * streams). NULL on OOM. Free with gsl_rng_free. */
gsl_rng *rng_new(uint64_t run_seed, const char *name);

/* An exponential draw of mean `mean` (> 0), by the ziggurat of Marsaglia and
 * Tsang ("The Ziggurat Method for Generating Random Variables", Journal of
 * Statistical Software 5(8), 2000, function REXP), 256 strips, tables as
 * constants in rng.c (printed by tools/zig_tables.c). It replaces
 * gsl_ran_exponential (-mean log1p(-u), whose log1p is most of the cost).
 *
 * One gsl_rng_get per value on the fast path (97.8 % of values; on average
 * 1.011 words and 0.022 uniforms per value): its low 8 bits pick the
 * strip, its high 24 bits u the point in it (separate bits,
 * unlike the paper, where the strip index reuses the value's low bits). The
 * slow paths: the base strip's tail, r + Exp(1) = 7.697... - log(U) by
 * memorylessness, one more uniform; a wedge, one uniform to accept or
 * reject, then a fresh draw. Values on the fast path are multiples of
 * x_i / 2^24 (x_i the strip's right edge, at most r = 7.7): a relative
 * resolution of 2^-24, below a microsecond for means up to ~2 s and 0.46 ms
 * at a mean of 1,000 s.
 *
 * Contract: r returns 32 random bits per gsl_rng_get (min 0, max 2^32 - 1:
 * taus2 and mt19937 do). Every build gives the same value for the same
 * draws: the tables are constants, the fast path is one product, and the
 * slow paths call the C library's log and exp. */
double rng_exp(gsl_rng *r, double mean);

#endif
