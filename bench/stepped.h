/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stepped mode of bench-floor and bench-cycle (BENCH_STEPPED=1): one
 * repetition per byte read on stdin, its wall and CPU time on one line of
 * stdout. bench/real-guests.sh drives a floor and a cycle this way in
 * alternation, so that each floor is paired with a cycle made a few
 * milliseconds apart, against guests in the same state. */
#ifndef BENCH_STEPPED_H
#define BENCH_STEPPED_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double bench_clock_ms(clockid_t id) {
        struct timespec ts;

        clock_gettime(id, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int bench_stepped(int (*once)(void *ctx), void *ctx) {
        char byte;

        while (read(STDIN_FILENO, &byte, 1) == 1) {
                double t0 = bench_clock_ms(CLOCK_MONOTONIC), c0 = bench_clock_ms(CLOCK_PROCESS_CPUTIME_ID);

                if (once(ctx) < 0)
                        return 1;
                printf("step ms=%.3f cpu_ms=%.3f\n", bench_clock_ms(CLOCK_MONOTONIC) - t0,
                       bench_clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0);
                fflush(stdout);
        }
        return 0;
}

static inline int bench_is_stepped(void) {
        const char *v = getenv("BENCH_STEPPED");

        return v && *v && *v != '0';
}

#endif
