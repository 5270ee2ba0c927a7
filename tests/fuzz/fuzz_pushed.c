/* fuzz_pushed.c - fuzzes the sensor's side of indicator distribution:
 * "indicators" messages from the collector assembled into a set
 * (sensor/pushed.c pk_pushed_feed), the set's picket-jsonl text read into
 * a store (common/ind_jsonl*.c), and the persisted set's file format
 * (sensor/pushed_file.c pk_pushed_check).
 *
 * Why: a sensor takes its coalition indicators from whatever its collector
 * sends, and from a file in its spool that may be damaged. Parts may come
 * out of order, of mixed versions, oversized or with a text that does not
 * hash to its version; lines may be any bytes. None of it may crash the
 * sensor, and a set is accepted only whole and verified.
 *
 * Input: the bytes a collector sends on one connection: frames (4-byte
 * length + JSON) back to back, each parsed by pk_wire_parse and, when it
 * is an "indicators" message, fed to one assembly. When the input does not
 * start with a whole frame it is also read as a persisted set file and as
 * a picket-jsonl text.
 *
 * Checked (pushed.h, ind_jsonl.h contracts): a refused part empties the
 * assembly and says why; a partial set is bounded and expects the next
 * part; a complete set hashes to its version and loads with the checks of
 * fuzz_ind.h (report sums, every stored indicator found again); a
 * persisted file is accepted only when its header's length and version
 * match its text.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_ind.h"
#include "ind_jsonl.h"
#include "pushed.h"
#include "wire.h"

#define FZ_MAX_FRAMES 64

static void load_text(const char *text, size_t len, const uint8_t *raw, size_t raw_len) {
    fz_ind_run_with(pk_ind_jsonl_load, text, len, PK_FMT_JSONL, raw, raw_len);
}

static void feed(pk_pushed_asm *a, json_t *msg, const uint8_t *raw, size_t raw_len) {
    char err[160] = "", got[PK_PUSH_VERSION_LEN + 1];
    pk_pushed_rc rc = pk_pushed_feed(a, msg, err, sizeof err);
    if (rc == PK_PUSHED_REFUSED) {
        FZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err));
        FZ_CHECK(a->buf == NULL && a->len == 0 && a->next == 0);
        return;
    }
    FZ_CHECK(a->buf != NULL && a->len <= PK_PUSHED_MAX_BYTES && a->buf[a->len] == '\0');
    if (rc == PK_PUSHED_PARTIAL) {
        FZ_CHECK(a->next >= 2 && a->next <= a->parts);
        return;
    }
    FZ_CHECK(rc == PK_PUSHED_COMPLETE);
    pk_push_version(a->buf, a->len, got);
    FZ_CHECK(strcmp(got, a->version) == 0);
    load_text(a->buf, a->len, raw, raw_len);
    pk_pushed_asm_reset(a);
}

static void as_file(const uint8_t *data, size_t size) {
    char *buf = (char *)fz_dup(data, size);
    char version[PK_PUSH_VERSION_LEN + 1], got[PK_PUSH_VERSION_LEN + 1];
    size_t off = 99;
    const char *why = pk_pushed_check(buf, size, &off, version);
    if (why) {
        FZ_CHECK(why[0] != '\0');
    } else {
        FZ_CHECK(off > 0 && off <= size && buf[off - 1] == '\n');
        pk_push_version(buf + off, size - off, got);
        FZ_CHECK(strcmp(got, version) == 0);
        load_text(buf + off, size - off, data, size);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pk_pushed_asm a;
    size_t off = 0;
    fz_ind_init();
    memset(&a, 0, sizeof a);
    for (int i = 0; i < FZ_MAX_FRAMES; i++) {
        size_t flen = 0;
        if (pk_wire_frame_check(data + off, size - off, PK_WIRE_MAX_FRAME, &flen) !=
            PK_FRAME_OK) {
            if (i == 0) {
                as_file(data, size);
                load_text((const char *)data, size, data, size);
            }
            break;
        }
        char *payload = (char *)fz_dup(data + off + 4, flen - 4);
        json_t *root = NULL;
        if (pk_wire_parse(payload, flen - 4, &root, NULL, 0) == PK_MSG_INDICATORS)
            feed(&a, root, data, size);
        json_decref(root);
        free(payload);
        off += flen;
    }
    pk_pushed_asm_reset(&a);
    return 0;
}
