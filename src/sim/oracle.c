/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The oracle within host RAM: bd_oracle_decide (baselines.c) says what each
 * guest needs for the next minute; this fits those wants into the host's
 * RAM, taking from every guest the same fraction of what it wants beyond
 * its need now, then beyond what keeps it alive. */
#include "balloond/core/units.h"
#include "balloond/sim/simulate.h"

static uint64_t sum_of(const uint64_t *v, const bool *skip, size_t n) {
        uint64_t s = 0;

        for (size_t i = 0; i < n; i++)
                if (!skip[i])
                        s += v[i];
        return s;
}

/* TARGETS = LO + f (HI - LO), f chosen so that the sum is BUDGET. */
static void between(const uint64_t *lo, const uint64_t *hi, const bool *skip, size_t n, uint64_t budget,
                    uint64_t *targets) {
        uint64_t s_lo = sum_of(lo, skip, n), s_hi = sum_of(hi, skip, n);
        double f = s_hi > s_lo ? (double)(budget - s_lo) / (double)(s_hi - s_lo) : 0.0;

        for (size_t i = 0; i < n; i++)
                if (!skip[i])
                        targets[i] = lo[i] + (uint64_t)(f * (double)sub_sat(hi[i], lo[i]));
}

int bd_oracle_fit(const uint64_t *want_kib, const uint64_t *now_kib, const uint64_t *alive_kib, const bool *skip,
                  size_t n, uint64_t budget_kib, uint64_t *targets) {
        if (sum_of(want_kib, skip, n) <= budget_kib) {
                for (size_t i = 0; i < n; i++)
                        if (!skip[i])
                                targets[i] = want_kib[i];
                return 2;
        }
        if (sum_of(now_kib, skip, n) <= budget_kib) {
                between(now_kib, want_kib, skip, n, budget_kib, targets);
                return 1;
        }
        if (sum_of(alive_kib, skip, n) <= budget_kib) {
                between(alive_kib, now_kib, skip, n, budget_kib, targets);
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                if (!skip[i])
                        targets[i] = alive_kib[i];
        return -1;
}
