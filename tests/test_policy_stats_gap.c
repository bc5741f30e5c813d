/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A report missing for a cycle from a guest that reported before
 * (policy_classify.c, blindness): libvirt read the statistics without the
 * guest's part, as TCG guests show while their balloon moves. It was
 * "stats_never": the shrink in flight was withdrawn, what the guest showed
 * so far forgotten, and the ledger's measurement of that shrink cut in two
 * (the e2e's bd-l1 then confirmed 379 MiB of a 462 MiB fall of its QEMU's
 * resident memory). Now the VM is blind for that moment (stats_gap), its
 * target stands, and only a report older than 3 x period + slack is stale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* One cycle in which VM I's guest part of the statistics is missing. */
static void gap_cycle(struct pw *w, size_t i) {
        pw_report(w);
        w->s[i].usable_kib = w->s[i].unused_kib = BD_KIB_UNKNOWN;
        w->s[i].last_update_sec = BD_TIME_UNKNOWN;
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        w->now += 5 * SEC;
        w->wall += 5;
}

/* A shrink in flight (the balloon lags), then a cycle without the guest's
 * report: held, nothing withdrawn; the next report resumes. */
static void test_gap_holds_the_shrink(void **state) {
        struct pw w;
        size_t i = pw_lagging(&w);
        uint64_t target;

        (void)state;
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_SHRINK);
        target = w.h[i].target_kib;
        assert_true(target > 0 && target < w.s[i].actual_kib);
        gap_cycle(&w, i);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[i].status_reason, BD_REASON_STATS_GAP);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        assert_false(w.d[i].withdraw);
        assert_int_equal(w.h[i].target_kib, target);
        w.s[i].actual_kib = target; /* the balloon got there meanwhile */
        w.follow[i] = true;
        pw_cycle(&w);
        assert_int_equal(w.d[i].status, BD_STATUS_OK);
}

/* Reports missing longer than 3 x period + slack: stale, as a frozen
 * report is (and what balloond holds is owed). */
static void test_long_gap_is_stale(void **state) {
        struct pw w;
        size_t i = pw_lagging(&w);
        int c;

        (void)state;
        pw_cycle(&w);
        for (c = 0; c < 12 && w.d[i].status_reason != BD_REASON_STATS_STALE; c++)
                gap_cycle(&w, i);
        assert_int_equal(w.d[i].status_reason, BD_REASON_STATS_STALE);
        assert_true(c > 1); /* a gap first */
}

/* A guest that never reported: stats_never, as before. */
static void test_never_reported(void **state) {
        struct pw w;
        size_t i = pw_lagging(&w);

        (void)state;
        gap_cycle(&w, i);
        assert_int_equal(w.d[i].status_reason, BD_REASON_STATS_NEVER);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gap_holds_the_shrink),
                cmocka_unit_test(test_long_gap_is_stale),
                cmocka_unit_test(test_never_reported),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
