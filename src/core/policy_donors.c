/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Phase 4 of the policy: who gives memory back, and how much.
 *
 * A VM above a rule's maximum shrinks toward it. Under pressure, or to fund
 * unmet demand, memory is reclaimed from ok VMs above their floor that are
 * not swapping out, were not changed within the cooldown, did not grow for
 * guest pressure recently and have reported since their last change; each at
 * most its rate (doubled when critical), all together at most the host cap,
 * shared by weight = (active + k x idle) / shares (ESXi's idle memory tax,
 * k = 1 / (1 - tax)).
 *
 * Out of RAM (MemAvailable under BD_OUT_OF_RAM_KIB: the host swaps, and how
 * far past its RAM it is no longer shows) none of the cooldown, the recent
 * grow's hold, the rate, the host cap or the goal holds a donor back: each
 * gives all it has above its floor at once (see out_of_ram_donors).
 *
 * When the need is RAM's (not the VM budget's, which counts balloon sizes),
 * what counts is the host memory a shrink returns (src/core/ledger.c): a VM
 * found ineffective gives nothing, and the weights of the others are scaled
 * by their expected gain relative to the best donor's (see weigh_by_gain).
 * The need itself is MemAvailable's: reclaim counts once the host has it.
 * While a guest swapping out is cut short of its floor for lack of host
 * memory, the others' floors are without their learned burst room (lend). */
#include "balloond/core/units.h"
#include "policy_phases.h"

static bool cooling(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec) {
        return h->last_change_usec && now_usec - h->last_change_usec < cfg->cooldown_usec;
}

/* Frozen stats look fresh for a while: never shrink twice on one report. */
static bool awaits_stats(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h) {
        return cfg->check_stats_age && h->last_change_usec && s->last_update_sec <= h->change_stats_sec;
}

/* A VM above a rule's maximum: toward it at its rate, within the cap. */
static void above_max(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                      uint64_t now_usec, struct bd_decision *d, struct bd_budget *budget) {
        uint64_t rate = min_u64(min_u64(pct_of(cfg->shrink_pct, d->actual_kib), cfg->shrink_max_kib),
                                budget->cap_left_kib);
        uint64_t target = max_u64(d->max_kib, d->actual_kib - rate);

        if (d->swapping_out)
                d->reason = BD_REASON_GUEST_SWAP_OUT;
        else if (cooling(cfg, h, now_usec))
                d->reason = BD_REASON_COOLDOWN;
        else if (awaits_stats(cfg, s, h))
                d->reason = BD_REASON_AWAIT_STATS;
        else if (rate == 0)
                d->reason = BD_REASON_HOST_CAP;
        else if (target > s->max_kib)
                /* Above the domain's own maximum (QEMU rounds sizes up),
                 * further than one step can go: it is at it. */
                d->reason = BD_REASON_AT_MAX;
        else {
                budget->cap_left_kib -= d->actual_kib - target;
                d->action = BD_ACTION_SHRINK;
                d->reason = BD_REASON_ABOVE_MAX;
                d->target_kib = target;
                d->limit_kib = rate;
        }
}

/* May an ok VM give memory this cycle? If not, its reason says why. With
 * the host out of RAM (it swaps) neither the cooldown nor a recent grow for
 * guest pressure holds a shrink back: both only keep a balloon from moving
 * back and forth, and the floor (the guest's use and margins, burst room
 * included) still holds. */
static bool may_give(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                     uint64_t now_usec, bool out_of_ram, struct bd_decision *d) {
        if (d->actual_kib <= d->floor_kib)
                d->reason = BD_REASON_AT_FLOOR;
        else if (d->swapping_out)
                d->reason = BD_REASON_GUEST_SWAP_OUT;
        else if (!out_of_ram && h->last_grow_for_pressure_usec &&
                 now_usec - h->last_grow_for_pressure_usec < cfg->grow_hold_usec)
                d->reason = BD_REASON_RECENT_GROW;
        else if (!out_of_ram && cooling(cfg, h, now_usec))
                d->reason = BD_REASON_COOLDOWN;
        else if (awaits_stats(cfg, s, h))
                d->reason = BD_REASON_AWAIT_STATS;
        else
                return true;
        return false;
}

/* A donor's offer: at most its rate (doubled when critical), all it has
 * above its floor when the host is out of RAM. */
static void offer(const struct bd_config *cfg, const struct bd_budget *budget, struct bd_decision *d) {
        /* ESXi: an idle page costs k = 1 / (1 - tax) active pages. */
        double idle_cost = cfg->idle_tax_pct < 100.0 ? 100.0 / (100.0 - cfg->idle_tax_pct) : 1e6;
        uint64_t rate = min_u64(pct_of(cfg->shrink_pct, d->actual_kib), cfg->shrink_max_kib);
        uint64_t active = min_u64(d->used_kib, d->actual_kib), idle = d->actual_kib - active;

        if (budget->critical)
                rate *= 2;
        if (budget->out_of_ram)
                rate = UINT64_MAX;
        d->limit_kib = min_u64(rate, d->actual_kib - d->floor_kib);
        d->weight = ((double)active + idle_cost * (double)idle) / (double)d->shares;
        d->share_role = BD_ROLE_DONOR;
}

