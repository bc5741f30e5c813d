/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The oracle within host RAM: bd_oracle_decide (baselines.c) says what each
 * guest needs for the next minute; this fits those wants into the host's
 * RAM, taking from every guest the same fraction of what it wants beyond
 * its need now, then beyond what keeps it alive. What a balloon size costs
 * the host is what the guest then holds in RAM (SLOPE x size + BASE: with
 * free page reporting a quarter of the size above what the guest uses, its
 * page cache; without, all of it). */
#include "balloond/core/units.h"
#include "balloond/sim/simulate.h"

static double cost(const double *slope, const double *base, size_t i, uint64_t size) {
        return (base ? base[i] : 0.0) + (slope ? slope[i] : 1.0) * (double)size;
}

static double cost_of(const uint64_t *v, const struct bd_oracle_cost *c, const bool *skip, size_t n) {
        double s = 0;

        for (size_t i = 0; i < n; i++)
                if (!skip[i])
                        s += cost(c ? c->slope : NULL, c ? c->base : NULL, i, v[i]);
        return s;
}

/* TARGETS = LO + f (HI - LO), f chosen so that the cost is BUDGET (the cost
 * is affine in the sizes, so in f too). */
static void between(const uint64_t *lo, const uint64_t *hi, const struct bd_oracle_cost *c, const bool *skip,
                    size_t n, uint64_t budget, uint64_t *targets) {
        double c_lo = cost_of(lo, c, skip, n), c_hi = cost_of(hi, c, skip, n);
        double f = c_hi > c_lo ? ((double)budget - c_lo) / (c_hi - c_lo) : 0.0;

        f = f < 0 ? 0 : f > 1 ? 1 : f;
        for (size_t i = 0; i < n; i++)
                if (!skip[i])
                        targets[i] = lo[i] + (uint64_t)(f * (double)sub_sat(hi[i], lo[i]));
}

int bd_oracle_fit(const uint64_t *want_kib, const uint64_t *now_kib, const uint64_t *alive_kib, const bool *skip,
                  size_t n, uint64_t budget_kib, const struct bd_oracle_cost *c, uint64_t *targets) {
        if (cost_of(want_kib, c, skip, n) <= (double)budget_kib) {
                for (size_t i = 0; i < n; i++)
                        if (!skip[i])
                                targets[i] = want_kib[i];
                return 2;
        }
        if (cost_of(now_kib, c, skip, n) <= (double)budget_kib) {
                between(now_kib, want_kib, c, skip, n, budget_kib, targets);
                return 1;
        }
        if (cost_of(alive_kib, c, skip, n) <= (double)budget_kib) {
                between(alive_kib, now_kib, c, skip, n, budget_kib, targets);
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                if (!skip[i])
                        targets[i] = alive_kib[i];
        return -1;
}
