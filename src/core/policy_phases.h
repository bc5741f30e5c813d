/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The phases of one policy cycle, in the order bd_policy_run() calls them,
 * and the small structs they hand each other. Internal to the core; declared
 * here so that each phase is unit-tested on its own (tests/test_policy_phases.c).
 *
 *   host view  (policy_host.c)     bands, reclaim goal, relaxed room and the
 *                                  host budget of this cycle's grants
 *   classify   (policy_classify.c) per VM: excluded / blind / stuck / ok,
 *                                  floor, signals, the grow it asks for
 *   urgent     (policy_urgent.c)   grants to VMs that need memory, within the
 *                                  host budget; unmet demand; what it funds
 *   donors     (policy_donors.c)   who gives, how much (reclaim)
 *   takers     (policy_takers.c)   who takes the relaxed room (and blind deflation)
 *   finalise   (policy_finalise.c) decisions, totals, what history remembers
 *
 * Every phase reads what the phases before it wrote and nothing else: the
 * history is written only by classify (stuck tracking) and finalise. */
#pragma once

#include "balloond/core/policy.h"

/* Roles of a VM while memory is shared out (bd_decision.share_role). */
enum bd_role {
        BD_ROLE_NONE = 0, /* decided, takes no part in sharing */
        BD_ROLE_DONOR,    /* may give memory (limit_kib: the most it may give) */
        BD_ROLE_TAKER,    /* relaxed: may take memory (limit_kib: the most it may take) */
        BD_ROLE_CLAIM,    /* urgent: asks for memory (limit_kib: this tier's ask) */
};

/* What the host phase hands the others: the cycle's budgets. */
struct bd_budget {
        bool critical;
        bool out_of_ram;      /* MemAvailable under BD_OUT_OF_RAM_KIB: the host is at or past its RAM */
        double margin_pct;    /* guest.margin_pct less the host's squeeze (policy_host.c) */
        double margin_squeeze; /* how far the margins gave way (0..1, policy_host.c): the configured one
                                * (margin_pct is what is left of it) and the learned burst room alike */
        uint64_t ram_kib;     /* grants left within RAM above its critical line */
        uint64_t ram_hard_kib; /* grants left within RAM above the host's reserve: floors only */
        uint64_t ram_rescue_kib; /* grants left within RAM above what host.reserve_rescue_pct keeps of
                                  * the reserve: floors of rare claimers about to run out only */
        uint64_t ram_last_kib; /* the reclaim seen since the previous cycle, within MemAvailable:
                                * rare claimers' floors only, once ram_hard_kib is spent */
        uint64_t vm_kib;      /* grants left within the VM budget (UINT64_MAX: no budget) */
        uint64_t room_kib;    /* relaxed deflation left: room above the pressure goal */
        int64_t goal_kib;     /* reclaim to leave pressure (> 0), 0 outside pressure */
        uint64_t in_flight_kib; /* shrinks decided earlier, not yet made (count toward the goal) */
        bool ram_driven;      /* the goal is RAM's: donors are chosen by expected host gain */
        uint64_t need_kib;    /* reclaim to decide this cycle (goal and unmet demand) */
        uint64_t cap_left_kib; /* host shrink cap left */
        bool lend_burst;      /* a guest out of memory was cut short of its floor: others lend their
                               * learned burst room (donors) */
        bool share_margin;    /* a guest out of memory was cut short of its floor with nothing left in RAM
                               * above the reserve: others share their margin down to half (donors) */
};

/* The free margin of a guest using USED_KIB at MARGIN_PCT of it (the
 * configured one, or the cycle's: the host's squeeze applied), at least
 * guest.margin_min_mib. */
uint64_t bd_margin_at(const struct bd_config *cfg, double margin_pct, uint64_t used_kib);

/* Phase 1: the host as it is (RAM less hugetlb pools and unavailable
 * memory, the VM budget, PSI as a modifier of the bands) and the budget of
 * this cycle's grants. Updates HOST_STATE (band). */
void bd_phase_host(const struct bd_config *cfg, const struct bd_host_sample *host,
                   const struct bd_vm_sample *samples, const struct bd_vm_history *history, size_t n,
                   uint64_t now_usec, struct bd_host_state *host_state, struct bd_host_view *view,
                   struct bd_budget *budget);

/* The band of FREE_PCT after PSI, which may make it one step worse (never
 * out of relaxed: plenty of free memory is not a host shortage). */
enum bd_band bd_phase_psi_band(const struct bd_config *cfg, enum bd_band band, const struct bd_host_sample *host,
                               bool *escalated);

/* Memory VM S's balloon gave its guest that the guest has not touched yet
 * (H: the history before this cycle): taken off RAM's lines like a grow on
 * its way, and kept in the history by finalise. */
uint64_t bd_phase_untouched(const struct bd_config *cfg, const struct bd_vm_sample *s,
                            const struct bd_vm_history *h);

/* Phase 2: one VM. Fills D (status, floor, signals, want_kib for an urgent
 * grow); H is read, and written only for stuck tracking. Of BUDGET only
 * critical, out_of_ram (the host swaps) and margin_pct. D->fleet_jump_kib
 * is the caller's (bd_guard_fleet_jumps() of every VM before any is
 * classified, so that it does not depend on their order), and kept. */
