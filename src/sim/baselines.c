/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policies balloond is measured against, from their published rules.
 * Restated in ../shared/BASELINES.md; sources cited at each function. */
#include <string.h>

#include "balloond/core/units.h"
#include "balloond/sim/baselines.h"


static uint64_t avg(const uint64_t *v, size_t n) {
        uint64_t sum = 0;

        for (size_t i = 0; i < n; i++)
                sum += v[i];
        return n ? sum / n : 0;
}

/* ---- oVirt MOM ---------------------------------------------------------------
 * Source: oVirt/mom doc/balloon.rules (= oVirt/vdsm
 * static/etc/vdsm/mom.d/02-balloon.policy) and doc/mom-balloon.conf:
 *   - inputs are averages of the last 10 samples (StatAvg);
 *   - host free = MemFree + Buffers + Cached (here: the host's available
 *     memory: the simulated host has no page cache of its own);
 *   - pressure when host free / MemTotal < 0.20 (pressure_threshold);
 *     critical below 0.05;
 *   - guest used = balloon current - guest MemFree;
 *   - under pressure, every guest: free target = 0.20 x (host free % / 0.20)
 *     of current; at critical host free % - 0.05 (negative: forces swap);
 *     new = max(balloon_min, used + target x current), shrinking at most 5 %
 *     of current per cycle (max_balloon_change_percent);
 *   - otherwise grow toward used + 20 % of current in one step, never above
 *     the maximum;
 *   - no change under 0.25 % of current (min_balloon_change_percent);
 *   - guests with missing stats are skipped. */
void bd_mom_sample(struct bd_mom_state *st, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                   size_t n) {
        size_t k = st->next;

        st->host_free_kib[k] = host->mem_available_kib;
        for (size_t i = 0; i < n && i < sizeof(st->vm) / sizeof(st->vm[0]); i++) {
                if (vms[i].unused_kib == BD_KIB_UNKNOWN || vms[i].actual_kib == BD_KIB_UNKNOWN)
                        continue;
                st->vm[i].actual_kib[k] = vms[i].actual_kib;
                st->vm[i].unused_kib[k] = vms[i].unused_kib;
                if (st->vm[i].n < BD_MOM_SAMPLES)
                        st->vm[i].n++;
        }
        st->next = (k + 1) % BD_MOM_SAMPLES;
        if (st->n < BD_MOM_SAMPLES)
                st->n++;
}

void bd_mom_decide(const struct bd_mom_state *st, const struct bd_host_sample *host,
                   const struct bd_vm_sample *vms, const uint64_t *min_kib, size_t n, uint64_t *targets) {
        double host_free = host->mem_total_kib ? (double)avg(st->host_free_kib, st->n) / (double)host->mem_total_kib
                                               : 1.0;
        bool pressure = host_free < 0.20, critical = host_free < 0.05;

        for (size_t i = 0; i < n; i++) {
                const struct bd_vm_sample *s = &vms[i];
                size_t m = i < sizeof(st->vm) / sizeof(st->vm[0]) ? st->vm[i].n : 0;
                double cur, used, want;

                targets[i] = 0;
                if (m == 0 || s->state != BD_RUN_RUNNING || (s->flags & BD_VM_NO_BALLOON))
                        continue; /* missing stats: skipped */
                cur = (double)avg(st->vm[i].actual_kib, m);
                used = cur - (double)avg(st->vm[i].unused_kib, m);
                if (pressure) {
                        double free_target = critical ? host_free - 0.05 : 0.20 * (host_free / 0.20);

                        want = used + free_target * cur;
                        if (want < (double)min_kib[i])
                                want = (double)min_kib[i];
                        if (want < cur * 0.95)
                                want = cur * 0.95;
                        if (want >= cur)
                                continue; /* under pressure MOM only shrinks */
                } else {
                        want = used + 0.20 * cur;
                        if (want > (double)s->max_kib)
                                want = (double)s->max_kib;
                        if (want <= cur)
                                continue; /* when relaxed MOM only grows */
                }
                if (want < MIB || dist_u64((uint64_t)want, (uint64_t)cur) < (uint64_t)(cur * 0.0025))
                        continue;
                targets[i] = (uint64_t)want;
        }
}

