/* gen_rand.h - the seeded deterministic random source of picket-gen.
 *
 * Why it exists: the same seed and the same indicators must give a
 * byte-identical capture, on every machine and libc. rand() is neither
 * portable nor stateless, so the generator carries its own xoshiro256**
 * state (seeded through splitmix64) inside its context.
 */
#ifndef PICKET_GEN_RAND_H
#define PICKET_GEN_RAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;

void gen_rng_seed(gen_rng *r, uint64_t seed);
uint64_t gen_rng_next(gen_rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
uint32_t gen_rng_below(gen_rng *r, uint32_t n);
/* Uniform in [lo, hi] (inclusive). */
uint32_t gen_rng_range(gen_rng *r, uint32_t lo, uint32_t hi);
/* Uniform in [0, 1). */
double gen_rng_unit(gen_rng *r);
bool gen_rng_chance(gen_rng *r, double p);
/* Exponentially distributed with the given mean. */
double gen_rng_exp(gen_rng *r, double mean);
void gen_rng_fill(gen_rng *r, uint8_t *buf, size_t n);
/* A child generator with its own stream (for independent sub-sequences). */
void gen_rng_fork(gen_rng *parent, gen_rng *child);

#define GEN_PICK(r, arr) ((arr)[gen_rng_below((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))])

#endif
