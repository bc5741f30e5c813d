/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure policy against DESIGN.md's "Policy requirements", table-driven.
 *
 * Each table row is one situation: a host sample (and the band of the
 * previous cycle), up to MAX_VMS VM samples each with its history, a config
 * tweak, the time, and per VM the expected action, reason, status and
 * target. Expected targets are written with the formulas of the contract
 * (RATE, MARGIN, FLOOR below), so a row says why its number is what it is.
 * Multi-cycle tests drive bd_policy_run() on a small model of a host whose
 * balloons follow their targets. Every decision of every test goes through
 * check_decisions(), the promises that hold whatever the inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/core/policy.h"
#include "config_rules.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- units and the contract's formulas ------------------------------------ */

#define SEC 1000000ULL
#define M(mib) ((uint64_t)(mib) * MIB)
#define MIN_(a, b) ((a) < (b) ? (a) : (b))
#define MAX_(a, b) ((a) > (b) ? (a) : (b))
/* P % of KIB, truncated, as the policy computes percentages. */
#define PCT(p, kib) ((uint64_t)((p) / 100.0 * (double)(kib)))

#define NOW (100000 * SEC) /* monotonic clock of the tables */
#define WALL 1790000000LL   /* wall clock of the tables */

/* The tables' host: 64 GiB of RAM, the default 1 GiB reserve. */
#define TOTAL_KIB M(65536)
#define RESERVE_KIB M(1024)
/* Free memory (after the reserve) at P % of RAM, and the MemAvailable that gives it. */
#define FREE_AT(p) PCT(p, TOTAL_KIB)
#define AVAIL(p) (RESERVE_KIB + FREE_AT(p))
/* Under pressure the goal is pressure_free_pct + hysteresis_pct (22 %), 1 KiB past. */
#define GOAL_FREE (PCT(22, TOTAL_KIB) + 1)
/* Room the relaxed band may deflate into: what is free above that goal. */
#define ROOM_AT(p) (FREE_AT(p) - GOAL_FREE)

/* Per-VM shrink limit: min(5 % of actual, 256 MiB), doubled when critical. */
#define RATE(kib) MIN_(PCT(5, kib), M(256))
#define T_PRESSURE(mib) (M(mib) - RATE(M(mib)))
#define T_CRITICAL(mib) (M(mib) - 2 * RATE(M(mib)))
/* Free margin = max(20 % of used, 256 MiB); floor = used + margin. */
#define MARGIN(used) MAX_(PCT(20, used), M(256))
#define FLOOR(used) ((used) + MARGIN(used))
/* A guest short of free memory grows to used + 2 x margin. */
#define T_LOW_FREE(actual_mib, usable_mib)                                                                   \
        (M(actual_mib) - M(usable_mib) + 2 * MARGIN(M(actual_mib) - M(usable_mib)))
/* A share of AMOUNT by weight W of a total weight SUM. */
#define SHARE(amount, w, sum) ((uint64_t)((double)(amount) * (double)(w) / (double)(sum)))

/* ---- rows ------------------------------------------------------------------- */

#define MAX_VMS 4
#define U UINT64_MAX             /* an unknown size, in the MiB fields of a row */
#define NEVER INT64_MIN          /* age_sec: the guest never reported */
#define ANY_KIB UINT64_MAX       /* expected target not checked */
#define ANY (-1)                 /* expected action / reason not checked */

enum tri { DONT_CARE = 0, YES, NO };

struct vm_row {
        const char *name;
        const char *uuid;      /* NULL: one made from the VM's index */
        const char *class_tag; /* from the domain's metadata */
        enum bd_run_state state;
        unsigned flags;        /* enum bd_vm_flag */
        uint64_t max_mib, actual_mib, usable_mib; /* U: unknown */
        int64_t age_sec;       /* last-update this long before the wall clock; NEVER */
        uint64_t swap_in_kib, swap_out_kib, major_faults; /* cumulative counters */
        void (*fix)(struct bd_vm_sample *s); /* inputs the fields above cannot say */
        struct bd_vm_history hist;           /* as left by earlier cycles */
        /* expected */
        int action;   /* enum bd_action or ANY */
        int reason;   /* enum bd_reason or ANY */
        enum bd_vm_status status;
        uint64_t target_kib; /* ANY_KIB: not checked */
        uint64_t tol_kib;    /* allowed difference (water-fill rounding) */
};

struct row {
        const char *what;
        uint64_t avail_kib;   /* host MemAvailable (MemTotal is TOTAL_KIB) */
        bool psi_valid;
        double psi_full_pct, psi_some_pct;
        enum bd_band prev_band; /* host state of the previous cycle ... */
        bool prev_seen;         /* ... if there was one */
        void (*tweak)(struct bd_config *c);
        uint64_t now_usec;      /* 0: NOW */
        int64_t wall_sec;       /* 0: WALL */
        struct vm_row vm[MAX_VMS];
        enum bd_band band;
        enum tri budget_binds, psi_escalated;
};

/* Row shorthands. */
#define VM(n, max, act, usable) .name = (n), .max_mib = (max), .actual_mib = (act), .usable_mib = (usable)
#define WANT(a, r, s, t)                                                                                     \
        .action = BD_ACTION_##a, .reason = BD_REASON_##r, .status = BD_STATUS_##s, .target_kib = (t)
#define WANT_ANY(s, t) .action = ANY, .reason = ANY, .status = BD_STATUS_##s, .target_kib = (t)
/* History of a VM last sampled AGO seconds before NOW. */
#define SEEN(ago) .seen = true, .prev_sample_usec = NOW - (ago) * SEC, .prev_last_update_sec = WALL - (ago)
/* ... whose last change was applied AGO seconds ago, on stats of then. */
#define CHANGED(ago) .last_change_usec = NOW - (ago) * SEC, .change_stats_sec = WALL - (ago)
/* ... with a shrink of a 4096 MiB VM to T_PRESSURE(4096) outstanding since
 * AGO seconds, its balloon last seen getting closer PROGRESS seconds ago. */
#define OUTSTANDING(ago, progress)                                                                           \
        SEEN(5), CHANGED(ago), .target_kib = T_PRESSURE(4096), .best_distance_kib = RATE(M(4096)),           \
                .progress_usec = NOW - (progress) * SEC

#define RELAXED_HOST AVAIL(40)
#define NORMAL_HOST AVAIL(25)
#define PRESSURE_HOST AVAIL(10)
#define CRITICAL_HOST AVAIL(2)

/* ---- building inputs ---------------------------------------------------------- */

static uint64_t kib_or_unknown(uint64_t mib) {
        return mib == U ? BD_KIB_UNKNOWN : M(mib);
}

static void sample_from_row(const struct vm_row *r, size_t i, int64_t wall, struct bd_vm_sample *s) {
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "%s", r->name);
        if (r->uuid)
                snprintf(s->uuid, sizeof(s->uuid), "%s", r->uuid);
        else
                snprintf(s->uuid, sizeof(s->uuid), "5a0c3f9e-1b2d-4e6f-8a7b-%012zu", i + 1);
        if (r->class_tag)
                snprintf(s->class_tag, sizeof(s->class_tag), "%s", r->class_tag);
        s->state = r->state;
        s->flags = r->flags;
        s->max_kib = kib_or_unknown(r->max_mib);
        s->actual_kib = kib_or_unknown(r->actual_mib);
        s->usable_kib = kib_or_unknown(r->usable_mib);
        if (s->usable_kib != BD_KIB_UNKNOWN) {
                /* A plausible guest: MemTotal is the balloon size, half of
                 * its free memory is page cache. */
                s->available_kib = s->actual_kib;
                s->unused_kib = s->usable_kib / 2;
                s->disk_caches_kib = s->usable_kib / 2;
                s->swap_in_kib = r->swap_in_kib;
                s->swap_out_kib = r->swap_out_kib;
                s->major_faults = r->major_faults;
        }
        s->last_update_sec = r->age_sec == NEVER ? BD_TIME_UNKNOWN : wall - r->age_sec;
        s->stats_period_sec = 2;
        if (r->fix)
                r->fix(s);
}

static struct bd_host_sample host_sample(uint64_t avail_kib) {
        struct bd_host_sample h = {
                .mem_total_kib = TOTAL_KIB,
                .mem_available_kib = avail_kib,
        };
        return h;
}

/* ---- the promises every decision keeps ------------------------------------ */

static bool grows_for_guest(const struct bd_decision *d) {
        return d->action == BD_ACTION_GROW &&
               (d->reason == BD_REASON_GUEST_LOW_FREE || d->reason == BD_REASON_GUEST_SWAP_IN ||
                d->reason == BD_REASON_GUEST_MAJOR_FAULTS || d->reason == BD_REASON_BELOW_MIN);
}

static uint64_t deadband_of(const struct bd_config *c, uint64_t actual_kib) {
        return MAX_(c->deadband_kib, PCT(c->deadband_pct, actual_kib));
}

#define BROKEN(...)                                                                                          \
        do {                                                                                                 \
                print_error("%s: %s: ", what, s[i].name);                                                    \
                print_error(__VA_ARGS__);                                                                    \
                print_error(" (%s/%s/%s actual %llu target %llu floor %llu max %llu KiB)\n",                 \
                            bd_action_to_string(d[i].action), bd_reason_to_string(d[i].reason),              \
                            bd_status_to_string(d[i].status), (unsigned long long)d[i].actual_kib,           \
                            (unsigned long long)d[i].target_kib, (unsigned long long)d[i].floor_kib,         \
                            (unsigned long long)d[i].max_kib);                                               \
                bad++;                                                                                       \
        } while (0)

/* Returns the number of broken promises, each printed. */
static int check_decisions(const char *what, const struct bd_config *cfg, const struct bd_vm_sample *s,
                           const struct bd_decision *d, size_t n, const struct bd_host_view *v) {
        uint64_t shrink = 0, grow = 0, above_floor = 0;
        bool funding = false;
        int bad = 0;

        for (size_t i = 0; i < n; i++)
                funding = funding || grows_for_guest(&d[i]);
        funding = funding || v->unmet_demand_kib > 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t delta = d[i].target_kib > d[i].actual_kib ? d[i].target_kib - d[i].actual_kib
                                                                   : d[i].actual_kib - d[i].target_kib;

                if ((unsigned)d[i].reason >= BD_REASON__COUNT || (unsigned)d[i].status > BD_STATUS_STUCK ||
                    (unsigned)d[i].action > BD_ACTION_GROW) {
                        BROKEN("enum out of range");
                        continue;
                }
                if (d[i].actual_kib != s[i].actual_kib)
                        BROKEN("actual is not the sample's");
                if (d[i].action == BD_ACTION_NONE) {
                        if (d[i].target_kib != d[i].actual_kib)
                                BROKEN("no action, yet target != actual");
                        continue;
                }
                if (d[i].action == BD_ACTION_SHRINK) {
                        shrink += delta;
                        if (d[i].target_kib >= d[i].actual_kib)
                                BROKEN("shrink to a target not below actual");
                } else {
                        grow += delta;
                        above_floor += d[i].target_kib - MAX_(d[i].actual_kib, MIN_(d[i].target_kib,
                                                                                     d[i].status == BD_STATUS_OK
                                                                                             ? d[i].floor_grow_kib
                                                                                             : 0));
                        if (d[i].target_kib <= d[i].actual_kib)
                                BROKEN("grow to a target not above actual");
                }
                if (d[i].target_kib > s[i].max_kib)
                        BROKEN("target above the domain's maximum");
                if (d[i].reason == BD_REASON_ABOVE_MAX) {
                        /* walking down toward a rule's maximum, never past it */
                        if (d[i].action != BD_ACTION_SHRINK || d[i].target_kib < d[i].max_kib)
                                BROKEN("above_max not a shrink toward the maximum");
                } else if (d[i].target_kib > d[i].max_kib) {
                        BROKEN("target above the maximum");
                }
                switch (d[i].status) {
                case BD_STATUS_EXCLUDED:
                case BD_STATUS_STUCK:
                        BROKEN("an excluded or stuck VM changed");
                        continue;
                case BD_STATUS_BLIND:
                        if (d[i].action != BD_ACTION_GROW || d[i].reason != BD_REASON_BLIND_DEFLATE)
                                BROKEN("a blind VM changed other than by blind_deflate");
                        if (cfg->blind_action != BD_BLIND_DEFLATE || v->band >= BD_BAND_PRESSURE)
                                BROKEN("blind_deflate without blind_action = deflate outside pressure");
                        continue;
                case BD_STATUS_OK:
                        break;
                }
                /* OK VMs: the floor is a safety property. */
                /* used is taken against the balloon size the report was
                 * made at: the larger of the sizes it may have been made at,
                 * so never less than actual - usable. */
                if (d[i].used_kib == BD_KIB_UNKNOWN ||
                    d[i].used_kib < (s[i].actual_kib > s[i].usable_kib ? s[i].actual_kib - s[i].usable_kib : 0))
                        BROKEN("used is below actual - usable");
                else if (d[i].margin_kib != bd_policy_margin_kib(cfg, d[i].used_kib))
                        BROKEN("margin is not bd_policy_margin_kib(used)");
                else if (d[i].floor_kib < MIN_(d[i].used_kib + d[i].margin_kib, s[i].max_kib))
                        BROKEN("floor below used + margin");
                if (d[i].action == BD_ACTION_SHRINK && d[i].target_kib < d[i].floor_kib)
                        BROKEN("target below the floor");
                if (d[i].action == BD_ACTION_GROW && d[i].target_kib < d[i].floor_grow_kib &&
                    (!d[i].unmet_kib || d[i].refused == BD_LINE_NONE))
                        BROKEN("a grow short of the floor without unmet demand and the line that cut it");
                if (d[i].reason != BD_REASON_ABOVE_MAX && d[i].reason != BD_REASON_BELOW_MIN &&
                    !grows_for_guest(&d[i]) && delta < deadband_of(cfg, d[i].actual_kib))
                        BROKEN("change of %llu KiB under the deadband", (unsigned long long)delta);
                if (d[i].action == BD_ACTION_SHRINK) {
                        uint64_t rate = MIN_(PCT(cfg->shrink_pct, d[i].actual_kib), cfg->shrink_max_kib);

                        if (d[i].reason == BD_REASON_HOST_CRITICAL)
                                rate *= 2;
                        if (delta > rate)
                                BROKEN("shrink of %llu KiB above the rate limit %llu", (unsigned long long)delta,
                                       (unsigned long long)rate);
                        if (d[i].guest_pressure)
                                BROKEN("a guest under pressure shrunk");
                        if (d[i].swapping_out)
                                BROKEN("a guest swapping out shrunk");
                        if (d[i].reason != BD_REASON_HOST_PRESSURE && d[i].reason != BD_REASON_HOST_CRITICAL &&
                            d[i].reason != BD_REASON_ABOVE_MAX)
                                BROKEN("shrink with a grow's reason");
                        if ((d[i].reason == BD_REASON_HOST_PRESSURE || d[i].reason == BD_REASON_HOST_CRITICAL) &&
                            v->band < BD_BAND_PRESSURE && !funding)
                                BROKEN("reclaim outside pressure, with no guest to pay for");
                } else {
                        if (d[i].reason == BD_REASON_HOST_RELAXED && v->band != BD_BAND_RELAXED)
                                BROKEN("host_relaxed grow outside the relaxed band");
                        if (d[i].reason != BD_REASON_HOST_RELAXED && !grows_for_guest(&d[i]))
                                BROKEN("grow with a shrink's reason");
                }
        }
        /* The host budget: nothing past physical RAM (above the reserve);
         * past RAM's critical line only floors (emergencies); past the VM
         * budget's only floors, reported, and never when it is hard. */
        if (grow > v->ram_hard_kib) {
                print_error("%s: granted %llu KiB, RAM has %llu KiB above the reserve\n", what,
                            (unsigned long long)grow, (unsigned long long)v->ram_hard_kib);
                bad++;
        }
        if (above_floor > v->ram_headroom_kib) {
                print_error("%s: granted %llu KiB past floors, RAM has %llu KiB above its critical line\n", what,
                            (unsigned long long)above_floor, (unsigned long long)v->ram_headroom_kib);
                bad++;
        }
        if (grow > v->budget_headroom_kib &&
            (cfg->vm_budget_hard || grow - v->budget_crossed_kib > v->budget_headroom_kib)) {
                print_error("%s: granted %llu KiB (%llu past it as emergencies), the VM budget has %llu KiB\n", what,
                            (unsigned long long)grow, (unsigned long long)v->budget_crossed_kib,
                            (unsigned long long)v->budget_headroom_kib);
                bad++;
        }
        if (v->granted_kib + v->unmet_demand_kib != v->demand_kib) {
                print_error("%s: demand %llu KiB is not granted %llu + unmet %llu\n", what,
                            (unsigned long long)v->demand_kib, (unsigned long long)v->granted_kib,
                            (unsigned long long)v->unmet_demand_kib);
                bad++;
        }
        if (shrink > cfg->host_shrink_cap_kib) {
                print_error("%s: total shrink %llu KiB above the host cap %llu KiB\n", what,
                            (unsigned long long)shrink, (unsigned long long)cfg->host_shrink_cap_kib);
                bad++;
        }
        if (v->shrink_kib != shrink || v->grow_kib != grow) {
                print_error("%s: view totals shrink %llu grow %llu, decisions %llu %llu\n", what,
                            (unsigned long long)v->shrink_kib, (unsigned long long)v->grow_kib,
                            (unsigned long long)shrink, (unsigned long long)grow);
                bad++;
        }
        return bad;
}

