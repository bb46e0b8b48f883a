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

/* A new MT19937 stream for (run_seed, name). GSL's mt19937 takes a 32-bit
 * seed, so the derived 64-bit value is folded (hi ^ lo). NULL on OOM.
 * Free with gsl_rng_free. */
gsl_rng *rng_new(uint64_t run_seed, const char *name);

#endif
