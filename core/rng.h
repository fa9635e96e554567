/* splitmix64: a small, seedable generator whose state lives with its user
 * (no global state), enough to shuffle a search space or pick a neighbour. */
#ifndef TSR_RNG_H
#define TSR_RNG_H

#include <stdint.h>

static inline uint64_t tsr_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline uint64_t tsr_rng_below(uint64_t *state, uint64_t n)
{
    return n ? tsr_rng_next(state) % n : 0;
}

/* Uniform in [0, 1). */
static inline double tsr_rng_unit(uint64_t *state)
{
    return (double)(tsr_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
