/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The balloon policy. Pure: plain structs in, plain structs out; no I/O, no
 * clock, no allocation.
 *
 * One cycle, in order:
 *  1. Host: free memory is the tighter of RAM (MemAvailable - reserve, of
 *     MemTotal) and the VM budget (budget - sum of the VMs' sizes, of the
 *     budget). It falls in a band (relaxed / normal / pressure / critical) with
 *     hysteresis; PSI "full avg10" at or above its threshold makes it critical.
 *  2. Each VM is classified: excluded (state, devices, config, metadata,
 *     permanent errors), blind (stats never reported, stale, insane), stuck
 *     (balloon not moving toward the last target), or ok.
 *  3. OK VMs get a floor, max(min, used + margin), and their guest pressure is
 *     read: free below the margin, swap-in, a burst of major faults. A guest
 *     under pressure grows at once to used + 2 x margin (more on swap-in or
 *     faults), whatever the host band: its memory is then taken from others.
 *  4. Under pressure (or to fund those grows) memory is reclaimed from VMs
 *     above their floor, shared by weight = (active + k x idle) / shares
 *     (ESXi's idle memory tax, k = 1 / (1 - tax)), each VM limited by its rate
 *     limit, the whole host by the per-cycle cap. Never from a VM that swaps
 *     out, was changed within the cooldown, or grew for pressure recently.
 *  5. When relaxed, balloons deflate toward each VM's maximum within the room
 *     the host has above the pressure edge, shared by shares.
 *  6. Changes under the deadband are dropped.
 */
#include <math.h>
#include <string.h>

#include "balloond/core/policy.h"
#include "balloond/core/units.h"

/* Leeway for guest-reported sizes against the balloon size. */
#define SANITY_SLACK_KIB (64 * KIB_PER_MIB)
/* Bisection steps for the water level of a fill: 2^-64 of the range. */
#define FILL_STEPS 64

uint64_t bd_policy_margin_kib(const struct bd_config *cfg, uint64_t used_kib) {
        return max_u64(pct_of(cfg->margin_pct, used_kib), cfg->margin_min_kib);
}

static enum bd_band classify(const struct bd_config *cfg, double free_pct) {
        if (free_pct < cfg->critical_free_pct)
                return BD_BAND_CRITICAL;
        if (free_pct < cfg->pressure_free_pct)
                return BD_BAND_PRESSURE;
        if (free_pct >= cfg->relaxed_free_pct)
                return BD_BAND_RELAXED;
        return BD_BAND_NORMAL;
}

enum bd_band bd_policy_band(const struct bd_config *cfg, double free_pct, enum bd_band prev,
                            bool seen) {
        enum bd_band raw = classify(cfg, free_pct), held;

        if (!seen || raw >= prev) /* same or worse: at once */
                return raw;
        /* Better: only as far as free memory is past the edge by the hysteresis. */
        held = classify(cfg, free_pct - cfg->hysteresis_pct);
        return held < prev ? held : prev;
}

const char *bd_policy_stats_insane(const struct bd_vm_sample *s, const struct bd_vm_history *h) {
        if (s->actual_kib == BD_KIB_UNKNOWN || s->actual_kib == 0)
                return "balloon size unknown";
        if (s->max_kib == BD_KIB_UNKNOWN || s->max_kib == 0)
                return "balloon maximum unknown";
        if (s->actual_kib > add_sat(s->max_kib, SANITY_SLACK_KIB))
                return "balloon size above maximum";
        if (s->usable_kib != BD_KIB_UNKNOWN) {
                if (s->available_kib != BD_KIB_UNKNOWN && s->usable_kib > s->available_kib)
                        return "free memory above total";
                if (s->usable_kib > add_sat(s->actual_kib, SANITY_SLACK_KIB))
                        return "free memory above balloon size";
        }
        if (s->unused_kib != BD_KIB_UNKNOWN && s->available_kib != BD_KIB_UNKNOWN &&
            s->unused_kib > s->available_kib)
                return "unused memory above total";
        if (s->available_kib != BD_KIB_UNKNOWN && s->available_kib > add_sat(s->max_kib, SANITY_SLACK_KIB))
                return "total memory above maximum";
        if (s->disk_caches_kib != BD_KIB_UNKNOWN &&
            s->disk_caches_kib > add_sat(s->actual_kib, SANITY_SLACK_KIB))
                return "page cache above balloon size";
        if (h && h->seen) {
                if (s->swap_in_kib != BD_COUNT_UNKNOWN && h->prev_swap_in_kib != BD_COUNT_UNKNOWN &&
                    s->swap_in_kib < h->prev_swap_in_kib)
                        return "swap-in counter went backwards";
                if (s->swap_out_kib != BD_COUNT_UNKNOWN &&
                    h->prev_swap_out_kib != BD_COUNT_UNKNOWN &&
                    s->swap_out_kib < h->prev_swap_out_kib)
                        return "swap-out counter went backwards";
                if (s->major_faults != BD_COUNT_UNKNOWN &&
                    h->prev_major_faults != BD_COUNT_UNKNOWN &&
                    s->major_faults < h->prev_major_faults)
                        return "major fault counter went backwards";
                if (s->last_update_sec != BD_TIME_UNKNOWN &&
                    h->prev_last_update_sec != BD_TIME_UNKNOWN &&
                    s->last_update_sec < h->prev_last_update_sec)
                        return "last-update went backwards";
        }
        return NULL;
}

/* ---- classification of one VM ------------------------------------------ */

static enum bd_reason exclusion(const struct bd_vm_sample *s, const struct bd_vm_history *h,
                                const struct bd_vm_settings *set) {
        switch (s->state) {
        case BD_RUN_RUNNING:
                break;
        case BD_RUN_PAUSED:
                return BD_REASON_PAUSED;
        case BD_RUN_SHUTOFF:
                return BD_REASON_SHUT_OFF;
        case BD_RUN_MIGRATING:
                return BD_REASON_MIGRATING;
        default:
                return BD_REASON_NOT_RUNNING;
        }
        if (s->flags & BD_VM_NO_BALLOON)
                return BD_REASON_NO_BALLOON;
        if (s->flags & BD_VM_VFIO)
                return BD_REASON_VFIO;
        if (s->flags & BD_VM_LOCKED)
                return BD_REASON_LOCKED_MEMORY;
        if (s->flags & BD_VM_HUGEPAGES)
                return BD_REASON_HUGEPAGES;
        if ((s->flags & BD_VM_UNSUPPORTED) || h->unsupported)
                return BD_REASON_UNSUPPORTED;
        if (set->excluded)
                return set->excluded_by_class ? BD_REASON_EXCLUDED_CLASS : BD_REASON_EXCLUDED_CONFIG;
        if (s->flags & BD_VM_TAG_EXCLUDE)
                return BD_REASON_EXCLUDED_METADATA;
        return BD_REASON_STEADY;
}

static enum bd_reason blindness(const struct bd_config *cfg, const struct bd_vm_sample *s,
                                const struct bd_vm_history *h, int64_t now_wall_sec) {
        int64_t period_sec, max_age_sec;

        if (s->usable_kib == BD_KIB_UNKNOWN || s->last_update_sec == BD_TIME_UNKNOWN ||
            s->last_update_sec <= 0)
                return BD_REASON_STATS_NEVER;
        if (bd_policy_stats_insane(s, h))
                return BD_REASON_STATS_INVALID;
        if (!cfg->check_stats_age)
                return BD_REASON_STEADY;
        period_sec = s->stats_period_sec > 0 ? s->stats_period_sec : cfg->stats_period_sec;
        max_age_sec = 3 * period_sec + (int64_t)(cfg->stats_slack_usec / USEC_PER_SEC);
        if (s->last_update_sec > now_wall_sec + max_age_sec)
                return BD_REASON_STATS_INVALID; /* from the future */
        if (now_wall_sec - s->last_update_sec > max_age_sec)
                return BD_REASON_STATS_STALE;
        return BD_REASON_STEADY;
}

bool bd_policy_untouchable(const struct bd_config *cfg, const struct bd_vm_sample *vm, int64_t now_wall_sec) {
        struct bd_vm_history none = { 0 };
        struct bd_vm_settings set;

        bd_config_vm_settings(cfg, vm, &set);
        return exclusion(vm, &none, &set) != BD_REASON_STEADY ||
               blindness(cfg, vm, &none, now_wall_sec) != BD_REASON_STEADY;
}

/* Track the balloon's progress toward the target last applied. Returns true
 * when it is stuck (and should be left alone). */
static bool track_stuck(const struct bd_config *cfg, const struct bd_vm_sample *s,
                        struct bd_vm_history *h, uint64_t now_usec) {
        uint64_t dist, tolerance;

        if (h->target_kib == 0)
                return false;
        dist = dist_u64(s->actual_kib, h->target_kib);
        tolerance = max_u64(cfg->deadband_kib, KIB_PER_MIB);
        if (dist <= tolerance) { /* arrived */
                h->target_kib = 0;
                h->stuck = false;
                return false;
        }
        if (add_sat(dist, KIB_PER_MIB) <= h->best_distance_kib) { /* moving */
                h->best_distance_kib = dist;
                h->progress_usec = now_usec;
                h->stuck = false;
                return false;
        }
        if (h->stuck) {
                if (now_usec - h->stuck_since_usec < cfg->stuck_retry_usec)
                        return true;
                /* Retry: forget the old target; a new one may be set this cycle. */
                h->stuck = false;
                h->target_kib = 0;
                return false;
        }
        if (now_usec - h->progress_usec >= cfg->stuck_after_usec) {
                h->stuck = true;
                h->stuck_since_usec = now_usec;
                return true;
        }
        return false;
}

static uint64_t counter_delta(uint64_t cur, uint64_t prev, bool seen) {
        if (!seen || cur == BD_COUNT_UNKNOWN || prev == BD_COUNT_UNKNOWN || cur < prev)
                return 0;
        return cur - prev;
}

static void remember_counters(struct bd_vm_history *h, const struct bd_vm_sample *s,
                              uint64_t now_usec) {
        h->prev_swap_in_kib = s->swap_in_kib;
        h->prev_swap_out_kib = s->swap_out_kib;
        h->prev_major_faults = s->major_faults;
        h->prev_last_update_sec = s->last_update_sec;
        h->prev_sample_usec = now_usec;
        h->seen = true;
}

/* ---- sharing memory out --------------------------------------------------- */

enum role {
        ROLE_NONE = 0, /* decided, takes no part in sharing */
        ROLE_DONOR,    /* may give memory (limit_kib: the most it may give) */
        ROLE_TAKER,    /* relaxed: may take memory (limit_kib: the most it may take) */
};

/* Share AMOUNT among the VMs of ROLE: each gets min(limit, level x weight) in
 * share_kib, the level chosen by bisection (O(n) per step, no sorting, no
 * allocation) so that the shares add up to AMOUNT or every limit is reached. */
static void fill(struct bd_decision *d, size_t n, int role, uint64_t amount) {
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

static uint64_t deadband_kib(const struct bd_config *cfg, uint64_t actual_kib) {
        return max_u64(cfg->deadband_kib, pct_of(cfg->deadband_pct, actual_kib));
}

/* Shares under the deadband are dropped. What they would have moved is not
 * lost: it goes to a VM that already moves and can take it, else to the
 * heaviest idle one, as a change of at least its deadband (the goal may be
 * overshot by less than a deadband, never undershot for good: a host just
 * short of its goal would otherwise stay in its band forever). Bounded by
 * AMOUNT / smallest deadband picks, each O(n). */
static void apply_deadband(const struct bd_config *cfg, struct bd_decision *d, size_t n, int role,
                           uint64_t amount, uint64_t ceiling) {
        uint64_t kept = 0, leftover, piece;

        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role != role)
                        continue;
                if (d[i].share_kib < deadband_kib(cfg, d[i].actual_kib))
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
                        } else if (d[i].limit_kib >= deadband_kib(cfg, d[i].actual_kib) &&
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
                piece = min_u64(d[fresh].limit_kib, max_u64(deadband_kib(cfg, d[fresh].actual_kib), leftover));
                if (kept + piece > ceiling)
                        return; /* the host cap (or room) is not to be passed for a deadband */
                d[fresh].share_kib = piece;
                kept += piece;
                leftover = sub_sat(leftover, piece);
        }
}

