/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may change what balloond reads. balloond runs as root and acts on its
 * configuration file: a file that another user can write, or replace, hands
 * that user the memory of every VM on the host. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Check that only root (or TRUSTED_UID, the user balloond runs as) can
 * change PATH: the file and every directory above it are owned by root or
 * TRUSTED_UID, and none is writable by another user — a group other than
 * root's, or everyone — except a directory with the sticky bit (like /tmp),
 * where others cannot replace a file they do not own; nor does a POSIX ACL
 * (system.posix_acl_access) grant write to a named user or group other than
 * root (and TRUSTED_UID). Symbolic links are
 * followed and the target's directories checked too.
 * Returns 0, or a negative errno with WHY (of WHY_LEN bytes) saying which
 * path is at fault, why, and the command that fixes it. */
int bd_trust_check_file(const char *path, uid_t trusted_uid, char *why, size_t why_len);
