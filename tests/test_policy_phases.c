/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Each phase of the policy on its own (src/core/policy_phases.h): the host
 * view and its budget, one VM's classification and signals, the urgent
 * grants, the history finalise keeps, and restore_on_exit's plan; then the
 * model-host reproduction of issue 15 (six guests at MemAvailable 0 on a
 * 64 GiB host) as a fixture over whole cycles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "policy_phases.h"

#define SEC USEC_PER_SEC
#define M(mib) ((uint64_t)(mib) * MIB)
#define NOW (100000 * SEC)
#define WALL 1790000000LL

static struct bd_host_sample host_of(uint64_t total_kib, uint64_t avail_kib) {
        struct bd_host_sample h = { .mem_total_kib = total_kib, .mem_available_kib = avail_kib };

        return h;
}

/* A running VM that reported at WALL: SIZE MiB, USED MiB of it in use. */
static struct bd_vm_sample vm_of(const char *name, uint64_t max_mib, uint64_t size_mib, uint64_t used_mib) {
        struct bd_vm_sample s;

        bd_vm_sample_init(&s);
        snprintf(s.name, sizeof(s.name), "%s", name);
        snprintf(s.uuid, sizeof(s.uuid), "00000000-0000-4000-8000-%012u", (unsigned)(strlen(name) + size_mib) % 1000000u);
        s.state = BD_RUN_RUNNING;
        s.max_kib = M(max_mib);
        s.actual_kib = M(size_mib);
        s.usable_kib = M(size_mib) > M(used_mib) ? M(size_mib) - M(used_mib) : 0;
        s.available_kib = s.actual_kib;
        s.unused_kib = s.usable_kib;
        s.disk_caches_kib = 0;
        s.swap_in_kib = s.swap_out_kib = s.major_faults = 0;
        s.last_update_sec = WALL;
        s.stats_period_sec = 2;
        return s;
}

/* ---- host view ----------------------------------------------------------------------- */

/* A 512 GiB host with 384 GiB of 1 GiB pages and 96 GiB free is not under
 * pressure: the pools are out of the base (96 - 1 of 128 GiB = 74 %). */
static void test_host_hugetlb_out_of_the_base(void **state) {
        struct bd_config cfg;
        struct bd_host_sample h = host_of(M(512 * 1024), M(96 * 1024));
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_budget b;

        (void)state;
        bd_config_defaults(&cfg);
        bd_phase_host(&cfg, &h, NULL, NULL, 0, NOW, &hs, &v, &b);
        assert_int_equal(v.band, BD_BAND_PRESSURE); /* today's reading: 95 of 512 GiB */
        h.hugetlb_kib = M(384 * 1024);
        hs.seen = false;
        bd_phase_host(&cfg, &h, NULL, NULL, 0, NOW, &hs, &v, &b);
        assert_int_equal(v.band, BD_BAND_RELAXED);
        assert_int_equal(v.base_kib, M(128 * 1024));
        assert_int_equal(v.hugetlb_kib, M(384 * 1024));
        /* host.unavailable_mib comes out too. */
        cfg.unavailable_kib = M(64 * 1024);
        hs.seen = false;
        bd_phase_host(&cfg, &h, NULL, NULL, 0, NOW, &hs, &v, &b);
        assert_int_equal(v.base_kib, M(64 * 1024));
        assert_int_equal(v.free_kib, M(64 * 1024)); /* free memory never above the base */
}

/* The VM budget's goal grows with how far past it the VMs are: VMs holding
 * 25 GiB need 15 GiB + 22 % of a 10 GiB budget back, 5 GiB + 22 % of a 20 GiB
 * one (it was 2,252 and 4,505 MiB: backwards). */
