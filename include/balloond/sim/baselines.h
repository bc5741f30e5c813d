/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Balloon policies balloond is measured against, written here from their
 * published rules (see ../shared/BASELINES.md and each function's comment).
 * Pure: samples in, targets out (0 = leave the VM alone). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

#define BD_MOM_SAMPLES 10

/* oVirt MOM keeps the last 10 samples of each input and decides on their
 * averages. */
struct bd_mom_state {
        size_t n, next;
        uint64_t host_free_kib[BD_MOM_SAMPLES];
        struct {
                uint64_t actual_kib[BD_MOM_SAMPLES];
                uint64_t unused_kib[BD_MOM_SAMPLES];
                size_t n;
        } vm[64];
};

/* Take one sample (MOM's collectors, every 5 s). */
void bd_mom_sample(struct bd_mom_state *st, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                   size_t n);
/* MOM's policy (every 10 s). MIN_KIB[i]: balloon_min. */
void bd_mom_decide(const struct bd_mom_state *st, const struct bd_host_sample *host,
                   const struct bd_vm_sample *vms, const uint64_t *min_kib, size_t n, uint64_t *targets);

/* Proxmox VE's auto-ballooning round (every 10 s). MIN_KIB[i]: "balloon"
 * (0 = not auto-ballooned), SHARES[i]. */
void bd_proxmox_decide(const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                       const uint64_t *min_kib, const int *shares, size_t n, uint64_t *targets);

/* The oracle: FUTURE_PEAK_KIB[i] is VM i's largest demand over the next
 * minute; each balloonable VM gets exactly what that needs plus a margin. */
void bd_oracle_decide(const struct bd_vm_sample *vms, const uint64_t *future_peak_kib, const bool *untouchable,
                      size_t n, uint64_t *targets);