#undef BROKEN

/* ---- running a table ------------------------------------------------------------ */

static const char *action_name(int a) {
        return a == ANY ? "*" : bd_action_to_string((enum bd_action)a);
}

static const char *reason_name(int r) {
        return r == ANY ? "*" : bd_reason_to_string((enum bd_reason)r);
}

/* Returns the number of mismatches and broken promises, each printed. */
static int run_row(const struct row *r) {
        struct bd_config cfg;
        struct bd_vm_sample s[MAX_VMS];
        struct bd_vm_history h[MAX_VMS];
        struct bd_decision d[MAX_VMS];
        struct bd_host_state hs = { .band = r->prev_band, .seen = r->prev_seen };
        struct bd_host_view view;
        struct bd_host_sample host = host_sample(r->avail_kib);
        uint64_t now = r->now_usec ? r->now_usec : NOW;
        int64_t wall = r->wall_sec ? r->wall_sec : WALL;
        size_t n = 0;
        int bad = 0;

        bd_config_defaults(&cfg);
        if (r->tweak)
                r->tweak(&cfg);
        host.psi_valid = r->psi_valid;
        host.psi_full_avg10_pct = r->psi_full_pct;
        host.psi_some_avg10_pct = r->psi_some_pct;
        for (; n < MAX_VMS && r->vm[n].name; n++) {
                sample_from_row(&r->vm[n], n, wall, &s[n]);
                h[n] = r->vm[n].hist;
        }
        bd_policy_run(&cfg, &host, s, h, n, &hs, now, wall, d, &view);

        if (view.band != r->band) {
                print_error("%s: band %s, expected %s (free %.3f %%)\n", r->what, bd_band_to_string(view.band),
                            bd_band_to_string(r->band), view.free_pct);
                bad++;
        }
        if (hs.band != view.band || !hs.seen) {
                print_error("%s: host state not updated to the band\n", r->what);
                bad++;
        }
        if (r->budget_binds != DONT_CARE && view.budget_binds != (r->budget_binds == YES)) {
                print_error("%s: budget_binds %d\n", r->what, view.budget_binds);
                bad++;
        }
        if (r->psi_escalated != DONT_CARE && view.psi_escalated != (r->psi_escalated == YES)) {
                print_error("%s: psi_escalated %d\n", r->what, view.psi_escalated);
                bad++;
        }
        for (size_t i = 0; i < n; i++) {
                const struct vm_row *w = &r->vm[i];
                uint64_t diff = d[i].target_kib > w->target_kib ? d[i].target_kib - w->target_kib
                                                                 : w->target_kib - d[i].target_kib;

                if ((w->action == ANY || (int)d[i].action == w->action) &&
                    (w->reason == ANY || (int)d[i].reason == w->reason) && d[i].status == w->status &&
                    (w->target_kib == ANY_KIB || diff <= w->tol_kib))
                        continue;
                print_error("%s: %s: got %s/%s/%s target %llu KiB, expected %s/%s/%s target %llu KiB\n", r->what,
                            w->name, bd_action_to_string(d[i].action), bd_reason_to_string(d[i].reason),
                            bd_status_to_string(d[i].status), (unsigned long long)d[i].target_kib,
                            action_name(w->action), reason_name(w->reason), bd_status_to_string(w->status),
                            (unsigned long long)w->target_kib);
                bad++;
        }
        return bad + check_decisions(r->what, &cfg, s, d, n, &view);
}

/* Every row runs, every mismatch is printed; then the test fails if any. */
static void run_table(const struct row *rows, size_t n_rows) {
        int bad = 0;

        for (size_t i = 0; i < n_rows; i++)
                bad += run_row(&rows[i]);
        assert_int_equal(bad, 0);
}

#define RUN_TABLE(t) run_table((t), N_ELEMS(t))

/* ---- config tweaks ---------------------------------------------------------------- */

static void no_reserve(struct bd_config *c) {
        c->host_reserve_kib = 0;
}
static void budget_10g(struct bd_config *c) {
        c->vm_budget_kib = M(10240);
}
static void budget_100g(struct bd_config *c) {
        c->vm_budget_kib = M(102400);
}
static void hysteresis_5(struct bd_config *c) {
        c->hysteresis_pct = 5.0;
}
static void min_3g(struct bd_config *c) {
        c->min_kib = M(3072);
}
static void min_8g(struct bd_config *c) {
        c->min_kib = M(8192);
}
static void rule_capped(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "capped", 0, M(3072), -1, -1, NULL);
}
static void rule_pinned(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "pinned", M(3072), 0, -1, -1, NULL);
}
static void rule_tight(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "tight", 0, M(1024), -1, -1, NULL);
}
static void cap_90m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
}
static void cap_90m_tax_0(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
        c->idle_tax_pct = 0;
}
static void cap_90m_tax_50(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
        c->idle_tax_pct = 50;
}
static void cap_90m_gold_shares(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
        add_rule(c, BD_MATCH_NAME, "gold", 0, 0, 2000, -1, NULL);
}
static void gold_shares(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "gold", 0, 0, 2000, -1, NULL);
}
static void cap_100m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(100);
}
static void cap_300m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(300);
}
static void cap_350m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(350);
}
static void swap_in_grow_1g(struct bd_config *c) {
        c->swap_in_grow_kib = M(1024);
}
static void faults_50(struct bd_config *c) {
        c->major_faults_per_sec = 50;
}
static void cooldown_60(struct bd_config *c) {
        c->cooldown_usec = 60 * SEC;
}
static void cooldown_0(struct bd_config *c) {
        c->cooldown_usec = 0;
}
static void exclusion_rules(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "skip-*", 0, 0, -1, 1, NULL);
        add_rule(c, BD_MATCH_UUID, "6F1C2A9E-0D4B-4C1E-9A53-2B7D8E4F0A11", 0, 0, -1, 1, NULL);
        add_rule(c, BD_MATCH_NAME, "pg-*", 0, 0, -1, -1, "database");
        add_rule(c, BD_MATCH_NAME, "dbtest", 0, 0, -1, 0, NULL);
        add_rule(c, BD_MATCH_NAME, "skipcap", 0, M(2048), -1, 1, NULL);
        snprintf(c->excluded_classes[c->n_excluded_classes++], BD_CLASS_MAX, "latency");
}
static void no_age_check(struct bd_config *c) {
        c->check_stats_age = false;
}
static void slack_20(struct bd_config *c) {
        c->stats_slack_usec = 20 * SEC;
}
static void blind_deflate(struct bd_config *c) {
        c->blind_action = BD_BLIND_DEFLATE;
}

/* ---- sample fixes --------------------------------------------------------------- */

static void period_10(struct bd_vm_sample *s) {
        s->stats_period_sec = 10;
}
static void period_0(struct bd_vm_sample *s) {
        s->stats_period_sec = 0;
}
static void usable_above_total(struct bd_vm_sample *s) {
        s->available_kib = s->usable_kib - MIB;
}
static void unused_above_total(struct bd_vm_sample *s) {
        s->unused_kib = s->available_kib + MIB;
}
static void cache_above_size(struct bd_vm_sample *s) {
        s->disk_caches_kib = s->actual_kib + M(1024);
}
static void usable_above_size(struct bd_vm_sample *s) {
        s->available_kib = BD_KIB_UNKNOWN;
        s->usable_kib = s->actual_kib + M(1024);
}
static void total_above_max(struct bd_vm_sample *s) {
        s->available_kib = s->max_kib + M(1024);
}
static void counters_unknown(struct bd_vm_sample *s) {
        s->swap_in_kib = BD_COUNT_UNKNOWN;
        s->swap_out_kib = BD_COUNT_UNKNOWN;
        s->major_faults = BD_COUNT_UNKNOWN;
        s->unused_kib = BD_KIB_UNKNOWN;
        s->disk_caches_kib = BD_KIB_UNKNOWN;
        s->available_kib = BD_KIB_UNKNOWN;
}
static void everything_unknown(struct bd_vm_sample *s) {
        char name[BD_NAME_MAX];

        memcpy(name, s->name, sizeof(name));
        bd_vm_sample_init(s);
        memcpy(s->name, name, sizeof(name));
        s->state = BD_RUN_RUNNING;
}
static void period_unknown(struct bd_vm_sample *s) {
        s->stats_period_sec = -1;
}

/* ---- host bands ---------------------------------------------------------------------- */

