/* rng.c - stream derivation: splitmix64 mixing of (run seed, stream id). */
#include "rng.h"

/* The shipped generator. -DQSIM_RNG_TYPE=gsl_rng_taus2 builds qsim on
 * another GSL generator, to measure a switch (docs/performance.md, "The
 * RNG"); such a build's outputs differ from every published figure. */
#ifndef QSIM_RNG_TYPE
#define QSIM_RNG_TYPE gsl_rng_mt19937
#endif

uint64_t rng_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t rng_stream_id(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t rng_derive(uint64_t run_seed, uint64_t stream_id)
{
    return rng_mix64(run_seed ^ rng_mix64(stream_id + 0x9e3779b97f4a7c15ULL));
}

gsl_rng *rng_new(uint64_t run_seed, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(QSIM_RNG_TYPE);
    if (!r)
        return NULL;
    uint64_t s = rng_derive(run_seed, rng_stream_id(name));
    gsl_rng_set(r, (unsigned long)((s >> 32) ^ (s & 0xffffffffu)));
    return r;
}
