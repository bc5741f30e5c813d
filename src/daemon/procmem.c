/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hypervisor process of a domain, from /proc: found once per domain
 * start through libvirt's pid file (checked against the process's command
 * line: a stale file may name another process; no search of /proc, which
 * would cost a read per process per domain), read every cycle:
 * /proc/PID/status (VmRSS, VmSwap) and /proc/PID/ksm_merging_pages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balloond/core/host.h"
#include "balloond/daemon/procmem.h"

bool bd_procmem_is_guest(pid_t pid, const char *name) {
        char path[64], buf[8192], want[BD_NAME_MAX + 8];
        size_t len = 0, wlen;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = '\0';
        wlen = (size_t)snprintf(want, sizeof(want), "guest=%s", name);
        /* The arguments are NUL-separated: look at each. */
        for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
                if (strncmp(buf + i, want, wlen) == 0 && (buf[i + wlen] == ',' || buf[i + wlen] == '\0'))
                        return true;
        return false;
}

static pid_t pid_from_file(const char *path, const char *name) {
        uint64_t v;

        if (bd_host_read_count(path, &v) < 0 || v == 0 || v > INT32_MAX)
                return 0;
        return bd_procmem_is_guest((pid_t)v, name) ? (pid_t)v : 0;
}

pid_t bd_procmem_find(const char *name) {
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        char path[4096];
        pid_t pid;

        if (!name[0] || strchr(name, '/'))
                return 0;
        snprintf(path, sizeof(path), "/run/libvirt/qemu/%s.pid", name);
        if ((pid = pid_from_file(path, name)))
                return pid;
        if (xdg && *xdg && (size_t)snprintf(path, sizeof(path), "%s/libvirt/qemu/run/%s.pid", xdg, name) < sizeof(path) &&
            (pid = pid_from_file(path, name)))
                return pid;
        return 0;
}

int bd_procmem_read(pid_t pid, struct bd_vm_sample *s) {
        char path[64], buf[8192];
        uint64_t rss, swap, pages;
        long page = sysconf(_SC_PAGESIZE);

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        if (bd_host_read_file(path, buf, sizeof(buf)) < 0 || bd_host_parse_proc_status(buf, &rss, &swap) < 0)
                return -ESRCH;
        s->rss_kib = rss;
        s->host_swap_kib = swap;
        snprintf(path, sizeof(path), "/proc/%d/ksm_merging_pages", (int)pid);
        if (page > 0 && bd_host_read_count(path, &pages) == 0 && pages < UINT64_MAX / (uint64_t)page)
                s->ksm_kib = pages * (uint64_t)page / 1024;
        return 0;
}
