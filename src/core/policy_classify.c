/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Phase 2 of the policy: each VM on its own. Excluded (state, devices,
 * config, metadata, permanent errors), blind (statistics never reported,
 * stale, impossible), stuck (balloon not moving toward the last target), or
 * ok; for an ok VM its floor, the signals of its guest's last report and the
 * grow it asks for.
 *
 * Signals do not ratchet: swap-in and major faults are rates over the
 * guest's own report interval; a guest is grown at most once per report;
 * "used" is taken against the balloon size when the report was made (a
 * report read after the balloon moved is judged on the size it was made at:
 * the smaller one for grows, the larger one for the floor that bounds
 * shrinks); counters that restart (a reboot) are a new baseline. */
#include <math.h>
#include <string.h>

#include "balloond/core/ledger.h"
#include "balloond/core/units.h"
#include "policy_phases.h"

/* Leeway for guest-reported sizes against the balloon size. */
#define SANITY_SLACK_KIB (64 * KIB_PER_MIB)
/* A guest within this of its margin (or of its floor) has it. A guest's own
 * accounting moves by a few pages as its balloon does: a real guest (the
 * e2e's bd-ad, autodeflate on, host critical) reported 262,104 KiB free, 40
 * KiB under its 256 MiB margin, at every report whatever its size. Each
 * 40 KiB grow went into what it used, the next report was 40 KiB short
 * again: a grow every report ("grow 399 -> 399 MiB"), the floor creeping up
 * and the VM shown short of memory for good. */
#define AT_MARGIN_SLACK_KIB KIB_PER_MIB

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
        /* Counters going backwards are a reboot (a reset, see signals()),
         * not a lie; the report's time going backwards is impossible. */
        if (h && h->seen && s->last_update_sec != BD_TIME_UNKNOWN && h->prev_last_update_sec != BD_TIME_UNKNOWN &&
            s->last_update_sec < h->prev_last_update_sec)
                return "last-update went backwards";
        return NULL;
}

/* ---- classification of one VM ------------------------------------------ */

enum bd_reason bd_phase_exclusion(const struct bd_vm_sample *s, const struct bd_vm_history *h,
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
        if (s->flags & BD_VM_CONFIDENTIAL)
                return BD_REASON_CONFIDENTIAL;
        if (s->flags & BD_VM_VDPA)
                return BD_REASON_VDPA;
        if (s->flags & BD_VM_VIRTIO_MEM)
                return BD_REASON_VIRTIO_MEM;
        if ((s->flags & BD_VM_UNSUPPORTED) || h->unsupported)
                return BD_REASON_UNSUPPORTED;
        if (set->excluded)
                return set->excluded_by_class ? BD_REASON_EXCLUDED_CLASS : BD_REASON_EXCLUDED_CONFIG;
        if (s->flags & BD_VM_TAG_EXCLUDE)
                return BD_REASON_EXCLUDED_METADATA;
        return BD_REASON_STEADY;
}

/* Does this cycle's sample carry a guest report? */
static bool has_report(const struct bd_vm_sample *s) {
        return s->usable_kib != BD_KIB_UNKNOWN && s->last_update_sec != BD_TIME_UNKNOWN && s->last_update_sec > 0;
}

static enum bd_reason blindness(const struct bd_config *cfg, const struct bd_vm_sample *s,
                                const struct bd_vm_history *h, int64_t now_wall_sec) {
        int64_t period_sec, max_age_sec;

        if (s->flags & BD_VM_FACTS_UNKNOWN)
                return BD_REASON_FACTS_UNKNOWN;
        period_sec = s->stats_period_sec > 0 ? s->stats_period_sec : cfg->stats_period_sec;
        max_age_sec = 3 * period_sec + (int64_t)(cfg->stats_slack_usec / USEC_PER_SEC);
        if (!has_report(s)) {
                /* A guest that reported before: a report missing for a
                 * cycle (libvirt read the statistics without the guest's
                 * part, as TCG guests show while a balloon moves) is a
                 * moment, judged by the age of its last report. */
                if (!cfg->check_stats_age || h->report_sec <= 0)
                        return BD_REASON_STATS_NEVER;
                return now_wall_sec - h->report_sec > max_age_sec ? BD_REASON_STATS_STALE : BD_REASON_STATS_GAP;
        }
        if (bd_policy_stats_insane(s, h))
                return BD_REASON_STATS_INVALID;
        if (!cfg->check_stats_age)
                return BD_REASON_STEADY;
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
        return bd_phase_exclusion(vm, &none, &set) != BD_REASON_STEADY ||
               blindness(cfg, vm, &none, now_wall_sec) != BD_REASON_STEADY;
}

