/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Desktops whose users log in (scenarios/vdi-morning.json): the use of a
 * guest jumps in steps a minute or two apart (+800 MiB, then +600 MiB). The
 * room for another jump (half the last one, src/core/policy_guard.c) is
 * kept with the margin of the use that jump would bring, not of the use now
 * (src/core/policy_classify.c, floors): right after another jump like it the
 * guest still has its whole margin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* The first login step (+800 MiB) leaves room for a second like half of it
 * with the margin of the use it brings (20 % of 1250 + 400 MiB: 330 MiB,
 * not the 256 MiB minimum of 1250 MiB), so the second step (+600 MiB) finds
 * more than the 64 MiB a guest kernel keeps free. With the margin of the use
 * before it, the desktop had 1906 MiB: 56 MiB free after the second step,
 * and balloond-sim counted 9 guest OOMs on vdi-morning, 2 MiB short each. */
static void test_second_login_step_fits(void **state) {
        struct pw w;
        size_t i = pw_settled(&w, 3072, 1672, 450, 25) /* an idle 3 GiB desktop, the host in the normal band */;
        uint64_t used, room;

        (void)state;
        w.used[i] += M(800);
        pw_cycles(&w, 3);
        used = w.used[i];
        room = w.d[i].rise_kib;
        assert_int_equal(room, M(400));
        assert_true(w.d[i].floor_kib >= used + room + (used + room) / 5);
        assert_true(w.s[i].actual_kib >= w.d[i].floor_kib);
        w.used[i] += M(600);
        assert_true(w.s[i].actual_kib > w.used[i] + M(64));
}

/* A small guest (use and room under 1280 MiB) keeps the 256 MiB minimum
 * margin as before: nothing more is held beside the guests of
 * bursts-at-floor. */
static void test_small_guest_margin_unchanged(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        pw_init(&w);
        i = pw_add(&w, 3072, 1200, 300);
        pw_free_pct(&w, 25);
        pw_cycles(&w, 3);
        w.used[i] += M(400);
        pw_cycles(&w, 3);
        assert_int_equal(w.d[i].rise_kib, M(200));
        assert_int_equal(w.d[i].margin_kib, M(256) + M(200));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_second_login_step_fits),
                cmocka_unit_test(test_small_guest_margin_unchanged),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
