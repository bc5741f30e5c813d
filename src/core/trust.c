/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration file must be changeable by root alone (see trust.h). */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "balloond/core/trust.h"

/* The name of user (GROUP false) or group ID, else "uid N" / "gid N". */
static const char *id_name(bool group, unsigned id, char *buf, size_t len) {
        const struct passwd *pw = group ? NULL : getpwuid((uid_t)id);
        const struct group *gr = group ? getgrgid((gid_t)id) : NULL;
        const char *name = pw ? pw->pw_name : gr ? gr->gr_name : NULL;

        if (name)
                snprintf(buf, len, "%s", name);
        else
                snprintf(buf, len, "%s %u", group ? "gid" : "uid", id);
        return buf;
}

/* One path: a file (IS_DIR false) or one of its directories. */
static int check_one(const char *path, const struct stat *st, bool is_dir, uid_t trusted_uid, char *why,
                     size_t why_len) {
        char name[64];
        unsigned mode = (unsigned)(st->st_mode & 07777);
        bool sticky = is_dir && (st->st_mode & S_ISVTX);

        if (st->st_uid != 0 && st->st_uid != trusted_uid) {
                snprintf(why, why_len,
                         "%s is owned by %s, not root: that user could change balloond's configuration; "
                         "fix with: chown root:root %s",
                         path, id_name(false, st->st_uid, name, sizeof(name)), path);
                return -EPERM;
        }
        if ((st->st_mode & S_IWOTH) && !sticky) {
                snprintf(why, why_len,
                         "%s is writable by everyone (mode %04o): any local user could change balloond's "
                         "configuration; fix with: chmod o-w %s",
                         path, mode, path);
                return -EPERM;
        }
        if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && !sticky) {
                snprintf(why, why_len,
                         "%s is writable by group %s (mode %04o): its members could change balloond's "
                         "configuration; fix with: chmod g-w %s (or chgrp root %s)",
                         path, id_name(true, st->st_gid, name, sizeof(name)), mode, path, path);
                return -EPERM;
        }
        return 0;
}

/* REAL (resolved, changed in place) and each directory above it, up to "/". */
static int check_chain(char *real, uid_t trusted_uid, char *why, size_t why_len) {
        struct stat st;
        char *slash;
        int r;

        if (stat(real, &st) < 0) {
                r = -errno;
                snprintf(why, why_len, "%s: %s", real, strerror(errno));
                return r;
        }
        r = check_one(real, &st, S_ISDIR(st.st_mode), trusted_uid, why, why_len);
        while (r == 0 && strcmp(real, "/") != 0 && (slash = strrchr(real, '/')) != NULL) {
                if (slash == real)
                        slash[1] = '\0'; /* "/" itself, last */
                else
                        *slash = '\0';
                if (stat(real, &st) < 0) {
                        r = -errno;
                        snprintf(why, why_len, "%s: %s", real, strerror(errno));
                        break;
                }
                r = check_one(real, &st, true, trusted_uid, why, why_len);
        }
        return r;
}

int bd_trust_check_file(const char *path, uid_t trusted_uid, char *why, size_t why_len) {
        char *real, *dir, *copy, *slash;
        int r;

        real = realpath(path, NULL);
        if (!real) {
                r = -errno;
                snprintf(why, why_len, "%s: %s", path, strerror(errno));
                return r;
        }
        r = check_chain(real, trusted_uid, why, why_len);
        free(real);
        if (r < 0)
                return r;
        /* A symbolic link is only as safe as the directory that holds it. */
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        slash = strrchr(copy, '/');
        if (slash == copy)
                slash[1] = '\0';
        else if (slash)
                *slash = '\0';
        dir = realpath(slash ? copy : ".", NULL);
        if (!dir) {
                r = -errno;
                snprintf(why, why_len, "%s: %s", slash ? copy : ".", strerror(errno));
        } else {
                r = check_chain(dir, trusted_uid, why, why_len);
        }
        free(dir);
        free(copy);
        return r;
}
