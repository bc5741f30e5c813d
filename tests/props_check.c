/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The promises of docs/POLICY.md and docs/GUEST-SAFETY.md checked on every
 * decision of every cycle of the policy property tests, by group: the host
 * view, the host's figures, per VM (basic sanity; excluded, blind, stuck; an
 * OK VM's floor, ask, bounds and rates), the host budget and the host-wide
 * totals. See props_check.h. */
#include <inttypes.h>
#include <math.h>

#include "props_check.h"
#include "props_oracle.h"

const char *const cover_names[C__COUNT] = { "ok", "ok-hostile", "ok-huge", "excluded", "blind", "stuck",
                                           "host_pressure", "host_critical", "above_max", "host_relaxed",
                                           "guest-grow", "blind_deflate", "host_cap", "funded-shrink", "unmet",
                                           "budget-crossed" };
unsigned long g_cover[C__COUNT];

static void fail_here(int bad) {
        if (bad == 0)
                return;
        print_error("%d broken promise(s) at %s; replay with BALLOOND_PROP_SEED=0x%016" PRIx64 "\n", bad,
                    g_where, g_seed);
        fail();
}

#define BROKEN(...)                                                                                          \
        do {                                                                                                 \
                print_error("%s: vm %zu %s (%s): ", g_where, i, s->name, kind_names[w->vm[i].kind]);         \
                print_error(__VA_ARGS__);                                                                    \
                print_error(" [%s/%s/%s actual %" PRIu64 " target %" PRIu64 " floor %" PRIu64 " max %" PRIu64 \
                            " KiB; sample max %" PRIu64 " usable %" PRIu64 " band %s]\n",                   \
                            bd_action_to_string(d->action), bd_reason_to_string(d->reason),                  \
                            bd_status_to_string(d->status), d->actual_kib, d->target_kib, d->floor_kib,       \
                            d->max_kib, s->max_kib, s->usable_kib, bd_band_to_string(v->band));              \
                bad++;                                                                                       \
        } while (0)

/* What the decisions of one cycle add up to. */
struct sums {
        unsigned __int128 shrink, grow, relaxed_grow, above_floor;
        unsigned __int128 running_out; /* grown guests about to run out (under half their margin free) */
        bool funding; /* a guest's grow or unmet ask, which reclaim outside pressure may pay for */
};

/* The host view: the band from free memory and PSI. */
static int check_host_view(const struct world *w) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        int bad = 0;

        if (!isfinite(v->free_pct) || v->free_pct < 0.0 || (unsigned)v->band > BD_BAND_CRITICAL) {
                print_error("%s: host view free_pct %g band %d\n", g_where, v->free_pct, (int)v->band);
                bad++;
        }
        /* PSI makes the band one step worse, never alone: a host with
         * plenty free (relaxed past the hysteresis) stays relaxed. */
        if (w->host.psi_valid && w->host.psi_full_avg10_pct >= c->psi_critical_pct && v->band == BD_BAND_NORMAL) {
                print_error("%s: PSI %g >= %g but band %s\n", g_where, w->host.psi_full_avg10_pct, c->psi_critical_pct,
                            bd_band_to_string(v->band));
                bad++;
        }
        if (v->free_pct >= c->relaxed_free_pct + c->hysteresis_pct && v->band != BD_BAND_RELAXED) {
                print_error("%s: free %g %% is relaxed past the hysteresis, band %s (PSI %g)\n", g_where, v->free_pct,
                            bd_band_to_string(v->band), w->host.psi_full_avg10_pct);
                bad++;
        }
        if (v->free_pct < c->critical_free_pct && v->band != BD_BAND_CRITICAL) {
                print_error("%s: free %g %% below critical, band %s\n", g_where, v->free_pct,
                            bd_band_to_string(v->band));
                bad++;
        }
        return bad;
}

/* The host's figures, with hostile numbers too: the VMs' total
 * saturates, free memory is that of the binding constraint. */
