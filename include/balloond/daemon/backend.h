/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A hypervisor backend: lists VMs with their samples and sets balloon targets.
 * Two exist: libvirt (src/daemon/libvirt*.c, the only files that talk to
 * libvirt) and the simulated host (src/daemon/backend_sim.c). */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/core/config.h"
#include "balloond/core/sample.h"

struct bd_backend;

#define BD_SET_ERR_MAX 256
/* The deadline of one call setting a balloon target: half the cycle, within
 * these bounds (bd_set_deadline_usec). */
#define BD_SET_DEADLINE_MIN_USEC 200000ULL
#define BD_SET_DEADLINE_MAX_USEC 3000000ULL

/* One balloon change for set_targets. */
struct bd_set_request {
        const struct bd_vm_sample *vm;
        uint64_t target_kib;
        /* out: as set_target's, or -EINPROGRESS: the call had not returned
         * by its deadline, goes on in the background, and the VM is left
         * alone until it has; -EALREADY: not tried, such a call for this VM
         * has not returned yet; -EAGAIN: not tried, no worker was free */
        int result;
        char err[BD_SET_ERR_MAX];
};

struct bd_backend_ops {
        const char *name;
        /* Sample every domain. *OUT is an array of *N samples owned by the
         * backend, valid until the next collect or free. NOW_USEC is the
         * monotonic clock, NOW_WALL_SEC the wall clock (the simulated host
         * runs its model to these times). */
        int (*collect)(struct bd_backend *b, uint64_t now_usec, int64_t now_wall_sec,
                       const struct bd_vm_sample **out, size_t *n);
        /* Sample the host, for backends that model it (NULL: read /proc). */
        int (*sample_host)(struct bd_backend *b, uint64_t now_usec, struct bd_host_sample *out);
        /* Set VM's balloon target, after checking the latest facts (still
         * running, not migrating). Returns 0; -ENOENT when the VM vanished,
         * -EAGAIN / -ETIMEDOUT / -EIO for transient failures, -EOPNOTSUPP /
         * -EPERM for permanent ones, -ESTALE when the VM is no longer in a
         * state to be ballooned. ERR (size ERR_LEN) receives a message. */
        int (*set_target)(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t target_kib,
                          char *err, size_t err_len);
        /* Set many targets at once, each call bounded by DEADLINE_USEC (see
         * struct bd_set_request); NULL: set_target one after the other. */
        void (*set_targets)(struct bd_backend *b, struct bd_set_request *reqs, size_t n, uint64_t deadline_usec);
        /* A file descriptor that becomes readable when the hypervisor has
         * events for handle_events (NULL / -1: no events). */
        int (*event_fd)(struct bd_backend *b);
        /* Handle pending events on the caller's thread; returns BD_EVENT_* bits. */
        unsigned (*handle_events)(struct bd_backend *b);
        /* Take the settings of a reloaded configuration that the backend
         * holds (NULL: it holds none). */
        void (*configure)(struct bd_backend *b, const struct bd_config *cfg);
        void (*free)(struct bd_backend *b);
};

enum {
        BD_EVENT_CLOSED = 1u << 0,  /* the connection is gone; collect reconnects */
        BD_EVENT_DOMAINS = 1u << 1, /* domains started (stats periods armed) */
        BD_EVENT_BALLOON = 1u << 2, /* decide now: a balloon grew without balloond (deflate-on-OOM?), or a
                                     * host device was plugged into a VM */
};

struct bd_backend {
        const struct bd_backend_ops *ops;
};

/* Open the backend for URI: "sim://" (or "sim:///builtin") for the built-in
 * simulated host, "sim:///path/to/scenario.json" for a simulator scenario's
 * host and VMs, anything else is a libvirt URI. On failure returns a
 * negative errno and describes it in ERR. */
int bd_backend_open(const char *uri, const struct bd_config *cfg, struct bd_backend **out,
                    char *err, size_t err_len);

/* Set the targets of REQS (the backend's set_targets, else one by one). */
void bd_backend_set_targets(struct bd_backend *b, struct bd_set_request *reqs, size_t n, uint64_t deadline_usec);

/* The deadline of one call setting a target, for a cycle every INTERVAL_USEC. */
uint64_t bd_set_deadline_usec(uint64_t interval_usec);

/* Pass a reloaded configuration to a backend that was kept. */
void bd_backend_configure(struct bd_backend *b, const struct bd_config *cfg);

int bd_backend_open_libvirt(const char *uri, const struct bd_config *cfg, struct bd_backend **out,
                            char *err, size_t err_len);
int bd_backend_open_sim(const char *uri, const struct bd_config *cfg, struct bd_backend **out,
                        char *err, size_t err_len);

struct bd_sim;
/* The model behind a backend opened on sim://, NULL for other backends. */
struct bd_sim *bd_backend_sim(struct bd_backend *b);

static inline void bd_backend_free(struct bd_backend *b) {
        if (b)
                b->ops->free(b);
}

/* Is this errno, from set_target, permanent (stop trying this VM)? */
static inline int bd_backend_error_is_permanent(int r) {
        return r == -EOPNOTSUPP || r == -EPERM || r == -ENOSYS;
}