static void test_host_budget_goal_forward(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s[5];
        struct bd_vm_history h[5] = { 0 };
        struct bd_host_sample host = host_of(M(65536), M(40000));
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_budget b10, b20;

        (void)state;
        for (int i = 0; i < 5; i++)
                s[i] = vm_of("vm", 8192, 5120, 1024);
        bd_config_defaults(&cfg);
        cfg.vm_budget_kib = M(10240);
        bd_phase_host(&cfg, &host, s, h, 5, NOW, &hs, &v, &b10);
        assert_true(v.budget_binds);
        assert_int_equal(b10.goal_kib, (int64_t)(M(25600 - 10240) + pct_of(22, M(10240)) + 1));
        cfg.vm_budget_kib = M(20480);
        hs.seen = false;
        bd_phase_host(&cfg, &host, s, h, 5, NOW, &hs, &v, &b20);
        assert_int_equal(b20.goal_kib, (int64_t)(M(25600 - 20480) + pct_of(22, M(20480)) + 1));
        assert_true(b10.goal_kib > b20.goal_kib);
        /* Nothing to grant past a budget the VMs are over. */
        assert_int_equal(b10.vm_kib, 0);
}

/* PSI of the VMs' cgroup makes the band one step worse, never alone. */
static void test_host_psi_modifier(void **state) {
        struct bd_config cfg;
        struct bd_host_sample h = { .psi_valid = true, .psi_full_avg10_pct = 90.0 };
        bool esc;

        (void)state;
        bd_config_defaults(&cfg);
        assert_int_equal(bd_phase_psi_band(&cfg, BD_BAND_RELAXED, &h, &esc), BD_BAND_RELAXED);
        assert_false(esc);
        assert_int_equal(bd_phase_psi_band(&cfg, BD_BAND_NORMAL, &h, &esc), BD_BAND_PRESSURE);
        assert_true(esc);
        assert_int_equal(bd_phase_psi_band(&cfg, BD_BAND_PRESSURE, &h, &esc), BD_BAND_CRITICAL);
        assert_int_equal(bd_phase_psi_band(&cfg, BD_BAND_CRITICAL, &h, &esc), BD_BAND_CRITICAL);
        assert_false(esc);
        h.psi_full_avg10_pct = 9.99;
        assert_int_equal(bd_phase_psi_band(&cfg, BD_BAND_NORMAL, &h, &esc), BD_BAND_NORMAL);
        h.psi_valid = false;
        h.psi_full_avg10_pct = 90.0;
        assert_int_equal(bd_phase_psi_band(&cfg, BD_BAND_PRESSURE, &h, &esc), BD_BAND_PRESSURE);
}

/* Grants of this cycle: what RAM has above its critical line, less grows
 * decided earlier that the balloons have not made; decided shrinks fund
 * nothing, shrinks seen made are counted as observed reclaim. */
static void test_host_budget_headroom(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s[2] = { vm_of("grower", 8192, 4096, 1024), vm_of("giver", 8192, 6000, 1024) };
        struct bd_vm_history h[2] = { 0 };
        struct bd_host_sample host = host_of(M(65536), M(1024) + M(6000)); /* 6000 MiB free */
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_budget b;
        uint64_t critical = pct_of(5, M(65536));

        (void)state;
        bd_config_defaults(&cfg);
        bd_phase_host(&cfg, &host, s, h, 2, NOW, &hs, &v, &b);
        assert_int_equal(b.ram_kib, M(6000) - critical);
        assert_int_equal(b.vm_kib, UINT64_MAX);
        /* A grow to 5120 outstanding, a shrink from 6200 to 5800 outstanding
         * of which 200 MiB was made since the previous cycle. */
        h[0] = (struct bd_vm_history){ .seen = true, .target_kib = M(5120), .prev_actual_kib = M(4096),
                                       .best_distance_kib = M(1024), .progress_usec = NOW };
        h[1] = (struct bd_vm_history){ .seen = true, .target_kib = M(5800), .prev_actual_kib = M(6200),
                                       .best_distance_kib = M(400), .progress_usec = NOW };
        hs.seen = false;
        bd_phase_host(&cfg, &host, s, h, 2, NOW, &hs, &v, &b);
        assert_int_equal(v.pending_grow_kib, M(1024));
        assert_int_equal(b.ram_kib, M(6000) - critical - M(1024));
        assert_int_equal(v.observed_reclaim_kib, M(200));
        assert_int_equal(b.in_flight_kib, M(200));
        /* A balloon that has not moved for stuck_after is not on its way. */
        h[0].progress_usec = NOW - 60 * SEC;
        h[0].best_distance_kib = M(1024);
        hs.seen = false;
        bd_phase_host(&cfg, &host, s, h, 2, NOW, &hs, &v, &b);
        assert_int_equal(v.pending_grow_kib, 0);
}

