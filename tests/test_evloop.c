/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop that runs libvirt's callbacks (src/daemon/evloop.c), with real
 * descriptors and timers: readiness, masks, the same descriptor twice,
 * removal inside a dispatch, deferred frees, timeouts of -1, 0 and N ms, and
 * a wake-up from another thread. The loop is one per process: each test
 * leaves it empty. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/daemon/evloop.h"

struct calls {
        int n;
        int last_watch, last_fd, last_events;
        int freed;
        int remove_other; /* a watch or timer to remove from inside the callback */
        bool other_is_timer;
};

static void on_handle(int watch, int fd, int events, void *opaque) {
        struct calls *c = opaque;

        c->n++;
        c->last_watch = watch;
        c->last_fd = fd;
        c->last_events = events;
        if (c->remove_other > 0) {
                if (c->other_is_timer)
                        assert_int_equal(bd_evloop_remove_timeout(c->remove_other), 0);
                else
                        assert_int_equal(bd_evloop_remove_handle(c->remove_other), 0);
                c->remove_other = 0;
        }
}

static void on_timeout(int timer, void *opaque) {
        struct calls *c = opaque;

        c->n++;
        c->last_watch = timer;
        if (c->remove_other > 0) {
                assert_int_equal(bd_evloop_remove_timeout(c->remove_other), 0);
                c->remove_other = 0;
        }
}

static void on_free(void *opaque) {
        ((struct calls *)opaque)->freed++;
}

/* Is the loop's descriptor readable within MS milliseconds? */
static bool loop_ready(int ms) {
        struct pollfd p = {.fd = bd_evloop_fd(), .events = POLLIN};

        return poll(&p, 1, ms) == 1;
}

static uint64_t mono_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

/* Dispatch until nothing is left to do (frees included). */
static void settle(void) {
        for (int i = 0; i < 10 && loop_ready(0); i++)
                bd_evloop_dispatch();
        assert_false(loop_ready(0));
}

/* Nothing due: the loop may wake once more (its timer is only ever moved
 * earlier), but such a dispatch runs no callback, and then it is quiet. */
static void assert_quiet(void) {
        for (int i = 0; i < 3 && loop_ready(0); i++)
                assert_int_equal(bd_evloop_dispatch(), 0);
        assert_false(loop_ready(0));
}

static int setup(void **state) {
        (void)state;
        return bd_evloop_init();
}

static void readable_pipe_is_dispatched(void **state) {
        struct calls c = {0};
        int p[2], w;
        char byte = 'x';

        (void)state;
        settle();
        assert_int_equal(pipe(p), 0);
        w = bd_evloop_add_handle(p[0], BD_EV_READABLE, on_handle, &c, on_free);
        assert_true(w > 0);
        assert_false(loop_ready(0));
        assert_int_equal(bd_evloop_dispatch(), 0);
        assert_int_equal(c.n, 0);

        assert_int_equal(write(p[1], &byte, 1), 1);
        assert_true(loop_ready(1000));
        assert_int_equal(bd_evloop_dispatch(), 1);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.last_watch, w);
        assert_int_equal(c.last_fd, p[0]);
        assert_int_equal(c.last_events, BD_EV_READABLE);

        /* Level-triggered, as libvirt expects: still readable, called again. */
        bd_evloop_dispatch();
        assert_int_equal(c.n, 2);

        assert_int_equal(bd_evloop_remove_handle(w), 0);
        assert_int_equal(c.freed, 0); /* never inside remove */
        assert_int_equal(bd_evloop_remove_handle(w), -1);
        settle();
        assert_int_equal(c.freed, 1);
        assert_int_equal(c.n, 2);
        close(p[0]);
        close(p[1]);
}

static void empty_mask_is_not_watched_even_for_hangup(void **state) {
        struct calls c = {0};
        int p[2], w;

        (void)state;
        assert_int_equal(pipe(p), 0);
        w = bd_evloop_add_handle(p[0], 0, on_handle, &c, on_free);
        assert_true(w > 0);
        close(p[1]); /* hangup on the read end */
        assert_false(loop_ready(50));
        bd_evloop_dispatch();
        assert_int_equal(c.n, 0);

        bd_evloop_update_handle(w, BD_EV_READABLE);
        assert_true(loop_ready(1000));
        bd_evloop_dispatch();
        assert_int_equal(c.n, 1);
        assert_true(c.last_events & BD_EV_HANGUP);

        bd_evloop_update_handle(w, 0);
        assert_false(loop_ready(0));
        bd_evloop_update_handle(w, BD_EV_WRITABLE); /* a mask without readable still hears hangup */
        bd_evloop_dispatch();
        assert_int_equal(c.n, 2);
        assert_int_equal(c.last_events & BD_EV_READABLE, 0);
        assert_true(c.last_events & BD_EV_HANGUP);

        assert_int_equal(bd_evloop_remove_handle(w), 0);
        settle();
        assert_int_equal(c.freed, 1);
        close(p[0]);
}

