/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Room for a burst to come (burst_room: a guest's learned burst margin) is
 * granted out of what the host has, never taken from another guest: the
 * unmet part of such an ask does not fund reclaim (src/core/policy_urgent.c,
 * funds()). In the simulator's bursts family, idle guests were shrunk to
 * their bare floor to fund the burst room of guests in the middle of a
 * burst, and ran out on their own first burst (`balloond-sim --density
 * bursts --host-gib 256 --seeds 3 --policy balloond`: 341 VMs before, 347
 * with this). A guest short of its margin still funds reclaim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

enum { BURSTER = 0, IDLE = 1 };

/* On a 64 GiB host in the normal band (25 % free) whose headroom above
 * the critical line is all promised to the idle guest (memory balloons gave
 * it that it has not touched): a guest that learned a 400 MiB burst, at
 * its floor without it, and an idle 16 GiB guest using 1 GiB. */
static void world(struct pw *w) {
        pw_init(w);
        (void)pw_add(w, 4096, 1024 + 256 + 64, 1024);
        (void)pw_add(w, 16384, 16384, 1024);
        w->cfg.cooldown_usec = 0;
        pw_free_pct(w, 25);
        pw_cycles(w, 3);
        w->h[BURSTER].burst_kib = (double)M(400);
        w->h[BURSTER].burst_usec = w->now;
        w->h[BURSTER].rest_kib = 0;
        w->h[IDLE].untouched_kib = M(15000);
}

static void test_burst_room_funds_no_reclaim(void **state) {
        struct pw w;

        (void)state;
        world(&w);
        w.s[IDLE].actual_kib = M(16384);
        pw_cycle(&w);
        assert_int_equal(w.d[BURSTER].reason, BD_REASON_NO_HEADROOM);
        assert_true(w.d[BURSTER].unmet_kib > 0);
        assert_true(w.d[BURSTER].burst_kib >= M(399));
        assert_int_not_equal(w.d[IDLE].action, BD_ACTION_SHRINK);
}

/* The same guest out of its margin (its use up 200 MiB): its floor is
 * granted within RAM, and what is left of its ask funds reclaim from the
 * idle guest. */
static void test_need_still_funds_reclaim(void **state) {
        struct pw w;

        (void)state;
        world(&w);
        w.used[BURSTER] += M(200);
        pw_cycle(&w);
        assert_int_equal(w.d[BURSTER].reason, BD_REASON_GUEST_LOW_FREE); /* its floor granted, within RAM */
        assert_true(w.d[BURSTER].unmet_kib > 0);
        assert_true(w.d[BURSTER].guest_pressure);
        assert_int_equal(w.d[IDLE].action, BD_ACTION_SHRINK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_burst_room_funds_no_reclaim),
                cmocka_unit_test(test_need_still_funds_reclaim),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