/* ---- classify -------------------------------------------------------------------------- */

static void classify(const struct bd_config *cfg, const struct bd_vm_sample *s, struct bd_vm_history *h,
                     bool critical, struct bd_decision *d) {
        struct bd_budget b = { .critical = critical, .margin_pct = cfg->margin_pct };

        d->fleet_jump_kib = 0; /* no peers jumped */
        bd_phase_classify(cfg, s, h, &b, NOW, WALL, d);
}

/* Swap-in and faults are rates over the guest's own report interval. */
static void test_classify_rates(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s = vm_of("a", 8192, 4096, 1024);
        struct bd_vm_history h = { .seen = true, .prev_sample_usec = NOW - 5 * SEC, .prev_last_update_sec = WALL - 10,
                                   .prev_swap_in_kib = 0, .prev_major_faults = 0, .prev_actual_kib = M(4096) };
        struct bd_decision d;

        (void)state;
        bd_config_defaults(&cfg);
        /* 8 MiB of swap-in over a 10 s report: 819 KiB/s, under 1 MiB/s. */
        s.swap_in_kib = 8192;
        classify(&cfg, &s, &h, false, &d);
        assert_false(d.guest_pressure);
        /* Over a 5 s report: 1638 KiB/s. */
        h.prev_last_update_sec = WALL - 5;
        classify(&cfg, &s, &h, false, &d);
        assert_true(d.guest_pressure);
        assert_int_equal(d.reason, BD_REASON_GUEST_SWAP_IN);
        assert_int_equal(d.want_kib, M(4096 + 256));
        /* 1500 faults over 10 s: 150/s; over 5 s: 300/s. */
        s.swap_in_kib = 0;
        s.major_faults = 1500;
        h.prev_last_update_sec = WALL - 10;
        classify(&cfg, &s, &h, false, &d);
        assert_false(d.guest_pressure);
        h.prev_last_update_sec = WALL - 5;
        classify(&cfg, &s, &h, false, &d);
        assert_int_equal(d.reason, BD_REASON_GUEST_MAJOR_FAULTS);
        /* The same report again: no rate at all. */
        h.prev_last_update_sec = WALL;
        classify(&cfg, &s, &h, false, &d);
        assert_false(d.guest_pressure);
}

/* Counters that restart (a guest reboot) are a new baseline: no signal, not blind. */
static void test_classify_counter_reset(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s = vm_of("a", 8192, 4096, 1024);
        struct bd_vm_history h = { .seen = true, .prev_last_update_sec = WALL - 5, .prev_swap_in_kib = M(900),
                                   .prev_swap_out_kib = M(900), .prev_major_faults = 900000,
                                   .prev_actual_kib = M(4096) };
        struct bd_decision d;

        (void)state;
        bd_config_defaults(&cfg);
        s.swap_in_kib = M(100); /* after the reboot: less than before, and much in 5 s */
        s.swap_out_kib = M(50);
        s.major_faults = 5000;
        classify(&cfg, &s, &h, false, &d);
        assert_int_equal(d.status, BD_STATUS_OK);
        assert_true(d.counters_reset);
        assert_false(d.guest_pressure);
        assert_false(d.swapping_out);
}

/* One grow per guest report: a stale report is not read again and again
 * (2048 -> 2780 -> 3805 -> 5241 MiB on a single report). And "used" is taken
 * at the size the report was made at. */
