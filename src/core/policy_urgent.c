/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Phase 3 of the policy: grants to the VMs that need memory, within the host
 * budget of this cycle (bd_budget).
 *
 * Two tiers. First each claimant up to its floor (used + margin, without the
 * learned burst margin: what keeps its guest alive; for a guest out of
 * memory, at least what it pushed out to swap: swap_need_kib): an
 * emergency, granted within physical RAM (MemAvailable less the host's
 * reserve; what that leaves of the floors of guests that are not frequent
 * claimers, out of the reclaim the balloons made since the previous cycle,
 * within MemAvailable), past the VM budget (reported as crossing it)
 * unless host.vm_budget_hard. Then, when the host is not critical, the rest
 * of each ask (used + 2 x margin) within what RAM and the VM budget have
 * above their critical lines. Grows decided earlier and not yet made are
 * taken off every line; reclaim counts only once made.
 *
 * The claim credit is the memory a guest's claims got recently, less what it
 * gave back (halving every guest.claim_half_life_sec). A frequent claimer,
 * whose credit is above guest.frequent_claim_mib (a greedy or leaking guest
 * that keeps its gains), comes after the others in each tier and is granted
 * only out of the room above the pressure goal: never out of the reserve
 * between the pressure and critical lines that keeps the host, and guests
 * that claim rarely, safe. Within a group memory is shared by shares / (1 +
 * credit in margins). What is not granted is unmet demand: reported, never
 * granted past the host; it funds reclaim from donors divided by the same
 * 1 + credit in margins, less the learned burst room of a guest that asks
 * only for room for a burst to come. */
#include "balloond/core/units.h"
#include "policy_phases.h"

enum tier {
        TIER_FLOOR = 0, /* up to the floor */
        TIER_REST,      /* from the floor to the ask */
        TIER_LAST,      /* what RAM above the reserve left of the floor: out of the reclaim seen */
        TIER_LAST_LOW,  /* the same, guests with less than half their margin free only */
};

/* What claimant D asks for in TIER (its target so far: d->target_kib). */
static uint64_t tier_ask(const struct bd_decision *d, enum tier t) {
        /* The learned burst margin is room for a burst to come, not what
         * keeps the guest alive now: it is asked for in the second tier;
         * but room it lent to a guest out of memory is owed like the floor. */
        uint64_t plain = d->burst_owed ? d->floor_grow_kib : sub_sat(d->floor_grow_kib, d->burst_kib);
        uint64_t floor = max_u64(max_u64(plain, d->swap_need_kib), d->actual_kib);

        floor = min_u64(floor, d->want_kib);

        if (t == TIER_FLOOR)
                return floor - d->actual_kib;
        if (t == TIER_LAST)
                return sub_sat(floor, d->target_kib);
        if (t == TIER_LAST_LOW)
                return d->usable_kib < d->margin_kib / 2 ? sub_sat(floor, d->target_kib) : 0;
        return sub_sat(d->want_kib, max_u64(floor, d->target_kib));
}

/* 1 + its claim credit in margins (guest.margin_min_mib, at least 1 MiB):
 * what its share of a grant, and the reclaim its unmet demand funds, are
 * divided by. */
static double priority(const struct bd_config *cfg, const struct bd_decision *d) {
        return 1.0 + d->claim_credit / (double)max_u64(cfg->margin_min_kib, KIB_PER_MIB);
}

static bool frequent(const struct bd_config *cfg, const struct bd_decision *d) {
        return d->claim_credit > (double)cfg->frequent_claim_kib;
}

/* Can claimant D take LEFT more as a change worth making: it already moves,
 * or it gets at least its deadband, or all it asks? */
static bool can_take(const struct bd_config *cfg, const struct bd_decision *d, uint64_t left) {
        uint64_t room = d->limit_kib - d->share_kib;

        return room > 0 && (d->share_kib > 0 || left >= room || left >= bd_deadband_kib(cfg, d->actual_kib));
}

/* A share short of its ask and under the deadband is not worth the guest's
 * one grow per report: it goes, heaviest first, to claimants that can take
 * more (at most N moves: each fills an ask or uses up what is left). */
