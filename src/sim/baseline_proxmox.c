/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proxmox VE's automatic ballooning, rule for rule, in our own code.
 *
 * Source: proxmox/pve-manager PVE::AutoBalloon (compute_alg1, the sharing
 * and the two lists), PVE::Service::pvestatd (auto_ballooning: the host goal,
 * the 100 MiB step, the 10 s round) and proxmox/pve-docs qm.adoc (shares,
 * the 80 % target). Sizes here are KiB where Proxmox counts bytes; a share is
 * truncated toward zero as Proxmox's int() does. */
#include <stdlib.h>

#include "balloond/core/units.h"
#include "balloond/sim/baselines.h"

#define TARGET_USED 0.80 /* pvestatd, node option ballooning-target (qm.adoc): keep the host 80 % used */
#define DEADBAND_KIB (10 * (int64_t)MIB)    /* compute_alg1: no round for a goal within +-10 MiB */
#define MAX_CHANGE_KIB (100 * (int64_t)MIB) /* pvestatd's maxchange: 100 MiB per VM per round */
/* Proxmox loops while it makes progress; we also stop after this many passes
 * (a guard only: the rounds here settle in a handful). */
#define MAX_PASSES 1000

struct pve_vm {
        int64_t balloon, min, max; /* current size, "balloon", "memory" */
        int64_t res;               /* new size decided this round */
        int shares;
        bool has_res, done;
};

struct bd_proxmox {
        size_t cap;
        struct pve_vm *vm;
        size_t *all, *pressured, *comfortable; /* the three lists, as indexes */
};

struct bd_proxmox *bd_proxmox_new(size_t n) {
        struct bd_proxmox *pm = calloc(1, sizeof(*pm));
        size_t c = n ? n : 1;

        if (!pm)
                return NULL;
        pm->cap = n;
        pm->vm = calloc(c, sizeof(*pm->vm));
        pm->all = calloc(c, sizeof(size_t));
        pm->pressured = calloc(c, sizeof(size_t));
        pm->comfortable = calloc(c, sizeof(size_t));
        if (!pm->vm || !pm->all || !pm->pressured || !pm->comfortable) {
                bd_proxmox_free(pm);
                return NULL;
        }
        return pm;
}

void bd_proxmox_free(struct bd_proxmox *pm) {
        if (!pm)
                return;
        free(pm->vm);
        free(pm->all);
        free(pm->pressured);
        free(pm->comfortable);
        free(pm);
}

static int64_t now_size(const struct pve_vm *v) {
        return v->has_res ? v->res : v->balloon;
}

/* compute_alg1's per-VM step: one VM's move toward its share DESIRED, from
 * its size at the start of the round, by at most 100 MiB: on a grow request (GOAL > 0) a VM below its
 * share grows; on any request a VM above its share shrinks (so a grow
 * request rebalances the list); a VM at its share is done. Returns the
 * change against what this round had already decided for it. */
static int64_t move_vm(struct pve_vm *v, int64_t desired, int64_t goal, int64_t *progress) {
        int64_t size, change;

        if (goal > 0 && desired > v->balloon) {
                size = v->balloon + MAX_CHANGE_KIB;
                size = size > desired ? desired : size;
        } else if (desired < v->balloon) {
                size = v->balloon - MAX_CHANGE_KIB;
                size = size < desired ? desired : size;
        } else {
                v->done = true;
                return 0;
        }
        change = size - now_size(v);
        v->res = size;
        v->has_res = true;
        if (change != 0)
                *progress += size > v->balloon ? size - v->balloon : v->balloon - size;
        return change;
}

/* Share REST (KiB; > 0 grow, < 0 shrink) over LIST, as compute_alg1 does:
 * the memory above the minimums of the VMs not yet done plus REST is split
 * by shares (desired = minimum + split x shares / total shares, clamped to
 * [minimum, maximum]); each VM moves toward its desired size; VMs at their
 * desired size drop out and the rest is shared again, while anything moves
 * and REST is not used up. Returns what is left of REST. */
