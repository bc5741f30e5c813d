/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest safety, part of phase 2 (classify): what a VM's past says about the
 * room it needs, and the balloon moves balloond did not make.
 *
 * The learned burst margin: the largest growth of the guest's used memory
 * between two consecutive reports (or over two, for a burst that straddles
 * a report) that fell back again (a spike, not a level the guest stays at),
 * halving every guest.burst_half_life_sec,
 * at most guest.burst_max_mib. It is added to the configured margin (floor =
 * used + margin + burst), so a guest that once allocated 400 MiB within one
 * report interval keeps room for it hours later. A balloon balloond moved
 * between two reports is never mistaken for a burst: growth is the change of
 * the guest's MemTotal less that of its MemAvailable (both from the guest's
 * reports, so whatever size the balloon had when each was made), or, where
 * MemTotal does not follow the balloon (deflate-on-OOM) or is not reported,
 * its lower bound from the balloon sizes around the two reports.
 *
 * A guest pinned at its size (less than half the smallest margin free)
 * shows a burst a grant at a time, with reports between grants that show no
 * growth: those do not end the run of rising reports, so the whole burst is
 * learned, not the largest grant.
 *
 * Room for another jump: a guest whose use just jumped (its largest growth
 * within a report interval, not fallen back, in the last five minutes) is in
 * the middle of something (a login, a flash crowd, a job starting) that
 * often comes in waves; half that jump is kept free on top of its margin,
 * part of its floor (bd_guard_rise). A jump that falls back is a spike: the
 * learned burst margin takes over.
 *
 * Room for the jump its peers made: a guest that has not jumped (its own
 * largest jump under half of theirs) while at least two other running VMs
 * of its shape (the same maximum size) did in the last five minutes keeps
 * room for the whole of the jump both made (the second largest), not half:
 * its peers are logging in (or taking a crowd, starting jobs) one after the
 * other, and its own turn, the first step of it, is what the jump they made
 * was (bd_guard_fleet_jump, policy_peers.c). It bounds the guest's shrinks
 * (its floor), it is not asked for: a prediction from others, not a sign from the guest
 * (asked for, the idle guests beside two flapping ones in flapping.json
 * were grown and shrunk with their peers' swings: 844 balloon changes for
 * 100). One guest's jump is not a pattern: an odd or hostile guest does not
 * make every VM of its shape hold memory.
 *
 * Moves balloond did not ask for, between two cycles that both saw the VM
 * running with a balloon balloond could set (the balloon away from both its
 * previous size and the size balloond last set or adopted, by more than the
 * deadband, and not on its way to any target balloond asked for lately:
 * a call that overran its deadline or failed may still land, and the
 * window of its target starts only when the call has returned):
 *   - up, in a guest with autodeflate='on': the guest took memory back from
 *     its balloon to survive (deflate-on-OOM), the strongest sign of need
 *     there is. The size is adopted at once (the hypervisor's target set to
 *     it, so the driver never inflates back into it), the learned margin
 *     raised by what it took, and no shrink for guest.emergency_hold_sec;
 *   - otherwise someone else set its size (virsh setmem, another tool): the
 *     VM is left alone (no shrink, no relaxed deflation) for
 *     guest.foreign_hold_sec; its guest's own needs are still granted.
 *
 * A VM balloond stops tending (blind, stuck, excluded) keeps the target
 * balloond last gave it, which its guest's driver goes on inflating toward:
 * a shrink not yet made is withdrawn (the target set to the current size);
 * a grow on its way is left to arrive. What balloond took
 * from a VM that went blind, or that a host device (VFIO: all of its memory
 * pinned, the balloon frees nothing) was plugged into, is given back within
 * the host budget (like a floor; under a VM budget, its critical lines),
 * even under pressure; a VM whose
 * reports stopped or turned impossible is owed all its balloon holds below
 * its entitlement. */
#include <math.h>
#include <string.h>

#include "balloond/core/units.h"
#include "policy_phases.h"

/* How long a balloon may still head for the target before the last. */
#define EXPECT_SETTLE_USEC (30 * USEC_PER_SEC)

/* How long a jump of the guest's use (its largest growth within a report
 * interval) that has not fallen back keeps room for another like it. */
#define RISE_HOLD_USEC (300 * USEC_PER_SEC)

/* The longest run of rising reports taken as one rise. */
#define RUN_REPORTS 12

static uint64_t tolerance(const struct bd_config *cfg) {
        return max_u64(cfg->deadband_kib, KIB_PER_MIB);
}