static void test_classify_no_ratchet(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s = vm_of("a", 8192, 2048, 2000); /* 48 MiB free: low */
        struct bd_vm_history h = { .seen = true, .prev_last_update_sec = WALL - 2, .prev_actual_kib = M(2048) };
        struct bd_decision d;
        uint64_t first;

        (void)state;
        bd_config_defaults(&cfg);
        classify(&cfg, &s, &h, false, &d);
        assert_int_equal(d.action, BD_ACTION_GROW);
        first = d.want_kib;
        assert_int_equal(first, M(2000) + 2 * pct_of(20, M(2000)));
        /* Applied; the balloon moved; the report is the same one. */
        bd_policy_note_applied(&h, &d, NOW);
        h.prev_last_update_sec = WALL;
        h.report_lo_kib = h.report_hi_kib = M(2048);
        h.prev_actual_kib = M(2048);
        s.actual_kib = first;
        classify(&cfg, &s, &h, false, &d);
        assert_int_equal(d.action, BD_ACTION_NONE);
        assert_int_equal(d.reason, BD_REASON_AWAIT_REPORT);
        assert_true(d.guest_pressure);                    /* still not shrunk */
        assert_int_equal(d.used_kib, M(2048) - M(48));  /* at the report's size, not the live one */
        /* A new report made before the balloon moved (still 48 MiB free):
         * judged on the smaller size it may have been made at, the guest
         * already has what it asks: no second grow (the ratchet). */
        h.prev_actual_kib = M(2048);
        s.last_update_sec = WALL + 2;
        classify(&cfg, &s, &h, false, &d);
        assert_int_equal(d.action, BD_ACTION_NONE);
        assert_int_equal(d.reason, BD_REASON_AWAIT_REPORT);
        /* The floor that bounds shrinks takes the larger size. */
        assert_int_equal(d.used_kib, first - M(48));
        assert_true(d.floor_kib > d.floor_grow_kib);
}

/* Under critical a guest in need is granted at most up to its floor. */
static void test_classify_critical_floor_only(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s = vm_of("a", 8192, 2048, 2000);
        struct bd_vm_history h = { 0 };
        struct bd_decision d;

        (void)state;
        bd_config_defaults(&cfg);
        classify(&cfg, &s, &h, true, &d);
        assert_int_equal(d.action, BD_ACTION_GROW);
        assert_int_equal(d.want_kib, M(2000) + M(400));
        assert_int_equal(d.want_kib, d.floor_grow_kib);
}

/* ---- urgent ------------------------------------------------------------------------------- */

static void claimant(struct bd_decision *d, uint64_t actual, uint64_t floor, uint64_t want, double credit) {
        memset(d, 0, sizeof(*d));
        d->status = BD_STATUS_OK;
        d->action = BD_ACTION_GROW;
        d->reason = BD_REASON_GUEST_LOW_FREE;
        d->actual_kib = actual;
        d->target_kib = want;
        d->floor_grow_kib = d->floor_kib = floor;
        d->want_kib = want;
        d->max_kib = M(65536);
        d->shares = 1000;
        d->claim_credit = credit;
        d->claimed = true;
        d->guest_pressure = true;
}

/* A budget: RAM above its critical line, above the reserve (HARD), the VM
 * budget and the room above the pressure goal. */
static struct bd_budget budget_of(uint64_t ram, uint64_t hard, uint64_t vm, uint64_t room, bool critical) {
        struct bd_budget b = { .critical = critical, .ram_kib = ram, .ram_hard_kib = hard, .vm_kib = vm,
                               .room_kib = room, .cap_left_kib = M(1024) };

        return b;
}

/* Floors first, then the rest; what is not granted is unmet and funds
 * reclaim divided by 1 + credit. */
