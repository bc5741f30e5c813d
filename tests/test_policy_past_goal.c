/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Relaxed deflation past the pressure goal (src/core/policy_takers.c): an
 * idle batch worker whose peers of the same shape ran a job it has not run
 * yet is deflated, while the host is relaxed, past the pressure goal (down
 * to the critical line less the grows not touched yet) up to its floor plus
 * the burst its peers learned: its first job finds room. A worker beside
 * peers that showed nothing stops at the goal as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

#define WORKERS 8

/* Eight 8 GiB workers at 1 GiB, idle at 400 MiB, on a relaxed 64 GiB host
 * (35 % free: 8 GiB above the pressure goal, 19 GiB above the critical
 * line). The first PEERS run a 2.5 GiB job and are idle again. */
static void world(struct pw *w, size_t peers) {
        pw_init(w);
        for (size_t k = 0; k < WORKERS; k++)
                pw_add(w, 8192, 1024, 400);
        pw_free_pct(w, 35);
        for (size_t k = 0; k < peers; k++)
                w->used[k] += M(2560);
        pw_cycles(w, 12);
        for (size_t k = 0; k < peers; k++)
                w->used[k] -= M(2560);
        pw_cycles(w, 60);
}

static void test_worker_beside_peers_that_ran_a_job(void **state) {
        struct pw w;

        (void)state;
        world(&w, 2);
        for (size_t k = 2; k < WORKERS; k++) {
                if (w.s[k].actual_kib < M(400 + 2560))
                        print_error("vm%zu at %llu MiB, peer burst %llu MiB\n", k,
                                    (unsigned long long)(w.s[k].actual_kib / MIB),
                                    (unsigned long long)(w.d[k].peer_burst_kib / MIB));
                assert_true(w.s[k].actual_kib >= M(400 + 2560)); /* its first job fits */
        }
        /* No more than that (floor + the peers' jump, whole) and its share
         * of the 8 GiB above the goal, and the idle workers' deflation
         * within the 19 GiB above the critical line. */
        uint64_t given = 0;
        for (size_t k = 2; k < WORKERS; k++) {
                assert_true(w.s[k].actual_kib <= M(656 + 2560 + 1024 + 64));
                given += w.s[k].actual_kib - M(1024);
        }
        assert_true(given <= M(65536) * 30 / 100);
}

static void test_no_peer_burst_stops_at_goal(void **state) {
        struct pw w;

        (void)state;
        world(&w, 0);
        for (size_t k = 0; k < WORKERS; k++) {
                assert_int_equal(w.d[k].peer_burst_kib, 0);
                assert_true(w.s[k].actual_kib < M(400 + 2560));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_worker_beside_peers_that_ran_a_job),
                cmocka_unit_test(test_no_peer_burst_stops_at_goal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
