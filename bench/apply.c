/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply URI REPS MODE: a host-wide change, every running domain's balloon
 * set to a new size, REPS times (alternately 1 MiB below its size and back):
 *   floor   one virDomainSetMemoryFlags per domain, on handles already in
 *           hand, one after the other: the floor of any apply;
 *   serial  balloond's backend, set_target one VM after the other (what
 *           the daemon did before set_targets: on main, a look-up, the
 *           state, the job and the set per change);
 *   batch   balloond's backend, one set_targets for all (the daemon's
 *           apply now: the worker pool, one call per change).
 * The backend modes collect once first (the domain handles and facts).
 * Prints the median and best wall time of a whole change, and per domain. */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balloond/daemon/backend.h"
#include "balloond/daemon/log.h"

#include "stepped.h"

#ifndef BD_SET_ERR_MAX /* a balloond before set_targets (the "before" figures) */
struct bd_set_request {
        const struct bd_vm_sample *vm;
        uint64_t target_kib;
        int result;
        char err[256];
};
#endif

static int cmp(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static void quiet(void *u, virErrorPtr e) {
        (void)u;
        (void)e;
}

/* One change of every domain in DOMS (their sizes in KIB), by DELTA KiB. */
static int floor_round(virDomainPtr *doms, const unsigned long *kib, int n, unsigned long delta) {
        for (int i = 0; i < n; i++)
                if (virDomainSetMemoryFlags(doms[i], kib[i] - delta, VIR_DOMAIN_AFFECT_LIVE) < 0)
                        return -1;
        return 0;
}

static int run_floor(const char *uri, int reps, double *t, int *n_out) {
        virConnectPtr conn = virConnectOpen(uri);
        virDomainPtr *doms = NULL;
        unsigned long *kib;
        int n;

        if (!conn || (n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_RUNNING)) < 0)
                return -1;
        kib = calloc((size_t)n, sizeof(*kib));
        for (int i = 0; i < n; i++) {
                virDomainInfo info;

                if (virDomainGetInfo(doms[i], &info) < 0)
                        return -1;
                kib[i] = info.memory;
        }
        for (int r = 0; r < reps; r++) {
                double t0 = bench_clock_ms(CLOCK_MONOTONIC);

                if (floor_round(doms, kib, n, r % 2 ? 0 : 1024) < 0)
                        return -1;
                t[r] = bench_clock_ms(CLOCK_MONOTONIC) - t0;
        }
        *n_out = n;
        for (int i = 0; i < n; i++)
                virDomainFree(doms[i]);
        free(doms);
        free(kib);
        virConnectClose(conn);
        return 0;
}

/* One change of every running domain of S by DELTA KiB; returns how many. */
static int backend_round(struct bd_backend *b, const struct bd_vm_sample *s, size_t n, bool batch,
                         uint64_t delta, struct bd_set_request *reqs) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (s[i].state == BD_RUN_RUNNING)
                        reqs[k++] = (struct bd_set_request){ .vm = &s[i], .target_kib = s[i].actual_kib - delta };
#ifdef BD_SET_ERR_MAX
        if (batch)
                bd_backend_set_targets(b, reqs, k, 3000000);
#else
        if (batch) {
                fprintf(stderr, "apply: this balloond has no set_targets\n");
                return -1;
        }
#endif
        for (size_t i = 0; !batch && i < k; i++)
                reqs[i].result = b->ops->set_target(b, reqs[i].vm, reqs[i].target_kib, reqs[i].err,
                                                    sizeof(reqs[i].err));
        for (size_t i = 0; i < k; i++)
                if (reqs[i].result < 0) {
                        fprintf(stderr, "apply: %s: %s\n", reqs[i].vm->name, reqs[i].err);
                        return -1;
                }
        return (int)k;
}

static int run_backend(const char *uri, int reps, bool batch, double *t, int *n_out) {
        struct bd_config cfg;
        struct bd_backend *b = NULL;
        const struct bd_vm_sample *s;
        struct bd_vm_sample *copy;
        struct bd_set_request *reqs;
        char err[256];
        size_t n;

        bd_config_defaults(&cfg);
        if (bd_backend_open(uri, &cfg, &b, err, sizeof(err)) < 0 || b->ops->collect(b, 0, 0, &s, &n) < 0) {
                fprintf(stderr, "apply: %s\n", err);
                return -1;
        }
        copy = calloc(n ? n : 1, sizeof(*copy));
        memcpy(copy, s, n * sizeof(*s));
        reqs = calloc(n ? n : 1, sizeof(*reqs));
        for (int r = 0; r < reps; r++) {
                double t0 = bench_clock_ms(CLOCK_MONOTONIC);

                if ((*n_out = backend_round(b, copy, n, batch, r % 2 ? 0 : 1024, reqs)) < 0)
                        return -1;
                t[r] = bench_clock_ms(CLOCK_MONOTONIC) - t0;
        }
        free(reqs);
        free(copy);
        bd_backend_free(b);
        return 0;
}

int main(int argc, char **argv) {
        int reps = argc > 2 ? atoi(argv[2]) : 10, n = 0, r;
        const char *mode = argc > 3 ? argv[3] : "batch";
        double *t;

        if (argc < 2 || reps < 2)
                return 2;
        virSetErrorFunc(NULL, quiet);
        bd_log_setup(BD_LOG_ERR);
        reps += reps % 2; /* as many changes down as back up */
        t = calloc((size_t)reps, sizeof(*t));
        if (strcmp(mode, "floor") == 0)
                r = run_floor(argv[1], reps, t, &n);
        else
                r = run_backend(argv[1], reps, strcmp(mode, "batch") == 0, t, &n);
        if (r < 0) {
                fprintf(stderr, "apply: %s failed: %s\n", mode, virGetLastErrorMessage());
                return 1;
        }
        qsort(t, (size_t)reps, sizeof(*t), cmp);
        printf("apply mode=%s domains=%d median_ms=%.3f best_ms=%.3f per_change_us=%.1f\n", mode, n, t[reps / 2],
               t[0], n ? t[reps / 2] * 1e3 / n : 0.0);
        free(t);
        return 0;
}
