/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated host: determinism, balloon speed, OOM stalls, frozen stats,
 * stuck balloons, swap, demand shapes, and the built-in host's start. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/core/config.h"
#include "balloond/sim/model.h"

#define SEC 1000000ULL
#define T0 (50 * SEC)
#define W0 1790000000LL

static struct bd_sim *one_vm(const struct bd_sim_vm_spec *spec) {
        struct bd_sim_host_spec host = { .ram_kib = 8 * GIB };
        struct bd_sim *sim = NULL;

        assert_int_equal(bd_sim_new(&host, spec, 1, &sim), 0);
        bd_sim_advance(sim, T0, W0);
        return sim;
}

static struct bd_sim_vm_spec idle_vm(void) {
        struct bd_sim_vm_spec v;

        memset(&v, 0, sizeof(v));
        snprintf(v.name, sizeof(v.name), "v");
        snprintf(v.uuid, sizeof(v.uuid), "5eed0000-0000-4000-8000-000000000001");
        v.state = BD_RUN_RUNNING;
        v.max_kib = 4 * GIB;
        v.demand.base_kib = GIB;
        v.stats_freeze_sec = -1;
        return v;
}

static void advance(struct bd_sim *sim, uint64_t sec) {
        bd_sim_advance(sim, T0 + sec * SEC, W0 + (int64_t)sec);
}

