/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between cycles the host's memory is read every second: a host out of RAM
 * gets its cycle then, not at the end of the interval, at most one a second
 * (bd_policy_cycle_now; the daemon's watch timer and balloond-sim's
 * schedule both ask it). A generated 256 GiB host-job host was past its RAM
 * 3 s at 5 s cycles, 1 s this way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/policy.h"
#include "balloond/core/units.h"

#define INTERVAL (5 * USEC_PER_SEC)
#define T0 (1000 * USEC_PER_SEC)

static struct bd_host_sample host_with(uint64_t avail_kib) {
        struct bd_host_sample h;

        memset(&h, 0, sizeof(h));
        h.mem_total_kib = 16ULL * 1024 * 1024;
        h.mem_available_kib = avail_kib;
        return h;
}

/* Out of RAM 3 s after the last cycle of a 5 s interval: now. */
static void test_out_of_ram_runs_now(void **state) {
        struct bd_host_sample h = host_with(0);

        (void)state;
        assert_true(bd_policy_cycle_now(&h, T0, T0 + 3 * USEC_PER_SEC, INTERVAL));
        assert_true(bd_policy_cycle_now(&h, T0, T0 + BD_WATCH_USEC, INTERVAL));
        h.mem_available_kib = BD_OUT_OF_RAM_KIB - 1;
        assert_true(bd_policy_cycle_now(&h, T0, T0 + 2 * USEC_PER_SEC, INTERVAL));
}

/* At most one cycle a second, even out of RAM. */
static void test_at_most_one_a_second(void **state) {
        struct bd_host_sample h = host_with(0);

        (void)state;
        assert_false(bd_policy_cycle_now(&h, T0, T0 + BD_WATCH_USEC / 2, INTERVAL));
        assert_false(bd_policy_cycle_now(&h, T0, T0, INTERVAL));
}

/* A host with memory left (even past its reserve, critical) waits for its
 * interval; so does one whose interval is a second already, or whose
 * memory is unknown. */
static void test_otherwise_waits(void **state) {
        struct bd_host_sample h = host_with(600 * MIB);

        (void)state;
        assert_false(bd_policy_cycle_now(&h, T0, T0 + 3 * USEC_PER_SEC, INTERVAL));
        h.mem_available_kib = BD_OUT_OF_RAM_KIB;
        assert_false(bd_policy_cycle_now(&h, T0, T0 + 3 * USEC_PER_SEC, INTERVAL));
        h.mem_available_kib = 0;
        assert_false(bd_policy_cycle_now(&h, T0, T0 + 3 * USEC_PER_SEC, BD_WATCH_USEC));
        h.mem_total_kib = 0;
        assert_false(bd_policy_cycle_now(&h, T0, T0 + 3 * USEC_PER_SEC, INTERVAL));
        h = host_with(BD_KIB_UNKNOWN);
        assert_false(bd_policy_cycle_now(&h, T0, T0 + 3 * USEC_PER_SEC, INTERVAL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_out_of_ram_runs_now),
                cmocka_unit_test(test_at_most_one_a_second),
                cmocka_unit_test(test_otherwise_waits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
