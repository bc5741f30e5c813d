/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The scenario keys of the host-side model (free page reporting, host
 * jobs, bursts and ramps) and the per-VM settings at scale: each bad value
 * is refused with FILE: WHERE: WHAT. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/sim/scenario.h"

#define DOC(host, vm)                                                                                    \
        "{ \"name\": \"k\", \"duration_sec\": 600, \"host\": { \"ram_mib\": 4096" host " }, \"vms\": [ " \
        "{ \"name\": \"a\", \"max_mib\": 1024" vm " } ] }"

/* TEXT is refused with exactly the error EXPECTED. */
static void refused(const char *text, const char *expected) {
        struct bd_scenario sc = { 0 };
        struct bd_config_errors errs = { 0 };

        assert_int_equal(bd_scenario_load_string(text, "k.json", &sc, &errs), -EINVAL);
        if (errs.n != 1 || strcmp(errs.items[0].text, expected) != 0) {
                for (size_t i = 0; i < errs.n; i++)
                        print_error("got: %s\n", errs.items[i].text);
                print_error("expected: %s\n", expected);
                fail();
        }
        assert_null(sc.vms);
        bd_config_errors_free(&errs);
}

static void test_bad_keys(void **state) {
        (void)state;
        refused(DOC(", \"free_page_reporting\": \"yes\"", ", \"demand\": { \"base_mib\": 1 }"),
                "k.json: host.free_page_reporting: expected true or false");
        refused(DOC(", \"job\": { \"kind\": \"spike\", \"base_mib\": 0, \"amp_mib\": 3072, \"at_sec\": 1, "
                    "\"duration_sec\": 5 }",
                    ", \"demand\": { \"base_mib\": 1 }"),
                "k.json: host.job: at its largest (3072 MiB) it and the host's own use leave no RAM for VMs");
        refused(DOC(", \"job\": { \"kind\": \"spike\", \"base_mib\": 0, \"at_sec\": 1, \"duration_sec\": 5 }",
                    ", \"demand\": { \"base_mib\": 1 }"),
                "k.json: host.job.amp_mib: missing (0..16777216)");
        refused(DOC("", ", \"demand\": { \"kind\": \"bursts\", \"base_mib\": 1, \"amp_mib\": 300, "
                        "\"period_sec\": 60, \"duration_sec\": 90 }"),
                "k.json: vms[0].demand.duration_sec: 90 is longer than period_sec (60)");
        refused(DOC("", ", \"demand\": { \"kind\": \"ramp\", \"base_mib\": 1, \"amp_mib\": 300 }"),
                "k.json: vms[0].demand.duration_sec: missing (1..604800)");
        refused(DOC("", ", \"demand\": { \"base_mib\": 1 }, \"balloon\": { \"free_page_reporting\": 1 }"),
                "k.json: vms[0].balloon.free_page_reporting: expected true or false");
        refused("{ \"name\": \"k\", \"duration_sec\": 600, \"host\": { \"ram_mib\": 4096 }, \"vms\": [] }",
                "k.json: vms: expected a list of at least one VM");
}

/* Free page reporting: the host's default, a VM's own choice over it. */
static void test_fpr_default(void **state) {
        static const char text[] =
                "{ \"name\": \"k\", \"duration_sec\": 600, \"host\": { \"ram_mib\": 4096, \"free_page_reporting\": "
                "false }, \"vms\": [ { \"name\": \"a\", \"max_mib\": 1024, \"demand\": { \"base_mib\": 1 } }, "
                "{ \"name\": \"b\", \"max_mib\": 1024, \"demand\": { \"base_mib\": 1 }, \"balloon\": { "
                "\"free_page_reporting\": true } } ] }";
        struct bd_scenario sc = { 0 };
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_scenario_load_string(text, "k.json", &sc, &errs), 0);
        assert_true(sc.vms[0].spec.flags & BD_VM_NO_FREE_PAGE_REPORTING);
        assert_false(sc.vms[1].spec.flags & BD_VM_NO_FREE_PAGE_REPORTING);
        bd_scenario_free(&sc);
}

/* N VMs as JSON: every one with min 512, and the first OWN with min 256. */
static char *many(size_t n, size_t own) {
        size_t cap = 200 + n * 120, len;
        char *t = malloc(cap);

        assert_non_null(t);
        len = (size_t)snprintf(t, cap, "{ \"name\": \"m\", \"duration_sec\": 60, \"host\": { \"ram_mib\": 1048576 }, "
                                       "\"vms\": [");
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(t + len, cap - len,
                                        "%s{ \"name\": \"v%zu\", \"max_mib\": 1024, \"min_mib\": %d, "
                                        "\"demand\": { \"base_mib\": 100 } }",
                                        i ? ", " : "", i, i < own ? 256 : 512);
        snprintf(t + len, cap - len, "] }");
        return t;
}

/* 2,000 VMs: most VMs' minimum becomes balloond's default, 256 others get
 * a rule each; 257 others are refused with the reason. */
static void test_many_vms(void **state) {
        struct bd_scenario sc = { 0 };
        struct bd_config_errors errs = { 0 };
        char *t = many(2000, 256);

        (void)state;
        assert_int_equal(bd_scenario_load_string(t, "m.json", &sc, &errs), 0);
        assert_int_equal(sc.n_vms, 2000);
        assert_int_equal(sc.cfg.min_kib, 512 * MIB);
        assert_int_equal(sc.cfg.n_rules, 256);
        assert_int_equal(sc.cfg.rules[0].min_kib, 256 * MIB);
        bd_scenario_free(&sc);
        free(t);
        t = many(2000, 257);
        assert_int_equal(bd_scenario_load_string(t, "m.json", &sc, &errs), -EINVAL);
        assert_int_equal(errs.n, 1);
        assert_string_equal(errs.items[0].text,
                            "m.json: vms: 257 VMs have a min_mib or shares other than most VMs': at most 256");
        bd_config_errors_free(&errs);
        free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_keys),
                cmocka_unit_test(test_fpr_default),
                cmocka_unit_test(test_many_vms),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
