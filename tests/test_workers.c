/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker pool (src/daemon/workers.c): a wait ends at the deadline of a
 * call that hangs while the others complete; a queued job is withdrawn when
 * every worker hangs; an abandoned job is released once it returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/daemon/workers.h"

#define MS 1000ULL

struct sleeper {
        struct bd_job base;
        unsigned sleep_ms;
        int ran;
};

static int released;

static void run_sleep(struct bd_job *j) {
        struct sleeper *s = (struct sleeper *)j;

        usleep(s->sleep_ms * 1000);
        s->ran++;
}

static void release_sleep(struct bd_job *j) {
        (void)j;
        __atomic_add_fetch(&released, 1, __ATOMIC_SEQ_CST);
}

static void wait_done(struct bd_workers *w, struct sleeper *s) {
        for (int i = 0; i < 400 && bd_workers_state(w, &s->base) != BD_JOB_DONE; i++)
                usleep(5000);
}

static void one_hangs_the_others_finish(void **state) {
        struct bd_workers *w = bd_workers_new(2, 4);
        struct sleeper jobs[20] = { { .sleep_ms = 600 } };
        uint64_t t0, took;

        (void)state;
        for (int i = 0; i < 20; i++) {
                if (i)
                        jobs[i].sleep_ms = 1;
                jobs[i].base.run = run_sleep;
                jobs[i].base.release = release_sleep;
                bd_workers_submit(w, &jobs[i].base);
        }
        t0 = bd_workers_now_usec();
        assert_int_equal(bd_workers_wait(w, 100 * MS, 1000 * MS), 1);
        took = bd_workers_now_usec() - t0;
        assert_true(took >= 90 * MS && took < 500 * MS);
        assert_int_equal(bd_workers_state(w, &jobs[0].base), BD_JOB_RUNNING);
        for (int i = 1; i < 20; i++) {
                assert_int_equal(bd_workers_state(w, &jobs[i].base), BD_JOB_DONE);
                assert_int_equal(jobs[i].ran, 1);
        }
        wait_done(w, &jobs[0]);
        assert_int_equal(bd_workers_state(w, &jobs[0].base), BD_JOB_DONE);
        assert_true(jobs[0].base.ended_usec - jobs[0].base.started_usec >= 590 * MS);
        bd_workers_free(w);
}

static void queued_behind_hung_workers_withdrawn(void **state) {
        struct bd_workers *w = bd_workers_new(1, 1); /* no thread in place of a hung one */
        static struct sleeper hung = { .sleep_ms = 400 }, queued = { .sleep_ms = 1 };
        uint64_t t0, took;

        (void)state;
        released = 0;
        hung.base.run = queued.base.run = run_sleep;
        hung.base.release = queued.base.release = release_sleep;
        bd_workers_submit(w, &hung.base);
        bd_workers_submit(w, &queued.base);
        t0 = bd_workers_now_usec();
        /* Withdrawn as soon as the only worker overran, not at the end. */
        assert_int_equal(bd_workers_wait(w, 50 * MS, 300 * MS), 1);
        took = bd_workers_now_usec() - t0;
        if (!(took >= 45 * MS && took < 250 * MS))
                fail_msg("took %llu us", (unsigned long long)took);
        assert_int_equal(bd_workers_state(w, &queued.base), BD_JOB_WITHDRAWN);
        assert_int_equal(queued.ran, 0);
        /* Given up while it hangs: released by its worker when it returns. */
        bd_workers_abandon(w, &hung.base);
        assert_int_equal(released, 0);
        bd_workers_free(w); /* does not wait for it */
        for (int i = 0; i < 200 && !__atomic_load_n(&released, __ATOMIC_SEQ_CST); i++)
                usleep(5000);
        assert_int_equal(released, 1);
        assert_int_equal(hung.ran, 1);
        usleep(20000); /* its worker ends and frees the pool */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(one_hangs_the_others_finish),
                cmocka_unit_test(queued_behind_hung_workers_withdrawn),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
