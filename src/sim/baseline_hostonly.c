/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "host-only": balloons moved on the host's memory alone, without any guest
 * statistic.
 *
 * Where the rules come from: this is the style of the small libvirt-based
 * autoballoon scripts and container-side ballooning helpers that watch only
 * the host's MemAvailable and step every VM's balloon (virsh setmem) between
 * a floor and its maximum, with a hysteresis so as not to flap. No single
 * project ships exactly these numbers; they are the ones the benchmark's
 * issue 14 fixed for this peer, as published there:
 *   - pressure when host MemAvailable <= 10 % of MemTotal, healthy again at
 *     >= 15 % (between the two, the state stays what it was);
 *   - a VM's floor is max(50 % of its size, 512 MiB), never above its size;
 *   - steps of at most 256 MiB, none under 64 MiB;
 *   - a VM is stepped at most once per 5 s (cooldown).
 * How much to step is this benchmark's reading of those rules: under
 * pressure the host's gap to the healthy mark (15 % available) is shared
 * evenly over the VMs that may move, each step clamped to [64, 256] MiB and
 * to the room above the VM's floor; once healthy, the memory available above
 * the 15 % mark is given back the same way, up to each VM's maximum. VMs with
 * the most room move first. Runs every second. */
#include <stdlib.h>

#include "balloond/core/units.h"
#include "balloond/sim/baselines.h"

struct cand {
        uint64_t room;
        size_t i;
};

struct bd_hostonly {
        size_t cap;
        bool pressure;
        uint64_t *last_step_sec; /* second of the VM's last step + 1; 0: never */
        struct cand *cand;
};

struct bd_hostonly *bd_hostonly_new(size_t n) {
        struct bd_hostonly *ho = calloc(1, sizeof(*ho));

        if (!ho)
                return NULL;
        ho->cap = n;
        ho->last_step_sec = calloc(n ? n : 1, sizeof(uint64_t));
        ho->cand = calloc(n ? n : 1, sizeof(struct cand));
        if (!ho->last_step_sec || !ho->cand) {
                bd_hostonly_free(ho);
                return NULL;
        }
        return ho;
}

void bd_hostonly_free(struct bd_hostonly *ho) {
        if (!ho)
                return;
        free(ho->last_step_sec);
        free(ho->cand);
        free(ho);
}

bool bd_hostonly_pressure(const struct bd_hostonly *ho) {
        return ho->pressure;
}

uint64_t bd_hostonly_floor(uint64_t max_kib) {
        uint64_t floor = max_u64(pct_of(BD_HOSTONLY_FLOOR_PCT, max_kib), BD_HOSTONLY_FLOOR_MIN_MIB * MIB);

        return min_u64(floor, max_kib);
}

/* Most room first; by index among equals (deterministic). */
static int by_room(const void *a, const void *b) {
        const struct cand *x = a, *y = b;

        if (x->room != y->room)
                return x->room > y->room ? -1 : 1;
        return x->i < y->i ? -1 : x->i > y->i;
}

/* The VMs that may take a step now, with their room in the step's direction. */
static size_t candidates(struct bd_hostonly *ho, const struct bd_vm_sample *vms, size_t n, uint64_t now_sec,
                         bool shrink) {
        size_t m = 0;

        for (size_t i = 0; i < n && i < ho->cap; i++) {
                const struct bd_vm_sample *s = &vms[i];
                uint64_t room;

                if (s->state != BD_RUN_RUNNING || (s->flags & (BD_VM_NO_BALLOON | BD_VM_UNSUPPORTED)) ||
                    s->actual_kib == BD_KIB_UNKNOWN)
                        continue;
                if (ho->last_step_sec[i] && now_sec + 1 < ho->last_step_sec[i] + BD_HOSTONLY_COOLDOWN_SEC)
                        continue; /* stepped less than 5 s ago */
                room = shrink ? sub_sat(s->actual_kib, bd_hostonly_floor(s->max_kib))
                              : sub_sat(s->max_kib, s->actual_kib);
                if (room < BD_HOSTONLY_STEP_MIN_MIB * MIB)
                        continue; /* a step under 64 MiB is never made */
                ho->cand[m++] = (struct cand){ .room = room, .i = i };
        }
        qsort(ho->cand, m, sizeof(*ho->cand), by_room);
        return m;
}

void bd_hostonly_decide(struct bd_hostonly *ho, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                        size_t n, uint64_t now_sec, uint64_t *targets) {
        uint64_t total = host->mem_total_kib, avail = host->mem_available_kib;
        uint64_t healthy = pct_of(BD_HOSTONLY_LEAVE_PCT, total), gap;
        size_t m;

        for (size_t i = 0; i < n; i++)
                targets[i] = 0;
        if (total == 0)
                return;
        if (avail <= pct_of(BD_HOSTONLY_ENTER_PCT, total))
                ho->pressure = true;
        else if (avail >= healthy)
                ho->pressure = false;
        if (!ho->pressure && avail < healthy)
                return; /* between the marks, healthy: hold */
        gap = ho->pressure ? healthy - avail : avail - healthy;
        m = candidates(ho, vms, n, now_sec, ho->pressure);
        for (size_t k = 0; k < m && gap > 0; k++) {
                const struct cand *c = &ho->cand[k];
                uint64_t step = clamp_u64(gap / (m - k), BD_HOSTONLY_STEP_MIN_MIB * MIB, BD_HOSTONLY_STEP_MAX_MIB * MIB);

                step = min_u64(step, c->room);
                targets[c->i] = ho->pressure ? vms[c->i].actual_kib - step : vms[c->i].actual_kib + step;
                ho->last_step_sec[c->i] = now_sec + 1;
                gap = sub_sat(gap, step);
        }
}
