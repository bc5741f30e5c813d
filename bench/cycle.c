/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cycle URI REPS [SOAK]: balloond's whole cycle -- collect, decide, apply
 * in dry run, report (status file and metrics), then libvirt's pending
 * events -- on one connection, as the daemon runs it. With BENCH_STEPPED=1,
 * one cycle per byte on stdin after the warm-up (bench/stepped.h). Prints the median and best wall time and the CPU time per
 * cycle after one warm-up cycle (which reads every domain's XML once), the
 * peak RSS, and, with SOAK, the RSS after 1,000 and after SOAK cycles. */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "balloond/daemon/backend.h"
#include "balloond/daemon/cycle.h"
#include "balloond/daemon/log.h"
#include "balloond/daemon/metrics.h"
#include "balloond/daemon/status.h"

#include "stepped.h"

static uint64_t mono_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static double cpu_sec(void) {
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               (double)ru.ru_stime.tv_usec / 1e6;
}

static long status_kib(const char *key) {
        char line[256];
        long v = -1;
        FILE *f = fopen("/proc/self/status", "r");

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, key, strlen(key)) == 0)
                        v = atol(line + strlen(key) + 1);
        if (f)
                fclose(f);
        return v;
}

static int cmp(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* What the daemon's main loop does between cycles: run the backend's
 * pending events (libvirt's keepalive and domain events), if any. */
static void backend_events(struct bd_backend *b) {
        struct pollfd p = {.events = POLLIN};

        if (!b->ops->event_fd || !b->ops->handle_events || (p.fd = b->ops->event_fd(b)) < 0)
                return;
        if (poll(&p, 1, 0) == 1)
                b->ops->handle_events(b);
}

static int one_cycle(struct bd_daemon *d, const char *status_path) {
        struct timespec ts;
        uint64_t start = mono_usec();
        size_t len;
        char *text;
        int r;

        clock_gettime(CLOCK_REALTIME, &ts);
        r = bd_cycle_run(d, start, ts.tv_sec);
        bd_daemon_count_cycle(d, r, mono_usec() - start);
        if (r < 0)
                return r;
        bd_status_write(status_path, d);
        text = bd_metrics_render(d, &len);
        free(text);
        backend_events(d->backend);
        return 0;
}

struct stepped_cycle {
        struct bd_daemon *d;
        const char *status_path;
};

static int cycle_once(void *ctx) {
        struct stepped_cycle *sc = ctx;

        return one_cycle(sc->d, sc->status_path);
}

int main(int argc, char **argv) {
        struct bd_config cfg;
        struct bd_backend *b = NULL;
        struct bd_daemon d;
        char err[256], status_path[PATH_MAX];
        /* The daemon writes /run/balloond/status.json, and /run is a tmpfs on
         * a host booted by systemd: so /dev/shm, unless BENCH_STATUS_DIR says
         * otherwise (docs/PERFORMANCE.md has both). */
        const char *status_dir = getenv("BENCH_STATUS_DIR");
        int reps = argc > 2 ? atoi(argv[2]) : 10, soak = argc > 3 ? atoi(argv[3]) : 0, fd;
        uint64_t *t;
        double c0;

        if (argc < 2 || reps < 1)
                return 2;
        bd_log_setup(BD_LOG_ERR); /* the decisions' log lines are not part of the measure */
        bd_config_defaults(&cfg);
        cfg.dry_run = true;
        cfg.check_stats_age = false; /* the test driver's last-update never moves */
        if (bd_backend_open(argv[1], &cfg, &b, err, sizeof(err)) < 0) {
                fprintf(stderr, "cycle: %s\n", err);
                return 1;
        }
        snprintf(status_path, sizeof(status_path), "%s/balloond-bench-status.XXXXXX",
                 status_dir && *status_dir ? status_dir : "/dev/shm");
        fd = mkstemp(status_path);
        if (fd >= 0)
                close(fd);
        bd_daemon_init(&d, &cfg, b);
        if (one_cycle(&d, status_path) < 0)
                return 1;
        if (bench_is_stepped()) {
                struct stepped_cycle sc = {&d, status_path};
                int r = bench_stepped(cycle_once, &sc);

                unlink(status_path);
                bd_daemon_done(&d);
                return r;
        }
        t = calloc((size_t)reps, sizeof(*t));
        c0 = cpu_sec();
        for (int r = 0; r < reps; r++) {
                uint64_t t0 = mono_usec();

                if (one_cycle(&d, status_path) < 0)
                        return 1;
                t[r] = mono_usec() - t0;
        }
        qsort(t, (size_t)reps, sizeof(*t), cmp);
        printf("cycle domains=%zu median_ms=%.3f best_ms=%.3f cpu_ms=%.3f peak_rss_kib=%ld", d.last.n,
               (double)t[reps / 2] / 1e3, (double)t[0] / 1e3, (cpu_sec() - c0) / reps * 1e3, status_kib("VmHWM"));
        if (soak > 0) {
                long rss_1k = -1;

                for (int r = 0; r < soak; r++) {
                        if (one_cycle(&d, status_path) < 0)
                                return 1;
                        if (r + 1 == 1000)
                                rss_1k = status_kib("VmRSS");
                }
                printf(" rss_after_1000_kib=%ld rss_after_%d_kib=%ld", rss_1k, soak, status_kib("VmRSS"));
        }
        printf("\n");
        unlink(status_path);
        free(t);
        bd_daemon_done(&d);
        return 0;
}
