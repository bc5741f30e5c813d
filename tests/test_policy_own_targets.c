/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloond's own targets are never someone else's (src/core/policy_guard.c):
 * a call that overran its deadline (BD_VM_SET_PENDING while it is out) or
 * failed may still land, late; the balloon reaching such a target is
 * balloond's move. A size balloond never asked for is someone else's; and
 * a VM that is shut off is reported as such, its foreign hold ending with
 * its run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* One cycle in which balloond's calls for VM I do not return (the daemon
 * records a target asked for, never applied; later cycles' calls for it are
 * skipped while the first is out): decide, apply the others, time moves on.
 * Returns I's decision's target when it asked for one, else 0. */
static uint64_t cycle_unanswered(struct pw *w, size_t i, bool first) {
        uint64_t target = 0;

        pw_report(w);
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        if (first && w->d[i].action != BD_ACTION_NONE) {
                target = w->d[i].target_kib;
                bd_policy_note_asked(&w->h[i], target, w->now);
        }
        w->now += 5 * SEC;
        w->wall += 5;
        return target;
}

/* A VM of at most 4 GiB at SIZE MiB using 1 GiB on a host under pressure:
 * its first shrink's call overruns and is out for OUT cycles of 5 s;
 * returns its target. */
static uint64_t shrink_overruns(struct pw *w, size_t *i, uint64_t size, int out) {
        uint64_t target;

        pw_init(w);
        *i = pw_add(w, 4096, size, 1024);
        pw_free_pct(w, 10);
        target = cycle_unanswered(w, *i, true);
        assert_true(target > 0 && target < M(size));
        w->s[*i].flags |= BD_VM_SET_PENDING;
        for (int c = 0; c < out; c++) {
                cycle_unanswered(w, *i, false);
                assert_int_equal(w->d[*i].foreign_kib, 0);
        }
        w->s[*i].flags &= ~(unsigned)BD_VM_SET_PENDING;
        return target;
}

/* The late call lands 40 s after it was made (past the 30 s settle window,
 * which starts when the call returns): balloond's own, managed on. */
static void test_late_landing_is_own(void **state) {
        struct pw w;
        size_t i;
        uint64_t target = shrink_overruns(&w, &i, 4096, 8);
        bool shrank = false;

        (void)state;
        w.s[i].actual_kib = target; /* the call returned: the balloon moves there */
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, 0);
        assert_int_not_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
        for (int c = 0; c < 20; c++) {
                shrank |= w.d[i].action == BD_ACTION_SHRINK;
                assert_int_equal(w.d[i].foreign_kib, 0);
                assert_int_not_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
                pw_cycle(&w);
        }
        assert_true(shrank); /* managed again */
        assert_true(w.h[i].foreign_until_usec <= w.now);
}

/* A call that failed (no overrun: nothing out) but landed anyway a cycle
 * later, part of the way first: balloond's own too. */
static void test_failed_call_landing_is_own(void **state) {
        struct pw w;
        size_t i;
        uint64_t target = shrink_overruns(&w, &i, 4096, 0);

        (void)state;
        w.s[i].actual_kib = (w.s[i].actual_kib + target) / 2;
        cycle_unanswered(&w, i, false);
        assert_int_equal(w.d[i].foreign_kib, 0);
        w.s[i].actual_kib = target;
        cycle_unanswered(&w, i, false);
        assert_int_equal(w.d[i].foreign_kib, 0);
        assert_int_not_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
}

/* While balloond's call is out, a setmem to a size it never asked for (up,
 * or down past its target) is someone else's; so is its old target once
 * the settle window is long over with nothing out. */
static void test_setmem_is_foreign(void **state) {
        struct pw w;
        size_t i;
        uint64_t target;

        (void)state;
        for (int up = 0; up < 2; up++) {
                target = shrink_overruns(&w, &i, up ? 3072 : 4096, 2);
                w.s[i].flags |= BD_VM_SET_PENDING;
                w.s[i].actual_kib = up ? M(4096) : target - M(512);
                cycle_unanswered(&w, i, false);
                assert_int_equal(w.d[i].foreign_kib, up ? M(1024) : M(4096) - w.s[i].actual_kib);
                assert_int_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
                assert_true(w.h[i].foreign_until_usec > w.now);
        }
        /* Asked for 60 s ago, nothing out since: the window is over. */
        target = shrink_overruns(&w, &i, 4096, 0);
        for (int c = 0; c < 12; c++)
                cycle_unanswered(&w, i, false);
        w.s[i].actual_kib = target;
        cycle_unanswered(&w, i, false);
        assert_true(w.d[i].foreign_kib > M(1));
}

/* A VM held for a size someone else set, then shut off: reported shut off
 * (its state first), its hold over; started again at another size: no one
 * else's target, managed. */
static void test_shut_off_first(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        pw_init(&w);
        i = pw_add(&w, 4096, 3072, 1024);
        pw_free_pct(&w, 10);
        pw_cycles(&w, 2);
        w.s[i].actual_kib = M(4096); /* virsh setmem */
        pw_cycle(&w);
        assert_int_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
        w.s[i].state = BD_RUN_SHUTOFF;
        w.s[i].actual_kib = M(2048); /* what a shut-off domain reports: its persistent size */
        pw_cycle(&w);
        assert_int_equal(w.d[i].reason, BD_REASON_SHUT_OFF);
        assert_int_equal(w.d[i].status, BD_STATUS_EXCLUDED);
        assert_int_equal(w.d[i].foreign_kib, 0);
        assert_true(w.h[i].foreign_until_usec == 0);
        w.s[i].state = BD_RUN_RUNNING;
        w.s[i].actual_kib = M(4096); /* booted at its maximum */
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, 0);
        assert_int_not_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_SHRINK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_late_landing_is_own),
                cmocka_unit_test(test_failed_call_landing_is_own),
                cmocka_unit_test(test_setmem_is_foreign),
                cmocka_unit_test(test_shut_off_first),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
