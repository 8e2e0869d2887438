/* PCG32 (O'Neill 2014): 64-bit LCG state, 32-bit permuted output.
 * Every generator is an object the caller owns and seeds. */
#include "internal.h"

#include <math.h>

static inline uint32_t pcg32_step(nnc_rng *rng)
{
    uint64_t old = rng->state;
    /* An odd increment gives the LCG its full period of 2^64, over which
     * every 32-bit output occurs: so below()'s rejection loop ends whatever
     * a caller (or a crafted file) put in the object.  Seeded generators
     * are odd already; | 1 changes nothing for them. */
    rng->state = old * 6364136223846793005ULL + (rng->inc | 1u);
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

void nnc_rng_seed(nnc_rng *rng, uint64_t seed)
{
    /* The stream (inc) and the start state both derive from the seed. */
    rng->state = 0;
    rng->inc = ((seed ^ 0xda3e39cb94b95bdbULL) << 1u) | 1u;
    pcg32_step(rng);
    rng->state += seed;
    pcg32_step(rng);
}

uint32_t nnc_rng_u32(nnc_rng *rng) { return pcg32_step(rng); }

double nnc_rng_uniform(nnc_rng *rng)
{
    /* 27 + 26 = 53 random bits: every double in [0, 1) on a 2^-53 grid. */
    uint32_t a = pcg32_step(rng) >> 5, b = pcg32_step(rng) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

double nnc_rng_normal(nnc_rng *rng)
{
    /* Box–Muller: u1 in (0, 1] keeps the logarithm finite. */
    double u1 = 1.0 - nnc_rng_uniform(rng);
    double u2 = nnc_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* nnc_rng_below's draw, inlined into the shuffle's loop: training draws the
 * next epoch's shuffle a few picks between steps, and picks without a call
 * each overlap the step's chain of dependent operations (bench/README.md,
 * workload S: the 1-H-1 sine fit). */
static inline uint32_t below(nnc_rng *rng, uint32_t n)
{
    if (n == 0)
        return 0; /* no range to draw from; (-n) % n would divide by zero */
    /* Rejects the values below threshold = 2^32 mod n, which would bias
     * r % n.  The threshold is below n, so an r >= n is always kept: the
     * second division is needed only for the rare small r.  A draw is
     * rejected with probability below 1/2, and the generator's full
     * period (see pcg32_step) bounds every run of rejections. */
    for (;;) {
        uint32_t r = pcg32_step(rng);
        if (r >= n || r >= (uint32_t)(-n) % n)
            return r % n;
    }
}

uint32_t nnc_rng_below(nnc_rng *rng, uint32_t n) { return below(rng, n); }

size_t nnc_rng_shuffle_part(nnc_rng *rng, uint32_t *idx, size_t i, size_t steps)
{
    /* Fisher–Yates from the top: position i − 1 takes a uniform pick of
     * positions 0..i−1, and is then final. */
    for (; i > 1 && steps > 0; i--, steps--) {
        size_t j = below(rng, (uint32_t)i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
    return i;
}

void nnc_rng_shuffle(nnc_rng *rng, uint32_t *idx, size_t n)
{
    (void)nnc_rng_shuffle_part(rng, idx, n, n);
}
