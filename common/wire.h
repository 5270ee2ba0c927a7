/* wire.h - the sensor <-> collector protocol: frames and messages.
 *
 * Why it exists: both ends must agree byte for byte, and both must treat
 * what the other sends as untrusted. A frame is a 4-byte big-endian length
 * followed by one JSON object; a frame over the limit closes the
 * connection. Messages (the "type" member):
 *
 *   sensor -> collector
 *     hello   {"type":"hello","sensor":ID,"version":V,"last_acked":N}
 *     alerts  {"type":"alerts","alerts":[{"seq":N,"alert":{EVE alert}},...]}
 *             seq strictly increasing per sensor, never reused (it is the
 *             number in the alert's picket.alert_id)
 *     stats   {"type":"stats","counters":{"name":N,...}}
 *   collector -> sensor
 *     welcome {"type":"welcome","applied":N,"collector":NAME}
 *             N = highest seq of this sensor already applied to Redis
 *     ack     {"type":"ack","seq":N}   every seq <= N is applied: drop it
 *     indicators {"type":"indicators","version":V,"format":F,"data":TEXT}
 *             a set too large for one frame is sent as n messages of the
 *             same version with "part":i,"parts":n (1 <= i <= n <= 1024),
 *             their TEXTs concatenated in order (see ind_push.h)
 *     error   {"type":"error","reason":TEXT}  (then the collector closes)
 */
#ifndef PICKET_WIRE_H
#define PICKET_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PK_WIRE_MAX_FRAME (1u << 20)     /* default frame limit: 1 MiB */
#define PK_WIRE_MAX_BATCH 512            /* alerts per "alerts" message */
#define PK_WIRE_MAX_DEPTH 32             /* JSON nesting accepted */
#define PK_WIRE_MAX_PARTS 1024           /* "parts" of one indicator set */

typedef enum pk_wire_frame_status {
    PK_FRAME_OK = 0,       /* *frame_len bytes (header included) form a frame */
    PK_FRAME_NEED_MORE,
    PK_FRAME_TOO_LARGE,    /* announced length over the limit: close */
} pk_wire_frame_status;

/* Looks at the start of buf: is a whole frame there? */
pk_wire_frame_status pk_wire_frame_check(const uint8_t *buf, size_t len,
                                         uint32_t limit, size_t *frame_len);

/* Writes the 4-byte header for a payload of n bytes. */
void pk_wire_frame_header(uint32_t n, uint8_t hdr[4]);

/* Length of the UTF-8 sequence at p (left >= 1 bytes there; strict: no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0 if it is not
 * valid. The one rule for every reader of frames. */
size_t pk_wire_utf8_len(const uint8_t *p, size_t left);

typedef enum pk_wire_type {
    PK_MSG_INVALID = 0,
    PK_MSG_HELLO,
    PK_MSG_WELCOME,
    PK_MSG_ALERTS,
    PK_MSG_ACK,
    PK_MSG_STATS,
    PK_MSG_INDICATORS,
    PK_MSG_ERROR,
} pk_wire_type;

/* Parses and validates one frame payload: valid UTF-8 JSON object, depth
 * <= PK_WIRE_MAX_DEPTH, a known "type", the members that type requires with
 * the right JSON types and in-range numbers (seq 1..2^53). Returns the type
 * and the parsed object in *root (caller json_decref's it), or
 * PK_MSG_INVALID with err saying why. */
pk_wire_type pk_wire_parse(const char *payload, size_t len, json_t **root,
                           char *err, size_t errlen);

const char *pk_wire_type_name(pk_wire_type t);

/* Serialises msg compactly and prepends the frame header. Returns a
 * malloc'd buffer of *out_len bytes, or NULL if it would exceed limit. */
uint8_t *pk_wire_encode(json_t *msg, uint32_t limit, size_t *out_len);

#endif
