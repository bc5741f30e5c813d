/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest emergencies, part of phase 2 (classify): how much to grow a guest
 * that has run out of memory.
 *
 * A guest pinned at its balloon size (less than half its margin free)
 * needs memory past its size, where its own report cannot show how much.
 * Growing it by its margin a report at a time lets it hit the balloon again
 * and again (each time an OOM kill in a guest without swap). So:
 *   - what it pushed out to swap since its last report (on the first
 *     report balloond sees: what its counters say is still out there,
 *     swapped out less swapped in) is memory it needs and does not have:
 *     it asks for at least that much more, plus the margin of its use with
 *     that memory counted (bd_emergency_swap_need). What it swapped since
 *     a report balloond saw keeps the guest alive: it is granted like the
 *     floor (within RAM above the reserve), not cut at the critical line
 *     like comfort; a first report's counters may be old history (pages
 *     freed while in swap are never swapped in) and are only asked for;
 *   - still pinned in a report made after a grow made for it arrived
 *     (within two cycles and a report period of that grow), it asks for at
 *     least twice that grow: each step doubles, so a burst of any size is
 *     met in a few reports instead of many.
 * Both stay within the host budget of the urgent phase like any grow. */
#include "balloond/core/units.h"
#include "policy_phases.h"

uint64_t bd_emergency_swapped(const struct bd_vm_sample *s, const struct bd_vm_history *h, uint64_t swapped_out_kib) {
        if (h->seen || s->swap_out_kib == BD_COUNT_UNKNOWN)
                return swapped_out_kib;
        return sub_sat(s->swap_out_kib, s->swap_in_kib != BD_COUNT_UNKNOWN ? s->swap_in_kib : 0);
}

uint64_t bd_emergency_swap_need(const struct bd_config *cfg, double margin_pct, const struct bd_vm_sample *s,
                                uint64_t swapped_kib, uint64_t used_kib, bool twice) {
        uint64_t margin;

        if (!swapped_kib)
                return 0;
        margin = bd_margin_at(cfg, margin_pct, add_sat(used_kib, swapped_kib));
        return add_sat(add_sat(s->actual_kib, swapped_kib), twice ? add_sat(margin, margin) : margin);
}

uint64_t bd_emergency_want(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                           uint64_t swap_need_kib, uint64_t report_lo_kib, uint64_t now_usec) {
        uint64_t period = (uint64_t)(s->stats_period_sec > 0 ? s->stats_period_sec : cfg->stats_period_sec);
        uint64_t want = swap_need_kib, window = add_sat(add_sat(cfg->interval_usec, cfg->interval_usec), period * USEC_PER_SEC);

        /* The last grow for this guest's pressure was recent, and a report
         * made after the balloon got there is pinned again: that grow was
         * too small (a report made before it arrived says nothing of it). */
        if (h->pressure_grant_kib && h->last_grow_for_pressure_usec && now_usec >= h->last_grow_for_pressure_usec &&
            now_usec - h->last_grow_for_pressure_usec <= window && report_lo_kib >= h->pressure_target_kib)
                want = max_u64(want, add_sat(s->actual_kib, add_sat(h->pressure_grant_kib, h->pressure_grant_kib)));
        return want;
}