uint64_t bd_guard_burst(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec) {
        double half_lives;

        if (h->burst_kib <= 0.0)
                return 0;
        if (now_usec <= h->burst_usec || !cfg->burst_half_life_usec)
                return u64_of(h->burst_kib);
        half_lives = (double)(now_usec - h->burst_usec) / (double)cfg->burst_half_life_usec;
        return u64_of(h->burst_kib * exp2(-half_lives));
}

uint64_t bd_guard_rise(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec) {
        if (!h->jump_kib || now_usec < h->jump_usec || now_usec - h->jump_usec >= RISE_HOLD_USEC)
                return 0;
        return min_u64(h->jump_kib / 2, cfg->burst_max_kib);
}

uint64_t bd_guard_peer_rise(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t fleet_jump_kib,
                            uint64_t now_usec) {
        if (bd_guard_rise(cfg, h, now_usec) || h->jump_kib >= fleet_jump_kib / 2)
                return 0;
        return fleet_jump_kib;
}

uint64_t bd_guard_room(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec) {
        uint64_t burst = bd_guard_burst(cfg, h, now_usec);

        if (!h->rest_kib || !h->level_lo_kib)
                return burst;
        return sub_sat(burst, sub_sat(h->level_lo_kib, h->rest_kib));
}

static void set_burst(const struct bd_config *cfg, struct bd_vm_history *h, uint64_t kib, uint64_t now_usec) {
        h->burst_kib = (double)min_u64(kib, cfg->burst_max_kib);
        h->burst_usec = now_usec;
}

/* The growth of used memory from an earlier report (its used, MemTotal and
 * MemAvailable: USED, TOTAL, USABLE) to S's. Where the guest's MemTotal
 * follows its balloon (no deflate-on-OOM), exactly: the change of MemTotal
 * less the change of MemAvailable, whatever size the balloon had when each
 * report was made. Else its lower bound: used on the smallest size this
 * report may have been made at (LO_KIB), against the largest for the
 * earlier one. */
static uint64_t growth_of(const struct bd_vm_sample *s, uint64_t lo_kib, uint64_t used, uint64_t total,
                          uint64_t usable) {
        if (!used)
                return 0;
        if (!(s->flags & BD_VM_AUTODEFLATE) && s->available_kib != BD_KIB_UNKNOWN && total != BD_KIB_UNKNOWN &&
            total && usable != BD_KIB_UNKNOWN)
                return sub_sat(add_sat(s->available_kib, usable), add_sat(total, s->usable_kib));
        return sub_sat(sub_sat(lo_kib, s->usable_kib), used);
}

/* The guest's used memory by the report of S (bounds *LO, *HI): MemTotal
 * less MemAvailable where MemTotal follows the balloon (exact, whatever the
 * balloon did around the report), else the balloon sizes around it less
 * MemAvailable. Only its changes mean anything. */
static void used_now(const struct bd_vm_sample *s, uint64_t lo_kib, uint64_t hi_kib, uint64_t *lo, uint64_t *hi) {
        if (!(s->flags & BD_VM_AUTODEFLATE) && s->available_kib != BD_KIB_UNKNOWN && s->available_kib) {
                *lo = *hi = sub_sat(s->available_kib, s->usable_kib);
                return;
        }
        *lo = sub_sat(lo_kib, s->usable_kib);
        *hi = sub_sat(hi_kib, s->usable_kib);
}

/* A guest with less than half the smallest margin free: its use is held
 * at its size by its balloon, so a report that shows no growth between two
 * grants is a pause in a rise, not its end. */
static bool pinned(const struct bd_config *cfg, const struct bd_vm_sample *s) {
        return s->usable_kib != BD_KIB_UNKNOWN && s->usable_kib < cfg->margin_min_kib / 2;
}

/* A rise of GROWTH is remembered; it becomes the learned burst margin when
 * used memory falls back by half of it (a spike: the guest will want that
 * room again). A rise that stays (a login, a service started) is the
 * guest's new use, already in its floor: counting it again as a burst
 * would keep that much idle memory beside it for hours. A rise not fallen
 * back within a half-life is forgotten. */