/* Would the policy leave VM alone whatever its state and statistics (its
 * devices, memory backing, metadata or the configuration exclude it)? */
bool bd_policy_never_managed(const struct bd_config *cfg, const struct bd_vm_sample *vm) {
        struct bd_vm_history none = { 0 };
        struct bd_vm_sample running = *vm;
        struct bd_vm_settings set;

        running.state = BD_RUN_RUNNING;
        bd_config_vm_settings(cfg, &running, &set);
        return bd_phase_exclusion(&running, &none, &set) != BD_REASON_STEADY;
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

/* What the guest's report says, against the previous one. */
struct signals {
        bool new_report;  /* a report the history has not seen */
        bool reset;       /* its counters restarted */
        bool swap_in, fault_burst, swap_out;
        uint64_t swapped_out_kib; /* pushed out to swap since the previous report */
        uint64_t size_lo_kib, size_hi_kib; /* balloon size when the report was made */
};

/* COUNTER's growth since PREV, 0 when unknown or restarted. */
static uint64_t counter_delta(uint64_t cur, uint64_t prev) {
        if (cur == BD_COUNT_UNKNOWN || prev == BD_COUNT_UNKNOWN || cur < prev)
                return 0;
        return cur - prev;
}

static bool went_back(uint64_t cur, uint64_t prev) {
        return cur != BD_COUNT_UNKNOWN && prev != BD_COUNT_UNKNOWN && cur < prev;
}

/* The report's interval in seconds (0: no new report, or the first). */
static double report_interval(const struct bd_config *cfg, const struct bd_vm_sample *s,
                              const struct bd_vm_history *h, uint64_t now_usec) {
        if (!h->seen)
                return 0.0;
        if (!cfg->check_stats_age) /* last-update never moves: every cycle is a report */
                return now_usec > h->prev_sample_usec ? (double)(now_usec - h->prev_sample_usec) / USEC_PER_SEC
                                                      : 0.0;
        if (h->prev_last_update_sec == BD_TIME_UNKNOWN || s->last_update_sec <= h->prev_last_update_sec)
                return 0.0;
        return (double)(s->last_update_sec - h->prev_last_update_sec);
}

static void read_signals(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                         uint64_t now_usec, struct signals *sig) {
        double dt = report_interval(cfg, s, h, now_usec);

        memset(sig, 0, sizeof(*sig));
        sig->new_report = !h->seen || !cfg->check_stats_age || s->last_update_sec != h->prev_last_update_sec;
        sig->reset = h->seen && (went_back(s->swap_in_kib, h->prev_swap_in_kib) ||
                                 went_back(s->swap_out_kib, h->prev_swap_out_kib) ||
                                 went_back(s->major_faults, h->prev_major_faults));
        if (sig->new_report && !sig->reset && dt > 0.0) {
                sig->swap_in = (double)counter_delta(s->swap_in_kib, h->prev_swap_in_kib) / dt >
                               (double)cfg->swap_in_kib_per_sec;
                sig->fault_burst = (double)counter_delta(s->major_faults, h->prev_major_faults) / dt >
                                   (double)cfg->major_faults_per_sec;
                sig->swapped_out_kib = counter_delta(s->swap_out_kib, h->prev_swap_out_kib);
                sig->swap_out = sig->swapped_out_kib > 0;
        }
        bd_phase_report_sizes(cfg, s, h, &sig->size_lo_kib, &sig->size_hi_kib);
}

void bd_phase_report_sizes(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                           uint64_t *lo, uint64_t *hi) {
        uint64_t prev = h->prev_actual_kib;
        bool new_report = !h->seen || !cfg->check_stats_age || s->last_update_sec != h->prev_last_update_sec;

        if (!new_report && h->report_lo_kib) {
                *lo = h->report_lo_kib;
                *hi = h->report_hi_kib;
        } else if (h->seen && prev && prev != BD_KIB_UNKNOWN && s->actual_kib != BD_KIB_UNKNOWN) {
                *lo = min_u64(prev, s->actual_kib);
                *hi = max_u64(prev, s->actual_kib);
        } else {
                *lo = *hi = s->actual_kib;
        }
}

/* The configured margin for USED_KIB (its percentage as this cycle applies
 * it: d->margin_pct); twice that when the guest's report
 * has no `usable` (judged on unused + disk caches: a rougher figure). */
static uint64_t margin_of(const struct bd_config *cfg, const struct bd_decision *d, uint64_t used_kib) {
        uint64_t m = bd_margin_at(cfg, d->margin_pct, used_kib);

        return d->stats_incomplete ? add_sat(m, m) : m;
}

/* What the room for another jump adds to the floor of a guest using
 * USED_KIB: the room, and the margin the use that jump would bring needs
 * beyond the margin of the use now. The floor is then the one the guest
 * would have right after the jump (vdi-morning: a desktop using 1,250 MiB
 * after +800 MiB kept 256 + 400 MiB free and missed its next login step,
 * +600 MiB, by 2 MiB; with 330 + 400 MiB it does not). */
static uint64_t jump_room_at(const struct bd_config *cfg, const struct bd_decision *d, uint64_t used_kib,
                             uint64_t max_kib, uint64_t rise_kib) {
        uint64_t margin = margin_of(cfg, d, used_kib);
        uint64_t below_max = sub_sat(max_kib, add_sat(add_sat(used_kib, margin), add_sat(d->burst_kib, rise_kib)));

        if (!rise_kib)
                return 0;
        /* The extra margin only as far as the floor stays under the VM's
         * maximum: a floor at its maximum gains nothing from it. */
        return add_sat(rise_kib, min_u64(sub_sat(margin_of(cfg, d, add_sat(used_kib, rise_kib)), margin), below_max));
}

/* What the grows of an ok VM are judged on (the report's smallest size),
 * worked out once by floors() for ask() and grow_floor(). */
struct grow_view {
        uint64_t used_kib;      /* its used memory */
        uint64_t jump_room_kib; /* the room for its own jump at that use */
};

/* The floors of an ok VM: FLOOR (bounds shrinks: the largest size the
 * report may have been made at) and FLOOR_GROW (grows aim at least here: the
 * smallest). The room for its own jump is in both; the room for its peers'
 * (d->peer_rise_kib) in the floor alone: it is kept, not asked for. The
 * grows' room is never above what the floor holds (percentages round either
 * way by a KiB). Fills *LO with what its grows are judged on. */
static void floors(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_settings *set,
                   const struct signals *sig, struct bd_decision *d, struct grow_view *lo) {
        uint64_t used_hi = sub_sat(sig->size_hi_kib, s->usable_kib);
        uint64_t used_lo = sub_sat(sig->size_lo_kib, s->usable_kib);
        uint64_t margin_lo;

        d->jump_room_kib = jump_room_at(cfg, d, used_hi, s->max_kib, max_u64(d->rise_kib, d->peer_rise_kib));
        lo->used_kib = used_lo;
        lo->jump_room_kib = min_u64(jump_room_at(cfg, d, used_lo, s->max_kib, d->rise_kib), d->jump_room_kib);
        margin_lo = add_sat(add_sat(margin_of(cfg, d, used_lo), d->burst_kib), lo->jump_room_kib);
        d->used_kib = used_hi;
        d->margin_kib = add_sat(add_sat(margin_of(cfg, d, used_hi), d->burst_kib), d->jump_room_kib);
        d->floor_kib = min_u64(max_u64(set->min_kib, add_sat(used_hi, d->margin_kib)), s->max_kib);
        d->floor_grow_kib = min_u64(max_u64(set->min_kib, add_sat(used_lo, margin_lo)), s->max_kib);
        d->lend_floor_kib = min_u64(max_u64(set->min_kib, add_sat(used_hi, d->margin_kib - d->burst_kib)), s->max_kib);
        d->share_floor_kib = min_u64(max_u64(set->min_kib, add_sat(used_hi, margin_of(cfg, d, used_hi) / 2)),
                                     s->max_kib);
        if (d->floor_kib > d->max_kib)
                d->max_kib = d->floor_kib; /* a rule's max below the floor: safety wins */
}

/* The grow an ok VM asks for: to its floor, and when its guest shows
 * pressure (not when the host is critical) to used + 2 x margin, on swap-in
 * or faults at least swap_in_grow_mib more. Once per guest report. */
static void ask(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                const struct signals *sig, const struct grow_view *lo, bool low_free, bool critical,
                uint64_t now_usec, struct bd_decision *d) {
        /* Its floor without the learned burst: above it, the ask is for burst room. */
        uint64_t plain_floor = sub_sat(d->floor_grow_kib, d->burst_kib);
        uint64_t no_jump_floor = sub_sat(plain_floor, lo->jump_room_kib);
        uint64_t want = critical ? plain_floor : d->floor_grow_kib;
        uint64_t used_lo = lo->used_kib;
        uint64_t margin = margin_of(cfg, d, used_lo);
        bool reported_again = !cfg->check_stats_age || s->last_update_sec != h->grow_report_sec;

        if (d->guest_pressure && !critical)
                want = max_u64(want, add_sat(add_sat(used_lo, margin), margin));
        if ((sig->swap_in || sig->fault_burst) && !critical)
                want = max_u64(want, add_sat(s->actual_kib, cfg->swap_in_grow_kib));
        /* Out of memory (less than half its margin free): its need may be
         * past its size, where its report cannot show it; a guest that
         * burst before is likely in a burst like it: room for that. */
        if (low_free && s->usable_kib < margin / 2 && !critical) {
                uint64_t swapped = bd_emergency_swapped(s, h, sig->swapped_out_kib);
                uint64_t need = min_u64(bd_emergency_swap_need(cfg, d->margin_pct, s, swapped, used_lo,
                                                                       d->stats_incomplete),
                                        d->max_kib);

                /* A first report's counters may be old history (pages freed
                 * in swap are never swapped in): asked for, not a floor. */
                d->swap_need_kib = h->seen ? need : 0;
                want = max_u64(want, add_sat(s->actual_kib, d->burst_learned_kib));
                want = max_u64(want, bd_emergency_want(cfg, s, h, need, sig->size_lo_kib, now_usec));
        }
        want = min_u64(want, d->max_kib);
        d->reason = low_free           ? BD_REASON_GUEST_LOW_FREE
                    : sig->swap_in     ? BD_REASON_GUEST_SWAP_IN
                    : sig->fault_burst ? BD_REASON_GUEST_MAJOR_FAULTS
                    : (d->burst_kib || d->rise_kib) && s->actual_kib >= no_jump_floor ? BD_REASON_BURST_ROOM
                                       : BD_REASON_BELOW_MIN;
        if (want <= s->actual_kib) { /* at its maximum, or it has what this report asks */
                bd_decide_none(d, s->actual_kib >= d->max_kib ? BD_REASON_AT_MAX : BD_REASON_AWAIT_REPORT,
                               BD_STATUS_OK);
                return;
        }
        if (d->guest_pressure && !reported_again) {
                bd_decide_none(d, BD_REASON_AWAIT_REPORT, BD_STATUS_OK);
                return;
        }
        d->action = BD_ACTION_GROW;
        d->want_kib = want;
        d->target_kib = want;
        d->limit_kib = want - s->actual_kib;
        d->claimed = d->guest_pressure;
}

static void basics(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_settings *set,
                   struct bd_decision *d) {
        memset(d, 0, sizeof(*d));
        bd_config_vm_settings(cfg, s, set);
        /* Unknown sizes stay BD_KIB_UNKNOWN: such a VM is excluded or blind. */
        d->actual_kib = s->actual_kib;
        d->target_kib = d->actual_kib;
        d->max_kib = set->max_kib && set->max_kib < s->max_kib ? set->max_kib : s->max_kib;
        d->usable_kib = s->usable_kib;
        d->stats_sec = s->last_update_sec;
        d->used_kib = BD_KIB_UNKNOWN;
        d->shares = set->shares > 0 ? set->shares : 1;
        d->rss_kib = s->rss_kib;
}

/* A report without `usable` (older kernels, older Windows drivers) but
 * with unused memory: judged on unused + disk caches, with twice the
 * margin (stats_incomplete). S is copied into *EFF then. */
static const struct bd_vm_sample *effective(const struct bd_vm_sample *s, struct bd_vm_sample *eff,
                                            struct bd_decision *d) {
        if (s->usable_kib != BD_KIB_UNKNOWN || s->unused_kib == BD_KIB_UNKNOWN ||
            s->last_update_sec == BD_TIME_UNKNOWN || s->last_update_sec <= 0)
                return s;
        *eff = *s;
        eff->usable_kib = add_sat(s->unused_kib, s->disk_caches_kib != BD_KIB_UNKNOWN ? s->disk_caches_kib : 0);
        d->usable_kib = eff->usable_kib;
        d->stats_incomplete = true;
        return eff;
}

/* Below this, an ok VM asks to grow: its floor; without the learned burst
 * margin when the host is critical (guests get at most their floor then,
 * with the room for another jump: it bounds the shrinks of those that
 * have it, and is granted to those that need it);
 * with it, only when the room missing is worth a change: the deadband, and
 * half the burst margin (a guest whose use creeps up by a few MiB a report
 * is not grown a few MiB a report: it keeps at least its margin and half its
 * burst margin free, and all of it after a shrink). */
static uint64_t grow_floor(const struct bd_config *cfg, const struct bd_decision *d, bool critical) {
        uint64_t plain = sub_sat(d->floor_grow_kib, d->burst_kib);

        if (critical)
                return plain;
        if (d->burst_owed)
                return d->floor_grow_kib; /* burst room it lent: all of it back */
        if (d->actual_kib >= plain &&
            d->floor_grow_kib - d->actual_kib < max_u64(bd_deadband_kib(cfg, d->actual_kib), d->burst_kib / 2))
                return plain;
        return d->floor_grow_kib;
}

/* An ok VM: learn from its report, its floors, the grow it asks for, or
 * stuck, or held. */
static void tend(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                 const struct bd_vm_settings *set, const struct bd_budget *budget, uint64_t now_usec,
                 struct bd_decision *d) {
        bool critical = budget->critical, out_of_ram = budget->out_of_ram;
        struct signals sig;
        struct grow_view lo;
        bool low_free, was_stuck = h->stuck;
        enum bd_reason hold;

        read_signals(cfg, s, h, now_usec, &sig);
        bd_guard_learn(cfg, s, h, sig.size_lo_kib, sig.size_hi_kib, sig.new_report, sig.reset, now_usec);
        d->burst_learned_kib = bd_guard_burst(cfg, h, now_usec);
        /* The learned burst room is a margin: it gives way to a host that
         * stays out of RAM as the configured one does (policy_host.c). */
        d->burst_kib = u64_of((double)bd_guard_room(cfg, h, now_usec) * (1.0 - budget->margin_squeeze));
        /* The room for a jump is a prediction; a host out of RAM (it swaps)
         * is a fact: no such room bounds shrinks or is asked for then. */
        d->rise_kib = out_of_ram ? 0 : bd_guard_rise(cfg, h, now_usec);
        d->peer_rise_kib = out_of_ram ? 0 : bd_guard_peer_rise(cfg, h, d->fleet_jump_kib, now_usec);
        floors(cfg, s, set, &sig, d, &lo);
        low_free = add_sat(s->usable_kib, AT_MARGIN_SLACK_KIB) < margin_of(cfg, d, lo.used_kib);
        d->guest_pressure = low_free || sig.swap_in || sig.fault_burst;
        d->swapping_out = sig.swap_out;
        d->counters_reset = sig.reset;
        /* A stuck balloon is left alone, unless its guest now needs
         * memory: then the grow replaces the target it cannot reach. The
         * target it cannot reach is withdrawn when it becomes stuck. */
        if (track_stuck(cfg, s, h, now_usec) && !d->guest_pressure && s->actual_kib >= d->floor_grow_kib) {
                bd_decide_none(d, BD_REASON_STUCK, BD_STATUS_STUCK);
                d->floor_kib = 0;
                d->withdraw = !was_stuck && bd_guard_settable(s, h) && h->target_kib < s->actual_kib;
                return;
        }
        /* Burst room lent to a guest out of memory is owed until the VM
         * is back at its floor (policy_donors.c). */
        if (h->burst_lent && (s->actual_kib >= d->floor_grow_kib || !d->burst_kib))
                h->burst_lent = false;
        d->burst_owed = h->burst_lent;
        if (d->guest_pressure || add_sat(s->actual_kib, AT_MARGIN_SLACK_KIB) < grow_floor(cfg, d, critical))
                ask(cfg, s, h, &sig, &lo, low_free, critical, now_usec, d);
        hold = bd_guard_hold(h, now_usec);
        if (d->action == BD_ACTION_NONE && d->reason == BD_REASON_STEADY && hold != BD_REASON_STEADY)
                d->reason = hold; /* not shrunk; a foreign target not deflated either */
}

void bd_phase_classify(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                       const struct bd_budget *budget, uint64_t now_usec, int64_t now_wall_sec,
                       struct bd_decision *d) {
        uint64_t fleet_jump_kib = d->fleet_jump_kib;
        struct bd_vm_settings set;
        struct bd_vm_sample eff;
        enum bd_reason why;

        basics(cfg, s, &set, d);
        d->fleet_jump_kib = fleet_jump_kib;
        d->margin_pct = budget->margin_pct;
        bd_ledger_observe(h, s);
        d->ineffective = bd_ledger_ineffective(s, h);
        d->gain = bd_ledger_gain(s, h);
        d->gain_measured = bd_ledger_gain_measured(s, h);
        d->claim_credit = bd_credit_now(cfg, h, s->actual_kib, now_usec, NULL, NULL);
        why = bd_phase_exclusion(s, h, &set);
        if (why == BD_REASON_STEADY) {
                bd_guard_moves(cfg, s, h, now_usec, d);
                s = effective(s, &eff, d);
                why = blindness(cfg, s, h, now_wall_sec);
                if (why == BD_REASON_STEADY) {
                        tend(cfg, s, h, &set, budget, now_usec, d);
                        h->tended = true;
                        if (d->self_deflated_kib && d->action == BD_ACTION_NONE)
                                d->reason = BD_REASON_GUEST_DEFLATED;
                        return;
                }
                bd_decide_none(d, why, BD_STATUS_BLIND);
                if (why == BD_REASON_STATS_GAP) {
                        /* Held as it is: its target stands, what it showed
                         * so far is kept, nothing is given back. */
                        d->status_reason = why;
                        return;
                }
        } else {
                bd_decide_none(d, why, BD_STATUS_EXCLUDED);
        }
        d->status_reason = why;
        /* Paused, migrating or unseen time is not "not moving"; a target
         * balloond no longer stands behind is withdrawn. */
        bd_guard_untended(cfg, s, h, d);
}