static void test_determinism(void **state) {
        struct bd_sim *a, *b;
        const struct bd_vm_sample *sa, *sb;
        size_t na, nb;

        (void)state;
        assert_int_equal(bd_sim_new_builtin(&a), 0);
        assert_int_equal(bd_sim_new_builtin(&b), 0);
        bd_sim_advance(a, T0, W0);
        bd_sim_advance(b, T0, W0);
        for (uint64_t t = 5; t <= 1200; t += 5) {
                advance(a, t);
                advance(b, t);
                if (t == 100) {
                        assert_int_equal(bd_sim_set_target(a, 0, 3 * GIB), 0);
                        assert_int_equal(bd_sim_set_target(b, 0, 3 * GIB), 0);
                }
        }
        sa = bd_sim_samples(a, &na);
        sb = bd_sim_samples(b, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(sa, sb, na * sizeof(*sa));
        bd_sim_free(a);
        bd_sim_free(b);
}

static void test_balloon_speed(void **state) {
        struct bd_sim_vm_spec spec = idle_vm();
        struct bd_sim *sim = one_vm(&spec);
        const struct bd_vm_sample *s;
        size_t n;

        (void)state;
        assert_int_equal(bd_sim_set_target(sim, 0, 4 * GIB - 1024 * MIB), 0);
        s = bd_sim_samples(sim, &n);
        assert_int_equal(s[0].actual_kib, 4 * GIB); /* not instantly */
        advance(sim, 1);
        assert_int_equal(s[0].actual_kib, 4 * GIB - 870 * MIB); /* 870 MiB/s inflating */
        advance(sim, 2);
        assert_int_equal(s[0].actual_kib, 3 * GIB);
        assert_int_equal(bd_sim_set_target(sim, 0, 4 * GIB), 0);
        advance(sim, 3);
        assert_int_equal(s[0].actual_kib, 4 * GIB); /* 2.5 GiB/s deflating */
        bd_sim_free(sim);
}

static void test_oom_stall(void **state) {
        struct bd_sim_vm_spec spec = idle_vm();
        struct bd_sim *sim = one_vm(&spec);
        struct bd_sim_vm_truth t;
        const struct bd_vm_sample *s;
        size_t n;

        (void)state;
        assert_int_equal(bd_sim_set_target(sim, 0, 512 * MIB), 0); /* below its 1 GiB demand */
        advance(sim, 10);
        s = bd_sim_samples(sim, &n);
        bd_sim_vm_truth(sim, 0, &t);
        assert_int_equal(t.oom_events, 1);
        assert_int_equal(s[0].actual_kib, GIB + 104 * MIB); /* demand + kernel + watermark */
        advance(sim, 20);
        bd_sim_vm_truth(sim, 0, &t);
        assert_int_equal(t.oom_events, 1); /* one episode */
        bd_sim_free(sim);
}

static void test_swap(void **state) {
        struct bd_sim_step steps[] = { { 10, 4 * GIB }, { 20, GIB } };
        struct bd_sim_vm_spec spec = idle_vm();
        struct bd_sim *sim;
        struct bd_sim_vm_truth t;
        const struct bd_vm_sample *s;
        size_t n;

        (void)state;
        spec.swap_kib = GIB;
        spec.demand.kind = BD_SIM_STEPS;
        spec.demand.n_steps = 2;
        spec.demand.steps = steps;
        sim = one_vm(&spec);
        advance(sim, 12);
        s = bd_sim_samples(sim, &n);
        bd_sim_vm_truth(sim, 0, &t);
        assert_true(t.swapped_kib > 0);
        assert_true(s[0].swap_out_kib > 0);
        assert_int_equal(s[0].swap_in_kib, 0);
        advance(sim, 24);
        bd_sim_vm_truth(sim, 0, &t);
        assert_int_equal(t.swapped_kib, 0);
        assert_true(s[0].swap_in_kib > 0);
        assert_true(s[0].major_faults > 0);
        bd_sim_free(sim);
}

static void test_frozen_and_stuck(void **state) {
        struct bd_sim_vm_spec spec = idle_vm();
        struct bd_sim *sim;
        const struct bd_vm_sample *s;
        size_t n;
        int64_t last;

        (void)state;
        spec.stats_freeze_sec = 10;
        spec.balloon_stuck = true;
        sim = one_vm(&spec);
        advance(sim, 8);
        s = bd_sim_samples(sim, &n);
        last = s[0].last_update_sec;
        assert_true(last >= W0 + 6);
        advance(sim, 60);
        assert_true(s[0].last_update_sec <= W0 + 10);
        assert_true(s[0].last_update_sec >= last);
        assert_int_equal(bd_sim_set_target(sim, 0, 2 * GIB), 0);
        advance(sim, 80);
        assert_int_equal(s[0].actual_kib, 4 * GIB);
        bd_sim_free(sim);
}

static void test_set_target_errors(void **state) {
        struct bd_sim *sim;

        (void)state;
        assert_int_equal(bd_sim_new_builtin(&sim), 0);
        bd_sim_advance(sim, T0, W0);
        assert_int_equal(bd_sim_set_target(sim, 4, GIB), -EOPNOTSUPP); /* legacy1: no balloon */
        assert_int_equal(bd_sim_set_target(sim, 5, GIB), -ESTALE);     /* paused1 */
        assert_int_equal(bd_sim_set_target(sim, 0, 0), -EINVAL);
        assert_int_equal(bd_sim_set_target(sim, 0, 5 * GIB), -EINVAL);
        assert_int_equal(bd_sim_set_target(sim, 99, GIB), -ENOENT);
        bd_sim_free(sim);
}

static void test_demand_shapes(void **state) {
        struct bd_sim_demand d;

        (void)state;
        memset(&d, 0, sizeof(d));
        d.kind = BD_SIM_PERIODIC;
        d.base_kib = GIB;
        d.amp_kib = 2 * GIB;
        d.period_sec = 600;
        assert_int_equal(bd_sim_demand_at(&d, 0), GIB);
        assert_int_equal(bd_sim_demand_at(&d, 300), 3 * GIB);
        assert_int_equal(bd_sim_demand_at(&d, 600), GIB);
        d.kind = BD_SIM_SPIKE;
        d.at_sec = 100;
        d.duration_sec = 10;
        assert_int_equal(bd_sim_demand_at(&d, 99), GIB);
        assert_int_equal(bd_sim_demand_at(&d, 100), 3 * GIB);
        assert_int_equal(bd_sim_demand_at(&d, 110), GIB);
        d.kind = BD_SIM_WALK;
        d.seed = 42;
        d.walk_step_kib = 64 * MIB;
        for (uint64_t t = 0; t < 500; t += 7) {
                uint64_t v = bd_sim_demand_at(&d, t);

                assert_true(v >= d.base_kib && v <= d.base_kib + d.amp_kib);
                assert_int_equal(v, bd_sim_demand_at(&d, t)); /* a function of the seed and t */
        }
}

/* The built-in host starts in the pressure band under the default config. */
static void test_builtin_starts_in_pressure(void **state) {
        struct bd_sim *sim;
        struct bd_host_sample h;
        struct bd_config cfg;
        double free_pct;

        (void)state;
        bd_config_defaults(&cfg);
        assert_int_equal(bd_sim_new_builtin(&sim), 0);
        bd_sim_advance(sim, T0, W0);
        bd_sim_host_sample(sim, &h);
        free_pct = 100.0 * (double)(h.mem_available_kib - cfg.host_reserve_kib) / (double)h.mem_total_kib;
        assert_true(free_pct < cfg.pressure_free_pct && free_pct > cfg.critical_free_pct);
        bd_sim_free(sim);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_determinism),
                cmocka_unit_test(test_balloon_speed),
                cmocka_unit_test(test_oom_stall),
                cmocka_unit_test(test_swap),
                cmocka_unit_test(test_frozen_and_stuck),
                cmocka_unit_test(test_set_target_errors),
                cmocka_unit_test(test_demand_shapes),
                cmocka_unit_test(test_builtin_starts_in_pressure),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
