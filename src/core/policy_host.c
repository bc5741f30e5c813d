/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Phase 1 of the policy: the host as it is, and the budget of this cycle's
 * grants.
 *
 * Free memory is the tighter of two constraints, each as a share of its base:
 * RAM (MemAvailable - reserve, of MemTotal less the hugetlb pools and
 * host.unavailable_mib: memory no balloon can take or give) and the VM budget
 * (budget - the VMs' sizes, of the budget; VMs past the budget count as a
 * shortfall, so the goal grows with how far past it they are). The share
 * falls in a band, with hysteresis; the VMs' cgroup PSI may make it one step
 * worse, never alone.
 *
 * Grants of this cycle may use what each constraint has above its critical
 * line, less grows decided earlier that the balloons have not made yet and
 * (RAM's line and the relaxed room) grows made that the guests have not
 * touched yet; emergencies (a guest up to its floor) may use physical RAM
 * down to the host's reserve, less the grows on their way.
 * Reclaim counts only once the balloons made it: MemAvailable (read after the
 * balloons were sampled) and the VMs' sizes hold it then; a shrink merely
 * decided funds nothing. */
#include <math.h>
#include <string.h>

#include "balloond/core/ledger.h"
#include "balloond/core/units.h"
#include "policy_phases.h"

struct constraint {
        uint64_t free_kib;
        uint64_t base_kib;
        uint64_t over_kib; /* how far past the line the VMs already are (budget) */
};

static double constraint_pct(const struct constraint *c) {
        return c->base_kib ? 100.0 * (double)c->free_kib / (double)c->base_kib : 0.0;
}

static bool holds_memory(enum bd_run_state s) {
        return s != BD_RUN_SHUTOFF;
}

/* How far a constraint's free memory is short of the goal (> 0), just past
 * the pressure edge plus the hysteresis where the band is left (rounded up),
 * or past it (< 0), within +-INT64_MAX. */
static int64_t shortfall_kib(const struct bd_config *cfg, const struct constraint *c) {
        uint64_t goal = add_sat(add_sat(pct_of(cfg->pressure_free_pct + cfg->hysteresis_pct, c->base_kib), 1),
                                c->over_kib);

        if (goal >= c->free_kib)
                return (int64_t)min_u64(goal - c->free_kib, INT64_MAX);
        return -(int64_t)min_u64(c->free_kib - goal, INT64_MAX);
}

/* Free memory above the critical line. */
static uint64_t headroom_kib(const struct bd_config *cfg, const struct constraint *c) {
        return sub_sat(c->free_kib, pct_of(cfg->critical_free_pct, c->base_kib));
}

enum bd_band bd_phase_psi_band(const struct bd_config *cfg, enum bd_band band, const struct bd_host_sample *host,
                               bool *escalated) {
        *escalated = false;
        if (!host->psi_valid || host->psi_full_avg10_pct < cfg->psi_critical_pct || band == BD_BAND_RELAXED ||
            band == BD_BAND_CRITICAL)
                return band;
        *escalated = true;
        return band + 1;
}

/* Would classify call this balloon stuck (no step toward its target for
 * stuck_after)? Its target is then not on its way. */
static bool not_moving(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t actual,
                       uint64_t now_usec) {
        if (h->stuck)
                return true;
        if (add_sat(dist_u64(actual, h->target_kib), KIB_PER_MIB) <= h->best_distance_kib)
                return false;
        return h->progress_usec && now_usec - h->progress_usec >= cfg->stuck_after_usec;
}

/* Balloons on their way: grows decided earlier not made yet (PENDING), and
 * shrinks decided earlier not made yet (IN_FLIGHT, and the host memory they
 * are expected to return: IN_FLIGHT_GAIN); OBSERVED: what balloons asked to
 * shrink gave since the previous cycle. */
static void balloons_moving(const struct bd_config *cfg, const struct bd_vm_sample *samples,
                            const struct bd_vm_history *history, size_t n, uint64_t now_usec, uint64_t *pending,
                            uint64_t *in_flight, uint64_t *in_flight_gain, uint64_t *observed) {
        *pending = *in_flight = *in_flight_gain = *observed = 0;
        for (size_t i = 0; i < n; i++) {
                const struct bd_vm_history *h = &history[i];
                uint64_t actual = samples[i].actual_kib;

                if (!holds_memory(samples[i].state) || actual == BD_KIB_UNKNOWN || !h->seen)
                        continue;
                if (h->target_kib && h->prev_actual_kib && h->target_kib < h->prev_actual_kib)
                        *observed = add_sat(*observed, sub_sat(h->prev_actual_kib, actual));
                if (!h->target_kib || not_moving(cfg, h, actual, now_usec))
                        continue;
                if (h->target_kib > actual)
                        *pending = add_sat(*pending, h->target_kib - actual);
                else {
                        *in_flight = add_sat(*in_flight, actual - h->target_kib);
                        *in_flight_gain = add_sat(*in_flight_gain,
                                                  u64_of((double)(actual - h->target_kib) *
                                                         bd_ledger_gain(&samples[i], h)));
                }
        }
}

/* Memory S's balloon gave its guest that the guest has not touched yet
 * (H: the history before this cycle). A grow the balloon made is not used
 * on the host until the guest touches it: MemAvailable still counts it as
 * free, and the next cycle would hand it out again (a deflated leaker, or a
 * guest's granted margin, filled later: the host past its RAM). So every
 * growth of the balloon since the previous cycle is added (balloond's grows,
 * relaxed deflation, anyone's), every shrink taken off, and the sum is
 * bounded by what the guest can have free now: MemFree of its report (page
 * cache is in the host's resident memory) plus what the balloon grew since
 * that report was made. Once touched it is in the host's own figures, and it
 * is not counted again. A guest without a sane report keeps its sum. */
uint64_t bd_phase_untouched(const struct bd_config *cfg, const struct bd_vm_sample *s,
                            const struct bd_vm_history *h) {
        uint64_t given = h->untouched_kib, actual = s->actual_kib, lo, hi;

        if (!holds_memory(s->state) || !h->seen)
                return 0;
        if (actual == BD_KIB_UNKNOWN || actual == 0 || !h->prev_actual_kib)
                return given;
        if (actual > h->prev_actual_kib)
                given = add_sat(given, actual - h->prev_actual_kib);
        else
                given = sub_sat(given, h->prev_actual_kib - actual);
        if (s->unused_kib != BD_KIB_UNKNOWN && !bd_policy_stats_insane(s, h)) {
                bd_phase_report_sizes(cfg, s, h, &lo, &hi);
                given = min_u64(given, add_sat(s->unused_kib, sub_sat(actual, lo)));
        }
        return given;
}

static void constraints(const struct bd_config *cfg, const struct bd_host_sample *host, uint64_t vm_total_kib,
                        struct constraint *ram, struct constraint *budget) {
        memset(ram, 0, sizeof(*ram));
        memset(budget, 0, sizeof(*budget));
        ram->base_kib = sub_sat(sub_sat(host->mem_total_kib, host->hugetlb_kib), cfg->unavailable_kib);
        ram->free_kib = min_u64(sub_sat(host->mem_available_kib, cfg->host_reserve_kib), ram->base_kib);
        budget->base_kib = cfg->vm_budget_kib;
        budget->free_kib = sub_sat(cfg->vm_budget_kib, vm_total_kib);
        budget->over_kib = cfg->vm_budget_kib ? sub_sat(vm_total_kib, cfg->vm_budget_kib) : 0;
}

static void binding(struct bd_host_view *view, const struct constraint *ram, const struct constraint *budget) {
        view->free_kib = ram->free_kib;
        view->base_kib = ram->base_kib;
        view->free_pct = constraint_pct(ram);
        if (budget->base_kib && constraint_pct(budget) < view->free_pct) {
                view->free_kib = budget->free_kib;
                view->base_kib = budget->base_kib;
                view->free_pct = constraint_pct(budget);
                view->budget_binds = true;
        }
}

/* A host that stays out of RAM although every donor gave all it had above
 * its floor swaps its guests' memory, page cache and all, every second it
 * stays there; the guests' margins hold mostly page cache, which a balloon
 * takes for nothing. So after SQUEEZE_AFTER cycles in a row out of RAM (the
 * donors' balloons have had their seconds), each further one takes another
 * SQUEEZE_STEP of every guest's margin above guest.margin_min_mib; the
 * margins come back by RELEASE_STEP a cycle once the host is out of the
 * pressure band (held while in it: given back at once, the margins would
 * take the host out of RAM again). The learned burst room, a margin for
 * a burst to come, gives way by the same part (policy_classify.c). The
 * floors stay what keeps each guest alive now: used memory and at least
 * margin_min. */
#define SQUEEZE_AFTER 3
#define SQUEEZE_STEP 0.25
#define RELEASE_STEP 0.125

static void margins_give_way(struct bd_host_state *st, bool out_of_ram, enum bd_band band) {
        if (out_of_ram) {
                if (++st->out_of_ram_cycles > SQUEEZE_AFTER)
                        st->margin_squeeze = fmin(1.0, st->margin_squeeze + SQUEEZE_STEP);
                return;
        }
        st->out_of_ram_cycles = 0;
        if (band < BD_BAND_PRESSURE)
                st->margin_squeeze = fmax(0.0, st->margin_squeeze - RELEASE_STEP);
}

void bd_phase_host(const struct bd_config *cfg, const struct bd_host_sample *host,
                   const struct bd_vm_sample *samples, const struct bd_vm_history *history, size_t n,
                   uint64_t now_usec, struct bd_host_state *host_state, struct bd_host_view *view,
                   struct bd_budget *budget) {
        struct constraint ram, vmb;
        uint64_t vm_total = 0, pending, in_flight, in_flight_gain, observed, untouched = 0;
        int64_t goal, g;

        memset(view, 0, sizeof(*view));
        memset(budget, 0, sizeof(*budget));
        for (size_t i = 0; i < n; i++) {
                if (holds_memory(samples[i].state) && samples[i].actual_kib != BD_KIB_UNKNOWN)
                        vm_total = add_sat(vm_total, samples[i].actual_kib);
                untouched = add_sat(untouched, bd_phase_untouched(cfg, &samples[i], &history[i]));
        }
        constraints(cfg, host, vm_total, &ram, &vmb);
        balloons_moving(cfg, samples, history, n, now_usec, &pending, &in_flight, &in_flight_gain, &observed);
        view->vm_total_kib = vm_total;
        view->hugetlb_kib = host->hugetlb_kib;
        binding(view, &ram, &vmb);
        view->band = bd_policy_band(cfg, view->free_pct, host_state->band, host_state->seen);
        view->band = bd_phase_psi_band(cfg, view->band, host, &view->psi_escalated);
        host_state->band = view->band;
        host_state->seen = true;
        budget->critical = view->band == BD_BAND_CRITICAL;
        budget->out_of_ram = host->mem_available_kib < BD_OUT_OF_RAM_KIB;
        margins_give_way(host_state, budget->out_of_ram, view->band);
        budget->margin_pct = cfg->margin_pct * (1.0 - host_state->margin_squeeze);
        budget->margin_squeeze = host_state->margin_squeeze;
        view->margin_squeeze_pct = 100.0 * host_state->margin_squeeze;

        goal = shortfall_kib(cfg, &ram);
        budget->ram_driven = true;
        if (vmb.base_kib && (g = shortfall_kib(cfg, &vmb)) > goal) {
                goal = g;
                budget->ram_driven = false; /* the budget counts balloon sizes */
        }
        /* RAM's lines: less the grows on their way and those made that
         * their guests have not touched yet (the VM budget counts sizes). */
        budget->room_kib = goal < 0 ? sub_sat(sub_sat((uint64_t)-goal, pending), untouched) : 0;
        if (view->band < BD_BAND_PRESSURE)
                goal = 0;
        else if (goal <= 0)
                goal = (int64_t)cfg->host_shrink_cap_kib; /* PSI says so: one cap's worth */
        budget->goal_kib = goal;
        budget->in_flight_kib = in_flight;
        /* RAM's goal is met by host memory: shrinks on their way count for
         * what they are expected to return, not for their size. */
        budget->need_kib = goal > 0 ? sub_sat((uint64_t)goal, budget->ram_driven ? in_flight_gain : in_flight) : 0;
        budget->cap_left_kib = cfg->host_shrink_cap_kib;
        budget->ram_kib = sub_sat(sub_sat(headroom_kib(cfg, &ram), pending), untouched);
        budget->ram_hard_kib = sub_sat(ram.free_kib, pending);
        budget->ram_last_kib = min_u64(observed, sub_sat(min_u64(host->mem_available_kib, ram.base_kib), pending));
        budget->ram_rescue_kib = sub_sat(
                sub_sat(min_u64(host->mem_available_kib, ram.base_kib),
                        sub_sat(cfg->host_reserve_kib, pct_of(cfg->host_reserve_rescue_pct, cfg->host_reserve_kib))),
                pending);
        budget->vm_kib = vmb.base_kib ? sub_sat(headroom_kib(cfg, &vmb), pending) : UINT64_MAX;

        view->reclaim_goal_kib = goal;
        view->ram_headroom_kib = budget->ram_kib;
        view->ram_hard_kib = budget->ram_hard_kib;
        view->ram_rescue_kib = budget->ram_rescue_kib;
        view->budget_headroom_kib = budget->vm_kib;
        view->pending_grow_kib = pending;
        view->untouched_kib = untouched;
        view->observed_reclaim_kib = observed;
        view->ram_driven = budget->ram_driven;
        view->in_flight_kib = in_flight;
        view->in_flight_gain_kib = in_flight_gain;
}

void bd_host_headroom(const struct bd_config *cfg, const struct bd_host_sample *host, uint64_t vm_total_kib,
                      uint64_t *ram_kib, uint64_t *vm_kib) {
        struct constraint ram, vmb;

        constraints(cfg, host, vm_total_kib, &ram, &vmb);
        *ram_kib = headroom_kib(cfg, &ram);
        *vm_kib = vmb.base_kib ? headroom_kib(cfg, &vmb) : UINT64_MAX;
}
