/* istore_files.c - many indicator files -> one list, one store (see
 * istore_files.h). */
#include "istore_files.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ind_load.h"

/* Loads one file into dst (a list or a pack). */
typedef int (*load_one_fn)(void *dst, const char *path, int64_t now, pk_load_report *rep);

static int load_into_list(void *dst, const char *path, int64_t now, pk_load_report *rep) {
    return pk_ind_load_file(dst, path, now, rep);
}

static int load_into_pack(void *dst, const char *path, int64_t now, pk_load_report *rep) {
    return pk_ind_load_file_packed(dst, path, now, rep);
}

/* Every file in order through load_one, a report per file; the first
 * failure stops it (err names the file and line). */
static int load_each(load_one_fn load_one, void *dst, const char *const *paths, int npaths,
                     FILE *report, char *err, size_t errlen) {
    int64_t now = (int64_t)time(NULL);
    pk_load_report *rep = malloc(sizeof *rep);
    if (!rep) {
        snprintf(err, errlen, "out of memory loading indicators");
        return -1;
    }
    for (int i = 0; i < npaths; i++) {
        int rc = load_one(dst, paths[i], now, rep);
        if (report && rc == 0) pk_load_report_print(report, rep);
        if (rc != 0) {
            snprintf(err, errlen, "%s", rep->error[0] ? rep->error : paths[i]);
            free(rep);
            return -1;
        }
    }
    free(rep);
    return 0;
}

int pk_ind_list_load_files(pk_ind_list *list, const char *const *paths, int npaths,
                           FILE *report, char *err, size_t errlen) {
    return load_each(load_into_list, list, paths, npaths, report, err, errlen);
}

int pk_ind_pack_load_files(pk_ind_pack *pack, const char *const *paths, int npaths,
                           FILE *report, char *err, size_t errlen) {
    return load_each(load_into_pack, pack, paths, npaths, report, err, errlen);
}

pk_istore *pk_istore_load_files(const char *const *paths, int npaths,
                                FILE *report, char *err, size_t errlen) {
    pk_ind_pack pack;
    pk_ind_pack_init(&pack);
    if (pk_ind_pack_load_files(&pack, paths, npaths, report, err, errlen) != 0) {
        pk_ind_pack_free(&pack);
        return NULL;
    }
    pk_istore *s = pk_istore_build_pack(&pack);
    if (!s) {
        snprintf(err, errlen, "out of memory building the indicator store");
        pk_ind_pack_free(&pack);
    }
    return s;
}
