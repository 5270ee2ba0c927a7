/* privdrop.c - switch to an unprivileged user (see privdrop.h). */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
                  char *err, size_t errlen) {
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "--user %s: no such user", user);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (group) {
        struct group *gr = getgrnam(group);
        if (!gr) {
            snprintf(err, errlen, "--group %s: no such group", group);
            return -1;
        }
        *gid = gr->gr_gid;
    }
    return 0;
}

int pk_drop_privileges(const char *user, const char *group, char *err, size_t errlen) {
    uid_t uid;
    gid_t gid;
    if (lookup(user, group, &uid, &gid, err, errlen) != 0) return -1;
    if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
        snprintf(err, errlen, "cannot switch to user %s: %s", user, strerror(errno));
        return -1;
    }
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "privileges could be regained after switching to %s", user);
        return -1;
    }
    return 0;
}
