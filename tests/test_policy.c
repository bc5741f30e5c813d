/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy, table-driven: one row (or one multi-cycle test) per
 * requirement of DESIGN.md's "Policy requirements". Every decision of every
 * test also passes the invariant check. Sizes in the tables are MiB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/policy.h"

#define MIB 1024ULL
#define SEC 1000000ULL
#define NOW_USEC (100000 * SEC)
#define WALL 1790000000LL
#define TOTAL_MIB 65536 /* host RAM in these tests */
#define ANY UINT64_MAX  /* "do not check" */
#define MAXVM 4

/* Host free memory (after the 1 GiB reserve) as a share of 64 GiB. */
#define AVAIL_FOR_PCT(p) ((uint64_t)(1024 + TOTAL_MIB * (p) / 100))

struct vm_in {
        const char *name;
        uint64_t max_mib, actual_mib, usable_mib; /* usable 0: unknown */
        enum bd_run_state state;
        unsigned flags;
        const char *class_tag;
        int64_t age_sec; /* last-update this long ago; -1 never, negative: from the future */
};

struct vm_want {
        enum bd_action action;
        enum bd_reason reason;
        enum bd_vm_status status;
        uint64_t target_mib; /* ANY: not checked */
};

struct row {
        const char *what;
        uint64_t avail_mib;
        double psi_full_pct; /* < 0: no PSI */
        void (*tweak)(struct bd_config *c);
        struct vm_in vms[MAXVM];
        struct vm_want want[MAXVM];
        enum bd_band band;
};

static void sample_from(const struct vm_in *in, struct bd_vm_sample *s, size_t i) {
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "%s", in->name);
        snprintf(s->uuid, sizeof(s->uuid), "00000000-0000-4000-8000-%012zu", i + 1);
        if (in->class_tag)
                snprintf(s->class_tag, sizeof(s->class_tag), "%s", in->class_tag);
        s->state = in->state;
        s->flags = in->flags;
        s->max_kib = in->max_mib * MIB;
        s->actual_kib = in->actual_mib * MIB;
        if (in->usable_mib) {
                s->usable_kib = in->usable_mib * MIB;
                s->available_kib = s->actual_kib - 40 * MIB;
                s->unused_kib = s->usable_kib / 2;
                s->disk_caches_kib = s->usable_kib / 2;
        }
        s->swap_in_kib = s->swap_out_kib = s->major_faults = 0;
        s->last_update_sec = in->age_sec == -1 ? BD_TIME_UNKNOWN : WALL - in->age_sec;
        s->stats_period_sec = 2;
}

static struct bd_host_sample host_with(uint64_t avail_mib, double psi) {
        struct bd_host_sample h = {
                .mem_total_kib = TOTAL_MIB * MIB,
                .mem_available_kib = avail_mib * MIB,
                .psi_valid = psi >= 0,
                .psi_full_avg10_pct = psi >= 0 ? psi : 0,
        };
        return h;
}

/* Promises every decision keeps, whatever the inputs. */
static void check_invariants(const struct bd_vm_sample *s, const struct bd_decision *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (d[i].action == BD_ACTION_NONE) {
                        assert_int_equal(d[i].target_kib, d[i].actual_kib);
                        continue;
                }
                /* Only OK VMs change, and blind ones may only grow (deflate). */
                if (d[i].status == BD_STATUS_BLIND)
                        assert_int_equal(d[i].action, BD_ACTION_GROW);
                else
                        assert_int_equal(d[i].status, BD_STATUS_OK);
                assert_true(d[i].target_kib <= s[i].max_kib);
                if (d[i].action == BD_ACTION_SHRINK) {
                        /* (from above a rule's maximum it walks down toward it) */
                        assert_true(d[i].target_kib < d[i].actual_kib);
                        assert_true(d[i].target_kib >= d[i].floor_kib);
                } else {
                        assert_true(d[i].target_kib > d[i].actual_kib);
                        assert_true(d[i].target_kib <= d[i].max_kib);
                }
        }
}

static void run_row(const struct row *r) {
        struct bd_config cfg;
        struct bd_vm_sample s[MAXVM];
        struct bd_vm_history h[MAXVM];
        struct bd_decision d[MAXVM];
        struct bd_host_state hs = { 0 };
        struct bd_host_view view;
        struct bd_host_sample host = host_with(r->avail_mib, r->psi_full_pct);
        size_t n = 0;

        bd_config_defaults(&cfg);
        if (r->tweak)
                r->tweak(&cfg);
        memset(h, 0, sizeof(h));
        while (n < MAXVM && r->vms[n].name) {
                sample_from(&r->vms[n], &s[n], n);
                n++;
        }
        bd_policy_run(&cfg, &host, s, h, n, &hs, NOW_USEC, WALL, d, &view);
        if (view.band != r->band) {
                print_error("%s: band %s, expected %s\n", r->what, bd_band_to_string(view.band),
                            bd_band_to_string(r->band));
                fail();
        }
        for (size_t i = 0; i < n; i++) {
                const struct vm_want *w = &r->want[i];
                bool ok = d[i].action == w->action && d[i].reason == w->reason && d[i].status == w->status &&
                          (w->target_mib == ANY || d[i].target_kib / MIB == w->target_mib);

                if (!ok) {
                        print_error("%s: %s: got %s/%s/%s target %llu MiB, expected %s/%s/%s target %llu\n",
                                    r->what, r->vms[i].name, bd_action_to_string(d[i].action),
                                    bd_reason_to_string(d[i].reason), bd_status_to_string(d[i].status),
                                    (unsigned long long)(d[i].target_kib / MIB), bd_action_to_string(w->action),
                                    bd_reason_to_string(w->reason), bd_status_to_string(w->status),
                                    (unsigned long long)w->target_mib);
                        fail();
                }
        }
        check_invariants(s, d, n);
}