static int check_host_figures(const struct world *w) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        uint64_t total = 0, ram_base = sub_sat(sub_sat(w->host.mem_total_kib, w->host.hugetlb_kib),
                                               c->unavailable_kib);
        uint64_t ram_free = min_u64(sub_sat(w->host.mem_available_kib, c->host_reserve_kib), ram_base);
        int bad = 0;

        for (size_t i = 0; i < w->n; i++)
                if (w->s[i].state != BD_RUN_SHUTOFF && w->s[i].actual_kib != BD_KIB_UNKNOWN)
                        total = add_sat(total, w->s[i].actual_kib);
        if (v->vm_total_kib != total) {
                print_error("%s: VMs' total %" PRIu64 " KiB, expected %" PRIu64 "\n", g_where, v->vm_total_kib,
                            total);
                bad++;
        }
        if (v->budget_binds ? !c->vm_budget_kib || v->free_kib != sub_sat(c->vm_budget_kib, total) ||
                                      v->base_kib != c->vm_budget_kib
                            : v->free_kib != ram_free || v->base_kib != ram_base) {
                print_error("%s: host free %" PRIu64 " of %" PRIu64 " KiB (budget binds %d) is not the binding "
                            "constraint's\n", g_where, v->free_kib, v->base_kib, v->budget_binds);
                bad++;
        }
        if (c->vm_budget_kib && !v->budget_binds &&
            (double)sub_sat(c->vm_budget_kib, total) / (double)c->vm_budget_kib <
                    (ram_base ? (double)ram_free / (double)ram_base : 0.0)) {
                print_error("%s: the budget is tighter than RAM but does not bind\n", g_where);
                bad++;
        }
        return bad;
}

/* Per VM, whatever its status: the decision consistent with itself and the
 * sample, never above the domain's maximum; adds its change (*DELTA) to the
 * sums. *STOP when its enums are out of range (nothing else to check). */
static int check_vm_sanity(const struct world *w, size_t i, struct sums *t, uint64_t *delta, bool *stop) {
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_decision *d = &w->d[i];
        int bad = 0;

        if ((unsigned)d->reason >= BD_REASON__COUNT || (unsigned)d->status > BD_STATUS_STUCK ||
            (unsigned)d->action > BD_ACTION_GROW) {
                BROKEN("enum out of range");
                *stop = true;
                return bad;
        }
        if (!isfinite(d->weight) || d->weight < 0.0)
                BROKEN("weight %g", d->weight);
        if (d->actual_kib != s->actual_kib)
                BROKEN("actual is not the sample's");
        if (d->action == BD_ACTION_NONE && d->target_kib != d->actual_kib)
                BROKEN("no action, yet target != actual");
        if (d->action == BD_ACTION_SHRINK && d->target_kib >= d->actual_kib)
                BROKEN("shrink to a target not below actual");
        if (d->action == BD_ACTION_GROW && d->target_kib <= d->actual_kib)
                BROKEN("grow to a target not above actual");
        /* Never growth beyond the maximum (the domain's, or a rule's). */
        if (d->action != BD_ACTION_NONE && (s->max_kib == BD_KIB_UNKNOWN || d->target_kib > s->max_kib))
                BROKEN("target above the domain's maximum");
        *delta = d->target_kib > d->actual_kib ? d->target_kib - d->actual_kib : d->actual_kib - d->target_kib;
        if (d->action == BD_ACTION_SHRINK)
                t->shrink += *delta;
        else if (d->action == BD_ACTION_GROW)
                t->grow += *delta;
        /* What a grow gave past the VM's floor (a blind VM has none). */
        if (d->action == BD_ACTION_GROW)
                t->above_floor += d->target_kib -
                                  max_u64(d->actual_kib, d->status == BD_STATUS_OK || d->reason == BD_REASON_GIVE_BACK
                                                                 ? min_u64(max_u64(d->floor_grow_kib, d->swap_need_kib),
                                                                           d->target_kib)
                                                                 : 0);
        return bad;
}