static void test_bands(void **state) {
        static const struct row rows[] = {
                { .what = "an ideal host balloons nothing", .avail_kib = AVAIL(60),
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, AT_MAX, OK, M(4096)) },
                          { VM("b", 8192, 8192, 1000), WANT(NONE, AT_MAX, OK, M(8192)) },
                          { VM("c", 2048, 2048, 1500), WANT(NONE, AT_MAX, OK, M(2048)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "relaxed: balloons deflate to the maximum", .avail_kib = RELAXED_HOST,
                  .vm = { { VM("a", 4096, 2048, 1536), WANT(GROW, HOST_RELAXED, OK, M(4096)) },
                          { VM("b", 8192, 8192, 7000), WANT(NONE, AT_MAX, OK, M(8192)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "relaxed: deflation shared within the room above 22 %", .avail_kib = AVAIL(31),
                  .vm = { { VM("a", 8192, 4096, 3000), WANT(GROW, HOST_RELAXED, OK, M(4096) + ROOM_AT(31) / 2),
                            .tol_kib = 4 },
                          { VM("b", 8192, 4096, 3000), WANT(GROW, HOST_RELAXED, OK, M(4096) + ROOM_AT(31) / 2),
                            .tol_kib = 4 } },
                  .band = BD_BAND_RELAXED },
                { .what = "normal: nothing reclaimed, nothing deflated", .avail_kib = NORMAL_HOST,
                  .vm = { { VM("a", 4096, 2048, 1536), WANT(NONE, STEADY, OK, M(2048)) },
                          { VM("b", 8192, 8192, 7000), WANT(NONE, STEADY, OK, M(8192)) } },
                  .band = BD_BAND_NORMAL },
                { .what = "pressure: idle memory reclaimed at 5 % a cycle", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "critical: twice the per-VM rate", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "PSI full avg10 at the threshold (10 %): normal becomes pressure, one cap's worth",
                  .avail_kib = NORMAL_HOST, .psi_valid = true, .psi_full_pct = 10.0,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE, .psi_escalated = YES },
                { .what = "PSI at the threshold: pressure becomes critical", .avail_kib = PRESSURE_HOST,
                  .psi_valid = true, .psi_full_pct = 10.0,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL, .psi_escalated = YES },
                { .what = "PSI never alone: a relaxed host stays relaxed whatever PSI says", .avail_kib = AVAIL(60),
                  .psi_valid = true, .psi_full_pct = 100.0,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, AT_MAX, OK, M(4096)) } },
                  .band = BD_BAND_RELAXED, .psi_escalated = NO },
                { .what = "PSI on a critical host: still critical, not escalated", .avail_kib = CRITICAL_HOST,
                  .psi_valid = true, .psi_full_pct = 50.0,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL, .psi_escalated = NO },
                { .what = "PSI full just under the threshold: nothing", .avail_kib = NORMAL_HOST,
                  .psi_valid = true, .psi_full_pct = 9.9,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, STEADY, OK, M(4096)) } },
                  .band = BD_BAND_NORMAL, .psi_escalated = NO },
                { .what = "PSI some (not full) does not escalate", .avail_kib = NORMAL_HOST, .psi_valid = true,
                  .psi_some_pct = 80.0, .psi_full_pct = 0.5,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, STEADY, OK, M(4096)) } },
                  .band = BD_BAND_NORMAL, .psi_escalated = NO },
                { .what = "PSI absent: its numbers are not read, no error", .avail_kib = NORMAL_HOST,
                  .psi_valid = false, .psi_full_pct = 50.0,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, STEADY, OK, M(4096)) } },
                  .band = BD_BAND_NORMAL, .psi_escalated = NO },
                { .what = "reserve subtracted: MemAvailable 20.6 % of RAM is 19 % after 1 GiB",
                  .avail_kib = AVAIL(19),
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "... the same host without a reserve is normal", .avail_kib = AVAIL(19),
                  .tweak = no_reserve,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, STEADY, OK, M(4096)) } },
                  .band = BD_BAND_NORMAL },
                { .what = "VM budget binds before RAM: 12 GiB of VMs in a 10 GiB budget", .avail_kib = AVAIL(80),
                  .tweak = budget_10g,
                  .vm = { { VM("a", 8192, 8192, 6000), WANT(SHRINK, HOST_CRITICAL, OK, M(8192) - M(512)) },
                          { VM("b", 4096, 4096, 3000), WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL, .budget_binds = YES },
                { .what = "VM budget with room: RAM binds", .avail_kib = PRESSURE_HOST, .tweak = budget_100g,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE, .budget_binds = NO },
                { .what = "VM budget limits relaxed deflation to its own room", .avail_kib = AVAIL(80),
                  .tweak = budget_10g,
                  .vm = { { VM("a", 8192, 4096, 3000),
                            WANT(GROW, HOST_RELAXED, OK, M(4096) + M(6144) - (PCT(22, M(10240)) + 1)),
                            .tol_kib = 2 } },
                  .band = BD_BAND_RELAXED, .budget_binds = YES },

                /* Hysteresis: worse at once, better only 2 points past the edge. */
                { .what = "pressure at 21 %: stays in pressure", .avail_kib = AVAIL(21),
                  .prev_band = BD_BAND_PRESSURE, .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "normal at 21 %: stays normal", .avail_kib = AVAIL(21), .prev_band = BD_BAND_NORMAL,
                  .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, STEADY, OK, M(4096)) } },
                  .band = BD_BAND_NORMAL },
                { .what = "pressure at 23 %: normal again", .avail_kib = AVAIL(23), .prev_band = BD_BAND_PRESSURE,
                  .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(NONE, STEADY, OK, M(4096)) } },
                  .band = BD_BAND_NORMAL },
                { .what = "relaxed at 19 %: pressure at once", .avail_kib = AVAIL(19),
                  .prev_band = BD_BAND_RELAXED, .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "normal at 4 %: critical at once", .avail_kib = AVAIL(4), .prev_band = BD_BAND_NORMAL,
                  .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "critical at 6 %: stays critical", .avail_kib = AVAIL(6), .prev_band = BD_BAND_CRITICAL,
                  .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "critical at 8 %: pressure, not normal", .avail_kib = AVAIL(8),
                  .prev_band = BD_BAND_CRITICAL, .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "normal at 31 %: stays normal", .avail_kib = AVAIL(31), .prev_band = BD_BAND_NORMAL,
                  .prev_seen = true,
                  .vm = { { VM("a", 4096, 2048, 1536), WANT(NONE, STEADY, OK, M(2048)) } },
                  .band = BD_BAND_NORMAL },
                { .what = "normal at 33 %: relaxed", .avail_kib = AVAIL(33), .prev_band = BD_BAND_NORMAL,
                  .prev_seen = true,
                  .vm = { { VM("a", 4096, 2048, 1536), WANT(GROW, HOST_RELAXED, OK, M(4096)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "hysteresis 5 points: pressure at 24 % stays", .avail_kib = AVAIL(24),
                  .tweak = hysteresis_5, .prev_band = BD_BAND_PRESSURE, .prev_seen = true,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* The band helper alone, edges included. */
static void test_band_helper(void **state) {
        static const struct {
                double free_pct;
                enum bd_band prev;
                bool seen;
                enum bd_band want;
        } rows[] = {
                { 50.0, BD_BAND_NORMAL, false, BD_BAND_RELAXED },
                { 30.0, BD_BAND_NORMAL, false, BD_BAND_RELAXED },
                { 29.99, BD_BAND_RELAXED, false, BD_BAND_NORMAL },
                { 20.0, BD_BAND_CRITICAL, false, BD_BAND_NORMAL },
                { 19.99, BD_BAND_RELAXED, false, BD_BAND_PRESSURE },
                { 5.0, BD_BAND_RELAXED, false, BD_BAND_PRESSURE },
                { 4.99, BD_BAND_RELAXED, false, BD_BAND_CRITICAL },
                { 0.0, BD_BAND_RELAXED, false, BD_BAND_CRITICAL },
                /* worse: at once */
                { 29.99, BD_BAND_RELAXED, true, BD_BAND_NORMAL },
                { 19.99, BD_BAND_NORMAL, true, BD_BAND_PRESSURE },
                { 4.99, BD_BAND_PRESSURE, true, BD_BAND_CRITICAL },
                { 1.0, BD_BAND_RELAXED, true, BD_BAND_CRITICAL },
                /* better: only past the edge + 2 points */
                { 21.99, BD_BAND_PRESSURE, true, BD_BAND_PRESSURE },
                { 22.01, BD_BAND_PRESSURE, true, BD_BAND_NORMAL },
                { 6.99, BD_BAND_CRITICAL, true, BD_BAND_CRITICAL },
                { 7.01, BD_BAND_CRITICAL, true, BD_BAND_PRESSURE },
                { 21.0, BD_BAND_CRITICAL, true, BD_BAND_PRESSURE },
                { 23.0, BD_BAND_CRITICAL, true, BD_BAND_NORMAL },
                { 31.99, BD_BAND_NORMAL, true, BD_BAND_NORMAL },
                { 32.01, BD_BAND_NORMAL, true, BD_BAND_RELAXED },
                { 60.0, BD_BAND_CRITICAL, true, BD_BAND_RELAXED },
                /* the same band */
                { 25.0, BD_BAND_NORMAL, true, BD_BAND_NORMAL },
                { 30.0, BD_BAND_RELAXED, true, BD_BAND_RELAXED },
        };
        struct bd_config c;
        int bad = 0;

        (void)state;
        bd_config_defaults(&c);
        for (size_t i = 0; i < N_ELEMS(rows); i++) {
                enum bd_band got = bd_policy_band(&c, rows[i].free_pct, rows[i].prev, rows[i].seen);

                if (got != rows[i].want) {
                        print_error("free %.2f %% after %s (seen %d): %s, expected %s\n", rows[i].free_pct,
                                    bd_band_to_string(rows[i].prev), rows[i].seen, bd_band_to_string(got),
                                    bd_band_to_string(rows[i].want));
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

/* ---- floors and maxima ----------------------------------------------------------------- */

static void test_floors(void **state) {
        static const struct row rows[] = {
                { .what = "at its floor (used + 256 MiB): gives nothing", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 1536, 256), WANT(NONE, AT_FLOOR, OK, M(1536)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "margin is 20 % of used above 1280 MiB; shrink stops at the floor",
                  .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 5120, 1024), WANT(SHRINK, HOST_PRESSURE, OK, FLOOR(M(4096))) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "shrink stops at the floor (used 1300 MiB, margin 260 MiB)", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 1600, 300), WANT(SHRINK, HOST_PRESSURE, OK, FLOOR(M(1300))) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "a configured minimum above used + margin is the floor", .avail_kib = PRESSURE_HOST,
                  .tweak = min_3g,
                  .vm = { { VM("a", 4096, 3100, 2800), WANT(SHRINK, HOST_PRESSURE, OK, M(3072)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "below the configured minimum: grow to it, even under pressure",
                  .avail_kib = PRESSURE_HOST, .tweak = min_3g,
                  .vm = { { VM("a", 4096, 2048, 1800), WANT(GROW, BELOW_MIN, OK, M(3072)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "a rule's minimum: grown to it; other VMs keep the default", .avail_kib = PRESSURE_HOST,
                  .tweak = rule_pinned,
                  .vm = { { VM("pinned", 4096, 2048, 1800), WANT(GROW, BELOW_MIN, OK, M(3072)) },
                          { VM("free", 4096, 2048, 1800), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(2048)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "a minimum above the maximum: the floor is the maximum", .avail_kib = PRESSURE_HOST,
                  .tweak = min_8g,
                  .vm = { { VM("a", 4096, 2048, 1800), WANT(GROW, BELOW_MIN, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "a rule's maximum below the floor: the floor wins", .avail_kib = PRESSURE_HOST,
                  .tweak = rule_tight,
                  .vm = { { VM("tight", 4096, 1304, 256), WANT(NONE, AT_FLOOR, OK, M(1304)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "... above it, walks down to the floor and not below", .avail_kib = PRESSURE_HOST,
                  .tweak = rule_tight,
                  .vm = { { VM("tight", 4096, 1350, 302), WANT(SHRINK, ABOVE_MAX, OK, M(1304)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "above a rule's maximum: shrinks toward it at the rate, even relaxed",
                  .avail_kib = AVAIL(60), .tweak = rule_capped,
                  .vm = { { VM("capped", 4096, 4096, 3000), WANT(SHRINK, ABOVE_MAX, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "a rule's maximum caps relaxed deflation", .avail_kib = AVAIL(60), .tweak = rule_capped,
                  .vm = { { VM("capped", 4096, 2048, 1500), WANT(GROW, HOST_RELAXED, OK, M(3072)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "a 16 GiB VM gives at most 256 MiB a cycle", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 16384, 16384, 12000), WANT(SHRINK, HOST_PRESSURE, OK, M(16128)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "... 512 MiB when critical", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 16384, 16384, 12000), WANT(SHRINK, HOST_CRITICAL, OK, M(15872)) } },
                  .band = BD_BAND_CRITICAL },
        };

        (void)state;
        RUN_TABLE(rows);
}

static void test_margin_helper(void **state) {
        struct bd_config c;

        (void)state;
        bd_config_defaults(&c);
        assert_int_equal(bd_policy_margin_kib(&c, 0), M(256));
        assert_int_equal(bd_policy_margin_kib(&c, M(1280)), M(256));
        assert_int_equal(bd_policy_margin_kib(&c, M(1300)), M(260));
        assert_int_equal(bd_policy_margin_kib(&c, M(10240)), M(2048));
        c.margin_pct = 50;
        c.margin_min_kib = M(100);
        assert_int_equal(bd_policy_margin_kib(&c, M(100)), M(100));
        assert_int_equal(bd_policy_margin_kib(&c, M(1000)), M(500));
}

/* ---- guest pressure ------------------------------------------------------------------- */

static void test_guest_pressure(void **state) {
        static const struct row rows[] = {
                { .what = "low free: grows at once to used + 2 x margin, under host pressure",
                  .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "low free on a host below its critical line: its floor, out of RAM above the reserve",
                  .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, FLOOR(M(1948))) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "low free on a host with nothing above its reserve: nothing to grant, demand unmet",
                  .avail_kib = RESERVE_KIB,
                  .vm = { { VM("a", 4096, 2048, 100), WANT(NONE, NO_HEADROOM, OK, M(2048)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "low free, critical by PSI above the critical line: granted up to its floor only",
                  .avail_kib = PRESSURE_HOST, .psi_valid = true, .psi_full_pct = 20.0,
                  .vm = { { VM("a", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, FLOOR(M(1948))) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "low free: a small guest's margin is 256 MiB", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 2048, 1024, 200), WANT(GROW, GUEST_LOW_FREE, OK, M(824 + 512)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "low free: capped at the maximum", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 2200, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, M(2200)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "low free at the maximum: nothing to give", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 2048, 2048, 100), WANT(NONE, AT_MAX, OK, M(2048)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "grow is not rate limited: +1.6 GiB in one step", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 16384, 4096, 100),
                            WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(4096, 100)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "low free in the normal band: granted from the headroom above the critical line",
                  .avail_kib = AVAIL(21),
                  .vm = { { VM("needy", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) },
                          { VM("idle", 8192, 8192, 7000), WANT(NONE, STEADY, OK, M(8192)) } },
                  .band = BD_BAND_NORMAL },
                { .what = "100 MiB above the critical line: the floor, not the rest; an idle VM pays for later",
                  .avail_kib = AVAIL(5) + M(100),
                  .vm = { { VM("needy", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, FLOOR(M(1948))) },
                          { VM("idle", 8192, 8192, 7000), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(8192)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "low free on a relaxed host: the grow comes out of the room first",
                  .avail_kib = AVAIL(31),
                  .vm = { { VM("needy", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) },
                          { VM("taker", 16384, 8192, 7000),
                            WANT(GROW, HOST_RELAXED, OK,
                                 M(8192) + ROOM_AT(31) - (T_LOW_FREE(2048, 100) - M(2048))),
                            .tol_kib = 4 } },
                  .band = BD_BAND_RELAXED },
                { .what = "low free on a relaxed host with room: nobody pays", .avail_kib = RELAXED_HOST,
                  .vm = { { VM("needy", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) },
                          { VM("idle", 8192, 8192, 7000), WANT(NONE, AT_MAX, OK, M(8192)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "swap-in since the last cycle: grows by swap_in_grow", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 4096, 3000), .swap_in_kib = 1000 + 10240,
                            .hist = { SEEN(5), .prev_swap_in_kib = 1000 },
                            WANT(GROW, GUEST_SWAP_IN, OK, M(4096 + 256)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "4 KiB of swap-in over a 5 s report: under 1 MiB/s, no pressure", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 4096, 3000), .swap_in_kib = 1004,
                            .hist = { SEEN(5), .prev_swap_in_kib = 1000 },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "the same report again: no new rate, no grow", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 4096, 3000), .swap_in_kib = 1000 + 10240,
                            .hist = { .seen = true, .prev_sample_usec = NOW - 5 * SEC, .prev_last_update_sec = WALL,
                                      .prev_swap_in_kib = 1000 + 10240 },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "swap-in: capped at the maximum", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4200, 4096, 3000), .swap_in_kib = 1000 + 10240,
                            .hist = { SEEN(5), .prev_swap_in_kib = 1000 },
                            WANT(GROW, GUEST_SWAP_IN, OK, M(4200)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "swap-in and low free: the larger grow", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 2048, 100), .swap_in_kib = 1000 + 10240,
                            .hist = { SEEN(5), .prev_swap_in_kib = 1000 },
                            WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "swap_in_grow = 1 GiB", .avail_kib = PRESSURE_HOST, .tweak = swap_in_grow_1g,
                  .vm = { { VM("a", 8192, 4096, 3000), .swap_in_kib = 1000 + 10240,
                            .hist = { SEEN(5), .prev_swap_in_kib = 1000 },
                            WANT(GROW, GUEST_SWAP_IN, OK, M(4096 + 1024)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "a first sample's cumulative swap-in is not a delta", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .swap_in_kib = 50000,
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "major faults above 200/s: grows", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 4096, 3000), .major_faults = 1010, .hist = { SEEN(5) },
                            WANT(GROW, GUEST_MAJOR_FAULTS, OK, M(4096 + 256)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "major faults at 200/s: no guest pressure", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 4096, 3000), .major_faults = 1000, .hist = { SEEN(5) },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "major_faults_per_sec = 50: 60/s grows", .avail_kib = PRESSURE_HOST, .tweak = faults_50,
                  .vm = { { VM("a", 8192, 4096, 3000), .major_faults = 300, .hist = { SEEN(5) },
                            WANT(GROW, GUEST_MAJOR_FAULTS, OK, M(4096 + 256)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "swapping out: never shrunk under pressure", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .swap_out_kib = 200,
                            .hist = { SEEN(5), .prev_swap_out_kib = 100 },
                            WANT(NONE, GUEST_SWAP_OUT, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "swapping out: never shrunk when critical", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .swap_out_kib = 200,
                            .hist = { SEEN(5), .prev_swap_out_kib = 100 },
                            WANT(NONE, GUEST_SWAP_OUT, OK, M(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "swapping out and low free: grows", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 2048, 100), .swap_out_kib = 200,
                            .hist = { SEEN(5), .prev_swap_out_kib = 100 },
                            WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "guest pressure ignores the cooldown", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 2048, 100), .hist = { SEEN(5), CHANGED(5) },
                            WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "guest pressure ignores the grow hold", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 2048, 100),
                            .hist = { SEEN(5), CHANGED(10), .last_grow_for_pressure_usec = NOW - 10 * SEC },
                            WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(2048, 100)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- sharing reclaim out -------------------------------------------------------------- */

/* Weights (active + k x idle) / shares, in KiB / 1000 shares. */
#define W_IDLE (M(1024) + 4 * M(7168)) /* used 1 GiB, 7 GiB idle */
#define W_BUSY (M(6144) + 4 * M(2048)) /* used 6 GiB, 2 GiB idle */

static void test_sharing(void **state) {
        static const struct row rows[] = {
                { .what = "idle memory costs 4x active (tax 75 %)", .avail_kib = PRESSURE_HOST, .tweak = cap_90m,
                  .vm = { { VM("idle", 8192, 8192, 7168),
                            WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - SHARE(M(90), W_IDLE, W_IDLE + W_BUSY)),
                            .tol_kib = 3 },
                          { VM("busy", 8192, 8192, 2048),
                            WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - SHARE(M(90), W_BUSY, W_IDLE + W_BUSY)),
                            .tol_kib = 3 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "tax 0 %: shared by size alone", .avail_kib = PRESSURE_HOST, .tweak = cap_90m_tax_0,
                  .vm = { { VM("idle", 8192, 8192, 7168), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(45)),
                            .tol_kib = 3 },
                          { VM("busy", 8192, 8192, 2048), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(45)),
                            .tol_kib = 3 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "tax 50 %: idle costs 2x", .avail_kib = PRESSURE_HOST, .tweak = cap_90m_tax_50,
                  .vm = { { VM("idle", 8192, 8192, 7168), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(54)),
                            .tol_kib = 3 },
                          { VM("busy", 8192, 8192, 2048), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(36)),
                            .tol_kib = 3 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "twice the shares: half the weight", .avail_kib = PRESSURE_HOST,
                  .tweak = cap_90m_gold_shares,
                  .vm = { { VM("gold", 8192, 8192, 4096), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(30)),
                            .tol_kib = 3 },
                          { VM("bronze", 8192, 8192, 4096), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(60)),
                            .tol_kib = 3 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "relaxed: the room is shared by shares", .avail_kib = AVAIL(31), .tweak = gold_shares,
                  .vm = { { VM("gold", 16384, 8192, 7000),
                            WANT(GROW, HOST_RELAXED, OK, M(8192) + ROOM_AT(31) * 2 / 3), .tol_kib = 4 },
                          { VM("bronze", 16384, 8192, 7000),
                            WANT(GROW, HOST_RELAXED, OK, M(8192) + ROOM_AT(31) / 3), .tol_kib = 4 } },
                  .band = BD_BAND_RELAXED },
                { .what = "a VM at its floor gives nothing; the other gives all", .avail_kib = PRESSURE_HOST,
                  .tweak = cap_90m,
                  .vm = { { VM("floor", 4096, 1536, 256), WANT(NONE, AT_FLOOR, OK, M(1536)) },
                          { VM("idle", 8192, 8192, 7168), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(90)),
                            .tol_kib = 2 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "each VM gives at most its own limit", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 16384, 16384, 15000), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(16384)) },
                          { VM("b", 4096, 4096, 3000), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) },
                          { VM("c", 2048, 2048, 1500), WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(2048)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "what a limited VM cannot give, the others give", .avail_kib = PRESSURE_HOST,
                  .tweak = cap_350m,
                  .vm = { { VM("small", 2048, 2048, 1900), WANT(SHRINK, HOST_PRESSURE, OK, M(2048) - M(94)),
                            .tol_kib = 3 },
                          { VM("idle", 8192, 8192, 7168), WANT(SHRINK, HOST_PRESSURE, OK, M(8192) - M(256)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- rate limits and the deadband ------------------------------------------------------ */

static void test_rate_limits(void **state) {
        static const struct row rows[] = {
                { .what = "host cap 100 MiB: two equal VMs give 50 MiB each", .avail_kib = PRESSURE_HOST,
                  .tweak = cap_100m,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(50)),
                            .tol_kib = 2 },
                          { VM("b", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(50)),
                            .tol_kib = 2 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "host cap 300 MiB: four equal VMs give 75 MiB each", .avail_kib = PRESSURE_HOST,
                  .tweak = cap_300m,
                  .vm = { { VM("a", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(75)),
                            .tol_kib = 2 },
                          { VM("b", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(75)),
                            .tol_kib = 2 },
                          { VM("c", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(75)),
                            .tol_kib = 2 },
                          { VM("d", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(75)),
                            .tol_kib = 2 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "deadband: a 20 MiB need is one 20 MiB change, not four of 5 MiB",
                  .avail_kib = RESERVE_KIB + GOAL_FREE - M(20), .prev_band = BD_BAND_PRESSURE, .prev_seen = true,
                  .vm = { { VM("idlest", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(20)) },
                          { VM("b", 4096, 4096, 3000), .action = BD_ACTION_NONE, .reason = ANY,
                            .target_kib = M(4096) },
                          { VM("c", 4096, 4096, 2900), .action = BD_ACTION_NONE, .reason = ANY,
                            .target_kib = M(4096) },
                          { VM("d", 4096, 4096, 2800), .action = BD_ACTION_NONE, .reason = ANY,
                            .target_kib = M(4096) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "deadband when relaxed: 10 MiB under the maximum stays", .avail_kib = AVAIL(60),
                  .vm = { { VM("a", 4096, 4086, 3000), WANT(NONE, AT_MAX, OK, M(4086)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "deadband is 0.25 % of a 16 GiB VM: 34 MiB under the maximum stays",
                  .avail_kib = AVAIL(60),
                  .vm = { { VM("a", 16384, 16350, 12000), WANT(NONE, AT_MAX, OK, M(16350)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "... 50 MiB under it is made", .avail_kib = AVAIL(60),
                  .vm = { { VM("a", 16384, 16334, 12000), WANT(GROW, HOST_RELAXED, OK, M(16384)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "a donor whose rate (15.5 MiB) is under the deadband gives nothing",
                  .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("tiny", 310, 310, 300), WANT(NONE, DEADBAND, OK, M(310)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "a donor 10 MiB above its floor gives nothing", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 1546, 266), WANT(NONE, AT_FLOOR, OK, M(1546)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- cooldown, grow hold, fresh statistics ------------------------------------------- */

static void test_cooldown(void **state) {
        static const struct row rows[] = {
                { .what = "changed 5 s ago: cooldown", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { SEEN(5), CHANGED(5) },
                            WANT(NONE, COOLDOWN, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "changed 15 s ago: shrinks again", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { SEEN(5), CHANGED(15) },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "the same history 10 s later: cooldown over", .avail_kib = PRESSURE_HOST,
                  .now_usec = NOW + 10 * SEC, .wall_sec = WALL + 10,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { SEEN(5), CHANGED(5) },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "cooldown_sec = 60: still cooling after 30 s", .avail_kib = PRESSURE_HOST,
                  .tweak = cooldown_60,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { SEEN(5), CHANGED(30) },
                            WANT(NONE, COOLDOWN, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "cooldown holds a relaxed deflation", .avail_kib = AVAIL(60),
                  .vm = { { VM("a", 4096, 2048, 1536), .hist = { SEEN(5), CHANGED(5) },
                            WANT(NONE, COOLDOWN, OK, M(2048)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "cooldown holds an above-maximum shrink", .avail_kib = AVAIL(60), .tweak = rule_capped,
                  .vm = { { VM("capped", 4096, 4096, 3000), .hist = { SEEN(5), CHANGED(5) },
                            WANT(NONE, COOLDOWN, OK, M(4096)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "grow hold: no shrink 30 s after a guest-pressure grow", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072),
                            .hist = { SEEN(5), CHANGED(30), .last_grow_for_pressure_usec = NOW - 30 * SEC },
                            WANT(NONE, RECENT_GROW, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "grow hold over after 60 s", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072),
                            .hist = { SEEN(5), CHANGED(60), .last_grow_for_pressure_usec = NOW - 60 * SEC },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "no second shrink on the report the last one was decided on",
                  .avail_kib = PRESSURE_HOST, .tweak = cooldown_0,
                  .vm = { { VM("a", 4096, 4096, 3072),
                            .hist = { SEEN(5), .last_change_usec = NOW - 5 * SEC, .change_stats_sec = WALL },
                            WANT(NONE, AWAIT_STATS, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "... a newer report allows it", .avail_kib = PRESSURE_HOST, .tweak = cooldown_0,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { SEEN(5), CHANGED(5) },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- exclusions: never touched, whatever the pressure ------------------------------- */

#define EXCLUDED(n, r) { VM(n, 4096, 4096, 3000), WANT(NONE, r, EXCLUDED, M(4096)) }
#define FLAGGED(n, f, r) { VM(n, 4096, 4096, 3000), .flags = (f), WANT(NONE, r, EXCLUDED, M(4096)) }
#define IN_STATE(n, st, r) { VM(n, 4096, 4096, 3000), .state = (st), WANT(NONE, r, EXCLUDED, M(4096)) }
/* A VM that does give, so that the host is seen to reclaim. */
#define GIVER { VM("giver", 4096, 4096, 3000), WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) }

static void test_exclusions(void **state) {
        static const struct row rows[] = {
                { .what = "config rule: name glob", .avail_kib = CRITICAL_HOST, .tweak = exclusion_rules,
                  .vm = { EXCLUDED("skip-web", EXCLUDED_CONFIG), GIVER }, .band = BD_BAND_CRITICAL },
                { .what = "config rule: UUID, in any case", .avail_kib = CRITICAL_HOST, .tweak = exclusion_rules,
                  .vm = { { VM("by-uuid", 4096, 4096, 3000), .uuid = "6f1c2a9e-0d4b-4c1e-9a53-2b7d8e4f0a11",
                            WANT(NONE, EXCLUDED_CONFIG, EXCLUDED, M(4096)) },
                          GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "class database (the default excluded class) from metadata",
                  .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("pg1", 4096, 4096, 3000), .class_tag = "database",
                            WANT(NONE, EXCLUDED_CLASS, EXCLUDED, M(4096)) },
                          GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "class database from a rule", .avail_kib = CRITICAL_HOST, .tweak = exclusion_rules,
                  .vm = { EXCLUDED("pg-main", EXCLUDED_CLASS), GIVER }, .band = BD_BAND_CRITICAL },
                { .what = "another configured class", .avail_kib = CRITICAL_HOST, .tweak = exclusion_rules,
                  .vm = { { VM("trading", 4096, 4096, 3000), .class_tag = "latency",
                            WANT(NONE, EXCLUDED_CLASS, EXCLUDED, M(4096)) },
                          { VM("web", 4096, 4096, 3000), .class_tag = "web",
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "a rule with exclude = false overrides the class", .avail_kib = CRITICAL_HOST,
                  .tweak = exclusion_rules,
                  .vm = { { VM("dbtest", 4096, 4096, 3000), .class_tag = "database",
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "metadata tag", .avail_kib = CRITICAL_HOST,
                  .vm = { FLAGGED("tagged", BD_VM_TAG_EXCLUDE, EXCLUDED_METADATA), GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "no balloon device, VFIO, locked memory, hugepages", .avail_kib = CRITICAL_HOST,
                  .vm = { FLAGGED("legacy", BD_VM_NO_BALLOON, NO_BALLOON), FLAGGED("gpu", BD_VM_VFIO, VFIO),
                          FLAGGED("rt", BD_VM_LOCKED, LOCKED_MEMORY),
                          FLAGGED("hp", BD_VM_HUGEPAGES, HUGEPAGES) },
                  .band = BD_BAND_CRITICAL },
                { .what = "unsupported: flagged, or noted in its history", .avail_kib = CRITICAL_HOST,
                  .vm = { FLAGGED("u1", BD_VM_UNSUPPORTED, UNSUPPORTED),
                          { VM("u2", 4096, 4096, 3000), .hist = { SEEN(5), .unsupported = true },
                            WANT(NONE, UNSUPPORTED, EXCLUDED, M(4096)) },
                          GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "paused, migrating, shut off, crashed", .avail_kib = CRITICAL_HOST,
                  .vm = { IN_STATE("p", BD_RUN_PAUSED, PAUSED), IN_STATE("m", BD_RUN_MIGRATING, MIGRATING),
                          IN_STATE("off", BD_RUN_SHUTOFF, SHUT_OFF),
                          IN_STATE("crashed", BD_RUN_OTHER, NOT_RUNNING) },
                  .band = BD_BAND_CRITICAL },
                { .what = "shut off, every size unknown", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("off", U, U, U), .state = BD_RUN_SHUTOFF, .age_sec = NEVER,
                            WANT(NONE, SHUT_OFF, EXCLUDED, ANY_KIB) },
                          GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "an excluded guest short of memory is not grown", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("tagged", 4096, 2048, 10), .flags = BD_VM_TAG_EXCLUDE,
                            WANT(NONE, EXCLUDED_METADATA, EXCLUDED, M(2048)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "an excluded VM is not deflated when relaxed", .avail_kib = AVAIL(60),
                  .vm = { { VM("gpu", 4096, 2048, 1500), .flags = BD_VM_VFIO,
                            WANT(NONE, VFIO, EXCLUDED, M(2048)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "an excluded VM above its rule's maximum stays", .avail_kib = AVAIL(60),
                  .tweak = exclusion_rules, .vm = { EXCLUDED("skipcap", EXCLUDED_CONFIG) },
                  .band = BD_BAND_RELAXED },
                { .what = "no free page reporting or autodeflate: not excluded", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("fpr", 4096, 4096, 3000), .flags = BD_VM_NO_FREE_PAGE_REPORTING | BD_VM_AUTODEFLATE,
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- blind VMs: never shrunk ------------------------------------------------------------ */

/* Blind, held at its size. */
#define BLIND_HELD(r) WANT(NONE, r, BLIND, M(4096))

static void test_blind(void **state) {
        static const struct row rows[] = {
                { .what = "never reported: usable unknown", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, U), BLIND_HELD(STATS_NEVER) }, GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "never reported: no last-update", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = NEVER, BLIND_HELD(STATS_NEVER) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "stale: 12 s > 3 x 2 s + 5 s", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = 12, BLIND_HELD(STATS_STALE) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "fresh at 11 s", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = 11,
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "stats period 10 s: fresh at 35 s, stale at 36 s", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = 35, .fix = period_10,
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) },
                          { VM("b", 4096, 4096, 3000), .age_sec = 36, .fix = period_10,
                            BLIND_HELD(STATS_STALE) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "stats period 0 or unknown: balloond's period (2 s)", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = 12, .fix = period_0,
                            BLIND_HELD(STATS_STALE) },
                          { VM("b", 4096, 4096, 3000), .age_sec = 12, .fix = period_unknown,
                            BLIND_HELD(STATS_STALE) },
                          { VM("c", 4096, 4096, 3000), .age_sec = 11, .fix = period_0,
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "stats_slack 20 s: fresh at 26 s, stale at 27 s", .avail_kib = CRITICAL_HOST,
                  .tweak = slack_20,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = 26,
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) },
                          { VM("b", 4096, 4096, 3000), .age_sec = 27, BLIND_HELD(STATS_STALE) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "check_stats_age = false: age not checked", .avail_kib = CRITICAL_HOST,
                  .tweak = no_age_check,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = 100000,
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "insane: free above total, unused above total", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .fix = usable_above_total, BLIND_HELD(STATS_INVALID) },
                          { VM("b", 4096, 4096, 3000), .fix = unused_above_total, BLIND_HELD(STATS_INVALID) },
                          GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "insane: page cache above the balloon, free above the balloon, total above max",
                  .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .fix = cache_above_size, BLIND_HELD(STATS_INVALID) },
                          { VM("b", 4096, 4096, 3000), .fix = usable_above_size, BLIND_HELD(STATS_INVALID) },
                          { VM("c", 4096, 4096, 3000), .fix = total_above_max, BLIND_HELD(STATS_INVALID) },
                          GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "insane: a report from the future", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = -3600, BLIND_HELD(STATS_INVALID) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "counters backwards (a guest reboot): a reset, not impossible, not a signal",
                  .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .swap_in_kib = 10,
                            .hist = { SEEN(5), .prev_swap_in_kib = 5000 },
                            WANT(SHRINK, HOST_CRITICAL, OK, ANY_KIB) },
                          { VM("b", 4096, 4096, 3000), .swap_out_kib = 10,
                            .hist = { SEEN(5), .prev_swap_out_kib = 5000 },
                            WANT(SHRINK, HOST_CRITICAL, OK, ANY_KIB) },
                          { VM("c", 4096, 4096, 3000), .major_faults = 10,
                            .hist = { SEEN(5), .prev_major_faults = 5000 },
                            WANT(SHRINK, HOST_CRITICAL, OK, ANY_KIB) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "insane: last-update backwards", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .age_sec = 4,
                            .hist = { .seen = true, .prev_sample_usec = NOW - 5 * SEC,
                                      .prev_last_update_sec = WALL - 2 },
                            BLIND_HELD(STATS_INVALID) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "-1 sizes: balloon size or maximum unknown", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, U, 3000), WANT(NONE, STATS_INVALID, BLIND, ANY_KIB) },
                          { VM("b", U, 4096, 3000), BLIND_HELD(STATS_INVALID) }, GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "-1 everywhere: never reported", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .fix = everything_unknown,
                            WANT(NONE, STATS_NEVER, BLIND, ANY_KIB) },
                          GIVER },
                  .band = BD_BAND_CRITICAL },
                { .what = "-1 counters after known ones: no delta, not insane", .avail_kib = CRITICAL_HOST,
                  .vm = { { VM("a", 4096, 4096, 3000), .fix = counters_unknown,
                            .hist = { SEEN(5), .prev_swap_in_kib = 100, .prev_swap_out_kib = 100,
                                      .prev_major_faults = 100 },
                            WANT(SHRINK, HOST_CRITICAL, OK, T_CRITICAL(4096)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "a blind guest short of memory is held, not grown", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 2048, 10), .age_sec = 60, WANT(NONE, STATS_STALE, BLIND, M(2048)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "blind_action = hold (default): not deflated when relaxed", .avail_kib = AVAIL(60),
                  .vm = { { VM("a", 4096, 2048, 1500), .age_sec = 60, WANT(NONE, STATS_STALE, BLIND, M(2048)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "blind_action = deflate: memory given back when relaxed", .avail_kib = AVAIL(60),
                  .tweak = blind_deflate,
                  .vm = { { VM("a", 4096, 2048, 1500), .age_sec = 60, WANT(GROW, BLIND_DEFLATE, BLIND, M(4096)) },
                          { VM("b", 4096, 2048, U), WANT(GROW, BLIND_DEFLATE, BLIND, M(4096)) } },
                  .band = BD_BAND_RELAXED },
                { .what = "blind_action = deflate: in the normal band, within the room", .avail_kib = NORMAL_HOST,
                  .tweak = blind_deflate,
                  .vm = { { VM("a", 4096, 2048, 1500), .age_sec = 60,
                            WANT(GROW, BLIND_DEFLATE, BLIND, M(2048) + ROOM_AT(25)), .tol_kib = 2 } },
                  .band = BD_BAND_NORMAL },
                { .what = "blind_action = deflate: held under pressure", .avail_kib = PRESSURE_HOST,
                  .tweak = blind_deflate,
                  .vm = { { VM("a", 4096, 2048, 1500), .age_sec = 60, WANT(NONE, STATS_STALE, BLIND, M(2048)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- stuck balloons ------------------------------------------------------------------- */

static void test_stuck(void **state) {
        static const struct row rows[] = {
                { .what = "not moving for 10 s after its target: stuck, left alone", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { OUTSTANDING(10, 10) },
                            WANT(NONE, STUCK, STUCK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "not moving for 5 s: not yet", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { OUTSTANDING(5, 5) },
                            WANT(NONE, COOLDOWN, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "last progress 5 s ago: not stuck", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072), .hist = { OUTSTANDING(30, 5) },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "moving toward its target: not stuck", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4000, 2976), .hist = { OUTSTANDING(20, 20) },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4000)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "arrived within the deadband: not stuck", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 3900, 2876), .hist = { OUTSTANDING(20, 20) },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(3900)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "stuck: left alone for stuck_retry (299 s)", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072),
                            .hist = { OUTSTANDING(310, 310), .stuck = true, .stuck_since_usec = NOW - 299 * SEC },
                            WANT(NONE, STUCK, STUCK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "stuck: retried after stuck_retry (300 s)", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 4096, 4096, 3072),
                            .hist = { OUTSTANDING(310, 310), .stuck = true, .stuck_since_usec = NOW - 300 * SEC },
                            WANT(SHRINK, HOST_PRESSURE, OK, T_PRESSURE(4096)) } },
                  .band = BD_BAND_PRESSURE },
                { .what = "a stuck VM's share is taken from the others",
                  .avail_kib = RESERVE_KIB + GOAL_FREE - M(100), .prev_band = BD_BAND_PRESSURE,
                  .prev_seen = true,
                  .vm = { { VM("stuck", 4096, 4096, 3072), .hist = { OUTSTANDING(10, 10) },
                            WANT(NONE, STUCK, STUCK, M(4096)) },
                          { VM("other", 4096, 4096, 3072), WANT(SHRINK, HOST_PRESSURE, OK, M(4096) - M(100)),
                            .tol_kib = 2 } },
                  .band = BD_BAND_PRESSURE },
                { .what = "... while a moving VM's outstanding shrink counts as on its way",
                  .avail_kib = RESERVE_KIB + GOAL_FREE - M(100), .prev_band = BD_BAND_PRESSURE,
                  .prev_seen = true,
                  .vm = { { VM("moving", 4096, 4096, 3072), .hist = { OUTSTANDING(5, 5) },
                            .action = BD_ACTION_NONE, .reason = ANY, .target_kib = M(4096) },
                          { VM("other", 4096, 4096, 3072), .action = BD_ACTION_NONE, .reason = ANY,
                            .target_kib = M(4096) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- contract points the policy does not keep (see the report) ------------------------ */

static void cap_30m_heavy_small(struct bd_config *c) {
        c->host_shrink_cap_kib = M(30);
        add_rule(c, BD_MATCH_NAME, "small", 0, 0, 50, -1, NULL);
}
static void cap_100m_all_capped(struct bd_config *c) {
        c->host_shrink_cap_kib = M(100);
        add_rule(c, BD_MATCH_NAME, "*", 0, M(2048), -1, -1, NULL);
}
static void capped_no_cooldown(struct bd_config *c) {
        rule_capped(c);
        c->cooldown_usec = 0;
}

/* "total shrink per cycle <= host shrink_cap": a share dropped under the
 * deadband must not be handed to a VM as a larger change than the cap has
 * left. Here "small" (heavy: 50 shares) gives its whole limit, 20 MiB; the
 * 10 MiB left of the 30 MiB cap is under the deadband. */
static void test_host_cap_with_deadband_leftover(void **state) {
        static const struct row rows[] = {
                { .what = "cap 30 MiB: 20 MiB + a 10 MiB share under the deadband",
                  .avail_kib = PRESSURE_HOST, .tweak = cap_30m_heavy_small,
                  .vm = { { VM("small", 4096, 1556, 276), WANT(SHRINK, HOST_PRESSURE, OK, M(1536)) },
                          { VM("b", 4096, 4096, 3072), WANT_ANY(OK, ANY_KIB) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* "total shrink per cycle <= host shrink_cap" holds for shrinks toward a
 * rule's maximum too: two VMs 2 GiB above theirs, cap 100 MiB. */
static void test_host_cap_counts_above_max(void **state) {
        static const struct row rows[] = {
                { .what = "cap 100 MiB, two VMs above their rule's maximum", .avail_kib = AVAIL(60),
                  .tweak = cap_100m_all_capped,
                  .vm = { { VM("a", 4096, 4096, 3000), WANT_ANY(OK, ANY_KIB) },
                          { VM("b", 4096, 4096, 3000), WANT_ANY(OK, ANY_KIB) } },
                  .band = BD_BAND_RELAXED },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* "A guest that is swapping out is never shrunk", above a rule's maximum too. */
static void test_swap_out_holds_above_max_shrink(void **state) {
        static const struct row rows[] = {
                { .what = "above its rule's maximum and swapping out", .avail_kib = PRESSURE_HOST,
                  .tweak = rule_capped,
                  .vm = { { VM("capped", 4096, 4096, 3000), .swap_out_kib = 200,
                            .hist = { SEEN(5), .prev_swap_out_kib = 100 },
                            WANT(NONE, GUEST_SWAP_OUT, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* AWAIT_STATS: "no shrink on statistics older than its last change" -- the
 * floor of a VM above its rule's maximum comes from the same report. */
static void test_above_max_awaits_fresh_stats(void **state) {
        static const struct row rows[] = {
                { .what = "above its rule's maximum, shrunk 5 s ago on this very report",
                  .avail_kib = PRESSURE_HOST, .tweak = capped_no_cooldown,
                  .vm = { { VM("capped", 4096, 4096, 3000),
                            .hist = { SEEN(5), .last_change_usec = NOW - 5 * SEC, .change_stats_sec = WALL },
                            WANT(NONE, AWAIT_STATS, OK, M(4096)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* A stuck balloon is "not pushed further"; but a guest that now runs short of
 * memory gets it at once ("grow at once, even while the host is under
 * pressure"): its outstanding lower target must not be left in place. */
static void test_stuck_guest_under_pressure_grows(void **state) {
        static const struct row rows[] = {
                { .what = "stuck on a shrink, then short of free memory", .avail_kib = PRESSURE_HOST,
                  .vm = { { VM("a", 8192, 4096, 100), .hist = { OUTSTANDING(20, 20) },
                            WANT(GROW, GUEST_LOW_FREE, OK, T_LOW_FREE(4096, 100)) } },
                  .band = BD_BAND_PRESSURE },
        };

        (void)state;
        RUN_TABLE(rows);
}

/* ---- multi-cycle: a small host whose balloons follow their targets ------------------ */

#define WORLD_VMS 8

struct world {
        struct bd_config cfg;
        struct bd_vm_sample s[WORLD_VMS];
        struct bd_vm_history h[WORLD_VMS];
        struct bd_decision d[WORLD_VMS];
        uint64_t used_kib[WORLD_VMS];  /* what each guest really uses */
        bool balloon_stuck[WORLD_VMS]; /* the balloon ignores its targets */
        bool stats_frozen[WORLD_VMS];  /* the guest stopped reporting */
        uint64_t other_kib;            /* host memory the VMs do not hold */
        struct bd_host_sample host;
        struct bd_host_state hs;
        struct bd_host_view view;
        uint64_t now;
        int64_t wall;
        uint64_t interval_sec;
        size_t n;
        int cycle;
};

static void world_init(struct world *w, uint64_t interval_sec) {
        memset(w, 0, sizeof(*w));
        bd_config_defaults(&w->cfg);
        w->now = NOW;
        w->wall = WALL;
        w->interval_sec = interval_sec;
}

static size_t world_add(struct world *w, const char *name, uint64_t max_mib, uint64_t actual_mib,
                        uint64_t used_mib) {
        struct vm_row r = { VM(name, max_mib, actual_mib, actual_mib - used_mib) };
        size_t i = w->n++;

        assert_true(i < WORLD_VMS);
        sample_from_row(&r, i, w->wall, &w->s[i]);
        w->used_kib[i] = M(used_mib);
        return i;
}

static uint64_t world_vm_total(const struct world *w) {
        uint64_t sum = 0;

        for (size_t i = 0; i < w->n; i++)
                if (w->s[i].state != BD_RUN_SHUTOFF)
                        sum += w->s[i].actual_kib;
        return sum;
}

/* Set OTHER so that free memory (after the reserve) is FREE_KIB. */
static void world_set_free(struct world *w, uint64_t free_kib) {
        w->other_kib = TOTAL_KIB - RESERVE_KIB - free_kib - world_vm_total(w);
}

static void world_observe(struct world *w) {
        uint64_t held = w->other_kib + world_vm_total(w);

        for (size_t i = 0; i < w->n; i++) {
                struct bd_vm_sample *s = &w->s[i];

                if (w->stats_frozen[i])
                        continue;
                s->usable_kib = s->actual_kib > w->used_kib[i] ? s->actual_kib - w->used_kib[i] : 0;
                s->available_kib = s->actual_kib;
                s->unused_kib = s->usable_kib / 2;
                s->disk_caches_kib = s->usable_kib / 2;
                s->last_update_sec = w->wall;
        }
        w->host = host_sample(held < TOTAL_KIB ? TOTAL_KIB - held : 0);
}

/* One cycle: observe, decide (every promise checked), apply. */
static void world_cycle(struct world *w) {
        char what[64];

        snprintf(what, sizeof(what), "cycle %d", w->cycle);
        world_observe(w);
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        assert_int_equal(check_decisions(what, &w->cfg, w->s, w->d, w->n, &w->view), 0);
        for (size_t i = 0; i < w->n; i++) {
                if (w->d[i].action == BD_ACTION_NONE)
                        continue;
                bd_policy_note_applied(&w->h[i], &w->d[i], w->now);
                if (!w->balloon_stuck[i])
                        w->s[i].actual_kib = w->d[i].target_kib;
        }
        w->cycle++;
        w->now += w->interval_sec * SEC;
        w->wall += (int64_t)w->interval_sec;
}

/* Six idle 8 GiB VMs on a host 14 points short of its goal: out of pressure
 * within the bound the rate limits allow, never a VM grown meanwhile, not
 * much more taken than needed, and then nothing moves. */
static void test_pressure_converges(void **state) {
        struct world w;
        uint64_t deficit, per_round, bound, prev[WORLD_VMS], start_total;
        int cycles;

        (void)state;
        world_init(&w, 5);
        for (int i = 0; i < 6; i++)
                world_add(&w, "idle", 8192, 8192, 1536);
        world_set_free(&w, FREE_AT(8));
        start_total = world_vm_total(&w);
        deficit = GOAL_FREE - FREE_AT(8);
        /* Each VM gives at most shrink_max once per cooldown; the host at most the cap a cycle. */
        per_round = MIN_(w.cfg.host_shrink_cap_kib, 6 * w.cfg.shrink_max_kib);
        bound = (deficit / per_round + 1) * (w.cfg.cooldown_usec / SEC / w.interval_sec + 1) + 2;
        for (cycles = 0; cycles < 200; cycles++) {
                for (size_t i = 0; i < w.n; i++)
                        prev[i] = w.s[i].actual_kib;
                world_cycle(&w);
                for (size_t i = 0; i < w.n; i++)
                        assert_true(w.s[i].actual_kib <= prev[i]);
                if (w.view.band <= BD_BAND_NORMAL)
                        break;
        }
        if ((uint64_t)cycles > bound)
                print_error("out of pressure after %d cycles, bound %llu\n", cycles, (unsigned long long)bound);
        assert_true((uint64_t)cycles <= bound);
        assert_int_equal(w.view.band, BD_BAND_NORMAL);
        /* Taken: the deficit, plus at most one cycle's worth. */
        assert_true(start_total - world_vm_total(&w) >= deficit);
        assert_true(start_total - world_vm_total(&w) <= deficit + w.cfg.host_shrink_cap_kib);
        /* Then it stays put. */
        for (int k = 0; k < 20; k++) {
                world_cycle(&w);
                assert_int_equal(w.view.band, BD_BAND_NORMAL);
                for (size_t i = 0; i < w.n; i++)
                        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        }
}

/* A budget twice overcommitted is met, by VMs that never go below their floor. */
static void test_budget_converges(void **state) {
        struct world w;
        int cycles;

        (void)state;
        world_init(&w, 5);
        w.cfg.vm_budget_kib = M(16384);
        for (int i = 0; i < 4; i++)
                world_add(&w, "vm", 8192, 8192, 1024 + 512 * (uint64_t)i);
        world_set_free(&w, FREE_AT(60));
        for (cycles = 0; cycles < 200 && (cycles == 0 || w.view.band >= BD_BAND_PRESSURE); cycles++)
                world_cycle(&w);
        assert_true(cycles < 200);
        assert_true(w.view.budget_binds);
        assert_true(world_vm_total(&w) <= M(16384) - PCT(22, M(16384)));
        for (size_t i = 0; i < w.n; i++)
                assert_true(w.s[i].actual_kib >= FLOOR(w.used_kib[i]));
}

/* No flapping: a guest that suddenly needs memory grows at once, is not
 * shrunk again within grow_hold although the host stays under pressure (and
 * is, after it), and never needs to grow a second time; the idle ones never
 * grow. */
static void test_no_flapping(void **state) {
        struct world w;
        uint64_t grew_at = 0;
        int grows = 0, shrinks_after = 0;

        (void)state;
        world_init(&w, 5);
        for (int i = 0; i < 4; i++)
                world_add(&w, "vm", 16384, 8192, 2048);
        world_set_free(&w, FREE_AT(10));
        for (int c = 0; c < 100; c++) {
                if (c == 3) /* a burst: vm 0 uses 85 % of its memory, 15 % free < 20 % margin */
                        w.used_kib[0] = PCT(85, w.s[0].actual_kib);
                world_cycle(&w);
                for (size_t i = 1; i < w.n; i++)
                        assert_int_not_equal(w.d[i].action, BD_ACTION_GROW);
                if (c == 3) {
                        assert_int_equal(w.d[0].action, BD_ACTION_GROW);
                        assert_int_equal(w.d[0].reason, BD_REASON_GUEST_LOW_FREE);
                }
                if (w.d[0].action == BD_ACTION_GROW) {
                        grows++;
                        grew_at = w.now - w.interval_sec * SEC;
                }
                if (w.d[0].action == BD_ACTION_SHRINK && grew_at) {
                        uint64_t since = w.now - w.interval_sec * SEC - grew_at;

                        if (since < w.cfg.grow_hold_usec)
                                print_error("shrunk %llu s after its pressure grow\n",
                                            (unsigned long long)(since / SEC));
                        assert_true(since >= w.cfg.grow_hold_usec);
                        shrinks_after++;
                }
        }
        assert_int_equal(grows, 1);
        /* The hold, not a lack of pressure, kept it: it gave afterwards. */
        assert_true(shrinks_after > 0);
        /* Everyone ends at or above the floor (at most the maximum). */
        for (size_t i = 0; i < w.n; i++)
                assert_true(w.s[i].actual_kib >= MIN_(FLOOR(w.used_kib[i]), w.s[i].max_kib));
}

/* Deflating a relaxed host stops at the room above the pressure edge: the
 * host never goes back into pressure, and then nothing moves. */
static void test_relaxed_deflation_stops_short_of_pressure(void **state) {
        struct world w;
        uint64_t start_total;

        (void)state;
        world_init(&w, 5);
        for (int i = 0; i < 4; i++)
                world_add(&w, "vm", 8192, 2048, 1024);
        world_set_free(&w, FREE_AT(45));
        start_total = world_vm_total(&w);
        for (int c = 0; c < 60; c++) {
                world_cycle(&w);
                assert_true(w.view.band <= BD_BAND_NORMAL);
                for (size_t i = 0; i < w.n; i++)
                        assert_int_not_equal(w.d[i].action, BD_ACTION_SHRINK);
        }
        assert_int_equal(w.view.band, BD_BAND_NORMAL);
        /* It did use the room (23 % of RAM, within a deadband). */
        assert_true(world_vm_total(&w) - start_total + w.cfg.deadband_kib >= FREE_AT(45) - GOAL_FREE);
        for (int c = 0; c < 10; c++) {
                world_cycle(&w);
                for (size_t i = 0; i < w.n; i++)
                        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        }
}

/* Cooldown through bd_policy_note_applied: a shrink, then nothing for 15 s,
 * then the next; a guest-pressure grow in between is not held. */
static void test_cooldown_cycles(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, 5);
        a = world_add(&w, "a", 8192, 8192, 2048);
        world_set_free(&w, FREE_AT(5.5));
        world_cycle(&w);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        world_cycle(&w);
        assert_int_equal(w.d[a].reason, BD_REASON_COOLDOWN);
        world_cycle(&w);
        assert_int_equal(w.d[a].reason, BD_REASON_COOLDOWN);
        world_cycle(&w);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        w.used_kib[a] = w.s[a].actual_kib - M(50);
        world_cycle(&w); /* 5 s after a shrink */
        assert_int_equal(w.d[a].action, BD_ACTION_GROW);
        assert_int_equal(w.d[a].reason, BD_REASON_GUEST_LOW_FREE);
}

/* A balloon that never moves: stuck after stuck_after, others go on giving
 * in its place, left alone until stuck_retry, then tried again. */
static void test_stuck_cycles(void **state) {
        struct world w;
        size_t a, b;
        uint64_t stuck_at;
        int b_shrinks = 0;

        (void)state;
        world_init(&w, 5);
        a = world_add(&w, "stuck", 8192, 8192, 2048);
        b = world_add(&w, "other", 8192, 8192, 2048);
        w.balloon_stuck[a] = true;
        world_set_free(&w, FREE_AT(2));
        world_cycle(&w); /* t = 0: both given a target */
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        assert_int_equal(w.d[b].action, BD_ACTION_SHRINK);
        world_cycle(&w); /* t = 5 */
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
        world_cycle(&w); /* t = 10 */
        assert_int_equal(w.d[a].status, BD_STATUS_STUCK);
        assert_int_equal(w.d[a].reason, BD_REASON_STUCK);
        assert_int_equal(w.d[a].action, BD_ACTION_NONE);
        stuck_at = w.now - w.interval_sec * SEC;
        while (w.now - stuck_at < w.cfg.stuck_retry_usec) {
                world_cycle(&w);
                assert_int_equal(w.d[a].status, BD_STATUS_STUCK);
                b_shrinks += w.d[b].action == BD_ACTION_SHRINK;
        }
        /* b gave once per cooldown meanwhile (the host stayed short). */
        assert_true(b_shrinks >= 15);
        world_cycle(&w); /* retried */
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        world_cycle(&w);
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
        world_cycle(&w); /* 10 s later, still not moving */
        assert_int_equal(w.d[a].status, BD_STATUS_STUCK);
}

/* Stuck is "not moving toward the target for stuck_after": a balloon that
 * never moves is stuck within a few cycles even when a cooldown shorter than
 * stuck_after lets the policy set it a new target each cycle. */
static void test_stuck_with_short_cooldown(void **state) {
        struct world w;
        size_t a;
        bool stuck = false;

        (void)state;
        world_init(&w, 5);
        w.cfg.cooldown_usec = 5 * SEC;
        a = world_add(&w, "stuck", 8192, 8192, 2048);
        w.balloon_stuck[a] = true;
        world_set_free(&w, FREE_AT(10));
        for (int c = 0; c < 6 && !stuck; c++) { /* 25 s of a balloon that never moves */
                world_cycle(&w);
                stuck = w.d[a].status == BD_STATUS_STUCK;
        }
        if (!stuck)
                print_error("never stuck; last %s/%s\n", bd_action_to_string(w.d[a].action),
                            bd_reason_to_string(w.d[a].reason));
        assert_true(stuck);
}

/* A balloon that moves slowly (32 MiB a cycle) is never stuck. */
static void test_slow_balloon_is_not_stuck(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, 5);
        w.cfg.cooldown_usec = 300 * SEC;
        a = world_add(&w, "slow", 8192, 8192, 2048);
        w.balloon_stuck[a] = true;
        world_set_free(&w, FREE_AT(10));
        world_cycle(&w);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        for (int c = 0; c < 7; c++) {
                w.s[a].actual_kib -= M(32);
                world_cycle(&w);
                assert_int_equal(w.d[a].status, BD_STATUS_OK);
        }
}

/* Frozen statistics look fresh until they are stale: one shrink per report,
 * then blind. */
static void test_frozen_stats(void **state) {
        struct world w;
        size_t a;
        int shrinks = 0;

        (void)state;
        world_init(&w, 2);
        w.cfg.cooldown_usec = 0;
        a = world_add(&w, "a", 8192, 8192, 2048);
        world_set_free(&w, FREE_AT(10));
        world_cycle(&w);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        w.stats_frozen[a] = true;
        for (int c = 0; c < 8; c++) {
                world_cycle(&w);
                if (w.d[a].action == BD_ACTION_SHRINK)
                        shrinks++;
        }
        assert_int_equal(shrinks, 0);
        assert_int_equal(w.d[a].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[a].reason, BD_REASON_STATS_STALE);
        w.stats_frozen[a] = false; /* reporting again */
        world_cycle(&w);
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
}

/* A counter going backwards (the guest rebooted): never blind, no signal
 * from the jump, the new value the baseline of the next report. */
static void test_counters_backwards(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, 5);
        a = world_add(&w, "a", 8192, 8192, 2048);
        world_set_free(&w, FREE_AT(25));
        w.s[a].swap_out_kib = 5000;
        world_cycle(&w);
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
        w.s[a].swap_out_kib = 10;
        world_cycle(&w);
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
        assert_true(w.d[a].counters_reset);
        assert_false(w.d[a].swapping_out);
        w.s[a].swap_out_kib = 20; /* swapping out from the new baseline */
        world_cycle(&w);
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
        assert_false(w.d[a].counters_reset);
        assert_true(w.d[a].swapping_out);
}

/* A VM paused (say for a snapshot) while its balloon had a target cannot
 * move it: the time paused is not time "not moving toward the target", and
 * on its first cycle back it is not stuck. */
static void test_paused_vm_is_not_stuck_when_resumed(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, 2);
        a = world_add(&w, "a", 8192, 8192, 2048);
        w.balloon_stuck[a] = true; /* it will not have moved yet */
        world_set_free(&w, FREE_AT(10));
        world_cycle(&w); /* t = 0: shrink applied */
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        w.s[a].state = BD_RUN_PAUSED;
        for (int c = 0; c < 30; c++) { /* paused for a minute */
                world_cycle(&w);
                assert_int_equal(w.d[a].reason, BD_REASON_PAUSED);
        }
        w.s[a].state = BD_RUN_RUNNING;
        world_cycle(&w); /* resumed less than a cycle ago */
        if (w.d[a].status == BD_STATUS_STUCK)
                print_error("stuck on its first cycle after a minute paused\n");
        assert_int_not_equal(w.d[a].status, BD_STATUS_STUCK);
}

/* ---- the other entry points -------------------------------------------------------- */

static void test_note_applied(void **state) {
        struct bd_vm_history h, before;
        struct bd_decision d = { 0 };

        (void)state;
        memset(&h, 0, sizeof(h));
        h.seen = true;
        h.prev_swap_in_kib = 7;
        before = h;
        d.action = BD_ACTION_NONE;
        d.actual_kib = d.target_kib = M(4096);
        bd_policy_note_applied(&h, &d, NOW);
        assert_memory_equal(&h, &before, sizeof(h));

        d.action = BD_ACTION_SHRINK;
        d.target_kib = M(3000);
        d.stats_sec = WALL - 1;
        bd_policy_note_applied(&h, &d, NOW);
        assert_int_equal(h.last_change_usec, NOW);
        assert_int_equal(h.change_stats_sec, WALL - 1);
        assert_int_equal(h.target_kib, M(3000));
        assert_int_equal(h.last_grow_for_pressure_usec, 0);
        assert_false(h.stuck);

        /* A guest-pressure grow starts the grow hold; a relaxed one does not. */
        d.action = BD_ACTION_GROW;
        d.actual_kib = M(3000);
        d.target_kib = M(3500);
        d.guest_pressure = false;
        bd_policy_note_applied(&h, &d, NOW + SEC);
        assert_int_equal(h.last_grow_for_pressure_usec, 0);
        d.guest_pressure = true;
        bd_policy_note_applied(&h, &d, NOW + 2 * SEC);
        assert_int_equal(h.last_grow_for_pressure_usec, NOW + 2 * SEC);
}

/* bd_policy_note_unsupported: left alone from then on, whatever the pressure. */
static void test_note_unsupported(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, 5);
        a = world_add(&w, "a", 8192, 8192, 2048);
        world_set_free(&w, FREE_AT(2));
        world_cycle(&w);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        bd_policy_note_unsupported(&w.h[a]);
        assert_int_equal(w.h[a].target_kib, 0);
        for (int c = 0; c < 5; c++) {
                world_cycle(&w);
                assert_int_equal(w.d[a].status, BD_STATUS_EXCLUDED);
                assert_int_equal(w.d[a].reason, BD_REASON_UNSUPPORTED);
                assert_int_equal(w.d[a].target_kib, w.d[a].actual_kib);
        }
}

static void test_stats_insane_helper(void **state) {
        static const struct {
                const char *what;
                void (*fix)(struct bd_vm_sample *s);
                bool insane;
        } rows[] = {
                { "a plausible report", NULL, false },
                { "counters unknown", counters_unknown, false },
                { "free above total", usable_above_total, true },
                { "unused above total", unused_above_total, true },
                { "page cache above the balloon", cache_above_size, true },
                { "free above the balloon", usable_above_size, true },
                { "total above the maximum", total_above_max, true },
        };
        struct vm_row r = { VM("a", 4096, 4096, 3000) };
        struct bd_vm_history h = { SEEN(5), .prev_swap_in_kib = 100 };
        struct bd_vm_sample s;
        int bad = 0;

        (void)state;
        for (size_t i = 0; i < N_ELEMS(rows); i++) {
                const char *why;

                r.fix = rows[i].fix;
                sample_from_row(&r, 0, WALL, &s);
                why = bd_policy_stats_insane(&s, NULL);
                if ((why != NULL) != rows[i].insane) {
                        print_error("%s: %s\n", rows[i].what, why ? why : "sane");
                        bad++;
                }
                if (why)
                        assert_true(strlen(why) > 0);
        }
        assert_int_equal(bad, 0);
        /* With history: a counter backwards is a guest reboot, not a lie;
         * the report's time going backwards is impossible. */
        r.fix = NULL;
        sample_from_row(&r, 0, WALL, &s);
        s.swap_in_kib = 50;
        assert_null(bd_policy_stats_insane(&s, &h));
        h.prev_last_update_sec = s.last_update_sec + 1;
        assert_non_null(bd_policy_stats_insane(&s, &h));
        assert_null(bd_policy_stats_insane(&s, NULL));
        h.seen = false;
        assert_null(bd_policy_stats_insane(&s, &h));
}

static void test_untouchable(void **state) {
        struct bd_config c;
        struct bd_vm_sample s;
        struct vm_row ok = { VM("a", 4096, 4096, 3000) };
        struct vm_row stale = { VM("a", 4096, 4096, 3000), .age_sec = 60 };
        struct vm_row db = { VM("a", 4096, 4096, 3000), .class_tag = "database" };
        struct vm_row vfio = { VM("a", 4096, 4096, 3000), .flags = BD_VM_VFIO };

        (void)state;
        bd_config_defaults(&c);
        sample_from_row(&ok, 0, WALL, &s);
        assert_false(bd_policy_untouchable(&c, &s, WALL));
        sample_from_row(&stale, 0, WALL, &s);
        assert_true(bd_policy_untouchable(&c, &s, WALL));
        sample_from_row(&db, 0, WALL, &s);
        assert_true(bd_policy_untouchable(&c, &s, WALL));
        sample_from_row(&vfio, 0, WALL, &s);
        assert_true(bd_policy_untouchable(&c, &s, WALL));
}

/* Reason names are the enum names after BD_REASON_, lower case: stable API. */
static void test_strings(void **state) {
#define R(x) { BD_REASON_##x, #x }
        static const struct {
                enum bd_reason r;
                const char *upper;
        } names[] = {
                R(STEADY), R(HOST_PRESSURE), R(HOST_CRITICAL), R(HOST_RELAXED), R(GUEST_LOW_FREE),
                R(GUEST_SWAP_IN), R(GUEST_MAJOR_FAULTS), R(BELOW_MIN), R(ABOVE_MAX), R(GUEST_SWAP_OUT),
                R(AT_FLOOR), R(AT_MAX), R(DEADBAND), R(COOLDOWN), R(RECENT_GROW), R(AWAIT_STATS),
                R(HOST_CAP), R(NO_HEADROOM), R(EXCLUDED_CONFIG), R(EXCLUDED_CLASS), R(EXCLUDED_METADATA),
                R(NO_BALLOON), R(VFIO), R(LOCKED_MEMORY), R(HUGEPAGES), R(PAUSED), R(MIGRATING),
                R(SHUT_OFF), R(NOT_RUNNING), R(UNSUPPORTED), R(STATS_NEVER), R(STATS_STALE),
                R(STATS_INVALID), R(BLIND_DEFLATE), R(STUCK), R(AWAIT_REPORT),
        };
#undef R
        (void)state;
        assert_int_equal(N_ELEMS(names), BD_REASON__COUNT);
        for (size_t i = 0; i < N_ELEMS(names); i++) {
                char lower[64];
                size_t k;

                for (k = 0; names[i].upper[k] && k + 1 < sizeof(lower); k++)
                        lower[k] = (char)(names[i].upper[k] >= 'A' && names[i].upper[k] <= 'Z'
                                                  ? names[i].upper[k] - 'A' + 'a'
                                                  : names[i].upper[k]);
                lower[k] = '\0';
                assert_string_equal(bd_reason_to_string(names[i].r), lower);
                assert_true(strlen(bd_reason_describe(names[i].r)) > 0);
                assert_string_not_equal(bd_reason_describe(names[i].r), "unknown reason");
        }
        for (int i = 0; i < BD_REASON__COUNT; i++) {
                assert_string_not_equal(bd_reason_to_string((enum bd_reason)i), "unknown");
                for (int k = 0; k < i; k++) {
                        assert_string_not_equal(bd_reason_to_string((enum bd_reason)i),
                                                bd_reason_to_string((enum bd_reason)k));
                        assert_string_not_equal(bd_reason_describe((enum bd_reason)i),
                                                bd_reason_describe((enum bd_reason)k));
                }
        }
        assert_string_equal(bd_reason_to_string(BD_REASON__COUNT), "unknown");
        assert_string_equal(bd_reason_to_string((enum bd_reason)-1), "unknown");

        assert_string_equal(bd_band_to_string(BD_BAND_RELAXED), "relaxed");
        assert_string_equal(bd_band_to_string(BD_BAND_NORMAL), "normal");
        assert_string_equal(bd_band_to_string(BD_BAND_PRESSURE), "pressure");
        assert_string_equal(bd_band_to_string(BD_BAND_CRITICAL), "critical");
        assert_string_equal(bd_band_to_string((enum bd_band)42), "unknown");
        assert_string_equal(bd_action_to_string(BD_ACTION_NONE), "none");
        assert_string_equal(bd_action_to_string(BD_ACTION_SHRINK), "shrink");
        assert_string_equal(bd_action_to_string(BD_ACTION_GROW), "grow");
        assert_string_equal(bd_action_to_string((enum bd_action)42), "unknown");
        assert_string_equal(bd_status_to_string(BD_STATUS_OK), "ok");
        assert_string_equal(bd_status_to_string(BD_STATUS_EXCLUDED), "excluded");
        assert_string_equal(bd_status_to_string(BD_STATUS_BLIND), "blind");
        assert_string_equal(bd_status_to_string(BD_STATUS_STUCK), "stuck");
        assert_string_equal(bd_status_to_string((enum bd_vm_status)42), "unknown");
}

/* ---- hostile numbers (found by tests/test_policy_props.c) ---------------------------- */

/* A plausible guest of ACTUAL_KIB with USABLE_KIB free, reporting now. */
static void plain_vm(struct bd_vm_sample *s, const char *name, uint64_t max_kib, uint64_t actual_kib,
                     uint64_t usable_kib) {
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->uuid, sizeof(s->uuid), "5a0c3f9e-1b2d-4e6f-8a7b-%012d", (int)strlen(name));
        s->state = BD_RUN_RUNNING;
        s->max_kib = max_kib;
        s->actual_kib = actual_kib;
        s->usable_kib = usable_kib;
        s->available_kib = actual_kib;
        s->unused_kib = usable_kib / 2;
        s->disk_caches_kib = usable_kib / 2;
        s->swap_in_kib = s->swap_out_kib = s->major_faults = 0;
        s->last_update_sec = WALL;
        s->stats_period_sec = 2;
}

/* One cycle on a fresh history; every promise checked. */
static void run_once(const struct bd_config *c, const struct bd_host_sample *host, struct bd_vm_sample *s,
                     size_t n, struct bd_decision *d, struct bd_host_view *v) {
        struct bd_vm_history h[4];
        struct bd_host_state hs = { 0 };

        assert_true(n <= N_ELEMS(h));
        memset(h, 0, sizeof(h));
        bd_policy_run(c, host, s, h, n, &hs, NOW, WALL, d, v);
        assert_int_equal(check_decisions("hostile numbers", c, s, d, n, v), 0);
}

/* A domain maximum within 64 MiB of 2^64 must not wrap the sanity checks'
 * leeway into "balloon size above maximum". */
static void test_huge_maximum_is_not_insane(void **state) {
        struct bd_vm_sample s;
        struct bd_vm_history h = { 0 };

        (void)state;
        plain_vm(&s, "a", UINT64_MAX - M(32), M(8192), M(4096));
        assert_null(bd_policy_stats_insane(&s, &h));
        s.actual_kib = UINT64_MAX - M(40);
        s.available_kib = s.actual_kib;
        s.disk_caches_kib = s.actual_kib - 1;
        assert_null(bd_policy_stats_insane(&s, &h));
}

/* blind_deflate gives memory back only from a known size toward a known
 * domain maximum: a balloon size reported as 0 is unknown (a "grow" from it
 * could be a shrink in truth), and a rule's max_mib is no substitute for a
 * domain maximum nobody knows. */
static void test_blind_deflate_needs_known_sizes(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(RELAXED_HOST);
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        c.blind_action = BD_BLIND_DEFLATE;
        add_rule(&c, BD_MATCH_NAME, "capped", 0, M(4096), -1, -1, NULL);
        plain_vm(&s[0], "zero", M(8192), 0, M(4096));
        plain_vm(&s[1], "capped", BD_KIB_UNKNOWN, M(2048), BD_KIB_UNKNOWN);
        run_once(&c, &host, s, 2, d, &v);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(d[i].status, BD_STATUS_BLIND);
                assert_int_equal(d[i].action, BD_ACTION_NONE);
        }
        /* Known sizes: given back. */
        plain_vm(&s[1], "capped", M(8192), M(2048), BD_KIB_UNKNOWN);
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(d[1].action, BD_ACTION_GROW);
        assert_int_equal(d[1].reason, BD_REASON_BLIND_DEFLATE);
        assert_true(d[1].target_kib <= M(4096));
}

/* A guest near 2^64 KiB that reports no free memory: its floor is its
 * maximum (used + margin saturates rather than wraps to a few MiB), it
 * grows to it, and never a shrink below what it uses. Also with a 100 %
 * margin, whose percentage of 2^64 does not fit an integer. */
static void test_floor_saturates_near_2_64(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(PRESSURE_HOST);
        struct bd_vm_sample s;
        struct bd_decision d;
        struct bd_host_view v;

        (void)state;
        for (int margin_pct = 20; margin_pct <= 100; margin_pct += 80) {
                bd_config_defaults(&c);
                c.margin_pct = margin_pct;
                plain_vm(&s, "huge", UINT64_MAX - 1, UINT64_MAX - M(1024), 0);
                run_once(&c, &host, &s, 1, &d, &v);
                assert_int_equal(d.status, BD_STATUS_OK);
                assert_int_equal(d.floor_kib, UINT64_MAX - 1);
                assert_int_equal(d.action, BD_ACTION_GROW);
                assert_int_equal(d.target_kib, UINT64_MAX - 1);
        }
}

/* The host's own numbers near 2^64: MemAvailable beyond 2^63 once made
 * the goal arithmetic overflow (int64) and took the relaxed band's room
 * away; VM sizes adding up past 2^64 made a full VM budget look empty. */
static void test_host_numbers_near_2_64(void **state) {
        struct bd_config c;
        struct bd_host_sample host = { .mem_total_kib = UINT64_MAX, .mem_available_kib = UINT64_MAX };
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        plain_vm(&s[0], "a", M(8192), M(4096), M(2048));
        run_once(&c, &host, s, 1, d, &v);
        assert_int_equal(v.band, BD_BAND_RELAXED);
        assert_true(v.grow_room_kib >= (uint64_t)INT64_MAX);
        assert_int_equal(d[0].action, BD_ACTION_GROW);
        assert_int_equal(d[0].target_kib, M(8192));

        c.vm_budget_kib = M(65536);
        host = host_sample(RELAXED_HOST);
        plain_vm(&s[0], "a", 1ULL << 63, 1ULL << 63, 1ULL << 62);
        plain_vm(&s[1], "b", 1ULL << 63, 1ULL << 63, 1ULL << 62);
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(v.vm_total_kib, UINT64_MAX);
        assert_true(v.budget_binds);
        assert_int_equal(v.band, BD_BAND_CRITICAL);
}

/* Shares above 2^53 KiB: a double cannot hold every size, yet no share
 * passes its VM's limit (its maximum) and the shares never add up to more
 * than the room. */
static void test_fill_above_2_53(void **state) {
        struct bd_config c;
        struct bd_host_sample host = { .mem_total_kib = 1ULL << 62, .mem_available_kib = 1ULL << 62 };
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        plain_vm(&s[0], "a", (1ULL << 54) + 3 + M(1024), M(1024), M(512));
        plain_vm(&s[1], "b", 1ULL << 62, M(1024), M(512));
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(v.band, BD_BAND_RELAXED);
        assert_int_equal(d[0].action, BD_ACTION_GROW);
        assert_true(d[0].target_kib <= s[0].max_kib);
        assert_true(d[1].target_kib <= s[1].max_kib);
        assert_true((d[0].target_kib - d[0].actual_kib) + (d[1].target_kib - d[1].actual_kib) <= v.grow_room_kib);
}

/* QEMU rounds sizes up: a balloon a little above its domain's maximum
 * (within the sanity checks' leeway) that one rate-limited step cannot
 * bring within it is at its maximum; no target above the domain's maximum
 * (the applier refuses those as bugs). One that a step can bring there
 * goes to the maximum. */
static void test_above_domain_maximum(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(PRESSURE_HOST);
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        plain_vm(&s[0], "small", M(400), M(450), M(300));
        plain_vm(&s[1], "large", M(8192), M(8192) + M(32), M(4096));
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(d[0].status, BD_STATUS_OK);
        assert_int_equal(d[0].action, BD_ACTION_NONE);
        assert_int_equal(d[0].reason, BD_REASON_AT_MAX);
        assert_int_equal(d[1].action, BD_ACTION_SHRINK);
        assert_int_equal(d[1].reason, BD_REASON_ABOVE_MAX);
        assert_int_equal(d[1].target_kib, M(8192));
}

/* ---- size ------------------------------------------------------------------------------ */

static void test_no_vms(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(PRESSURE_HOST);
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_vm_sample s[1];
        struct bd_vm_history h[1];
        struct bd_decision d[1];

        (void)state;
        bd_config_defaults(&c);
        bd_policy_run(&c, &host, s, h, 0, &hs, NOW, WALL, d, &v);
        assert_int_equal(v.band, BD_BAND_PRESSURE);
        assert_int_equal(v.shrink_kib, 0);
        assert_int_equal(v.grow_kib, 0);
}

/* 10,000 VMs of every kind, a few cycles with the balloons following: no
 * crash, every promise kept (no timing asserted). */
static void test_ten_thousand_vms(void **state) {
        enum { N = 10000 };
        struct bd_config cfg;
        struct bd_vm_sample *s = calloc(N, sizeof(*s));
        struct bd_vm_history *h = calloc(N, sizeof(*h));
        struct bd_decision *d = calloc(N, sizeof(*d));
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        uint64_t now = NOW;
        int64_t wall = WALL;
        uint32_t seed = 12345;

        (void)state;
        assert_non_null(s);
        assert_non_null(h);
        assert_non_null(d);
        bd_config_defaults(&cfg);
        add_rule(&cfg, BD_MATCH_NAME, "vm-*7", 0, 0, -1, 1, NULL);
        add_rule(&cfg, BD_MATCH_NAME, "vm-*3", M(2048), 0, 500, -1, NULL);
        for (size_t i = 0; i < N; i++) {
                char name[32];
                uint64_t max_mib = 1024 + 512 * (i % 15), used_mib;
                struct vm_row r = { 0 };

                seed = seed * 1103515245u + 12345u;
                used_mib = 100 + (seed >> 8) % max_mib;
                snprintf(name, sizeof(name), "vm-%zu", i);
                r.name = name;
                r.max_mib = max_mib;
                r.actual_mib = max_mib - (seed >> 4) % (max_mib / 2);
                r.usable_mib = r.actual_mib > used_mib ? r.actual_mib - used_mib : 1;
                r.age_sec = i % 41 == 0 ? 100 : (int64_t)(i % 3);
                r.state = i % 97 == 0 ? BD_RUN_PAUSED : BD_RUN_RUNNING;
                r.flags = i % 89 == 0 ? BD_VM_VFIO : 0;
                r.class_tag = i % 53 == 0 ? "database" : NULL;
                r.usable_mib = i % 61 == 0 ? U : r.usable_mib;
                sample_from_row(&r, i, wall, &s[i]);
        }
        for (int c = 0; c < 4; c++) {
                /* The host: pressure, critical, relaxed, normal. */
                static const double free_pct[] = { 10, 2, 60, 25 };
                struct bd_host_sample host = host_sample(AVAIL(free_pct[c]));

                for (size_t i = 0; i < N; i++)
                        if (s[i].last_update_sec != BD_TIME_UNKNOWN)
                                s[i].last_update_sec = wall - (i % 41 == 0 ? 100 : (int64_t)(i % 3));
                bd_policy_run(&cfg, &host, s, h, N, &hs, now, wall, d, &v);
                assert_int_equal(check_decisions("10,000 VMs", &cfg, s, d, N, &v), 0);
                for (size_t i = 0; i < N; i++) {
                        if (d[i].action == BD_ACTION_NONE)
                                continue;
                        bd_policy_note_applied(&h[i], &d[i], now);
                        if (s[i].usable_kib != BD_KIB_UNKNOWN) {
                                uint64_t used = s[i].actual_kib - MIN_(s[i].usable_kib, s[i].actual_kib);

                                s[i].usable_kib = d[i].target_kib > used ? d[i].target_kib - used : 0;
                                s[i].available_kib = d[i].target_kib;
                                s[i].unused_kib = s[i].usable_kib / 2;
                                s[i].disk_caches_kib = s[i].usable_kib / 2;
                        }
                        s[i].actual_kib = d[i].target_kib;
                }
                now += 20 * SEC;
                wall += 20;
        }
        free(s);
        free(h);
        free(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bands),
                cmocka_unit_test(test_band_helper),
                cmocka_unit_test(test_floors),
                cmocka_unit_test(test_margin_helper),
                cmocka_unit_test(test_guest_pressure),
                cmocka_unit_test(test_sharing),
                cmocka_unit_test(test_rate_limits),
                cmocka_unit_test(test_cooldown),
                cmocka_unit_test(test_exclusions),
                cmocka_unit_test(test_blind),
                cmocka_unit_test(test_stuck),
                cmocka_unit_test(test_host_cap_with_deadband_leftover),
                cmocka_unit_test(test_host_cap_counts_above_max),
                cmocka_unit_test(test_swap_out_holds_above_max_shrink),
                cmocka_unit_test(test_above_max_awaits_fresh_stats),
                cmocka_unit_test(test_stuck_guest_under_pressure_grows),
                cmocka_unit_test(test_pressure_converges),
                cmocka_unit_test(test_budget_converges),
                cmocka_unit_test(test_no_flapping),
                cmocka_unit_test(test_relaxed_deflation_stops_short_of_pressure),
                cmocka_unit_test(test_cooldown_cycles),
                cmocka_unit_test(test_stuck_cycles),
                cmocka_unit_test(test_stuck_with_short_cooldown),
                cmocka_unit_test(test_slow_balloon_is_not_stuck),
                cmocka_unit_test(test_frozen_stats),
                cmocka_unit_test(test_counters_backwards),
                cmocka_unit_test(test_paused_vm_is_not_stuck_when_resumed),
                cmocka_unit_test(test_note_applied),
                cmocka_unit_test(test_note_unsupported),
                cmocka_unit_test(test_stats_insane_helper),
                cmocka_unit_test(test_untouchable),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_huge_maximum_is_not_insane),
                cmocka_unit_test(test_blind_deflate_needs_known_sizes),
                cmocka_unit_test(test_floor_saturates_near_2_64),
                cmocka_unit_test(test_host_numbers_near_2_64),
                cmocka_unit_test(test_fill_above_2_53),
                cmocka_unit_test(test_above_domain_maximum),
                cmocka_unit_test(test_no_vms),
                cmocka_unit_test(test_ten_thousand_vms),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
