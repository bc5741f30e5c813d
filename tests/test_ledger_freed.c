/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Memory a guest stops using while balloond shrinks it (src/core/ledger.c,
 * measure()): with free page reporting it leaves the host on its own, and
 * the balloon is not credited with it; without, it stays resident until the
 * balloon takes it, and all the process gave back is the balloon's. The
 * case of tests/e2e/ledger.sh's bd-l1: a 640 MiB hog freed just before the
 * shrink, its guest's use still falling meanwhile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/ledger.h"
#include "balloond/core/units.h"

#define M(mib) ((uint64_t)(mib) * MIB)

/* A 1,024 MiB guest using USED_BEFORE MiB, its process at 854 MiB, shrunk
 * to 559 MiB; by then it uses USED_AFTER MiB and its process holds RSS. */
static uint64_t confirmed(unsigned flags, uint64_t used_before, uint64_t used_after, uint64_t rss) {
        struct bd_vm_sample s;
        struct bd_vm_history h = { 0 };
        struct bd_decision d = { .action = BD_ACTION_SHRINK, .actual_kib = M(1024), .target_kib = M(559),
                                 .rss_kib = M(854), .usable_kib = M(1024 - used_before) };

        bd_vm_sample_init(&s);
        snprintf(s.name, sizeof(s.name), "bd-l1");
        s.state = BD_RUN_RUNNING;
        s.flags = flags;
        s.max_kib = M(1024);
        s.actual_kib = M(559);
        s.available_kib = M(559);
        s.usable_kib = M(559 - used_after);
        s.unused_kib = s.usable_kib;
        s.last_update_sec = 1790000000LL;
        s.stats_period_sec = 1;
        s.rss_kib = M(rss);
        bd_ledger_note_applied(&h, &d);
        h.target_kib = M(559);
        for (int i = 0; i < BD_RECLAIM_SETTLE_CYCLES; i++) {
                s.last_update_sec++;
                bd_ledger_observe(&h, &s);
        }
        assert_false(h.reclaim.open);
        return h.reclaim.returned_kib;
}

/* Without free page reporting, the guest's use falling 135 -> 24 MiB does
 * not take 111 MiB off what the balloon returned (473 MiB, at most the
 * 465 MiB it moved). */
static void test_without_fpr_a_fall_is_the_balloons(void **state) {
        (void)state;
        assert_int_equal(confirmed(BD_VM_NO_FREE_PAGE_REPORTING, 135, 24, 381), M(465));
}

/* With free page reporting, the 111 MiB left on their own: 362 MiB. */
static void test_with_fpr_a_fall_left_on_its_own(void **state) {
        (void)state;
        assert_int_equal(confirmed(0, 135, 24, 381), M(473 - 111));
}

/* Either way, memory the guest took meanwhile is resident too: counted
 * (the process fell 154 MiB while its guest took 50 more: 204). */
static void test_a_rise_counts_either_way(void **state) {
        (void)state;
        assert_int_equal(confirmed(BD_VM_NO_FREE_PAGE_REPORTING, 24, 74, 700), M(204));
        assert_int_equal(confirmed(0, 24, 74, 700), M(204));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_without_fpr_a_fall_is_the_balloons),
                cmocka_unit_test(test_with_fpr_a_fall_left_on_its_own),
                cmocka_unit_test(test_a_rise_counts_either_way),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
