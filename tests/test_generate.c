/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The scenario generator: the same seed gives the same text, every family
 * gives scenarios the loader accepts and the simulator runs, VM i does not
 * depend on how many VMs there are, bad requests are refused with a reason;
 * and the density search on a family. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/sim/density.h"
#include "balloond/sim/generate.h"

static char *gen(const char *family, uint64_t seed, size_t n, uint64_t host_gib) {
        struct bd_gen_params p = { .family = family, .seed = seed, .n_vms = n, .host_gib = host_gib,
                                   .duration_sec = 600 };
        char *text = NULL, err[256];

        assert_int_equal(bd_generate(&p, &text, err, sizeof(err)), 0);
        assert_non_null(text);
        return text;
}

static void load(const char *text, struct bd_scenario *sc) {
        struct bd_config_errors errs = { 0 };

        if (bd_scenario_load_string(text, "gen.json", sc, &errs) < 0) {
                for (size_t i = 0; i < errs.n; i++)
                        print_error("%s\n", errs.items[i].text);
                fail();
        }
        bd_config_errors_free(&errs);
}

static void test_same_seed_same_text(void **state) {
        (void)state;
        for (const char *const *f = bd_gen_families(); *f; f++) {
                char *a = gen(*f, 7, 10, 16), *b = gen(*f, 7, 10, 16), *c = gen(*f, 8, 10, 16);

                assert_string_equal(a, b);
                assert_true(strcmp(a, c) != 0); /* another seed, another host */
                free(a);
                free(b);
                free(c);
        }
}

/* Every family loads, runs under every policy and has the VMs asked for. */
static void test_families_valid(void **state) {
        size_t n_fams = 0;

        (void)state;
        for (const char *const *f = bd_gen_families(); *f; f++, n_fams++) {
                struct bd_scenario sc = { 0 };
                char *text = gen(*f, 1, 12, 0);

                load(text, &sc);
                assert_int_equal(sc.n_vms, 12);
                assert_int_equal(sc.duration_sec, 600);
                for (int p = 0; p < BD_SIMPOL__COUNT; p++) {
                        struct bd_sim_metrics m;

                        assert_int_equal(bd_simulate(&sc, (enum bd_sim_policy)p, &m, NULL, NULL), 0);
                }
                assert_non_null(bd_gen_describe(*f));
                bd_scenario_free(&sc);
                free(text);
        }
        assert_true(n_fams >= 10);
}

/* VM i is the same in a scenario of 5 VMs and of 9 (the host aside). */
static void test_nested(void **state) {
        (void)state;
        for (const char *const *f = bd_gen_families(); *f; f++) {
                struct bd_scenario a = { 0 }, b = { 0 };
                char *ta = gen(*f, 3, 5, 32), *tb = gen(*f, 3, 9, 32);

                load(ta, &a);
                load(tb, &b);
                for (size_t i = 0; i < 5; i++) {
                        struct bd_scenario_vm x = a.vms[i], y = b.vms[i];

                        assert_int_equal(x.spec.demand.n_steps, y.spec.demand.n_steps);
                        if (x.spec.demand.n_steps)
                                assert_memory_equal(x.spec.demand.steps, y.spec.demand.steps,
                                                    x.spec.demand.n_steps * sizeof(*x.spec.demand.steps));
                        x.spec.demand.steps = y.spec.demand.steps = NULL; /* each scenario's own copy */
                        assert_memory_equal(&x, &y, sizeof(x));
                }
                assert_memory_equal(&a.host, &b.host, sizeof(a.host)); /* no host job has steps */
                bd_scenario_free(&a);
                bd_scenario_free(&b);
                free(ta);
                free(tb);
        }
}

static void test_refused(void **state) {
        struct bd_gen_params p = { .family = "zigzag", .seed = 1, .n_vms = 4 };
        char *text = NULL, err[256];

        (void)state;
        assert_int_equal(bd_generate(&p, &text, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "unknown family 'zigzag'");
        p.family = "diurnal";
        p.n_vms = 0;
        assert_int_equal(bd_generate(&p, &text, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "0 VMs: 1 to 100000");
        p.n_vms = 4;
        p.host_gib = 2;
        assert_int_equal(bd_generate(&p, &text, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "a host of 2048 MiB: 4 GiB to 16 TiB");
        assert_null(text);
        assert_null(bd_gen_describe("zigzag"));
}

/* On a 16 GiB host: the search's answer passes (when it is not 0) while
 * one more fails (or the cap is reached); no ballooning hosts a few. */
static void test_density(void **state) {
        struct bd_density_opts o = { .family = "bursts", .host_gib = 16, .seeds = 1, .duration_sec = 600 };

        (void)state;
        for (int p = 0; p < BD_SIMPOL__COUNT; p++) {
                unsigned runs = 0;
                size_t n = 0;
                bool ok;
                char err[256];

                assert_int_equal(bd_density(&o, (enum bd_sim_policy)p, &n, &runs, err, sizeof(err)), 0);
                assert_true(runs > 0);
                assert_true(p != BD_SIMPOL_NONE || n >= 4);
                if (n) {
                        assert_int_equal(bd_density_ok(&o, (enum bd_sim_policy)p, n, &ok, err, sizeof(err)), 0);
                        assert_true(ok);
                }
                if (n < 16 * 1024 / 512 + 1) {
                        assert_int_equal(bd_density_ok(&o, (enum bd_sim_policy)p, n + 1, &ok, err, sizeof(err)), 0);
                        assert_false(ok);
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_seed_same_text), cmocka_unit_test(test_families_valid),
                cmocka_unit_test(test_nested),              cmocka_unit_test(test_refused),
                cmocka_unit_test(test_density),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
