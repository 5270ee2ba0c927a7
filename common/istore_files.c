/* istore_files.c - many indicator files -> one list, one store (see
 * istore_files.h). */
#include "istore_files.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ind_load.h"

int pk_ind_list_load_files(pk_ind_list *list, const char *const *paths, int npaths,
                           FILE *report, char *err, size_t errlen) {
    int64_t now = (int64_t)time(NULL);
    pk_load_report *rep = malloc(sizeof *rep);
    if (!rep) {
        snprintf(err, errlen, "out of memory loading indicators");
        return -1;
    }
    for (int i = 0; i < npaths; i++) {
        int rc = pk_ind_load_file(list, paths[i], now, rep);
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

pk_istore *pk_istore_load_files(const char *const *paths, int npaths,
                                FILE *report, char *err, size_t errlen) {
    pk_ind_list list;
    pk_ind_list_init(&list);
    if (pk_ind_list_load_files(&list, paths, npaths, report, err, errlen) != 0) {
        pk_ind_list_free(&list);
        return NULL;
    }
    pk_istore *s = pk_istore_build(&list);
    if (!s) {
        snprintf(err, errlen, "out of memory building the indicator store");
        pk_ind_list_free(&list);
    }
    return s;
}