static void same_descriptor_twice(void **state) {
        struct calls a = {0}, b = {0};
        int p[2], wa, wb;
        char byte = 'x';

        (void)state;
        assert_int_equal(pipe(p), 0);
        wa = bd_evloop_add_handle(p[0], BD_EV_READABLE, on_handle, &a, on_free);
        wb = bd_evloop_add_handle(p[0], BD_EV_READABLE, on_handle, &b, on_free);
        assert_true(wa > 0 && wb > 0 && wa != wb);
        assert_int_equal(write(p[1], &byte, 1), 1);
        assert_true(loop_ready(1000));
        bd_evloop_dispatch();
        assert_int_equal(a.n, 1);
        assert_int_equal(b.n, 1);
        assert_int_equal(b.last_fd, p[0]); /* libvirt's descriptor, not our copy */

        assert_int_equal(bd_evloop_remove_handle(wa), 0);
        bd_evloop_dispatch(); /* the byte is still there: only B hears it */
        assert_int_equal(a.n, 1);
        assert_int_equal(b.n, 2);
        assert_int_equal(a.freed, 1);
        assert_int_equal(bd_evloop_remove_handle(wb), 0);
        assert_int_equal(read(p[0], &byte, 1), 1);
        settle();
        assert_int_equal(a.freed, 1);
        assert_int_equal(b.freed, 1);
        close(p[0]);
        close(p[1]);
}

static void removed_inside_a_dispatch_is_not_called(void **state) {
        struct calls a = {0}, b = {0};
        int p[2], q[2], wa, wb;
        char byte = 'x';

        (void)state;
        assert_int_equal(pipe(p), 0);
        assert_int_equal(pipe(q), 0);
        wa = bd_evloop_add_handle(p[0], BD_EV_READABLE, on_handle, &a, on_free);
        wb = bd_evloop_add_handle(q[0], BD_EV_READABLE, on_handle, &b, on_free);
        a.remove_other = wb;
        b.remove_other = wa;
        assert_int_equal(write(p[1], &byte, 1), 1);
        assert_int_equal(write(q[1], &byte, 1), 1);
        assert_true(loop_ready(1000));
        bd_evloop_dispatch();
        /* Whichever ran first removed the other, which then did not run. */
        assert_int_equal(a.n + b.n, 1);
        assert_int_equal(a.freed + b.freed, 1);
        assert_int_equal(bd_evloop_remove_handle(a.n ? wa : wb), 0);
        settle();
        assert_int_equal(a.freed, 1);
        assert_int_equal(b.freed, 1);
        close(p[0]);
        close(p[1]);
        close(q[0]);
        close(q[1]);
}

static void removal_outside_a_dispatch_wakes_the_loop(void **state) {
        struct calls c = {0};
        int t;

        (void)state;
        t = bd_evloop_add_timeout(-1, on_timeout, &c, on_free);
        assert_true(t > 0);
        assert_false(loop_ready(0));
        assert_int_equal(bd_evloop_remove_timeout(t), 0);
        assert_int_equal(c.freed, 0);
        assert_true(loop_ready(1000)); /* so that the free runs soon */
        bd_evloop_flush();
        assert_int_equal(c.freed, 1);
        settle();
        assert_int_equal(c.freed, 1);
        assert_int_equal(c.n, 0);
}

