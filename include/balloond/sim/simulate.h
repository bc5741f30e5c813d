/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy simulator: a scenario run under a policy on the simulated host,
 * much faster than real time, with the metrics that compare policies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/sim/scenario.h"
#include "balloond/sim/model.h"

enum bd_sim_policy {
        BD_SIMPOL_BALLOOND = 0, /* the real policy, src/core/policy.c */
        BD_SIMPOL_MOM,          /* oVirt MOM's default balloon policy */
        BD_SIMPOL_PROXMOX,      /* Proxmox VE's automatic ballooning */
        BD_SIMPOL_HOSTONLY,     /* host memory alone: 10 %/15 % marks, steps, floors */
        BD_SIMPOL_RELEASE,      /* guest-driven: squeeze to 256 MiB free, all back under 192 MiB */
        BD_SIMPOL_NONE,         /* no ballooning */
        BD_SIMPOL_ORACLE,       /* knows the next minute of demand: the limit */
        BD_SIMPOL__COUNT,
};

/* Metrics of one run; docs/POLICY-BENCHMARK.md defines each. */
struct bd_sim_metrics {
        double reclaimed_gib_h;       /* memory held back from running VMs: sum (max - actual) dt */
        double freed_gib_h;           /* host memory the running VMs did not hold: sum (max - resident) dt */
        double guest_pressure_vm_sec; /* VM-seconds in which a guest's demand was not all in RAM: in guest
                                       * swap, nowhere, or swapped out by the host */
        double host_overcommit_sec;   /* seconds the host's resident memory exceeded its RAM */
        double host_over_peak_mib;    /* the most it exceeded RAM by */
        double host_over_gib_s;       /* how much and how long: sum (resident - RAM) dt over those seconds */
        double worst_shortfall_mib;   /* largest demand a guest could not hold in RAM (its swap, the host's) */
        size_t worst_vm;              /* the VM with the most pressure seconds (SIZE_MAX: none) */
        double worst_vm_pressure_sec; /* and its seconds */
        uint64_t balloon_ops;         /* targets set */
        uint64_t bad_decisions;       /* targets set on excluded or blind VMs */
        uint64_t oom_events;          /* balloons pressed below what a guest needs (until the policy stops) */
        uint64_t invariant_violations; /* balloond: decisions outside [floor, max], shrinks of excluded/blind */
};

/* Called after every simulated second (for traces and plots). */
typedef void (*bd_sim_trace_fn)(void *ctx, uint64_t t_sec, const struct bd_sim *sim,
                                const struct bd_scenario *sc);

const char *bd_sim_policy_name(enum bd_sim_policy p);
int bd_sim_policy_from_name(const char *name, enum bd_sim_policy *out);

/* Run SC under POLICY. Returns 0 or a negative errno (-ENOMEM). */
int bd_simulate(const struct bd_scenario *sc, enum bd_sim_policy policy, struct bd_sim_metrics *out,
                bd_sim_trace_fn trace, void *ctx);

/* What VM i holds in host RAM at balloon size T: SLOPE[i] x T + BASE[i]
 * (NULL: T). */
struct bd_oracle_cost {
        const double *slope;
        const double *base;
};

/* The oracle within host RAM. WANT_KIB[i]: what VM i needs for the next
 * minute; NOW_KIB[i]: for now; ALIVE_KIB[i]: not to OOM; SKIP[i]: not the
 * oracle's to set. Into TARGETS, the most of the wants whose cost (COST, or
 * the sizes when NULL) fits BUDGET_KIB: all of them; else everyone's need
 * now plus the same fraction of the rest; else the alive minimum plus the
 * same fraction up to now; else the alive minimum (the host cannot hold
 * the guests). Returns the level reached: 2, 1, 0, or -1. */
int bd_oracle_fit(const uint64_t *want_kib, const uint64_t *now_kib, const uint64_t *alive_kib, const bool *skip,
                  size_t n, uint64_t budget_kib, const struct bd_oracle_cost *cost, uint64_t *targets);
