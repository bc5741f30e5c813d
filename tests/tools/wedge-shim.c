/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A wedged domain, for tests/integration/system.sh, preloaded into balloond
 * (LD_PRELOAD). QEMU's driver serves a domain whose job is held (a long
 * migration, a stuck monitor) only after waiting for the job, up to 30 s per
 * call: the bulk stats call waits for it unless asked not to
 * (VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT), and setting its memory waits
 * too. libvirt's test driver has no jobs, so this shim waits where QEMU's
 * driver would, for the domains named in $BALLOOND_WEDGE_FILE (one name a
 * line; the file is read on every call), $BALLOOND_WEDGE_SEC seconds (30)
 * each, then calls through. Each wait is logged on stderr ("wedge-shim: ..."). */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

typedef int (*all_stats_fn)(virConnectPtr, unsigned int, virDomainStatsRecordPtr **, unsigned int);
typedef int (*list_stats_fn)(virDomainPtr *, unsigned int, virDomainStatsRecordPtr **, unsigned int);
typedef int (*set_memory_fn)(virDomainPtr, unsigned long, unsigned int);

static void *next(const char *name) {
        void *f = dlsym(RTLD_NEXT, name);

        if (!f)
                abort();
        return f;
}

/* NAME is listed in the wedge file? */
static int wedged(const char *name) {
        const char *path = getenv("BALLOOND_WEDGE_FILE");
        char buf[4096], *line, *save = NULL;
        ssize_t n;
        int fd;

        if (!path || !name || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strcmp(line, name) == 0)
                        return 1;
        return 0;
}

static void wait_for_job(const char *name, const char *what) {
        const char *s = getenv("BALLOOND_WEDGE_SEC");
        unsigned sec = s ? (unsigned)strtoul(s, NULL, 10) : 30;

        fprintf(stderr, "wedge-shim: %s: waiting %u s for %s's job\n", what, sec, name);
        sleep(sec);
}

/* The QEMU driver waits for each wedged domain's job, one after the other. */
static void stats_wait(virDomainStatsRecordPtr *records, int n, unsigned int flags, const char *what) {
        if (flags & VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
                return;
        for (int i = 0; i < n; i++)
                if (wedged(virDomainGetName(records[i]->dom)))
                        wait_for_job(virDomainGetName(records[i]->dom), what);
}

int virConnectGetAllDomainStats(virConnectPtr conn, unsigned int stats, virDomainStatsRecordPtr **retStats,
                                unsigned int flags) {
        static all_stats_fn real;
        int n;

        if (!real)
                real = (all_stats_fn)next("virConnectGetAllDomainStats");
        /* The test driver knows no NOWAIT: the shim takes the flag off. */
        n = real(conn, stats, retStats, flags & ~(unsigned)VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
        if (n > 0)
                stats_wait(*retStats, n, flags, "virConnectGetAllDomainStats");
        return n;
}

int virDomainListGetStats(virDomainPtr *doms, unsigned int stats, virDomainStatsRecordPtr **retStats,
                          unsigned int flags) {
        static list_stats_fn real;
        int n;

        if (!real)
                real = (list_stats_fn)next("virDomainListGetStats");
        n = real(doms, stats, retStats, flags & ~(unsigned)VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
        if (n > 0)
                stats_wait(*retStats, n, flags, "virDomainListGetStats");
        return n;
}

int virDomainSetMemoryFlags(virDomainPtr dom, unsigned long memory, unsigned int flags) {
        static set_memory_fn real;

        if (!real)
                real = (set_memory_fn)next("virDomainSetMemoryFlags");
        if (wedged(virDomainGetName(dom)))
                wait_for_job(virDomainGetName(dom), "virDomainSetMemoryFlags");
        return real(dom, memory, flags);
}