/* ---- the cycle -------------------------------------------------------------- */

struct constraint {
        uint64_t free_kib;
        uint64_t base_kib;
};

static double constraint_pct(const struct constraint *c) {
        return c->base_kib ? 100.0 * (double)c->free_kib / (double)c->base_kib : 0.0;
}

/* Fill VIEW's host figures (band aside). */
static void host_constraints(const struct bd_config *cfg, const struct bd_host_sample *host,
                             uint64_t vm_total_kib, struct constraint *ram,
                             struct constraint *budget) {
        ram->free_kib = sub_sat(host->mem_available_kib, cfg->host_reserve_kib);
        ram->base_kib = host->mem_total_kib;
        budget->base_kib = cfg->vm_budget_kib;
        budget->free_kib = sub_sat(cfg->vm_budget_kib, vm_total_kib);
}

/* Goal free memory of a constraint: just past the pressure edge plus the
 * hysteresis, where the band is left (rounded up, so that reaching the goal
 * does leave it). */
static uint64_t goal_kib(const struct bd_config *cfg, const struct constraint *c) {
        return add_sat(pct_of(cfg->pressure_free_pct + cfg->hysteresis_pct, c->base_kib), 1);
}

/* How far a constraint's free memory is short of its goal (> 0) or past it
 * (< 0), within +-INT64_MAX: the host's own numbers may reach 2^64 - 1. */