void bd_phase_classify(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                       const struct bd_budget *budget, uint64_t now_usec, int64_t now_wall_sec,
                       struct bd_decision *d);

/* The balloon size range [*LO, *HI] when S's report was made (H: the
 * history before this cycle is remembered). */
void bd_phase_report_sizes(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                           uint64_t *lo, uint64_t *hi);

/* A VM's claim credit (KiB) at NOW_USEC: its history's, decayed by half-lives. */
double bd_phase_credit(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec);

/* Its claim credit (KiB) at NOW_USEC with its balloon at ACTUAL_KIB: the
 * history's, decayed, plus what the balloon made of its outstanding claim
 * since it was last counted, less the debt that repaid. MADE_KIB and
 * DEBT_KIB (when not NULL): the history's claim_made_kib and claim_debt_kib
 * after it (policy_credit.c). */
double bd_credit_now(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t actual_kib,
                     uint64_t now_usec, uint64_t *made_kib, uint64_t *debt_kib);

/* The claim credit H keeps of this cycle's decision D (its balloon at
 * ACTUAL_KIB): D's, and this cycle's decay back while D is a frequent
 * claimer still asking and refused. Moves H's claim_made_kib and
 * claim_debt_kib on (what D's credit counted). */
double bd_credit_remembered(const struct bd_config *cfg, struct bd_vm_history *h, const struct bd_decision *d,
                            uint64_t actual_kib, uint64_t now_usec);

/* What applied decision D does to H's claim credit, debt and claim. */
void bd_credit_note_applied(struct bd_vm_history *h, const struct bd_decision *d);

/* Phase 3: grants to the VMs that asked (want_kib), within the budget:
 * first up to each floor (emergencies: within RAM above the reserve, past
 * the VM budget unless it is hard), then the rest (above the critical lines,
 * not when critical); frequent claimers after the others, and only out of
 * the room above the pressure goal; within a group by shares / (1 + credit
 * in margins). Sets each claimant's target, unmet_kib and lines; adds the
 * reclaim its unmet demand funds to budget->need_kib. */
void bd_phase_urgent(const struct bd_config *cfg, struct bd_decision *d, size_t n, struct bd_budget *budget,
                     struct bd_host_view *view);

/* Phase 4: who gives (above a rule's maximum; under pressure or to fund
 * unmet demand) and how much, within the host cap. */
void bd_phase_donors(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                     const struct bd_vm_history *history, size_t n, uint64_t now_usec, struct bd_decision *d,
                     struct bd_budget *budget);

/* Phase 5: who takes the relaxed room (and blind VMs, if so configured). */
void bd_phase_takers(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                     const struct bd_vm_history *history, size_t n, enum bd_band band, uint64_t now_usec,
                     struct bd_decision *d, struct bd_budget *budget);

/* Phase 6: the donors' and takers' decisions, the totals, and what the
 * history keeps of this cycle (report counters and sizes, claim credit). */
void bd_phase_finalise(const struct bd_config *cfg, const struct bd_vm_sample *samples, struct bd_vm_history *history,
                       size_t n, uint64_t now_usec, const struct bd_budget *budget, struct bd_decision *d,
                       struct bd_host_view *view);

/* Sharing (policy_share.c). Share AMOUNT among the VMs of ROLE: each gets
 * min(limit, level x weight) in share_kib, the level found by bisection. */
void bd_share_fill(struct bd_decision *d, size_t n, int role, uint64_t amount);
/* Drop shares under the deadband; move what they would have moved to VMs
 * that can take it, never past CEILING in all. */
void bd_share_deadband(const struct bd_config *cfg, struct bd_decision *d, size_t n, int role, uint64_t amount,
                       uint64_t ceiling);
uint64_t bd_deadband_kib(const struct bd_config *cfg, uint64_t actual_kib);

/* A decision to leave the VM as it is. */
static inline void bd_decide_none(struct bd_decision *d, enum bd_reason reason, enum bd_vm_status status) {
        d->action = BD_ACTION_NONE;
        d->reason = reason;
        d->status = status;
        d->target_kib = d->actual_kib;
}

/* Why the policy leaves a VM alone whatever its statistics (state, devices,
 * config, metadata, permanent errors), or BD_REASON_STEADY. */
enum bd_reason bd_phase_exclusion(const struct bd_vm_sample *s, const struct bd_vm_history *h,
                                  const struct bd_vm_settings *set);

/* Guest safety (policy_guard.c), called by classify. */

/* The learned burst margin of H at NOW_USEC (decayed), KiB. */
uint64_t bd_guard_burst(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec);
/* What of it the floor needs now: a burst counts from the guest's resting
 * use, so a guest in the middle of one needs only the rest of it. */
uint64_t bd_guard_room(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec);

/* Room for another jump of H's guest's use: half of its largest growth
 * within one report interval in the last five minutes, not fallen back (at
 * most guest.burst_max_mib), KiB. The guest is in the middle of something
 * (a login, a crowd, a job starting) and may jump again soon. Part of the
 * floor granted like an emergency, unlike the learned burst margin, also
 * when the host is critical. */
