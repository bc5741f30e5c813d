/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host out of RAM (MemAvailable under BD_OUT_OF_RAM_KIB: it swaps, and
 * how far past its RAM it is no longer shows): every donor gives all it has
 * above its floor in one cycle, past its rate and the host cap, even one
 * grown for guest pressure a moment ago (scenarios/host-job.json: a 6 GiB
 * job arriving at once; the host past its RAM for 41 s at the rate and cap,
 * 2 s this way). Past the reserve but not out of RAM, the rate, the cap and
 * the hold after a pressure grow still hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_world.h"

/* A 16 GiB host (reserve 1 GiB), default cooldown and grow hold; three idle
 * guests of 8 GiB using 1 GiB each (floors of 1,280 MiB), reporting every
 * 2 s: each is 6.75 GiB above its floor, its rate (doubled: critical) 819
 * MiB, the host cap 1 GiB for all. */
static void world_init(struct pw *w) {
        struct bd_config defaults;

        pw_init(w);
        bd_config_defaults(&defaults);
        w->cfg.cooldown_usec = defaults.cooldown_usec;
        w->cfg.grow_hold_usec = defaults.grow_hold_usec;
        w->host.mem_total_kib = M(16384);
        for (int i = 0; i < 3; i++)
                w->s[pw_add(w, 8192, 8192, 1024)].stats_period_sec = 2;
}

static void cycle(struct pw *w, uint64_t avail_mib) {
        w->host.mem_available_kib = M(avail_mib);
        pw_cycle(w);
}

static uint64_t shrunk(const struct pw *w) {
        uint64_t total = 0;

        for (size_t i = 0; i < w->n; i++)
                if (w->d[i].action == BD_ACTION_SHRINK)
                        total += w->d[i].actual_kib - w->d[i].target_kib;
        return total;
}

/* Out of RAM: each donor to its floor at once, 20 GiB in one cycle. At the
 * rate and the cap (before the rule) the three gave 1 GiB in all. */
static void test_all_above_floor_at_once(void **state) {
        struct pw w;

        (void)state;
        world_init(&w);
        cycle(&w, 0);
        for (size_t i = 0; i < w.n; i++) {
                assert_int_equal(w.d[i].action, BD_ACTION_SHRINK);
                assert_int_equal(w.d[i].reason, BD_REASON_HOST_CRITICAL);
                assert_int_equal(w.d[i].target_kib, w.d[i].floor_kib);
        }
        assert_true(shrunk(&w) > w.cfg.host_shrink_cap_kib);
        assert_int_equal(w.view.shrink_kib, shrunk(&w));
        cycle(&w, 0); /* at their floors: nothing more */
        for (size_t i = 0; i < w.n; i++)
                assert_int_equal(w.d[i].reason, BD_REASON_AT_FLOOR);
}

/* 600 MiB available (critical, past the reserve, not out of RAM): each at
 * most twice its rate, all together within the host cap, as before. */
static void test_rate_and_cap_with_ram_left(void **state) {
        struct pw w;

        (void)state;
        world_init(&w);
        cycle(&w, 600);
        assert_true(shrunk(&w) > 0);
        assert_true(shrunk(&w) <= w.cfg.host_shrink_cap_kib);
        for (size_t i = 0; i < w.n; i++)
                if (w.d[i].action == BD_ACTION_SHRINK)
                        assert_true(w.d[i].target_kib > w.d[i].floor_kib);
}

/* A guest grown for its pressure 5 s ago is held there while the host has
 * RAM left (recent_grow), and gives down to its floor once the host is out
 * of RAM: its floor still holds its use and margins. Before the rule it was
 * held 60 s (host-job: web1, 305 MiB above its floor, kept the host past its
 * RAM until the hold ran out). */
static void test_recent_grow_gives_when_out_of_ram(void **state) {
        struct pw w;

        (void)state;
        world_init(&w);
        w.n = 1;
        w.h[0].last_grow_for_pressure_usec = w.now - 5 * SEC;
        cycle(&w, 600);
        assert_int_equal(w.d[0].action, BD_ACTION_NONE);
        assert_int_equal(w.d[0].reason, BD_REASON_RECENT_GROW);
        cycle(&w, 0);
        assert_int_equal(w.d[0].action, BD_ACTION_SHRINK);
        assert_int_equal(w.d[0].target_kib, w.d[0].floor_kib);
}

/* Never below the floor, nor a change under the deadband: a guest 8 MiB
 * above its floor is left there. */
static void test_floor_and_deadband_hold(void **state) {
        struct pw w;

        (void)state;
        world_init(&w);
        cycle(&w, 0);
        assert_int_equal(w.d[0].target_kib, w.d[0].floor_kib);
        w.s[0].actual_kib = w.d[0].floor_kib + M(8);
        cycle(&w, 0);
        assert_int_equal(w.d[0].action, BD_ACTION_NONE);
        assert_int_equal(w.d[0].reason, BD_REASON_AT_FLOOR);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_above_floor_at_once),
                cmocka_unit_test(test_rate_and_cap_with_ram_left),
                cmocka_unit_test(test_recent_grow_gives_when_out_of_ram),
                cmocka_unit_test(test_floor_and_deadband_hold),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
