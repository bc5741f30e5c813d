/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The promises of docs/POLICY.md and docs/GUEST-SAFETY.md that the policy
 * property tests (test_policy_props.c) check on every decision of every cycle, written from
 * the document, not from src/core/policy*.c (props_check.c), and the cycle
 * that runs them: decide, check, apply. */
#ifndef BALLOOND_TESTS_PROPS_CHECK_H
#define BALLOOND_TESTS_PROPS_CHECK_H

#include "props_world.h"

/* What the checked decisions covered: a property that never meets its case
 * proves nothing, so test_random_worlds requires each to be met. */
enum cover {
        C_OK,
        C_OK_HOSTILE,  /* a hostile guest's report passed the sanity checks */
        C_OK_HUGE,     /* an OK VM of 2^40 KiB or more */
        C_EXCLUDED,
        C_BLIND,
        C_STUCK,
        C_PRESSURE,
        C_CRITICAL,
        C_ABOVE_MAX,
        C_RELAXED,
        C_GUEST_GROW,
        C_BLIND_DEFLATE,
        C_HOST_CAP,
        C_FUNDED,      /* a shrink outside pressure paying for a guest's grow */
        C_UNMET,       /* a guest's ask the host could not grant in full */
        C_CROSSED,     /* an emergency grant past the (soft) VM budget */
        C__COUNT,
};
extern const char *const cover_names[C__COUNT];
extern unsigned long g_cover[C__COUNT];

/* Every promise of docs/POLICY.md and docs/GUEST-SAFETY.md for every decision
 * of the cycle just run.
 * Returns the number broken, each printed. */
int check_cycle(const struct world *w);
/* Run the policy on the samples as they are, check, apply (the balloons
 * follow their targets, some only partly). */
void decide_and_apply(struct world *w);
/* CYCLES cycles of world number INDEX: observe, decide, check, apply, advance. */
void run_world(struct world *w, unsigned long index, int cycles);

#endif
