/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Room for the jump a guest's peers made (src/core/policy_guard.c,
 * bd_guard_fleet_jump): desktops whose users log in one after the other
 * (scenarios/vdi-morning.json). An idle guest that has not jumped keeps room
 * for the whole of the jump at least two other running VMs of its shape (the
 * same maximum size) made in the last five minutes, in the floor that bounds
 * its shrinks (not asked for); and the room for a guest's own jump is asked
 * for when the host is critical too (src/core/policy_classify.c), as it
 * bounds the shrinks of those that have it; no room for a jump while the
 * host is out of RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* Four idle 3 GiB desktops (450 MiB used at 1,672 MiB) and a 4 GiB VM;
 * the users of LOGINS desktops log in (+800 MiB), then the host is under
 * pressure for a minute and a half. */
static void login_beside_idle_peers(struct pw *w, size_t logins) {
        pw_init(w);
        for (int k = 0; k < 4; k++)
                pw_add(w, 3072, 1672, 450);
        pw_add(w, 4096, 1672, 450);
        pw_free_pct(w, 25);
        pw_cycles(w, 3);
        for (size_t i = 0; i < w->n; i++)
                assert_int_equal(w->d[i].rise_kib, 0);
        for (size_t i = 0; i < logins; i++)
                w->used[i] += M(800);
        pw_cycles(w, 2);
        pw_free_pct(w, 10);
        pw_cycles(w, 18);
}

/* The idle desktops keep room for the whole login step two of their peers
 * made: they are not shrunk below 450 + 800 MiB + the margin, so their own
 * login finds its memory there (vdi-morning: desk10-12 were squeezed to
 * 1,229, 1,054 and 856 MiB before theirs, 1,304 MiB needed: 3 OOMs). The
 * room bounds their shrinks, it is not asked for (the grows' floor is
 * without it). The 4 GiB VM is of another shape: nothing. The desktops
 * that jumped keep their own room (half their jump), not their peers'. */
static void test_idle_peers_keep_room_for_the_jump(void **state) {
        struct pw w;

        (void)state;
        login_beside_idle_peers(&w, 2);
        assert_int_equal(w.d[0].rise_kib, M(400));
        assert_int_equal(w.d[0].peer_rise_kib, 0);
        for (size_t i = 2; i < 4; i++) {
                assert_int_equal(w.d[i].fleet_jump_kib, M(800));
                assert_int_equal(w.d[i].peer_rise_kib, M(800));
                assert_int_equal(w.d[i].rise_kib, 0);
                assert_true(w.d[i].floor_kib >= M(450 + 800 + 256));
                assert_true(w.d[i].floor_grow_kib < M(450 + 800));
                assert_true(w.s[i].actual_kib >= M(450 + 800 + 256));
        }
        assert_int_equal(w.d[4].peer_rise_kib, 0);
        assert_true(w.s[4].actual_kib < M(1672));
        /* Its login: it has the memory. */
        w.used[2] += M(800);
        assert_true(w.s[2].actual_kib > w.used[2] + M(64));
}

/* Not asked for: an idle desktop already below that room is not grown to
 * it (a prediction from its peers, not a sign from its guest). */
static void test_peer_room_not_asked_for(void **state) {
        struct pw w;

        (void)state;
        pw_init(&w);
        pw_add(&w, 3072, 1672, 450);
        pw_add(&w, 3072, 1672, 450);
        pw_add(&w, 3072, 800, 450);
        pw_free_pct(&w, 25);
        pw_cycles(&w, 3);
        w.used[0] += M(800);
        w.used[1] += M(800);
        pw_cycles(&w, 3);
        assert_int_equal(w.d[2].peer_rise_kib, M(800));
        assert_int_equal(w.s[2].actual_kib, M(800));
        assert_int_equal(w.d[2].action, BD_ACTION_NONE);
}

/* One guest's jump is not its peers' pattern (an odd or hostile guest
 * cannot make every VM of its shape hold memory): no room from it. */
static void test_one_peer_is_not_a_pattern(void **state) {
        struct pw w;

        (void)state;
        login_beside_idle_peers(&w, 1);
        assert_int_equal(w.d[0].rise_kib, M(400));
        for (size_t i = 1; i < 4; i++)
                assert_int_equal(w.d[i].rise_kib, 0);
}

/* Five minutes after the last jump among its peers, an idle desktop's room
 * is gone (the floor is used + margin again): it is reclaimed. */
static void test_peer_room_lasts_five_minutes(void **state) {
        struct pw w;

        (void)state;
        login_beside_idle_peers(&w, 2);
        pw_cycles(&w, 44);
        assert_int_equal(w.d[2].peer_rise_kib, 0);
        assert_true(w.d[2].floor_kib < M(450 + 800));
}

/* A desktop at its first login step (+800 MiB), the host critical: the room for its next step is asked for,
 * like the rest of its floor (vdi-morning's desk12 stayed at 1,509 MiB for
 * its floor of 1,964 and OOMed at its second login step, +600 MiB, while
 * three desktops held their jump room of 468 MiB each: the room bounded
 * their shrinks and was not granted). */
static void test_jump_room_asked_when_critical(void **state) {
        struct pw w;
        size_t i = pw_settled(&w, 3072, 1672, 450, 25);

        (void)state;
        pw_free_pct(&w, 3);
        w.used[i] += M(800);
        pw_cycle(&w);
        assert_int_equal(w.view.band, BD_BAND_CRITICAL);
        assert_int_equal(w.d[i].rise_kib, M(400));
        assert_int_equal(w.d[i].action, BD_ACTION_GROW);
        assert_int_equal(w.d[i].want_kib, w.d[i].floor_grow_kib - w.d[i].burst_kib);
        assert_true(w.d[i].want_kib >= M(450 + 800 + 400 + 256));
        pw_cycle(&w);
        w.used[i] += M(600);
        assert_true(w.s[i].actual_kib > w.used[i] + M(64));
}

/* The host out of RAM (it swaps): the room for a jump, a prediction, no
 * longer bounds shrinks (a variant of vdi-morning with a login every 30 s
 * had the host over RAM for 41 s while desktops held the room for a third
 * login step that never came; 1 s with this). */
static void test_no_jump_room_when_out_of_ram(void **state) {
        struct pw w;
        size_t i = pw_settled(&w, 3072, 1672, 450, 25);

        (void)state;
        w.used[i] += M(800);
        pw_cycles(&w, 3);
        assert_int_equal(w.d[i].rise_kib, M(400));
        w.host.mem_available_kib = M(8);
        pw_cycle(&w);
        assert_int_equal(w.d[i].rise_kib, 0);
        assert_int_equal(w.d[i].jump_room_kib, 0);
        assert_true(w.d[i].floor_kib < M(1250 + 400));
        assert_int_equal(w.d[i].action, BD_ACTION_SHRINK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_idle_peers_keep_room_for_the_jump),
                cmocka_unit_test(test_peer_room_not_asked_for),
                cmocka_unit_test(test_one_peer_is_not_a_pattern),
                cmocka_unit_test(test_peer_room_lasts_five_minutes),
                cmocka_unit_test(test_jump_room_asked_when_critical),
                cmocka_unit_test(test_no_jump_room_when_out_of_ram),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
