/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libvirt's callbacks on balloond's own loop (see include/balloond/evloop.h).
 *
 * Why: with libvirt's default event loop in a thread of its own, every RPC
 * reply is handed between two threads (the caller parks the socket's watch,
 * the loop thread wakes to see it), which costs about 30 % over the bare
 * libvirt calls at 1,000 domains (docs/PERFORMANCE.md). Here the watches are
 * entries in one epoll set that the main loop polls between cycles: an RPC
 * made by the main thread costs two epoll_ctl calls and no thread switch.
 *
 * Handles are registered in the epoll set while their events are non-zero
 * (epoll reports hangup and errors even for an empty mask, libvirt's loop
 * does not). Timeouts share one timerfd, also in the set, armed for the
 * earliest due one. Removed entries stay in the tables, marked, until a
 * dispatch or flush runs their free callbacks and drops them.
 *
 * Why not sd-event's own sources (issue 19, measured; docs/PERFORMANCE.md):
 * the same interface on a private sd_event (branch i19-evloop-sd) passes
 * tests/test_evloop.c and costs the same at 1,000 domains through libvirtd
 * (paired cycle/floor 1.10-1.13 for this file, 1.11-1.12 for sd-event, in
 * alternate runs, its CPU 1-3 % higher), but is no simpler: 469 lines to
 * 450. sd-event has no ids, so the table stays; its destroy callback runs
 * inside unref, so the deferred frees stay; it refuses a descriptor twice,
 * so the copy stays; and it adds what this file does not need: it runs one
 * source per iteration and a due source stays due (a per-dispatch
 * generation), and it arms its timers only when it prepares an iteration,
 * so a timeout moved earlier between dispatches needs its state machine
 * driven by hand (wait, prepare) and a wake-up eventfd. Sources on the
 * daemon's own sd_event, with no nested loop, would drop the descriptor but
 * not the rest, would change the backend's event interface, and could not
 * keep libvirt's contract that any thread may add, update or remove: an
 * sd_event belongs to one thread, and the main thread waits in it holding
 * no lock of ours. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "balloond/core/alloc.h"
#include "balloond/daemon/evloop.h"
#include "balloond/daemon/log.h"

#define TIMERFD_KEY 0 /* epoll data of the timerfd; ids start at 1 */
#define MAX_READY 32

struct handle {
        int id;
        int fd;       /* libvirt's descriptor, given back to the callback */
        int dup_fd;   /* our copy when FD was already in the set, else -1 */
        int events;   /* BD_EV_* */
        bool in_set;
        bool removed;
        bd_ev_handle_cb cb;
        void *opaque;
        bd_ev_free_cb ff;
};

struct timeout {
        int id;
        int period_ms; /* -1 disabled */
        uint64_t due_ms;
        bool removed;
        bd_ev_timeout_cb cb;
        void *opaque;
        bd_ev_free_cb ff;
};

static struct {
        pthread_mutex_t lock;
        int epoll_fd, timer_fd;
        int next_id;
        struct handle *handles;
        size_t n_handles, cap_handles;
        struct timeout *timeouts;
        size_t n_timeouts, cap_timeouts;
        size_t n_removed;  /* marked entries not yet dropped */
        bool woken;        /* bd_evloop_wake() since the last dispatch */
        uint64_t armed_ms; /* when the timerfd fires (0: at once), UINT64_MAX: not armed */
        bool dispatching;
} loop = {.lock = PTHREAD_MUTEX_INITIALIZER, .epoll_fd = -1, .timer_fd = -1, .next_id = 1,
        .armed_ms = UINT64_MAX};

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

static int new_id(void) {
        if (loop.next_id == INT32_MAX)
                loop.next_id = 1; /* ids live far shorter than 2^31 registrations */
        return loop.next_id++;
}

int bd_evloop_init(void) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TIMERFD_KEY};
        int r = 0;

        pthread_mutex_lock(&loop.lock);
        if (loop.epoll_fd >= 0)
                goto out;
        loop.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        loop.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (loop.epoll_fd < 0 || loop.timer_fd < 0 ||
            epoll_ctl(loop.epoll_fd, EPOLL_CTL_ADD, loop.timer_fd, &ev) < 0) {
                r = -errno;
                if (loop.epoll_fd >= 0)
                        close(loop.epoll_fd);
                if (loop.timer_fd >= 0)
                        close(loop.timer_fd);
                loop.epoll_fd = loop.timer_fd = -1;
        }
