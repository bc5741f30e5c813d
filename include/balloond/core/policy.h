/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The balloon policy: a pure function from (host sample, VM samples, per-VM
 * history, config, now) to one decision per VM, run as named phases (host
 * view, classify, urgent grants, donors, takers, finalise: see
 * src/core/policy_phases.h). No libvirt, no clock, no logging, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/core/config.h"
#include "balloond/core/sample.h"

enum bd_band {
        BD_BAND_RELAXED = 0, /* plenty free: deflate balloons toward each VM's maximum */
        BD_BAND_NORMAL,      /* no reclaim, no deflation beyond guest needs */
        BD_BAND_PRESSURE,    /* reclaim idle guest memory */
        BD_BAND_CRITICAL,    /* reclaim at twice the rate */
};

enum bd_action {
        BD_ACTION_NONE = 0,
        BD_ACTION_SHRINK, /* inflate the balloon: the VM gets less memory */
        BD_ACTION_GROW,   /* deflate the balloon: the VM gets more memory */
};

enum bd_vm_status {
        BD_STATUS_OK = 0,
        BD_STATUS_EXCLUDED,
        BD_STATUS_BLIND,
        BD_STATUS_STUCK,
};

/* Why a decision is what it is. Stable names (bd_reason_to_string) are used
 * in the journal, JSON and metrics. */
enum bd_reason {
        BD_REASON_STEADY = 0,          /* normal band, guest comfortable: nothing to do */
        BD_REASON_HOST_PRESSURE,       /* shrink: host under pressure, idle memory taken */
        BD_REASON_HOST_CRITICAL,       /* shrink: host critical */
        BD_REASON_HOST_RELAXED,        /* grow: host relaxed, deflate toward maximum */
        BD_REASON_GUEST_LOW_FREE,      /* grow: guest free memory below its margin */
        BD_REASON_GUEST_SWAP_IN,       /* grow: guest is swapping in */
        BD_REASON_GUEST_MAJOR_FAULTS,  /* grow: burst of major faults */
        BD_REASON_BELOW_MIN,           /* grow: balloon below the VM's floor or minimum */
        BD_REASON_ABOVE_MAX,           /* shrink: balloon above the configured maximum */
        BD_REASON_GUEST_SWAP_OUT,      /* no shrink: guest swapping out */
        BD_REASON_AT_FLOOR,            /* no shrink: already at its floor */
        BD_REASON_AT_MAX,              /* no grow: already at its maximum */
        BD_REASON_DEADBAND,            /* change too small to be worth it */
        BD_REASON_COOLDOWN,            /* changed too recently */
        BD_REASON_RECENT_GROW,         /* no shrink soon after a pressure-driven grow */
        BD_REASON_AWAIT_STATS,         /* no shrink on statistics older than its last change */
        BD_REASON_HOST_CAP,            /* the host-wide shrink cap for this cycle is used up */
        BD_REASON_NO_HEADROOM,         /* grow wanted, host has no headroom for it */
        BD_REASON_EXCLUDED_CONFIG,     /* excluded by a config rule */
        BD_REASON_EXCLUDED_CLASS,      /* excluded by class (e.g. database) */
        BD_REASON_EXCLUDED_METADATA,   /* excluded by the domain's balloond metadata */
        BD_REASON_NO_BALLOON,          /* no balloon device */
        BD_REASON_VFIO,                /* host device assigned: memory pinned */
        BD_REASON_LOCKED_MEMORY,       /* memory locked */
        BD_REASON_HUGEPAGES,           /* hugepage-backed memory */
        BD_REASON_PAUSED,
        BD_REASON_MIGRATING,
        BD_REASON_SHUT_OFF,
        BD_REASON_NOT_RUNNING,         /* crashed, suspended, other */
        BD_REASON_UNSUPPORTED,         /* hypervisor refused to set memory, permanently */
        BD_REASON_STATS_NEVER,         /* blind: guest never reported stats */
        BD_REASON_STATS_STALE,         /* blind: last report too old */
        BD_REASON_STATS_INVALID,       /* blind: report failed sanity checks */
        BD_REASON_BLIND_DEFLATE,       /* grow: blind VM given its memory back (blind_action=deflate) */
        BD_REASON_STUCK,               /* balloon not moving toward its target */
        BD_REASON_AWAIT_REPORT,        /* no grow: already grown on this guest report */
        BD_REASON_INEFFECTIVE,         /* no shrink for the host: its shrinks return (nearly) no host memory */
        BD_REASON_BURST_ROOM,          /* grow: room for the guest's learned burst on top of its margin */
        BD_REASON_GUEST_DEFLATED,      /* the guest took memory back from its balloon (deflate-on-OOM): adopted, not shrunk for a while */
        BD_REASON_FOREIGN_TARGET,      /* someone else set its size: left alone for a while */
        BD_REASON_GIVE_BACK,           /* grow: memory balloond took given back (blind, or a host device plugged in) */
        BD_REASON_AT_ENTITLED,         /* relaxed: at the size its administrator set (persistent <currentMemory>) */
        BD_REASON_FACTS_UNKNOWN,       /* blind: its domain XML could not be read */
        BD_REASON_CONFIDENTIAL,        /* excluded: confidential guest (<launchSecurity>) */
        BD_REASON_VDPA,                /* excluded: vDPA device, memory pinned */
        BD_REASON_VIRTIO_MEM,          /* excluded: virtio-mem device */
        BD_REASON_STATS_GAP,           /* blind for a moment: this cycle's report missing, the last one recent */
        BD_REASON__COUNT,
};