/* ---- Proxmox VE ------------------------------------------------------------------
 * Source: proxmox/pve-manager PVE/AutoBalloon.pm (compute_alg1),
 * PVE/Service/pvestatd.pm (auto_ballooning), proxmox/pve-docs qm.adoc:
 *   - every 10 s; host goal = MemTotal x 0.80 - used, used = MemTotal -
 *     MemAvailable; nothing when the goal is within +-10 MiB;
 *   - each VM has a minimum ("balloon"), a maximum ("memory") and shares
 *     (1000); no minimum: not auto-ballooned;
 *   - desired size = minimum + memory to distribute x shares / total shares,
 *     VMs clamped at their minimum or maximum drop out and the rest is
 *     redistributed until nothing moves;
 *   - a VM is "comfortable" when its guest MemFree > 25 % of its minimum;
 *     grows go first to VMs that are not comfortable, shrinks first to
 *     comfortable ones, then to all;
 *   - each VM moves at most 100 MiB per round. */
void bd_proxmox_decide(const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                       const uint64_t *min_kib, const int *shares, size_t n, uint64_t *targets) {
        int64_t goal = (int64_t)(0.80 * (double)host->mem_total_kib) -
                       (int64_t)(host->mem_total_kib - host->mem_available_kib);
        double distribute = (double)goal, total_shares = 0;
        bool fixed[64] = { false }, managed[64] = { false }, comfortable[64] = { false };
        double desired[64];
        bool any_uncomfortable = false, any_comfortable = false, moved = true;

        for (size_t i = 0; i < n; i++)
                targets[i] = 0;
        if (goal > -(int64_t)(10 * MIB) && goal < (int64_t)(10 * MIB))
                return;
        for (size_t i = 0; i < n && i < 64; i++) {
                const struct bd_vm_sample *s = &vms[i];

                managed[i] = s->state == BD_RUN_RUNNING && !(s->flags & BD_VM_NO_BALLOON) && min_kib[i] > 0 &&
                             min_kib[i] < s->max_kib && shares[i] > 0 && s->actual_kib != BD_KIB_UNKNOWN;
                if (!managed[i])
                        continue;
                comfortable[i] = s->unused_kib != BD_KIB_UNKNOWN && (double)s->unused_kib > 0.25 * (double)min_kib[i];
                any_comfortable |= comfortable[i];
                any_uncomfortable |= !comfortable[i];
                distribute += (double)(s->actual_kib - (s->actual_kib > min_kib[i] ? min_kib[i] : s->actual_kib));
                total_shares += shares[i];
        }
        /* Share out; clamp; redistribute what the clamped ones leave. */
        while (moved && total_shares > 0) {
                moved = false;
                for (size_t i = 0; i < n && i < 64; i++) {
                        if (!managed[i] || fixed[i])
                                continue;
                        desired[i] = (double)min_kib[i] + distribute * shares[i] / total_shares;
                        if (desired[i] < (double)min_kib[i] || desired[i] > (double)vms[i].max_kib) {
                                desired[i] = desired[i] < (double)min_kib[i] ? (double)min_kib[i]
                                                                              : (double)vms[i].max_kib;
                                fixed[i] = true;
                                distribute -= desired[i] - (double)min_kib[i];
                                total_shares -= shares[i];
                                moved = true;
                        }
                }
        }
        for (size_t i = 0; i < n && i < 64; i++) {
                double cur, want;

                if (!managed[i])
                        continue;
                cur = (double)vms[i].actual_kib;
                want = desired[i];
                if (want > cur && any_uncomfortable && comfortable[i])
                        continue; /* grows go to the uncomfortable first */
                if (want < cur && any_comfortable && !comfortable[i])
                        continue; /* shrinks come from the comfortable first */
                if (want > cur + 100.0 * MIB)
                        want = cur + 100.0 * MIB;
                if (want < cur - 100.0 * MIB)
                        want = cur - 100.0 * MIB;
                if (dist_u64((uint64_t)want, (uint64_t)cur) < MIB)
                        continue;
                targets[i] = clamp_u64((uint64_t)want, min_kib[i], vms[i].max_kib);
        }
}

/* ---- the oracle ---------------------------------------------------------------
 * Not a real policy: it knows each guest's demand for the next minute and
 * sets every balloon it may touch to exactly what that needs (demand, the
 * guest kernel's 40 MiB and 64 MiB kept free) plus a 64 MiB margin. No
 * policy that sees only the present can reclaim more without pressure. */
void bd_oracle_decide(const struct bd_vm_sample *vms, const uint64_t *future_peak_kib, const bool *untouchable,
                      size_t n, uint64_t *targets) {
        for (size_t i = 0; i < n; i++) {
                uint64_t want = future_peak_kib[i] + (40 + 64 + 64) * MIB;

                targets[i] = 0;
                if (untouchable[i] || vms[i].actual_kib == BD_KIB_UNKNOWN)
                        continue;
                want = clamp_u64(want, 128 * MIB, vms[i].max_kib);
                if (want != vms[i].actual_kib)
                        targets[i] = want;
        }
}
