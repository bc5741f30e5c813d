/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor URI REPS: the libvirt calls balloond makes to collect, and nothing
 * else: one virConnectGetAllDomainStats(STATE | BALLOON), and, for running
 * domains whose record has no balloon.current (drivers without bulk balloon
 * stats), one virDomainMemoryStats each. Prints the median and best wall
 * time of REPS rounds, and the CPU time per round; with BENCH_STEPPED=1,
 * one round per byte on stdin (bench/stepped.h). */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "stepped.h"

static double cpu(void) {
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static void quiet(void *u, virErrorPtr e) {
        (void)u;
        (void)e;
}

struct floor {
        virConnectPtr conn;
        int fallback; /* per-domain calls in the last round */
};

/* One round of the calls balloond makes to collect. */
static int floor_once(void *ctx) {
        struct floor *fl = ctx;
        virDomainStatsRecordPtr *recs = NULL;
        int n = virConnectGetAllDomainStats(fl->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs, 0);

        if (n < 0)
                return -1;
        fl->fallback = 0;
        for (int i = 0; i < n; i++) {
                bool running = false, current = false;

                for (int k = 0; k < recs[i]->nparams; k++) {
                        if (!strcmp(recs[i]->params[k].field, "state.state"))
                                running = recs[i]->params[k].value.i == VIR_DOMAIN_RUNNING;
                        if (!strcmp(recs[i]->params[k].field, "balloon.current"))
                                current = true;
                }
                if (running && !current) {
                        virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];

                        virDomainMemoryStats(recs[i]->dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
                        fl->fallback++;
                }
        }
        virDomainStatsRecordListFree(recs);
        return 0;
}

int main(int argc, char **argv) {
        struct rusage ru;
        struct floor fl = {0};
        int reps = argc > 2 ? atoi(argv[2]) : 10, r;
        double *t, c0;

        if (argc < 2 || reps < 1)
                return 2;
        virSetErrorFunc(NULL, quiet);
        fl.conn = virConnectOpen(argv[1]);
        if (!fl.conn) {
                fprintf(stderr, "floor: cannot connect to %s\n", argv[1]);
                return 1;
        }
        if (bench_is_stepped()) {
                r = bench_stepped(floor_once, &fl);
                virConnectClose(fl.conn);
                return r;
        }
        t = calloc((size_t)reps, sizeof(*t));
        c0 = cpu();
        for (int i = 0; i < reps; i++) {
                double t0 = bench_clock_ms(CLOCK_MONOTONIC);

                if (floor_once(&fl) < 0) {
                        fprintf(stderr, "floor: %s\n", virGetLastErrorMessage());
                        return 1;
                }
                t[i] = (bench_clock_ms(CLOCK_MONOTONIC) - t0) / 1e3;
        }
        qsort(t, (size_t)reps, sizeof(*t), cmp);
        getrusage(RUSAGE_SELF, &ru);
        printf("floor median_ms=%.3f best_ms=%.3f cpu_ms=%.3f per_domain_calls=%d peak_rss_kib=%ld\n", t[reps / 2] * 1e3,
               t[0] * 1e3, (cpu() - c0) / reps * 1e3, fl.fallback, ru.ru_maxrss);
        free(t);
        virConnectClose(fl.conn);
        return 0;
}
