/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy simulator: runs a scenario on the simulated host (src/sim/model.c)
 * under one policy, in 1 s steps, as fast as the CPU goes, and measures what
 * the policy did to the guests and the host.
 *
 * balloond runs through the same pure policy function the daemon calls
 * (bd_policy_run) with the scenario's configuration, every interval_sec and,
 * as the daemon's watch does, at once when the host is out of RAM (at most
 * once a second);
 * each peer at its own pace (src/sim/baselines.c); the oracle every 5 s. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/sim/baselines.h"
#include "balloond/core/policy.h"
#include "balloond/core/units.h"
#include "balloond/sim/simulate.h"

#define SEC 1000000ULL
#define T0_USEC (1000 * SEC)
#define WALL0_SEC 1790000000LL
#define ORACLE_LOOKAHEAD_SEC 60
#define ORACLE_NEED_KIB ((40 + 64 + 64) * MIB) /* kernel, kept free, margin: as bd_oracle_decide */
#define ORACLE_ALIVE_KIB ((40 + 64 + 16) * MIB) /* kernel, kept free, a little over the model's OOM line */

static const char *const names[BD_SIMPOL__COUNT] = {
        [BD_SIMPOL_BALLOOND] = "balloond", [BD_SIMPOL_MOM] = "mom",       [BD_SIMPOL_PROXMOX] = "proxmox",
        [BD_SIMPOL_HOSTONLY] = "host-only", [BD_SIMPOL_RELEASE] = "release-fully",
        [BD_SIMPOL_NONE] = "none",         [BD_SIMPOL_ORACLE] = "oracle",
};

const char *bd_sim_policy_name(enum bd_sim_policy p) {
        return (unsigned)p < BD_SIMPOL__COUNT ? names[p] : "unknown";
}

int bd_sim_policy_from_name(const char *name, enum bd_sim_policy *out) {
        for (int i = 0; i < BD_SIMPOL__COUNT; i++)
                if (strcmp(name, names[i]) == 0) {
                        *out = (enum bd_sim_policy)i;
                        return 0;
                }
        return -EINVAL;
}

struct run {
        const struct bd_scenario *sc;
        enum bd_sim_policy policy;
        struct bd_sim *sim;
        size_t n;
        /* balloond */
        struct bd_vm_history *history;
        struct bd_decision *decisions;
        struct bd_host_state host_state;
        /* baselines */
        struct bd_peer *peer;
        uint64_t *min_kib, *targets, *future_peak, **demand;
        int *shares;
        bool *untouchable;
        uint64_t *last_target;
        uint64_t *want, *now_need, *alive; /* the oracle's levels */
        double *slope, *base;              /* and what a size costs the host */
        double *vm_pressure_sec;
        struct bd_sim_metrics *m;
        uint64_t next_cycle_sec, last_cycle_usec; /* balloond's schedule */
};

static void free_run(struct run *r) {
        if (r->demand)
                for (size_t i = 0; i < r->n; i++)
                        free(r->demand[i]);
        free(r->demand);
        free(r->history);
        free(r->decisions);
        bd_peer_free(r->peer);
        free(r->min_kib);
        free(r->targets);
        free(r->future_peak);
        free(r->shares);
        free(r->untouchable);
        free(r->last_target);
        free(r->want);
        free(r->now_need);
        free(r->alive);
        free(r->slope);
        free(r->base);
        free(r->vm_pressure_sec);
        bd_sim_free(r->sim);
}

/* Set a target; count it, and count it as bad if balloond would have left
 * the VM alone. */
static void set_target(struct run *r, size_t i, uint64_t target, const struct bd_vm_sample *s, int64_t wall) {
        if (target == 0 || target == r->last_target[i])
                return;
        if (bd_sim_set_target(r->sim, i, target) < 0)
                return;
        r->last_target[i] = target;
        r->m->balloon_ops++;
        /* The oracle sees the truth, not the stats: nothing is blind to it. */
        if (r->policy != BD_SIMPOL_ORACLE && bd_policy_untouchable(&r->sc->cfg, s, wall))
                r->m->bad_decisions++;
}

