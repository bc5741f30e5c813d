/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest whose reports stopped (stats_stale) or turned impossible
 * (stats_invalid) is owed all its balloon holds below its entitlement, not
 * only what this balloond's shrinks took (src/core/policy_guard.c). In the
 * simulator's freeze family a guest grown by relaxed deflation (never
 * shrunk: nothing "taken") froze at 2,580 of 4,096 MiB and then needed
 * 2,664: held there, it ran out (`balloond-sim --density freeze
 * --host-gib 16`: 4 VMs before, 6 with the rule; 256 GiB: 91, 112). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* A 4 GiB VM that relaxed deflation grew from 1,792 to 2,580 MiB (its
 * guest using 1,100), on a host with room above its critical line. */
static size_t grown_then(struct pw *w) {
        size_t i;

        pw_init(w);
        i = pw_add(w, 4096, 2580, 1100);
        pw_free_pct(w, 25); /* normal: nothing reclaimed, nothing deflated */
        pw_cycles(w, 3);
        assert_int_equal(w->s[i].actual_kib, M(2580));
        assert_int_equal(w->d[i].status, BD_STATUS_OK);
        assert_int_equal(w->h[i].taken_kib, 0); /* balloond took nothing */
        return i;
}

/* Its statistics freeze: given its entitlement back, within the budget. */
static void test_stale_given_entitlement(void **state) {
        struct pw w;
        size_t i = grown_then(&w);

        (void)state;
        w.frozen[i] = true;
        w.wall += 60;
        pw_cycle(&w);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[i].status_reason, BD_REASON_STATS_STALE);
        assert_int_equal(w.d[i].action, BD_ACTION_GROW);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        assert_int_equal(w.d[i].target_kib, M(4096));
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE); /* all given back */
        assert_int_equal(w.s[i].actual_kib, M(4096));
}

/* Under pressure too, even when critical: like a floor, within what RAM
 * has above the host's reserve (a guest balloond cannot see may be
 * starving). */
static void test_stale_under_pressure_within_budget(void **state) {
        struct pw w;
        size_t i = grown_then(&w);

        (void)state;
        w.frozen[i] = true;
        w.wall += 60;
        pw_free_pct(&w, 10); /* pressure: 6.5 GiB free */
        pw_cycle(&w);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        assert_int_equal(w.d[i].target_kib, M(4096));
        i = grown_then(&w);
        w.frozen[i] = true;
        w.wall += 60;
        pw_free_pct(&w, 4); /* critical: 2.6 GiB above the reserve */
        pw_cycle(&w);
        assert_int_equal(w.view.band, BD_BAND_CRITICAL);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        assert_int_equal(w.d[i].target_kib, M(4096));
        i = grown_then(&w);
        w.frozen[i] = true;
        w.wall += 60;
        w.host.mem_available_kib = M(1024); /* nothing above the reserve: nothing */
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        assert_int_equal(w.d[i].reason, BD_REASON_NO_HEADROOM);
}

/* Under a VM budget, not past the floors balloond knows: only above the
 * budget's and RAM's critical lines, nothing when critical. */
static void test_under_vm_budget_above_critical_only(void **state) {
        struct pw w;
        size_t i = grown_then(&w);

        (void)state;
        w.cfg.vm_budget_kib = M(2700); /* 4 % of it free */
        w.frozen[i] = true;
        w.wall += 60;
        pw_cycle(&w);
        assert_int_equal(w.view.band, BD_BAND_CRITICAL);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
}

/* At its entitlement (its administrator set it to hold 2,580 MiB): owed
 * nothing, held (blind_action = "hold"). */
static void test_at_entitlement_held(void **state) {
        struct pw w;
        size_t i = grown_then(&w);

        (void)state;
        w.s[i].entitled_kib = M(2580);
        w.frozen[i] = true;
        w.wall += 60;
        pw_cycles(&w, 3);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        assert_int_equal(w.s[i].actual_kib, M(2580));
}

/* A guest that never reported (a VM just started, a stats period just
 * set) is not owed anything: it was never seen, its size never judged. */
static void test_never_reported_held(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        pw_init(&w);
        i = pw_add(&w, 4096, 2048, 1024);
        pw_free_pct(&w, 25);
        w.frozen[i] = true;
        w.s[i].last_update_sec = 0; /* no report yet (pw_report leaves it) */
        pw_cycles(&w, 3);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[i].status_reason, BD_REASON_STATS_NEVER);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
}

/* Impossible statistics (free memory above its size): owed the same. */
static void test_invalid_given_entitlement(void **state) {
        struct pw w;
        size_t i = grown_then(&w);

        (void)state;
        w.frozen[i] = true;
        w.s[i].usable_kib = M(3000); /* above the balloon's 2,580 */
        pw_cycle(&w);
        assert_int_equal(w.d[i].status_reason, BD_REASON_STATS_INVALID);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        assert_int_equal(w.d[i].target_kib, M(4096));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stale_given_entitlement),
                cmocka_unit_test(test_stale_under_pressure_within_budget),
                cmocka_unit_test(test_under_vm_budget_above_critical_only),
                cmocka_unit_test(test_at_entitlement_held),
                cmocka_unit_test(test_never_reported_held),
                cmocka_unit_test(test_invalid_given_entitlement),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
