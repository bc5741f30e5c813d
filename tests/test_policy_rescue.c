/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest about to run out (less than half its margin free) below its
 * floor while the host is inside its reserve: its floor may come out of the
 * reserve but its last quarter (ram_rescue_kib, policy_urgent.c); a guest
 * that still has half its margin free waits for reclaim as before.
 * Generated database hosts (`balloond-sim --generate database --seed 1`):
 * a web guest whose use rose while the others sat at their floors stalled
 * short of its floor for 1,153 VM-s (43 OOM events) beside a host with
 * 450 MiB of MemAvailable; 0 with this. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_world.h"

/* One 4 GiB guest using 1,150 MiB (margin 256 MiB: floor 1,406 MiB) at
 * SIZE_MIB, on a 16 GiB host (reserve 1 GiB) with AVAIL_MIB available. */
static void one_cycle(struct pw *w, uint64_t size_mib, uint64_t avail_mib) {
        pw_init(w);
        w->host.mem_total_kib = M(16384);
        pw_add(w, 4096, size_mib, 1150);
        w->host.mem_available_kib = M(avail_mib);
        pw_cycle(w);
}

/* 50 MiB free of a 256 MiB margin, 700 MiB available: the floor's 206 MiB
 * from the reserve (444 MiB of it above its last quarter). */
static void test_floor_out_of_the_reserve(void **state) {
        struct pw w;

        (void)state;
        one_cycle(&w, 1200, 700);
        assert_int_equal(w.view.ram_hard_kib, 0);
        assert_int_equal(w.view.ram_rescue_kib, M(700 - 256));
        assert_int_equal(w.d[0].action, BD_ACTION_GROW);
        assert_int_equal(w.d[0].target_kib, M(1406));
        assert_int_equal(w.d[0].unmet_kib, 0);
}

/* 300 MiB available: only the 44 MiB above the reserve's last quarter. */
static void test_last_quarter_kept(void **state) {
        struct pw w;

        (void)state;
        one_cycle(&w, 1200, 300);
        assert_int_equal(w.d[0].action, BD_ACTION_GROW);
        assert_int_equal(w.d[0].target_kib, M(1200 + 44));
        assert_int_equal(w.d[0].unmet_kib, M(206 - 44));
        one_cycle(&w, 1200, 256);
        assert_int_equal(w.d[0].action, BD_ACTION_NONE);
        assert_int_equal(w.d[0].reason, BD_REASON_NO_HEADROOM);
}

/* 150 MiB free (over half its margin): short of its floor, not about to
 * run out; the reserve stays the host's. */
static void test_not_about_to_run_out(void **state) {
        struct pw w;

        (void)state;
        one_cycle(&w, 1300, 700);
        assert_int_equal(w.d[0].action, BD_ACTION_NONE);
        assert_int_equal(w.d[0].reason, BD_REASON_NO_HEADROOM);
        assert_int_equal(w.d[0].unmet_kib, M(106));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_floor_out_of_the_reserve),
                cmocka_unit_test(test_last_quarter_kept),
                cmocka_unit_test(test_not_about_to_run_out),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