/* Why shrinking a VM returns (nearly) nothing to the host (the ledger).
 * Stable names: bd_ineffective_to_string. */
enum bd_ineffective {
        BD_INEFFECTIVE_NO = 0,
        BD_INEFFECTIVE_HUGEPAGES,     /* from its XML: hugetlb pages, never the host's free memory */
        BD_INEFFECTIVE_PINNED,        /* from its XML: a host device pins its memory */
        BD_INEFFECTIVE_LOCKED,        /* from its XML: its memory is locked */
        BD_INEFFECTIVE_SHARED,        /* measured, with shared memory backing (memfd/file) */
        BD_INEFFECTIVE_FREE_REPORTED, /* measured, with free page reporting: it gave free pages the host had */
        BD_INEFFECTIVE_NOT_RESIDENT,  /* measured, without: what it gave was not resident (cache already gone) */
        BD_INEFFECTIVE__COUNT,
};

/* Reclaim confirmed on the host (src/core/ledger.c): after balloond's
 * shrinks the QEMU process's resident memory should follow. */
struct bd_reclaim {
        uint64_t returned_kib;   /* confirmed host memory its shrinks freed, less what grows gave back */
        double ratio;            /* sum_got / sum_moved (valid if measured) */
        double sum_moved, sum_got; /* KiB moved and confirmed, each measurement's weighing 0.8 x the previous */
        unsigned measured;       /* measurements taken (since the last re-probe) */
        enum bd_ineffective ineffective; /* measured (static reasons are not kept here) */
        uint64_t rss_mark_kib;   /* resident memory beyond the guest's use when found ineffective */
        /* The probe of an ineffective VM (bd_ledger_observe) judges only
         * reports made while the balloon held its size: */
        uint64_t still_kib;      /* the balloon size last seen */
        int64_t still_report_sec; /* last-update of the last report seen at that size */
        unsigned still_reports;  /* new reports since, each showing the growth */
        uint64_t last_moved_kib, last_got_kib; /* the last measurement */
        /* A measurement under way: from the first shrink of a series until
         * its balloon has held its target for a few cycles. */
        bool open;
        uint64_t rss_before_kib;
        uint64_t actual_before_kib;
        uint64_t used_before_kib; /* the guest's used memory (size - usable) then, BD_KIB_UNKNOWN */
        unsigned settled;        /* cycles at its target */
        unsigned age;            /* cycles open */
};

/* MemAvailable under this: the host has no memory left (it swaps). Donors
 * then give all they have above their floors at once (docs/POLICY.md, "Out
 * of RAM"); kept small, as the rule is for a host out of RAM. */
#define BD_OUT_OF_RAM_KIB (16ULL * 1024ULL)

/* Between cycles the host's memory is read every BD_WATCH_USEC: a host out
 * of RAM gets its cycle then, not at the end of the interval. */
#define BD_WATCH_USEC 1000000ULL

/* Should a cycle run now, before its time? HOST read at NOW_USEC, the last
 * cycle at LAST_CYCLE_USEC (0: none yet), cycles every INTERVAL_USEC: only
 * when the host is out of RAM, at most one per BD_WATCH_USEC. */
bool bd_policy_cycle_now(const struct bd_host_sample *host, uint64_t last_cycle_usec, uint64_t now_usec,
                         uint64_t interval_usec);

/* The targets balloond remembers having asked for, per VM. */
#define BD_ASKED_KEEP 4