/* What VM I's decision covered. */
static void cover_vm(const struct world *w, size_t i) {
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_decision *d = &w->d[i];

        g_cover[C_EXCLUDED] += d->status == BD_STATUS_EXCLUDED;
        g_cover[C_BLIND] += d->status == BD_STATUS_BLIND;
        g_cover[C_STUCK] += d->status == BD_STATUS_STUCK;
        g_cover[C_OK] += d->status == BD_STATUS_OK;
        g_cover[C_OK_HOSTILE] += d->status == BD_STATUS_OK &&
                                 (w->vm[i].kind == K_HOSTILE || w->vm[i].kind == K_LIBVIRT);
        g_cover[C_OK_HUGE] += d->status == BD_STATUS_OK && s->actual_kib >= (1ULL << 40);
        g_cover[C_PRESSURE] += d->reason == BD_REASON_HOST_PRESSURE;
        g_cover[C_CRITICAL] += d->reason == BD_REASON_HOST_CRITICAL;
        g_cover[C_ABOVE_MAX] += d->reason == BD_REASON_ABOVE_MAX;
        g_cover[C_RELAXED] += d->reason == BD_REASON_HOST_RELAXED;
        g_cover[C_GUEST_GROW] += d->action == BD_ACTION_GROW && guest_grow_reason(d->reason);
        g_cover[C_BLIND_DEFLATE] += d->reason == BD_REASON_BLIND_DEFLATE;
        g_cover[C_HOST_CAP] += d->reason == BD_REASON_HOST_CAP;
        g_cover[C_FUNDED] += d->action == BD_ACTION_SHRINK && v->band < BD_BAND_PRESSURE;
}

/* Excluded, blind and stuck VMs: excluded and blind by the documented rules,
 * excluded and stuck ones untouched, blind ones never shrunk and grown only
 * by blind_deflate. *DONE unless the OK VM's promises apply. */
static int check_vm_status(const struct world *w, size_t i, const struct bd_vm_settings *set, uint64_t delta,
                           struct sums *t, bool *done) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_vm_history *h = &w->before[i];
        const struct bd_decision *d = &w->d[i];
        bool excl, blind, certain;
        int bad = 0;

        *done = true;
        excl = excluded_by_doc(s, h, set);
        if (excl != (d->status == BD_STATUS_EXCLUDED))
                BROKEN("excluded by the documented rules: %d, status %s", excl, bd_status_to_string(d->status));
        if (excl) {
                /* Only memory balloond took given back (a host device plugged in). */
                if (d->action != BD_ACTION_NONE &&
                    (d->action != BD_ACTION_GROW || d->reason != BD_REASON_GIVE_BACK || !h->taken_kib))
                        BROKEN("an excluded VM changed");
                return bad;
        }
        blind = blind_by_doc(c, s, h, w->wall, &certain);
        if (certain && blind != (d->status == BD_STATUS_BLIND))
                BROKEN("blind by the documented rules: %d, status %s", blind, bd_status_to_string(d->status));
        if (d->status == BD_STATUS_BLIND) {
                if (d->action == BD_ACTION_SHRINK)
                        BROKEN("a blind VM shrunk");
                if (d->action == BD_ACTION_GROW && d->reason == BD_REASON_GIVE_BACK) {
                        /* What balloond took back, or (reports stopped or impossible)
                         * all its balloon holds below its entitlement. */
                        uint64_t owed = h->taken_kib;

                        if (d->status_reason == BD_REASON_STATS_STALE || d->status_reason == BD_REASON_STATS_INVALID)
                                owed = max_u64(owed, sub_sat(bd_policy_entitled_kib(s), s->actual_kib));
                        if (delta > owed)
                                BROKEN("a blind VM given back more than it is owed");
                } else if (d->action == BD_ACTION_GROW) {
                        if (d->reason != BD_REASON_BLIND_DEFLATE || c->blind_action != BD_BLIND_DEFLATE ||
                            v->band >= BD_BAND_PRESSURE)
                                BROKEN("a blind VM grew other than by blind_deflate outside pressure");
                        /* A grow from an unknown size may be a shrink in truth. */
                        if (s->actual_kib == 0 || s->actual_kib == BD_KIB_UNKNOWN)
                                BROKEN("blind_deflate from an unknown balloon size");
                        t->relaxed_grow += delta;
                }
                return bad;
        }
        if (d->status == BD_STATUS_STUCK) {
                if (d->action != BD_ACTION_NONE)
                        BROKEN("a stuck VM changed");
                return bad;
        }
        *done = false;
        return bad;
}

/* The floor that bounds D's shrinks this cycle: without its burst room
 * while it lends it, its use and half its plain margin while it shares its
 * margin with a guest out of memory (policy_donors.c). */
static uint64_t floor_in_force(const struct bd_decision *d, const struct ok_oracle *o) {
        if (d->shares_margin)
                return o->share_floor;
        return d->lends_burst ? o->lend_floor : o->floor;
}

