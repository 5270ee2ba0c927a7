/* indset.c - local files + the pushed set -> one store (see indset.h). */
#include "indset.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ind_jsonl.h"
#include "istore_files.h"
#include "log.h"
#include "pushed.h"

/* Adds the persisted pushed set to list; a problem is logged, not fatal. */
static void add_pushed(pk_ind_list *list, const char *dir, FILE *report,
                       pk_indset_info *info) {
    char *data = NULL, err[512], name[4096];
    size_t len = 0;
    int rc = pk_pushed_read(dir, &data, &len, info->pushed_version, err, sizeof err);
    if (rc < 0) {
        pk_log(PK_LOG_ERR, "pushed indicator set in the spool rejected, not used: %s", err);
        info->pushed_rejected = true;
    }
    if (rc != 1) {
        info->pushed_version[0] = '\0';
        return;
    }
    pk_load_report *rep = malloc(sizeof *rep);
    size_t before = list->n;
    snprintf(name, sizeof name, "%s/%s", dir, PK_PUSHED_FILE);
    if (!rep || pk_ind_jsonl_load(list, name, data, len, (int64_t)time(NULL), rep) != 0) {
        pk_log(PK_LOG_ERR, "pushed indicator set in the spool rejected, not used: %s",
               rep ? rep->error : "out of memory");
        info->pushed_rejected = rep != NULL;
        list->n = before;
        info->pushed_version[0] = '\0';
    } else {
        if (report)
            pk_load_report_print(report, rep);
        info->pushed_count = list->n - before;
    }
    free(rep);
    free(data);
}

pk_istore *pk_indset_load(const char *const *paths, int npaths, const char *pushed_dir,
                          FILE *report, pk_indset_info *info, char *err, size_t errlen) {
    pk_ind_list list;
    pk_ind_list_init(&list);
    memset(info, 0, sizeof *info);
    if (pk_ind_list_load_files(&list, paths, npaths, report, err, errlen) != 0) {
        pk_ind_list_free(&list);
        return NULL;
    }
    if (pushed_dir)
        add_pushed(&list, pushed_dir, report, info);
    pk_istore *s = pk_istore_build(&list);
    if (!s) {
        snprintf(err, errlen, "out of memory building the indicator store");
        pk_ind_list_free(&list);
    }
    return s;
}
