/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An event loop for libvirt's callbacks on one file descriptor, so that they
 * run on balloond's own main loop and not on a thread of their own.
 *
 * The functions below have the shapes of libvirt's virEventRegisterImpl
 * (src/daemon/libvirt.c registers them). Handles and timeouts live in one process-
 * wide loop; bd_evloop_fd() is an epoll descriptor that turns readable when a
 * watched descriptor is ready, a timeout is due or a free is pending; the
 * owner then calls bd_evloop_dispatch(). Semantics follow libvirt's default
 * loop:
 * - a handle with events 0 is not watched at all (not even for hangup);
 * - a timeout of -1 is disabled, 0 fires at every dispatch, N fires every N ms;
 * - the same descriptor may be watched twice;
 * - free callbacks never run inside add/update/remove (the caller may hold a
 *   lock that the free callback takes): they run at the end of the next
 *   dispatch, or in bd_evloop_flush().
 * Any thread may add, update or remove; callbacks run on the dispatching
 * thread, with no lock of ours held. */
#ifndef BALLOOND_EVLOOP_H
#define BALLOOND_EVLOOP_H

/* libvirt's VIR_EVENT_HANDLE_* values (src/daemon/libvirt.c checks them). */
enum {
        BD_EV_READABLE = 1,
        BD_EV_WRITABLE = 2,
        BD_EV_ERROR = 4,
        BD_EV_HANGUP = 8,
};

typedef void (*bd_ev_handle_cb)(int watch, int fd, int events, void *opaque);
typedef void (*bd_ev_timeout_cb)(int timer, void *opaque);
typedef void (*bd_ev_free_cb)(void *opaque);

/* Create the loop (once per process; later calls return 0). */
int bd_evloop_init(void);
/* Readable when bd_evloop_dispatch() has work; -1 before init. */
int bd_evloop_fd(void);
/* Run ready handles, due timeouts, then pending frees; never blocks.
 * Returns the number of callbacks run. */
int bd_evloop_dispatch(void);
/* Run pending free callbacks now (call with no libvirt lock held). */
void bd_evloop_flush(void);
/* Make the descriptor readable now, so that the owner dispatches soon. */
void bd_evloop_wake(void);

int bd_evloop_add_handle(int fd, int events, bd_ev_handle_cb cb, void *opaque, bd_ev_free_cb ff);
void bd_evloop_update_handle(int watch, int events);
int bd_evloop_remove_handle(int watch);
int bd_evloop_add_timeout(int timeout_ms, bd_ev_timeout_cb cb, void *opaque, bd_ev_free_cb ff);
void bd_evloop_update_timeout(int timer, int timeout_ms);
int bd_evloop_remove_timeout(int timer);

#endif
