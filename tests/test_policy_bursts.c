/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guests whose use jumps (src/core/policy_guard.c, policy_emergency.c):
 * room for another jump like the last one (half of it, in the floor, for
 * five minutes unless it falls back; asked for when the host is critical
 * too: test_policy_fleet.c); a guest out of memory grown by what it pushed out to swap and
 * by doubling steps; a burst a guest showed a grant at a time learned whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* A login: +500 MiB within a report. Half of it stays free on top of the
 * margin, so a second wave of 250 MiB finds room; five minutes later,
 * level since, the room is gone (the floor is used + margin again). */
static void test_jump_keeps_room_for_another(void **state) {
        struct pw w;
        size_t i = pw_at_floor(&w, 1024);

        (void)state;
        w.used[i] += M(500);
        pw_cycles(&w, 3);
        assert_int_equal(w.d[i].rise_kib, M(250));
        assert_true(w.d[i].floor_kib >= M(1524 + 256 + 250));
        assert_true(w.s[i].actual_kib >= M(1524 + 256 + 250));
        /* The second wave fits in what the guest has. */
        w.used[i] += M(250);
        pw_report(&w);
        assert_true(w.s[i].usable_kib > 0);
        pw_cycles(&w, 70); /* six minutes, level */
        assert_int_equal(w.d[i].rise_kib, 0);
        assert_true(w.d[i].floor_kib < M(1774 + 256 + 250));
}

/* A jump that falls back is a spike: the learned burst margin has room for
 * the next one; no room for another jump on top of it. */
static void test_spike_over_is_a_burst_not_a_jump(void **state) {
        struct pw w;
        size_t i = pw_settled(&w, 8192, 4096, 1024, 25);

        (void)state;
        w.used[i] += M(400);
        pw_cycle(&w);
        assert_int_equal(w.d[i].rise_kib, M(200));
        w.used[i] -= M(400);
        pw_cycle(&w);
        assert_int_equal(w.d[i].rise_kib, 0);
        assert_int_equal(w.d[i].burst_learned_kib, M(400));
}

/* A guest whose need went 2 GiB past its size is met in a few grows, some
 * twice the one before (each report made after a grow for its pressure
 * arrived that still shows it out of memory doubles the step); its margin a
 * report at a time would take eight. */
static void test_out_of_memory_met_in_few_grows(void **state) {
        struct pw w;
        size_t i = pw_at_floor(&w, 1024);
        uint64_t prev_grant = 0;
        int grows = 0;
        bool doubled = false;

        (void)state;
        w.used[i] += M(2048);
        for (int c = 0; c < 20 && w.s[i].actual_kib < w.used[i]; c++) {
                uint64_t before = w.s[i].actual_kib;

                pw_cycle(&w);
                if (w.d[i].action != BD_ACTION_GROW)
                        continue;
                doubled |= prev_grant && w.s[i].actual_kib - before >= 2 * prev_grant;
                prev_grant = w.s[i].actual_kib - before;
                grows++;
        }
        assert_true(w.s[i].actual_kib >= w.used[i]);
        assert_true(doubled);
        assert_true(grows <= 5);
}

/* What a guest out of memory pushed out to swap since its last report is
 * memory it needs: it asks for that much more, plus its margin. */
static void test_swap_out_sizes_the_grow(void **state) {
        struct pw w;
        size_t i = pw_at_floor(&w, 1024);
        uint64_t size = w.s[i].actual_kib;

        (void)state;
        w.used[i] = size; /* no free memory */
        w.s[i].swap_out_kib += M(1024);
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_GROW);
        assert_true(w.d[i].want_kib >= size + M(1024) + M(256));
}

/* A guest held back by its balloon shows its burst a grant at a time, with
 * reports between grants that show no growth: the whole burst is learned
 * once it falls back, not the largest grant. */
static void test_whole_burst_learned_while_pinned(void **state) {
        struct pw w;
        size_t i = pw_at_floor(&w, 400);

        (void)state;
        w.used[i] += M(1500);
        for (int c = 0; c < 30; c++) {
                pw_cycle(&w);
                pw_cycle(&w); /* a report between grants: no growth */
        }
        assert_true(w.s[i].actual_kib >= w.used[i]);
        w.used[i] -= M(1500);
        pw_cycles(&w, 2);
        assert_true(w.d[i].burst_learned_kib >= M(1400));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jump_keeps_room_for_another),
                cmocka_unit_test(test_spike_over_is_a_burst_not_a_jump),
                cmocka_unit_test(test_out_of_memory_met_in_few_grows),
                cmocka_unit_test(test_swap_out_sizes_the_grow),
                cmocka_unit_test(test_whole_burst_learned_while_pinned),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
