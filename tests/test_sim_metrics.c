/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulator's host-side metrics on cases small enough to compute by
 * hand, the oracle's fit into host RAM, and --check's verdicts. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/sim/check.h"
#include "balloond/sim/simulate.h"

/* One VM of 2048 MiB wanting 512 MiB, left at its maximum (no ballooning),
 * on a host of 2048 MiB that uses 1024 MiB itself, for 60 s. */
#define ONE_VM(fpr)                                                                                        \
        "{ \"name\": \"one\", \"duration_sec\": 60, \"host\": { \"ram_mib\": 2048, \"host_use_mib\": 1024, " \
        "\"free_page_reporting\": " fpr " }, \"vms\": [ { \"name\": \"a\", \"max_mib\": 2048, "              \
        "\"demand\": { \"base_mib\": 512 } } ] }"

static void load(const char *text, struct bd_scenario *sc) {
        struct bd_config_errors errs = { 0 };

        if (bd_scenario_load_string(text, "t.json", sc, &errs) < 0) {
                for (size_t i = 0; i < errs.n; i++)
                        print_error("%s\n", errs.items[i].text);
                fail();
        }
        bd_config_errors_free(&errs);
}

/* Without free page reporting the guest holds all 2048 MiB it touched:
 * the host needs 1024 + 2048 = 3072 MiB, 1024 MiB over RAM every second;
 * the host swaps 1024 MiB of the only VM's memory, so that guest is under
 * pressure every second, 1024 MiB short. */
static void test_overcommit_depth(void **state) {
        struct bd_scenario sc = { 0 };
        struct bd_sim_metrics m;

        (void)state;
        load(ONE_VM("false"), &sc);
        assert_int_equal(bd_simulate(&sc, BD_SIMPOL_NONE, &m, NULL, NULL), 0);
        assert_true(m.host_overcommit_sec == 60);
        assert_true(m.host_over_peak_mib == 1024);
        assert_true(m.host_over_gib_s == 60.0); /* 1 GiB for 60 s */
        assert_true(m.guest_pressure_vm_sec == 60);
        assert_true(m.worst_shortfall_mib == 1024);
        assert_int_equal(m.worst_vm, 0);
        assert_true(m.worst_vm_pressure_sec == 60);
        assert_true(m.freed_gib_h == 0);
        assert_true(m.reclaimed_gib_h == 0);
        bd_scenario_free(&sc);
}

/* With free page reporting the guest holds its kernel (40 MiB), its 512
 * MiB and its page cache, a quarter of the rest: (2048 - 40 - 512) / 4 =
 * 374 MiB; 926 MiB in all, 1950 MiB on the host, within RAM. Freed: 2048
 * - 926 = 1122 MiB for 60 s = 1122 / 1024 / 60 GiB-h. */
static void test_free_page_reporting(void **state) {
        struct bd_scenario sc = { 0 };
        struct bd_sim_metrics m;

        (void)state;
        load(ONE_VM("true"), &sc);
        assert_int_equal(bd_simulate(&sc, BD_SIMPOL_NONE, &m, NULL, NULL), 0);
        assert_true(m.host_overcommit_sec == 0 && m.host_over_peak_mib == 0 && m.host_over_gib_s == 0);
        assert_true(m.guest_pressure_vm_sec == 0);
        assert_int_equal(m.worst_vm, SIZE_MAX);
        assert_true(fabs(m.freed_gib_h - 1122.0 / 1024.0 / 60.0) < 1e-9);
        bd_scenario_free(&sc);
}

/* A host job of 900 MiB for 10 s from second 20 next to the same VM with
 * free page reporting: 1950 + 900 = 2850 MiB, 802 MiB over for 10 s. */