/* An OK VM's figures: used, margin, floors, effective maximum, signals. */
static int check_ok_figures(const struct world *w, size_t i, const struct ok_oracle *o) {
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_decision *d = &w->d[i];
        int bad = 0;

        if (d->used_kib != o->used || d->margin_kib != o->margin)
                BROKEN("used %" PRIu64 " margin %" PRIu64 " are not those at the report's size (%" PRIu64
                       ", %" PRIu64 ")",
                       d->used_kib, d->margin_kib, o->used, o->margin);
        /* A VM lending its burst margin to a guest out of memory has the
         * floor without it this cycle (policy_donors.c). */
        if (d->lends_burst && !d->shares_margin &&
            (!w->view.lend_burst || d->floor_kib != o->lend_floor || o->lend_floor >= o->floor))
                BROKEN("lends its burst margin (floor %" PRIu64 ", without it %" PRIu64 ") while no guest needs it",
                       d->floor_kib, o->lend_floor);
        if (d->shares_margin && (!w->view.share_margin || o->share_floor >= o->floor ||
                                 d->lends_burst != (o->burst > 0)))
                BROKEN("shares its margin (floor %" PRIu64 ", shared %" PRIu64 ") while no guest needs it",
                       d->floor_kib, o->share_floor);
        if (d->floor_kib != floor_in_force(d, o) || d->floor_grow_kib != o->floor_grow)
                BROKEN("floors %" PRIu64 " / %" PRIu64 " are not min(max(min, used + margin), max) = %"
                       PRIu64 " / %" PRIu64, d->floor_kib, d->floor_grow_kib, o->floor, o->floor_grow);
        if (d->max_kib != o->eff_max)
                BROKEN("effective maximum is not %" PRIu64, o->eff_max);
        if (d->guest_pressure != o->pressure || d->swapping_out != o->g.swap_out)
                BROKEN("guest pressure %d / swap-out %d, documented signals say %d / %d",
                       d->guest_pressure, d->swapping_out, o->pressure, o->g.swap_out);
        return bad;
}

/* A guest in need asks, once per report: up to its floor, and (not when
 * critical) to used + 2 x margin (on swap-in or faults at least
 * swap_in_grow more), at most its maximum. Granted + unmet is that ask. */
/* GUEST-SAFETY.md: a guest out of memory asks for what it pushed out to swap
 * since its last report (on the first report: swapped out less swapped in)
 * more, plus the margin of its use with that counted (granted like its
 * floor, swap_need_kib, but for a first report's); still out of memory in a report made at the size a
 * grow for its pressure aimed at, within two cycles and a report period of
 * that grow, for twice that grow more. */
static uint64_t swap_need_by_doc(const struct bd_config *c, double margin_pct, const struct bd_vm_sample *s,
                                 const struct bd_vm_history *h, const struct signals *g, uint64_t used_lo,
                                 bool incomplete) {
        uint64_t swapped = g->swapped_out, m;

        if (!h->seen && s->swap_out_kib != BD_COUNT_UNKNOWN)
                swapped = sub_sat(s->swap_out_kib, s->swap_in_kib != BD_COUNT_UNKNOWN ? s->swap_in_kib : 0);
        if (!swapped)
                return 0;
        m = max_u64(pct(margin_pct, add_sat(used_lo, swapped)), c->margin_min_kib);
        return add_sat(add_sat(s->actual_kib, swapped), incomplete ? add_sat(m, m) : m);
}

static uint64_t emergency_by_doc(const struct bd_config *c, const struct bd_vm_sample *s,
                                 const struct bd_vm_history *h, const struct signals *g, uint64_t swap_need,
                                 uint64_t now) {
        uint64_t period = (uint64_t)(s->stats_period_sec > 0 ? s->stats_period_sec : c->stats_period_sec);
        uint64_t want = swap_need;

        if (h->pressure_grant_kib && h->last_grow_for_pressure_usec && now >= h->last_grow_for_pressure_usec &&
            now - h->last_grow_for_pressure_usec <= 2 * c->interval_usec + period * SEC && g->lo >= h->pressure_target_kib)
                want = max_u64(want, add_sat(s->actual_kib, add_sat(h->pressure_grant_kib, h->pressure_grant_kib)));
        return want;
}