static void test_urgent_tiers(void **state) {
        struct bd_config cfg;
        struct bd_decision d[2];
        struct bd_host_view v = { 0 };
        struct bd_budget b = budget_of(M(1000), M(1000), UINT64_MAX, 0, false);

        (void)state;
        bd_config_defaults(&cfg);
        claimant(&d[0], M(2000), M(2600), M(3200), 0.0);
        claimant(&d[1], M(2000), M(2600), M(3200), 0.0);
        bd_phase_urgent(&cfg, d, 2, &b, &v);
        /* 1000 MiB for two floors of 600: 500 each, the rest unmet. */
        assert_int_equal(d[0].target_kib, M(2500));
        assert_int_equal(d[1].target_kib, M(2500));
        assert_int_equal(d[0].unmet_kib, M(700));
        assert_int_equal(d[0].refused, BD_LINE_RAM);
        assert_int_equal(v.granted_kib, M(1000));
        assert_int_equal(v.unmet_demand_kib, M(1400));
        assert_int_equal(v.demand_kib, M(2400));
        assert_int_equal(b.need_kib, M(1400));
        assert_int_equal(b.ram_kib, 0);
        /* Plenty: both get all they ask. */
        memset(&v, 0, sizeof(v));
        b = budget_of(M(10000), M(11000), UINT64_MAX, M(10000), false);
        claimant(&d[0], M(2000), M(2600), M(3200), 0.0);
        claimant(&d[1], M(2000), M(2600), M(3200), 0.0);
        bd_phase_urgent(&cfg, d, 2, &b, &v);
        assert_int_equal(d[0].target_kib, M(3200));
        assert_int_equal(v.unmet_demand_kib, 0);
        assert_int_equal(b.room_kib, M(10000) - M(2400));
        /* Nothing: no action, reason no_headroom. */
        memset(&v, 0, sizeof(v));
        b = budget_of(0, 0, UINT64_MAX, 0, true);
        claimant(&d[0], M(2000), M(2600), M(2600), 0.0);
        bd_phase_urgent(&cfg, d, 1, &b, &v);
        assert_int_equal(d[0].action, BD_ACTION_NONE);
        assert_int_equal(d[0].reason, BD_REASON_NO_HEADROOM);
        assert_int_equal(d[0].target_kib, d[0].actual_kib);
        assert_int_equal(b.need_kib, M(600)); /* no credit: all of it funds reclaim */
        /* Below the critical line (critical), floors still come out of RAM
         * above the reserve; the rest does not. */
        memset(&v, 0, sizeof(v));
        b = budget_of(0, M(5000), UINT64_MAX, 0, true);
        claimant(&d[0], M(2000), M(2600), M(2600), 0.0);
        bd_phase_urgent(&cfg, d, 1, &b, &v);
        assert_int_equal(d[0].target_kib, M(2600));
        memset(&v, 0, sizeof(v));
        b = budget_of(0, M(5000), UINT64_MAX, 0, false);
        claimant(&d[0], M(2000), M(2600), M(3200), 0.0);
        bd_phase_urgent(&cfg, d, 1, &b, &v);
        assert_int_equal(d[0].target_kib, M(2600));
        assert_int_equal(d[0].unmet_kib, M(600));
        assert_int_equal(d[0].refused, BD_LINE_RAM);
        /* A claimant with a credit of 3 margins funds a quarter of its unmet demand. */
        memset(&v, 0, sizeof(v));
        b = budget_of(0, 0, UINT64_MAX, 0, true);
        claimant(&d[0], M(2000), M(2600), M(2600), (double)M(768));
        bd_phase_urgent(&cfg, d, 1, &b, &v);
        assert_int_equal(b.need_kib, M(600) / 4);
}

/* A soft VM budget: emergencies (floors) may pass it while RAM allows,
 * reported; the rest may not. A hard one: nothing passes. */
static void test_urgent_budget_lines(void **state) {
        struct bd_config cfg;
        struct bd_decision d;
        struct bd_host_view v = { 0 };
        struct bd_budget b = budget_of(M(5000), M(6000), M(100), 0, false);

        (void)state;
        bd_config_defaults(&cfg);
        claimant(&d, M(2000), M(2600), M(3200), 0.0);
        bd_phase_urgent(&cfg, &d, 1, &b, &v);
        assert_int_equal(d.target_kib, M(2600));
        assert_int_equal(d.crossed, BD_LINE_BUDGET);
        assert_int_equal(d.refused, BD_LINE_BUDGET);
        assert_int_equal(v.budget_crossed_kib, M(500));
        cfg.vm_budget_hard = true;
        memset(&v, 0, sizeof(v));
        b = budget_of(M(5000), M(6000), M(100), 0, false);
        claimant(&d, M(2000), M(2600), M(3200), 0.0);
        bd_phase_urgent(&cfg, &d, 1, &b, &v);
        assert_int_equal(d.target_kib, M(2100));
        assert_int_equal(d.crossed, BD_LINE_NONE);
        assert_int_equal(d.refused, BD_LINE_BUDGET);
        assert_int_equal(v.budget_crossed_kib, 0);
}