static int64_t shortfall_kib(const struct bd_config *cfg, const struct constraint *c) {
        uint64_t goal = goal_kib(cfg, c);

        if (goal >= c->free_kib)
                return (int64_t)min_u64(goal - c->free_kib, INT64_MAX);
        return -(int64_t)min_u64(c->free_kib - goal, INT64_MAX);
}

static bool holds_memory(enum bd_run_state s) {
        return s != BD_RUN_SHUTOFF;
}

static void decide_none(struct bd_decision *d, enum bd_reason reason, enum bd_vm_status status) {
        d->action = BD_ACTION_NONE;
        d->reason = reason;
        d->status = status;
        d->target_kib = d->actual_kib;
}

void bd_policy_run(const struct bd_config *cfg, const struct bd_host_sample *host,
                   const struct bd_vm_sample *samples, struct bd_vm_history *history,
                   size_t n, struct bd_host_state *host_state, uint64_t now_usec,
                   int64_t now_wall_sec, struct bd_decision *decisions,
                   struct bd_host_view *view) {
        struct constraint ram, budget;
        uint64_t vm_total_kib = 0, urgent_kib = 0, in_flight_kib = 0, need_kib = 0, room_kib;
        uint64_t reclaim_kib = 0, cap_left_kib = cfg->host_shrink_cap_kib;
        int64_t goal = 0, room = INT64_MAX;
        /* ESXi idle memory tax: an idle page costs k = 1 / (1 - tax) active ones. */
        double idle_cost = cfg->idle_tax_pct < 100.0 ? 100.0 / (100.0 - cfg->idle_tax_pct) : 1e6;
        bool critical;

        memset(view, 0, sizeof(*view));

        /* 1. Host. */
        for (size_t i = 0; i < n; i++)
                if (holds_memory(samples[i].state) && samples[i].actual_kib != BD_KIB_UNKNOWN)
                        vm_total_kib = add_sat(vm_total_kib, samples[i].actual_kib);
        host_constraints(cfg, host, vm_total_kib, &ram, &budget);
        view->vm_total_kib = vm_total_kib;
        view->free_kib = ram.free_kib;
        view->base_kib = ram.base_kib;
        view->free_pct = constraint_pct(&ram);
        if (budget.base_kib && constraint_pct(&budget) < view->free_pct) {
                view->free_kib = budget.free_kib;
                view->base_kib = budget.base_kib;
                view->free_pct = constraint_pct(&budget);
                view->budget_binds = true;
        }
        view->band = bd_policy_band(cfg, view->free_pct, host_state->band, host_state->seen);
        if (host->psi_valid && host->psi_full_avg10_pct >= cfg->psi_critical_pct &&
            view->band != BD_BAND_CRITICAL) {
                view->band = BD_BAND_CRITICAL;
                view->psi_escalated = true;
        }
        host_state->band = view->band;
        host_state->seen = true;
        critical = view->band == BD_BAND_CRITICAL;

        /* Reclaim goal and grow room, over both constraints. */
        {
                int64_t g = shortfall_kib(cfg, &ram);

                goal = g;
                room = -g;
                if (budget.base_kib) {
                        g = shortfall_kib(cfg, &budget);
                        if (g > goal)
                                goal = g;
                        if (-g < room)
                                room = -g;
                }
        }
        if (view->band < BD_BAND_PRESSURE)
                goal = 0;
        else if (goal <= 0 && critical)
                /* Critical by PSI with nominally enough free memory: take one
                 * cap's worth so the host recovers. */
                goal = (int64_t)cfg->host_shrink_cap_kib;
        if (room < 0)
                room = 0;

        /* 2. Classify each VM. */
        for (size_t i = 0; i < n; i++) {
                const struct bd_vm_sample *s = &samples[i];
                struct bd_vm_history *h = &history[i];
                struct bd_decision *d = &decisions[i];
                struct bd_vm_settings set;
                enum bd_reason why;
                uint64_t dom_max, used, dt_usec, faults;
                bool low_free, swap_in, fault_burst;

                memset(d, 0, sizeof(*d));
                bd_config_vm_settings(cfg, s, &set);
                /* Unknown sizes stay BD_KIB_UNKNOWN: such a VM is excluded or blind. */
                d->actual_kib = s->actual_kib;
                d->target_kib = d->actual_kib;
                dom_max = s->max_kib;
                d->max_kib = set.max_kib && set.max_kib < dom_max ? set.max_kib : dom_max;
                d->usable_kib = s->usable_kib;
                d->stats_sec = s->last_update_sec;
                d->used_kib = BD_KIB_UNKNOWN;
                d->shares = set.shares > 0 ? set.shares : 1;

                why = exclusion(s, h, &set);
                if (why != BD_REASON_STEADY) {
                        decide_none(d, why, BD_STATUS_EXCLUDED);
                        remember_counters(h, s, now_usec);
                        h->target_kib = 0; /* paused or migrating time is not "not moving" */
                        h->stuck = false;
                        continue;
                }
                why = blindness(cfg, s, h, now_wall_sec);
                if (why != BD_REASON_STEADY) {
                        decide_none(d, why, BD_STATUS_BLIND);
                        remember_counters(h, s, now_usec);
                        h->target_kib = 0; /* no stuck verdict on a VM we cannot see */
                        h->stuck = false;
                        continue;
                }
                used = sub_sat(s->actual_kib, s->usable_kib);
                d->used_kib = used;
                d->margin_kib = bd_policy_margin_kib(cfg, used);
                d->floor_kib = min_u64(max_u64(set.min_kib, add_sat(used, d->margin_kib)), dom_max);
                if (d->floor_kib > d->max_kib)
                        d->max_kib = d->floor_kib; /* a rule's max below the floor: safety wins */

                dt_usec = h->seen && now_usec > h->prev_sample_usec ? now_usec - h->prev_sample_usec : 0;
                faults = counter_delta(s->major_faults, h->prev_major_faults, h->seen);
                low_free = s->usable_kib < d->margin_kib;
                swap_in = counter_delta(s->swap_in_kib, h->prev_swap_in_kib, h->seen) > 0;
                fault_burst = dt_usec > 0 &&
                              (double)faults * USEC_PER_SEC / (double)dt_usec >
                                      (double)cfg->major_faults_per_sec;
                d->swapping_out = counter_delta(s->swap_out_kib, h->prev_swap_out_kib, h->seen) > 0;
                d->guest_pressure = low_free || swap_in || fault_burst;
                remember_counters(h, s, now_usec);
                /* A stuck balloon is left alone, unless its guest now needs
                 * memory: then the grow replaces the target it cannot reach
                 * (a balloon that cannot inflate often means a guest short
                 * of memory). */
                if (track_stuck(cfg, s, h, now_usec) && !d->guest_pressure && s->actual_kib >= d->floor_kib) {
                        decide_none(d, BD_REASON_STUCK, BD_STATUS_STUCK);
                        d->floor_kib = 0;
                        continue;
                }
                if (h->target_kib && h->target_kib < s->actual_kib && !d->guest_pressure)
                        in_flight_kib = add_sat(in_flight_kib, s->actual_kib - h->target_kib);

                if (d->guest_pressure || s->actual_kib < d->floor_kib) {
                        uint64_t want = d->floor_kib;

                        if (d->guest_pressure)
                                want = max_u64(want, add_sat(add_sat(used, d->margin_kib), d->margin_kib));
                        if (swap_in || fault_burst)
                                want = max_u64(want, add_sat(s->actual_kib, cfg->swap_in_grow_kib));
                        want = min_u64(want, d->max_kib);
                        d->reason = low_free      ? BD_REASON_GUEST_LOW_FREE
                                    : swap_in     ? BD_REASON_GUEST_SWAP_IN
                                    : fault_burst ? BD_REASON_GUEST_MAJOR_FAULTS
                                                  : BD_REASON_BELOW_MIN;
                        if (want > s->actual_kib) {
                                d->action = BD_ACTION_GROW;
                                d->target_kib = want;
                                d->limit_kib = want - s->actual_kib;
                                urgent_kib = add_sat(urgent_kib, want - s->actual_kib);
                                continue;
                        }
                        /* Pressure but already at its maximum. */
                        decide_none(d, BD_REASON_AT_MAX, BD_STATUS_OK);
                        continue;
                }
                d->reason = BD_REASON_STEADY;
        }

        /* 3. Who may give (under pressure, or to fund guest-pressure grows)
         * and who may take (relaxed band). */
        view->reclaim_goal_kib = goal;
        if (goal > 0)
                need_kib = sub_sat((uint64_t)goal, in_flight_kib);
        if ((uint64_t)room < urgent_kib)
                need_kib = add_sat(need_kib, urgent_kib - (uint64_t)room);
        room_kib = sub_sat((uint64_t)room, urgent_kib);
        for (size_t i = 0; i < n; i++) {
                struct bd_vm_history *h = &history[i];
                struct bd_decision *d = &decisions[i];
                bool cooling;
                uint64_t rate, active, idle;

                /* Given back only from a known size toward a known maximum: a
                 * "grow" from a size reported as 0, or past a domain maximum
                 * nobody knows, may be a shrink or a refusal in truth. */
                if (d->status == BD_STATUS_BLIND && cfg->blind_action == BD_BLIND_DEFLATE &&
                    view->band < BD_BAND_PRESSURE && d->actual_kib != BD_KIB_UNKNOWN &&
                    d->actual_kib != 0 && samples[i].max_kib != BD_KIB_UNKNOWN && d->actual_kib < d->max_kib) {
                        d->limit_kib = d->max_kib - d->actual_kib;
                        d->weight = (double)d->shares;
                        d->share_role = ROLE_TAKER;
                        continue;
                }
                if (d->status != BD_STATUS_OK || d->action != BD_ACTION_NONE ||
                    d->reason != BD_REASON_STEADY)
                        continue;
                cooling = h->last_change_usec && now_usec - h->last_change_usec < cfg->cooldown_usec;
                if (d->actual_kib > d->max_kib) { /* above a rule's maximum */
                        rate = min_u64(min_u64(pct_of(cfg->shrink_pct, d->actual_kib), cfg->shrink_max_kib),
                                       cap_left_kib);
                        if (d->swapping_out) {
                                d->reason = BD_REASON_GUEST_SWAP_OUT;
                                continue;
                        }
                        if (cooling) {
                                d->reason = BD_REASON_COOLDOWN;
                                continue;
                        }
                        if (cfg->check_stats_age && h->last_change_usec &&
                            samples[i].last_update_sec <= h->change_stats_sec) {
                                d->reason = BD_REASON_AWAIT_STATS;
                                continue;
                        }
                        if (rate == 0) {
                                d->reason = BD_REASON_HOST_CAP;
                                continue;
                        }
                        if (max_u64(d->max_kib, d->actual_kib - rate) > samples[i].max_kib) {
                                /* Above the domain's own maximum (QEMU rounds
                                 * sizes up), further than one step can go: no
                                 * target above that maximum, it is at it. */
                                d->reason = BD_REASON_AT_MAX;
                                continue;
                        }
                        cap_left_kib -= min_u64(rate, d->actual_kib - max_u64(d->max_kib, d->actual_kib - rate));
                        d->action = BD_ACTION_SHRINK;
                        d->reason = BD_REASON_ABOVE_MAX;
                        d->target_kib = max_u64(d->max_kib, d->actual_kib - rate);
                        d->limit_kib = rate;
                        continue;
                }
                if (need_kib > 0) {
                        if (d->actual_kib <= d->floor_kib) {
                                d->reason = BD_REASON_AT_FLOOR;
                                continue;
                        }
                        if (d->swapping_out) {
                                d->reason = BD_REASON_GUEST_SWAP_OUT;
                                continue;
                        }
                        if (h->last_grow_for_pressure_usec &&
                            now_usec - h->last_grow_for_pressure_usec < cfg->grow_hold_usec) {
                                d->reason = BD_REASON_RECENT_GROW;
                                continue;
                        }
                        if (cooling) {
                                d->reason = BD_REASON_COOLDOWN;
                                continue;
                        }
                        /* Frozen stats look fresh for a while: never shrink
                         * twice on the same report. */
                        if (cfg->check_stats_age && h->last_change_usec &&
                            samples[i].last_update_sec <= h->change_stats_sec) {
                                d->reason = BD_REASON_AWAIT_STATS;
                                continue;
                        }
                        rate = min_u64(pct_of(cfg->shrink_pct, d->actual_kib), cfg->shrink_max_kib);
                        if (critical)
                                rate *= 2;
                        d->limit_kib = min_u64(rate, d->actual_kib - d->floor_kib);
                        /* ESXi: an idle page costs k = 1 / (1 - tax) active pages. */
                        active = min_u64(d->used_kib, d->actual_kib);
                        idle = d->actual_kib - active;
                        d->weight = ((double)active + idle_cost * (double)idle) /
                                    (double)d->shares;
                        d->share_role = ROLE_DONOR;
                        continue;
                }
                if (view->band == BD_BAND_RELAXED) {
                        if (add_sat(d->actual_kib, deadband_kib(cfg, d->actual_kib)) > d->max_kib) {
                                d->reason = BD_REASON_AT_MAX;
                                continue;
                        }
                        if (cooling) {
                                d->reason = BD_REASON_COOLDOWN;
                                continue;
                        }
                        d->limit_kib = d->max_kib - d->actual_kib;
                        d->weight = (double)d->shares;
                        d->share_role = ROLE_TAKER;
                }
        }

        /* 4. Reclaim: at most the host cap; shared by weight. */
        if (need_kib > 0) {
                reclaim_kib = min_u64(need_kib, cap_left_kib);
                fill(decisions, n, ROLE_DONOR, reclaim_kib);
                apply_deadband(cfg, decisions, n, ROLE_DONOR, reclaim_kib, cap_left_kib);
        }
        /* 5. Deflate when relaxed (and blind VMs, if so configured, outside
         * pressure), within the room above the pressure edge. */
        if (view->band < BD_BAND_PRESSURE && room_kib > 0) {
                uint64_t takers_want = 0;

                for (size_t i = 0; i < n; i++)
                        if (decisions[i].share_role == ROLE_TAKER)
                                takers_want = add_sat(takers_want, decisions[i].limit_kib);
                fill(decisions, n, ROLE_TAKER, room_kib);
                apply_deadband(cfg, decisions, n, ROLE_TAKER, min_u64(room_kib, takers_want), room_kib);
        }

        /* 6. Decisions of the donors and takers; totals. */
        for (size_t i = 0; i < n; i++) {
                struct bd_decision *d = &decisions[i];

                if (d->share_role == ROLE_DONOR) {
                        if (d->share_kib > 0) {
                                d->action = BD_ACTION_SHRINK;
                                d->target_kib = d->actual_kib - d->share_kib;
                                d->reason = critical ? BD_REASON_HOST_CRITICAL : BD_REASON_HOST_PRESSURE;
                        } else if (d->limit_kib < deadband_kib(cfg, d->actual_kib)) {
                                /* What it could still give is too little to take. */
                                d->reason = d->actual_kib - d->floor_kib < deadband_kib(cfg, d->actual_kib)
                                                    ? BD_REASON_AT_FLOOR
                                                    : BD_REASON_DEADBAND;
                        } else {
                                /* The cap ran out, or others covered the need. */
                                d->reason = need_kib > cfg->host_shrink_cap_kib ? BD_REASON_HOST_CAP
                                                                                 : BD_REASON_STEADY;
                        }
                } else if (d->share_role == ROLE_TAKER) {
                        if (d->share_kib > 0) {
                                d->action = BD_ACTION_GROW;
                                d->target_kib = d->actual_kib + d->share_kib;
                                d->reason = d->status == BD_STATUS_BLIND ? BD_REASON_BLIND_DEFLATE
                                                                         : BD_REASON_HOST_RELAXED;
                        } else if (d->status == BD_STATUS_OK) {
                                d->reason = d->limit_kib < deadband_kib(cfg, d->actual_kib)
                                                    ? BD_REASON_DEADBAND
                                                    : BD_REASON_NO_HEADROOM;
                        }
                }
                if (d->action == BD_ACTION_SHRINK)
                        view->shrink_kib = add_sat(view->shrink_kib, d->actual_kib - d->target_kib);
                else if (d->action == BD_ACTION_GROW)
                        view->grow_kib = add_sat(view->grow_kib, d->target_kib - d->actual_kib);
        }
        view->grow_room_kib = room_kib;
}

