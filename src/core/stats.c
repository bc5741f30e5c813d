/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hypervisor statistics -> struct bd_vm_sample. The libvirt module copies
 * libvirt's typed parameters and memory-stat tags into the plain forms of
 * stats.h; the numbering is libvirt's (checked at compile time there). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "balloond/core/stats.h"

/* libvirt's domain states and the reasons that mean "migrating"
 * (virDomainState, virDomainRunningReason, virDomainPausedReason in
 * libvirt-domain.h; src/daemon/libvirt.c checks these numbers at compile time). */
enum {
        VIRT_NOSTATE = 0,
        VIRT_RUNNING = 1,
        VIRT_BLOCKED = 2,
        VIRT_PAUSED = 3,
        VIRT_SHUTDOWN = 4,
        VIRT_SHUTOFF = 5,
        VIRT_CRASHED = 6,
        VIRT_PMSUSPENDED = 7,
        VIRT_RUNNING_POSTCOPY = 10,
        VIRT_RUNNING_POSTCOPY_FAILED = 11,
        VIRT_PAUSED_MIGRATION = 2,
        VIRT_PAUSED_POSTCOPY = 12,
        VIRT_PAUSED_POSTCOPY_FAILED = 13,
};

/* Running and blocked (waiting on a resource) are a running guest. Any
 * phase of a migration, including a failed post-copy that waits to be
 * recovered (part of the guest's memory is still on the other host), is
 * MIGRATING. A guest that is shutting down is OTHER: it still holds its
 * memory but is about to release it, so it is not worth ballooning. Crashed,
 * pmsuspended and unknown states are OTHER too. */
enum bd_run_state bd_stats_run_state(int state, int reason) {
        switch (state) {
        case VIRT_RUNNING:
                return reason == VIRT_RUNNING_POSTCOPY || reason == VIRT_RUNNING_POSTCOPY_FAILED
                               ? BD_RUN_MIGRATING
                               : BD_RUN_RUNNING;
        case VIRT_BLOCKED:
                return BD_RUN_RUNNING;
        case VIRT_PAUSED:
                return reason == VIRT_PAUSED_MIGRATION || reason == VIRT_PAUSED_POSTCOPY ||
                                       reason == VIRT_PAUSED_POSTCOPY_FAILED
                               ? BD_RUN_MIGRATING
                               : BD_RUN_PAUSED;
        case VIRT_SHUTOFF:
                return BD_RUN_SHUTOFF;
        case VIRT_NOSTATE:
        case VIRT_SHUTDOWN:
        case VIRT_CRASHED:
        case VIRT_PMSUSPENDED:
        default:
                return BD_RUN_OTHER;
        }
}

/* A value as an unsigned count; -1 / 2^64-1 / negative / non-integer: missing. */
static bool param_u64(const struct bd_param *p, uint64_t *out) {
        switch (p->type) {
        case BD_PARAM_INT:
        case BD_PARAM_LLONG:
                if (p->v.i < 0)
                        return false;
                *out = (uint64_t)p->v.i;
                return true;
        case BD_PARAM_UINT:
                if (p->v.u == UINT32_MAX)
                        return false;
                *out = p->v.u;
                return true;
        case BD_PARAM_ULLONG:
                if (p->v.u == UINT64_MAX)
                        return false;
                *out = p->v.u;
                return true;
        default:
                return false;
        }
}

static bool param_int(const struct bd_param *p, int *out) {
        uint64_t v;

        if (!param_u64(p, &v) || v > INT32_MAX)
                return false;
        *out = (int)v;
        return true;
}

int bd_stats_from_params(const struct bd_param *params, size_t n, struct bd_vm_sample *out) {
        static const struct {
                const char *field;
                size_t offset;
        } guest_fields[] = {
                { "balloon.swap_in", offsetof(struct bd_vm_sample, swap_in_kib) },
                { "balloon.swap_out", offsetof(struct bd_vm_sample, swap_out_kib) },
                { "balloon.major_fault", offsetof(struct bd_vm_sample, major_faults) },
                { "balloon.unused", offsetof(struct bd_vm_sample, unused_kib) },
                { "balloon.available", offsetof(struct bd_vm_sample, available_kib) },
                { "balloon.usable", offsetof(struct bd_vm_sample, usable_kib) },
                { "balloon.disk_caches", offsetof(struct bd_vm_sample, disk_caches_kib) },
        };
        int state = -1, reason = 0, found = 0;
        uint64_t v;

        for (size_t i = 0; i < n; i++) {
                const struct bd_param *p = &params[i];

                if (!p->field)
                        continue;
                if (strcmp(p->field, "state.state") == 0) {
                        (void)param_int(p, &state);
                } else if (strcmp(p->field, "state.reason") == 0) {
                        (void)param_int(p, &reason);
                } else if (strcmp(p->field, "balloon.current") == 0) {
                        if (param_u64(p, &v))
                                out->actual_kib = v;
                } else if (strcmp(p->field, "balloon.maximum") == 0) {
                        if (param_u64(p, &v))
                                out->max_kib = v;
                } else if (strcmp(p->field, "balloon.rss") == 0) {
                        if (param_u64(p, &v))
                                out->rss_kib = v; /* the host's, not a guest field */
                } else if (strcmp(p->field, "balloon.last-update") == 0) {
                        if (param_u64(p, &v) && v <= INT64_MAX) {
                                out->last_update_sec = (int64_t)v;
                                found++;
                        }
                } else if (strncmp(p->field, "balloon.", 8) == 0) {
                        for (size_t k = 0; k < sizeof(guest_fields) / sizeof(guest_fields[0]); k++) {
                                if (strcmp(p->field, guest_fields[k].field) != 0)
                                        continue;
                                if (param_u64(p, &v)) {
                                        *(uint64_t *)((char *)out + guest_fields[k].offset) = v;
                                        found++;
                                }
                                break;
                        }
                }
        }
        if (state >= 0)
                out->state = bd_stats_run_state(state, reason);
        return found;
}

int bd_stats_from_memstats(const struct bd_memstat *stats, size_t n, struct bd_vm_sample *out) {
        int found = 0;

        for (size_t i = 0; i < n; i++) {
                uint64_t v = stats[i].val;

                if (v == UINT64_MAX)
                        continue; /* missing */
                switch (stats[i].tag) {
                case BD_MEMSTAT_SWAP_IN:
                        out->swap_in_kib = v;
                        break;
                case BD_MEMSTAT_SWAP_OUT:
                        out->swap_out_kib = v;
                        break;
                case BD_MEMSTAT_MAJOR_FAULT:
                        out->major_faults = v;
                        break;
                case BD_MEMSTAT_UNUSED:
                        out->unused_kib = v;
                        break;
                case BD_MEMSTAT_AVAILABLE:
                        out->available_kib = v;
                        break;
                case BD_MEMSTAT_ACTUAL_BALLOON:
                        out->actual_kib = v;
                        continue; /* the hypervisor's, not a guest field */
                case BD_MEMSTAT_USABLE:
                        out->usable_kib = v;
                        break;
                case BD_MEMSTAT_LAST_UPDATE:
                        if (v > INT64_MAX)
                                continue;
                        out->last_update_sec = (int64_t)v;
                        break;
                case BD_MEMSTAT_DISK_CACHES:
                        out->disk_caches_kib = v;
                        break;
                case BD_MEMSTAT_RSS:
                        out->rss_kib = v;
                        continue; /* the host's, not a guest field */
                default:
                        continue; /* minor faults, hugetlb: not used */
                }
                found++;
        }
        return found;
}
