/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stopping safely (restore_on_exit): which VMs get memory back, and how much.
 *
 * balloond holds memory of a VM when its balloon is below what the
 * administrator set it to hold: the persistent <currentMemory>
 * (bd_vm_sample.entitled_kib; the domain's maximum when unknown). balloond
 * changes only the live size, so this survives crashes and restarts without
 * a state file: whichever balloond process shrank a VM, the next one to stop
 * knows. Memory goes back only within what the host has above its critical
 * line (and the VM budget): on an overcommitted host, stopping must not be
 * what pushes it over. Neediest first (the least free memory as a share of
 * its size; guests that do not report after those that do), in two rounds:
 * first each VM room for what it uses (used + 2 x margin), then the rest,
 * shared evenly. */
#include "balloond/core/units.h"
#include "policy_phases.h"

uint64_t bd_policy_entitled_kib(const struct bd_vm_sample *s) {
        uint64_t e = s->entitled_kib;

        if (e == BD_KIB_UNKNOWN || e == 0)
                return s->max_kib;
        return s->max_kib != BD_KIB_UNKNOWN ? min_u64(e, s->max_kib) : e;
}

/* How much of its memory the guest has free (lower: needier). */
static double need_key(const struct bd_vm_sample *s) {
        if (s->usable_kib == BD_KIB_UNKNOWN || s->last_update_sec == BD_TIME_UNKNOWN)
                return 2.0; /* blind: after every guest that reports */
        return (double)min_u64(s->usable_kib, s->actual_kib) / (double)s->actual_kib;
}

/* What VM S is owed, or 0 when its balloon cannot be set: not running, no
 * working balloon, memory pinned. A VM excluded by configuration, class or
 * metadata is owed all the same: balloond may have shrunk it before it was
 * excluded, and what it is given back is only what the administrator set. */
static uint64_t owed_kib(const struct bd_vm_sample *s) {
        uint64_t entitled = bd_policy_entitled_kib(s);

        if (s->state != BD_RUN_RUNNING ||
            (s->flags & (BD_VM_NO_BALLOON | BD_VM_VFIO | BD_VM_LOCKED | BD_VM_HUGEPAGES | BD_VM_UNSUPPORTED)))
                return 0;
        if (s->actual_kib == BD_KIB_UNKNOWN || s->actual_kib == 0 || entitled == BD_KIB_UNKNOWN)
                return 0;
        return sub_sat(entitled, s->actual_kib);
}

/* ORDER[0..M) := the owed VMs, neediest first (insertion sort: once, at exit). */
static size_t order_by_need(const struct bd_vm_sample *samples, size_t n, size_t *order) {
        size_t m = 0;

        for (size_t i = 0; i < n; i++) {
                size_t j;

                if (!owed_kib(&samples[i]))
                        continue;
                for (j = m; j > 0 && need_key(&samples[order[j - 1]]) > need_key(&samples[i]); j--)
                        order[j] = order[j - 1];
                order[j] = i;
                m++;
        }
        return m;
}

/* What VM S should have before anyone gets more: room for what it uses
 * and twice its margin (what a guest in need is grown to), within what it
 * is owed. A guest that does not report: all it is owed, in the second round. */
static uint64_t first_round_kib(const struct bd_config *cfg, const struct bd_vm_sample *s, uint64_t owed) {
        uint64_t used, margin;

        if (s->usable_kib == BD_KIB_UNKNOWN || s->last_update_sec == BD_TIME_UNKNOWN)
                return 0;
        used = sub_sat(s->actual_kib, s->usable_kib);
        margin = bd_policy_margin_kib(cfg, used);
        return min_u64(owed, sub_sat(add_sat(used, 2 * min_u64(margin, UINT64_MAX / 2)), s->actual_kib));
}

/* The first round over ORDER[0..M): each VM room for what it uses, while
 * AVAIL lasts. */
static uint64_t give_round(const struct bd_config *cfg, const struct bd_vm_sample *samples, const size_t *order,
                           size_t m, uint64_t *avail, uint64_t *targets) {
        uint64_t given = 0;

        for (size_t k = 0; k < m; k++) {
                const struct bd_vm_sample *s = &samples[order[k]];
                uint64_t have = targets[order[k]] ? targets[order[k]] - s->actual_kib : 0;
                uint64_t owed = owed_kib(s), want, give;

                want = sub_sat(first_round_kib(cfg, s, owed), have);
                give = min_u64(want, *avail);
                if (give < want && give < bd_deadband_kib(cfg, s->actual_kib))
                        give = 0;
                if (!give)
                        continue;
                targets[order[k]] = s->actual_kib + have + give;
                *avail -= give;
                given += give;
        }
        return given;
}

/* The second round: what is left shared evenly among the VMs still owed
 * (each up to what it is owed; what one cannot take goes to the others), so
 * that every guest has as much room as the host allows for what it does
 * next, rather than the first in the order all they are owed and the last
 * only room for what they use now. */
static uint64_t share_rest(const struct bd_config *cfg, const struct bd_vm_sample *samples, const size_t *order,
                           size_t m, uint64_t *avail, uint64_t *targets) {
        uint64_t given = 0;

        for (;;) {
                size_t wanting = 0;
                uint64_t level, round = 0;

                for (size_t k = 0; k < m; k++) {
                        const struct bd_vm_sample *s = &samples[order[k]];
                        uint64_t have = targets[order[k]] ? targets[order[k]] - s->actual_kib : 0;

                        wanting += owed_kib(s) > have;
                }
                if (!wanting || *avail < wanting * bd_deadband_kib(cfg, 0))
                        break;
                level = *avail / wanting;
                for (size_t k = 0; k < m; k++) {
                        const struct bd_vm_sample *s = &samples[order[k]];
                        uint64_t have = targets[order[k]] ? targets[order[k]] - s->actual_kib : 0;
                        uint64_t give = min_u64(sub_sat(owed_kib(s), have), level);

                        if (!give)
                                continue;
                        targets[order[k]] = s->actual_kib + have + give;
                        round += give;
                }
                *avail -= round;
                given += round;
                if (!round)
                        break;
        }
        return given;
}

uint64_t bd_policy_restore(const struct bd_config *cfg, const struct bd_host_sample *host,
                           const struct bd_vm_sample *samples, size_t n, size_t *order, uint64_t *targets,
                           uint64_t *short_kib) {
        uint64_t vm_total = 0, ram, vmb, avail, given;
        size_t m;

        *short_kib = 0;
        for (size_t i = 0; i < n; i++) {
                targets[i] = 0;
                if (samples[i].state != BD_RUN_SHUTOFF && samples[i].actual_kib != BD_KIB_UNKNOWN)
                        vm_total = add_sat(vm_total, samples[i].actual_kib);
        }
        bd_host_headroom(cfg, host, vm_total, &ram, &vmb);
        avail = min_u64(ram, vmb);
        m = order_by_need(samples, n, order);
        /* First every VM room for what it uses, neediest first; then the rest, evenly. */
        given = give_round(cfg, samples, order, m, &avail, targets);
        given += share_rest(cfg, samples, order, m, &avail, targets);
        for (size_t k = 0; k < m; k++) {
                const struct bd_vm_sample *s = &samples[order[k]];
                uint64_t got = targets[order[k]] ? targets[order[k]] - s->actual_kib : 0;

                *short_kib = add_sat(*short_kib, owed_kib(s) - got);
        }
        return given;
}
