/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conversion of hypervisor statistics into struct bd_vm_sample. Pure: the
 * libvirt module copies libvirt's typed parameters and memory-stat tags into
 * these plain forms, so this code (and its tests) need no libvirt. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

enum bd_param_type {
        BD_PARAM_INT = 1,     /* same numbering as virTypedParameterType */
        BD_PARAM_UINT = 2,
        BD_PARAM_LLONG = 3,
        BD_PARAM_ULLONG = 4,
        BD_PARAM_DOUBLE = 5,
        BD_PARAM_BOOLEAN = 6,
        BD_PARAM_STRING = 7,
};

/* One field of a bulk stats record ("state.state", "balloon.current", ...). */
struct bd_param {
        const char *field;
        enum bd_param_type type;
        union {
                int64_t i;   /* INT, LLONG, BOOLEAN */
                uint64_t u;  /* UINT, ULLONG */
                double d;
                const char *s;
        } v;
};

/* Tags of per-domain memory statistics, numbered as VIR_DOMAIN_MEMORY_STAT_*. */
enum bd_memstat_tag {
        BD_MEMSTAT_SWAP_IN = 0,
        BD_MEMSTAT_SWAP_OUT = 1,
        BD_MEMSTAT_MAJOR_FAULT = 2,
        BD_MEMSTAT_MINOR_FAULT = 3,
        BD_MEMSTAT_UNUSED = 4,
        BD_MEMSTAT_AVAILABLE = 5,
        BD_MEMSTAT_ACTUAL_BALLOON = 6,
        BD_MEMSTAT_RSS = 7,
        BD_MEMSTAT_USABLE = 8,
        BD_MEMSTAT_LAST_UPDATE = 9,
        BD_MEMSTAT_DISK_CACHES = 10,
        BD_MEMSTAT_HUGETLB_PGALLOC = 11,
        BD_MEMSTAT_HUGETLB_PGFAIL = 12,
};

struct bd_memstat {
        int tag;
        uint64_t val;
};

/* Fill the state and balloon fields of OUT from a bulk record
 * (VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON). Fields absent from the
 * record are left as they are. Returns the number of balloon.* guest fields
 * found (0 means the driver gave no guest stats: use the per-domain call). */
int bd_stats_from_params(const struct bd_param *params, size_t n, struct bd_vm_sample *out);

/* Fill the balloon fields of OUT from per-domain memory stats. Returns the
 * number of guest fields found. */
int bd_stats_from_memstats(const struct bd_memstat *stats, size_t n, struct bd_vm_sample *out);

/* Map a libvirt domain state + reason (virDomainState numbering) to ours. */
enum bd_run_state bd_stats_run_state(int state, int reason);
