/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The oracle, and each peer run at its own pace over a simulated run. The
 * peers themselves, each from its published rules: src/sim/baseline_mom.c,
 * baseline_proxmox.c, baseline_hostonly.c, baseline_release.c. */
#include <errno.h>
#include <stdlib.h>

#include "balloond/core/units.h"
#include "balloond/sim/baselines.h"

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

/* ---- the peers over a run ------------------------------------------------------ */

/* MOM's standalone configuration (mom-balloon.conf): collectors every 5 s
 * (host-monitor-interval, guest-monitor-interval), the policy every 10 s
 * (policy-engine-interval). Proxmox's pvestatd: a round every 10 s. */
#define MOM_SAMPLE_SEC 5
#define MOM_POLICY_SEC 10
#define PROXMOX_ROUND_SEC 10

struct bd_peer {
        enum bd_peer_kind kind;
        size_t n;
        struct bd_mom *mom;
        struct bd_proxmox *pve;
        struct bd_hostonly *host_only;
        struct bd_release *release;
};

int bd_peer_new(enum bd_peer_kind kind, size_t n, struct bd_peer **out) {
        struct bd_peer *p = calloc(1, sizeof(*p));
        bool ok;

        *out = NULL;
        if (!p)
                return -ENOMEM;
        p->kind = kind;
        p->n = n;
        switch (kind) {
        case BD_PEER_MOM:
                ok = (p->mom = bd_mom_new(n)) != NULL;
                break;
        case BD_PEER_PROXMOX:
                ok = (p->pve = bd_proxmox_new(n)) != NULL;
                break;
        case BD_PEER_HOSTONLY:
                ok = (p->host_only = bd_hostonly_new(n)) != NULL;
                break;
        case BD_PEER_RELEASE:
                ok = (p->release = bd_release_new(n)) != NULL;
                break;
        default:
                free(p);
                return -EINVAL;
        }
        if (!ok) {
                free(p);
                return -ENOMEM;
        }
        *out = p;
        return 0;
}

void bd_peer_free(struct bd_peer *p) {
        if (!p)
                return;
        bd_mom_free(p->mom);
        bd_proxmox_free(p->pve);
        bd_hostonly_free(p->host_only);
        bd_release_free(p->release);
        free(p);
}

bool bd_peer_tick(struct bd_peer *p, uint64_t t_sec, const struct bd_host_sample *host,
                  const struct bd_vm_sample *vms, const uint64_t *min_kib, const int *shares, size_t n,
                  uint64_t *targets) {
        for (size_t i = p->n; i < n; i++)
                targets[i] = 0; /* beyond the VMs it was made for: left alone */
        if (n > p->n)
                n = p->n;
        switch (p->kind) {
        case BD_PEER_MOM:
                if (t_sec % MOM_SAMPLE_SEC == 0)
                        bd_mom_sample(p->mom, host, vms, n);
                if (t_sec % MOM_POLICY_SEC != 0)
                        return false;
                bd_mom_decide(p->mom, host, vms, min_kib, n, targets);
                return true;
        case BD_PEER_PROXMOX:
                if (t_sec % PROXMOX_ROUND_SEC != 0)
                        return false;
                bd_proxmox_decide(p->pve, host, vms, min_kib, shares, n, targets);
                return true;
        case BD_PEER_HOSTONLY:
                bd_hostonly_decide(p->host_only, host, vms, n, t_sec, targets);
                return true;
        case BD_PEER_RELEASE:
                bd_release_decide(p->release, vms, n, targets);
                return true;
        }
        return false;
}
