/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A simulated host: a discrete-time model (1 s steps) of a host's RAM and of
 * guests with a demand over time, page cache, swap, a balloon that moves at a
 * finite speed (and can get stuck) and statistics that arrive every period
 * (and can freeze). It backs `--connect sim://` and the policy simulator.
 * Deterministic: the same specs and the same calls give the same numbers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

enum bd_sim_demand_kind {
        BD_SIM_CONST = 0, /* base */
        BD_SIM_STEPS,     /* base, then steps[i].kib from steps[i].at_sec on */
        BD_SIM_PERIODIC,  /* base + amp x (1 - cos(2 pi (t + at) / period)) / 2 */
        BD_SIM_SPIKE,     /* base, base + amp during [at, at + duration) */
        BD_SIM_WALK,      /* seeded random walk from base, steps of walk_step, within [base, base + amp] */
        BD_SIM_BURSTS,    /* base, base + amp during [at + k period, at + k period + duration), k = 0, 1, ... */
        BD_SIM_RAMP,      /* base, rising linearly from at to base + amp over duration, then held */
};

struct bd_sim_step {
        uint64_t at_sec;
        uint64_t kib;
};

struct bd_sim_demand {
        enum bd_sim_demand_kind kind;
        uint64_t base_kib;
        uint64_t amp_kib;
        uint64_t period_sec;
        uint64_t at_sec;
        uint64_t duration_sec;
        uint64_t walk_step_kib;
        uint64_t seed;
        size_t n_steps;
        struct bd_sim_step *steps; /* n_steps of them, at_sec increasing; not owned by the model (a
                                    * scenario's, freed by bd_scenario_free) */
};

struct bd_sim_vm_spec {
        char name[BD_NAME_MAX];
        char uuid[BD_UUID_LEN + 1];
        char class_tag[BD_CLASS_MAX];
        enum bd_run_state state;
        unsigned flags;                 /* enum bd_vm_flag */
        uint64_t max_kib;
        uint64_t start_kib;             /* balloon size at start (0: max) */
        uint64_t entitled_kib;          /* persistent <currentMemory> (0: max) */
        uint64_t swap_kib;              /* guest swap space (0: none: OOM instead) */
        struct bd_sim_demand demand;
        uint64_t inflate_kib_per_sec;   /* 0: 870 MiB/s, measured on real guests */
        uint64_t deflate_kib_per_sec;   /* 0: 2.5 GiB/s */
        int stats_period_sec;           /* 0: 2 s */
        int64_t stats_freeze_sec;       /* stats stop at this second of the run; < 0 never; 0 = frozen from the start */
        bool balloon_stuck;             /* the balloon never moves */
        bool claims_always;             /* hostile: reports no free memory, whatever it holds */
        /* flags & BD_VM_NO_FREE_PAGE_REPORTING: the guest keeps every page it
         * touched resident until the balloon takes it back. */
};

struct bd_sim_host_spec {
        uint64_t ram_kib;
        uint64_t host_use_kib; /* the host's own memory (0: 1 GiB) */
        uint64_t hugetlb_kib;  /* static hugetlb pools: held, never available, reported as such */
        double root_psi_full_pct; /* PSI full avg10 of other cgroups, seen only at the root */
        struct bd_sim_demand job; /* host-side jobs over time (backups, builds), on top of host_use */
};

/* What the model knows and the guest does not report. */
struct bd_sim_vm_truth {
        uint64_t demand_kib;     /* anonymous memory the guest wants now */
        uint64_t resident_kib;   /* what the VM holds in host RAM */
        uint64_t swapped_kib;    /* guest memory in guest swap */
        uint64_t target_kib;     /* last target set, 0 = none */
        uint64_t oom_events;     /* times a balloon pressed below what the guest needs */
        uint64_t shortfall_kib;  /* demand the guest could not hold in RAM now */
        uint64_t host_swapped_kib; /* its pages the host swapped out now (its share of the excess) */
};

struct bd_sim_host_truth {
        uint64_t resident_kib;   /* host use + the VMs' resident memory */
        uint64_t overcommit_usec; /* time the host had to swap (resident > RAM) */
        uint64_t elapsed_usec;
        uint64_t over_kib;        /* resident - RAM now (0 when within) */
        uint64_t over_peak_kib;   /* the largest over_kib so far */
        double over_kib_sec;      /* over_kib summed over the seconds */
        uint64_t job_kib;         /* host-side jobs now */
};

struct bd_sim;

int bd_sim_new(const struct bd_sim_host_spec *host, const struct bd_sim_vm_spec *vms, size_t n,
               struct bd_sim **out);
/* The built-in host of `sim://` (see the comment in src/sim/model.c). */
int bd_sim_new_builtin(struct bd_sim **out);
void bd_sim_free(struct bd_sim *sim);

/* Run the model to NOW_USEC (monotonic) in 1 s steps. The first call starts
 * it there, warm: every VM at its start size with stats just reported. */
void bd_sim_advance(struct bd_sim *sim, uint64_t now_usec, int64_t now_wall_sec);

const struct bd_vm_sample *bd_sim_samples(const struct bd_sim *sim, size_t *n);
void bd_sim_host_sample(const struct bd_sim *sim, struct bd_host_sample *out);
void bd_sim_vm_truth(const struct bd_sim *sim, size_t i, struct bd_sim_vm_truth *out);
void bd_sim_host_truth(const struct bd_sim *sim, struct bd_sim_host_truth *out);

/* Set VM I's balloon target. -ESTALE when it is not running, -EOPNOTSUPP
 * without a balloon, -EINVAL outside (0, max], -ENOENT for a bad index. */
int bd_sim_set_target(struct bd_sim *sim, size_t i, uint64_t target_kib);


/* Demand of SPEC at second T of a run (pure). */
uint64_t bd_sim_demand_at(const struct bd_sim_demand *spec, uint64_t t_sec);
/* The same for seconds 0 .. N-1 into OUT, in O(N). */
void bd_sim_demand_series(const struct bd_sim_demand *spec, size_t n, uint64_t *out);
