/* fileio.c - whole-file reads and writes (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pk_write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sync_dir(const char *dir) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = dfd >= 0 && fsync(dfd) == 0 ? 0 : -1;
    int saved = errno;
    if (dfd >= 0) close(dfd);
    errno = saved;
    return rc;
}

int pk_file_replace(const char *dir, const char *name, const char *head, size_t hlen,
                    const char *data, size_t len, char *err, size_t errlen) {
    char tmp[4096], path[4096];
    if (snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof tmp ||
        snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : 0;
    if (rc == 0) rc = pk_write_all(fd, head, hlen) == 0 && pk_write_all(fd, data, len) == 0 &&
                      fsync(fd) == 0 ? 0 : -1;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && (rename(tmp, path) != 0 || sync_dir(dir) != 0)) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(saved));
        unlink(tmp);
    }
    return rc;
}

/* Opens path for reading a regular file of at most max bytes: the fd,
 * -2 when it does not exist, -1 with err. */
static int open_bounded(const char *path, size_t max, size_t *size, char *err,
                        size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return -2;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    const char *why = fstat(fd, &st) != 0 ? strerror(errno)
                    : !S_ISREG(st.st_mode) ? "not a regular file"
                    : (uint64_t)st.st_size > max ? "too large" : NULL;
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        close(fd);
        return -1;
    }
    *size = (size_t)st.st_size;
    return fd;
}

int pk_file_read(const char *path, size_t max, char **data, size_t *len, char *err,
                 size_t errlen) {
    size_t size = 0, have = 0;
    int fd = open_bounded(path, max, &size, err, errlen);
    if (fd < 0) return fd == -2 ? 0 : -1;
    char *buf = malloc(size + 1);
    ssize_t r = 1;
    while (buf && have < size && r != 0) {
        r = read(fd, buf + have, size - have);
        if (r < 0 && errno != EINTR) break;
        have += r > 0 ? (size_t)r : 0;
    }
    int saved = errno;
    close(fd);
    if (!buf || have < size) {
        snprintf(err, errlen, "%s: cannot read: %s", path,
                 !buf ? "out of memory" : r == 0 ? "file shrank" : strerror(saved));
        free(buf);
        return -1;
    }
    buf[have] = '\0';
    *data = buf;
    *len = have;
    return 1;
}
