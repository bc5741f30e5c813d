/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a guest asks for when the host is critical (src/core/policy_classify.c,
 * ask): its floor without the learned burst margin, the room for another
 * jump included, so never less than what it uses plus its margin. A batch
 * worker whose job just started has a large room for another jump (half the
 * jump), and a floor held at its maximum: when the room was taken off that
 * floor, the ask was for less than used + margin, and the guest swapped for
 * two minutes (scenarios/batch-mix.json: 1,357 VM-s of guest pressure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* A 4 GiB worker idle at 500 MiB whose job takes it to 3,000 MiB while the
 * host is critical (2 % free above its reserve: 1.3 GiB, room enough):
 * it is grown to used + margin (3,600 MiB), not to its maximum less the
 * room for another jump (about 2,900 MiB, under what it uses). */
static void test_critical_ask_keeps_margin(void **state) {
        struct pw w;
        size_t i = pw_settled(&w, 4096, 2700, 500, 25);

        (void)state;
        pw_free_pct(&w, 2);
        w.used[i] = M(3000);
        pw_cycles(&w, 6);
        assert_true(w.d[i].rise_kib > M(1000)); /* the room for another jump is large */
        assert_true(w.s[i].actual_kib >= w.used[i] + w.used[i] / 5);
        assert_true(w.s[i].actual_kib <= M(4096));
}

/* A guest whose floor is under its maximum asks, when critical, for its
 * floor with the room for another jump: more than used + margin. */
static void test_critical_ask_with_jump_room(void **state) {
        struct pw w;
        size_t i = pw_settled(&w, 8192, 2700, 500, 25);

        (void)state;
        pw_free_pct(&w, 2);
        w.used[i] = M(2600);
        pw_cycles(&w, 6);
        assert_true(w.d[i].rise_kib > M(500));
        assert_true(w.s[i].actual_kib >= w.used[i] + w.used[i] / 5 + w.d[i].rise_kib);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_critical_ask_keeps_margin),
                cmocka_unit_test(test_critical_ask_with_jump_room),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