static void timeouts_disabled_every_dispatch_and_periodic(void **state) {
        struct calls off = {0}, zero = {0}, every = {0};
        int t_off, t_zero, t_every;
        uint64_t start;

        (void)state;
        t_off = bd_evloop_add_timeout(-1, on_timeout, &off, on_free);
        assert_false(loop_ready(30));

        t_zero = bd_evloop_add_timeout(0, on_timeout, &zero, on_free);
        for (int i = 0; i < 3; i++) {
                assert_true(loop_ready(0));
                bd_evloop_dispatch();
        }
        assert_int_equal(zero.n, 3);
        bd_evloop_update_timeout(t_zero, -1);
        assert_quiet();
        assert_int_equal(zero.n, 3);

        start = mono_ms();
        t_every = bd_evloop_add_timeout(40, on_timeout, &every, on_free);
        for (int i = 0; i < 3; i++) {
                assert_true(loop_ready(2000));
                bd_evloop_dispatch();
        }
        assert_int_equal(every.n, 3);
        assert_true(mono_ms() - start >= 3 * 40);
        assert_int_equal(every.last_watch, t_every);
        assert_int_equal(off.n, 0);

        /* A timer removing another from its callback: the other never runs. */
        bd_evloop_update_timeout(t_zero, 0);
        bd_evloop_update_timeout(t_every, 0);
        zero.n = every.n = 0;
        zero.remove_other = t_every;
        every.remove_other = t_zero;
        bd_evloop_dispatch();
        assert_int_equal(zero.n + every.n, 1);
        assert_int_equal(bd_evloop_remove_timeout(zero.n ? t_zero : t_every), 0);
        assert_int_equal(bd_evloop_remove_timeout(t_off), 0);
        settle();
        assert_int_equal(off.freed + zero.freed + every.freed, 3);
}

/* libvirt's keepalive pushes its timeout back at every message: it must not
 * fire at the old time, and must fire at the new one. */
static void pushed_back_timeout_fires_late(void **state) {
        struct calls c = {0};
        uint64_t start = mono_ms();
        int t;

        (void)state;
        t = bd_evloop_add_timeout(30, on_timeout, &c, on_free);
        bd_evloop_update_timeout(t, 200);
        while (mono_ms() - start < 120) {
                if (loop_ready(10))
                        bd_evloop_dispatch();
        }
        assert_int_equal(c.n, 0);
        assert_true(loop_ready(1000));
        bd_evloop_dispatch();
        assert_int_equal(c.n, 1);
        assert_true(mono_ms() - start >= 200);
        assert_int_equal(bd_evloop_remove_timeout(t), 0);
        settle();
        assert_int_equal(c.freed, 1);
}

static void *add_from_thread(void *opaque) {
        return (void *)(intptr_t)bd_evloop_add_timeout(0, on_timeout, opaque, NULL);
}

static void wake_from_another_thread(void **state) {
        struct calls c = {0};
        pthread_t th;
        void *ret;
        int t;

        (void)state;
        assert_false(loop_ready(0));
        assert_int_equal(pthread_create(&th, NULL, add_from_thread, &c), 0);
        assert_int_equal(pthread_join(th, &ret), 0);
        assert_true(loop_ready(1000));
        bd_evloop_dispatch();
        assert_int_equal(c.n, 1);
        assert_int_equal(bd_evloop_remove_timeout((int)(intptr_t)ret), 0);
        settle();

        /* bd_evloop_wake survives a later re-arm of the timer. */
        bd_evloop_wake();
        t = bd_evloop_add_timeout(-1, on_timeout, &c, NULL);
        bd_evloop_update_timeout(t, 5000);
        assert_true(loop_ready(100));
        bd_evloop_dispatch();
        assert_int_equal(c.n, 1);
        assert_false(loop_ready(0));
        assert_int_equal(bd_evloop_remove_timeout(t), 0);
        settle();
}

static void bad_arguments_are_refused(void **state) {
        struct calls c = {0};

        (void)state;
        assert_int_equal(bd_evloop_add_handle(-1, BD_EV_READABLE, on_handle, &c, on_free), -1);
        assert_int_equal(bd_evloop_add_handle(1000000, BD_EV_READABLE, on_handle, &c, on_free), -1);
        assert_int_equal(bd_evloop_add_handle(0, BD_EV_READABLE, NULL, &c, on_free), -1);
        assert_int_equal(bd_evloop_add_timeout(10, NULL, &c, on_free), -1);
        bd_evloop_update_handle(987654, BD_EV_READABLE);
        bd_evloop_update_timeout(987654, 10);
        assert_int_equal(bd_evloop_remove_handle(987654), -1);
        assert_int_equal(bd_evloop_remove_timeout(987654), -1);
        assert_int_equal(c.freed, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(readable_pipe_is_dispatched),
                cmocka_unit_test(empty_mask_is_not_watched_even_for_hangup),
                cmocka_unit_test(same_descriptor_twice),
                cmocka_unit_test(removed_inside_a_dispatch_is_not_called),
                cmocka_unit_test(removal_outside_a_dispatch_wakes_the_loop),
                cmocka_unit_test(timeouts_disabled_every_dispatch_and_periodic),
                cmocka_unit_test(pushed_back_timeout_fires_late),
                cmocka_unit_test(wake_from_another_thread),
                cmocka_unit_test(bad_arguments_are_refused),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
