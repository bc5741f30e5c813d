/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One atomic file writer for every file balloond publishes (see
 * include/balloond/daemon/atomicfile.h), with one error policy: every step
 * is checked, the first failure is returned as a negative errno (the caller
 * decides whether to log), and the temporary file never outlives the call. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "balloond/daemon/atomicfile.h"

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t k = write(fd, buf, len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += k;
                len -= (size_t)k;
        }
        return 0;
}

/* DIR/.NAME.XXXXXX for PATH (DIR/NAME, or NAME in the working directory). */
static int temp_name(const char *path, char *tmp, size_t size) {
        const char *slash = strrchr(path, '/');
        int dir_len = slash ? (int)(slash - path + 1) : 0;
        int n = snprintf(tmp, size, "%.*s.%s.XXXXXX", dir_len, path, slash ? slash + 1 : path);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Group, mode, data: all before the rename, so PATH never has other ones.
 * A file created with the group already (balloond.service runs with
 * Group=libvirt) is not chowned: the unit's syscall filter need not allow it. */
static int fill(int fd, const void *data, size_t len, mode_t mode, gid_t gid) {
        struct stat st;

        if (gid != (gid_t)-1 && (fstat(fd, &st) < 0 || st.st_gid != gid) && fchown(fd, (uid_t)-1, gid) < 0)
                return -errno;
        if (fchmod(fd, mode) < 0)
                return -errno;
        return write_all(fd, data, len);
}

int bd_atomic_write(const char *path, const void *data, size_t len, mode_t mode, gid_t gid) {
        char tmp[PATH_MAX];
        int fd, r;

        r = temp_name(path, tmp, sizeof(tmp));
        if (r < 0)
                return r;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = fill(fd, data, len, mode, gid);
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}
