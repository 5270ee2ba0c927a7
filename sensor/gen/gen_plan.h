/* gen_plan.h - turns indicators into sessions a sensor should alert on.
 *
 * Why it exists: each indicator type needs its own story (an address gets
 * TCP both ways and a UDP exchange; a domain gets DNS, TLS SNI and an HTTP
 * Host; a URL gets a GET whose Host + path give it; a JA3/JA4 gets a hello
 * from the built-in profile with that fingerprint), and each exchange is
 * recorded in the manifest with the field and flow a sensor should report.
 */
#ifndef PICKET_GEN_PLAN_H
#define PICKET_GEN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_ctx.h"

/* Normal mode: every indicator plus opt->background benign sessions,
 * shuffled together on one timeline. */
void gen_plan_exercise(gen_ctx *c);

/* Marks later duplicates (same type and value): dup_of[i] is the index of
 * the first occurrence, or SIZE_MAX. Returns NULL when out of memory. */
size_t *gen_plan_duplicates(const pk_ind_list *l);

/* Splits a normalised URL "host[:port]/path" into the Host header value,
 * the bare host (no brackets, no port), the port and the path. */
typedef struct gen_url {
    char hosthdr[GEN_NAME_MAX + 8];
    char host[GEN_NAME_MAX];
    uint16_t port;
    const char *path;         /* points into the URL */
} gen_url;
bool gen_url_split(const char *url, gen_url *out);

/* name itself or a plausible subdomain of it. */
void gen_name_variant(gen_rng *r, const char *name, char *out, size_t cap);
/* Index of the shape whose JA3 or JA4 equals value, or -1. */
int gen_shape_find(const gen_ctx *c, const char *value, bool ja4);

#endif
