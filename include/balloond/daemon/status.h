/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running daemon's per-VM view, published after each cycle as a JSON
 * file replaced atomically (write, then rename), for `balloonctl status`. */
#pragma once

#include "balloond/daemon/cycle.h"

#define BD_DEFAULT_STATUS_FILE "/run/balloond/status.json"

/* Write D's last cycle to PATH (mode 0640, group libvirt where it exists).
 * Returns 0 or a negative errno. */
int bd_status_write(const char *path, const struct bd_daemon *d);
