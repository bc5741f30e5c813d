/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Phase 3 of the policy: grants to the VMs that need memory, within the host
 * budget of this cycle (bd_budget: RAM above its critical line, the VM budget
 * above its own; grows not yet arrived taken off both).
 *
 * Two tiers. First every claimant up to its floor (what keeps its guest
 * alive): an emergency, which may pass the VM budget while RAM allows
 * (reported as crossing it) unless host.vm_budget_hard. Then, when the host
 * is not critical, the rest of each ask (used + 2 x margin), within both
 * lines. A frequent claimer (claim credit above guest.frequent_claim_credit:
 * its claims were granted on most recent reports, as a greedy or leaking
 * guest's are) comes after the others in each tier, and gets the rest tier
 * only out of the room above the pressure goal, never out of the reserve
 * between the pressure and critical lines. Within a group the memory is
 * shared by shares / (1 + claim credit). What is not granted
 * is unmet demand: reported, never granted past the host; it funds reclaim
 * from donors divided by (1 + claim credit), so a guest that claims forever
 * moves others' balloons ever more slowly. */
#include "balloond/core/units.h"
#include "policy_phases.h"

enum tier {
        TIER_FLOOR = 0, /* up to the floor */
        TIER_REST,      /* from the floor to the ask */
};

/* What claimant D asks for in TIER (its target so far: d->target_kib). */
static uint64_t tier_ask(const struct bd_decision *d, enum tier t) {
        uint64_t floor = min_u64(max_u64(d->floor_grow_kib, d->actual_kib), d->want_kib);

        if (t == TIER_FLOOR)
                return floor - d->actual_kib;
        return sub_sat(d->want_kib, max_u64(floor, d->target_kib));
}

static bool frequent(const struct bd_config *cfg, const struct bd_decision *d) {
        return d->claim_credit > cfg->frequent_claim_credit;
}

/* Share AVAIL among the asks of tier T of the claimants that are frequent
 * claimers (FREQ) or not; returns what was given. */
static uint64_t grant_tier(const struct bd_config *cfg, struct bd_decision *d, size_t n, bool freq, enum tier t,
                           uint64_t avail) {
        uint64_t asked = 0, given = 0;

        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role != BD_ROLE_CLAIM)
                        continue;
                d[i].limit_kib = frequent(cfg, &d[i]) == freq ? tier_ask(&d[i], t) : 0;
                d[i].share_kib = 0;
                asked = add_sat(asked, d[i].limit_kib);
        }
        bd_share_fill(d, n, BD_ROLE_CLAIM, min_u64(asked, avail));
        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role != BD_ROLE_CLAIM)
                        continue;
                d[i].target_kib += d[i].share_kib;
                given = add_sat(given, d[i].share_kib);
        }
        return given;
}

/* The lines each group's tiers met: the one that cut a tier short, and
 * whether the floor tier went past the VM budget. */
struct lines {
        enum bd_line floor_cut, rest_cut;
        bool crossed;
};

static enum bd_line binding_line(const struct bd_budget *b, uint64_t avail) {
        return avail < b->ram_kib ? BD_LINE_BUDGET : BD_LINE_RAM;
}

/* The claimants' outcome: a grow (maybe smaller than asked) or none, the
 * unmet part, the line that cut it, and the reclaim it funds. */
