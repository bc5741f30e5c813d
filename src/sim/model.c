/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated host: a model of a host and its guests in 1 s steps, and the
 * backend glue that lets balloond run against it (`--connect sim://`).
 *
 * Each running guest, every second:
 *   - wants demand(t) of anonymous memory; it holds what fits in its memory
 *     (balloon size - 40 MiB of kernel, keeping 64 MiB free) and swaps out the
 *     rest if it has swap (swap_out counts up; coming back in counts swap_in
 *     and major faults); what fits nowhere is a shortfall;
 *   - fills a quarter of the spare memory with page cache;
 *   - reports (every stats period, unless frozen) MemTotal = size - 40 MiB,
 *     MemFree, MemAvailable = free + 90 % of cache, and its counters;
 *   - has a balloon that moves toward its target at 870 MiB/s inflating and
 *     2.5 GiB/s deflating (measured on real TCG guests), unless stuck. A
 *     balloon pressing below what the guest needs stalls there and counts an
 *     OOM event, as a real guest without swap OOM-kills and panics.
 * The host's resident memory is its own use, its jobs (job(t)) and each
 * VM's resident memory: with free page reporting (the default), the guest's
 * kernel, anonymous memory and page cache; without it, every page the guest
 * touched since it started (all of it at the start: a guest that ran a while
 * has filled its memory with cache) until the balloon takes it back. Above
 * RAM the host swaps: each VM has its share of the excess (by its resident
 * memory) swapped out, and a PSI-like "full avg10" rises with how far past
 * RAM it is.
 *
 * The built-in host (sim://): 16 GiB of RAM, 1 GiB for the host, seven VMs
 * whose maxima add up to 21 GiB, starting in the pressure band:
 *   web1     4 GiB, idle (1 GiB demand)        -> shrunk under pressure
 *   web2     4 GiB, ballooned to 2 GiB earlier, demand 1.9 GiB, rising by
 *            128 MiB every 10 s to 2.6 GiB from 2 min on and to 3 GiB from
 *            10 min on                          -> grows (guest low free)
 *   db1      4 GiB, metadata class "database"  -> excluded
 *   batch1   3 GiB, 0.5..2.5 GiB every 10 min, 1 GiB swap
 *   legacy1  2 GiB, no balloon device          -> excluded
 *   paused1  2 GiB, paused                     -> excluded
 *   frozen1  2 GiB, stats frozen a minute ago  -> blind (stale)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/core/units.h"
#include "balloond/sim/autodeflate.h"
#include "balloond/sim/model.h"

#define KERNEL_KIB (40 * MIB)   /* balloon size - guest MemTotal */
#define MIN_FREE_KIB (64 * MIB) /* the guest keeps this much free */
#define PAGE_KIB 4ULL

struct sim_vm {
        struct bd_sim_vm_spec spec;
        uint64_t actual_kib;
        uint64_t target_kib;
        uint64_t anon_kib;
        uint64_t cache_kib;
        uint64_t swapped_kib;
        uint64_t shortfall_kib;
        uint64_t swap_in_kib, swap_out_kib, major_faults;
        uint64_t oom_events;
        uint64_t touched_kib;      /* without free page reporting: resident high-water mark */
        uint64_t host_swapped_kib; /* swapped out by the host */
        bool stalled;
        int64_t last_refresh_sec; /* run second of the last stats report */
        uint64_t walk_kib;        /* random walk position */
        uint64_t walk_state;
};

struct bd_sim {
        struct bd_sim_host_spec host;
        struct sim_vm *vms;
        struct bd_vm_sample *samples;
        size_t n;
        bool started;
        uint64_t t0_usec;
        int64_t wall0_sec;
        uint64_t t_sec; /* seconds simulated */
        uint64_t overcommit_usec;
        uint64_t resident_kib;
        uint64_t over_kib, over_peak_kib, job_kib;
        double over_kib_sec;
        double psi_full_avg10_pct; /* PSI-like: stall while the host swaps, averaged over ~10 s */
};

/* xorshift64*: deterministic noise for random walks. */
static uint64_t next_rand(uint64_t *s) {
        uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *s = x;
        return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t walk_step(const struct bd_sim_demand *d, uint64_t pos, uint64_t *state) {
        uint64_t step = d->walk_step_kib ? d->walk_step_kib : 16 * MIB;

        if (next_rand(state) & 1)
                pos = min_u64(pos + step, d->base_kib + d->amp_kib);
        else
                pos = pos > d->base_kib + step ? pos - step : d->base_kib;
        return pos;
}

uint64_t bd_sim_demand_at(const struct bd_sim_demand *d, uint64_t t_sec) {
        uint64_t v = d->base_kib, state = d->seed, pos = d->base_kib;

        switch (d->kind) {
        case BD_SIM_CONST:
                return d->base_kib;
        case BD_SIM_STEPS: {
                size_t lo = 0, hi = d->n_steps; /* the last step at or before t: bisection */

                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;

                        if (d->steps[mid].at_sec <= t_sec)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                return lo ? d->steps[lo - 1].kib : v;
        }
        case BD_SIM_PERIODIC:
                if (!d->period_sec)
                        return d->base_kib;
                return d->base_kib +
                       (uint64_t)((double)d->amp_kib *
                                  (1.0 - cos(2.0 * M_PI * (double)((t_sec + d->at_sec) % d->period_sec) /
                                             (double)d->period_sec)) /
                                  2.0);
        case BD_SIM_SPIKE:
                return t_sec >= d->at_sec && t_sec < d->at_sec + d->duration_sec ? d->base_kib + d->amp_kib
                                                                                  : d->base_kib;
        case BD_SIM_WALK:
                for (uint64_t t = 0; t < t_sec; t++)
                        pos = walk_step(d, pos, &state);
                return pos;
        case BD_SIM_BURSTS:
                if (t_sec < d->at_sec || !d->period_sec)
                        return d->base_kib;
                return (t_sec - d->at_sec) % d->period_sec < d->duration_sec ? d->base_kib + d->amp_kib : d->base_kib;
        case BD_SIM_RAMP:
                if (t_sec <= d->at_sec)
                        return d->base_kib;
                if (!d->duration_sec || t_sec - d->at_sec >= d->duration_sec)
                        return d->base_kib + d->amp_kib;
                return d->base_kib +
                       (uint64_t)((double)d->amp_kib * (double)(t_sec - d->at_sec) / (double)d->duration_sec);
        }
        return v;
}

void bd_sim_demand_series(const struct bd_sim_demand *d, size_t n, uint64_t *out) {
        uint64_t pos = d->base_kib, state = d->seed;

        for (size_t t = 0; t < n; t++) {
                if (d->kind != BD_SIM_WALK) {
                        out[t] = bd_sim_demand_at(d, t);
                        continue;
                }
                out[t] = pos;
                pos = walk_step(d, pos, &state);
        }
}

static uint64_t demand_now(struct sim_vm *v, uint64_t t_sec) {
        if (v->spec.demand.kind == BD_SIM_WALK)
                return v->walk_kib; /* advanced once per step, O(1) */
        return bd_sim_demand_at(&v->spec.demand, t_sec);
}

/* What the guest needs to stay alive: the part of its demand that cannot
 * go to swap, plus its kernel and free watermark. */
static uint64_t alive_min_kib(const struct sim_vm *v, uint64_t demand_kib) {
        return sub_sat(demand_kib, v->spec.swap_kib) + KERNEL_KIB + MIN_FREE_KIB;
}

static void move_balloon(struct sim_vm *v, uint64_t demand_kib) {
        uint64_t inflate = v->spec.inflate_kib_per_sec ? v->spec.inflate_kib_per_sec : 870 * MIB;
        uint64_t deflate = v->spec.deflate_kib_per_sec ? v->spec.deflate_kib_per_sec : 2560 * MIB;
        uint64_t floor_kib;

        if (!v->target_kib || v->spec.balloon_stuck)
                return;
        if (v->target_kib > v->actual_kib) {
                v->actual_kib = min_u64(v->target_kib, v->actual_kib + deflate);
                v->stalled = false;
                return;
        }
        floor_kib = alive_min_kib(v, demand_kib);
        if (v->target_kib < floor_kib && v->actual_kib <= floor_kib + inflate &&
            bd_sim_self_deflate(v->spec.flags, v->spec.max_kib, floor_kib, &v->actual_kib))
                return; /* deflate-on-OOM: the guest took what it needs back (autodeflate.c) */
        if (v->target_kib < floor_kib && v->actual_kib <= floor_kib + inflate) {
                if (!v->stalled)
                        v->oom_events++;
                v->stalled = true;
                v->actual_kib = v->actual_kib > floor_kib ? floor_kib : v->actual_kib;
                return;
        }
        v->stalled = false;
        v->actual_kib = v->actual_kib > v->target_kib + inflate ? v->actual_kib - inflate : v->target_kib;
}

/* The guest's memory after this second: anon, swap, cache. */
static void settle_guest(struct sim_vm *v, uint64_t demand_kib) {
        uint64_t total = sub_sat(v->actual_kib, KERNEL_KIB);
        uint64_t anon_cap = sub_sat(total, MIN_FREE_KIB), over, want_swapped;

        v->anon_kib = min_u64(demand_kib, anon_cap);
        over = demand_kib - v->anon_kib;
        want_swapped = min_u64(over, v->spec.swap_kib);
        v->shortfall_kib = over - want_swapped;
        if (want_swapped > v->swapped_kib) {
                v->swap_out_kib += want_swapped - v->swapped_kib;
        } else if (want_swapped < v->swapped_kib) {
                v->swap_in_kib += v->swapped_kib - want_swapped;
                v->major_faults += (v->swapped_kib - want_swapped) / PAGE_KIB;
        }
        v->swapped_kib = want_swapped;
        v->cache_kib = sub_sat(total, v->anon_kib) / 4;
}

static bool reports_free_pages(const struct sim_vm *v) {
        return !(v->spec.flags & (BD_VM_NO_FREE_PAGE_REPORTING | BD_VM_NO_BALLOON));
}

/* Without free page reporting, pages once touched stay with the VM until
 * the balloon takes them. */
static void track_touched(struct sim_vm *v) {
        uint64_t used = min_u64(v->actual_kib, v->anon_kib + v->cache_kib + KERNEL_KIB);

        v->touched_kib = min_u64(max_u64(v->touched_kib, used), v->actual_kib);
}

static uint64_t resident_kib(const struct sim_vm *v) {
        if (v->spec.state == BD_RUN_SHUTOFF)
                return 0;
        if (!reports_free_pages(v))
                return v->touched_kib;
        return min_u64(v->actual_kib, v->anon_kib + v->cache_kib + KERNEL_KIB);
}

static void report(struct bd_sim *sim, size_t i, int64_t wall_sec) {
        struct sim_vm *v = &sim->vms[i];
        struct bd_vm_sample *s = &sim->samples[i];
        uint64_t total = sub_sat(v->actual_kib, KERNEL_KIB);
        uint64_t unused = sub_sat(total, v->anon_kib + v->cache_kib);

        s->available_kib = total;
        s->unused_kib = unused;
        s->usable_kib = unused + v->cache_kib * 9 / 10;
        s->disk_caches_kib = v->cache_kib;
        s->swap_in_kib = v->swap_in_kib;
        s->swap_out_kib = v->swap_out_kib;
        s->major_faults = v->major_faults;
        s->last_update_sec = wall_sec;
        if (v->spec.claims_always) /* a hostile guest: no free memory, ever */
                s->usable_kib = s->unused_kib = s->disk_caches_kib = 0;
}

static bool stats_frozen(const struct sim_vm *v, uint64_t t_sec) {
        return v->spec.stats_freeze_sec >= 0 && (int64_t)t_sec >= v->spec.stats_freeze_sec;
}

/* Above RAM the host swaps out the excess, from each VM by its share of
 * the VMs' resident memory (the host's own memory and jobs stay). */
static void host_swap(struct bd_sim *sim, uint64_t vms_kib) {
        for (size_t i = 0; i < sim->n; i++) {
                struct sim_vm *v = &sim->vms[i];

                v->host_swapped_kib = 0;
                if (sim->over_kib && vms_kib)
                        v->host_swapped_kib = (uint64_t)((double)min_u64(sim->over_kib, vms_kib) *
                                                         (double)resident_kib(v) / (double)vms_kib);
                sim->samples[i].host_swap_kib = v->host_swapped_kib; /* the ledger's */
        }
}

static void account_host(struct bd_sim *sim, uint64_t host_kib, uint64_t vms_kib) {
        sim->resident_kib = host_kib;
        sim->over_kib = sub_sat(host_kib, sim->host.ram_kib);
        if (sim->over_kib) {
                sim->overcommit_usec += USEC_PER_SEC;
                sim->over_kib_sec += (double)sim->over_kib;
                sim->over_peak_kib = max_u64(sim->over_peak_kib, sim->over_kib);
        }
        host_swap(sim, vms_kib);
}

static void step(struct bd_sim *sim) {
        uint64_t t = ++sim->t_sec, host_kib, vms_kib = 0;

        sim->job_kib = bd_sim_demand_at(&sim->host.job, t);
        host_kib = sim->host.host_use_kib + sim->host.hugetlb_kib + sim->job_kib;

        for (size_t i = 0; i < sim->n; i++) {
                struct sim_vm *v = &sim->vms[i];
                int period = v->spec.stats_period_sec > 0 ? v->spec.stats_period_sec : 2;
                uint64_t d;

                if (v->spec.state == BD_RUN_RUNNING) {
                        if (v->spec.demand.kind == BD_SIM_WALK)
                                v->walk_kib = walk_step(&v->spec.demand, v->walk_kib, &v->walk_state);
                        d = demand_now(v, t);
                        move_balloon(v, d);
                        settle_guest(v, d);
                        track_touched(v);
                        if (!stats_frozen(v, t) && (int64_t)t - v->last_refresh_sec >= period) {
                                report(sim, i, sim->wall0_sec + (int64_t)t);
                                v->last_refresh_sec = (int64_t)t;
                        }
                }
                sim->samples[i].actual_kib = v->actual_kib;
                sim->samples[i].rss_kib = resident_kib(v); /* the ledger's QEMU resident memory */
                vms_kib += resident_kib(v);
        }
        host_kib += vms_kib;
        account_host(sim, host_kib, vms_kib);
        /* PSI-like memory pressure: tasks stall in proportion to how far the
         * host is past its RAM (10 % past: fully stalled), averaged like
         * the kernel's avg10. */
        {
                double over = host_kib > sim->host.ram_kib
                                      ? 1000.0 * (double)(host_kib - sim->host.ram_kib) / (double)sim->host.ram_kib
                                      : 0.0;

                if (over > 100.0)
                        over = 100.0;
                sim->psi_full_avg10_pct += (over - sim->psi_full_avg10_pct) / 10.0;
        }
}

int bd_sim_new(const struct bd_sim_host_spec *host, const struct bd_sim_vm_spec *vms, size_t n,
               struct bd_sim **out) {
        struct bd_sim *sim;

        if (!host->ram_kib || host->hugetlb_kib >= host->ram_kib)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!vms[i].max_kib || vms[i].start_kib > vms[i].max_kib || vms[i].entitled_kib > vms[i].max_kib ||
                    vms[i].max_kib < KERNEL_KIB + MIN_FREE_KIB)
                        return -EINVAL;
        sim = calloc(1, sizeof(*sim));
        if (!sim)
                return -ENOMEM;
        sim->vms = calloc(n ? n : 1, sizeof(*sim->vms));
        sim->samples = calloc(n ? n : 1, sizeof(*sim->samples));
        if (!sim->vms || !sim->samples) {
                bd_sim_free(sim);
                return -ENOMEM;
        }
        sim->host = *host;
        if (!sim->host.host_use_kib)
                sim->host.host_use_kib = GIB;
        sim->n = n;
        for (size_t i = 0; i < n; i++) {
                struct sim_vm *v = &sim->vms[i];
                struct bd_vm_sample *s = &sim->samples[i];

                v->spec = vms[i];
                v->actual_kib = v->spec.start_kib ? v->spec.start_kib : v->spec.max_kib;
                v->walk_kib = v->spec.demand.base_kib;
                v->walk_state = v->spec.demand.seed;
                bd_vm_sample_init(s);
                snprintf(s->name, sizeof(s->name), "%s", v->spec.name);
                snprintf(s->uuid, sizeof(s->uuid), "%s", v->spec.uuid);
                snprintf(s->class_tag, sizeof(s->class_tag), "%s", v->spec.class_tag);
                s->state = v->spec.state;
                s->flags = v->spec.flags;
                s->max_kib = v->spec.max_kib;
                s->entitled_kib = v->spec.entitled_kib ? v->spec.entitled_kib : v->spec.max_kib;
                s->actual_kib = v->actual_kib;
                s->stats_period_sec = v->spec.stats_period_sec > 0 ? v->spec.stats_period_sec : 2;
        }
        *out = sim;
        return 0;
}

void bd_sim_free(struct bd_sim *sim) {
        if (!sim)
                return;
        free(sim->vms);
        free(sim->samples);
        free(sim);
}

/* The first advance: every VM settled at its start size, stats just
 * reported (a minute old for those frozen from the start). */
static void start(struct bd_sim *sim, uint64_t now_usec, int64_t now_wall_sec) {
        sim->started = true;
        sim->t0_usec = now_usec;
        sim->wall0_sec = now_wall_sec;
        sim->job_kib = bd_sim_demand_at(&sim->host.job, 0);
        sim->resident_kib = sim->host.host_use_kib + sim->host.hugetlb_kib + sim->job_kib;
        for (size_t i = 0; i < sim->n; i++) {
                struct sim_vm *v = &sim->vms[i];

                if (v->spec.state == BD_RUN_SHUTOFF)
                        continue;
                settle_guest(v, demand_now(v, 0));
                v->touched_kib = v->actual_kib; /* a guest that ran a while touched all of it */
                v->swap_out_kib = v->swapped_kib; /* swapped before the run */
                if (v->spec.stats_freeze_sec != 0 || v->spec.state != BD_RUN_RUNNING)
                        report(sim, i, now_wall_sec);
                else
                        report(sim, i, now_wall_sec - 60);
                sim->samples[i].rss_kib = resident_kib(v);
                sim->resident_kib += resident_kib(v);
        }
}

void bd_sim_advance(struct bd_sim *sim, uint64_t now_usec, int64_t now_wall_sec) {
        uint64_t target_sec;

        if (!sim->started) {
                start(sim, now_usec, now_wall_sec);
                return;
        }
        if (now_usec < sim->t0_usec)
                return;
        target_sec = (now_usec - sim->t0_usec) / USEC_PER_SEC;
        while (sim->t_sec < target_sec)
                step(sim);
}

const struct bd_vm_sample *bd_sim_samples(const struct bd_sim *sim, size_t *n) {
        *n = sim->n;
        return sim->samples;
}

void bd_sim_host_sample(const struct bd_sim *sim, struct bd_host_sample *out) {
        memset(out, 0, sizeof(*out));
        out->mem_total_kib = sim->host.ram_kib;
        out->mem_available_kib = sub_sat(sim->host.ram_kib, sim->resident_kib);
        out->hugetlb_kib = sim->host.hugetlb_kib;
        out->psi_valid = true;
        out->psi_full_avg10_pct = sim->psi_full_avg10_pct;
        out->psi_some_avg10_pct = sim->psi_full_avg10_pct;
}

void bd_sim_vm_truth(const struct bd_sim *sim, size_t i, struct bd_sim_vm_truth *out) {
        const struct sim_vm *v = &sim->vms[i];

        memset(out, 0, sizeof(*out));
        out->demand_kib = v->spec.state == BD_RUN_SHUTOFF ? 0 : v->anon_kib + v->swapped_kib + v->shortfall_kib;
        out->resident_kib = resident_kib(v);
        out->swapped_kib = v->swapped_kib;
        out->target_kib = v->target_kib;
        out->oom_events = v->oom_events;
        out->shortfall_kib = v->shortfall_kib;
        out->host_swapped_kib = v->host_swapped_kib;
}

void bd_sim_host_truth(const struct bd_sim *sim, struct bd_sim_host_truth *out) {
        out->resident_kib = sim->resident_kib;
        out->overcommit_usec = sim->overcommit_usec;
        out->elapsed_usec = sim->t_sec * USEC_PER_SEC;
        out->over_kib = sim->over_kib;
        out->over_peak_kib = sim->over_peak_kib;
        out->over_kib_sec = sim->over_kib_sec;
        out->job_kib = sim->job_kib;
}

int bd_sim_set_target(struct bd_sim *sim, size_t i, uint64_t target_kib) {
        struct sim_vm *v;

        if (i >= sim->n)
                return -ENOENT;
        v = &sim->vms[i];
        if (v->spec.flags & BD_VM_NO_BALLOON)
                return -EOPNOTSUPP;
        if (v->spec.state != BD_RUN_RUNNING)
                return -ESTALE;
        if (target_kib == 0 || target_kib > v->spec.max_kib)
                return -EINVAL;
        v->target_kib = target_kib;
        return 0;
}

/* ---- the built-in host ------------------------------------------------------ */

int bd_sim_new_builtin(struct bd_sim **out) {
        static const struct bd_sim_host_spec host = { .ram_kib = 16 * GIB, .host_use_kib = GIB };
        struct bd_sim_vm_spec vms[7];

        memset(vms, 0, sizeof(vms));
        for (size_t i = 0; i < 7; i++) {
                vms[i].state = BD_RUN_RUNNING;
                vms[i].stats_freeze_sec = -1;
                vms[i].demand.kind = BD_SIM_CONST;
                snprintf(vms[i].uuid, sizeof(vms[i].uuid), "5eed0000-0000-4000-8000-00000000000%zu", i + 1);
        }
        snprintf(vms[0].name, BD_NAME_MAX, "web1");
        vms[0].max_kib = 4 * GIB;
        vms[0].demand.base_kib = GIB;

        snprintf(vms[1].name, BD_NAME_MAX, "web2");
        vms[1].max_kib = 4 * GIB;
        vms[1].start_kib = 2 * GIB;
        vms[1].demand.kind = BD_SIM_STEPS;
        vms[1].demand.base_kib = 1946 * MIB;
        /* Rising by 128 MiB every 10 s from 2 min to 2.6 GiB, and again from
         * 10 min to 3 GiB. */
        {
                static struct bd_sim_step ramp[] = {
                        { 120, 2074 * MIB }, { 130, 2202 * MIB }, { 140, 2330 * MIB }, { 150, 2458 * MIB },
                        { 160, 2586 * MIB }, { 170, 2662 * MIB }, { 600, 2790 * MIB }, { 610, 2918 * MIB },
                        { 620, 3046 * MIB }, { 630, 3072 * MIB },
                };

                vms[1].demand.n_steps = sizeof(ramp) / sizeof(ramp[0]);
                vms[1].demand.steps = ramp;
        }

        snprintf(vms[2].name, BD_NAME_MAX, "db1");
        snprintf(vms[2].class_tag, BD_CLASS_MAX, "database");
        vms[2].max_kib = 4 * GIB;
        vms[2].demand.base_kib = 3 * GIB;

        snprintf(vms[3].name, BD_NAME_MAX, "batch1");
        vms[3].max_kib = 3 * GIB;
        vms[3].swap_kib = GIB;
        vms[3].demand.kind = BD_SIM_PERIODIC;
        vms[3].demand.base_kib = 512 * MIB;
        vms[3].demand.amp_kib = 2 * GIB;
        vms[3].demand.period_sec = 600;

        snprintf(vms[4].name, BD_NAME_MAX, "legacy1");
        vms[4].max_kib = 2 * GIB;
        vms[4].flags = BD_VM_NO_BALLOON;
        vms[4].demand.base_kib = 1536 * MIB;

        snprintf(vms[5].name, BD_NAME_MAX, "paused1");
        vms[5].max_kib = 2 * GIB;
        vms[5].state = BD_RUN_PAUSED;
        vms[5].demand.base_kib = GIB;

        snprintf(vms[6].name, BD_NAME_MAX, "frozen1");
        vms[6].max_kib = 2 * GIB;
        vms[6].stats_freeze_sec = 0;
        vms[6].demand.base_kib = GIB;

        return bd_sim_new(&host, vms, 7, out);
}
