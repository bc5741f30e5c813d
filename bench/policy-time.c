/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy-time N REPS: the pure policy alone for N VMs (no I/O): median and
 * best time of REPS runs, under host pressure so that every VM is weighed. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "balloond/core/policy.h"

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        size_t n = argc > 1 ? (size_t)atol(argv[1]) : 1000;
        int reps = argc > 2 ? atoi(argv[2]) : 100;
        struct bd_config cfg;
        struct bd_vm_sample *s = calloc(n, sizeof(*s));
        struct bd_vm_history *h = calloc(n, sizeof(*h));
        struct bd_decision *d = calloc(n, sizeof(*d));
        struct bd_host_sample host = { .mem_total_kib = 256ULL << 20, .mem_available_kib = 20ULL << 20 };
        struct bd_host_view view;
        struct bd_host_state hs = { 0 };
        double *t = calloc((size_t)reps, sizeof(*t));

        if (!s || !h || !d || !t || reps < 1)
                return 2;
        bd_config_defaults(&cfg);
        for (size_t i = 0; i < n; i++) {
                bd_vm_sample_init(&s[i]);
                snprintf(s[i].name, sizeof(s[i].name), "vm%zu", i);
                snprintf(s[i].uuid, sizeof(s[i].uuid), "00000000-0000-4000-8000-%012u", (unsigned)(i % 1000000000u));
                s[i].state = BD_RUN_RUNNING;
                s[i].max_kib = (1 + i % 4) << 20;
                s[i].actual_kib = s[i].max_kib;
                s[i].available_kib = s[i].actual_kib - (40 << 10);
                s[i].usable_kib = s[i].actual_kib / 2 + (i % 7) * (16 << 10);
                s[i].unused_kib = s[i].usable_kib / 2;
                s[i].disk_caches_kib = s[i].usable_kib / 4;
                s[i].swap_in_kib = s[i].swap_out_kib = s[i].major_faults = 0;
                s[i].last_update_sec = 1790000000;
                s[i].stats_period_sec = 2;
        }
        for (int r = 0; r < reps; r++) {
                double t0 = now();

                bd_policy_run(&cfg, &host, s, h, n, &hs, 1000000000ULL + (uint64_t)r * 5000000ULL, 1790000000, d,
                              &view);
                t[r] = now() - t0;
        }
        qsort(t, (size_t)reps, sizeof(*t), cmp);
        printf("policy vms=%zu median_ms=%.3f best_ms=%.3f band=%s\n", n, t[reps / 2] * 1e3, t[0] * 1e3,
               bd_band_to_string(view.band));
        free(s);
        free(h);
        free(d);
        free(t);
        return 0;
}
