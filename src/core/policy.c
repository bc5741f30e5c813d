/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The balloon policy: bd_policy_run() runs one cycle as named phases (see
 * policy_phases.h), plus the bands, what an applied decision leaves in the
 * history, and the stable names of bands, actions, statuses and reasons.
 * Pure: plain structs in, plain structs out; no I/O, no clock, no allocation. */
#include <math.h>
#include <string.h>

#include "balloond/core/ledger.h"
#include "balloond/core/units.h"
#include "policy_phases.h"

uint64_t bd_margin_at(const struct bd_config *cfg, double margin_pct, uint64_t used_kib) {
        return max_u64(pct_of(margin_pct, used_kib), cfg->margin_min_kib);
}

uint64_t bd_policy_margin_kib(const struct bd_config *cfg, uint64_t used_kib) {
        return bd_margin_at(cfg, cfg->margin_pct, used_kib);
}

static enum bd_band band_of(const struct bd_config *cfg, double free_pct) {
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
        enum bd_band raw = band_of(cfg, free_pct), held;

        if (!seen || raw >= prev) /* same or worse: at once */
                return raw;
        /* Better: only as far as free memory is past the edge by the hysteresis. */
        held = band_of(cfg, free_pct - cfg->hysteresis_pct);
        return held < prev ? held : prev;
}

void bd_policy_run(const struct bd_config *cfg, const struct bd_host_sample *host,
                   const struct bd_vm_sample *samples, struct bd_vm_history *history,
                   size_t n, struct bd_host_state *host_state, uint64_t now_usec,
                   int64_t now_wall_sec, struct bd_decision *decisions,
                   struct bd_host_view *view) {
        struct bd_budget budget;

        bd_phase_host(cfg, host, samples, history, n, now_usec, host_state, view, &budget);
        bd_guard_fleet_jumps(cfg, samples, history, n, now_usec, decisions);
        for (size_t i = 0; i < n; i++)
                bd_phase_classify(cfg, &samples[i], &history[i], &budget, now_usec,
                                  now_wall_sec, &decisions[i]);
        bd_phase_urgent(cfg, decisions, n, &budget, view);
        bd_phase_donors(cfg, samples, history, n, now_usec, decisions, &budget);
        bd_phase_takers(cfg, samples, history, n, view->band, now_usec, decisions, &budget);
        bd_phase_finalise(cfg, samples, history, n, now_usec, &budget, decisions, view);
}

/* A host out of RAM swaps its guests' memory every second it stays there,
 * and one cycle gives back all the donors have above their floors: waiting
 * out the rest of the interval for that cycle is all that is left of the
 * time it spends there (a generated 256 GiB host-job host: 3 s past its RAM
 * at 5 s cycles, 1 s with the host read every second). */
bool bd_policy_cycle_now(const struct bd_host_sample *host, uint64_t last_cycle_usec, uint64_t now_usec,
                         uint64_t interval_usec) {
        if (interval_usec <= BD_WATCH_USEC || host->mem_total_kib == 0 || host->mem_available_kib == BD_KIB_UNKNOWN)
                return false;
        return host->mem_available_kib < BD_OUT_OF_RAM_KIB &&
               (last_cycle_usec == 0 || now_usec >= add_sat(last_cycle_usec, BD_WATCH_USEC));
}

void bd_policy_note_applied(struct bd_vm_history *h, const struct bd_decision *d,
                            uint64_t now_usec) {
        if (d->action == BD_ACTION_NONE) {
                if (d->withdraw) /* the hypervisor's target is its size now */
                        bd_guard_expect(h, d->actual_kib, now_usec);
                return;
        }
        bd_ledger_note_applied(h, d);
        bd_guard_expect(h, d->target_kib, now_usec);
        /* What balloond holds of the VM: given back when it goes blind. */
        if (d->action == BD_ACTION_SHRINK)
                h->taken_kib = add_sat(h->taken_kib, d->actual_kib - d->target_kib);
        else
                h->taken_kib = sub_sat(h->taken_kib, d->target_kib - d->actual_kib);
        h->last_change_usec = now_usec;
        h->change_stats_sec = d->stats_sec;
        if (d->action == BD_ACTION_GROW && d->guest_pressure) {
                h->last_grow_for_pressure_usec = now_usec;
                h->pressure_grant_kib = d->target_kib - d->actual_kib;
                h->pressure_target_kib = d->target_kib;
                h->grow_report_sec = d->stats_sec; /* one grow per guest report */
        }
        bd_credit_note_applied(h, d);
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

void bd_policy_note_asked(struct bd_vm_history *h, uint64_t target_kib, uint64_t now_usec) {
        bd_guard_asked(h, target_kib, now_usec);
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
        [BD_REASON_NO_HEADROOM] = { "no_headroom", "the host has no memory above its critical line to give: demand unmet" },
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
        [BD_REASON_AWAIT_REPORT] = { "await_report", "already grown on this guest report: no grow before the next" },
        [BD_REASON_INEFFECTIVE] = { "ineffective", "its shrinks return (nearly) no memory to the host: not shrunk for it" },
        [BD_REASON_BURST_ROOM] = { "burst_room", "room for the guest's learned burst on top of its margin" },
        [BD_REASON_GUEST_DEFLATED] = { "guest_deflated", "the guest took memory back from its balloon: size adopted, not shrunk for a while" },
        [BD_REASON_FOREIGN_TARGET] = { "foreign_target", "its size was set by someone else: left alone for a while" },
        [BD_REASON_GIVE_BACK] = { "give_back", "memory balloond took given back" },
        [BD_REASON_AT_ENTITLED] = { "at_entitled", "at the size its administrator set (persistent currentMemory)" },
        [BD_REASON_FACTS_UNKNOWN] = { "facts_unknown", "blind: its domain XML could not be read" },
        [BD_REASON_CONFIDENTIAL] = { "confidential", "confidential guest (launchSecurity): a balloon frees nothing" },
        [BD_REASON_VDPA] = { "vdpa", "has a vDPA device: memory is pinned" },
        [BD_REASON_VIRTIO_MEM] = { "virtio_mem", "has a virtio-mem device: the balloon cannot reach all of its maximum" },
        [BD_REASON_STATS_GAP] = { "stats_gap", "blind for a moment: this cycle's memory statistics are missing; held, nothing withdrawn" },
};

const char *bd_reason_to_string(enum bd_reason r) {
        return (unsigned)r < BD_REASON__COUNT && reasons[r].name ? reasons[r].name : "unknown";
}

const char *bd_reason_describe(enum bd_reason r) {
        return (unsigned)r < BD_REASON__COUNT && reasons[r].text ? reasons[r].text : "unknown reason";
}

const char *bd_line_to_string(enum bd_line l) {
        static const char *const names[] = {
                [BD_LINE_NONE] = "none",
                [BD_LINE_RAM] = "ram",
                [BD_LINE_BUDGET] = "vm_budget",
        };
        return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "unknown";
}
