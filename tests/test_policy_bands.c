/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure policy, table-driven (policy_table.h): host bands, floors and maxima, guest pressure. */
#include "policy_table.h"

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
                { .what = "about to run out, nothing above the reserve: its floor out of the reserve's 75 %",
                  .avail_kib = RESERVE_KIB,
                  .vm = { { VM("a", 4096, 2048, 100), WANT(GROW, GUEST_LOW_FREE, OK, FLOOR(M(1948))) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "about to run out, only the reserve's last quarter left: nothing to grant, demand unmet",
                  .avail_kib = RESERVE_KIB / 4,
                  .vm = { { VM("a", 4096, 2048, 100), WANT(NONE, NO_HEADROOM, OK, M(2048)) } },
                  .band = BD_BAND_CRITICAL },
                { .what = "low free (over half its margin), nothing above the reserve: demand unmet",
                  .avail_kib = RESERVE_KIB,
                  .vm = { { VM("a", 4096, 2048, 300), WANT(NONE, NO_HEADROOM, OK, M(2048)) } },
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bands),
                cmocka_unit_test(test_band_helper),
                cmocka_unit_test(test_floors),
                cmocka_unit_test(test_margin_helper),
                cmocka_unit_test(test_guest_pressure),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