static void no_age_check(struct bd_config *c) {
        c->check_stats_age = false;
}
static void blind_deflate(struct bd_config *c) {
        c->blind_action = BD_BLIND_DEFLATE;
}
static void budget_10g(struct bd_config *c) {
        c->vm_budget_kib = 10240 * MIB;
}
static void cap_100m(struct bd_config *c) {
        c->host_shrink_cap_kib = 100 * MIB;
}
static void rules(struct bd_config *c) {
        struct bd_rule r = { .kind = BD_MATCH_NAME, .shares = -1, .exclude = -1 };

        snprintf(r.match, sizeof(r.match), "skip-*");
        r.exclude = 1;
        c->rules[c->n_rules++] = r;
        r.exclude = -1;
        r.kind = BD_MATCH_UUID;
        snprintf(r.match, sizeof(r.match), "00000000-0000-4000-8000-000000000002");
        r.exclude = 1;
        c->rules[c->n_rules++] = r;
        r.kind = BD_MATCH_NAME;
        r.exclude = -1;
        snprintf(r.match, sizeof(r.match), "capped");
        r.max_kib = 3072 * MIB;
        c->rules[c->n_rules++] = r;
        snprintf(r.match, sizeof(r.match), "pinned-min");
        r.max_kib = 0;
        r.min_kib = 3072 * MIB;
        c->rules[c->n_rules++] = r;
}
static void rule_max_below_floor(struct bd_config *c) {
        struct bd_rule r = { .kind = BD_MATCH_NAME, .shares = -1, .exclude = -1 };

        snprintf(r.match, sizeof(r.match), "tight");
        r.max_kib = 1024 * MIB;
        c->rules[c->n_rules++] = r;
}

#define RUNNING BD_RUN_RUNNING
#define VM(n, max, act, usable) { n, max, act, usable, RUNNING, 0, NULL, 1 }
#define WANT(a, r, s, t) { BD_ACTION_##a, BD_REASON_##r, BD_STATUS_##s, t }

