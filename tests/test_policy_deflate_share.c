/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Relaxed deflation shares the room by shares times what each VM lacks of
 * its limit (src/core/policy_takers.c, take()): each taker goes the same
 * part of its way, so a VM twice as far from its maximum gets twice as
 * much. Shared by shares alone, a 4 GiB and a 2 GiB VM got the same grow,
 * and in the simulator's flash-crowd family (web servers whose use rises
 * by 35-45 % of their maximum within a minute) the larger ones were short
 * at the crowd (`balloond-sim --density flash-crowd --host-gib 256 --seeds
 * 3 --policy balloond`: 95 VMs before, 103 with this). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* A 16 GiB host, relaxed (31 % free: room above the pressure goal about
 * 1.4 GiB), a 4 GiB and a 2 GiB VM both at 1 GiB, their guests idle. */
static void world(struct pw *w) {
        pw_init(w);
        w->host.mem_total_kib = M(16384);
        (void)pw_add(w, 4096, 1024, 300);
        (void)pw_add(w, 2048, 1024, 300);
        pw_free_pct(w, 31);
}

static void test_room_by_what_each_lacks(void **state) {
        struct pw w;
        uint64_t big, small;

        (void)state;
        world(&w);
        pw_cycle(&w);
        assert_int_equal(w.view.band, BD_BAND_RELAXED);
        assert_int_equal(w.d[0].reason, BD_REASON_HOST_RELAXED);
        assert_int_equal(w.d[1].reason, BD_REASON_HOST_RELAXED);
        big = w.d[0].target_kib - w.d[0].actual_kib;
        small = w.d[1].target_kib - w.d[1].actual_kib;
        assert_true(small < M(1024)); /* the room did not cover both */
        /* 3,072 MiB lacking against 1,024: three times the grow. */
        assert_true(big > 2 * small);
        assert_true(big < 4 * small);
}

/* A guest whose claims got it memory lately (claim credit of 8 margins)
 * is not also first in line: its weight is divided by 1 + its credit in
 * margins, as in the urgent grants. */
static void test_claimer_after_others(void **state) {
        struct pw w;

        (void)state;
        world(&w);
        w.h[0].claim_credit = (double)M(8 * 256);
        w.h[0].credit_usec = w.now;
        pw_cycle(&w);
        assert_true(w.d[0].target_kib - w.d[0].actual_kib < w.d[1].target_kib - w.d[1].actual_kib);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_room_by_what_each_lacks),
                cmocka_unit_test(test_claimer_after_others),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
