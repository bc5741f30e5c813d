/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The oracle of the policy property tests (props_oracle.c): what
 * docs/GUEST-SAFETY.md (and docs/POLICY.md) say of a VM, from the documents,
 * not from the code. */
#ifndef BALLOOND_TESTS_PROPS_ORACLE_H
#define BALLOOND_TESTS_PROPS_ORACLE_H

#include "props_world.h"

/* The oracle's view of the guest's documented pressure signals: rates over
 * the guest's own report interval, nothing from a report already seen or
 * from counters that restarted. */
struct signals {
        bool new_report, low_free, swap_in, fault_burst, swap_out;
        uint64_t swapped_out; /* pushed out to swap since the previous report */
        uint64_t lo, hi; /* the balloon sizes the report may have been made at */
};

/* The oracle's figures for an OK VM: the floor is a safety property. */
struct ok_oracle {
        struct signals g;
        uint64_t used, used_lo, margin, margin_lo, floor, floor_grow, rate, eff_max;
        /* The learned burst margin (the policy's; its learning is tested in
         * test_policy_margin.c): in the margins and floors above; PLAIN_FLOOR
         * is floor_grow without it, FLOOR_ASK the floor below which it asks. */
        uint64_t burst, plain_floor, floor_ask;
        /* LEND_FLOOR: the floor without the burst margin, the floor of a VM
         * that lends it to a guest out of memory; OWED: the room it lent is
         * not back yet (asked for to floor_grow). */
        uint64_t lend_floor;
        uint64_t share_floor; /* use and half the plain margin: shared with a guest out of memory */
        bool owed;
        /* A fresh rise (the policy's, tested in test_policy_bursts.c): in
         * the margins and floors, and in PLAIN_FLOOR too; ROOM_LO is what it
         * adds to floor_grow: the rise and the margin the use it would bring
         * needs beyond the margin of the use now. */
        uint64_t rise, room_lo;
        /* PLAIN_MARGIN_LO: the configured margin alone at used_lo (no burst,
         * no room): guest_low_free under it; pressure asks used + 2 x it. */
        uint64_t plain_margin_lo;
        bool low_free, pressure, cooling;
};

bool excluded_by_doc(const struct bd_vm_sample *s, const struct bd_vm_history *h,
                     const struct bd_vm_settings *set);
/* GUEST-SAFETY.md's "blind"; *CERTAIN is false when the report may be either. */
bool blind_by_doc(const struct bd_config *c, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                  int64_t wall, bool *certain);
bool guest_grow_reason(enum bd_reason r);
/* GUEST-SAFETY.md: a report without `usable` but with unused memory is judged
 * on unused + disk caches (stats_incomplete), with twice the margin: S, or
 * *EFF so filled. */
const struct bd_vm_sample *judged_on(const struct bd_vm_sample *s, struct bd_vm_sample *eff, bool *incomplete);
struct ok_oracle ok_oracle_of(const struct world *w, size_t i, const struct bd_vm_settings *set);

#endif