/* What balloond remembers about one VM between cycles. The caller keeps one
 * per VM (matched by UUID), zeroed for a new VM, and passes it to each cycle. */
struct bd_vm_history {
        bool seen;                  /* a previous sample exists */
        uint64_t prev_swap_in_kib;  /* counters of the last guest report, to compute rates */
        uint64_t prev_swap_out_kib;
        uint64_t prev_major_faults;
        int64_t prev_last_update_sec; /* last-update of that report */
        int64_t report_sec;         /* last-update of the last cycle's sample that had a report (0: none yet) */
        uint64_t prev_sample_usec;  /* monotonic time of the previous cycle */
        uint64_t prev_actual_kib;   /* balloon size at the previous cycle */
        /* The balloon size when the last report was taken lies in
         * [report_lo_kib, report_hi_kib] (the balloon may have moved between
         * the cycle before it arrived and the cycle it arrived in). */
        uint64_t report_lo_kib, report_hi_kib;
        int64_t grow_report_sec;    /* last-update of the report the last guest-pressure grow was decided on */
        /* Claim credit, KiB: memory its claims got, less what it gave back,
         * halving every claim_half_life_sec (bd_policy_note_applied adds,
         * the policy decays). */
        double claim_credit;
        uint64_t credit_usec;       /* when claim_credit was last decayed */
        uint64_t claim_target_kib;  /* highest target a claim asked the balloon for (0: none, or shrunk since) */
        uint64_t claim_made_kib;    /* the balloon size up to which it was counted */
        uint64_t claim_debt_kib;    /* what balloond's shrinks took beyond the credit they cancelled, not given back */

        uint64_t last_change_usec;  /* last applied change, 0 = never */
        int64_t change_stats_sec;   /* last-update of the stats that change was decided on */
        uint64_t last_grow_for_pressure_usec; /* last guest-pressure grow, 0 = never */
        uint64_t pressure_grant_kib; /* how much that grow added */
        uint64_t pressure_target_kib; /* and the size it aimed at */
        uint64_t target_kib;        /* target last applied, 0 = none outstanding */
        uint64_t best_distance_kib; /* closest |actual - target| seen since it was set */
        uint64_t progress_usec;     /* when the balloon last got closer to its target */
        bool stuck;
        uint64_t stuck_since_usec;
        bool unsupported;           /* a permanent error: stop trying */
        /* Memory the balloon gave its guest (grows it made, less shrinks)
         * that the guest has not touched yet, as far as its reports tell:
         * still in the host's MemAvailable, but the guest's to use. */
        uint64_t untouched_kib;
        struct bd_reclaim reclaim;  /* reclaim confirmed on the host */

        /* Guest safety (policy_guard.c). */
        uint64_t prev_used_kib;     /* used memory at the last report (largest size it may have been made at), 0: none */
        uint64_t prev_total_kib;    /* the guest's MemTotal and MemAvailable at the last report (BD_KIB_UNKNOWN: none) */
        uint64_t prev_usable_kib;
        uint64_t prev2_used_kib;    /* the same for the report before it (a burst across a report) */
        int64_t prev2_sec;          /* its last-update */
        /* A rise not yet learned: learned as a burst once used memory falls
         * back by half of it (a spike); a rise that stays is the guest's new
         * size, in its floor already. RISE_PEAK_KIB: used at the top. */
        uint64_t rise_kib, rise_peak_kib, rise_usec;
        /* A run of reports each higher than the one before (a guest held back
         * by its balloon shows its burst a grow at a time): where it started
         * (0: none), how many reports it has, and the last report's used. */
        uint64_t run_base_kib, prev_level_kib;
        unsigned run_reports;
        uint64_t jump_kib, jump_usec; /* the largest growth within a report interval lately, and when */
        uint64_t level_lo_kib;      /* used at the last report (lower bound; the level scale) */
        uint64_t rest_kib;          /* its resting use: the lowest lately, rising slowly (0: none) */
        uint64_t prev2_total_kib;
        uint64_t prev2_usable_kib;
        double burst_kib;           /* learned burst margin, KiB, as of burst_usec (decays) */
        uint64_t burst_usec;
        bool burst_lent;            /* its learned burst room was lent to a guest out of memory: owed back
                                     * like its floor until its size is back at its floor */
        uint64_t expect_kib;        /* where balloond expects the balloon: the size it last set or adopted (0: unknown) */
        /* Targets balloond asked the hypervisor for lately, whatever the call
         * answered (a call that overran or failed may still land), newest
         * first, and when each was asked for or last known in flight: a
         * balloon heading for one of them within a settle window is
         * balloond's own move, never someone else's (0: none). */
        uint64_t asked_kib[BD_ASKED_KEEP];
        uint64_t asked_usec[BD_ASKED_KEEP];
        bool prev_settable;         /* the previous cycle's sample was running with a settable balloon */
        bool tended;                /* judged ok since it last started: its balloon going down before that is its start-up */
        uint64_t emergency_until_usec; /* the guest took memory back from its balloon: no shrink before this */
        uint64_t foreign_until_usec;   /* someone else set its size: left alone before this */
        uint64_t taken_kib;         /* memory balloond's shrinks took, less what its grows gave back */
        unsigned prev_flags;        /* the sample's flags at the previous cycle */
};

