/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "balloond/core/sample.h"

void bd_vm_sample_init(struct bd_vm_sample *s) {
        memset(s, 0, sizeof(*s));
        s->state = BD_RUN_OTHER;
        s->max_kib = BD_KIB_UNKNOWN;
        s->actual_kib = BD_KIB_UNKNOWN;
        s->entitled_kib = BD_KIB_UNKNOWN;
        s->available_kib = BD_KIB_UNKNOWN;
        s->unused_kib = BD_KIB_UNKNOWN;
        s->usable_kib = BD_KIB_UNKNOWN;
        s->disk_caches_kib = BD_KIB_UNKNOWN;
        s->swap_in_kib = BD_COUNT_UNKNOWN;
        s->swap_out_kib = BD_COUNT_UNKNOWN;
        s->major_faults = BD_COUNT_UNKNOWN;
        s->last_update_sec = BD_TIME_UNKNOWN;
        s->stats_period_sec = -1;
        s->rss_kib = BD_KIB_UNKNOWN;
        s->host_swap_kib = BD_KIB_UNKNOWN;
        s->ksm_kib = BD_KIB_UNKNOWN;
}

const char *bd_run_state_to_string(enum bd_run_state s) {
        switch (s) {
        case BD_RUN_RUNNING:
                return "running";
        case BD_RUN_PAUSED:
                return "paused";
        case BD_RUN_SHUTOFF:
                return "shut_off";
        case BD_RUN_MIGRATING:
                return "migrating";
        default:
                return "other";
        }
}

bool bd_class_valid(const char *c) {
        size_t len = strlen(c);

        if (len == 0 || len >= BD_CLASS_MAX)
                return false;
        for (; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
                        return false;
        return true;
}
