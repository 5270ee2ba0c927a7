/* gen_tls.h - TLS client profiles, their JA3/JA4, and record builders.
 *
 * Why it exists: a JA3 or JA4 hash cannot be inverted into a ClientHello,
 * so picket-gen carries a small catalogue of realistic ClientHello shapes
 * (cipher list, extensions with GREASE, groups, point formats, ALPN,
 * signature algorithms, supported_versions), computes each shape's JA3 and
 * JA4 from the same tables the builder uses, and emits a hello from the
 * shape whose fingerprint an indicator names.
 */
#ifndef PICKET_GEN_TLS_H
#define PICKET_GEN_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_rand.h"

#define GEN_GREASE 0x0a0a     /* table placeholder: a random GREASE value */
#define GEN_EXT_SNI 0x0000
#define GEN_EXT_ALPN 0x0010
#define GEN_EXT_PADDING 0x0015
#define GEN_EXT_VERSIONS 0x002b

typedef struct gen_u16s {
    const uint16_t *v;
    size_t n;
} gen_u16s;

typedef struct gen_profile {
    const char *name;
    const char *desc;
    uint16_t legacy_version;
    gen_u16s ciphers, exts, groups, sigalgs, versions, key_shares;
    const uint8_t *formats;
    size_t nformats;
    const char *const *alpn;
    size_t nalpn;
    uint16_t pad_to;          /* padding extension target (0: no padding) */
} gen_profile;

typedef struct gen_fp {
    char ja3_str[768];
    char ja3[33];
    char ja4[40];
} gen_fp;

const gen_profile *gen_profiles(size_t *n);
bool gen_profile_is_tls13(const gen_profile *p);
/* Fingerprints of the hello this profile sends with or without SNI. */
void gen_profile_fingerprint(const gen_profile *p, bool with_sni, gen_fp *out);

/* A whole ClientHello record (one TLS record). sni NULL = no SNI. Returns
 * its length, 0 if it does not fit in cap. */
size_t gen_tls_client_hello(uint8_t *buf, size_t cap, const gen_profile *p,
                            const char *sni, gen_rng *r);
/* The server's first flight (ServerHello, ChangeCipherSpec, encrypted
 * handshake) answering a hello of profile p. */
size_t gen_tls_server_flight(uint8_t *buf, size_t cap, const gen_profile *p,
                             gen_rng *r);
/* ServerHello + ChangeCipherSpec only. */
size_t gen_tls_server_hello(uint8_t *buf, size_t cap, const gen_profile *p,
                            gen_rng *r);
/* The client's second flight (ChangeCipherSpec + encrypted Finished). */
size_t gen_tls_client_finish(uint8_t *buf, size_t cap, const gen_profile *p,
                             gen_rng *r);
/* Application data records carrying total payload bytes (random). */
size_t gen_tls_app_data(uint8_t *buf, size_t cap, size_t total, gen_rng *r);

#endif