static void test_host_job(void **state) {
        static const char text[] =
                "{ \"name\": \"job\", \"duration_sec\": 60, \"host\": { \"ram_mib\": 2048, \"host_use_mib\": 1024, "
                "\"job\": { \"kind\": \"spike\", \"base_mib\": 0, \"amp_mib\": 900, \"at_sec\": 20, "
                "\"duration_sec\": 10 } }, \"vms\": [ { \"name\": \"a\", \"max_mib\": 2048, "
                "\"demand\": { \"base_mib\": 512 } } ] }";
        struct bd_scenario sc = { 0 };
        struct bd_sim_metrics m;

        (void)state;
        load(text, &sc);
        assert_int_equal(bd_simulate(&sc, BD_SIMPOL_NONE, &m, NULL, NULL), 0);
        assert_true(m.host_overcommit_sec == 10);
        assert_true(m.host_over_peak_mib == 802);
        assert_true(fabs(m.host_over_gib_s - 802.0 * 10 / 1024.0) < 1e-9);
        assert_true(m.guest_pressure_vm_sec == 10); /* its pages go to the host's swap */
        bd_scenario_free(&sc);
}

/* Levels: wants {1000, 2000}, now {800, 1200}, alive {500, 700}. */
static void test_oracle_fit(void **state) {
        const uint64_t want[] = { 1000, 2000 }, now[] = { 800, 1200 }, alive[] = { 500, 700 };
        const bool none[] = { false, false }, second[] = { false, true };
        uint64_t t[2] = { 0, 0 };

        (void)state;
        assert_int_equal(bd_oracle_fit(want, now, alive, none, 2, 3000, NULL, t), 2);
        assert_int_equal(t[0], 1000);
        assert_int_equal(t[1], 2000);
        /* 2500: now (2000) plus half of the rest (1000). */
        assert_int_equal(bd_oracle_fit(want, now, alive, none, 2, 2500, NULL, t), 1);
        assert_int_equal(t[0], 900);
        assert_int_equal(t[1], 1600);
        /* 1600: alive (1200) plus half of the way to now (800). */
        assert_int_equal(bd_oracle_fit(want, now, alive, none, 2, 1600, NULL, t), 0);
        assert_int_equal(t[0], 650);
        assert_int_equal(t[1], 950);
        assert_int_equal(bd_oracle_fit(want, now, alive, none, 2, 1000, NULL, t), -1);
        assert_int_equal(t[0], 500);
        assert_int_equal(t[1], 700);
        /* The second is not the oracle's: left alone, not counted. */
        t[1] = 42;
        assert_int_equal(bd_oracle_fit(want, now, alive, second, 2, 900, NULL, t), 1);
        assert_int_equal(t[0], 900);
        assert_int_equal(t[1], 42);
        /* Costs: the first holds a quarter of its size plus 300 (free page
         * reporting), the second all of it. Wants cost 550 + 2000 = 2550:
         * fit 2600; in 2100, now costs 500 + 1200 = 1700, wants 2550: f =
         * 400 / 850, sizes 800 + 200 f = 894, 1200 + 800 f = 1576. */
        {
                const double slope[] = { 0.25, 1.0 }, base[] = { 300.0, 0.0 };
                const struct bd_oracle_cost c = { slope, base };

                assert_int_equal(bd_oracle_fit(want, now, alive, none, 2, 2600, &c, t), 2);
                assert_int_equal(t[0], 1000);
                assert_int_equal(t[1], 2000);
                assert_int_equal(bd_oracle_fit(want, now, alive, none, 2, 2100, &c, t), 1);
                assert_int_equal(t[0], 894);
                assert_int_equal(t[1], 1576);
        }
}

static int verdict(const struct bd_scenario *sc, const struct bd_sim_metrics *m, const bool *ran, char *first,
                   size_t len) {
        struct bd_config_errors why = { 0 };
        int n = bd_sim_check(sc, m, ran, &why);

        assert_int_equal((size_t)n, why.n);
        if (first)
                snprintf(first, len, "%s", why.n ? why.items[0].text : "");
        bd_config_errors_free(&why);
        return n;
}