static void no_slivers(const struct bd_config *cfg, struct bd_decision *d, size_t n) {
        uint64_t left = 0;

        for (size_t i = 0; i < n; i++)
                if (d[i].share_role == BD_ROLE_CLAIM && d[i].share_kib < d[i].limit_kib &&
                    d[i].share_kib < bd_deadband_kib(cfg, d[i].actual_kib)) {
                        left += d[i].share_kib;
                        d[i].share_kib = 0;
                }
        while (left > 0) {
                size_t best = n;
                uint64_t take;

                for (size_t i = 0; i < n; i++)
                        if (d[i].share_role == BD_ROLE_CLAIM && can_take(cfg, &d[i], left) &&
                            (best == n || d[i].weight > d[best].weight))
                                best = i;
                if (best == n)
                        return;
                take = min_u64(left, d[best].limit_kib - d[best].share_kib);
                d[best].share_kib += take;
                left -= take;
        }
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
        no_slivers(cfg, d, n);
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

/* Which line AVAIL is: the VM budget's when tighter than RAM's (RAM_KIB). */
static enum bd_line binding_line(uint64_t ram_kib, uint64_t avail) {
        return avail < ram_kib ? BD_LINE_BUDGET : BD_LINE_RAM;
}

/* Is claimant D, granted GRANTED, a guest out of memory (less than half
 * its margin free) cut short of its floor for lack of host memory, for
 * which the others lend their learned burst room (policy_donors.c)? A
 * frequent claimer only when RAM above the reserve (BUDGET, after the
 * floors) could not have covered it either: when what held it back is the
 * rule that keeps it to the room above the pressure goal, the others' room
 * would not reach it, and a guest that always reports no free memory would
 * drain their room for nothing. */
static bool lends_to(const struct bd_config *cfg, const struct bd_decision *d, uint64_t granted,
                     const struct bd_budget *budget) {
        uint64_t short_kib = sub_sat(tier_ask(d, TIER_FLOOR), granted);

        if (!short_kib || d->usable_kib >= d->margin_kib / 2 || !d->swapping_out)
                return false;
        return !frequent(cfg, d) || budget->ram_hard_kib < short_kib;
}

/* Is claimant D, granted GRANTED, a guest out of memory (less than half
 * its margin free) cut short of its floor, for which the others share their
 * margin down to half of it (policy_donors.c)? Floors come first out of RAM
 * above the reserve (and the reclaim seen): short of it, the host had
 * nothing left for it. Swapping or not: a guest without swap cannot show
 * it, and is OOM-killed instead. Never for a frequent claimer: a leak or a
 * greedy guest would take the honest guests' margins. */
static bool shares_to(const struct bd_config *cfg, const struct bd_decision *d, uint64_t granted) {
        return tier_ask(d, TIER_FLOOR) > granted && d->usable_kib < d->margin_kib / 2 && !frequent(cfg, d);
}

/* The part of D's unmet demand that funds reclaim from others. A guest
 * asking only for room for a burst to come (burst_room) does not take its
 * learned burst margin out of another guest's: that would squeeze a guest
 * that has not burst yet to its bare floor, where its first burst finds
 * only its margin (the bursts family: idle guests shrunk to fund the burst
 * room of guests in the middle of a burst, then out of memory on their own
 * first burst). Its margin and jump room still fund reclaim. */
static uint64_t funds(const struct bd_decision *d) {
        if (d->reason == BD_REASON_BURST_ROOM)
                return sub_sat(d->unmet_kib, d->burst_kib);
        return d->unmet_kib;
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
                if (lends_to(cfg, &d[i], granted, budget))
                        budget->lend_burst = true;
                if (shares_to(cfg, &d[i], granted))
                        budget->share_margin = true;
                if (granted && l->crossed && tier_ask(&d[i], TIER_FLOOR) > 0)
                        d[i].crossed = BD_LINE_BUDGET;
                view->demand_kib = add_sat(view->demand_kib, d[i].want_kib - d[i].actual_kib);
                view->granted_kib = add_sat(view->granted_kib, granted);
                view->unmet_demand_kib = add_sat(view->unmet_demand_kib, d[i].unmet_kib);
                budget->need_kib = add_sat(budget->need_kib, u64_of((double)funds(&d[i]) / priority(cfg, &d[i])));
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
        b->ram_kib = sub_sat(b->ram_kib, given);
        b->vm_kib = spend(b->vm_kib, given);
        b->room_kib = sub_sat(b->room_kib, given);
}

/* What is left of rare claimers' floors once RAM above the reserve is
 * spent (GIVEN of it given): out of the reclaim seen since the previous
 * cycle, within MemAvailable, guests with less than half their margin free
 * first. Else a host job that keeps the host past its reserve leaves guests
 * below their floors until they run out, the reclaim refilling the reserve
 * (scenarios/host-job.json: 59 OOM events; shared by weight rather than to
 * the guest running out first, 4). Those about to run out may also have
 * host.reserve_rescue_pct of the reserve (ram_rescue_kib): a guest whose use rises
 * while the others sit at their floors otherwise stalls short of its floor
 * for as long as that lasts, beside a host that is not short of anything
 * (generated database hosts: 1,153 VM-s and 43 OOM events; release-fully,
 * which keeps no reserve, 0). Returns what it gave. */
static uint64_t last_floors(const struct bd_config *cfg, struct bd_decision *d, size_t n,
                            const struct bd_budget *budget, uint64_t given) {
        uint64_t avail = sub_sat(budget->ram_last_kib, given), low;
        uint64_t rescue = max_u64(avail, sub_sat(budget->ram_rescue_kib, given));

        if (cfg->vm_budget_hard) {
                avail = min_u64(avail, spend(budget->vm_kib, given));
                rescue = min_u64(rescue, spend(budget->vm_kib, given));
        }
        low = grant_tier(cfg, d, n, false, TIER_LAST_LOW, rescue);
        return low + grant_tier(cfg, d, n, false, TIER_LAST, sub_sat(avail, low));
}

void bd_phase_urgent(const struct bd_config *cfg, struct bd_decision *d, size_t n, struct bd_budget *budget,
                     struct bd_host_view *view) {
        struct lines rare, freq;
        uint64_t avail, vm_before = budget->vm_kib, floor_given, last_given;
        bool claims = false;

        for (size_t i = 0; i < n; i++) {
                if (d[i].action != BD_ACTION_GROW || !d[i].want_kib)
                        continue;
                d[i].share_role = BD_ROLE_CLAIM;
                d[i].weight = (double)d[i].shares / priority(cfg, &d[i]);
                d[i].target_kib = d[i].actual_kib;
                claims = true;
        }
        if (claims) {
                /* Floors (emergencies), rare claimers first: physical RAM is
                 * the line, the budget too only when hard. */
                avail = cfg->vm_budget_hard ? min_u64(budget->ram_hard_kib, budget->vm_kib) : budget->ram_hard_kib;
                rare.floor_cut = freq.floor_cut = binding_line(budget->ram_hard_kib, avail);
                floor_given = grant_tier(cfg, d, n, false, TIER_FLOOR, avail);
                floor_given += grant_tier(cfg, d, n, true, TIER_FLOOR,
                                          min_u64(avail - floor_given, sub_sat(budget->room_kib, floor_given)));
                budget->ram_hard_kib -= floor_given;
                last_given = last_floors(cfg, d, n, budget, floor_given);
                budget->ram_hard_kib = sub_sat(budget->ram_hard_kib, last_given);
                floor_given += last_given;
                rare.crossed = freq.crossed = floor_given > budget->vm_kib;
                spend_all(budget, floor_given);
                freq.rest_cut = BD_LINE_NONE;
                if (!budget->critical) {
                        avail = min_u64(budget->ram_kib, budget->vm_kib);
                        rare.rest_cut = binding_line(budget->ram_kib, avail);
                        spend_all(budget, grant_tier(cfg, d, n, false, TIER_REST, avail));
                        /* Frequent claimers: the rest only out of the room above the goal. */
                        avail = min_u64(min_u64(budget->ram_kib, budget->vm_kib), budget->room_kib);
                        freq.rest_cut = binding_line(budget->ram_kib, avail);
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
        view->lend_burst = budget->lend_burst;
        view->share_margin = budget->share_margin;
}