/* A frequent claimer comes after the others and is granted only out of the
 * room above the pressure goal. */
static void test_urgent_frequent_claimer(void **state) {
        struct bd_config cfg;
        struct bd_decision d[2];
        struct bd_host_view v = { 0 };
        struct bd_budget b = budget_of(M(1000), M(1000), UINT64_MAX, 0, false);

        (void)state;
        bd_config_defaults(&cfg);
        claimant(&d[0], M(8000), M(9600), M(11200), (double)M(4096)); /* greedy: 4 GiB got lately */
        claimant(&d[1], M(2000), M(2600), M(3200), (double)M(128));  /* honest */
        bd_phase_urgent(&cfg, d, 2, &b, &v);
        /* No room above the goal: the greedy one gets nothing, not even its
         * floor; the honest one its floor and what is left above the line. */
        assert_int_equal(d[0].action, BD_ACTION_NONE);
        assert_int_equal(d[0].unmet_kib, M(3200));
        assert_true(d[1].target_kib >= M(3000) - 2 && d[1].target_kib <= M(3000));
        assert_true(d[1].unmet_kib >= M(200) && d[1].unmet_kib <= M(200) + 2);
        /* Room for part of the floors: the honest floor first. */
        memset(&v, 0, sizeof(v));
        b = budget_of(M(500), M(1000), UINT64_MAX, M(1000), false);
        claimant(&d[0], M(8000), M(9600), M(11200), (double)M(4096));
        claimant(&d[1], M(2000), M(2600), M(3200), (double)M(128));
        bd_phase_urgent(&cfg, d, 2, &b, &v);
        assert_int_equal(d[1].target_kib, M(2600));
        assert_int_equal(d[0].target_kib, M(8400));
        /* With room above the goal: the honest one gets its rest first, the
         * greedy one only what is left of the room after it. */
        memset(&v, 0, sizeof(v));
        b = budget_of(M(5000), M(6000), UINT64_MAX, M(2000), false);
        claimant(&d[0], M(8000), M(8000), M(11200), (double)M(4096));
        claimant(&d[1], M(2000), M(2600), M(3200), (double)M(128));
        bd_phase_urgent(&cfg, d, 2, &b, &v);
        assert_int_equal(d[1].target_kib, M(3200));
        assert_true(d[0].target_kib >= M(8800) - 2 && d[0].target_kib <= M(8800));
        assert_true(d[0].unmet_kib > 0);
}

/* ---- finalise ------------------------------------------------------------------------------ */

/* The claim credit: the memory its claims got, less what it gave back,
 * halving every claim_half_life_sec; the report's counters and sizes are
 * kept. */
static void test_finalise_credit(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s = vm_of("a", 8192, 4096, 1024);
        struct bd_vm_history h = { .seen = true, .claim_credit = (double)M(1024), .credit_usec = NOW - 1800 * SEC,
                                   .prev_actual_kib = M(3000), .prev_last_update_sec = WALL - 2 };
        struct bd_decision d = { .action = BD_ACTION_GROW, .claimed = true, .guest_pressure = true };
        struct bd_budget b = { 0 };
        struct bd_host_view v = { 0 };

        (void)state;
        bd_config_defaults(&cfg);
        assert_true(fabs(bd_phase_credit(&cfg, &h, NOW) - (double)M(512)) < 1e-6);
        d.claim_credit = bd_phase_credit(&cfg, &h, NOW);
        d.actual_kib = s.actual_kib;
        d.target_kib = s.actual_kib + M(100);
        bd_phase_finalise(&cfg, &s, &h, 1, NOW, &b, &d, &v);
        assert_true(fabs(h.claim_credit - (double)M(512)) < 1e-6); /* decayed to now */
        assert_int_equal(h.credit_usec, NOW);
        assert_int_equal(h.prev_actual_kib, M(4096));
        assert_int_equal(h.report_lo_kib, M(3000));
        assert_int_equal(h.report_hi_kib, M(4096));
        assert_int_equal(h.prev_last_update_sec, WALL);
        /* Applied: a claim's grow adds once the balloon made it, a shrink
         * takes off, never below 0. */
        bd_policy_note_applied(&h, &d, NOW);
        assert_true(fabs(h.claim_credit - (double)M(512)) < 1e-6);
        s.actual_kib += M(100);
        d.claim_credit = bd_credit_now(&cfg, &h, s.actual_kib, NOW, NULL, NULL);
        d.action = BD_ACTION_NONE;
        bd_phase_finalise(&cfg, &s, &h, 1, NOW, &b, &d, &v);
        assert_true(fabs(h.claim_credit - (double)M(612)) < 1e-6);
        d.action = BD_ACTION_GROW;
        d.actual_kib = s.actual_kib;
        d.target_kib = s.actual_kib + M(100);
        d.claimed = false;
        d.guest_pressure = false;
        bd_policy_note_applied(&h, &d, NOW); /* a relaxed grow: not a claim */
        assert_true(fabs(h.claim_credit - (double)M(612)) < 1e-6);
        d.action = BD_ACTION_SHRINK;
        d.target_kib = s.actual_kib - M(1000);
        bd_policy_note_applied(&h, &d, NOW);
        assert_true(h.claim_credit == 0.0);
}