static int64_t share_out(struct bd_proxmox *pm, const size_t *list, size_t len, int64_t rest) {
        const int64_t goal = rest;
        bool repeat = true;
        int64_t progress = 1;

        for (size_t k = 0; k < len; k++)
                pm->vm[list[k]].done = false; /* each sharing starts with every VM of its list */
        for (int pass = 0; rest != 0 && repeat && progress && pass < MAX_PASSES; pass++) {
                int64_t alloc = rest, changes = 0;
                double shares_total = 0;

                repeat = false;
                progress = 0;
                for (size_t k = 0; k < len; k++) {
                        const struct pve_vm *v = &pm->vm[list[k]];

                        if (v->done)
                                continue;
                        alloc += now_size(v) - v->min;
                        shares_total += v->shares;
                }
                for (size_t k = 0; k < len; k++) {
                        struct pve_vm *v = &pm->vm[list[k]];
                        int64_t desired, change;

                        if (v->done)
                                continue;
                        desired = v->min + (int64_t)((double)alloc / shares_total * v->shares);
                        if (desired > v->max || desired < v->min) {
                                desired = desired > v->max ? v->max : v->min;
                                repeat = true;
                        }
                        change = move_vm(v, desired, goal, &progress);
                        if (change != 0) {
                                changes += change;
                                repeat = true;
                        }
                }
                rest -= changes;
        }
        return rest;
}

/* compute_alg1's three lists (idlist: managed; idlist1: under pressure;
 * idlist2: comfortable). Managed: a balloon driver
 * that answers (a running or paused VM with a balloon), a minimum set, not
 * locked for migration, shares not 0. "Comfortable" (the list shrinks come
 * from first): guest MemFree above 25 % of the minimum AND the balloon at or
 * above the minimum; every other managed VM is "under pressure" (the list
 * grows go to first). No check of the stats' age. Shares default to 1000
 * (the scenario's default). */
static void make_lists(struct bd_proxmox *pm, const struct bd_vm_sample *vms, const uint64_t *min_kib,
                       const int *shares, size_t n, size_t *n_all, size_t *n_pres, size_t *n_comf) {
        *n_all = *n_pres = *n_comf = 0;
        for (size_t i = 0; i < n && i < pm->cap; i++) {
                const struct bd_vm_sample *s = &vms[i];
                struct pve_vm *v = &pm->vm[i];
                bool driver = (s->state == BD_RUN_RUNNING || s->state == BD_RUN_PAUSED) &&
                              !(s->flags & (BD_VM_NO_BALLOON | BD_VM_UNSUPPORTED)) &&
                              s->actual_kib != BD_KIB_UNKNOWN && s->actual_kib > 0;

                if (!driver || min_kib[i] == 0 || shares[i] <= 0)
                        continue;
                *v = (struct pve_vm){ .balloon = (int64_t)s->actual_kib, .min = (int64_t)min_kib[i],
                                      .max = (int64_t)s->max_kib, .shares = shares[i] };
                pm->all[(*n_all)++] = i;
                if (s->unused_kib != BD_KIB_UNKNOWN && s->unused_kib > 0 &&
                    (double)s->unused_kib > 0.25 * (double)min_kib[i] && s->actual_kib >= min_kib[i])
                        pm->comfortable[(*n_comf)++] = i;
                else
                        pm->pressured[(*n_pres)++] = i;
        }
}

/* A round (pvestatd auto_ballooning, then compute_alg1): goal = MemTotal x
 * 80 % - used (used = MemTotal - MemAvailable).
 * A grow goal (> +10 MiB) is shared among the VMs under pressure; a shrink
 * goal (< -10 MiB) among the comfortable ones. Only when that pass made no
 * progress at all (nothing left of the goal was used: the rest is still the
 * whole goal or more) is the rest shared over every managed VM, from where
 * the first pass left them. Then each VM whose new size differs from its
 * balloon is set to it. */
void bd_proxmox_decide(struct bd_proxmox *pm, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                       const uint64_t *min_kib, const int *shares, size_t n, uint64_t *targets) {
        int64_t used = (int64_t)sub_sat(host->mem_total_kib, host->mem_available_kib);
        int64_t goal = (int64_t)(TARGET_USED * (double)host->mem_total_kib) - used, rest;
        size_t n_all, n_pres, n_comf;

        for (size_t i = 0; i < n; i++)
                targets[i] = 0;
        if (goal <= DEADBAND_KIB && goal >= -DEADBAND_KIB)
                return; /* the change asked for is too small */
        make_lists(pm, vms, min_kib, shares, n, &n_all, &n_pres, &n_comf);
        if (goal > 0) {
                rest = share_out(pm, pm->pressured, n_pres, goal);
                if (rest >= goal)
                        (void)share_out(pm, pm->all, n_all, rest);
        } else {
                rest = share_out(pm, pm->comfortable, n_comf, goal);
                if (rest <= goal)
                        (void)share_out(pm, pm->all, n_all, rest);
        }
        for (size_t k = 0; k < n_all; k++) {
                const struct pve_vm *v = &pm->vm[pm->all[k]];

                if (v->has_res && v->res > 0 && v->res != v->balloon)
                        targets[pm->all[k]] = (uint64_t)v->res;
        }
}
