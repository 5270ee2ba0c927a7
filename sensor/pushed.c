/* pushed.c - assembling and verifying pushed indicator sets, and handing
 * them on (see pushed.h; the file in the spool is pushed_file.c).
 *
 * Why it exists: a set arrives over a connection that may drop between two
 * parts, from a collector whose files may change between two parts. Parts
 * are taken strictly in order and only for one version; anything else
 * drops the assembly (the collector sends the whole set again after every
 * welcome and on every change). The text is bounded, checked against its
 * version before anything touches the disk.
 */
#include "pushed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- assembly ----------------------------------------------------------------- */

void pk_pushed_asm_reset(pk_pushed_asm *a) {
    free(a->buf);
    memset(a, 0, sizeof *a);
}

static bool is_version(const char *v) {
    if (!v || strlen(v) != PK_PUSH_VERSION_LEN)
        return false;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static pk_pushed_rc refuse(pk_pushed_asm *a, char *err, size_t errlen, const char *why) {
    snprintf(err, errlen, "%s", why);
    pk_pushed_asm_reset(a);
    return PK_PUSHED_REFUSED;
}

static bool append(pk_pushed_asm *a, const char *s, size_t n) {
    if (n > PK_PUSHED_MAX_BYTES - a->len)
        return false;
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 65536;
        while (cap < a->len + n + 1)
            cap *= 2;
        char *p = realloc(a->buf, cap);
        if (!p)
            return false;
        a->buf = p;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, s, n);
    a->len += n;
    a->buf[a->len] = '\0';
    return true;
}

/* Starts a version on part 1; any other part must be the next of it. */
static bool in_sequence(pk_pushed_asm *a, const char *version, uint32_t part,
                        uint32_t parts) {
    if (part == 1) {
        pk_pushed_asm_reset(a);
        memcpy(a->version, version, PK_PUSH_VERSION_LEN + 1);
        a->parts = parts;
        a->next = 1;
        return append(a, "", 0);
    }
    return a->next == part && a->parts == parts && strcmp(a->version, version) == 0;
}

pk_pushed_rc pk_pushed_feed(pk_pushed_asm *a, json_t *msg, char *err, size_t errlen) {
    const char *version = json_string_value(json_object_get(msg, "version"));
    const char *format = json_string_value(json_object_get(msg, "format"));
    json_t *data = json_object_get(msg, "data");
    json_t *jpart = json_object_get(msg, "part"), *jparts = json_object_get(msg, "parts");
    uint32_t part = jpart ? (uint32_t)json_integer_value(jpart) : 1;
    uint32_t parts = jparts ? (uint32_t)json_integer_value(jparts) : 1;
    if (!format || strcmp(format, PK_JSONL_FORMAT) != 0)
        return refuse(a, err, errlen, "format is not " PK_JSONL_FORMAT);
    if (!is_version(version))
        return refuse(a, err, errlen, "version is not 16 lower-case hex digits");
    if (!in_sequence(a, version, part, parts))
        return refuse(a, err, errlen, "part out of sequence (a set interrupted or mixed)");
    if (!append(a, json_string_value(data), json_string_length(data)))
        return refuse(a, err, errlen, "set larger than 512 MiB or out of memory");
    if (part < parts) {
        a->next++;
        return PK_PUSHED_PARTIAL;
    }
    char got[PK_PUSH_VERSION_LEN + 1];
    pk_push_version(a->buf, a->len, got);
    if (strcmp(got, a->version) != 0)
        return refuse(a, err, errlen, "text does not match its version");
    a->next = 0;
    return PK_PUSHED_COMPLETE;
}

/* ---- the uplink's handler ------------------------------------------------------------ */

void pk_pushed_init(pk_pushed *p, const char *dir, const char *current,
                    pk_pushed_apply_fn apply, void *apply_ctx) {
    memset(p, 0, sizeof *p);
    p->dir = dir;
    snprintf(p->current, sizeof p->current, "%s", current ? current : "");
    p->apply = apply;
    p->apply_ctx = apply_ctx;
}

static void complete(pk_pushed *p, int64_t received_ms) {
    char err[512];
    pk_pushed_asm *a = &p->as;
    if (strcmp(a->version, p->current) == 0) {
        atomic_fetch_add(&p->sets_unchanged, 1);
        pk_log(PK_LOG_DEBUG, "pushed indicator set %s is the one in force", a->version);
        pk_pushed_asm_reset(a);
        return;
    }
    if (pk_pushed_persist(p->dir, a->version, a->buf, a->len, err, sizeof err) != 0) {
        atomic_fetch_add(&p->persist_errors, 1);
        pk_log_limited(&p->rl, PK_LOG_ERR, "pushed indicator set %s not applied: %s",
                       a->version, err);
        pk_pushed_asm_reset(a);
        return;
    }
    memcpy(p->current, a->version, sizeof p->current);
    atomic_fetch_add(&p->sets_received, 1);
    pk_pushed_asm_reset(a);
    if (p->apply)
        p->apply(p->apply_ctx, received_ms);
}

void pk_pushed_message(void *ctx, json_t *msg) {
    pk_pushed *p = ctx;
    char err[160];
    pk_pushed_rc rc = pk_pushed_feed(&p->as, msg, err, sizeof err);
    if (rc == PK_PUSHED_COMPLETE) {
        complete(p, pk_now_ms());
    } else if (rc == PK_PUSHED_REFUSED) {
        atomic_fetch_add(&p->refused, 1);
        pk_log_limited(&p->rl, PK_LOG_WARN, "pushed indicator set refused: %s", err);
    }
}

void pk_pushed_free(pk_pushed *p) { pk_pushed_asm_reset(&p->as); }

void pk_pushed_counters(const pk_pushed *p, pk_counter_cb cb, void *ctx) {
    cb(ctx, "pushed.sets_received", atomic_load(&p->sets_received));
    cb(ctx, "pushed.sets_unchanged", atomic_load(&p->sets_unchanged));
    cb(ctx, "pushed.refused", atomic_load(&p->refused));
    cb(ctx, "pushed.persist_errors", atomic_load(&p->persist_errors));
}