static void spike(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h, uint64_t lo_kib,
                  uint64_t hi_kib, uint64_t growth, uint64_t now_usec) {
        uint64_t lo, hi;

        used_now(s, lo_kib, hi_kib, &lo, &hi);
        /* The largest jump within one report interval (two, across a
         * report) lately: room for another like it for a while. */
        if (growth >= tolerance(cfg) &&
            (growth >= h->jump_kib || now_usec < h->jump_usec || now_usec - h->jump_usec >= RISE_HOLD_USEC)) {
                h->jump_kib = growth;
                h->jump_usec = now_usec;
        }
        /* A guest held back by its balloon grows a grant at a time: the
         * whole run of rising reports (at most RUN_REPORTS, not counting
         * the reports between grants while it has no free memory) is one
         * rise. */
        if (growth >= tolerance(cfg) && h->prev_level_kib) {
                if (!h->run_base_kib || h->run_reports >= RUN_REPORTS) {
                        h->run_base_kib = h->prev_level_kib;
                        h->run_reports = 0;
                }
                h->run_reports++;
                growth = max_u64(growth, sub_sat(lo, h->run_base_kib));
        } else if (!h->run_base_kib || !pinned(cfg, s)) {
                h->run_base_kib = 0;
                h->run_reports = 0;
        }
        h->prev_level_kib = max_u64(hi, 1);
        /* The resting use: the lowest lately, following a lasting rise by
         * a sixteenth of the way each report. */
        h->level_lo_kib = max_u64(lo, 1);
        if (!h->rest_kib || lo < h->rest_kib)
                h->rest_kib = max_u64(lo, 1);
        else
                h->rest_kib += (lo - h->rest_kib) / 16;
        if (h->rise_kib && now_usec - h->rise_usec > cfg->burst_half_life_usec)
                h->rise_kib = 0;
        if (growth >= tolerance(cfg) && growth > h->rise_kib) {
                h->rise_kib = growth;
                h->rise_peak_kib = lo;
                h->rise_usec = now_usec;
        } else if (h->rise_kib) {
                h->rise_peak_kib = max_u64(h->rise_peak_kib, lo);
        }
        if (h->rise_kib && add_sat(hi, h->rise_kib / 2) <= h->rise_peak_kib) {
                if (h->rise_kib > bd_guard_burst(cfg, h, now_usec))
                        set_burst(cfg, h, h->rise_kib, now_usec);
                h->rise_kib = 0;
                h->jump_kib = 0; /* a spike, over: the learned margin has room for the next */
        }
}

/* The burst is the growth within one report interval; a burst that
 * straddles a report shows in two, so the growth over the last two counts
 * too. */
void bd_guard_learn(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                    uint64_t lo_kib, uint64_t hi_kib, bool new_report, bool reset, uint64_t now_usec) {
        uint64_t growth;
        int64_t period;

        if (!new_report)
                return;
        if (reset) {
                h->prev_used_kib = h->prev2_used_kib = h->rise_kib = h->run_base_kib = h->prev_level_kib = 0;
                h->level_lo_kib = h->rest_kib = h->jump_kib = 0;
        }
        period = s->stats_period_sec > 0 ? s->stats_period_sec : cfg->stats_period_sec;
        if (cfg->burst_max_kib) {
                growth = growth_of(s, lo_kib, h->prev_used_kib, h->prev_total_kib, h->prev_usable_kib);
                /* Over two reports only when they were two report intervals apart, give or take one. */
                if (cfg->check_stats_age && h->prev2_sec > 0 && s->last_update_sec > 0 &&
                    s->last_update_sec >= h->prev2_sec && s->last_update_sec - h->prev2_sec <= 3 * (int64_t)period)
                        growth = max_u64(growth, growth_of(s, lo_kib, h->prev2_used_kib, h->prev2_total_kib,
                                                           h->prev2_usable_kib));
                spike(cfg, s, h, lo_kib, hi_kib, growth, now_usec);
        }
        h->prev2_sec = h->prev_last_update_sec;
        h->prev2_used_kib = h->prev_used_kib;
        h->prev2_total_kib = h->prev_total_kib;
        h->prev2_usable_kib = h->prev_usable_kib;
        h->prev_used_kib = max_u64(sub_sat(hi_kib, s->usable_kib), 1);
        h->prev_total_kib = s->available_kib;
        h->prev_usable_kib = s->usable_kib;
}

/* TARGET_KIB asked for at NOW_USEC: newest first; asking for one already
 * kept renews it. */
void bd_guard_asked(struct bd_vm_history *h, uint64_t target_kib, uint64_t now_usec) {
        size_t k = 0;

        if (!target_kib)
                return;
        while (k < BD_ASKED_KEEP - 1 && h->asked_kib[k] != target_kib)
                k++;
        for (; k > 0; k--) {
                h->asked_kib[k] = h->asked_kib[k - 1];
                h->asked_usec[k] = h->asked_usec[k - 1];
        }
        h->asked_kib[0] = target_kib;
        h->asked_usec[0] = now_usec;
}

void bd_guard_expect(struct bd_vm_history *h, uint64_t target_kib, uint64_t now_usec) {
        h->expect_kib = target_kib;
        bd_guard_asked(h, target_kib, now_usec);
}