/* When RAM is short, donors by expected host gain: each measured donor's
 * weight times its gain relative to the best measured donor's, where that is
 * under GAIN_DEADZONE. Closer gains are not a reason to choose: a shrink's
 * immediate return is not all it does (it also caps what the guest can make
 * resident later), and on the simulator's scenarios weighing gains within
 * 0.5..0.75 of the best cost up to 3 MiB of mean free memory (vdi-morning).
 * A donor not measured yet keeps its weight: nothing says it is better or
 * worse. */
#define GAIN_DEADZONE 0.5
static void weigh_by_gain(struct bd_decision *d, size_t n) {
        double best = 0.0;

        for (size_t i = 0; i < n; i++)
                if (d[i].share_role == BD_ROLE_DONOR && d[i].gain_measured && d[i].gain > best)
                        best = d[i].gain;
        if (best <= 0.0)
                return;
        for (size_t i = 0; i < n; i++) {
                double rel = d[i].gain / best;

                if (d[i].share_role == BD_ROLE_DONOR && d[i].gain_measured && rel < GAIN_DEADZONE)
                        d[i].weight *= rel;
        }
}

/* The host is out of RAM: it swaps, and MemAvailable (0 then) no longer
 * says how far past its RAM it is, so the goal (a shortfall of
 * MemAvailable) cannot say how much to reclaim either; nor is a shrink's
 * size what it returns (with free page reporting about a quarter of it
 * here: the rest was free in the guest). So every donor gives all it has
 * above its floor in this one cycle, past the host cap (a change under the
 * deadband is still not made). On scenarios/host-job.json (a 6 GiB job
 * arriving at once beside six web guests) the host was past its RAM for
 * 41 s at the rate and the cap (no cooldown), 2 s this way (1.2 GiB*s
 * instead of 13.1). */
static void out_of_ram_donors(const struct bd_config *cfg, struct bd_decision *d, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (d[i].share_role == BD_ROLE_DONOR && d[i].limit_kib >= bd_deadband_kib(cfg, d[i].actual_kib))
                        d[i].share_kib = d[i].limit_kib;
}

/* A guest out of memory cut short of its floor for lack of host memory
 * needs it now; the learned burst room of the others is kept for a burst
 * that may come. While that lasts, a VM's floor is without its burst room:
 * it lends it (lends_burst), and is owed it back like its floor once the
 * host has it (policy_urgent.c). Without this, batch-mix's workers swapped
 * for two minutes at each job that overlapped the previous worker's while
 * two idle workers held 1.9 GiB of burst room each.
 *
 * When RAM above the reserve had nothing left for such a guest (swapping or
 * not), the others share more than their burst room: their floor is their
 * use and half their configured margin (share_floor_kib, shares_margin),
 * the line under which a guest is itself called out of memory. A guest
 * starving beside others that each keep a whole margin is the worst way to
 * divide a host that cannot hold every floor: on generated leak seed 4 a
 * web guest rising by 1 MiB/s stayed at its size for minutes beside seven
 * guests holding 130-300 MiB free each (22 OOM events; 8 with this). What
 * a VM shares below its floor it asks back as its floor once the host has
 * it; the burst room it shared is owed back like lent room. */
static void lend(const struct bd_budget *budget, struct bd_decision *d) {
        if (budget->share_margin && d->share_floor_kib < d->floor_kib) {
                d->floor_kib = d->share_floor_kib;
                d->shares_margin = true;
                d->lends_burst = d->burst_kib > 0;
                return;
        }
        if (!budget->lend_burst || !d->burst_kib || d->lend_floor_kib >= d->floor_kib)
                return;
        d->floor_kib = d->lend_floor_kib;
        d->lends_burst = true;
}

void bd_phase_donors(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                     const struct bd_vm_history *history, size_t n, uint64_t now_usec, struct bd_decision *d,
                     struct bd_budget *budget) {
        uint64_t reclaim;

        for (size_t i = 0; i < n; i++) {
                if (d[i].status != BD_STATUS_OK || d[i].action != BD_ACTION_NONE || d[i].reason != BD_REASON_STEADY)
                        continue;
                lend(budget, &d[i]);
                if (d[i].actual_kib > d[i].max_kib)
                        above_max(cfg, &samples[i], &history[i], now_usec, &d[i], budget);
                else if (budget->need_kib > 0 && budget->ram_driven && d[i].gain <= 0.0)
                        d[i].reason = BD_REASON_INEFFECTIVE;
                else if (budget->need_kib > 0 &&
                         may_give(cfg, &samples[i], &history[i], now_usec, budget->out_of_ram, &d[i]))
                        offer(cfg, budget, &d[i]);
        }
        if (budget->need_kib == 0)
                return;
        if (budget->out_of_ram) {
                out_of_ram_donors(cfg, d, n);
                return;
        }
        if (budget->ram_driven)
                weigh_by_gain(d, n);
        reclaim = min_u64(budget->need_kib, budget->cap_left_kib);
        bd_share_fill(d, n, BD_ROLE_DONOR, reclaim);
        bd_share_deadband(cfg, d, n, BD_ROLE_DONOR, reclaim, budget->cap_left_kib);
}
