/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Phase 6 of the policy: the donors' and takers' decisions from their
 * shares, the cycle's totals, and what the history keeps of this cycle: the
 * report's counters and the balloon sizes it was made at, the balloon's size,
 * and the claim credit (decayed, plus what the balloon made of a claim). The
 * only place that writes history besides stuck tracking. */
#include "balloond/core/units.h"
#include "policy_phases.h"

static void donor_decision(const struct bd_config *cfg, const struct bd_budget *budget, struct bd_decision *d) {
        uint64_t deadband = bd_deadband_kib(cfg, d->actual_kib);

        if (d->share_kib > 0) {
                d->action = BD_ACTION_SHRINK;
                d->target_kib = d->actual_kib - d->share_kib;
                d->reason = budget->critical ? BD_REASON_HOST_CRITICAL : BD_REASON_HOST_PRESSURE;
        } else if (d->limit_kib < deadband) {
                /* What it could still give is too little to take. */
                d->reason = d->actual_kib - d->floor_kib < deadband ? BD_REASON_AT_FLOOR : BD_REASON_DEADBAND;
        } else {
                /* The cap ran out, or others covered the need. */
                d->reason = budget->need_kib > cfg->host_shrink_cap_kib ? BD_REASON_HOST_CAP : BD_REASON_STEADY;
        }
}

static void taker_decision(const struct bd_config *cfg, struct bd_decision *d) {
        if (d->share_kib > 0) {
                d->action = BD_ACTION_GROW;
                d->target_kib = d->actual_kib + d->share_kib;
                d->reason = d->status == BD_STATUS_BLIND ? BD_REASON_BLIND_DEFLATE : BD_REASON_HOST_RELAXED;
        } else if (d->status == BD_STATUS_OK && d->reason != BD_REASON_GUEST_DEFLATED) {
                d->reason = d->limit_kib < bd_deadband_kib(cfg, d->actual_kib) ? BD_REASON_DEADBAND
                                                                                 : BD_REASON_NO_HEADROOM;
        }
}

/* What the next cycle needs of this one. */
static void remember(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_decision *d,
                     uint64_t now_usec, struct bd_vm_history *h) {
        uint64_t lo, hi;

        h->untouched_kib = bd_phase_untouched(cfg, s, h); /* before the report's sizes move on */
        if (d->status_reason != BD_REASON_STATS_GAP) {
                /* A report missing for a moment: the next one is compared
                 * with the last there was. */
                bd_phase_report_sizes(cfg, s, h, &lo, &hi);
                h->report_lo_kib = lo == BD_KIB_UNKNOWN ? 0 : lo;
                h->report_hi_kib = hi == BD_KIB_UNKNOWN ? 0 : hi;
                h->prev_swap_in_kib = s->swap_in_kib;
                h->prev_swap_out_kib = s->swap_out_kib;
                h->prev_major_faults = s->major_faults;
                h->prev_last_update_sec = s->last_update_sec;
        }
        if (s->usable_kib != BD_KIB_UNKNOWN && s->last_update_sec != BD_TIME_UNKNOWN && s->last_update_sec > 0)
                h->report_sec = s->last_update_sec;
        else if (s->state != BD_RUN_RUNNING)
                h->report_sec = 0; /* not running: its next report starts afresh */
        h->prev_sample_usec = now_usec;
        h->prev_actual_kib = s->actual_kib == BD_KIB_UNKNOWN ? 0 : s->actual_kib;
        h->prev_flags = s->flags;
        h->prev_settable = bd_guard_settable(s, h);
        /* Decayed to now, with what the balloon made of its claim
         * (policy_credit.c); what it is given or gives back is noted when
         * applied (bd_policy_note_applied). */
        h->claim_credit = bd_credit_remembered(cfg, h, d, s->actual_kib, now_usec);
        h->credit_usec = now_usec;
        h->seen = true;
}

void bd_phase_finalise(const struct bd_config *cfg, const struct bd_vm_sample *samples, struct bd_vm_history *history,
                       size_t n, uint64_t now_usec, const struct bd_budget *budget, struct bd_decision *d,
                       struct bd_host_view *view) {
        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role == BD_ROLE_DONOR)
                        donor_decision(cfg, budget, &d[i]);
                else if (d[i].share_role == BD_ROLE_TAKER)
                        taker_decision(cfg, &d[i]);
                if (d[i].action == BD_ACTION_SHRINK)
                        view->shrink_kib = add_sat(view->shrink_kib, d[i].actual_kib - d[i].target_kib);
                else if (d[i].action == BD_ACTION_GROW)
                        view->grow_kib = add_sat(view->grow_kib, d[i].target_kib - d[i].actual_kib);
                remember(cfg, &samples[i], &d[i], now_usec, &history[i]);
                if (d[i].lends_burst && d[i].action == BD_ACTION_SHRINK)
                        history[i].burst_lent = true; /* owed back (policy_classify.c) */
        }
}