static int check_ok_ask(const struct world *w, size_t i, const struct ok_oracle *o) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_vm_history *h = &w->before[i];
        const struct bd_decision *d = &w->d[i];
        struct bd_vm_sample eff;
        bool incomplete;
        int bad = 0;

        if (d->burst_kib > d->burst_learned_kib || d->burst_learned_kib > c->burst_max_kib)
                BROKEN("learned burst margin above guest.burst_max_mib");
        /* The margins give way to a host out of RAM, never past margin_min
         * (margin_pct scaled, 0..100 % of the way). */
        if (!(v->margin_squeeze_pct >= 0.0 && v->margin_squeeze_pct <= 100.0) ||
            fabs(d->margin_pct - c->margin_pct * (1.0 - v->margin_squeeze_pct / 100.0)) > 1e-9)
                BROKEN("margin_pct %g is not guest.margin_pct less the squeeze %g %%", d->margin_pct,
                       v->margin_squeeze_pct);
        if (o->pressure || add_sat(s->actual_kib, MIB) < o->floor_ask) { /* within 1 MiB of it: there */
                uint64_t want = v->band == BD_BAND_CRITICAL ? o->plain_floor : o->floor_grow;
                bool again = !c->check_stats_age || s->last_update_sec != h->grow_report_sec;

                /* used + 2 x margin summed with saturation, then at most
                 * the maximum: the order GUEST-SAFETY.md gives (absurd
                 * sizes near 2^64 ask for the maximum, never a wrapped figure). */
                uint64_t plain_margin = o->plain_margin_lo;

                if (o->pressure && v->band != BD_BAND_CRITICAL)
                        want = max_u64(want, add_sat(add_sat(o->used_lo, plain_margin), plain_margin));
                if ((o->g.swap_in || o->g.fault_burst) && v->band != BD_BAND_CRITICAL)
                        want = max_u64(want, add_sat(s->actual_kib, c->swap_in_grow_kib));
                /* Out of memory (under half its margin free): room for a burst like its last. */
                if (o->low_free && judged_on(s, &eff, &incomplete)->usable_kib < plain_margin / 2 &&
                    v->band != BD_BAND_CRITICAL) {
                        uint64_t need = min_u64(swap_need_by_doc(c, d->margin_pct, s, h, &o->g, o->used_lo, incomplete),
                                                o->eff_max);

                        if (d->swap_need_kib != (h->seen ? need : 0))
                                BROKEN("swap need %" PRIu64 ", documented %" PRIu64, d->swap_need_kib, need);
                        want = max_u64(want, add_sat(s->actual_kib, d->burst_learned_kib));
                        want = max_u64(want, emergency_by_doc(c, s, h, &o->g, need, w->now));
                }
                want = min_u64(want, o->eff_max);
                if (want > s->actual_kib && (again || !o->pressure)) {
                        uint64_t got = d->action == BD_ACTION_GROW ? d->target_kib - s->actual_kib : 0;

                        if (d->want_kib != want || got + d->unmet_kib != want - s->actual_kib ||
                            (d->action == BD_ACTION_NONE && d->reason != BD_REASON_NO_HEADROOM) ||
                            d->action == BD_ACTION_SHRINK)
                                BROKEN("a guest in need asked %" PRIu64 " (documented %" PRIu64
                                       "), got %" PRIu64 " + unmet %" PRIu64,
                                       d->want_kib, want, got, d->unmet_kib);
                        g_cover[C_UNMET] += d->unmet_kib > 0;
                } else if (want > s->actual_kib && d->action != BD_ACTION_NONE) {
                        BROKEN("grown twice on one report");
                }
        }
        if (d->action == BD_ACTION_GROW && d->target_kib < o->floor_ask &&
            (!d->unmet_kib || d->refused == BD_LINE_NONE))
                BROKEN("a grow short of the floor with no unmet demand or line that cut it");
        return bad;
}

