/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hypervisor process of a domain on this host: which process it is and
 * what it holds (the ledger's per-VM host figures), from /proc. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "balloond/core/sample.h"

/* Does PID's command line name QEMU guest NAME ("-name guest=NAME,...")? */
bool bd_procmem_is_guest(pid_t pid, const char *name);

/* The QEMU process of the domain NAME: its libvirt pid file
 * (/run/libvirt/qemu/NAME.pid, or the session's under $XDG_RUNTIME_DIR),
 * checked against the process's command line. 0 if none. */
pid_t bd_procmem_find(const char *name);

/* PID's resident memory, swapped-out memory and KSM-merged pages into S
 * (rss_kib, host_swap_kib, ksm_kib; each BD_KIB_UNKNOWN when unreadable).
 * Returns 0, or -ESRCH when the process is gone. */
int bd_procmem_read(pid_t pid, struct bd_vm_sample *s);
