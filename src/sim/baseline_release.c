/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "release-fully": each guest on its own statistics; squeeze out what it
 * does not use, give everything back the moment it runs short.
 *
 * Where the rules come from: this is the style of the guest-driven
 * ballooners built around free page hinting / free page reporting, which
 * keep a guest just above a small free reserve and, rather than guess how
 * much a guest needs when it runs low, deflate its balloon completely (the
 * "release" of free page hinting setups, and of QEMU's deflate-on-OOM
 * behaviour applied from the host). No single project ships exactly these
 * numbers; they are the ones the benchmark's issue 14 fixed for this peer,
 * as published there:
 *   - while the guest's MemAvailable is above 384 MiB, inflate its balloon
 *     so that 256 MiB stay available;
 *   - the moment its MemAvailable is under 192 MiB, give it its whole
 *     maximum back;
 *   - in between, leave it alone. No floor, no host input, no shares.
 * Acts on each new stats report of a guest (checked every second), and
 * inflates again only once the balloon reached the size last asked (a
 * report taken while the balloon still moves would count the same free
 * memory twice). Guests without MemAvailable are left alone. */
#include <stdlib.h>

#include "balloond/core/units.h"
#include "balloond/sim/baselines.h"

struct rel_vm {
        int64_t seen_update; /* last_update_sec of the report acted on */
        uint64_t asked_kib;  /* the size last asked, 0 none */
        bool seen;
};

struct bd_release {
        size_t cap;
        struct rel_vm *vm;
};

struct bd_release *bd_release_new(size_t n) {
        struct bd_release *rl = calloc(1, sizeof(*rl));

        if (!rl)
                return NULL;
        rl->cap = n;
        rl->vm = calloc(n ? n : 1, sizeof(*rl->vm));
        if (!rl->vm) {
                free(rl);
                return NULL;
        }
        return rl;
}

void bd_release_free(struct bd_release *rl) {
        if (!rl)
                return;
        free(rl->vm);
        free(rl);
}

/* VM's target after a new report; 0: leave it. */
static uint64_t release_target(struct rel_vm *v, const struct bd_vm_sample *s) {
        uint64_t avail = s->usable_kib;

        if (avail < BD_RELEASE_GIVE_BACK_BELOW_MIB * MIB)
                return s->actual_kib < s->max_kib ? s->max_kib : 0; /* everything back */
        if (avail <= BD_RELEASE_INFLATE_ABOVE_MIB * MIB)
                return 0;
        if (v->asked_kib && v->asked_kib != s->actual_kib)
                return 0; /* the last inflation has not landed yet */
        /* sub_sat: a guest that claims more available than its size gets 0: left alone */
        return sub_sat(s->actual_kib, avail - BD_RELEASE_KEEP_FREE_MIB * MIB);
}

void bd_release_decide(struct bd_release *rl, const struct bd_vm_sample *vms, size_t n, uint64_t *targets) {
        for (size_t i = 0; i < n; i++) {
                const struct bd_vm_sample *s = &vms[i];
                struct rel_vm *v = i < rl->cap ? &rl->vm[i] : NULL;
                uint64_t t;

                targets[i] = 0;
                if (!v || s->state != BD_RUN_RUNNING || (s->flags & (BD_VM_NO_BALLOON | BD_VM_UNSUPPORTED)) ||
                    s->actual_kib == BD_KIB_UNKNOWN || s->usable_kib == BD_KIB_UNKNOWN ||
                    s->last_update_sec == BD_TIME_UNKNOWN)
                        continue;
                if (v->seen && v->seen_update == s->last_update_sec)
                        continue; /* no new report */
                v->seen = true;
                v->seen_update = s->last_update_sec;
                t = release_target(v, s);
                if (t == 0 || t == s->actual_kib || t > s->max_kib)
                        continue;
                v->asked_kib = t;
                targets[i] = t;
        }
}