uint64_t bd_guard_rise(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec);

/* The peers (policy_peers.c). The jump (bd_guard_rise's, whole) at least
 * two of the running VMs other than SELF with SAMPLES[SELF]'s maximum size
 * made within the last five minutes (the second largest of theirs), at most
 * guest.burst_max_mib, KiB: what its peers of the same shape did. A scan of
 * all the VMs. */
uint64_t bd_guard_fleet_jump(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                             const struct bd_vm_history *history, size_t n, size_t self, uint64_t now_usec);

/* The burst margin at least two of the running VMs other than SELF with
 * SAMPLES[SELF]'s maximum size learned (the second largest of theirs,
 * decayed, KiB), when SELF's own learned margin is under half of it, else
 * 0: the burst its peers showed and it has not yet (the first job of a batch
 * worker beside workers that ran theirs). */
uint64_t bd_guard_fleet_burst(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                              const struct bd_vm_history *history, size_t n, size_t self, uint64_t now_usec);

/* The same for every VM at once, grouped by maximum size (the VMs of the
 * sizes beyond the 64th scanned as above): D[i].fleet_jump_kib for all;
 * D[i].peer_burst_kib (the peers' burst or its peer_rise_kib, the larger)
 * for the takers. */
void bd_guard_fleet_jumps(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                          const struct bd_vm_history *history, size_t n, uint64_t now_usec, struct bd_decision *d);
void bd_guard_fleet_bursts(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                           const struct bd_vm_history *history, size_t n, uint64_t now_usec, struct bd_decision *d);

/* The room for its peers' jump H's guest keeps in its floor (not asked
 * for): FLEET_JUMP_KIB when it has no room for a jump of its own
 * (bd_guard_rise) and its largest jump lately is under half of that (its
 * peers jumped; it did not yet), else 0. */
uint64_t bd_guard_peer_rise(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t fleet_jump_kib,
                            uint64_t now_usec);

/* Learn from S's report, new (NEW_REPORT) and not a reboot (RESET), made
 * when the balloon was between LO_KIB and HI_KIB: its used memory's growth
 * since the previous report. Updates H's burst margin and what it keeps of
 * the report. */
void bd_guard_learn(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                    uint64_t lo_kib, uint64_t hi_kib, bool new_report, bool reset, uint64_t now_usec);

/* Balloon moves balloond did not ask for, since the previous cycle: a guest
 * taking memory back from its balloon (deflate-on-OOM: adopted, margin
 * raised, shrinks held) or someone else setting its size (left alone for a
 * while). Fills D's self_deflated_kib / foreign_kib and withdraw. */
void bd_guard_moves(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                    uint64_t now_usec, struct bd_decision *d);

/* balloond asked for TARGET_KIB at NOW_USEC (whatever the call answered). */
void bd_guard_asked(struct bd_vm_history *h, uint64_t target_kib, uint64_t now_usec);

/* balloond set the balloon's target to TARGET_KIB at NOW_USEC. */
void bd_guard_expect(struct bd_vm_history *h, uint64_t target_kib, uint64_t now_usec);

/* Can balloond set this VM's balloon at all (running, a balloon, no
 * permanent error)? */
bool bd_guard_settable(const struct bd_vm_sample *s, const struct bd_vm_history *h);

/* A blind or excluded VM: withdraw a target balloond set and the balloon has
 * not reached (D->withdraw), and give back what balloond took from a blind
 * VM, or from one a host device was just plugged into (a grow in the floor
 * tier). H's target is forgotten. */
void bd_guard_untended(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                       struct bd_decision *d);

/* Guest emergencies (policy_emergency.c), called by classify. What a guest
 * pinned at its size has in swap that it needs: SWAPPED_OUT_KIB since its
 * last report, or on the first report balloond sees (H not seen) its
 * counters' swapped out less swapped in. */
uint64_t bd_emergency_swapped(const struct bd_vm_sample *s, const struct bd_vm_history *h, uint64_t swapped_out_kib);
/* The size that holds SWAPPED_KIB besides what it uses (USED_KIB), with the
 * margin of both (MARGIN_PCT: the cycle's; TWICE: a report without
 * `usable`), 0 when nothing was swapped: granted like the floor. */
uint64_t bd_emergency_swap_need(const struct bd_config *cfg, double margin_pct, const struct bd_vm_sample *s,
                                uint64_t swapped_kib, uint64_t used_kib, bool twice);
/* The size a guest pinned at its size asks for at least (0: nothing more
 * than the usual): SWAP_NEED_KIB, and after a grow for its pressure that
 * was too small twice that grow (REPORT_LO_KIB: the smallest balloon size
 * its report may have been made at). */
uint64_t bd_emergency_want(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                           uint64_t swap_need_kib, uint64_t report_lo_kib, uint64_t now_usec);

/* Shrinks held (a guest emergency, a foreign target), or why not: the
 * reason that holds them, or BD_REASON_STEADY. */
enum bd_reason bd_guard_hold(const struct bd_vm_history *h, uint64_t now_usec);
