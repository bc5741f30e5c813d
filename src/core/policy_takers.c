/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Phase 5 of the policy: who takes the room the host has to spare.
 *
 * Outside pressure, with nothing to reclaim, balloons deflate toward each
 * VM's maximum (relaxed band; blind VMs too with blind_action = "deflate",
 * in the normal band as well) within the room above the pressure goal that
 * the urgent grants left, shared by shares times what each lacks. */
#include "balloond/core/units.h"
#include "policy_phases.h"

/* A blind VM is given memory back only from a known size toward a known
 * maximum: a "grow" from a size reported as 0, or past a domain maximum
 * nobody knows, may be a shrink or a refusal in truth. */
static bool blind_taker(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_decision *d) {
        return d->status == BD_STATUS_BLIND && d->action == BD_ACTION_NONE && cfg->blind_action == BD_BLIND_DEFLATE &&
               d->actual_kib != BD_KIB_UNKNOWN && d->actual_kib != 0 && s->max_kib != BD_KIB_UNKNOWN &&
               d->actual_kib < d->max_kib;
}

/* Where relaxed deflation stops: the VM's maximum, or (deflate_to_entitled)
 * the size its administrator set it to, its persistent <currentMemory>. */
static uint64_t deflate_limit(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_decision *d) {
        if (cfg->deflate_to_entitled && s->entitled_kib != BD_KIB_UNKNOWN && s->entitled_kib > 0)
                return min_u64(d->max_kib, s->entitled_kib);
        return d->max_kib;
}

/* Each taker's weight is its shares times what it lacks of its limit, so
 * that the room brings every taker the same part of its way there (a VM
 * twice as far from its maximum, a larger one whose guest's jumps are
 * larger, gets twice as much, not the same), divided by 1 + its claim
 * credit in margins as the urgent grants are: a guest that keeps what it
 * claims is not also first in line for the room. */
static void take(const struct bd_config *cfg, struct bd_decision *d, uint64_t limit_kib) {
        d->limit_kib = limit_kib - d->actual_kib;
        d->weight = (double)d->shares * (double)d->limit_kib / (double)GIB /
                    (1.0 + d->claim_credit / (double)max_u64(cfg->margin_min_kib, KIB_PER_MIB));
        d->share_role = BD_ROLE_TAKER;
}

/* How much more than its share of the room taker D may take past the
 * pressure goal: up to its floor plus the burst its peers learned. */
static uint64_t peer_burst_want(const struct bd_decision *d) {
        uint64_t at = add_sat(d->actual_kib, d->share_kib);

        if (!d->peer_burst_kib)
                return 0;
        return min_u64(sub_sat(d->limit_kib, d->share_kib), sub_sat(add_sat(d->floor_kib, d->peer_burst_kib), at));
}

/* Relaxed deflation past the pressure goal, down to RAM's (and the VM
 * budget's) critical line less the grows not touched yet, for the takers
 * whose peers of the same shape learned a burst they have not shown yet
 * (bd_guard_fleet_burst): room for the job their peers ran, before their
 * own first one, shared by what each lacks of it. Others stop at the goal:
 * a guest fills what it is given with page cache, and the host's own jobs
 * need that memory back at once. */
static void past_goal(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                      const struct bd_vm_history *history, size_t n, uint64_t now_usec, struct bd_decision *d,
                      const struct bd_budget *budget) {
        uint64_t given = 0, want = 0, extra;

        bd_guard_fleet_bursts(cfg, samples, history, n, now_usec, d);
        for (size_t i = 0; i < n; i++) {
                if (d[i].share_role != BD_ROLE_TAKER)
                        continue;
                given = add_sat(given, d[i].share_kib);
                want = add_sat(want, peer_burst_want(&d[i]));
        }
        extra = sub_sat(min_u64(budget->ram_kib, budget->vm_kib), given);
        if (want == 0 || extra == 0)
                return;
        for (size_t i = 0; i < n; i++) {
                uint64_t more;

                if (d[i].share_role != BD_ROLE_TAKER || !(more = peer_burst_want(&d[i])))
                        continue;
                if (extra < want)
                        more = u64_of((double)more * (double)extra / (double)want);
                if (d[i].share_kib || more >= bd_deadband_kib(cfg, d[i].actual_kib))
                        d[i].share_kib = add_sat(d[i].share_kib, more);
        }
}

void bd_phase_takers(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                     const struct bd_vm_history *history, size_t n, enum bd_band band, uint64_t now_usec,
                     struct bd_decision *d, struct bd_budget *budget) {
        uint64_t want = 0, room = budget->room_kib;

        if (band >= BD_BAND_PRESSURE || budget->need_kib > 0)
                return;
        for (size_t i = 0; i < n; i++) {
                const struct bd_vm_history *h = &history[i];

                uint64_t limit = deflate_limit(cfg, &samples[i], &d[i]);

                if (blind_taker(cfg, &samples[i], &d[i])) {
                        take(cfg, &d[i], d[i].max_kib);
                } else if (band == BD_BAND_RELAXED && d[i].status == BD_STATUS_OK &&
                           d[i].action == BD_ACTION_NONE &&
                           (d[i].reason == BD_REASON_STEADY || d[i].reason == BD_REASON_GUEST_DEFLATED)) {
                        if (add_sat(d[i].actual_kib, bd_deadband_kib(cfg, d[i].actual_kib)) > limit)
                                d[i].reason = limit < d[i].max_kib ? BD_REASON_AT_ENTITLED : BD_REASON_AT_MAX;
                        else if (h->last_change_usec && now_usec - h->last_change_usec < cfg->cooldown_usec)
                                d[i].reason = BD_REASON_COOLDOWN;
                        else
                                take(cfg, &d[i], limit);
                }
                if (d[i].share_role == BD_ROLE_TAKER)
                        want = add_sat(want, d[i].limit_kib);
        }
        if (room > 0) {
                bd_share_fill(d, n, BD_ROLE_TAKER, room);
                bd_share_deadband(cfg, d, n, BD_ROLE_TAKER, min_u64(room, want), room);
        }
        past_goal(cfg, samples, history, n, now_usec, d, budget);
}