void bd_policy_note_applied(struct bd_vm_history *h, const struct bd_decision *d,
                            uint64_t now_usec) {
        if (d->action == BD_ACTION_NONE)
                return;
        h->last_change_usec = now_usec;
        h->change_stats_sec = d->stats_sec;
        if (d->action == BD_ACTION_GROW && d->guest_pressure)
                h->last_grow_for_pressure_usec = now_usec;
        /* A new target in the same direction as one the balloon has not
         * reached keeps the progress clock: re-aiming every cycle must not
         * hide a balloon that does not move. */
        if (!h->target_kib || !h->progress_usec ||
            (h->target_kib < d->actual_kib) != (d->target_kib < d->actual_kib))
                h->progress_usec = now_usec;
        h->target_kib = d->target_kib;
        h->best_distance_kib = dist_u64(d->actual_kib, d->target_kib);
        h->stuck = false;
}

void bd_policy_note_unsupported(struct bd_vm_history *h) {
        h->unsupported = true;
        h->target_kib = 0;
}

const char *bd_band_to_string(enum bd_band b) {
        static const char *const names[] = {
                [BD_BAND_RELAXED] = "relaxed",
                [BD_BAND_NORMAL] = "normal",
                [BD_BAND_PRESSURE] = "pressure",
                [BD_BAND_CRITICAL] = "critical",
        };
        return (unsigned)b < sizeof(names) / sizeof(names[0]) ? names[b] : "unknown";
}