bool bd_guard_settable(const struct bd_vm_sample *s, const struct bd_vm_history *h) {
        return s->state == BD_RUN_RUNNING && !(s->flags & (BD_VM_NO_BALLOON | BD_VM_UNSUPPORTED)) && !h->unsupported &&
               s->actual_kib != BD_KIB_UNKNOWN && s->actual_kib != 0;
}

/* Is the balloon at ACTUAL on its way from where it was (the previous
 * cycle's size) to a target balloond asked for: the size it expects, or
 * one asked for within the settle window (a slow balloon still heading for
 * the target before the last; a call that overran or failed landing late)? */
static bool own_move(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                     uint64_t now_usec) {
        uint64_t actual = s->actual_kib, prev = h->prev_actual_kib, tol = tolerance(cfg), t;

        if (actual <= add_sat(max_u64(prev, h->expect_kib), tol) &&
            add_sat(actual, tol) >= min_u64(prev, h->expect_kib))
                return true;
        for (size_t k = 0; k < BD_ASKED_KEEP; k++) {
                if (!(t = h->asked_kib[k]))
                        continue;
                if (now_usec - h->asked_usec[k] >= EXPECT_SETTLE_USEC)
                        continue;
                if (actual <= add_sat(max_u64(prev, t), tol) && add_sat(actual, tol) >= min_u64(prev, t))
                        return true;
        }
        return false;
}

void bd_guard_moves(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                    uint64_t now_usec, struct bd_decision *d) {
        uint64_t actual = s->actual_kib, tol = tolerance(cfg), up, down;

        /* While a call balloond made is still out, the windows of its
         * targets are renewed: they start when the call returns. */
        if (s->flags & BD_VM_SET_PENDING)
                for (size_t k = 0; k < BD_ASKED_KEEP; k++)
                        h->asked_usec[k] = h->asked_kib[k] ? now_usec : 0;
        if (!bd_guard_settable(s, h)) {
                h->tended = false;
                return;
        }
        /* Only between two samples of the same run, each with a balloon
         * balloond could set: a VM just started, resumed from being
         * excluded or first seen starts from where it is. */
        if (!h->seen || !h->prev_settable || !h->expect_kib || !h->prev_actual_kib) {
                h->expect_kib = actual;
                return;
        }
        if (own_move(cfg, s, h, now_usec))
                return;
        /* Nor is a balloon going down before balloond first judged the VM
         * ok and asked it anything: a VM started with <currentMemory> under
         * <memory> inflates to it while its guest has not reported yet
         * (the e2e's bd-bu, seen at 535 MiB, then at 448: "moved by 87 MiB
         * without balloond", held 30 minutes). */
        if (!h->tended && !h->asked_kib[0] && actual < h->prev_actual_kib) {
                h->expect_kib = actual;
                return;
        }
        /* How far the balloon moved away from both its last size and where
         * balloond sent it (UP, DOWN). */
        up = sub_sat(actual, max_u64(h->prev_actual_kib, h->expect_kib));
        down = sub_sat(min_u64(h->prev_actual_kib, h->expect_kib), actual);
        if (up > tol && (s->flags & BD_VM_AUTODEFLATE)) {
                d->self_deflated_kib = up;
                if (cfg->burst_max_kib)
                        set_burst(cfg, h, add_sat(bd_guard_burst(cfg, h, now_usec), up), now_usec);
                h->emergency_until_usec = add_sat(now_usec, cfg->emergency_hold_usec);
                d->withdraw = true; /* adopt: the hypervisor's target becomes this size */
        } else {
                d->foreign_kib = up > tol ? up : down;
                h->foreign_until_usec = add_sat(now_usec, cfg->foreign_hold_usec);
        }
        /* balloond's own targets are superseded. */
        h->expect_kib = actual;
        memset(h->asked_kib, 0, sizeof(h->asked_kib));
        h->target_kib = 0;
        h->stuck = false;
}

enum bd_reason bd_guard_hold(const struct bd_vm_history *h, uint64_t now_usec) {
        if (h->emergency_until_usec > now_usec)
                return BD_REASON_GUEST_DEFLATED;
        if (h->foreign_until_usec > now_usec)
                return BD_REASON_FOREIGN_TARGET;
        return BD_REASON_STEADY;
}

/* Ask for what balloond took back, within the host budget: like a floor
 * (what RAM has above the host's reserve) where no VM budget is set, for a
 * guest balloond cannot see may be starving; else above RAM's and the VM
 * budget's critical lines, not when the host is critical. Not when a grow
 * balloond set is still on its way there (a lower target would inflate the
 * balloon back), nor for less than a change is worth. */