static void test_check_verdicts(void **state) {
        struct bd_scenario_vm vms[2] = { 0 };
        struct bd_scenario sc = { .name = "s", .vms = vms, .n_vms = 2 };
        struct bd_sim_metrics m[BD_SIMPOL__COUNT];
        bool ran[BD_SIMPOL__COUNT];
        char text[512];

        (void)state;
        snprintf(vms[1].spec.name, sizeof(vms[1].spec.name), "web2");
        memset(m, 0, sizeof(m));
        for (int p = 0; p < BD_SIMPOL__COUNT; p++)
                ran[p] = true;
        assert_int_equal(verdict(&sc, m, ran, NULL, 0), 0);

        /* Over RAM where MOM is not. */
        m[BD_SIMPOL_BALLOOND].host_overcommit_sec = 30;
        m[BD_SIMPOL_BALLOOND].host_over_peak_mib = 512;
        m[BD_SIMPOL_BALLOOND].host_over_gib_s = 7.5;
        assert_int_equal(verdict(&sc, m, ran, text, sizeof(text)), 1);
        assert_string_equal(text, "s: host over RAM for 30 s under balloond (peak 512 MiB over, 7.5 GiB*s), mom: 0 s");
        /* Everyone over RAM but the oracle: still a failure. */
        for (int p = 0; p < BD_SIMPOL__COUNT; p++)
                if (p != BD_SIMPOL_ORACLE)
                        m[p].host_overcommit_sec = 10;
        assert_int_equal(verdict(&sc, m, ran, text, sizeof(text)), 1);
        assert_non_null(strstr(text, "oracle: 0 s"));
        /* ... and not when the oracle did not run. */
        ran[BD_SIMPOL_ORACLE] = false;
        assert_int_equal(verdict(&sc, m, ran, NULL, 0), 0);

        /* Guests short where a peer leaves none short; the oracle alone does
         * not count (it may squeeze guests to keep the host within RAM). */
        memset(m, 0, sizeof(m));
        ran[BD_SIMPOL_ORACLE] = true;
        m[BD_SIMPOL_BALLOOND].guest_pressure_vm_sec = 40;
        m[BD_SIMPOL_BALLOOND].worst_vm = 1;
        m[BD_SIMPOL_BALLOOND].worst_vm_pressure_sec = 25;
        m[BD_SIMPOL_BALLOOND].worst_shortfall_mib = 300;
        for (int p = 0; p < BD_SIMPOL__COUNT; p++)
                if (p != BD_SIMPOL_BALLOOND && p != BD_SIMPOL_ORACLE)
                        m[p].guest_pressure_vm_sec = 5;
        assert_int_equal(verdict(&sc, m, ran, NULL, 0), 0);
        m[BD_SIMPOL_PROXMOX].guest_pressure_vm_sec = 0;
        assert_int_equal(verdict(&sc, m, ran, text, sizeof(text)), 1);
        assert_string_equal(text, "s: guests short for 40 VM-s under balloond (most: web2, 25 s; worst 300 MiB out "
                                  "of RAM), proxmox: 0 VM-s");

        /* An OOM fails whatever the peers did. */
        memset(m, 0, sizeof(m));
        m[BD_SIMPOL_BALLOOND].oom_events = 1;
        assert_int_equal(verdict(&sc, m, ran, text, sizeof(text)), 1);
        assert_non_null(strstr(text, "1 OOM events under balloond"));
        /* Nothing to judge without balloond's run. */
        ran[BD_SIMPOL_BALLOOND] = false;
        assert_int_equal(verdict(&sc, m, ran, NULL, 0), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_overcommit_depth), cmocka_unit_test(test_free_page_reporting),
                cmocka_unit_test(test_host_job),         cmocka_unit_test(test_oracle_fit),
                cmocka_unit_test(test_check_verdicts),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