/* An OK VM's change: within [floor, max], not under the deadband. */
static int check_ok_bounds(const struct world *w, size_t i, const struct ok_oracle *o, uint64_t delta) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_decision *d = &w->d[i];
        int bad = 0;

        if (d->action == BD_ACTION_SHRINK && d->target_kib < floor_in_force(d, o))
                BROKEN("target below the floor %" PRIu64, floor_in_force(d, o));
        if (d->reason == BD_REASON_ABOVE_MAX) {
                if (d->action != BD_ACTION_SHRINK || d->target_kib < o->eff_max)
                        BROKEN("above_max is not a shrink toward the maximum");
        } else if (d->target_kib > o->eff_max) {
                BROKEN("target above the maximum %" PRIu64, o->eff_max);
        }
        if (d->reason != BD_REASON_ABOVE_MAX && !guest_grow_reason(d->reason) &&
            delta < max_u64(c->deadband_kib, pct(c->deadband_pct, s->actual_kib)))
                BROKEN("change of %" PRIu64 " KiB under the deadband", delta);
        return bad;
}

/* An OK VM's shrink: within its rate, never of a guest in need or swapping
 * out, within the cooldown, soon after a pressure grow or twice on one
 * report; reclaim outside pressure only to pay for a guest's grow. With the
 * host out of RAM neither the rate, the cooldown nor the recent grow holds:
 * a shrink for the host goes to the floor at once. */
static int check_ok_shrink(const struct world *w, size_t i, const struct ok_oracle *o, uint64_t delta,
                           bool funding) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_vm_history *h = &w->before[i];
        const struct bd_decision *d = &w->d[i];
        uint64_t limit = d->reason == BD_REASON_HOST_CRITICAL ? add_sat(o->rate, o->rate) : o->rate;
        bool out_of_ram = w->host.mem_available_kib < BD_OUT_OF_RAM_KIB, for_host;
        uint64_t floor;
        int bad = 0;

        for_host = d->reason == BD_REASON_HOST_PRESSURE || d->reason == BD_REASON_HOST_CRITICAL;
        floor = floor_in_force(d, o);
        if (out_of_ram && for_host && d->target_kib != floor)
                BROKEN("out of RAM: a shrink to %" PRIu64 ", not to the floor %" PRIu64, d->target_kib, floor);
        if (delta > limit && !(out_of_ram && for_host))
                BROKEN("shrink of %" PRIu64 " KiB above the rate limit %" PRIu64, delta, limit);
        if (o->pressure)
                BROKEN("a guest under pressure shrunk");
        if (o->g.swap_out)
                BROKEN("a guest swapping out shrunk");
        if (o->cooling && !out_of_ram)
                BROKEN("shrunk within the cooldown");
        if (!out_of_ram && h->last_grow_for_pressure_usec &&
            w->now - h->last_grow_for_pressure_usec < c->grow_hold_usec &&
            d->reason != BD_REASON_ABOVE_MAX)
                BROKEN("shrunk soon after a pressure-driven grow");
        if (c->check_stats_age && h->last_change_usec &&
            s->last_update_sec <= h->change_stats_sec)
                BROKEN("shrunk twice on the same statistics");
        if (d->reason != BD_REASON_HOST_PRESSURE && d->reason != BD_REASON_HOST_CRITICAL &&
            d->reason != BD_REASON_ABOVE_MAX)
                BROKEN("shrink with a grow's reason");
        if ((d->reason == BD_REASON_HOST_PRESSURE || d->reason == BD_REASON_HOST_CRITICAL) &&
            v->band < BD_BAND_PRESSURE && !funding)
                BROKEN("reclaim outside pressure with no guest to pay for");
        if (d->reason == BD_REASON_HOST_CRITICAL && v->band != BD_BAND_CRITICAL)
                BROKEN("host_critical outside the critical band");
        return bad;
}

/* An OK VM's grow: a guest's reason, or relaxed deflation in the relaxed
 * band outside the cooldown. */
static int check_ok_grow(const struct world *w, size_t i, const struct ok_oracle *o, uint64_t delta,
                         struct sums *t) {
        const struct bd_host_view *v = &w->view;
        const struct bd_vm_sample *s = &w->s[i];
        const struct bd_decision *d = &w->d[i];
        struct bd_vm_sample eff;
        bool incomplete;
        int bad = 0;

        if (judged_on(s, &eff, &incomplete)->usable_kib < o->margin / 2)
                t->running_out += delta;
        if (d->reason == BD_REASON_HOST_RELAXED) {
                t->relaxed_grow += delta;
                if (v->band != BD_BAND_RELAXED)
                        BROKEN("host_relaxed grow outside the relaxed band");
                if (o->cooling)
                        BROKEN("host_relaxed grow within the cooldown");
        } else if (!guest_grow_reason(d->reason)) {
                BROKEN("grow with a shrink's reason");
        }
        return bad;
}