static void check_decision(struct run *r, const struct bd_decision *d) {
        bool ok = true;

        if (d->action == BD_ACTION_NONE)
                return;
        if (d->status == BD_STATUS_EXCLUDED || d->status == BD_STATUS_STUCK)
                ok = false;
        if (d->status == BD_STATUS_BLIND && d->action == BD_ACTION_SHRINK)
                ok = false;
        if (d->action == BD_ACTION_SHRINK && d->target_kib < d->floor_kib)
                ok = false;
        if (d->action == BD_ACTION_GROW && d->target_kib > d->max_kib)
                ok = false;
        if (!ok)
                r->m->invariant_violations++;
}

/* The host as balloond reads it: PSI where psi_path points (the VMs' cgroup
 * sees the VMs' stalls; the root also other cgroups'). */
static void balloond_host_sample(const struct run *r, struct bd_host_sample *host) {
        bd_sim_host_sample(r->sim, host);
        if (strcmp(r->sc->cfg.psi_path, "/proc/pressure/memory") == 0 &&
            r->sc->host.root_psi_full_pct > host->psi_full_avg10_pct)
                host->psi_full_avg10_pct = host->psi_some_avg10_pct = r->sc->host.root_psi_full_pct;
}

/* balloond stops with restore_on_exit: memory back within the host's headroom. */
static void restore_balloond(struct run *r) {
        struct bd_host_sample host;
        const struct bd_vm_sample *s;
        size_t n, *order;
        uint64_t *targets = r->targets, short_kib;

        s = bd_sim_samples(r->sim, &n);
        order = calloc(n ? n : 1, sizeof(*order));
        if (!order)
                abort();
        balloond_host_sample(r, &host);
        bd_policy_restore(&r->sc->cfg, &host, s, n, order, targets, &short_kib);
        for (size_t i = 0; i < n; i++)
                if (targets[i] && bd_sim_set_target(r->sim, i, targets[i]) == 0)
                        r->m->balloon_ops++;
        free(order);
}

/* balloond's cycle is due at second T (NOW_USEC): every interval, and
 * between, with the host read every second, as soon as it is out of RAM
 * (bd_policy_cycle_now), the next one an interval after that. */
static bool balloond_due(struct run *r, uint64_t t, uint64_t now_usec) {
        struct bd_host_sample host;

        if (t >= r->next_cycle_sec)
                return true;
        balloond_host_sample(r, &host);
        return bd_policy_cycle_now(&host, r->last_cycle_usec, now_usec, r->sc->cfg.interval_usec);
}

static void run_balloond(struct run *r, uint64_t now_usec, int64_t wall) {
        struct bd_host_sample host;
        struct bd_host_view view;
        const struct bd_vm_sample *s;
        size_t n;

        s = bd_sim_samples(r->sim, &n);
        balloond_host_sample(r, &host);
        bd_policy_run(&r->sc->cfg, &host, s, r->history, n, &r->host_state, now_usec, wall, r->decisions, &view);
        for (size_t i = 0; i < n; i++) {
                const struct bd_decision *d = &r->decisions[i];

                check_decision(r, d);
                if (d->action == BD_ACTION_NONE)
                        continue;
                r->last_target[i] = 0; /* balloond decides each change itself */
                if (bd_sim_set_target(r->sim, i, d->target_kib) < 0)
                        continue;
                r->m->balloon_ops++;
                if (d->status != BD_STATUS_OK && d->status != BD_STATUS_BLIND)
                        r->m->bad_decisions++;
                bd_policy_note_applied(&r->history[i], d, now_usec);
        }
}

/* What the oracle may not touch: what balloond may never touch (devices,
 * state, class), whatever the stats say. */