struct bd_host_state {
        enum bd_band band; /* band of the previous cycle (hysteresis) */
        bool seen;
        unsigned out_of_ram_cycles; /* cycles in a row that found the host out of RAM */
        double margin_squeeze;      /* 0..1: how far the guests' margins gave way to it (policy_host.c) */
};

/* The two lines a grant may meet: physical RAM (hard: nothing passes it) and
 * the administrator's VM budget (an emergency may pass it unless
 * host.vm_budget_hard). */
enum bd_line {
        BD_LINE_NONE = 0,
        BD_LINE_RAM,
        BD_LINE_BUDGET,
};

/* The numbers a decision compared, so that it can be explained. */
struct bd_decision {
        enum bd_action action;
        enum bd_reason reason;
        enum bd_vm_status status;
        uint64_t actual_kib;
        uint64_t target_kib;  /* == actual_kib when action is NONE */
        uint64_t max_kib;     /* effective maximum (rule or domain) */
        uint64_t floor_kib;   /* never below this (0 when unknown: blind/excluded) */
        uint64_t used_kib;    /* actual - usable, BD_KIB_UNKNOWN if unknown */
        uint64_t usable_kib;  /* as reported, BD_KIB_UNKNOWN if unknown */
        uint64_t margin_kib;  /* free margin the guest should keep */
        double margin_pct;    /* guest.margin_pct as this cycle applies it (less the host's squeeze) */
        uint64_t limit_kib;   /* the rate limit that applied to this cycle's change */
        bool guest_pressure;  /* guest showed pressure this cycle */
        bool swapping_out;
        bool claimed;         /* a new report claimed memory (counts in its claim credit) */
        bool counters_reset;  /* the guest's counters restarted (a reboot): a new baseline */
        uint64_t want_kib;    /* size an urgent grow asked for (0: none) */
        uint64_t unmet_kib;   /* part of that the host could not grant this cycle */
        uint64_t floor_grow_kib; /* grows aim at least here: the floor on the report's smallest size */
        uint64_t lend_floor_kib; /* its floor without the learned burst room: shrinks may go down to it
                                  * while a guest out of memory is short of its floor */
        bool lends_burst;     /* this cycle its floor is lend_floor_kib: it lends its burst room */
        uint64_t share_floor_kib; /* its use and half its configured margin (no learned room): shrinks may
                                   * go down to it while a guest out of memory is short of its floor and
                                   * RAM above the reserve has nothing left for it */
        bool shares_margin;   /* this cycle its floor is share_floor_kib: it shares its margin */
        bool burst_owed;      /* the burst room it lent is owed back: granted like its floor */
        uint64_t swap_need_kib; /* out of memory: its size plus what it pushed to swap plus a margin, granted
                                 * like its floor (0: none) */
        double claim_credit;  /* its claim credit this cycle (after decay), KiB */
        enum bd_line crossed; /* a line its grant went past (an emergency past the budget) */
        enum bd_line refused; /* the line that cut its grant */
        int64_t stats_sec;    /* last-update of the stats decided on */
        uint64_t burst_learned_kib; /* learned burst margin */
        uint64_t burst_kib;   /* the part of it in margin_kib, floor_kib: what a burst from the guest's
                               * resting use would need beyond what it uses now */
        uint64_t rise_kib;    /* room for another jump like its last (half of its largest jump within a report
                               * interval in the last five minutes, not fallen back): in margin_kib and
                               * floor_kib, granted like the floor (also when the host is critical) */
        uint64_t fleet_jump_kib; /* the jump two of its peers (running VMs of its maximum size) made in the
                                  * last five minutes, whole */
        uint64_t peer_rise_kib; /* that jump, when it has not jumped itself: room in floor_kib (its shrinks stop
                                 * there), not in floor_grow_kib (not asked for) */
        uint64_t peer_burst_kib; /* the burst margin two of its peers learned, when it has learned under half
                                  * of it itself: relaxed deflation may take it past the pressure goal to
                                  * floor_kib + this (policy_takers.c) */
        uint64_t jump_room_kib; /* what that room adds to margin_kib and floor_kib: rise_kib, and the margin
                                 * the use another such jump would bring needs beyond the margin of the use now */
        bool withdraw;        /* set the hypervisor's target to actual_kib: a target balloond no longer stands behind, or a size adopted */
        uint64_t self_deflated_kib; /* the guest took this much back from its balloon since the last cycle */
        uint64_t foreign_kib; /* someone else moved its balloon by this much since the last cycle */
        bool stats_incomplete; /* no `usable` in its report: judged on unused + disk caches, with twice the margin */
        enum bd_reason status_reason; /* why it is blind or excluded (its reason may then be give_back) */
        int shares;           /* effective shares */
        double weight;        /* its claim when memory was shared out (0: took no part) */
        uint64_t rss_kib;     /* its QEMU process's resident memory (BD_KIB_UNKNOWN) */
        double gain;          /* expected host gain per KiB shrunk (1: unmeasured) */
        bool gain_measured;   /* gain is a measured ratio (bd_ledger_gain_measured) */
        enum bd_ineffective ineffective; /* shrinking it returns nothing to the host, and why */
        /* Working values of the policy while it shares memory out. */
        int share_role;
        uint64_t share_kib;
};