/* Every promise for VM I's decision; adds its change to the sums. */
static int check_vm(const struct world *w, size_t i, struct sums *t) {
        struct bd_vm_settings set;
        struct ok_oracle o;
        uint64_t delta = 0;
        bool stop = false;
        int bad;

        bd_config_vm_settings(&w->cfg, &w->s[i], &set);
        bad = check_vm_sanity(w, i, t, &delta, &stop);
        if (stop)
                return bad;
        cover_vm(w, i);
        bad += check_vm_status(w, i, &set, delta, t, &stop);
        if (stop)
                return bad;
        o = ok_oracle_of(w, i, &set);
        bad += check_ok_figures(w, i, &o);
        bad += check_ok_ask(w, i, &o);
        if (w->d[i].action == BD_ACTION_NONE)
                return bad;
        bad += check_ok_bounds(w, i, &o, delta);
        if (w->d[i].action == BD_ACTION_SHRINK)
                bad += check_ok_shrink(w, i, &o, delta, t->funding);
        else
                bad += check_ok_grow(w, i, &o, delta, t);
        return bad;
}

/* The host budget, from the host's own numbers: all grants within what
 * physical RAM has above the host's reserve, and grants past floors within
 * what it has above its critical line, plus the reclaim the balloons were
 * seen to make since the previous cycle; grants to guests about to run out
 * within what it has above the part of the reserve host.reserve_rescue_pct
 * keeps. */
static int check_budget(const struct world *w, const struct sums *t) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        uint64_t base = sub_sat(sub_sat(w->host.mem_total_kib, w->host.hugetlb_kib), c->unavailable_kib);
        uint64_t free = min_u64(sub_sat(w->host.mem_available_kib, c->host_reserve_kib), base);
        uint64_t headroom = sub_sat(free, pct(c->critical_free_pct, base)), observed = 0;
        uint64_t kept = sub_sat(c->host_reserve_kib, pct(c->host_reserve_rescue_pct, c->host_reserve_kib));
        uint64_t rescue = sub_sat(min_u64(w->host.mem_available_kib, base), kept);
        uint64_t total = 0, vm_headroom;
        int bad = 0;

        for (size_t i = 0; i < w->n; i++) {
                const struct bd_vm_history *h = &w->before[i];

                if (w->s[i].state != BD_RUN_SHUTOFF && w->s[i].actual_kib != BD_KIB_UNKNOWN)
                        total = add_sat(total, w->s[i].actual_kib);
                if (h->seen && h->target_kib && h->target_kib < h->prev_actual_kib &&
                    w->s[i].actual_kib != BD_KIB_UNKNOWN)
                        observed = add_sat(observed, sub_sat(h->prev_actual_kib, w->s[i].actual_kib));
        }
        if (t->grow - t->running_out > (unsigned __int128)free + observed ||
            (t->grow > (unsigned __int128)free + observed && t->grow > rescue)) {
                print_error("%s: granted %" PRIu64 " KiB (%" PRIu64 " to guests about to run out), the host has %"
                            PRIu64 " KiB above its reserve, %" PRIu64 " above what the rescue keeps of it, and the "
                            "balloons gave %" PRIu64 " KiB\n", g_where, (uint64_t)t->grow, (uint64_t)t->running_out,
                            free, rescue, observed);
                bad++;
        }
        if (t->above_floor > (unsigned __int128)headroom + observed) {
                print_error("%s: granted %" PRIu64 " KiB past floors, the host has %" PRIu64 " KiB above its "
                            "critical line and the balloons gave %" PRIu64 " KiB\n", g_where,
                            (uint64_t)t->above_floor, headroom, observed);
                bad++;
        }
        vm_headroom = c->vm_budget_kib ? sub_sat(sub_sat(c->vm_budget_kib, total),
                                                 pct(c->critical_free_pct, c->vm_budget_kib))
                                       : UINT64_MAX;
        if (t->grow > vm_headroom && (c->vm_budget_hard || t->grow - v->budget_crossed_kib > vm_headroom)) {
                print_error("%s: granted %" PRIu64 " KiB (%" PRIu64 " as emergencies), the VM budget has %"
                            PRIu64 " KiB\n", g_where, (uint64_t)t->grow, v->budget_crossed_kib, vm_headroom);
                bad++;
        }
        g_cover[C_CROSSED] += v->budget_crossed_kib > 0;
        if (add_sat(v->granted_kib, v->unmet_demand_kib) != v->demand_kib) { /* the totals saturate */
                print_error("%s: demand %" PRIu64 " is not granted %" PRIu64 " + unmet %" PRIu64 "\n", g_where,
                            v->demand_kib, v->granted_kib, v->unmet_demand_kib);
                bad++;
        }
        return bad;
}