static bool oracle_untouchable(const struct run *r, const struct bd_vm_sample *s, size_t i) {
        struct bd_vm_settings set;

        if (s->state != BD_RUN_RUNNING || (s->flags & (BD_VM_NO_BALLOON | BD_VM_VFIO)) ||
            r->sc->vms[i].spec.balloon_stuck)
                return true;
        bd_config_vm_settings(&r->sc->cfg, s, &set);
        return set.excluded;
}

/* The RAM the oracle may give the VMs it sets: RAM less the host's own
 * use, its pools, its jobs' peak over the next minute, and what the other
 * VMs hold. */
static uint64_t oracle_budget(const struct run *r, uint64_t t) {
        const struct bd_sim_host_spec *h = &r->sc->host;
        uint64_t used = h->host_use_kib + h->hugetlb_kib, job = 0;

        for (uint64_t k = t; k <= t + ORACLE_LOOKAHEAD_SEC; k += 5)
                job = max_u64(job, bd_sim_demand_at(&h->job, k));
        used += job;
        for (size_t i = 0; i < r->n; i++) {
                struct bd_sim_vm_truth tr;

                if (!r->untouchable[i])
                        continue;
                bd_sim_vm_truth(r->sim, i, &tr);
                used += tr.resident_kib;
        }
        return sub_sat(r->sc->host.ram_kib, used);
}

/* What VM i will hold in host RAM at balloon size T with demand up to
 * PEAK (src/sim/model.c): with free page reporting its kernel, its demand
 * and a quarter of the rest as page cache, (T + 3 (PEAK + kernel)) / 4;
 * without, all of T once touched. */
static void oracle_cost(struct run *r, size_t i, uint64_t peak) {
        bool fpr = !(r->sc->vms[i].spec.flags & BD_VM_NO_FREE_PAGE_REPORTING);

        r->slope[i] = fpr ? 0.25 : 1.0;
        r->base[i] = fpr ? 0.75 * (double)(peak + 40 * MIB) : 0.0;
}

static void oracle(struct run *r, uint64_t t, const struct bd_vm_sample *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                uint64_t now = r->demand[i][t], max = s[i].max_kib;

                r->future_peak[i] = 0;
                for (uint64_t k = t; k <= t + ORACLE_LOOKAHEAD_SEC; k++)
                        r->future_peak[i] = max_u64(r->future_peak[i], r->demand[i][k]);
                r->untouchable[i] = oracle_untouchable(r, &s[i], i);
                r->want[i] = clamp_u64(r->future_peak[i] + ORACLE_NEED_KIB, 128 * MIB, max);
                r->now_need[i] = min_u64(clamp_u64(now + ORACLE_NEED_KIB, 128 * MIB, max), r->want[i]);
                r->alive[i] = min_u64(sub_sat(now, r->sc->vms[i].spec.swap_kib) + ORACLE_ALIVE_KIB, r->now_need[i]);
                oracle_cost(r, i, r->future_peak[i]);
        }
        bd_oracle_decide(s, r->future_peak, r->untouchable, n, r->targets);
        for (size_t i = 0; i < n; i++)
                if (!r->untouchable[i] && !r->targets[i])
                        r->targets[i] = s[i].actual_kib; /* the oracle wants no change */
        bd_oracle_fit(r->want, r->now_need, r->alive, r->untouchable, n, oracle_budget(r, t),
                      &(struct bd_oracle_cost){ r->slope, r->base }, r->targets);
}

static void run_baseline(struct run *r, uint64_t t, int64_t wall) {
        struct bd_host_sample host;
        const struct bd_vm_sample *s;
        size_t n;

        s = bd_sim_samples(r->sim, &n);
        bd_sim_host_sample(r->sim, &host);
        switch (r->policy) {
        case BD_SIMPOL_MOM:
        case BD_SIMPOL_PROXMOX:
        case BD_SIMPOL_HOSTONLY:
        case BD_SIMPOL_RELEASE:
                if (!bd_peer_tick(r->peer, t, &host, s, r->min_kib, r->shares, n, r->targets))
                        return;
                break;
        case BD_SIMPOL_ORACLE:
                if (t % 5 != 0)
                        return;
                oracle(r, t, s, n);
                break;
        default:
                return;
        }
        for (size_t i = 0; i < n; i++)
                set_target(r, i, r->targets[i], &s[i], wall);
}