static void settle(const struct bd_config *cfg, struct bd_decision *d, size_t n, const struct lines *rare,
                   const struct lines *freq, struct bd_budget *budget, struct bd_host_view *view) {
        for (size_t i = 0; i < n; i++) {
                const struct lines *l = frequent(cfg, &d[i]) ? freq : rare;
                uint64_t granted;

                if (d[i].share_role != BD_ROLE_CLAIM)
                        continue;
                d[i].share_role = BD_ROLE_NONE;
                d[i].share_kib = 0;
                d[i].weight = 0.0;
                granted = d[i].target_kib - d[i].actual_kib;
                /* A sliver is not worth the guest's one grow per report. */
                if (granted < d[i].want_kib - d[i].actual_kib && granted < bd_deadband_kib(cfg, d[i].actual_kib))
                        granted = 0;
                d[i].unmet_kib = d[i].want_kib - d[i].actual_kib - granted;
                if (d[i].unmet_kib)
                        d[i].refused = tier_ask(&d[i], TIER_FLOOR) > granted ? l->floor_cut : l->rest_cut;
                if (granted && l->crossed && tier_ask(&d[i], TIER_FLOOR) > 0)
                        d[i].crossed = BD_LINE_BUDGET;
                view->demand_kib = add_sat(view->demand_kib, d[i].want_kib - d[i].actual_kib);
                view->granted_kib = add_sat(view->granted_kib, granted);
                view->unmet_demand_kib = add_sat(view->unmet_demand_kib, d[i].unmet_kib);
                budget->need_kib = add_sat(budget->need_kib, u64_of((double)d[i].unmet_kib / (1.0 + d[i].claim_credit)));
                d[i].limit_kib = granted;
                d[i].target_kib = d[i].actual_kib + granted;
                if (!granted) {
                        d[i].action = BD_ACTION_NONE;
                        d[i].reason = BD_REASON_NO_HEADROOM;
                }
        }
}

static uint64_t spend(uint64_t left, uint64_t given) {
        return left == UINT64_MAX ? UINT64_MAX : sub_sat(left, given);
}

/* Spend GIVEN of the budget. */
static void spend_all(struct bd_budget *b, uint64_t given) {
        b->ram_kib -= given;
        b->vm_kib = spend(b->vm_kib, given);
        b->room_kib = sub_sat(b->room_kib, given);
}

void bd_phase_urgent(const struct bd_config *cfg, struct bd_decision *d, size_t n, struct bd_budget *budget,
                     struct bd_host_view *view) {
        struct lines rare, freq;
        uint64_t avail, vm_before = budget->vm_kib, floor_given;
        bool claims = false;

        for (size_t i = 0; i < n; i++) {
                if (d[i].action != BD_ACTION_GROW || !d[i].want_kib)
                        continue;
                d[i].share_role = BD_ROLE_CLAIM;
                d[i].weight = (double)d[i].shares / (1.0 + d[i].claim_credit);
                d[i].target_kib = d[i].actual_kib;
                claims = true;
        }
        if (claims) {
                /* Floors (emergencies), rare claimers first: RAM is the line,
                 * the budget too only when hard. */
                avail = cfg->vm_budget_hard ? min_u64(budget->ram_kib, budget->vm_kib) : budget->ram_kib;
                rare.floor_cut = freq.floor_cut = binding_line(budget, avail);
                floor_given = grant_tier(cfg, d, n, false, TIER_FLOOR, avail);
                floor_given += grant_tier(cfg, d, n, true, TIER_FLOOR, avail - floor_given);
                rare.crossed = freq.crossed = floor_given > budget->vm_kib;
                spend_all(budget, floor_given);
                freq.rest_cut = BD_LINE_NONE;
                if (!budget->critical) {
                        avail = min_u64(budget->ram_kib, budget->vm_kib);
                        rare.rest_cut = binding_line(budget, avail);
                        spend_all(budget, grant_tier(cfg, d, n, false, TIER_REST, avail));
                        /* Frequent claimers: the rest only out of the room above the goal. */
                        avail = min_u64(min_u64(budget->ram_kib, budget->vm_kib), budget->room_kib);
                        freq.rest_cut = binding_line(budget, avail);
                        spend_all(budget, grant_tier(cfg, d, n, true, TIER_REST, avail));
                }
                settle(cfg, d, n, &rare, &freq, budget, view);
                /* Past the budget, only the floors had memory to give. */
                view->budget_crossed_kib =
                        rare.crossed ? sub_sat(min_u64(view->granted_kib, floor_given), vm_before) : 0;
        }
        /* What the relaxed band may still deflate: the room above the
         * pressure goal, within what is left of the host budget. */
        budget->room_kib = min_u64(min_u64(budget->room_kib, budget->ram_kib), budget->vm_kib);
        view->grow_room_kib = budget->room_kib;
}
