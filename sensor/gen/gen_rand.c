/* gen_rand.c - xoshiro256** seeded with splitmix64, for picket-gen.
 *
 * Why it exists: deterministic captures (same seed, same bytes) need a
 * generator whose sequence is defined here, not by the C library.
 */
#include "gen_rand.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void gen_rng_seed(gen_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t gen_rng_next(gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t gen_rng_below(gen_rng *r, uint32_t n)
{
    if (n == 0)
        return 0;
    /* Multiply-shift: the bias for n < 2^32 is below 2^-32, and it keeps
     * the number of draws per call fixed (good for determinism). */
    return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

uint32_t gen_rng_range(gen_rng *r, uint32_t lo, uint32_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (uint32_t)(gen_rng_next(r) % ((uint64_t)hi - lo + 1));
}

double gen_rng_unit(gen_rng *r)
{
    return (double)(gen_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

bool gen_rng_chance(gen_rng *r, double p)
{
    return gen_rng_unit(r) < p;
}

double gen_rng_exp(gen_rng *r, double mean)
{
    return -mean * log(1.0 - gen_rng_unit(r));
}

void gen_rng_fill(gen_rng *r, uint8_t *buf, size_t n)
{
    /* Byte order fixed here so captures match across hosts. */
    while (n) {
        uint64_t v = gen_rng_next(r);
        for (int i = 0; i < 8 && n; i++, n--) {
            *buf++ = (uint8_t)v;
            v >>= 8;
        }
    }
}

void gen_rng_fork(gen_rng *parent, gen_rng *child)
{
    gen_rng_seed(child, gen_rng_next(parent));
}
