/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Publishing the daemon's view: the cycle's JSON document plus who wrote it,
 * written to a temporary file in the same directory and renamed over the
 * old one, so a reader sees the old file or the new one, never half. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "balloond/report.h"
#include "balloond/status.h"

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

int bd_status_write(const char *path, const struct bd_daemon *d) {
        json_object *root = bd_report_json_build(&d->last, d->cfg.dry_run);
        char tmp[4096];
        const char *text;
        struct group *g;
        int fd = -1, r;

        if (!root)
                return -ENOMEM;
        json_object_object_add(root, "pid", json_object_new_int((int)getpid()));
        json_object_object_add(root, "connect", json_object_new_string(d->cfg.connect_uri));
        json_object_object_add(root, "interval_sec",
                               json_object_new_int64((int64_t)(d->cfg.interval_usec / 1000000)));
        json_object_object_add(root, "cycles", json_object_new_int64((int64_t)d->cycles));
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text) {
                r = -ENOMEM;
                goto out;
        }
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
                r = -ENAMETOOLONG;
                goto out;
        }
        fd = mkstemp(tmp);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        g = getgrnam("libvirt");
        if (g && fchown(fd, (uid_t)-1, g->gr_gid) < 0) {
                r = -errno;
                goto fail;
        }
        if (fchmod(fd, 0640) < 0) {
                r = -errno;
                goto fail;
        }
        r = write_all(fd, text, strlen(text));
        if (r >= 0)
                r = write_all(fd, "\n", 1);
        if (r < 0)
                goto fail;
        if (close(fd) < 0) {
                fd = -1;
                r = -errno;
                goto fail;
        }
        fd = -1;
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        r = 0;
        goto out;
fail:
        if (fd >= 0)
                close(fd);
        unlink(tmp);
out:
        json_object_put(root);
        return r;
}