out:
        pthread_mutex_unlock(&loop.lock);
        return r;
}

int bd_evloop_fd(void) {
        return loop.epoll_fd;
}

/* Arm the timerfd for the earliest due timeout, at once if frees are
 * pending. Only ever earlier: libvirt pushes its keepalive timeout back at
 * every message, and a timerfd armed too early costs one dispatch that finds
 * nothing due, where re-arming it costs a syscall per RPC. Called with the
 * lock held. */
static void arm_timer(void) {
        struct itimerspec its = {{0, 0}, {0, 0}};
        uint64_t when = UINT64_MAX;
        int flags = 0;

        for (size_t i = 0; i < loop.n_timeouts; i++)
                if (!loop.timeouts[i].removed && loop.timeouts[i].period_ms >= 0 &&
                    loop.timeouts[i].due_ms < when)
                        when = loop.timeouts[i].due_ms;
        if (loop.n_removed > 0 || loop.woken || (when != UINT64_MAX && when <= now_ms()))
                when = 0;
        if (when >= loop.armed_ms || loop.timer_fd < 0)
                return;
        if (when == 0) {
                its.it_value.tv_nsec = 1; /* relative: now (0 would disarm) */
        } else {
                its.it_value.tv_sec = (time_t)(when / 1000);
                its.it_value.tv_nsec = (long)(when % 1000) * 1000000L;
                flags = TFD_TIMER_ABSTIME;
        }
        if (timerfd_settime(loop.timer_fd, flags, &its, NULL) < 0)
                bd_log(BD_LOG_WARNING, "event loop: cannot arm its timer: %s", strerror(errno));
        else
                loop.armed_ms = when;
}

/* A flag, not just the timerfd: re-arming the timerfd resets its count. */
void bd_evloop_wake(void) {
        pthread_mutex_lock(&loop.lock);
        loop.woken = true;
        arm_timer();
        pthread_mutex_unlock(&loop.lock);
}

static uint32_t to_epoll(int events) {
        return (events & BD_EV_READABLE ? EPOLLIN : 0) | (events & BD_EV_WRITABLE ? EPOLLOUT : 0);
}

static int from_epoll(uint32_t revents) {
        return (revents & EPOLLIN ? BD_EV_READABLE : 0) | (revents & EPOLLOUT ? BD_EV_WRITABLE : 0) |
               (revents & EPOLLERR ? BD_EV_ERROR : 0) | (revents & EPOLLHUP ? BD_EV_HANGUP : 0);
}

/* Put H's descriptor in the set, or out of it, as its events say. A
 * descriptor already in the set (watched twice) is watched through a copy.
 * Called with the lock held. */
