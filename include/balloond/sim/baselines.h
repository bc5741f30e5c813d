/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Balloon policies balloond is measured against, written here from their
 * published rules (each file in src/sim/baseline_*.c names its source and
 * states every rule beside the code that follows it; docs/POLICY-BENCHMARK.md
 * sums them up). Samples in, targets out (0 = leave the VM alone). Every
 * peer's state is allocated per run for N VMs: no fixed limit. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

/* ---- oVirt MOM's default balloon policy (src/sim/baseline_mom.c) ---- */

#define BD_MOM_SAMPLES 10 /* sample-history-length */

struct bd_mom;

/* State for N VMs (NULL when out of memory). */
struct bd_mom *bd_mom_new(size_t n);
void bd_mom_free(struct bd_mom *st);
/* Take one sample (MOM's collectors, every 5 s). N: at most the N of bd_mom_new. */
void bd_mom_sample(struct bd_mom *st, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                   size_t n);
/* MOM's policy (every 10 s) on the samples taken. MIN_KIB[i]: balloon_min
 * (memtune/min_guarantee, 0 none). VMS supplies state and maximum. */
void bd_mom_decide(const struct bd_mom *st, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                   const uint64_t *min_kib, size_t n, uint64_t *targets);

/* ---- Proxmox VE's automatic ballooning (src/sim/baseline_proxmox.c) ---- */

struct bd_proxmox;

struct bd_proxmox *bd_proxmox_new(size_t n);
void bd_proxmox_free(struct bd_proxmox *pm);
/* One round (every 10 s). MIN_KIB[i]: the VM's "balloon" (0 = not
 * auto-ballooned), SHARES[i] (0 = not auto-ballooned). */
void bd_proxmox_decide(struct bd_proxmox *pm, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                       const uint64_t *min_kib, const int *shares, size_t n, uint64_t *targets);

/* ---- host-only: balloons from host memory alone (src/sim/baseline_hostonly.c) ---- */

#define BD_HOSTONLY_ENTER_PCT 10.0        /* pressure at host MemAvailable <= 10 % */
#define BD_HOSTONLY_LEAVE_PCT 15.0        /* healthy again at >= 15 % */
#define BD_HOSTONLY_FLOOR_PCT 50.0        /* floor: max(50 % of the VM's size, */
#define BD_HOSTONLY_FLOOR_MIN_MIB 512     /*                 512 MiB) */
#define BD_HOSTONLY_STEP_MAX_MIB 256      /* no step above 256 MiB */
#define BD_HOSTONLY_STEP_MIN_MIB 64       /* no step under 64 MiB */
#define BD_HOSTONLY_COOLDOWN_SEC 5        /* per VM, between two steps */

struct bd_hostonly;

struct bd_hostonly *bd_hostonly_new(size_t n);
void bd_hostonly_free(struct bd_hostonly *ho);
/* One pass at second NOW_SEC (every second). */
void bd_hostonly_decide(struct bd_hostonly *ho, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                        size_t n, uint64_t now_sec, uint64_t *targets);
/* Is the host in the pressure state (after the last pass)? */
bool bd_hostonly_pressure(const struct bd_hostonly *ho);
/* VM I's floor under the host-only rule. */
uint64_t bd_hostonly_floor(uint64_t max_kib);

/* ---- release-fully: inflate on free memory, give all back on need (src/sim/baseline_release.c) ---- */

#define BD_RELEASE_INFLATE_ABOVE_MIB 384 /* inflate while guest MemAvailable > 384 MiB */
#define BD_RELEASE_KEEP_FREE_MIB 256     /* ... down to 256 MiB available */
#define BD_RELEASE_GIVE_BACK_BELOW_MIB 192 /* MemAvailable < 192 MiB: the whole maximum back */

struct bd_release;

struct bd_release *bd_release_new(size_t n);
void bd_release_free(struct bd_release *rl);
/* One pass (every second; each VM acts on a new stats report only). */
void bd_release_decide(struct bd_release *rl, const struct bd_vm_sample *vms, size_t n, uint64_t *targets);

/* ---- the oracle (src/sim/baselines.c) ---- */

/* FUTURE_PEAK_KIB[i] is VM i's largest demand over the next minute; each
 * balloonable VM gets exactly what that needs plus a margin. */
void bd_oracle_decide(const struct bd_vm_sample *vms, const uint64_t *future_peak_kib, const bool *untouchable,
                      size_t n, uint64_t *targets);

/* ---- one peer over a run, at its own pace (src/sim/baselines.c) ---- */

enum bd_peer_kind {
        BD_PEER_MOM = 0,
        BD_PEER_PROXMOX,
        BD_PEER_HOSTONLY,
        BD_PEER_RELEASE,
};

struct bd_peer;

/* A peer for N VMs; -ENOMEM or -EINVAL. */
int bd_peer_new(enum bd_peer_kind kind, size_t n, struct bd_peer **out);
void bd_peer_free(struct bd_peer *p);
/* Second T_SEC of a run: sample and decide at the peer's own pace (MOM
 * samples every 5 s and decides every 10 s; Proxmox every 10 s; host-only and
 * release-fully every second). True when it decided: TARGETS[0..N) filled. */
bool bd_peer_tick(struct bd_peer *p, uint64_t t_sec, const struct bd_host_sample *host,
                  const struct bd_vm_sample *vms, const uint64_t *min_kib, const int *shares, size_t n,
                  uint64_t *targets);