/* Per second: what the policy did to the guests and the host. A guest is
 * under pressure while any of its demand is out of RAM: in its swap,
 * nowhere (shortfall), or in the host's swap. */
static void measure(struct run *r) {
        const struct bd_vm_sample *s;
        size_t n;

        s = bd_sim_samples(r->sim, &n);
        for (size_t i = 0; i < n; i++) {
                struct bd_sim_vm_truth t;
                double short_mib;

                if (s[i].state != BD_RUN_RUNNING)
                        continue;
                bd_sim_vm_truth(r->sim, i, &t);
                r->m->reclaimed_gib_h += (double)(s[i].max_kib - s[i].actual_kib) / (1024.0 * 1024.0) / 3600.0;
                r->m->freed_gib_h += (double)sub_sat(s[i].max_kib, t.resident_kib) / (1024.0 * 1024.0) / 3600.0;
                short_mib = (double)(t.swapped_kib + t.shortfall_kib + t.host_swapped_kib) / 1024.0;
                if (short_mib > 0) {
                        r->m->guest_pressure_vm_sec += 1.0;
                        r->vm_pressure_sec[i] += 1.0;
                }
                if (short_mib > r->m->worst_shortfall_mib)
                        r->m->worst_shortfall_mib = short_mib;
        }
}

static uint64_t count_ooms(const struct run *r);

static void finish_metrics(struct run *r, uint64_t oom_at_stop) {
        const struct bd_scenario *sc = r->sc;
        struct bd_sim_host_truth host;

        bd_sim_host_truth(r->sim, &host);
        r->m->host_overcommit_sec = (double)host.overcommit_usec / (double)SEC;
        r->m->host_over_peak_mib = (double)host.over_peak_kib / 1024.0;
        r->m->host_over_gib_s = host.over_kib_sec / (1024.0 * 1024.0);
        r->m->oom_events =
                sc->restore_at_sec && sc->restore_at_sec < sc->duration_sec ? oom_at_stop : count_ooms(r);
        r->m->worst_vm = SIZE_MAX;
        for (size_t i = 0; i < r->n; i++)
                if (r->vm_pressure_sec[i] > r->m->worst_vm_pressure_sec) {
                        r->m->worst_vm = i;
                        r->m->worst_vm_pressure_sec = r->vm_pressure_sec[i];
                }
}

static uint64_t count_ooms(const struct run *r) {
        uint64_t n = 0;

        for (size_t i = 0; i < r->n; i++) {
                struct bd_sim_vm_truth t;

                bd_sim_vm_truth(r->sim, i, &t);
                n += t.oom_events;
        }
        return n;
}

/* The peers run by src/sim/baselines.c. */
static bool peer_kind(enum bd_sim_policy policy, enum bd_peer_kind *kind) {
        switch (policy) {
        case BD_SIMPOL_MOM:
                *kind = BD_PEER_MOM;
                return true;
        case BD_SIMPOL_PROXMOX:
                *kind = BD_PEER_PROXMOX;
                return true;
        case BD_SIMPOL_HOSTONLY:
                *kind = BD_PEER_HOSTONLY;
                return true;
        case BD_SIMPOL_RELEASE:
                *kind = BD_PEER_RELEASE;
                return true;
        default:
                return false;
        }
}

#define ALLOC(p, count)                                     \
        do {                                                \
                (p) = calloc((count) ? (count) : 1, sizeof(*(p))); \
                if (!(p))                                   \
                        goto oom;                           \
        } while (0)

/* No ballooning: every VM has its maximum. */
static void no_ballooning(struct run *r) {
        const struct bd_vm_sample *s = bd_sim_samples(r->sim, &r->n);

        for (size_t i = 0; i < r->n; i++)
                if (s[i].actual_kib < s[i].max_kib)
                        (void)bd_sim_set_target(r->sim, i, s[i].max_kib);
}

