/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Within 1 MiB a guest has its margin, and a VM its floor
 * (src/core/policy_classify.c, AT_MARGIN_SLACK_KIB). A real guest (the
 * e2e's bd-ad, autodeflate on, host critical) reported 40 KiB under its
 * 256 MiB margin at every report whatever its size: held to the KiB, it was
 * grown 40 KiB every report, its floor crept up with what it then used, and
 * its status showed it short of memory for good. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* A 1 GiB VM at SIZE MiB whose guest's free memory stays SHORT_KIB under its
 * 256 MiB margin whatever its size (what it is given, it uses), on a host
 * with FREE_PCT free. Runs CYCLES cycles; returns the grows decided. */
static int run_short(struct pw *w, size_t *vm, uint64_t size_mib, uint64_t short_kib, double free_pct,
                     int cycles) {
        size_t i;
        int grows = 0;

        pw_init(w);
        w->cfg.margin_pct = 0;
        w->cfg.margin_min_kib = M(256);
        w->cfg.burst_max_kib = 0; /* nothing learned: the margin alone */
        i = pw_add(w, 1024, size_mib, size_mib - 256);
        pw_free_pct(w, free_pct);
        for (int k = 0; k < cycles; k++) {
                w->used[i] = w->s[i].actual_kib - (M(256) - short_kib);
                pw_cycle(w);
                grows += w->d[i].action == BD_ACTION_GROW;
        }
        *vm = i;
        return grows;
}

/* 40 KiB short, host critical (1 % free) or under pressure (10 %): never
 * grown, never shown short of memory, its size where it was. (A relaxed
 * host deflates it for its own sake.) */
static void test_a_few_pages_short_is_at_its_margin(void **state) {
        const double bands[] = { 1, 10 };
        struct pw w;
        size_t i;

        (void)state;
        for (size_t b = 0; b < sizeof(bands) / sizeof(bands[0]); b++) {
                assert_int_equal(run_short(&w, &i, 400, 40, bands[b], 20), 0);
                assert_false(w.d[i].guest_pressure);
                assert_int_not_equal(w.d[i].reason, BD_REASON_GUEST_LOW_FREE);
                assert_int_equal(w.s[i].actual_kib, M(400));
        }
}

/* 2 MiB short is short: grown on its report, when critical to its floor
 * (used + margin), else to used + 2 x margin. */
static void test_two_mib_short_is_grown(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        assert_true(run_short(&w, &i, 400, 2048, 1, 1) == 1);
        assert_true(w.d[i].guest_pressure);
        assert_int_equal(w.d[i].reason, BD_REASON_GUEST_LOW_FREE);
        assert_int_equal(w.s[i].actual_kib, M(400) + 2048);
        assert_true(run_short(&w, &i, 400, 2048, 60, 1) == 1);
        assert_int_equal(w.s[i].actual_kib, M(400) - M(256) + 2048 + M(512));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_few_pages_short_is_at_its_margin),
                cmocka_unit_test(test_two_mib_short_is_grown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
