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
#include <sys/xattr.h>

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

/* A POSIX access ACL, as the kernel stores it in the system.posix_acl_access
 * extended attribute (little-endian): a 4-byte version (2), then entries of
 * tag (2 bytes), permissions (2 bytes) and user or group ID (4 bytes). */
enum {
        ACL_XATTR_VERSION = 2,
        ACL_TAG_USER = 0x02,
        ACL_TAG_GROUP = 0x08,
        ACL_TAG_MASK = 0x10,
        ACL_PERM_WRITE = 0x02,
};

static unsigned le16(const unsigned char *p) {
        return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned le32(const unsigned char *p) {
        return (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

/* PATH's ACL grants write to a named user other than root and TRUSTED_UID,
 * or to a named group other than root's (the ACL's mask permitting)? The
 * mode bits do not show it: `setfacl -m u:nobody:rw` leaves them 0664 with
 * the group root's. */
static int check_acl(const char *path, uid_t trusted_uid, char *why, size_t why_len) {
        unsigned char acl[4 + 8 * 128];
        unsigned mask = 07, tag, id;
        ssize_t n = getxattr(path, "system.posix_acl_access", acl, sizeof(acl));
        char name[64];

        if (n < 0 && (errno == ENODATA || errno == ENOTSUP || errno == EOPNOTSUPP))
                return 0;
        if (n < 0) {
                int r = -errno;

                snprintf(why, why_len, "%s: cannot read its ACL: %s", path, strerror(errno));
                return r;
        }
        if (n < 4 || (n - 4) % 8 != 0 || le32(acl) != ACL_XATTR_VERSION) {
                snprintf(why, why_len, "%s has an access ACL balloond cannot read: fix with: setfacl -b %s", path,
                         path);
                return -EPERM;
        }
        for (ssize_t off = 4; off < n; off += 8)
                if (le16(acl + off) == ACL_TAG_MASK)
                        mask = le16(acl + off + 2);
        for (ssize_t off = 4; off < n; off += 8) {
                tag = le16(acl + off);
                id = le32(acl + off + 4);
                if (!(le16(acl + off + 2) & mask & ACL_PERM_WRITE) || id == 0)
                        continue;
                if (tag == ACL_TAG_USER && id != (unsigned)trusted_uid) {
                        snprintf(why, why_len,
                                 "%s is writable by user %s through its ACL: that user could change balloond's "
                                 "configuration; fix with: setfacl -x u:%u %s",
                                 path, id_name(false, id, name, sizeof(name)), id, path);
                        return -EPERM;
                }
                if (tag == ACL_TAG_GROUP) {
                        snprintf(why, why_len,
                                 "%s is writable by group %s through its ACL: its members could change "
                                 "balloond's configuration; fix with: setfacl -x g:%u %s",
                                 path, id_name(true, id, name, sizeof(name)), id, path);
                        return -EPERM;
                }
        }
        return 0;
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
        return sticky ? 0 : check_acl(path, trusted_uid, why, why_len);
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
