/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One balloond cycle as a recipe: sample the host, collect the VMs, decide,
 * apply (or describe), report. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/daemon/backend.h"
#include "balloond/core/config.h"
#include "balloond/core/ledger.h"
#include "balloond/core/policy.h"
#include "balloond/core/uuid_index.h"

/* Per-VM state kept across cycles, matched by UUID. */
struct bd_vm_entry {
        char uuid[BD_UUID_LEN + 1];
        struct bd_vm_history history;
        bool present;            /* seen in the current cycle */
        unsigned warned;         /* conditions already warned about (one bit per reason group) */
        uint64_t last_decision_usec;
        enum bd_reason last_reason;
        uint64_t burst_logged_kib; /* the learned burst margin last told in the journal */
};

/* The result of the last cycle that got as far as deciding, for reporters
 * (table, JSON, journal, status, metrics) and restore_on_exit. It owns its
 * arrays (the daemon's, replaced only by the next such cycle): a backend
 * that is reopened or a cycle that fails half-way leaves it whole. */
struct bd_cycle_result {
        struct bd_host_sample host;
        struct bd_host_view view;
        const struct bd_vm_sample *samples; /* a copy of the backend's, owned by the daemon */
        struct bd_decision *decisions;
        const struct bd_vm_history *history; /* after this cycle */
        int *apply_result;                  /* per VM: 0, or the negative errno of set_target */
        bool *applied;                      /* per VM: a change was made */
        const struct bd_vm_ledger *ledger;  /* per VM: where its memory is (after this cycle) */
        struct bd_host_ledger host_ledger;  /* the host line, and THE reclaimed figure */
        size_t n;
        uint64_t now_usec;
        int64_t now_wall_sec;
        uint64_t duration_usec;
        unsigned backend_gen; /* of the backend the samples came from */
};

#define BD_DURATION_BUCKETS 8

/* Counters since start, for the metrics. */
struct bd_counters {
        uint64_t cycles;
        uint64_t decisions[3][BD_REASON__COUNT]; /* [action][reason], made (or described in dry run) */
        uint64_t errors_transient;               /* setting memory failed, retried next cycle */
        uint64_t errors_permanent;               /* setting memory unsupported: VM left alone */
        uint64_t errors_collect;                 /* a cycle could not sample (libvirt down, ...) */
        uint64_t reloads_ok, reloads_failed;
        uint64_t duration_bucket[BD_DURATION_BUCKETS + 1]; /* cumulative counts, last = +Inf */
        double duration_sum_sec;
};

/* Upper bounds of the cycle duration histogram, seconds. */
extern const double bd_duration_bounds_sec[BD_DURATION_BUCKETS];

struct bd_daemon {
        struct bd_config cfg;
        struct bd_backend *backend;
        struct bd_host_state host_state;
        struct bd_vm_entry *vms;
        size_t n_vms, cap_vms;
        struct bd_uuid_index index; /* UUID -> its entry in vms */
        unsigned backend_gen;    /* counts the backends opened (bd_daemon_set_backend) */
        /* scratch for the current cycle, grown as needed */
        struct bd_vm_history *hist_scratch;
        struct bd_decision *decisions;
        const struct bd_vm_history *history; /* after this cycle */
        int *apply_result;
        bool *applied;
        size_t *entry_of;        /* sample i -> its entry in vms */
        struct bd_vm_ledger *ledger;
        struct bd_vm_sample *samples; /* the last result's copy of the samples */
        struct bd_set_request *requests; /* the changes of one apply batch */
        size_t *request_vm;      /* request k -> its sample */
        size_t cap_scratch;
        struct bd_cycle_result last;
        uint64_t cycles;
        struct bd_counters counters;
        int psi_seen;            /* 0 not yet read, 1 PSI read, -1 PSI unavailable (said once) */
};

/* Count a cycle that took DURATION_USEC (R: its result). */
void bd_daemon_count_cycle(struct bd_daemon *d, int r, uint64_t duration_usec);

/* Initialise D with CFG (copied) and an open BACKEND (owned from now on). */
void bd_daemon_init(struct bd_daemon *d, const struct bd_config *cfg, struct bd_backend *backend);
void bd_daemon_done(struct bd_daemon *d);

/* Replace D's backend by BACKEND (owned from now on), freeing the old one.
 * The last result stays for the reporters, but restore_on_exit no longer
 * takes its samples for the new backend's. */
void bd_daemon_set_backend(struct bd_daemon *d, struct bd_backend *backend);

/* Run one cycle at NOW_USEC (monotonic) / NOW_WALL_SEC. Returns 0, or a
 * negative errno when the host or the VMs could not be sampled (nothing was
 * decided or applied then). Logs its decisions. */
int bd_cycle_run(struct bd_daemon *d, uint64_t now_usec, int64_t now_wall_sec);

/* Read the host's memory (and PSI, KSM) at NOW_USEC as a cycle does: 0 or
 * a negative errno. */
int bd_daemon_sample_host(struct bd_daemon *d, uint64_t now_usec, struct bd_host_sample *out);

/* When the next cycle runs: the first tick of the schedule SCHEDULED_USEC +
 * k * STEP_USEC (k >= 1) later than NOW_USEC. A cycle that ran late (slow, or
 * balloond stopped) is followed by the next tick, not by the ticks it missed
 * run back to back; *SKIPPED says how many were missed (0 when on time). */
uint64_t bd_cycle_next_tick(uint64_t scheduled_usec, uint64_t step_usec, uint64_t now_usec, uint64_t *skipped);

/* restore_on_exit: give VMs the memory balloond holds of them (below their
 * entitled size: the persistent <currentMemory>, else the maximum) back,
 * within the host's headroom above its critical line, neediest first, on
 * fresh samples (the last cycle's if they cannot be read). Returns how many
 * were given memory; failures and what the host could not give are logged. */
size_t bd_daemon_restore(struct bd_daemon *d, uint64_t now_usec, int64_t now_wall_sec);