static void give_back(const struct bd_config *cfg, struct bd_vm_history *h, uint64_t pending_kib,
                      struct bd_decision *d) {
        uint64_t want = min_u64(d->max_kib, add_sat(d->actual_kib, h->taken_kib));

        if (pending_kib && add_sat(pending_kib, tolerance(cfg)) >= want)
                return;
        if (want < add_sat(d->actual_kib, bd_deadband_kib(cfg, d->actual_kib))) {
                h->taken_kib = 0; /* what is left is rounding */
                return;
        }
        d->action = BD_ACTION_GROW;
        d->reason = BD_REASON_GIVE_BACK;
        d->want_kib = want;
        d->target_kib = want;
        /* An emergency (the floor tier: physical RAM is the line) where no
         * VM budget is set; under a budget, past the floors balloond knows
         * it would cross it (an end-to-end run left the budget critical). */
        d->floor_grow_kib = cfg->vm_budget_kib ? d->actual_kib : want;
        d->limit_kib = want - d->actual_kib;
}

/* What S's balloon holds below its entitlement (0: not known). */
static uint64_t owed_kib(const struct bd_vm_sample *s) {
        uint64_t entitled = bd_policy_entitled_kib(s);

        if (s->actual_kib == BD_KIB_UNKNOWN || s->actual_kib == 0 || entitled == BD_KIB_UNKNOWN)
                return 0;
        return sub_sat(entitled, s->actual_kib);
}

/* Is S blind only because its report shows memory of the grow PENDING_KIB
 * that libvirt's size does not show yet (sane against that size)? */
static bool ahead_of_grow(const struct bd_vm_sample *s, uint64_t pending_kib) {
        struct bd_vm_sample at_target;

        if (!pending_kib || s->usable_kib == BD_KIB_UNKNOWN || s->actual_kib == BD_KIB_UNKNOWN ||
            s->usable_kib <= s->actual_kib)
                return false;
        at_target = *s;
        at_target.actual_kib = pending_kib;
        return bd_policy_stats_insane(s, NULL) && !bd_policy_stats_insane(&at_target, NULL);
}

void bd_guard_untended(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                       struct bd_decision *d) {
        bool settable = bd_guard_settable(s, h);
        /* A grow balloond set that the balloon is still making: kept. */
        uint64_t pending = settable && h->target_kib > add_sat(s->actual_kib, tolerance(cfg)) ? h->target_kib : 0;

        /* A shrink it no longer stands behind: withdrawn. */
        if (settable && h->target_kib && add_sat(h->target_kib, tolerance(cfg)) < s->actual_kib)
                d->withdraw = true;
        h->target_kib = pending;
        h->stuck = false;
        /* A size someone else set lives as long as the run it was set in. */
        if (s->state == BD_RUN_SHUTOFF)
                h->foreign_until_usec = 0;
        /* Its next report is compared with nothing older; but a report only
         * ahead of libvirt's size during balloond's own grow (QEMU tells the
         * new size at most once a second, the guest may report first) is a
         * moment, not a gap: what the guest's rise showed so far is kept. */
        if (!ahead_of_grow(s, pending)) {
                h->prev_used_kib = h->prev2_used_kib = h->rise_kib = h->run_base_kib = h->prev_level_kib = 0;
                h->level_lo_kib = h->rest_kib = 0;
        }
        /* A host device plugged in since the last cycle: its memory is
         * pinned, a balloon frees nothing; what balloond holds is owed. */
        if ((s->flags & BD_VM_VFIO) && h->seen && !(h->prev_flags & BD_VM_VFIO) && settable)
                h->taken_kib = max_u64(h->taken_kib, owed_kib(s));
        /* A guest whose reports stopped or turned impossible may need what
         * it used to have and cannot say so: it is owed all its balloon
         * holds below its entitlement, not only balloond's own shrinks
         * (a restarted balloond counts those from 0; a size relaxed
         * deflation gave it says nothing of what it needs now). Not for a
         * guest that never reported (a VM just started, a period just
         * set): what it holds was never judged blind. */
        if (settable && (d->status_reason == BD_REASON_STATS_STALE || d->status_reason == BD_REASON_STATS_INVALID))
                h->taken_kib = max_u64(h->taken_kib, owed_kib(s));
        if (settable && h->taken_kib && s->max_kib != BD_KIB_UNKNOWN && s->max_kib != 0 && d->max_kib <= s->max_kib &&
            (d->status == BD_STATUS_BLIND || d->reason == BD_REASON_VFIO))
                give_back(cfg, h, pending, d);
}