/* What the host looked like to the policy this cycle. */
struct bd_host_view {
        enum bd_band band;
        uint64_t free_kib;       /* the binding constraint's free memory (may be 0) */
        uint64_t base_kib;       /* the binding constraint's total (RAM less hugetlb and unavailable, or budget) */
        uint64_t hugetlb_kib;    /* hugetlb pools, out of the RAM base */
        double free_pct;         /* free_kib / base_kib, in % */
        bool budget_binds;       /* the VM budget, not RAM, is the binding constraint */
        uint64_t vm_total_kib;   /* sum of the VMs' actual sizes */
        int64_t reclaim_goal_kib; /* memory to take back (>0) this cycle to leave pressure */
        uint64_t grow_room_kib;  /* memory the VMs may grow by without entering pressure */
        uint64_t shrink_kib;     /* total decided shrink */
        uint64_t grow_kib;       /* total decided grow */
        bool psi_escalated;      /* PSI made the band one step worse */
        /* The host budget of this cycle's grants. */
        uint64_t ram_headroom_kib;    /* RAM free above its critical line, less grows not yet arrived */
        uint64_t ram_hard_kib;        /* RAM free above the host's reserve, less those grows: floors stop here */
        uint64_t ram_rescue_kib;      /* RAM free above the part of the reserve host.reserve_rescue_pct
                                       * keeps, less those grows: floors of guests about to run out stop here */
        uint64_t budget_headroom_kib; /* the same within the VM budget (UINT64_MAX: no budget) */
        uint64_t pending_grow_kib;    /* grows decided earlier that the balloons have not made yet */
        uint64_t untouched_kib;       /* grows the balloons made that their guests have not used yet */
        uint64_t observed_reclaim_kib; /* shrinks the balloons made since the previous cycle (in MemAvailable) */
        uint64_t demand_kib;     /* urgent grows asked for */
        uint64_t granted_kib;    /* urgent grows granted */
        uint64_t unmet_demand_kib; /* asked for, not granted: the host does not have it */
        uint64_t budget_crossed_kib; /* granted past the VM budget (emergencies, within RAM) */
        bool ram_driven;         /* the reclaim goal is RAM's (host gain counts), not the VM budget's */
        bool lend_burst;         /* a guest out of memory is short of its floor: learned burst room is lent */
        bool share_margin;       /* ... and RAM above the reserve had nothing left: margins are shared */
        double margin_squeeze_pct; /* how far the guests' margins gave way to a host out of RAM:
                                    * 0 none, 100 down to guest.margin_min_mib */
        uint64_t in_flight_kib;  /* shrinks decided earlier not made yet (balloon KiB) */
        uint64_t in_flight_gain_kib; /* the host memory they are expected to return */
};

