/* indset.c - local files + the pushed set -> one store (see indset.h). */
#include "indset.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ind_jsonl.h"
#include "ind_pack.h"
#include "istore_files.h"
#include "log.h"
#include "pushed.h"

/* Moves list's indicators into pack (all or none). */
static bool pack_list(pk_ind_pack *pack, const pk_ind_list *list) {
    size_t before = pack->n;
    if (!pk_ind_pack_reserve(pack, list->n)) return false;
    for (size_t i = 0; i < list->n; i++)
        if (pk_ind_pack_add(pack, &list->items[i]) < 0) {
            pack->n = before;
            return false;
        }
    return true;
}

/* Adds the persisted pushed set to pack; a problem is logged, not fatal. */
static void add_pushed(pk_ind_pack *pack, const char *dir, FILE *report,
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
    pk_ind_list list;
    pk_ind_list_init(&list);
    snprintf(name, sizeof name, "%s/%s", dir, PK_PUSHED_FILE);
    if (!rep || pk_ind_jsonl_load(&list, name, data, len, (int64_t)time(NULL), rep) != 0) {
        pk_log(PK_LOG_ERR, "pushed indicator set in the spool rejected, not used: %s",
               rep ? rep->error : "out of memory");
        info->pushed_rejected = rep != NULL;
        info->pushed_version[0] = '\0';
    } else if (!pack_list(pack, &list)) {
        pk_log(PK_LOG_ERR, "pushed indicator set in the spool not used: out of memory");
        info->pushed_version[0] = '\0';
    } else {
        if (report)
            pk_load_report_print(report, rep);
        info->pushed_count = list.n;
    }
    pk_ind_list_free(&list);
    free(rep);
    free(data);
}

pk_istore *pk_indset_load(const char *const *paths, int npaths, const char *pushed_dir,
                          FILE *report, pk_indset_info *info, char *err, size_t errlen) {
    pk_ind_pack pack;
    pk_ind_pack_init(&pack);
    memset(info, 0, sizeof *info);
    if (pk_ind_pack_load_files(&pack, paths, npaths, report, err, errlen) != 0) {
        pk_ind_pack_free(&pack);
        return NULL;
    }
    if (pushed_dir)
        add_pushed(&pack, pushed_dir, report, info);
    pk_istore *s = pk_istore_build_pack(&pack);
    if (!s) {
        snprintf(err, errlen, "out of memory building the indicator store");
        pk_ind_pack_free(&pack);
    }
    return s;
}
