/* output.c - unique alerts as JSON lines in the -o file (see output.h).
 *
 * Why it exists: a file is the lowest common denominator of watch floors.
 * It only ever receives alerts Redis accepted as first sightings, so two
 * collectors sharing one Redis never write the same alert twice.
 */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct pk_output {
    char *path;
    FILE *f;
    pk_ratelimit rl;     /* a full disk must not flood the log */
};

static FILE *open_append(const char *path) {
    FILE *f = fopen(path, "ae");
    if (!f) pk_log(PK_LOG_ERR, "cannot open output %s: %s", path, strerror(errno));
    return f;
}

pk_output *pk_output_open(const char *path) {
    pk_output *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->path = strdup(path);
    o->f = o->path ? open_append(path) : NULL;
    if (!o->f) {
        free(o->path);
        free(o);
        return NULL;
    }
    return o;
}

void pk_output_close(pk_output *o) {
    if (!o) return;
    if (o->f && fclose(o->f) != 0)
        pk_log(PK_LOG_ERR, "closing output %s: %s", o->path, strerror(errno));
    free(o->path);
    free(o);
}

bool pk_output_line(pk_output *o, const char *json, size_t len) {
    if (fwrite(json, 1, len, o->f) == len && fputc('\n', o->f) != EOF) return true;
    pk_log_limited(&o->rl, PK_LOG_ERR, "writing output %s: %s", o->path, strerror(errno));
    clearerr(o->f);
    return false;
}

bool pk_output_flush(pk_output *o) {
    if (fflush(o->f) == 0) return true;
    pk_log_limited(&o->rl, PK_LOG_ERR, "flushing output %s: %s", o->path, strerror(errno));
    clearerr(o->f);
    return false;
}

bool pk_output_reopen(pk_output *o) {
    FILE *f = open_append(o->path);
    if (!f) return false;
    fclose(o->f);
    o->f = f;
    pk_log(PK_LOG_INFO, "output %s reopened", o->path);
    return true;
}
