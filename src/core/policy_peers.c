/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peers' jump and burst of every VM at once (bd_guard_fleet_jump and
 * bd_guard_fleet_burst of each, in O(n) rather than each VM scanning all
 * the others: the policy at 10,000 VMs took 115.8 ms that way, 5.3 ms
 * this way, 2.97 ms before the peer rules; build/bench/bench-policy 10000
 * 100). VMs are grouped by their
 * maximum size, and each group keeps its three largest values: the second
 * largest of the others is the second of those, or the third when the VM's
 * own value is among the first two. More than PEER_GROUPS sizes: the VMs of
 * the sizes left out are scanned as before. */
#include "balloond/core/units.h"
#include "policy_phases.h"

#define PEER_GROUPS 64

struct peer_groups {
        size_t n;
        uint64_t key[PEER_GROUPS];
        uint64_t top[PEER_GROUPS][3]; /* the three largest values, largest first */
};

/* The group of VMs of maximum KEY (PEER_GROUPS: none, the table is full). */
static size_t group_of(struct peer_groups *g, uint64_t key) {
        for (size_t k = 0; k < g->n; k++)
                if (g->key[k] == key)
                        return k;
        if (g->n == PEER_GROUPS)
                return PEER_GROUPS;
        g->key[g->n] = key;
        g->top[g->n][0] = g->top[g->n][1] = g->top[g->n][2] = 0;
        return g->n++;
}

static void push(uint64_t top[3], uint64_t v) {
        if (v > top[0]) {
                top[2] = top[1];
                top[1] = top[0];
                top[0] = v;
        } else if (v > top[1]) {
                top[2] = top[1];
                top[1] = v;
        } else if (v > top[2]) {
                top[2] = v;
        }
}

/* The second largest of a group's values without one of OWN (0: the VM
 * added nothing). */
static uint64_t second_of_others(const uint64_t top[3], uint64_t own) {
        return own && own >= top[1] ? top[2] : top[1];
}

/* What VM S/H adds to its group: its jump, when it has room for one. */
static uint64_t jump_of(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                        uint64_t now_usec) {
        return s->state == BD_RUN_RUNNING && h->jump_kib && bd_guard_rise(cfg, h, now_usec) ? h->jump_kib : 0;
}

/* And its learned burst margin. */
static uint64_t burst_of(const struct bd_config *cfg, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                         uint64_t now_usec) {
        return s->state == BD_RUN_RUNNING ? bd_guard_burst(cfg, h, now_usec) : 0;
}

typedef uint64_t (*value_fn)(const struct bd_config *, const struct bd_vm_sample *, const struct bd_vm_history *,
                             uint64_t);

static void group(const struct bd_config *cfg, const struct bd_vm_sample *samples, const struct bd_vm_history *history,
                  size_t n, uint64_t now_usec, value_fn value, struct peer_groups *g) {
        for (size_t i = 0; i < n; i++) {
                size_t k = group_of(g, samples[i].max_kib);

                if (k < PEER_GROUPS)
                        push(g->top[k], value(cfg, &samples[i], &history[i], now_usec));
        }
}

void bd_guard_fleet_jumps(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                          const struct bd_vm_history *history, size_t n, uint64_t now_usec, struct bd_decision *d) {
        struct peer_groups g = { 0 };

        group(cfg, samples, history, n, now_usec, jump_of, &g);
        for (size_t i = 0; i < n; i++) {
                size_t k = group_of(&g, samples[i].max_kib);

                d[i].fleet_jump_kib =
                        k < PEER_GROUPS
                                ? min_u64(second_of_others(g.top[k], jump_of(cfg, &samples[i], &history[i], now_usec)),
                                          cfg->burst_max_kib)
                                : bd_guard_fleet_jump(cfg, samples, history, n, i, now_usec);
        }
}

void bd_guard_fleet_bursts(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                           const struct bd_vm_history *history, size_t n, uint64_t now_usec, struct bd_decision *d) {
        struct peer_groups g = { 0 };

        group(cfg, samples, history, n, now_usec, burst_of, &g);
        for (size_t i = 0; i < n; i++) {
                size_t k;
                uint64_t second;

                if (d[i].share_role != BD_ROLE_TAKER)
                        continue;
                k = group_of(&g, samples[i].max_kib);
                if (k < PEER_GROUPS) {
                        second = second_of_others(g.top[k], burst_of(cfg, &samples[i], &history[i], now_usec));
                        second = bd_guard_burst(cfg, &history[i], now_usec) >= second / 2 ? 0 : second;
                } else {
                        second = bd_guard_fleet_burst(cfg, samples, history, n, i, now_usec);
                }
                d[i].peer_burst_kib = max_u64(second, d[i].peer_rise_kib);
        }
}