static const struct row rows[] = {
        /* Host bands and what each does. */
        { "ideal host balloons nothing", 40000, -1, NULL,
          { VM("a", 4096, 4096, 3000) }, { WANT(NONE, AT_MAX, OK, 4096) }, BD_BAND_RELAXED },
        { "relaxed host deflates toward the maximum", 40000, -1, NULL,
          { VM("a", 4096, 2048, 1500) }, { WANT(GROW, HOST_RELAXED, OK, 4096) }, BD_BAND_RELAXED },
        { "normal band: nothing reclaimed, nothing deflated", AVAIL_FOR_PCT(25), -1, NULL,
          { VM("a", 4096, 2048, 1500) }, { WANT(NONE, STEADY, OK, 2048) }, BD_BAND_NORMAL },
        { "pressure: idle memory reclaimed at 5 % per cycle", AVAIL_FOR_PCT(10), -1, NULL,
          { VM("a", 4096, 4096, 3072) }, { WANT(SHRINK, HOST_PRESSURE, OK, 3891) }, BD_BAND_PRESSURE },
        { "critical: twice the rate", AVAIL_FOR_PCT(2), -1, NULL,
          { VM("a", 4096, 4096, 3072) }, { WANT(SHRINK, HOST_CRITICAL, OK, 3686) }, BD_BAND_CRITICAL },
        { "PSI full avg10 >= 10 % escalates to critical", AVAIL_FOR_PCT(25), 12.5, NULL,
          { VM("a", 4096, 4096, 3072) }, { WANT(SHRINK, HOST_CRITICAL, OK, 3686) }, BD_BAND_CRITICAL },
        { "PSI below its threshold changes nothing", AVAIL_FOR_PCT(25), 9.0, NULL,
          { VM("a", 4096, 4096, 3072) }, { WANT(NONE, STEADY, OK, 4096) }, BD_BAND_NORMAL },
        { "VM budget binds before RAM", 40000, -1, budget_10g,
          { VM("a", 8192, 8192, 6000), VM("b", 4096, 4096, 3000) },
          { WANT(SHRINK, HOST_CRITICAL, OK, ANY), WANT(SHRINK, HOST_CRITICAL, OK, ANY) }, BD_BAND_CRITICAL },
        { "reserve is subtracted: 20.5 % free of RAM is < 20 % after it", (uint64_t)(TOTAL_MIB * 0.205), -1, NULL,
          { VM("a", 4096, 4096, 3072) }, { WANT(SHRINK, HOST_PRESSURE, OK, 3891) }, BD_BAND_PRESSURE },

        /* Floors. */
        { "at its floor: used + max(20 %, 256 MiB)", AVAIL_FOR_PCT(10), -1, NULL,
          { VM("a", 4096, 1536, 256) }, { WANT(NONE, AT_FLOOR, OK, 1536) }, BD_BAND_PRESSURE },
        { "shrink stops at the floor", AVAIL_FOR_PCT(10), -1, NULL,
          { VM("a", 4096, 1600, 300) }, { WANT(SHRINK, HOST_PRESSURE, OK, 1560) }, BD_BAND_PRESSURE },
        { "a 16 GiB VM gives at most 256 MiB a cycle", AVAIL_FOR_PCT(10), -1, NULL,
          { VM("a", 16384, 16384, 12000) }, { WANT(SHRINK, HOST_PRESSURE, OK, 16128) }, BD_BAND_PRESSURE },

        /* Guest pressure. */
        { "guest low on free memory grows at once, even under pressure", AVAIL_FOR_PCT(10), -1, NULL,
          { VM("a", 4096, 2048, 100) }, { WANT(GROW, GUEST_LOW_FREE, OK, 2727) }, BD_BAND_PRESSURE },
        { "... and is capped at its maximum", AVAIL_FOR_PCT(10), -1, NULL,
          { VM("a", 2200, 2048, 100) }, { WANT(GROW, GUEST_LOW_FREE, OK, 2200) }, BD_BAND_PRESSURE },
        { "... at its maximum it stays", AVAIL_FOR_PCT(10), -1, NULL,
          { VM("a", 2048, 2048, 100) }, { WANT(NONE, AT_MAX, OK, 2048) }, BD_BAND_PRESSURE },
        { "... the memory comes from an idle VM in the same cycle", AVAIL_FOR_PCT(21), -1, NULL,
          { VM("needy", 4096, 2048, 100), VM("idle", 8192, 8192, 7000) },
          { WANT(GROW, GUEST_LOW_FREE, OK, 2727), WANT(SHRINK, HOST_PRESSURE, OK, 7936) }, BD_BAND_NORMAL },

        /* Sharing and limits. */
        { "host cap limits the whole cycle (100 MiB, shared)", AVAIL_FOR_PCT(10), -1, cap_100m,
          { VM("a", 4096, 4096, 3072), VM("b", 4096, 4096, 3072) },
          { WANT(SHRINK, HOST_PRESSURE, OK, 4046), WANT(SHRINK, HOST_PRESSURE, OK, 4046) }, BD_BAND_PRESSURE },

        /* Exclusions: never touched, whatever the pressure. */
        { "excluded: config rule by name glob", AVAIL_FOR_PCT(2), -1, rules,
          { VM("skip-me", 4096, 4096, 3000) }, { WANT(NONE, EXCLUDED_CONFIG, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: config rule by UUID", AVAIL_FOR_PCT(2), -1, rules,
          { VM("first", 4096, 4096, 3000), VM("by-uuid", 4096, 4096, 3000) },
          { WANT(SHRINK, HOST_CRITICAL, OK, ANY), WANT(NONE, EXCLUDED_CONFIG, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: class database (from metadata)", AVAIL_FOR_PCT(2), -1, NULL,
          { { "pg", 4096, 4096, 3000, RUNNING, 0, "database", 1 } },
          { WANT(NONE, EXCLUDED_CLASS, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: metadata tag", AVAIL_FOR_PCT(2), -1, NULL,
          { { "t", 4096, 4096, 3000, RUNNING, BD_VM_TAG_EXCLUDE, NULL, 1 } },
          { WANT(NONE, EXCLUDED_METADATA, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: no balloon device", AVAIL_FOR_PCT(2), -1, NULL,
          { { "nb", 4096, 4096, 3000, RUNNING, BD_VM_NO_BALLOON, NULL, 1 } },
          { WANT(NONE, NO_BALLOON, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: VFIO host device", AVAIL_FOR_PCT(2), -1, NULL,
          { { "gpu", 4096, 4096, 3000, RUNNING, BD_VM_VFIO, NULL, 1 } },
          { WANT(NONE, VFIO, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: locked memory", AVAIL_FOR_PCT(2), -1, NULL,
          { { "rt", 4096, 4096, 3000, RUNNING, BD_VM_LOCKED, NULL, 1 } },
          { WANT(NONE, LOCKED_MEMORY, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: hugepages", AVAIL_FOR_PCT(2), -1, NULL,
          { { "hp", 4096, 4096, 3000, RUNNING, BD_VM_HUGEPAGES, NULL, 1 } },
          { WANT(NONE, HUGEPAGES, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: paused", AVAIL_FOR_PCT(2), -1, NULL,
          { { "p", 4096, 4096, 3000, BD_RUN_PAUSED, 0, NULL, 1 } },
          { WANT(NONE, PAUSED, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: migrating", AVAIL_FOR_PCT(2), -1, NULL,
          { { "m", 4096, 4096, 3000, BD_RUN_MIGRATING, 0, NULL, 1 } },
          { WANT(NONE, MIGRATING, EXCLUDED, 4096) }, BD_BAND_CRITICAL },
        { "excluded: shut off", AVAIL_FOR_PCT(2), -1, NULL,
          { { "off", 4096, 0, 0, BD_RUN_SHUTOFF, 0, NULL, -1 } },
          { WANT(NONE, SHUT_OFF, EXCLUDED, 0) }, BD_BAND_CRITICAL },
        { "excluded: unsupported by the hypervisor", AVAIL_FOR_PCT(2), -1, NULL,
          { { "u", 4096, 4096, 3000, RUNNING, BD_VM_UNSUPPORTED, NULL, 1 } },
          { WANT(NONE, UNSUPPORTED, EXCLUDED, 4096) }, BD_BAND_CRITICAL },

        /* Blind VMs: never shrunk. */
        { "blind: never reported", AVAIL_FOR_PCT(2), -1, NULL,
          { VM("n", 4096, 4096, 0) }, { WANT(NONE, STATS_NEVER, BLIND, 4096) }, BD_BAND_CRITICAL },
        { "blind: no last-update", AVAIL_FOR_PCT(2), -1, NULL,
          { { "n", 4096, 4096, 3000, RUNNING, 0, NULL, -1 } },
          { WANT(NONE, STATS_NEVER, BLIND, 4096) }, BD_BAND_CRITICAL },
        { "blind: stale (20 s > 3 x 2 s + 5 s)", AVAIL_FOR_PCT(2), -1, NULL,
          { { "s", 4096, 4096, 3000, RUNNING, 0, NULL, 20 } },
          { WANT(NONE, STATS_STALE, BLIND, 4096) }, BD_BAND_CRITICAL },
        { "fresh enough: 10 s", AVAIL_FOR_PCT(2), -1, NULL,
          { { "s", 4096, 4096, 3000, RUNNING, 0, NULL, 10 } },
          { WANT(SHRINK, HOST_CRITICAL, OK, 3686) }, BD_BAND_CRITICAL },
        { "check_stats_age = false ignores the age", AVAIL_FOR_PCT(2), -1, no_age_check,
          { { "s", 4096, 4096, 3000, RUNNING, 0, NULL, 100000 } },
          { WANT(SHRINK, HOST_CRITICAL, OK, 3686) }, BD_BAND_CRITICAL },
        { "blind: a report from the future", AVAIL_FOR_PCT(2), -1, NULL,
          { { "f", 4096, 4096, 3000, RUNNING, 0, NULL, -3600 } },
          { WANT(NONE, STATS_INVALID, BLIND, 4096) }, BD_BAND_CRITICAL },
        /* ... within the room above the pressure edge: (25 % - 22 %) of 64 GiB. */
        { "blind_action = deflate gives memory back outside pressure", AVAIL_FOR_PCT(25), -1, blind_deflate,
          { { "s", 4096, 2048, 1500, RUNNING, 0, NULL, 60 } },
          { WANT(GROW, BLIND_DEFLATE, BLIND, 4014) }, BD_BAND_NORMAL },
        { "blind_action = deflate holds under pressure", AVAIL_FOR_PCT(10), -1, blind_deflate,
          { { "s", 4096, 2048, 1500, RUNNING, 0, NULL, 60 } },
          { WANT(NONE, STATS_STALE, BLIND, 2048) }, BD_BAND_PRESSURE },

        /* Per-VM rules. */
        { "above a rule's maximum: shrink toward it, whatever the band", 40000, -1, rules,
          { VM("capped", 4096, 4096, 3000) }, { WANT(SHRINK, ABOVE_MAX, OK, 3891) }, BD_BAND_RELAXED },
        { "below a rule's minimum: grow to it", AVAIL_FOR_PCT(10), -1, rules,
          { VM("pinned-min", 4096, 2048, 1800) }, { WANT(GROW, BELOW_MIN, OK, 3072) }, BD_BAND_PRESSURE },
        /* tight: max_mib 1024, but it uses 1048 MiB: floor 1304 */
        { "a rule's maximum below the floor: walk down toward the floor", AVAIL_FOR_PCT(10), -1,
          rule_max_below_floor, { VM("tight", 4096, 2048, 1000) }, { WANT(SHRINK, ABOVE_MAX, OK, 1945) },
          BD_BAND_PRESSURE },
        { "a rule's maximum below the floor: the floor wins", AVAIL_FOR_PCT(10), -1, rule_max_below_floor,
          { VM("tight", 4096, 1304, 256) }, { WANT(NONE, AT_FLOOR, OK, 1304) }, BD_BAND_PRESSURE },
};

static void test_rows(void **state) {
        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                if (getenv("DEBUG_ROWS"))
                        print_message("row: %s\n", rows[i].what);
                run_row(&rows[i]);
        }
}

/* ---- multi-cycle tests ------------------------------------------------------ */

struct world {
        struct bd_config cfg;
        struct bd_vm_sample s[MAXVM];
        struct bd_vm_history h[MAXVM];
        struct bd_decision d[MAXVM];
        struct bd_host_state hs;
        struct bd_host_view view;
        struct bd_host_sample host;
        size_t n;
        uint64_t now;
        int64_t wall;
};

static void world_init(struct world *w, uint64_t avail_mib) {
        memset(w, 0, sizeof(*w));
        bd_config_defaults(&w->cfg);
        w->host = host_with(avail_mib, -1);
        w->now = NOW_USEC;
        w->wall = WALL;
}

static size_t world_add(struct world *w, const char *name, uint64_t max_mib, uint64_t actual_mib,
                        uint64_t usable_mib) {
        struct vm_in in = VM(name, max_mib, actual_mib, usable_mib);

        sample_from(&in, &w->s[w->n], w->n);
        w->s[w->n].last_update_sec = w->wall;
        return w->n++;
}

/* One cycle; APPLY: the hypervisor follows every decision at once. */
static void world_cycle(struct world *w, bool apply) {
        for (size_t i = 0; i < w->n; i++)
                w->s[i].last_update_sec = w->wall;
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        check_invariants(w->s, w->d, w->n);
        for (size_t i = 0; apply && i < w->n; i++) {
                if (w->d[i].action == BD_ACTION_NONE)
                        continue;
                bd_policy_note_applied(&w->h[i], &w->d[i], w->now);
                /* The guest's free memory moves with its balloon. */
                if (w->d[i].target_kib > w->s[i].actual_kib)
                        w->s[i].usable_kib += w->d[i].target_kib - w->s[i].actual_kib;
                else
                        w->s[i].usable_kib -= w->s[i].actual_kib - w->d[i].target_kib;
                w->s[i].actual_kib = w->d[i].target_kib;
        }
}

static void world_tick(struct world *w, uint64_t sec) {
        w->now += sec * SEC;
        w->wall += (int64_t)sec;
}

static void test_hysteresis(void **state) {
        struct bd_config c;

        (void)state;
        bd_config_defaults(&c);
        /* Worse at once. */
        assert_int_equal(bd_policy_band(&c, 19.9, BD_BAND_NORMAL, true), BD_BAND_PRESSURE);
        assert_int_equal(bd_policy_band(&c, 4.9, BD_BAND_NORMAL, true), BD_BAND_CRITICAL);
        /* Better only 2 points past the edge. */
        assert_int_equal(bd_policy_band(&c, 21.0, BD_BAND_PRESSURE, true), BD_BAND_PRESSURE);
        assert_int_equal(bd_policy_band(&c, 22.5, BD_BAND_PRESSURE, true), BD_BAND_NORMAL);
        assert_int_equal(bd_policy_band(&c, 6.0, BD_BAND_CRITICAL, true), BD_BAND_CRITICAL);
        assert_int_equal(bd_policy_band(&c, 7.5, BD_BAND_CRITICAL, true), BD_BAND_PRESSURE);
        assert_int_equal(bd_policy_band(&c, 31.0, BD_BAND_NORMAL, true), BD_BAND_NORMAL);
        assert_int_equal(bd_policy_band(&c, 32.5, BD_BAND_NORMAL, true), BD_BAND_RELAXED);
        /* From critical straight to relaxed when far enough. */
        assert_int_equal(bd_policy_band(&c, 50.0, BD_BAND_CRITICAL, true), BD_BAND_RELAXED);
        /* No history: the raw band. */
        assert_int_equal(bd_policy_band(&c, 21.0, BD_BAND_CRITICAL, false), BD_BAND_NORMAL);
}

/* Reclaim is shared by (active + 4 x idle) / shares. */
static void test_sharing_by_weight(void **state) {
        struct world w;
        size_t a, b, c;
        double ra, rb;

        (void)state;
        world_init(&w, AVAIL_FOR_PCT(19));
        w.cfg.host_shrink_cap_kib = 90 * MIB; /* below every VM's limit: the weights decide */
        a = world_add(&w, "idle", 8192, 8192, 7168);  /* used 1024, idle 7168 */
        b = world_add(&w, "busy", 8192, 8192, 2048);  /* used 6144, idle 2048 */
        c = world_add(&w, "floor", 4096, 1300, 256);  /* at its floor */
        world_cycle(&w, false);
        assert_int_equal(w.d[c].action, BD_ACTION_NONE);
        assert_int_equal(w.d[c].reason, BD_REASON_AT_FLOOR);
        ra = (double)(w.d[a].actual_kib - w.d[a].target_kib);
        rb = (double)(w.d[b].actual_kib - w.d[b].target_kib);
        /* weights: idle (1024 + 4 x 7168) = 29696, busy (6144 + 4 x 2048) = 14336 */
        if (!(ra / rb > 29696.0 / 14336.0 - 0.05 && ra / rb < 29696.0 / 14336.0 + 0.05))
                print_error("idle gave %.1f MiB, busy %.1f MiB\n", ra / MIB, rb / MIB);
        assert_true(ra / rb > 29696.0 / 14336.0 - 0.05 && ra / rb < 29696.0 / 14336.0 + 0.05);
        assert_true(ra + rb <= 90 * MIB && ra + rb >= 89 * MIB);

        /* Twice the shares: half the weight. */
        world_init(&w, AVAIL_FOR_PCT(19));
        w.cfg.host_shrink_cap_kib = 90 * MIB;
        w.cfg.rules[0] = (struct bd_rule){ .kind = BD_MATCH_NAME, .match = "gold", .shares = 2000, .exclude = -1 };
        w.cfg.n_rules = 1;
        a = world_add(&w, "gold", 8192, 8192, 4096);
        b = world_add(&w, "bronze", 8192, 8192, 4096);
        world_cycle(&w, false);
        ra = (double)(w.d[a].actual_kib - w.d[a].target_kib);
        rb = (double)(w.d[b].actual_kib - w.d[b].target_kib);
        assert_true(rb / ra > 1.95 && rb / ra < 2.05);
}

/* Tiny shares are not made; their sum goes to one VM above the deadband. */
static void test_deadband(void **state) {
        struct world w;
        int shrunk = 0;
        uint64_t total = 0;

        (void)state;
        /* The goal (22 %) is 20 MiB away. */
        world_init(&w, (uint64_t)(1024 + TOTAL_MIB * 0.22 - 20) + 0);
        w.hs.band = BD_BAND_PRESSURE;
        w.hs.seen = true;
        for (int i = 0; i < 4; i++)
                world_add(&w, "v", 4096, 4096, 3072);
        world_cycle(&w, false);
        for (size_t i = 0; i < w.n; i++) {
                if (w.d[i].action == BD_ACTION_SHRINK) {
                        shrunk++;
                        total += w.d[i].actual_kib - w.d[i].target_kib;
                        assert_true(w.d[i].actual_kib - w.d[i].target_kib >= 16 * MIB);
                }
        }
        assert_int_equal(shrunk, 1);
        assert_true(total >= 16 * MIB && total <= 21 * MIB);
}

static void test_cooldown_and_grow_hold(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, AVAIL_FOR_PCT(10));
        a = world_add(&w, "a", 8192, 4096, 3072);
        world_cycle(&w, true);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        world_tick(&w, 5);
        world_cycle(&w, true);
        assert_int_equal(w.d[a].reason, BD_REASON_COOLDOWN);
        world_tick(&w, 11);
        world_cycle(&w, true);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);

        /* A guest-pressure grow ignores the cooldown ... */
        world_tick(&w, 1);
        w.s[a].usable_kib = 100 * MIB;
        world_cycle(&w, true);
        assert_int_equal(w.d[a].action, BD_ACTION_GROW);
        assert_int_equal(w.d[a].reason, BD_REASON_GUEST_LOW_FREE);
        /* used + 2 x 20 % of used */
        assert_int_equal(w.d[a].target_kib, w.d[a].used_kib + 2 * (w.d[a].used_kib / 5));
        /* ... and no shrink follows it for grow_hold_sec (60 s), though the
         * host is still under pressure. */
        for (int t = 0; t < 55; t += 5) {
                world_tick(&w, 5);
                world_cycle(&w, true);
                assert_int_not_equal(w.d[a].action, BD_ACTION_SHRINK);
        }
        world_tick(&w, 10);
        world_cycle(&w, true);
        if (w.d[a].action != BD_ACTION_SHRINK)
                print_error("after grow hold: %s %s\n", bd_action_to_string(w.d[a].action),
                            bd_reason_to_string(w.d[a].reason));
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
}

/* Frozen statistics look fresh for a while: after a change, no shrink until
 * a report newer than the one that change was decided on. */
static void test_await_fresh_stats(void **state) {
        struct world w;
        size_t a;
        int64_t frozen;

        (void)state;
        world_init(&w, AVAIL_FOR_PCT(10));
        w.cfg.cooldown_usec = 0;
        a = world_add(&w, "a", 4096, 4096, 3072);
        world_cycle(&w, true);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        frozen = w.s[a].last_update_sec;
        world_tick(&w, 2);
        /* The same report again (the guest stopped reporting 2 s ago). */
        bd_policy_run(&w.cfg, &w.host, w.s, w.h, w.n, &w.hs, w.now, w.wall, w.d, &w.view);
        assert_int_equal(w.s[a].last_update_sec, frozen);
        assert_int_equal(w.d[a].action, BD_ACTION_NONE);
        assert_int_equal(w.d[a].reason, BD_REASON_AWAIT_STATS);
        /* A newer report: shrinking may go on. */
        world_tick(&w, 1);
        world_cycle(&w, true);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
}

static void test_swap_and_faults(void **state) {
        struct world w;
        size_t a, b, c;

        (void)state;
        world_init(&w, AVAIL_FOR_PCT(10));
        a = world_add(&w, "swapin", 8192, 4096, 3000);
        b = world_add(&w, "swapout", 8192, 4096, 3000);
        c = world_add(&w, "faults", 8192, 4096, 3000);
        world_cycle(&w, false);
        world_tick(&w, 5);
        w.s[a].swap_in_kib = 1024;
        w.s[b].swap_out_kib = 4096;
        w.s[c].major_faults = 5 * 300; /* 300/s > 200/s */
        world_cycle(&w, false);
        assert_int_equal(w.d[a].action, BD_ACTION_GROW);
        assert_int_equal(w.d[a].reason, BD_REASON_GUEST_SWAP_IN);
        assert_true(w.d[a].target_kib >= w.d[a].actual_kib + 256 * MIB);
        assert_int_equal(w.d[b].action, BD_ACTION_NONE);
        assert_int_equal(w.d[b].reason, BD_REASON_GUEST_SWAP_OUT);
        assert_int_equal(w.d[c].action, BD_ACTION_GROW);
        assert_int_equal(w.d[c].reason, BD_REASON_GUEST_MAJOR_FAULTS);

        /* A slow trickle of faults is not pressure. */
        world_tick(&w, 5);
        w.s[c].major_faults += 5 * 100;
        world_cycle(&w, false);
        assert_int_not_equal(w.d[c].reason, BD_REASON_GUEST_MAJOR_FAULTS);
}

static void test_counters_backwards(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, AVAIL_FOR_PCT(10));
        a = world_add(&w, "a", 4096, 4096, 3000);
        w.s[a].swap_out_kib = 5000;
        world_cycle(&w, false);
        world_tick(&w, 5);
        w.s[a].swap_out_kib = 10;
        world_cycle(&w, false);
        assert_int_equal(w.d[a].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[a].reason, BD_REASON_STATS_INVALID);
        /* Next cycle the new counters are the baseline again. */
        world_tick(&w, 5);
        world_cycle(&w, false);
        assert_int_equal(w.d[a].status, BD_STATUS_OK);
}

static void test_insane_reports(void **state) {
        struct bd_vm_sample s;
        struct vm_in in = VM("x", 4096, 4096, 3000);

        (void)state;
        sample_from(&in, &s, 0);
        assert_null(bd_policy_stats_insane(&s, NULL));
        s.usable_kib = s.available_kib + 1;
        assert_non_null(bd_policy_stats_insane(&s, NULL));
        sample_from(&in, &s, 0);
        s.disk_caches_kib = s.actual_kib * 2;
        assert_non_null(bd_policy_stats_insane(&s, NULL));
        sample_from(&in, &s, 0);
        s.unused_kib = s.available_kib + MIB;
        assert_non_null(bd_policy_stats_insane(&s, NULL));
        sample_from(&in, &s, 0);
        s.available_kib = s.max_kib * 2;
        assert_non_null(bd_policy_stats_insane(&s, NULL));
        sample_from(&in, &s, 0);
        s.max_kib = BD_KIB_UNKNOWN;
        assert_non_null(bd_policy_stats_insane(&s, NULL));
}

static void test_stuck(void **state) {
        struct world w;
        size_t a, b;
        uint64_t a_size;

        (void)state;
        world_init(&w, AVAIL_FOR_PCT(10));
        a = world_add(&w, "stuck", 4096, 4096, 3072);
        b = world_add(&w, "other", 4096, 4096, 3072);
        w.cfg.cooldown_usec = 0;
        world_cycle(&w, false);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        bd_policy_note_applied(&w.h[a], &w.d[a], w.now); /* set, but it will never move */
        bd_policy_note_applied(&w.h[b], &w.d[b], w.now);
        w.s[b].actual_kib = w.d[b].target_kib;
        w.s[b].usable_kib -= w.d[b].actual_kib - w.d[b].target_kib;
        a_size = w.s[a].actual_kib;
        world_tick(&w, 5);
        world_cycle(&w, false);
        assert_int_not_equal(w.d[a].status, BD_STATUS_STUCK);
        world_tick(&w, 5);
        world_cycle(&w, true);
        assert_int_equal(w.d[a].status, BD_STATUS_STUCK);
        assert_int_equal(w.d[a].reason, BD_REASON_STUCK);
        assert_int_equal(w.d[a].action, BD_ACTION_NONE);
        /* The others give in its place. */
        assert_int_equal(w.d[b].action, BD_ACTION_SHRINK);
        /* Left alone until stuck_retry_sec (300 s) has passed. */
        for (int t = 0; t < 290; t += 10) {
                world_tick(&w, 10);
                w.s[a].actual_kib = a_size;
                world_cycle(&w, true);
                assert_int_equal(w.d[a].status, BD_STATUS_STUCK);
        }
        world_tick(&w, 20);
        world_cycle(&w, false);
        assert_int_not_equal(w.d[a].status, BD_STATUS_STUCK);
}

static void test_moving_balloon_is_not_stuck(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, AVAIL_FOR_PCT(10));
        a = world_add(&w, "slow", 4096, 4096, 3072);
        w.cfg.cooldown_usec = 60 * SEC;
        world_cycle(&w, false);
        bd_policy_note_applied(&w.h[a], &w.d[a], w.now);
        /* It moves 32 MiB every 5 s toward a 204 MiB smaller target. */
        for (int t = 0; t < 30; t += 5) {
                world_tick(&w, 5);
                w.s[a].actual_kib -= 32 * MIB;
                world_cycle(&w, false);
                assert_int_not_equal(w.d[a].status, BD_STATUS_STUCK);
        }
}

/* Pressure that needs several VMs' worth of memory is met within a bounded
 * number of cycles, with no flapping on the way. */
static void test_convergence(void **state) {
        struct world w;
        uint64_t vm_total_start = 0, vm_total, prev[MAXVM];
        int cycles;

        (void)state;
        world_init(&w, 20000);
        w.cfg.vm_budget_kib = 14336 * MIB; /* 14 GiB for 16 GiB of VMs */
        for (int i = 0; i < 4; i++)
                world_add(&w, "v", 4096, 4096, 3072);
        for (size_t i = 0; i < w.n; i++)
                vm_total_start += w.s[i].actual_kib;
        for (cycles = 0; cycles < 100; cycles++) {
                for (size_t i = 0; i < w.n; i++)
                        prev[i] = w.s[i].actual_kib;
                world_cycle(&w, true);
                for (size_t i = 0; i < w.n; i++)
                        assert_true(w.s[i].actual_kib <= prev[i]); /* never grows back meanwhile */
                if (w.view.band <= BD_BAND_NORMAL)
                        break;
                if (getenv("DEBUG_CONVERGENCE"))
                        print_message("cycle %d: band %s free %.4f%% goal %lld KiB: %s %s %s %s\n", cycles,
                                      bd_band_to_string(w.view.band), w.view.free_pct,
                                      (long long)w.view.reclaim_goal_kib, bd_reason_to_string(w.d[0].reason),
                                      bd_reason_to_string(w.d[1].reason), bd_reason_to_string(w.d[2].reason),
                                      bd_reason_to_string(w.d[3].reason));
                world_tick(&w, 5);
        }
        vm_total = 0;
        for (size_t i = 0; i < w.n; i++)
                vm_total += w.s[i].actual_kib;
        /* Out of pressure: the VMs hold <= 78 % of the budget ... */
        assert_true(vm_total <= (uint64_t)(0.78 * 14336 * MIB) + MIB);
        assert_true(vm_total < vm_total_start);
        /* ... after 2 GiB + 22 % of 14 GiB at <= 4 x 204 MiB a cycle,
         * every 15 s (cooldown): well under 100 cycles. */
        if (cycles >= 60)
                print_error("%d cycles, VMs hold %llu MiB, band %s\n", cycles,
                            (unsigned long long)(vm_total / MIB), bd_band_to_string(w.view.band));
        assert_true(cycles < 60);
        /* And then it stays put. */
        for (int i = 0; i < 10; i++) {
                world_tick(&w, 5);
                world_cycle(&w, true);
                for (size_t k = 0; k < w.n; k++)
                        assert_int_equal(w.d[k].action, BD_ACTION_NONE);
        }
}

static void test_many_vms(void **state) {
        enum { N = 10000 };
        struct bd_config cfg;
        struct bd_vm_sample *s = calloc(N, sizeof(*s));
        struct bd_vm_history *h = calloc(N, sizeof(*h));
        struct bd_decision *d = calloc(N, sizeof(*d));
        struct bd_host_state hs = { 0 };
        struct bd_host_view view;
        struct bd_host_sample host = host_with(AVAIL_FOR_PCT(10), -1);
        uint64_t shrink = 0;

        (void)state;
        assert_non_null(s);
        assert_non_null(h);
        assert_non_null(d);
        bd_config_defaults(&cfg);
        for (size_t i = 0; i < N; i++) {
                struct vm_in in = VM("vm", 2048 + (i % 7) * 512, 2048 + (i % 7) * 512, 1024 + (i % 5) * 128);

                sample_from(&in, &s[i], i);
        }
        bd_policy_run(&cfg, &host, s, h, N, &hs, NOW_USEC, WALL, d, &view);
        check_invariants(s, d, N);
        for (size_t i = 0; i < N; i++)
                if (d[i].action == BD_ACTION_SHRINK)
                        shrink += d[i].actual_kib - d[i].target_kib;
        assert_true(shrink <= cfg.host_shrink_cap_kib);
        assert_true(shrink > cfg.host_shrink_cap_kib / 2);
        free(s);
        free(h);
        free(d);
}

static void test_strings(void **state) {
        (void)state;
        for (int i = 0; i < BD_REASON__COUNT; i++) {
                assert_string_not_equal(bd_reason_to_string((enum bd_reason)i), "unknown");
                assert_string_not_equal(bd_reason_describe((enum bd_reason)i), "unknown reason");
                for (int k = 0; k < i; k++)
                        assert_string_not_equal(bd_reason_to_string((enum bd_reason)i),
                                                bd_reason_to_string((enum bd_reason)k));
        }
        assert_string_equal(bd_reason_to_string(BD_REASON__COUNT), "unknown");
        assert_string_equal(bd_band_to_string(BD_BAND_CRITICAL), "critical");
        assert_string_equal(bd_action_to_string(BD_ACTION_SHRINK), "shrink");
        assert_string_equal(bd_status_to_string(BD_STATUS_STUCK), "stuck");
        assert_string_equal(bd_reason_to_string(BD_REASON_EXCLUDED_CLASS), "excluded_class");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rows),
                cmocka_unit_test(test_hysteresis),
                cmocka_unit_test(test_sharing_by_weight),
                cmocka_unit_test(test_deadband),
                cmocka_unit_test(test_cooldown_and_grow_hold),
                cmocka_unit_test(test_await_fresh_stats),
                cmocka_unit_test(test_swap_and_faults),
                cmocka_unit_test(test_counters_backwards),
                cmocka_unit_test(test_insane_reports),
                cmocka_unit_test(test_stuck),
                cmocka_unit_test(test_moving_balloon_is_not_stuck),
                cmocka_unit_test(test_convergence),
                cmocka_unit_test(test_many_vms),
                cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
