/* fuzz_wire.c - fuzzes the sensor <-> collector protocol decoder
 * (common/wire.h): pk_wire_frame_check, pk_wire_parse, and the round trip
 * of every valid message through pk_wire_encode.
 *
 * Why: the collector accepts connections from every partner's sensors, and
 * a sensor reads what its collector sends; each end treats the other's
 * bytes as hostile. Frames (4-byte length + JSON object) are cut from the
 * stream, screened (UTF-8, nesting depth) and validated per message type
 * before anything else touches them.
 *
 * Input: the bytes a peer sends on one connection: frames back to back.
 * Each whole frame's payload is parsed (from a buffer of exactly its size);
 * when the input does not start with a whole frame, the whole input is
 * also parsed as one payload, so the JSON screening is fuzzed even when the
 * header is junk.
 *
 * Checked (wire.h contract): a frame is OK only when the announced length
 * fits the limit and the bytes are there; rejections leave *root NULL and
 * give a reason starting with a "kind: " token; a valid message is a JSON
 * object whose "type" names its type; re-encoded it is one frame of
 * exactly the length returned, which parses to the same type and an equal
 * object; encoding with a limit one byte short is refused.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "wire.h"

#define FZ_MAX_FRAMES 64

static void check_reason(const char *err, size_t cap) {
    FZ_CHECK(memchr(err, '\0', cap) != NULL);
    size_t tok = strspn(err, "abcdefghijklmnopqrstuvwxyz0123456789_");
    FZ_CHECK(tok > 0 && err[tok] == ':');
}

static void round_trip(json_t *root, pk_wire_type t) {
    size_t olen = 0, flen = 0;
    uint8_t *out = pk_wire_encode(root, PK_WIRE_MAX_FRAME, &olen);
    FZ_CHECK(out != NULL && olen > 4);
    FZ_CHECK(pk_wire_frame_check(out, olen, PK_WIRE_MAX_FRAME, &flen) == PK_FRAME_OK);
    FZ_CHECK(flen == olen);
    FZ_CHECK(pk_wire_encode(root, (uint32_t)(olen - 4 - 1), NULL) == NULL);

    json_t *again = NULL;
    char err[256];
    pk_wire_type t2 = pk_wire_parse((const char *)out + 4, olen - 4, &again, err, sizeof err);
    if (t2 != t) fprintf(stderr, "re-encoded message refused: %s\n%.*s\n", err,
                         (int)(olen - 4), (const char *)out + 4);
    FZ_CHECK(t2 == t && again != NULL);
    FZ_CHECK(json_equal(root, again));
    json_decref(again);
    free(out);
}

static void parse_payload(const uint8_t *p, size_t n) {
    char *copy = (char *)fz_dup(p, n);
    json_t *root = (json_t *)1;
    char err[256];
    pk_wire_type t = pk_wire_parse(copy, n, &root, err, sizeof err);
    FZ_CHECK(pk_wire_type_name(t) != NULL);
    FZ_CHECK(pk_wire_parse(copy, n, NULL, NULL, 0) == t);
    if (t == PK_MSG_INVALID) {
        FZ_CHECK(root == NULL);
        check_reason(err, sizeof err);
    } else {
        FZ_CHECK(root != NULL && json_is_object(root));
        const char *type = json_string_value(json_object_get(root, "type"));
        FZ_CHECK(type != NULL && strcmp(type, pk_wire_type_name(t)) == 0);
        round_trip(root, t);
        json_decref(root);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off = 0;
    for (int i = 0; i < FZ_MAX_FRAMES; i++) {
        size_t flen = 0, left = size - off;
        pk_wire_frame_status fs =
            pk_wire_frame_check(data + off, left, PK_WIRE_MAX_FRAME, &flen);
        if (fs != PK_FRAME_OK) {
            uint32_t n = left >= 4 ? (uint32_t)data[off] << 24 | (uint32_t)data[off + 1] << 16 |
                                     (uint32_t)data[off + 2] << 8 | data[off + 3] : 0;
            if (fs == PK_FRAME_TOO_LARGE) FZ_CHECK(left >= 4 && n > PK_WIRE_MAX_FRAME);
            else FZ_CHECK(fs == PK_FRAME_NEED_MORE && (left < 4 || left < (size_t)n + 4));
            if (i == 0 && size > 0) parse_payload(data, size);
            break;
        }
        FZ_CHECK(flen >= 4 && flen <= left);
        parse_payload(data + off + 4, flen - 4);
        off += flen;
    }
    return 0;
}
