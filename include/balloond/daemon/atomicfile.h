/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replacing a file whole: the status file and the metrics textfile are read
 * by other programs at any moment, which must see the old file or the new
 * one, never half of one, never one with other permissions. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Write LEN bytes of DATA to PATH atomically: a temporary file
 * DIR/.NAME.XXXXXX in PATH's directory gets group GID ((gid_t)-1: left as
 * is) and mode MODE (whatever the umask), then the data, then is renamed
 * over PATH. On any failure the temporary file is removed and PATH is left
 * as it was. Not synced to disk: both files are remade every cycle, and the
 * status file lives on tmpfs. Returns 0 or a negative errno. */
int bd_atomic_write(const char *path, const void *data, size_t len, mode_t mode, gid_t gid);
