/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fault injection for tests/integration/faults.sh, preloaded into the real
 * balloond (LD_PRELOAD). It wraps virDomainSetMemoryFlags and, on demand,
 * makes it fail the way it fails in production — through libvirt itself, so
 * that balloond sees libvirt's real errors:
 *   $BALLOOND_FAULT_DIR/destroy-before-set  holds a domain name: the next
 *       time balloond sets that domain's memory, the domain is destroyed
 *       first (a domain that vanishes between collect and apply); the file
 *       is removed once used;
 *   $BALLOOND_FAULT_DIR/fail-set  holds a domain name: while the file
 *       exists, setting that domain's memory asks libvirt for more than the
 *       domain's maximum, which libvirt refuses;
 *   $BALLOOND_FAULT_DIR/delay-set  holds "NAME SECONDS": while the file
 *       exists, setting that domain's memory first waits SECONDS (a domain
 *       whose job is held: QEMU waits up to 30 s for it), then goes ahead;
 *   $BALLOOND_FAULT_DIR/refuse-nowait  exists: the bulk stats call with
 *       VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT fails as a libvirt without
 *       the flag (before 4.5) or a driver that does not know it refuses it
 *       (an unknown flag bit added: libvirt's own "unsupported flags");
 *   $BALLOOND_FAULT_DIR/clock-offset  holds a number of seconds (say 86400
 *       or -86400): the wall clock (CLOCK_REALTIME, gettimeofday, time) of
 *       the whole process — balloond, libvirt, sd-event — is that far off,
 *       as after an administrator or NTP stepped it; the monotonic clock is
 *       left alone. The file is read again at most every 50 ms.
 * Every injected libvirt fault is logged on stderr ("fault-shim: ..."). */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

typedef int (*set_memory_fn)(virDomainPtr, unsigned long, unsigned int);

/* What FILE in the fault directory holds (the first line), into BUF; 1 if
 * the file exists. Plain system calls, no stdio and no malloc: the clock
 * wrappers below run early, even inside AddressSanitizer's start-up. */
static int fault_for(const char *file, char *buf, size_t len) {
        const char *dir = getenv("BALLOOND_FAULT_DIR");
        char path[PATH_MAX];
        ssize_t n;
        int fd;

        buf[0] = '\0';
        if (!dir || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, len - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 1;
}

static void consume(const char *file) {
        const char *dir = getenv("BALLOOND_FAULT_DIR");
        char path[PATH_MAX];

        if (dir && (size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) < sizeof(path))
                unlink(path);
}

int virDomainSetMemoryFlags(virDomainPtr dom, unsigned long memory, unsigned int flags) {
        static set_memory_fn real;
        const char *name = virDomainGetName(dom);
        char want[256];

        if (!real)
                real = (set_memory_fn)dlsym(RTLD_NEXT, "virDomainSetMemoryFlags");
        if (!real)
                abort();
        if (name && fault_for("destroy-before-set", want, sizeof(want)) && strcmp(want, name) == 0) {
                consume("destroy-before-set");
                fprintf(stderr, "fault-shim: destroying %s before setting its memory: %s\n", name,
                        virDomainDestroy(dom) == 0 ? "done" : "failed");
        }
        if (name && fault_for("delay-set", want, sizeof(want))) {
                char *sp = strchr(want, ' ');

                if (sp) {
                        *sp = '\0';
                        if (strcmp(want, name) == 0) {
                                fprintf(stderr, "fault-shim: delaying the call setting %s's memory by %s s\n", name,
                                        sp + 1);
                                sleep((unsigned)atoi(sp + 1));
                        }
                }
        }
        if (name && fault_for("fail-set", want, sizeof(want)) && strcmp(want, name) == 0) {
                unsigned long max = virDomainGetMaxMemory(dom);

                fprintf(stderr, "fault-shim: setting %s to %lu KiB instead of %lu (above its maximum)\n", name,
                        max + 1024, memory);
                memory = max + 1024;
        }
        return real(dom, memory, flags);
}

typedef int (*all_stats_fn)(virConnectPtr, unsigned int, virDomainStatsRecordPtr **, unsigned int);

int virConnectGetAllDomainStats(virConnectPtr conn, unsigned int stats, virDomainStatsRecordPtr **retStats,
                                unsigned int flags) {
        static all_stats_fn real;
        char any[8];

        if (!real)
                real = (all_stats_fn)dlsym(RTLD_NEXT, "virConnectGetAllDomainStats");
        if (!real)
                abort();
        if ((flags & VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT) && fault_for("refuse-nowait", any, sizeof(any))) {
                fprintf(stderr, "fault-shim: refusing the bulk stats call's NOWAIT flag\n");
                flags |= 1u << 28; /* no such flag: libvirt says "unsupported flags" */
        }
        return real(conn, stats, retStats, flags);
}

/* ---- the wall clock ---------------------------------------------------------- */

/* The real clock, from the kernel itself (not through our own wrappers). */
static int real_clock(clockid_t id, struct timespec *ts) {
        return (int)syscall(SYS_clock_gettime, id, ts);
}

static long long clock_offset_sec(void) {
        static long long offset;
        static struct timespec checked;
        struct timespec now;
        char text[64];

        real_clock(CLOCK_MONOTONIC, &now);
        if (checked.tv_sec && (now.tv_sec - checked.tv_sec) * 1000000000LL + (now.tv_nsec - checked.tv_nsec) <
                                      50000000LL)
                return offset;
        checked = now;
        offset = fault_for("clock-offset", text, sizeof(text)) ? strtoll(text, NULL, 10) : 0;
        return offset;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
        int r = real_clock(id, ts);

        if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
                ts->tv_sec += (time_t)clock_offset_sec();
        return r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
        struct timespec ts;

        (void)tz;
        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return -1;
        tv->tv_sec = ts.tv_sec; /* never NULL: glibc declares it nonnull */
        tv->tv_usec = ts.tv_nsec / 1000;
        return 0;
}

time_t time(time_t *out) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (out)
                *out = ts.tv_sec;
        return ts.tv_sec;
}
