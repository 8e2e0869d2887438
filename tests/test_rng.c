/* The seeded generator: reproducible, well spread, unbiased shuffles. */
#include "check.h"
#include "internal.h"

#include <string.h>

int main(void)
{
    nnc_rng a, b, c;
    nnc_rng_seed(&a, 42);
    nnc_rng_seed(&b, 42);
    nnc_rng_seed(&c, 43);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = nnc_rng_u32(&a), y = nnc_rng_u32(&b), z = nnc_rng_u32(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same);         /* same seed, same stream */
    CHECK(differ > 990); /* another seed, another stream */

    /* Uniform in [0,1): mean 1/2, variance 1/12. */
    double sum = 0, sq = 0, lo = 1, hi = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = nnc_rng_uniform(&a);
        sum += u;
        sq += u * u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    CHECK(lo >= 0 && hi < 1);
    CHECK_NEAR(sum / n, 0.5, 0.005);
    CHECK_NEAR(sq / n - (sum / n) * (sum / n), 1.0 / 12, 0.002);

    /* Normal: mean 0, variance 1, finite. */
    sum = sq = 0;
    int finite = 1;
    for (int i = 0; i < n; i++) {
        double g = nnc_rng_normal(&a);
        finite &= isfinite(g);
        sum += g;
        sq += g * g;
    }
    CHECK(finite);
    CHECK_NEAR(sum / n, 0.0, 0.01);
    CHECK_NEAR(sq / n, 1.0, 0.02);

    /* below(n) covers [0, n) evenly. */
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++)
        counts[nnc_rng_below(&a, 7)]++;
    for (int k = 0; k < 7; k++)
        CHECK_NEAR(counts[k], 10000, 400);

    /* below(n) draws exactly what the plain rejection rule draws (keep
     * r >= 2^32 mod n, answer r % n), for every stream position: shuffles
     * stay the same whatever shortcut below() takes.  The large n reject
     * almost half of all draws. */
    const uint32_t ns[] = {1, 2, 3, 7, 10, 900, 59999, 0x7fffffffu, 0x80000001u,
                           0xc0000000u, 0xfffffffeu, 0xffffffffu};
    nnc_rng fast, plain;
    nnc_rng_seed(&fast, 99);
    nnc_rng_seed(&plain, 99);
    int agree = 1;
    for (int t = 0; t < 20000; t++) {
        uint32_t bound = ns[t % (int)(sizeof ns / sizeof ns[0])], r;
        do
            r = nnc_rng_u32(&plain);
        while (r < (uint32_t)(-bound) % bound);
        agree &= nnc_rng_below(&fast, bound) == r % bound;
    }
    CHECK(agree);
    CHECK(fast.state == plain.state);

    /* A shuffle is a permutation, and every position sees every value. */
    uint32_t idx[10];
    int seen[10][10];
    memset(seen, 0, sizeof seen);
    for (int t = 0; t < 20000; t++) {
        for (uint32_t i = 0; i < 10; i++)
            idx[i] = i;
        nnc_rng_shuffle(&a, idx, 10);
        int mask = 0;
        for (int i = 0; i < 10; i++) {
            mask |= 1 << idx[i];
            seen[i][idx[i]]++;
        }
        CHECK(mask == 0x3ff);
    }
    for (int i = 0; i < 10; i++)
        for (int v = 0; v < 10; v++)
            CHECK_NEAR(seen[i][v], 2000, 250);

    /* A shuffle drawn in pieces (as the training loop draws the next
     * epoch's) is the same shuffle, and leaves the generator where one shuffle does. */
    for (size_t piece = 1; piece <= 1001; piece += 250) {
        uint32_t whole[1000], parts[1000];
        for (uint32_t i = 0; i < 1000; i++)
            whole[i] = parts[i] = i * 7u;
        nnc_rng one, many;
        nnc_rng_seed(&one, 5);
        many = one;
        nnc_rng_shuffle(&one, whole, 1000);
        size_t left = 1000, calls = 0;
        while (left > 1) {
            left = nnc_rng_shuffle_part(&many, parts, left, piece);
            calls++;
        }
        CHECK(calls == (999 + piece - 1) / piece);
        CHECK(memcmp(whole, parts, sizeof whole) == 0);
        CHECK(one.state == many.state);
        CHECK(nnc_rng_shuffle_part(&many, parts, left, piece) == left); /* done: no draw */
        CHECK(one.state == many.state);
    }

    /* A generator filled by hand (or from a crafted file) with an even
     * increment: state 0, inc 0 would draw 0 forever, and nnc_rng_below's
     * rejection loop (threshold 2^32 mod n > 0) would never end.  It is
     * treated as inc | 1, so the draws move on and stay in range. */
    {
        nnc_rng z = {0, 0}, odd = {0, 1};
        uint32_t seen_nonzero = 0;
        for (int i = 0; i < 1000; i++) {
            uint32_t v = nnc_rng_below(&z, 3); /* 2^32 mod 3 = 1: rejects 0 */
            CHECK(v < 3);
            seen_nonzero |= v;
        }
        CHECK(seen_nonzero != 0);
        for (int i = 0; i < 1000; i++)
            (void)nnc_rng_below(&odd, 3);
        CHECK(z.state == odd.state); /* inc 0 draws as inc 1 */
        nnc_rng e = {12345, 6}, o = {12345, 7};
        CHECK(nnc_rng_u32(&e) == nnc_rng_u32(&o));
        CHECK(e.state == o.state);
        /* n = 0 has no value to draw: 0, without dividing by zero. */
        CHECK(nnc_rng_below(&z, 0) == 0);
        /* A seeded generator's stream is odd: the guard leaves it as it was. */
        nnc_rng s1;
        nnc_rng_seed(&s1, 42);
        CHECK((s1.inc & 1u) == 1u);
    }
    return check_report("test_rng");
}