const char *bd_action_to_string(enum bd_action a) {
        static const char *const names[] = {
                [BD_ACTION_NONE] = "none",
                [BD_ACTION_SHRINK] = "shrink",
                [BD_ACTION_GROW] = "grow",
        };
        return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

const char *bd_status_to_string(enum bd_vm_status s) {
        static const char *const names[] = {
                [BD_STATUS_OK] = "ok",
                [BD_STATUS_EXCLUDED] = "excluded",
                [BD_STATUS_BLIND] = "blind",
                [BD_STATUS_STUCK] = "stuck",
        };
        return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static const struct {
        const char *name;
        const char *text;
} reasons[BD_REASON__COUNT] = {
        [BD_REASON_STEADY] = { "steady", "nothing to do" },
        [BD_REASON_HOST_PRESSURE] = { "host_pressure", "host under memory pressure, idle guest memory reclaimed" },
        [BD_REASON_HOST_CRITICAL] = { "host_critical", "host memory critical, guest memory reclaimed at double rate" },
        [BD_REASON_HOST_RELAXED] = { "host_relaxed", "host has memory to spare, balloon deflated toward the maximum" },
        [BD_REASON_GUEST_LOW_FREE] = { "guest_low_free", "guest free memory below its margin" },
        [BD_REASON_GUEST_SWAP_IN] = { "guest_swap_in", "guest is swapping in" },
        [BD_REASON_GUEST_MAJOR_FAULTS] = { "guest_major_faults", "guest has a burst of major page faults" },
        [BD_REASON_BELOW_MIN] = { "below_min", "balloon below the VM's minimum" },
        [BD_REASON_ABOVE_MAX] = { "above_max", "balloon above the configured maximum" },
        [BD_REASON_GUEST_SWAP_OUT] = { "guest_swap_out", "guest is swapping out: not shrunk" },
        [BD_REASON_AT_FLOOR] = { "at_floor", "already at its floor" },
        [BD_REASON_AT_MAX] = { "at_max", "already at its maximum" },
        [BD_REASON_DEADBAND] = { "deadband", "change too small to make" },
        [BD_REASON_COOLDOWN] = { "cooldown", "changed too recently" },
        [BD_REASON_RECENT_GROW] = { "recent_grow", "grew for guest pressure recently: not shrunk" },
        [BD_REASON_AWAIT_STATS] = { "await_stats", "no statistics newer than its last change yet: not shrunk" },
        [BD_REASON_HOST_CAP] = { "host_cap", "the host's shrink cap for this cycle is used up" },
        [BD_REASON_NO_HEADROOM] = { "no_headroom", "host has no headroom to give" },
        [BD_REASON_EXCLUDED_CONFIG] = { "excluded_config", "excluded by a configuration rule" },
        [BD_REASON_EXCLUDED_CLASS] = { "excluded_class", "excluded by its class" },
        [BD_REASON_EXCLUDED_METADATA] = { "excluded_metadata", "excluded by its libvirt metadata" },
        [BD_REASON_NO_BALLOON] = { "no_balloon", "has no balloon device" },
        [BD_REASON_VFIO] = { "vfio", "has a host device assigned: memory is pinned" },
        [BD_REASON_LOCKED_MEMORY] = { "locked_memory", "memory is locked" },
        [BD_REASON_HUGEPAGES] = { "hugepages", "memory is backed by hugepages" },
        [BD_REASON_PAUSED] = { "paused", "paused" },
        [BD_REASON_MIGRATING] = { "migrating", "migrating" },
        [BD_REASON_SHUT_OFF] = { "shut_off", "shut off" },
        [BD_REASON_NOT_RUNNING] = { "not_running", "not running" },
        [BD_REASON_UNSUPPORTED] = { "unsupported", "the hypervisor cannot change its memory" },
        [BD_REASON_STATS_NEVER] = { "stats_never", "blind: the guest has not reported memory statistics" },
        [BD_REASON_STATS_STALE] = { "stats_stale", "blind: the guest's memory statistics are stale" },
        [BD_REASON_STATS_INVALID] = { "stats_invalid", "blind: the guest reported impossible statistics" },
        [BD_REASON_BLIND_DEFLATE] = { "blind_deflate", "blind: memory given back" },
        [BD_REASON_STUCK] = { "stuck", "balloon is not moving toward its target" },
};

const char *bd_reason_to_string(enum bd_reason r) {
        return (unsigned)r < BD_REASON__COUNT && reasons[r].name ? reasons[r].name : "unknown";
}

const char *bd_reason_describe(enum bd_reason r) {
        return (unsigned)r < BD_REASON__COUNT && reasons[r].text ? reasons[r].text : "unknown reason";
}