/* ---- restore_on_exit ------------------------------------------------------------------------- */

/* Only within the host's headroom above its critical line, in two rounds
 * (room for what each uses, neediest first; then the rest shared evenly),
 * up to each VM's
 * entitled size (the maximum when unknown); VMs whose balloon cannot be set
 * and VMs at their size are left alone; a VM excluded by its class is owed
 * what balloond may have taken before. */
static void test_restore_plan(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s[5] = {
                vm_of("idle", 8192, 4096, 1024),   /* 75 % free */
                vm_of("needy", 8192, 4096, 3900),  /* 5 % free */
                vm_of("paused", 8192, 4096, 3900), /* cannot be set */
                vm_of("whole", 4096, 4096, 1000),  /* at its size */
                vm_of("db", 8192, 7936, 7000),     /* excluded by class, 12 % free */
        };
        struct bd_host_sample host;
        uint64_t targets[5], given, short_kib, critical = pct_of(5, M(65536));
        uint64_t needy_first = M(3900) + 2 * pct_of(20, M(3900)) - M(4096); /* room for what it uses */
        size_t order[5];

        (void)state;
        bd_config_defaults(&cfg);
        s[0].entitled_kib = M(6144);
        s[2].state = BD_RUN_PAUSED;
        snprintf(s[4].class_tag, sizeof(s[4].class_tag), "database");
        /* 3 GiB above the critical line. */
        host = host_of(M(65536), M(1024) + critical + M(3072));
        given = bd_policy_restore(&cfg, &host, s, 5, order, targets, &short_kib);
        assert_int_equal(given, M(3072));
        assert_int_equal(targets[2], 0);
        assert_int_equal(targets[3], 0);
        /* First round, neediest first: needy its room, then db (256 MiB to
         * its maximum), idle nothing (it has room); second round: the rest
         * shared evenly between needy and idle (db has all it is owed). */
        assert_int_equal(targets[4], M(8192));
        assert_int_equal(targets[1], M(4096) + needy_first + (M(3072) - needy_first - M(256)) / 2);
        assert_int_equal(targets[0], M(4096) + (M(3072) - needy_first - M(256)) / 2);
        assert_int_equal(short_kib, M(2048) + M(4096) + M(256) - M(3072));
        /* An overcommitted host: nothing given at all. */
        host = host_of(M(65536), M(1024) + critical / 2);
        given = bd_policy_restore(&cfg, &host, s, 5, order, targets, &short_kib);
        assert_int_equal(given, 0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(targets[i], 0);
        /* Plenty: each up to what it is entitled to. */
        host = host_of(M(65536), M(60000));
        bd_policy_restore(&cfg, &host, s, 5, order, targets, &short_kib);
        assert_int_equal(targets[0], M(6144));
        assert_int_equal(targets[1], M(8192));
        assert_int_equal(targets[4], M(8192));
        assert_int_equal(short_kib, 0);
}

/* ---- issue 15's model host ------------------------------------------------------------------- */

/* Six guests reporting no free memory (MemAvailable 0) on a 64 GiB host
 * whose memory is what they hold: they were granted 9.8, 13.7, 19.3 and
 * 27 GiB over four cycles while at most 1 GiB a cycle was reclaimed. Now,
 * every cycle: grants within the headroom above the critical line plus the
 * reclaim seen, floors of guests about to run out (these, while they claim
 * rarely) within what host.reserve_rescue_pct gives of the reserve, and the
 * host never over its RAM. */
static void test_six_guests_at_memavailable_zero(void **state) {
        enum { N = 6 };
        struct bd_config cfg;
        struct bd_vm_sample s[N];
        struct bd_vm_history h[N];
        struct bd_decision d[N];
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        uint64_t ram = M(65536), host_use = M(4096), total_granted = 0, kept;

        (void)state;
        bd_config_defaults(&cfg);
        kept = cfg.host_reserve_kib - pct_of(cfg.host_reserve_rescue_pct, cfg.host_reserve_kib);
        memset(h, 0, sizeof(h));
        for (int i = 0; i < N; i++) {
                char name[16];

                snprintf(name, sizeof(name), "guest%d", i);
                s[i] = vm_of(name, 16384, 8192, 8192);
        }
        for (int c = 0; c < 40; c++) {
                uint64_t held = host_use, headroom, hard, rescue, granted = 0, above_floor = 0;
                struct bd_host_sample host;

                for (int i = 0; i < N; i++) {
                        s[i].usable_kib = s[i].unused_kib = 0; /* MemAvailable 0, always */
                        s[i].last_update_sec = WALL + c * 5;
                        held += s[i].actual_kib;
                }
                assert_true(held <= ram);
                host = host_of(ram, ram - held);
                hard = sub_sat(host.mem_available_kib, cfg.host_reserve_kib);
                headroom = sub_sat(hard, pct_of(5, ram));
                rescue = sub_sat(host.mem_available_kib, kept);
                bd_policy_run(&cfg, &host, s, h, N, &hs, NOW + (uint64_t)c * 5 * SEC, WALL + c * 5, d, &v);
                for (int i = 0; i < N; i++) {
                        if (d[i].action == BD_ACTION_GROW) {
                                granted += d[i].target_kib - d[i].actual_kib;
                                above_floor += sub_sat(d[i].target_kib, max_u64(d[i].actual_kib, d[i].floor_grow_kib));
                        }
                        if (d[i].action != BD_ACTION_NONE) {
                                bd_policy_note_applied(&h[i], &d[i], NOW + (uint64_t)c * 5 * SEC);
                                s[i].actual_kib = d[i].target_kib; /* and the guest fills it at once */
                        }
                }
                /* Floors out of RAM above the reserve (or what the rescue
                 * keeps of it), the rest above the critical line. */
                assert_true(granted <= max_u64(hard + v.observed_reclaim_kib, rescue));
                assert_true(above_floor <= headroom + v.observed_reclaim_kib);
                total_granted += granted;
                if (c == 3)
                        print_message("after four cycles: granted %llu MiB in all, unmet %llu MiB\n",
                                      (unsigned long long)(total_granted / MIB),
                                      (unsigned long long)(v.unmet_demand_kib / MIB));
        }
        /* All the host had above what the rescue keeps of its reserve,
         * and no more. */
        assert_true(total_granted <= ram - host_use - N * M(8192) - kept);
        assert_true(v.unmet_demand_kib > 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_host_hugetlb_out_of_the_base),
                cmocka_unit_test(test_host_budget_goal_forward),
                cmocka_unit_test(test_host_psi_modifier),
                cmocka_unit_test(test_host_budget_headroom),
                cmocka_unit_test(test_classify_rates),
                cmocka_unit_test(test_classify_counter_reset),
                cmocka_unit_test(test_classify_no_ratchet),
                cmocka_unit_test(test_classify_critical_floor_only),
                cmocka_unit_test(test_urgent_tiers),
                cmocka_unit_test(test_urgent_budget_lines),
                cmocka_unit_test(test_urgent_frequent_claimer),
                cmocka_unit_test(test_finalise_credit),
                cmocka_unit_test(test_restore_plan),
                cmocka_unit_test(test_six_guests_at_memavailable_zero),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
