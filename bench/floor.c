/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor URI REPS: the libvirt calls balloond makes to collect, and nothing
 * else: one virConnectGetAllDomainStats(STATE | BALLOON), and, for running
 * domains whose record has no balloon.current (drivers without bulk balloon
 * stats), one virDomainMemoryStats each. Prints the median and best wall
 * time of REPS rounds, and the CPU time per round. */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

int main(int argc, char **argv) {
        struct rusage ru;
        virConnectPtr c;
        int reps = argc > 2 ? atoi(argv[2]) : 10, fallback = 0;
        double *t, c0;

        if (argc < 2 || reps < 1)
                return 2;
        virSetErrorFunc(NULL, quiet);
        c = virConnectOpen(argv[1]);
        if (!c) {
                fprintf(stderr, "floor: cannot connect to %s\n", argv[1]);
                return 1;
        }
        t = calloc((size_t)reps, sizeof(*t));
        c0 = cpu();
        for (int r = 0; r < reps; r++) {
                virDomainStatsRecordPtr *recs = NULL;
                double t0 = now();
                int n = virConnectGetAllDomainStats(c, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs, 0);

                fallback = 0;
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
                                fallback++;
                        }
                }
                virDomainStatsRecordListFree(recs);
                t[r] = now() - t0;
        }
        qsort(t, (size_t)reps, sizeof(*t), cmp);
        getrusage(RUSAGE_SELF, &ru);
        printf("floor median_ms=%.3f best_ms=%.3f cpu_ms=%.3f per_domain_calls=%d peak_rss_kib=%ld\n", t[reps / 2] * 1e3,
               t[0] * 1e3, (cpu() - c0) / reps * 1e3, fallback, ru.ru_maxrss);
        free(t);
        virConnectClose(c);
        return 0;
}
