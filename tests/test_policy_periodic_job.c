/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A periodic batch job is remembered whole (guest.burst_max_mib, 4 GiB by
 * default): a worker idle at 400 MiB that ran a 2.5 GiB job and is shrunk
 * to its floor between jobs keeps room for the whole next job 30 minutes
 * later. With the former 2 GiB cap the learned margin was cut below the
 * job and the next job found 2,134 MiB of room for 2,560 MiB (balloond-sim
 * batch family: every failure after a worker's first job came from it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* Run a JOB_MIB job on VM I for 12 minutes, then 30 minutes idle. */
static void job_then_idle(struct pw *w, size_t i, uint64_t job_mib) {
        w->used[i] += M(job_mib);
        pw_cycles(w, 144);
        if (w->s[i].actual_kib < w->used[i])
                print_error("actual %llu used %llu\n", (unsigned long long)w->s[i].actual_kib, (unsigned long long)w->used[i]);
        assert_true(w->s[i].actual_kib >= w->used[i]); /* grown to it */
        w->used[i] -= M(job_mib);
        pw_cycles(w, 360);
}

static void test_next_job_fits(void **state) {
        struct pw w;
        size_t i = pw_at_floor(&w, 400);

        (void)state;
        assert_int_equal(w.cfg.burst_max_kib, M(4096));
        job_then_idle(&w, i, 2560);
        assert_true(w.d[i].burst_learned_kib > M(2048));
        assert_true(w.s[i].actual_kib >= add_sat(w.used[i], M(2560))); /* room for the next job */
        assert_true(w.s[i].actual_kib < add_sat(w.used[i], M(2560 + 256 + 128))); /* no more */
}

/* The cap still holds: a 4.5 GiB job is remembered as 4 GiB. */
static void test_cap_still_holds(void **state) {
        struct pw w;
        size_t i = pw_at_floor(&w, 400);

        (void)state;
        pw_free_pct(&w, 25); /* a host with room for the job */
        job_then_idle(&w, i, 4608);
        assert_true(w.d[i].burst_learned_kib <= M(4096));
        assert_true(w.d[i].burst_learned_kib > M(3600)); /* 4 GiB less 30 minutes' decay */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_next_job_fits),
                cmocka_unit_test(test_cap_still_holds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
