/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sharing memory out among VMs: the water fill by weight (donors by the idle
 * memory tax, takers and claimants by shares) and the deadband that drops
 * changes too small to make. Used by the urgent, donor and taker phases. */
#include <math.h>

#include "balloond/core/units.h"
#include "policy_phases.h"

/* Bisection steps for the water level of a fill: 2^-64 of the range. */
#define FILL_STEPS 64

/* Share AMOUNT among the VMs of ROLE: each gets min(limit, level x weight) in
 * share_kib, the level chosen by bisection (O(n) per step, no sorting, no
 * allocation) so that the shares add up to AMOUNT or every limit is reached. */
void bd_share_fill(struct bd_decision *d, size_t n, int role, uint64_t amount) {
        double lo = 0.0, hi = 0.0, total = 0.0;
        uint64_t given = 0;

        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role != role || d[i].weight <= 0.0)
                        continue;
                total += (double)d[i].limit_kib;
                hi = fmax(hi, (double)d[i].limit_kib / d[i].weight);
        }
        if (amount == 0 || total <= 0.0)
                return;
        if ((double)amount < total) {
                for (int step = 0; step < FILL_STEPS; step++) {
                        double mid = (lo + hi) / 2.0, sum = 0.0;

                        for (size_t i = 0; i < n; i++)
                                if (d[i].share_role == role && d[i].weight > 0.0)
                                        sum += fmin((double)d[i].limit_kib, mid * d[i].weight);
                        if (sum > (double)amount)
                                hi = mid;
                        else
                                lo = mid;
                }
        }
        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role != role || d[i].weight <= 0.0)
                        continue;
                d[i].share_kib = (double)amount >= total
                                         ? d[i].limit_kib
                                         : min_u64(d[i].limit_kib,
                                                   u64_of(fmin((double)d[i].limit_kib, lo * d[i].weight)));
                /* Doubles round above 2^53: the shares never add up to more
                 * than AMOUNT. */
                d[i].share_kib = min_u64(d[i].share_kib, amount - given);
                given += d[i].share_kib;
        }
}

uint64_t bd_deadband_kib(const struct bd_config *cfg, uint64_t actual_kib) {
        return max_u64(cfg->deadband_kib, pct_of(cfg->deadband_pct, actual_kib));
}

/* Shares under the deadband are dropped. What they would have moved is not
 * lost: it goes to a VM that already moves and can take it, else to the
 * heaviest idle one, as a change of at least its deadband (the goal may be
 * overshot by less than a deadband, never undershot for good: a host just
 * short of its goal would otherwise stay in its band forever). Bounded by
 * AMOUNT / smallest deadband picks, each O(n). */
void bd_share_deadband(const struct bd_config *cfg, struct bd_decision *d, size_t n, int role,
                           uint64_t amount, uint64_t ceiling) {
        uint64_t kept = 0, leftover, piece;

        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role != role)
                        continue;
                if (d[i].share_kib < bd_deadband_kib(cfg, d[i].actual_kib))
                        d[i].share_kib = 0;
                kept += d[i].share_kib;
        }
        /* What was dropped, and what the fill's rounding down left over. */
        leftover = sub_sat(amount, kept);
        while (leftover > 0) {
                size_t mover = n, fresh = n;

                for (size_t i = 0; i < n; i++) {
                        if (d[i].share_role != role || d[i].weight <= 0.0)
                                continue;
                        if (d[i].share_kib > 0) {
                                if (d[i].limit_kib - d[i].share_kib >= leftover &&
                                    (mover == n || d[i].weight > d[mover].weight))
                                        mover = i;
                        } else if (d[i].limit_kib >= bd_deadband_kib(cfg, d[i].actual_kib) &&
                                   (fresh == n || d[i].weight > d[fresh].weight)) {
                                fresh = i;
                        }
                }
                if (mover < n) {
                        d[mover].share_kib += leftover;
                        return;
                }
                if (fresh == n)
                        return;
                piece = min_u64(d[fresh].limit_kib, max_u64(bd_deadband_kib(cfg, d[fresh].actual_kib), leftover));
                if (kept + piece > ceiling)
                        return; /* the host cap (or room) is not to be passed for a deadband */
                d[fresh].share_kib = piece;
                kept += piece;
                leftover = sub_sat(leftover, piece);
        }
}
