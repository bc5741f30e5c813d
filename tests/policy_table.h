/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table-driven harness of the policy tests (test_policy_*.c).
 *
 * Each table row is one situation: a host sample (and the band of the
 * previous cycle), up to MAX_VMS VM samples each with its history, a config
 * tweak, the time, and per VM the expected action, reason, status and
 * target. Expected targets are written with the formulas of the policy
 * (RATE, MARGIN, FLOOR below; docs/POLICY.md, docs/GUEST-SAFETY.md), so a
 * row says why its number is what it is. Every decision of every test goes through
 * check_decisions(), the promises that hold whatever the inputs. */
#ifndef BALLOOND_TESTS_POLICY_TABLE_H
#define BALLOOND_TESTS_POLICY_TABLE_H

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


/* A small host whose balloons follow their targets, driven for several
 * cycles through bd_policy_run(). */
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

/* policy_table.c */
void sample_from_row(const struct vm_row *r, size_t i, int64_t wall, struct bd_vm_sample *s);
struct bd_host_sample host_sample(uint64_t avail_kib);
bool grows_for_guest(const struct bd_decision *d);
int check_decisions(const char *what, const struct bd_config *cfg, const struct bd_vm_sample *s,
                           const struct bd_decision *d, size_t n, const struct bd_host_view *v);
const char *action_name(int a);
const char *reason_name(int r);
int run_row(const struct row *r);
void run_table(const struct row *rows, size_t n_rows);
#define RUN_TABLE(t) run_table((t), N_ELEMS(t))

void no_reserve(struct bd_config *c);
void budget_10g(struct bd_config *c);
void budget_100g(struct bd_config *c);
void hysteresis_5(struct bd_config *c);
void min_3g(struct bd_config *c);
void min_8g(struct bd_config *c);
void rule_capped(struct bd_config *c);
void rule_pinned(struct bd_config *c);
void rule_tight(struct bd_config *c);
void cap_90m(struct bd_config *c);
void cap_90m_tax_0(struct bd_config *c);
void cap_90m_tax_50(struct bd_config *c);
void cap_90m_gold_shares(struct bd_config *c);
void gold_shares(struct bd_config *c);
void cap_100m(struct bd_config *c);
void cap_300m(struct bd_config *c);
void cap_350m(struct bd_config *c);
void swap_in_grow_1g(struct bd_config *c);
void faults_50(struct bd_config *c);
void cooldown_60(struct bd_config *c);
void cooldown_0(struct bd_config *c);
void exclusion_rules(struct bd_config *c);
void no_age_check(struct bd_config *c);
void slack_20(struct bd_config *c);
void blind_deflate(struct bd_config *c);
void entitled_2g(struct bd_vm_sample *s);
void period_10(struct bd_vm_sample *s);
void period_0(struct bd_vm_sample *s);
void usable_above_total(struct bd_vm_sample *s);
void unused_above_total(struct bd_vm_sample *s);
void cache_above_size(struct bd_vm_sample *s);
void usable_above_size(struct bd_vm_sample *s);
void total_above_max(struct bd_vm_sample *s);
void counters_unknown(struct bd_vm_sample *s);
void everything_unknown(struct bd_vm_sample *s);
void period_unknown(struct bd_vm_sample *s);
void world_init(struct world *w, uint64_t interval_sec);
size_t world_add(struct world *w, const char *name, uint64_t max_mib, uint64_t actual_mib,
                        uint64_t used_mib);
uint64_t world_vm_total(const struct world *w);
void world_set_free(struct world *w, uint64_t free_kib);
void world_observe(struct world *w);
void world_cycle(struct world *w);

#endif