int bd_simulate(const struct bd_scenario *sc, enum bd_sim_policy policy, struct bd_sim_metrics *out,
                bd_sim_trace_fn trace, void *ctx) {
        struct bd_sim_vm_spec *specs;
        struct bd_sim_metrics m = { 0 };
        struct run r = { .sc = sc, .policy = policy, .n = sc->n_vms, .m = &m };
        enum bd_peer_kind kind;
        uint64_t interval_sec = sc->cfg.interval_usec / SEC ? sc->cfg.interval_usec / SEC : 1, oom_at_stop = 0;
        int ret;

        specs = calloc(sc->n_vms ? sc->n_vms : 1, sizeof(*specs));
        if (!specs)
                return -ENOMEM;
        for (size_t i = 0; i < sc->n_vms; i++)
                specs[i] = sc->vms[i].spec;
        ret = bd_sim_new(&sc->host, specs, sc->n_vms, &r.sim);
        free(specs);
        if (ret < 0)
                return ret;
        ALLOC(r.history, r.n);
        ALLOC(r.decisions, r.n);
        if (peer_kind(policy, &kind) && bd_peer_new(kind, r.n, &r.peer) < 0)
                goto oom;
        ALLOC(r.min_kib, r.n);
        ALLOC(r.targets, r.n);
        ALLOC(r.future_peak, r.n);
        ALLOC(r.shares, r.n);
        ALLOC(r.untouchable, r.n);
        ALLOC(r.last_target, r.n);
        ALLOC(r.want, r.n);
        ALLOC(r.now_need, r.n);
        ALLOC(r.alive, r.n);
        ALLOC(r.slope, r.n);
        ALLOC(r.base, r.n);
        ALLOC(r.vm_pressure_sec, r.n);
        ALLOC(r.demand, r.n);
        for (size_t i = 0; i < r.n; i++) {
                r.min_kib[i] = sc->vms[i].min_kib;
                r.shares[i] = sc->vms[i].shares;
                if (policy != BD_SIMPOL_ORACLE)
                        continue; /* only the oracle reads the future */
                ALLOC(r.demand[i], sc->duration_sec + ORACLE_LOOKAHEAD_SEC + 1);
                bd_sim_demand_series(&sc->vms[i].spec.demand, sc->duration_sec + ORACLE_LOOKAHEAD_SEC + 1,
                                     r.demand[i]);
        }

        bd_sim_advance(r.sim, T0_USEC, WALL0_SEC);
        if (policy == BD_SIMPOL_NONE)
                no_ballooning(&r);
        for (uint64_t t = 0; t < sc->duration_sec; t++) {
                uint64_t now = T0_USEC + t * SEC;
                int64_t wall = WALL0_SEC + (int64_t)t;

                if (sc->restore_at_sec && t >= sc->restore_at_sec) {
                        /* The policy stopped; balloond restored on its way out.
                         * What guests do from here on is no policy's doing:
                         * their OOM events are counted up to here. */
                        if (t == sc->restore_at_sec) {
                                if (policy == BD_SIMPOL_BALLOOND)
                                        restore_balloond(&r);
                                oom_at_stop = count_ooms(&r);
                        }
                } else if (policy == BD_SIMPOL_BALLOOND && balloond_due(&r, t, now)) {
                        run_balloond(&r, now, wall);
                        r.next_cycle_sec = t + interval_sec;
                        r.last_cycle_usec = now;
                } else if (policy != BD_SIMPOL_BALLOOND && policy != BD_SIMPOL_NONE) {
                        run_baseline(&r, t, wall);
                }
                bd_sim_advance(r.sim, now + SEC, wall + 1);
                measure(&r);
                if (trace)
                        trace(ctx, t + 1, r.sim, sc);
        }
        finish_metrics(&r, oom_at_stop);
        *out = m;
        free_run(&r);
        return 0;
oom:
        free_run(&r);
        return -ENOMEM;
}
