/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small world for the guest-safety tests (test_policy_margin.c,
 * test_policy_guests.c, test_policy_reserve.c, ...): a host, a few VMs
 * whose guests use what the test says, whole policy cycles, decisions
 * applied as a hypervisor would (the balloon reaches its target by the next
 * cycle), a report per cycle. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "balloond/core/policy.h"
#include "balloond/core/units.h"

#define SEC USEC_PER_SEC
#define M(mib) ((uint64_t)(mib) * MIB)
#define PW_MAX 8

struct pw {
        struct bd_config cfg;
        struct bd_host_sample host;
        struct bd_host_state hs;
        struct bd_host_view view;
        struct bd_vm_sample s[PW_MAX];
        struct bd_vm_history h[PW_MAX];
        struct bd_decision d[PW_MAX];
        uint64_t used[PW_MAX];   /* what each guest uses, KiB */
        bool frozen[PW_MAX];     /* its statistics stopped */
        bool follow[PW_MAX];     /* its balloon follows targets (else stuck) */
        size_t n;
        uint64_t now;            /* monotonic, usec */
        int64_t wall;
        uint64_t withdrawn[PW_MAX]; /* the last target set by a withdrawal (0: none) */
};

static inline void pw_init(struct pw *w) {
        memset(w, 0, sizeof(*w));
        bd_config_defaults(&w->cfg);
        w->cfg.cooldown_usec = 0;
        w->now = 100000 * SEC;
        w->wall = 1790000000LL;
        w->host.mem_total_kib = M(65536);
        w->host.mem_available_kib = M(40000); /* normal band */
}

/* A running VM of MAX MiB at SIZE MiB, its guest using USED MiB. */
static inline size_t pw_add(struct pw *w, uint64_t max_mib, uint64_t size_mib, uint64_t used_mib) {
        size_t i = w->n++;
        struct bd_vm_sample *s = &w->s[i];

        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "vm%zu", i);
        snprintf(s->uuid, sizeof(s->uuid), "00000000-0000-4000-8000-%012zu", i);
        s->state = BD_RUN_RUNNING;
        s->max_kib = M(max_mib);
        s->entitled_kib = M(max_mib);
        s->actual_kib = M(size_mib);
        s->swap_in_kib = s->swap_out_kib = s->major_faults = 0;
        s->stats_period_sec = 5;
        w->used[i] = M(used_mib);
        w->follow[i] = true;
        return i;
}

/* Host free memory as a share of RAM (above the 1 GiB reserve). */
static inline void pw_free_pct(struct pw *w, double pct) {
        w->host.mem_available_kib = (uint64_t)((double)w->host.mem_total_kib * pct / 100.0) + M(1024);
}

/* A fresh world of one 4 GiB VM using 1 GiB on a host with 10 % free,
 * whose balloon does not follow targets until told to. */
static inline size_t pw_lagging(struct pw *w) {
        size_t i;

        pw_init(w);
        i = pw_add(w, 4096, 4096, 1024);
        pw_free_pct(w, 10);
        w->follow[i] = false;
        return i;
}

/* The guests report (unless frozen), at the balloon's size now. */
static inline void pw_report(struct pw *w) {
        for (size_t i = 0; i < w->n; i++) {
                struct bd_vm_sample *s = &w->s[i];

                if (w->frozen[i] && s->last_update_sec != BD_TIME_UNKNOWN)
                        continue;
                s->usable_kib = s->actual_kib > w->used[i] ? s->actual_kib - w->used[i] : 0;
                s->unused_kib = s->usable_kib;
                s->disk_caches_kib = 0;
                s->available_kib = (s->flags & BD_VM_AUTODEFLATE) ? s->max_kib : s->actual_kib;
                s->last_update_sec = w->wall;
        }
}

/* One cycle: report, decide, apply (the balloons get there at once). */
static inline void pw_cycle(struct pw *w) {
        pw_report(w);
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        for (size_t i = 0; i < w->n; i++) {
                w->withdrawn[i] = 0;
                if (w->d[i].action == BD_ACTION_NONE && w->d[i].withdraw) {
                        w->withdrawn[i] = w->s[i].actual_kib;
                        bd_policy_note_applied(&w->h[i], &w->d[i], w->now);
                } else if (w->d[i].action != BD_ACTION_NONE) {
                        bd_policy_note_applied(&w->h[i], &w->d[i], w->now);
                        if (w->follow[i])
                                w->s[i].actual_kib = w->d[i].target_kib;
                }
        }
        w->now += 5 * SEC;
        w->wall += 5;
}

static inline void pw_cycles(struct pw *w, int n) {
        for (int k = 0; k < n; k++)
                pw_cycle(w);
}

/* A fresh world of one 8 GiB VM using USED_MIB under host pressure (10 %
 * free), cycled until shrunk to its floor. */
static inline size_t pw_at_floor(struct pw *w, uint64_t used_mib) {
        size_t i;

        pw_init(w);
        i = pw_add(w, 8192, 8192, used_mib);
        pw_free_pct(w, 10);
        for (int c = 0; c < 200 && w->d[i].reason != BD_REASON_AT_FLOOR; c++)
                pw_cycle(w);
        assert_int_equal(w->d[i].reason, BD_REASON_AT_FLOOR);
        assert_int_equal(w->d[i].rise_kib, 0);
        return i;
}

/* A fresh world of one VM of MAX_MIB at SIZE_MIB using USED_MIB, the host
 * FREE_PCT free: three cycles, and it is neither shrunk nor grown. */
static inline size_t pw_settled(struct pw *w, uint64_t max_mib, uint64_t size_mib, uint64_t used_mib, double free_pct) {
        size_t i;

        pw_init(w);
        i = pw_add(w, max_mib, size_mib, used_mib);
        pw_free_pct(w, free_pct);
        pw_cycles(w, 3);
        assert_int_equal(w->s[i].actual_kib, M(size_mib));
        assert_int_equal(w->d[i].rise_kib, 0);
        return i;
}
