/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peers' jumps and bursts of every VM at once (policy_peers.c, grouped
 * by maximum size, O(n)) give exactly what each VM scanning all the others
 * gives (bd_guard_fleet_jump, bd_guard_fleet_burst): random fleets of a few
 * sizes, with ties, stopped VMs and VMs without a jump; and with more sizes
 * than the table holds (the rest scanned). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/policy.h"
#include "balloond/core/units.h"
#include "policy_phases.h"

#define N 300
#define NOW (100000ULL * USEC_PER_SEC)

static uint64_t rnd(uint64_t *x) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        return *x;
}

static void fleet(uint64_t seed, unsigned sizes, struct bd_vm_sample *s, struct bd_vm_history *h) {
        uint64_t x = seed;

        for (size_t i = 0; i < N; i++) {
                bd_vm_sample_init(&s[i]);
                memset(&h[i], 0, sizeof(h[i]));
                s[i].state = rnd(&x) % 8 ? BD_RUN_RUNNING : BD_RUN_PAUSED;
                s[i].max_kib = (1 + rnd(&x) % sizes) * MIB * 512;
                h[i].jump_kib = rnd(&x) % 3 ? (rnd(&x) % 8) * 100 * MIB : 0; /* ties on purpose */
                h[i].jump_usec = NOW - (rnd(&x) % 600) * USEC_PER_SEC;  /* some older than the hold */
                h[i].burst_kib = rnd(&x) % 3 ? (double)((rnd(&x) % 6) * 200 * MIB) : 0.0;
                h[i].burst_usec = NOW - (rnd(&x) % 7200) * USEC_PER_SEC;
        }
}

static void check(unsigned sizes) {
        static struct bd_vm_sample s[N];
        static struct bd_vm_history h[N];
        static struct bd_decision d[N];
        struct bd_config cfg;

        bd_config_defaults(&cfg);
        for (uint64_t seed = 1; seed <= 20; seed++) {
                fleet(seed * 0x9e3779b97f4a7c15ULL, sizes, s, h);
                memset(d, 0, sizeof(d));
                for (size_t i = 0; i < N; i++) {
                        d[i].share_role = i % 2 ? BD_ROLE_TAKER : BD_ROLE_NONE;
                        d[i].peer_rise_kib = i % 5 ? 0 : 64 * MIB;
                }
                bd_guard_fleet_jumps(&cfg, s, h, N, NOW, d);
                bd_guard_fleet_bursts(&cfg, s, h, N, NOW, d);
                for (size_t i = 0; i < N; i++) {
                        uint64_t burst = max_u64(bd_guard_fleet_burst(&cfg, s, h, N, i, NOW), d[i].peer_rise_kib);

                        assert_int_equal(d[i].fleet_jump_kib, bd_guard_fleet_jump(&cfg, s, h, N, i, NOW));
                        if (d[i].share_role == BD_ROLE_TAKER)
                                assert_int_equal(d[i].peer_burst_kib, burst);
                        else
                                assert_int_equal(d[i].peer_burst_kib, 0);
                }
        }
}

static void test_few_sizes(void **state) {
        (void)state;
        check(4);
}

static void test_more_sizes_than_the_table(void **state) {
        (void)state;
        check(150);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_few_sizes),
                cmocka_unit_test(test_more_sizes_than_the_table),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
