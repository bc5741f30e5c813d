/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Density (`balloond-sim --density`): for a scenario family and a host, the
 * most VMs each policy hosts with no guest pressure, no host overcommit and
 * no guest OOM over the whole run, for every one of several seeds. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "balloond/sim/simulate.h"

struct bd_density_opts {
        const char *family;
        uint64_t host_gib;
        unsigned seeds;        /* seeds 1 .. seeds, all must pass */
        uint64_t duration_sec; /* 0: the generator's (7200) */
};

/* Whether POLICY hosts N VMs of the family cleanly for every seed. */
int bd_density_ok(const struct bd_density_opts *o, enum bd_sim_policy policy, size_t n, bool *ok, char *err,
                  size_t errlen);

/* The largest such N for POLICY (0: not even one), by doubling and then
 * bisection (assuming more VMs never make it easier), up to the VMs whose
 * 512 MiB minimum fills the host; into *OUT. *RUNS counts simulations. */
int bd_density(const struct bd_density_opts *o, enum bd_sim_policy policy, size_t *out, unsigned *runs, char *err,
               size_t errlen);