/* Host-wide: the shrink cap, deflation within the room, honest totals. */
static int check_totals(const struct world *w, const struct sums *t) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        int bad = 0;

        if (t->shrink > c->host_shrink_cap_kib && w->host.mem_available_kib >= BD_OUT_OF_RAM_KIB) {
                print_error("%s: total shrink %" PRIu64 " KiB above the host cap %" PRIu64 " KiB\n", g_where,
                            (uint64_t)t->shrink, c->host_shrink_cap_kib);
                bad++;
        }
        if (t->relaxed_grow > v->grow_room_kib) {
                print_error("%s: relaxed deflation %" PRIu64 " KiB above the room %" PRIu64 " KiB\n", g_where,
                            (uint64_t)t->relaxed_grow, v->grow_room_kib);
                bad++;
        }
        if ((unsigned __int128)v->shrink_kib != (t->shrink > UINT64_MAX ? UINT64_MAX : t->shrink) ||
            (unsigned __int128)v->grow_kib != (t->grow > UINT64_MAX ? UINT64_MAX : t->grow)) {
                print_error("%s: view totals shrink %" PRIu64 " grow %" PRIu64 ", decisions %" PRIu64
                            " %s%" PRIu64 "\n",
                            g_where, v->shrink_kib, v->grow_kib, (uint64_t)t->shrink,
                            t->grow > UINT64_MAX ? ">2^64 " : "", (uint64_t)t->grow);
                bad++;
        }
        return bad;
}

int check_cycle(const struct world *w) {
        const struct bd_host_view *v = &w->view;
        struct sums t = { 0 };
        int bad = check_host_view(w);

        bad += check_host_figures(w);
        if (v->reclaim_goal_kib > 0 && v->band < BD_BAND_PRESSURE) {
                print_error("%s: reclaim goal %" PRId64 " KiB outside pressure\n", g_where, v->reclaim_goal_kib);
                bad++;
        }
        for (size_t i = 0; i < w->n; i++)
                t.funding = t.funding || (w->d[i].action == BD_ACTION_GROW && guest_grow_reason(w->d[i].reason));
        t.funding = t.funding || v->unmet_demand_kib > 0;
        for (size_t i = 0; i < w->n; i++)
                bad += check_vm(w, i, &t);
        bad += check_budget(w, &t);
        bad += check_totals(w, &t);
        return bad;
}

#undef BROKEN

/* Run the policy on the samples as they are, check, apply (the balloons
 * follow their targets, some only partly). */
void decide_and_apply(struct world *w) {
        memcpy(w->before, w->h, sizeof(w->h));
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        fail_here(check_cycle(w));
        for (size_t i = 0; i < w->n; i++) {
                struct bd_decision *d = &w->d[i];
                struct vm *v = &w->vm[i];
                uint64_t step;

                if (d->action == BD_ACTION_NONE)
                        continue;
                bd_policy_note_applied(&w->h[i], d, w->now);
                step = d->target_kib > d->actual_kib ? d->target_kib - d->actual_kib : d->actual_kib - d->target_kib;
                step = step / 100 * (uint64_t)v->follow_pct;
                w->s[i].actual_kib = d->target_kib > d->actual_kib ? d->actual_kib + step : d->actual_kib - step;
                if (v->follow_pct == 100)
                        w->s[i].actual_kib = d->target_kib;
        }
}

void run_world(struct world *w, unsigned long index, int cycles) {
        for (int c = 0; c < cycles; c++) {
                snprintf(g_where, sizeof(g_where), "world %lu cycle %d", index, w->cycle);
                observe(w);
                decide_and_apply(w);
                advance(w);
        }
}