/* Run the policy for N VMs. SAMPLES[i] and HISTORY[i] belong to the same VM;
 * DECISIONS[i] receives its decision. HISTORY and HOST_STATE are updated
 * (counters, stuck tracking, band). NOW_USEC is the monotonic clock,
 * NOW_WALL_SEC the wall clock (for guest stats ages). Cannot fail. */
void bd_policy_run(const struct bd_config *cfg, const struct bd_host_sample *host,
                   const struct bd_vm_sample *samples, struct bd_vm_history *history,
                   size_t n, struct bd_host_state *host_state, uint64_t now_usec,
                   int64_t now_wall_sec, struct bd_decision *decisions,
                   struct bd_host_view *view);

/* Record that DECISION was applied to the VM at NOW_USEC. */
void bd_policy_note_applied(struct bd_vm_history *h, const struct bd_decision *d,
                            uint64_t now_usec);

/* Record that balloond asked the hypervisor to set the VM's balloon to
 * TARGET_KIB at NOW_USEC, whatever the call answered (one that overran or
 * failed may still land): the balloon reaching it is never taken for a size
 * someone else set. */
void bd_policy_note_asked(struct bd_vm_history *h, uint64_t target_kib, uint64_t now_usec);

/* Record a permanent error (e.g. setting memory unsupported): the VM is left alone. */
void bd_policy_note_unsupported(struct bd_vm_history *h);

/* Stopping (restore_on_exit): give each VM that holds less than it is
 * entitled to (entitled_kib, else max_kib) memory back, within the host's
 * headroom above its critical line (and the VM budget), neediest first (the
 * least free memory, as a share of its size; blind guests after those that
 * report). ORDER is scratch for N indices. TARGETS[i] receives the new size,
 * or 0 for none. Returns the memory given back, in KiB; *SHORT_KIB receives
 * what the host had no room for. */
uint64_t bd_policy_restore(const struct bd_config *cfg, const struct bd_host_sample *host,
                           const struct bd_vm_sample *samples, size_t n, size_t *order, uint64_t *targets,
                           uint64_t *short_kib);

/* What the host has above its critical line now: in RAM (*RAM_KIB; RAM is
 * MemTotal less the hugetlb pools and host.unavailable_mib) and within the
 * VM budget (*VM_KIB, UINT64_MAX without one), the VMs holding VM_TOTAL_KIB. */
void bd_host_headroom(const struct bd_config *cfg, const struct bd_host_sample *host, uint64_t vm_total_kib,
                      uint64_t *ram_kib, uint64_t *vm_kib);

/* What balloond owes VM S: its entitled size, else its maximum (BD_KIB_UNKNOWN
 * if neither is known). */
uint64_t bd_policy_entitled_kib(const struct bd_vm_sample *s);

/* Pure helpers, exposed for tests and reporters. */

/* Free margin for a guest that uses USED_KIB: max(margin_pct of used, margin_min). */
uint64_t bd_policy_margin_kib(const struct bd_config *cfg, uint64_t used_kib);

/* Classify host memory; PREV is the previous band (hysteresis). */
enum bd_band bd_policy_band(const struct bd_config *cfg, double free_pct, enum bd_band prev,
                            bool seen);

/* Checks a guest report for impossible values; returns NULL if it is sane,
 * else a short description of the first problem. HISTORY may be NULL. */
const char *bd_policy_stats_insane(const struct bd_vm_sample *s, const struct bd_vm_history *h);

/* Would the policy leave VM alone (excluded, or blind by its stats) at
 * NOW_WALL_SEC? Used to judge other policies' decisions in the simulator. */
bool bd_policy_untouchable(const struct bd_config *cfg, const struct bd_vm_sample *vm, int64_t now_wall_sec);

/* Would the policy leave VM alone whatever its state and statistics: no
 * balloon, a host device, locked or huge-page memory, unsupported, or
 * excluded by the configuration or its metadata? (Its stats period is then
 * not armed.) */
bool bd_policy_never_managed(const struct bd_config *cfg, const struct bd_vm_sample *vm);

const char *bd_band_to_string(enum bd_band b);
const char *bd_action_to_string(enum bd_action a);
const char *bd_status_to_string(enum bd_vm_status s);
const char *bd_reason_to_string(enum bd_reason r);
const char *bd_line_to_string(enum bd_line l);
const char *bd_ineffective_to_string(enum bd_ineffective i);
/* A short human sentence for why a VM is ineffective. */
const char *bd_ineffective_describe(enum bd_ineffective i);
/* A short human sentence for a reason, e.g. "host under memory pressure". */
const char *bd_reason_describe(enum bd_reason r);
