/* reader.h - the one bounds-checked cursor every parser reads untrusted
 * bytes through.
 *
 * Why it exists: packets, captures and indicator files are hostile input.
 * Instead of each decoder checking lengths by hand (and one day forgetting),
 * every read goes through a cursor that knows how many bytes are left. A read
 * past the end returns zero and sets a sticky "short" flag; a parser reads
 * straight through and checks rd_ok() once at the end, the way tcpdump's
 * GET_ macros guard its printers. No decoder indexes a packet buffer directly.
 */
#ifndef PICKET_READER_H
#define PICKET_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct pk_reader {
    const uint8_t *p;   /* next unread byte */
    size_t left;        /* bytes left from p */
    bool short_read;    /* sticky: some read wanted more than was left */
} pk_reader;

static inline void rd_init(pk_reader *r, const uint8_t *p, size_t len) {
    r->p = p;
    r->left = p ? len : 0;
    r->short_read = false;
}

static inline bool rd_ok(const pk_reader *r) { return !r->short_read; }
static inline size_t rd_left(const pk_reader *r) { return r->left; }
static inline const uint8_t *rd_ptr(const pk_reader *r) { return r->p; }

/* True when n more bytes can be read; never sets the flag. */
static inline bool rd_has(const pk_reader *r, size_t n) { return r->left >= n; }

static inline bool rd_need(pk_reader *r, size_t n) {
    if (r->left < n) {
        r->short_read = true;
        r->p += r->left;
        r->left = 0;
        return false;
    }
    return true;
}

static inline uint8_t rd_u8(pk_reader *r) {
    if (!rd_need(r, 1)) return 0;
    uint8_t v = r->p[0];
    r->p += 1; r->left -= 1;
    return v;
}

static inline uint16_t rd_be16(pk_reader *r) {
    if (!rd_need(r, 2)) return 0;
    uint16_t v = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2; r->left -= 2;
    return v;
}

static inline uint32_t rd_be24(pk_reader *r) {
    if (!rd_need(r, 3)) return 0;
    uint32_t v = ((uint32_t)r->p[0] << 16) | ((uint32_t)r->p[1] << 8) | r->p[2];
    r->p += 3; r->left -= 3;
    return v;
}

static inline uint32_t rd_be32(pk_reader *r) {
    if (!rd_need(r, 4)) return 0;
    uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
                 ((uint32_t)r->p[2] << 8) | r->p[3];
    r->p += 4; r->left -= 4;
    return v;
}

static inline uint16_t rd_le16(pk_reader *r) {
    if (!rd_need(r, 2)) return 0;
    uint16_t v = (uint16_t)(r->p[0] | (r->p[1] << 8));
    r->p += 2; r->left -= 2;
    return v;
}

static inline uint32_t rd_le32(pk_reader *r) {
    if (!rd_need(r, 4)) return 0;
    uint32_t v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) |
                 ((uint32_t)r->p[2] << 16) | ((uint32_t)r->p[3] << 24);
    r->p += 4; r->left -= 4;
    return v;
}

/* Offset of the first byte c among the bytes left, or -1; reads nothing
 * past the end and does not advance (memchr over exactly rd_left bytes). */
static inline long rd_find(const pk_reader *r, uint8_t c) {
    const uint8_t *at = r->left ? memchr(r->p, c, r->left) : NULL;
    return at ? (long)(at - r->p) : -1;
}

/* Offset of the last byte c among the bytes left, or -1. */
static inline long rd_find_last(const pk_reader *r, uint8_t c) {
    const uint8_t *at = r->left ? memrchr(r->p, c, r->left) : NULL;
    return at ? (long)(at - r->p) : -1;
}

/* Returns a pointer to the next n bytes and advances, or NULL (flag set). */
static inline const uint8_t *rd_take(pk_reader *r, size_t n) {
    if (!rd_need(r, n)) return NULL;
    const uint8_t *v = r->p;
    r->p += n; r->left -= n;
    return v;
}

static inline void rd_skip(pk_reader *r, size_t n) { (void)rd_take(r, n); }

/* Copies n bytes into dst (zero-filled when short). */
static inline bool rd_copy(pk_reader *r, void *dst, size_t n) {
    const uint8_t *s = rd_take(r, n);
    if (n) {
        if (s) memcpy(dst, s, n);
        else memset(dst, 0, n);
    }
    return s != NULL;
}

/* Reads the big-endian 16-bit values that fill the bytes left (an odd last
 * byte stays unread), keeping the first `keep` of them in dst; returns how
 * many were read. One bounds check for the whole run. */
static inline size_t rd_be16_run(pk_reader *r, uint16_t *dst, size_t keep) {
    size_t n = r->left / 2;
    if (keep > n) keep = n;
    for (size_t i = 0; i < keep; i++)
        dst[i] = (uint16_t)(r->p[2 * i] << 8 | r->p[2 * i + 1]);
    r->p += 2 * n;
    r->left -= 2 * n;
    return n;
}

/* A sub-reader over the next n bytes (advances the parent past them). When
 * fewer than n are left the child gets what is left and both are flagged. */
static inline pk_reader rd_sub(pk_reader *r, size_t n) {
    pk_reader c;
    if (r->left < n) {
        rd_init(&c, r->p, r->left);
        c.short_read = true;
        rd_need(r, n);
        return c;
    }
    rd_init(&c, r->p, n);
    r->p += n; r->left -= n;
    return c;
}

/* A reader positioned at an absolute offset of a whole message (for DNS
 * compression pointers); flagged when the offset is outside. */
static inline pk_reader rd_at(const uint8_t *base, size_t len, size_t off) {
    pk_reader c;
    if (off > len) {
        rd_init(&c, base, 0);
        c.short_read = true;
        return c;
    }
    rd_init(&c, base + off, len - off);
    return c;
}

#endif
