/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oVirt MOM's default balloon policy, rule for rule, in our own code.
 *
 * Source: the public MOM policy file oVirt/mom doc/balloon.rules (the same
 * rules ship in oVirt/vdsm static/etc/vdsm/mom.d/02-balloon.policy) and its
 * standalone configuration oVirt/mom doc/mom-balloon.conf. Each rule below
 * names the constant or expression of the policy file it restates.
 *
 * The simulated host has no page cache of its own, so MOM's host "free"
 * (MemFree + Buffers + Cached) is the host's available memory here. */
#include <stdlib.h>

#include "balloond/core/units.h"
#include "balloond/sim/baselines.h"

/* Constants of balloon.rules. */
#define PRESSURE_THRESHOLD 0.20     /* pressure_threshold */
#define PRESSURE_CRITICAL 0.05      /* pressure_critical */
#define MIN_GUEST_FREE 0.20         /* min_guest_free_percent */
#define MAX_CHANGE 0.05             /* max_balloon_change_percent */
#define MIN_CHANGE 0.0025           /* min_balloon_change_percent */

/* A ring of the last BD_MOM_SAMPLES values (sample-history-length = 10),
 * what MOM's StatAvg averages. */
struct ring {
        uint64_t v[BD_MOM_SAMPLES];
        size_t n, next;
};

struct mom_vm {
        struct ring actual, unused;
        uint64_t latest_actual; /* guest.balloon_cur: the latest sample, not an average */
};

struct bd_mom {
        size_t n;
        struct ring host_free;
        struct mom_vm *vm;
};

static void ring_put(struct ring *r, uint64_t v) {
        r->v[r->next] = v;
        r->next = (r->next + 1) % BD_MOM_SAMPLES;
        if (r->n < BD_MOM_SAMPLES)
                r->n++;
}

static double ring_avg(const struct ring *r) {
        double sum = 0;

        for (size_t i = 0; i < r->n; i++)
                sum += (double)r->v[i];
        return r->n ? sum / (double)r->n : 0;
}

struct bd_mom *bd_mom_new(size_t n) {
        struct bd_mom *st = calloc(1, sizeof(*st));

        if (!st)
                return NULL;
        st->n = n;
        st->vm = calloc(n ? n : 1, sizeof(*st->vm));
        if (!st->vm) {
                free(st);
                return NULL;
        }
        return st;
}

void bd_mom_free(struct bd_mom *st) {
        if (!st)
                return;
        free(st->vm);
        free(st);
}

/* MOM's collectors (host-monitor-interval and guest-monitor-interval: 5 s).
 * A guest whose balloon size or MemFree is missing adds no sample: its
 * monitor has no data (and the policy skips it until it has). */
void bd_mom_sample(struct bd_mom *st, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                   size_t n) {
        ring_put(&st->host_free, host->mem_available_kib);
        for (size_t i = 0; i < n && i < st->n; i++) {
                if (vms[i].unused_kib == BD_KIB_UNKNOWN || vms[i].actual_kib == BD_KIB_UNKNOWN)
                        continue;
                ring_put(&st->vm[i].actual, vms[i].actual_kib);
                ring_put(&st->vm[i].unused, vms[i].unused_kib);
                st->vm[i].latest_actual = vms[i].actual_kib;
        }
}

/* change_big_enough: only a change of more than 0.25 % of the current size
 * (min_balloon_change_percent) is worth a balloon operation. */
static bool big_enough(double size, double cur) {
        double d = size > cur ? size - cur : cur - size;

        return d > MIN_CHANGE * cur;
}

/* shrink_guest, under host pressure. The guest keeps a free share that
 * shrinks with the host's: min_guest_free_percent x host_free /
 * pressure_threshold; at critical host pressure (host free <= 5 %) it is
 * host free - 0.05, negative on purpose (the guest is made to swap). The
 * size aimed at is max(balloon_min, used + that share of the current size),
 * but a cycle takes at most 5 % of the current size (max_balloon_change_percent),
 * and the target is sent only when it is not above the current size. */
static double mom_shrink(double host_free, double cur, double used, double min) {
        double guest_free = host_free <= PRESSURE_CRITICAL ? host_free - 0.05
                                                            : MIN_GUEST_FREE * (host_free / PRESSURE_THRESHOLD);
        double floor = used + guest_free * cur, size = cur * (1.0 - MAX_CHANGE);

        if (floor < min)
                floor = min;
        if (size < floor)
                size = floor;
        return size <= cur && big_enough(size, cur) ? size : 0;
}

/* grow_guest, without host pressure, for a guest below its maximum: at least
 * +5 % of the current size per cycle (max_balloon_change_percent), at once
 * to max(balloon_min, used + 20 % of the current size) when that is more,
 * never above the maximum. So every ballooned guest creeps back to its
 * maximum ("when the host is not under memory pressure, slowly deflate the
 * balloons"). */
static double mom_grow(double cur, double used, double min, double max) {
        double floor = used + MIN_GUEST_FREE * cur, size = cur * (1.0 + MAX_CHANGE);

        if (cur >= max)
                return 0;
        if (floor < min)
                floor = min;
        if (size < floor)
                size = floor;
        if (size > max)
                size = max;
        return big_enough(size, cur) ? size : 0;
}

/* The main script: host_free_percent = StatAvg(host free) / MemTotal; under
 * pressure_threshold every guest is shrunk, otherwise every guest is grown.
 * Per guest, "current" is the latest balloon size (guest.balloon_cur) and
 * "used" = StatAvg(balloon_cur) - StatAvg(mem_unused): guest page cache
 * counts as used. Guests without stats are skipped; no age check, no
 * exclusion, no shares. */
void bd_mom_decide(const struct bd_mom *st, const struct bd_host_sample *host, const struct bd_vm_sample *vms,
                   const uint64_t *min_kib, size_t n, uint64_t *targets) {
        double host_free = host->mem_total_kib ? ring_avg(&st->host_free) / (double)host->mem_total_kib : 1.0;
        bool pressure = host_free < PRESSURE_THRESHOLD;

        for (size_t i = 0; i < n; i++) {
                const struct mom_vm *v = i < st->n ? &st->vm[i] : NULL;
                double cur, used, size;

                targets[i] = 0;
                if (!v || v->actual.n == 0 || vms[i].state != BD_RUN_RUNNING || (vms[i].flags & BD_VM_NO_BALLOON))
                        continue; /* no data from its monitor: skipped */
                cur = (double)v->latest_actual;
                used = ring_avg(&v->actual) - ring_avg(&v->unused);
                size = pressure ? mom_shrink(host_free, cur, used, (double)min_kib[i])
                                : mom_grow(cur, used, (double)min_kib[i], (double)vms[i].max_kib);
                if (size >= 1.0)
                        targets[i] = u64_of(size);
        }
}