static int sync_handle(struct handle *h) {
        struct epoll_event ev = {.events = to_epoll(h->events), .data.u64 = (uint64_t)h->id};
        int fd = h->dup_fd >= 0 ? h->dup_fd : h->fd;

        if (h->events == 0) {
                if (h->in_set && epoll_ctl(loop.epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF &&
                    errno != ENOENT)
                        return -errno;
                h->in_set = false;
                return 0;
        }
        if (h->in_set)
                return epoll_ctl(loop.epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
        if (epoll_ctl(loop.epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                if (errno != EEXIST || h->dup_fd >= 0)
                        return -errno;
                h->dup_fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
                if (h->dup_fd < 0 || epoll_ctl(loop.epoll_fd, EPOLL_CTL_ADD, h->dup_fd, &ev) < 0)
                        return -errno;
        }
        h->in_set = true;
        return 0;
}

static struct handle *find_handle(int id) {
        for (size_t i = 0; i < loop.n_handles; i++)
                if (loop.handles[i].id == id && !loop.handles[i].removed)
                        return &loop.handles[i];
        return NULL;
}

static struct timeout *find_timeout(int id) {
        for (size_t i = 0; i < loop.n_timeouts; i++)
                if (loop.timeouts[i].id == id && !loop.timeouts[i].removed)
                        return &loop.timeouts[i];
        return NULL;
}

/* A removed entry stays until a sweep runs its free callback, soon: the
 * timerfd fires at once. Called with the lock held. */
static void mark_removed(bool *removed) {
        *removed = true;
        loop.n_removed++;
        arm_timer();
}

static void set_period(struct timeout *t, int timeout_ms) {
        t->period_ms = timeout_ms < 0 ? -1 : timeout_ms;
        t->due_ms = now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
}

int bd_evloop_add_handle(int fd, int events, bd_ev_handle_cb cb, void *opaque, bd_ev_free_cb ff) {
        struct handle *h;
        int r;

        if (fd < 0 || !cb || loop.epoll_fd < 0)
                return -1;
        pthread_mutex_lock(&loop.lock);
        loop.handles = bd_grow_array(loop.handles, &loop.cap_handles, loop.n_handles + 1,
                                     sizeof(*loop.handles));
        h = &loop.handles[loop.n_handles];
        *h = (struct handle){.id = new_id(), .fd = fd, .dup_fd = -1, .events = events, .cb = cb,
                             .opaque = opaque, .ff = ff};
        r = sync_handle(h);
        if (r < 0) {
                bd_log(BD_LOG_WARNING, "event loop: cannot watch descriptor %d: %s", fd, strerror(-r));
                if (h->dup_fd >= 0)
                        close(h->dup_fd);
                pthread_mutex_unlock(&loop.lock);
                return -1;
        }
        loop.n_handles++;
        r = h->id;
        pthread_mutex_unlock(&loop.lock);
        return r;
}

void bd_evloop_update_handle(int watch, int events) {
        struct handle *h;
        int r;

        pthread_mutex_lock(&loop.lock);
        h = find_handle(watch);
        if (h && h->events != events) {
                h->events = events;
                r = sync_handle(h);
                if (r < 0)
                        bd_log(BD_LOG_WARNING, "event loop: cannot watch descriptor %d: %s", h->fd, strerror(-r));
        }
        pthread_mutex_unlock(&loop.lock);
}

int bd_evloop_remove_handle(int watch) {
        struct handle *h;

        pthread_mutex_lock(&loop.lock);
        h = find_handle(watch);
        if (!h) {
                pthread_mutex_unlock(&loop.lock);
                return -1;
        }
        h->events = 0;
        (void)sync_handle(h); /* the descriptor may be closed already: it left the set then */
        if (h->dup_fd >= 0)
                close(h->dup_fd);
        h->dup_fd = -1;
        mark_removed(&h->removed);
        pthread_mutex_unlock(&loop.lock);
        return 0;
}

int bd_evloop_add_timeout(int timeout_ms, bd_ev_timeout_cb cb, void *opaque, bd_ev_free_cb ff) {
        struct timeout *t;
        int id;

        if (!cb || loop.epoll_fd < 0)
                return -1;
        pthread_mutex_lock(&loop.lock);
        loop.timeouts = bd_grow_array(loop.timeouts, &loop.cap_timeouts, loop.n_timeouts + 1,
                                      sizeof(*loop.timeouts));
        t = &loop.timeouts[loop.n_timeouts++];
        *t = (struct timeout){.id = new_id(), .cb = cb, .opaque = opaque, .ff = ff};
        set_period(t, timeout_ms);
        id = t->id;
        arm_timer();
        pthread_mutex_unlock(&loop.lock);
        return id;
}

void bd_evloop_update_timeout(int timer, int timeout_ms) {
        struct timeout *t;

        pthread_mutex_lock(&loop.lock);
        t = find_timeout(timer);
        if (t) {
                set_period(t, timeout_ms);
                arm_timer();
        }
        pthread_mutex_unlock(&loop.lock);
}

int bd_evloop_remove_timeout(int timer) {
        struct timeout *t;

        pthread_mutex_lock(&loop.lock);
        t = find_timeout(timer);
        if (!t) {
                pthread_mutex_unlock(&loop.lock);
                return -1;
        }
        mark_removed(&t->removed);
        pthread_mutex_unlock(&loop.lock);
        return 0;
}

/* One pending free callback, taken out of the tables. */
struct pending_free {
        bd_ev_free_cb ff;
        void *opaque;
};

/* Drop removed entries and run their free callbacks, with no lock held.
 * Not while a dispatch runs: it walks the tables by index. */
static void sweep(void) {
        struct pending_free *frees;
        size_t n = 0, kept;

        pthread_mutex_lock(&loop.lock);
        if (loop.n_removed == 0 || loop.dispatching) {
                pthread_mutex_unlock(&loop.lock);
                return;
        }
        frees = bd_resize_array(NULL, loop.n_removed, sizeof(*frees));
        kept = 0;
        for (size_t i = 0; i < loop.n_handles; i++) {
                if (!loop.handles[i].removed)
                        loop.handles[kept++] = loop.handles[i];
                else if (loop.handles[i].ff)
                        frees[n++] = (struct pending_free){loop.handles[i].ff, loop.handles[i].opaque};
        }
        loop.n_handles = kept;
        kept = 0;
        for (size_t i = 0; i < loop.n_timeouts; i++) {
                if (!loop.timeouts[i].removed)
                        loop.timeouts[kept++] = loop.timeouts[i];
                else if (loop.timeouts[i].ff)
                        frees[n++] = (struct pending_free){loop.timeouts[i].ff, loop.timeouts[i].opaque};
        }
        loop.n_timeouts = kept;
        loop.n_removed = 0;
        arm_timer();
        pthread_mutex_unlock(&loop.lock);
        for (size_t i = 0; i < n; i++)
                frees[i].ff(frees[i].opaque);
        free(frees);
}

/* Run H's callback if it is still watched for any of REVENTS. Takes and
 * drops the lock: the callback may add, update or remove. */
static int run_handle(int id, uint32_t revents) {
        struct handle *h;
        bd_ev_handle_cb cb;
        void *opaque;
        int fd, events;

        pthread_mutex_lock(&loop.lock);
        h = find_handle(id);
        if (!h || h->events == 0) {
                pthread_mutex_unlock(&loop.lock);
                return 0;
        }
        events = from_epoll(revents) & (h->events | BD_EV_ERROR | BD_EV_HANGUP);
        cb = h->cb;
        opaque = h->opaque;
        fd = h->fd;
        pthread_mutex_unlock(&loop.lock);
        if (!events)
                return 0;
        cb(id, fd, events, opaque);
        return 1;
}

/* Run every timeout due now, each once. */
static int run_timeouts(void) {
        uint64_t now = now_ms();
        size_t n;
        int ran = 0;

        pthread_mutex_lock(&loop.lock);
        n = loop.n_timeouts; /* ones added by a callback wait for the next dispatch */
        for (size_t i = 0; i < n && i < loop.n_timeouts; i++) {
                struct timeout *t = &loop.timeouts[i];
                bd_ev_timeout_cb cb;
                void *opaque;
                int id;

                if (t->removed || t->period_ms < 0 || t->due_ms > now)
                        continue;
                t->due_ms = now + (uint64_t)t->period_ms;
                cb = t->cb;
                opaque = t->opaque;
                id = t->id;
                pthread_mutex_unlock(&loop.lock);
                cb(id, opaque);
                ran++;
                pthread_mutex_lock(&loop.lock);
        }
        pthread_mutex_unlock(&loop.lock);
        return ran;
}

int bd_evloop_dispatch(void) {
        struct epoll_event ready[MAX_READY];
        uint64_t expirations;
        int n, ran = 0;

        if (loop.epoll_fd < 0)
                return 0;
        pthread_mutex_lock(&loop.lock);
        if (loop.dispatching) { /* called from one of its own callbacks */
                pthread_mutex_unlock(&loop.lock);
                return 0;
        }
        loop.dispatching = true;
        loop.woken = false;
        while (read(loop.timer_fd, &expirations, sizeof(expirations)) > 0)
                ;
        if (loop.armed_ms <= now_ms())
                loop.armed_ms = UINT64_MAX; /* it fired (or is about to: then once more) */
        pthread_mutex_unlock(&loop.lock);

        n = epoll_wait(loop.epoll_fd, ready, MAX_READY, 0);
        for (int i = 0; i < n; i++)
                if (ready[i].data.u64 != TIMERFD_KEY)
                        ran += run_handle((int)ready[i].data.u64, ready[i].events);
        ran += run_timeouts();

        pthread_mutex_lock(&loop.lock);
        loop.dispatching = false;
        arm_timer();
        pthread_mutex_unlock(&loop.lock);
        sweep();
        return ran;
}

void bd_evloop_flush(void) {
        sweep(); /* during a dispatch, the dispatch sweeps when its callbacks are done */
}
