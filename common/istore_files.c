/* istore_files.c - many indicator files -> one store (see istore_files.h). */
#include "istore_files.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ind_load.h"

pk_istore *pk_istore_load_files(const char *const *paths, int npaths,
                                FILE *report, char *err, size_t errlen) {
    pk_ind_pack pack;
    pk_ind_pack_init(&pack);
    int64_t now = (int64_t)time(NULL);
    pk_load_report *rep = malloc(sizeof *rep);
    if (!rep) {
        snprintf(err, errlen, "out of memory loading indicators");
        pk_ind_pack_free(&pack);
        return NULL;
    }
    for (int i = 0; i < npaths; i++) {
        int rc = pk_ind_load_file_packed(&pack, paths[i], now, rep);
        if (report && rc == 0) pk_load_report_print(report, rep);
        if (rc != 0) {
            snprintf(err, errlen, "%s", rep->error[0] ? rep->error : paths[i]);
            free(rep);
            pk_ind_pack_free(&pack);
            return NULL;
        }
    }
    free(rep);
    pk_istore *s = pk_istore_build_pack(&pack);
    if (!s) {
        snprintf(err, errlen, "out of memory building the indicator store");
        pk_ind_pack_free(&pack);
    }
    return s;
}
