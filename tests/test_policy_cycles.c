/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure policy, table-driven (policy_table.h): contract points the policy does not keep, and several cycles of a small host whose balloons follow their targets. */
#include "policy_table.h"

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
        /* The grow hold alone: a learned burst margin would keep what the
         * burst got (test_policy_margin.c). */
        w.cfg.burst_max_kib = 0;
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

int main(void) {
        const struct CMUnitTest tests[] = {
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
