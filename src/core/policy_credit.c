/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The claim credit of a VM (docs/POLICY.md "The claim credit"): the memory
 * its claims got, less what it gave back, halving every
 * guest.claim_half_life_sec. Above guest.frequent_claim_mib the VM is a
 * frequent claimer (policy_urgent.c).
 *
 * A claim counts what the balloon made of it: the growth of the balloon up
 * to the highest target a claim asked for since the last shrink, counted as
 * the balloon gets there. A grant the balloon never made (a slow balloon,
 * re-aimed every report, or a claim that ended before it got there) is not
 * memory the guest got; re-aiming a claim the balloon has not reached adds
 * nothing.
 *
 * What a shrink takes beyond the credit it cancels is a debt: memory
 * balloond took that the guest had not claimed lately. A claim repays the
 * debt first and only the rest is credit: a guest taking back what balloond
 * took from it while it was idle claims nothing new. The debt does not
 * decay, any other grow repays it too (and what a guest takes back from its
 * balloon by itself), and it is never more than the balloon holds below the
 * maximum. Cycling the balloon launders nothing: a
 * shrink cancels credit before it makes a debt, so credit less debt stays
 * what the claims got less what was given back (before the decay). */
#include <math.h>

#include "balloond/core/units.h"
#include "policy_phases.h"

double bd_phase_credit(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t now_usec) {
        double half_lives;

        if (h->claim_credit <= 0.0 || now_usec <= h->credit_usec || !cfg->claim_half_life_usec)
                return h->claim_credit > 0.0 ? h->claim_credit : 0.0;
        half_lives = (double)(now_usec - h->credit_usec) / (double)cfg->claim_half_life_usec;
        return h->claim_credit * exp2(-half_lives);
}

double bd_credit_now(const struct bd_config *cfg, const struct bd_vm_history *h, uint64_t actual_kib,
                     uint64_t now_usec, uint64_t *made_kib, uint64_t *debt_kib) {
        double credit = bd_phase_credit(cfg, h, now_usec);
        uint64_t made = h->claim_made_kib, debt = h->claim_debt_kib;

        if (h->claim_target_kib && actual_kib != BD_KIB_UNKNOWN && min_u64(actual_kib, h->claim_target_kib) > made) {
                uint64_t step = min_u64(actual_kib, h->claim_target_kib) - made;
                uint64_t repaid = min_u64(step, debt);

                credit += (double)(step - repaid);
                debt -= repaid;
                made += step;
        }
        if (made_kib)
                *made_kib = made;
        if (debt_kib)
                *debt_kib = debt;
        return credit;
}

/* A frequent claimer whose claim this cycle was refused (all or part) is
 * still one: its credit does not decay while it asks and is refused. Else
 * a leak refused for a while decays below guest.frequent_claim_mib and is
 * granted out of the reserve as a guest that claims rarely, and the honest
 * guests' asks are cut. (Before the debt above, a diurnal guest taking back
 * in the morning what balloond took at night counted its return as claims,
 * and held as a frequent claimer while refused it went short.) */
double bd_credit_remembered(const struct bd_config *cfg, struct bd_vm_history *h, const struct bd_decision *d,
                            uint64_t actual_kib, uint64_t now_usec) {
        double decayed = bd_phase_credit(cfg, h, now_usec), kept = fmax(h->claim_credit, 0.0);

        (void)bd_credit_now(cfg, h, actual_kib, now_usec, &h->claim_made_kib, &h->claim_debt_kib);
        /* A guest that took memory back from its balloon by itself
         * (deflate-on-OOM) took back what balloond owed it. */
        h->claim_debt_kib = sub_sat(h->claim_debt_kib, d->self_deflated_kib);
        if (d->claim_credit > (double)cfg->frequent_claim_kib && d->claimed && d->unmet_kib > 0)
                return d->claim_credit + (kept - decayed);
        return d->claim_credit;
}

void bd_credit_note_applied(struct bd_vm_history *h, const struct bd_decision *d) {
        if (d->action == BD_ACTION_GROW && d->claimed) {
                /* Counted from where the balloon is, unless a claim it has
                 * not reached is outstanding (counted up to here already). */
                if (h->claim_target_kib <= d->actual_kib)
                        h->claim_made_kib = d->actual_kib;
                h->claim_target_kib = max_u64(h->claim_target_kib, d->target_kib);
        } else if (d->action == BD_ACTION_GROW) {
                h->claim_debt_kib = sub_sat(h->claim_debt_kib, d->target_kib - d->actual_kib);
        } else if (d->action == BD_ACTION_SHRINK) {
                double given = (double)(d->actual_kib - d->target_kib);
                double cancelled = fmin(fmax(h->claim_credit, 0.0), given);

                h->claim_credit -= cancelled;
                h->claim_debt_kib = add_sat(h->claim_debt_kib, (uint64_t)(given - cancelled));
                h->claim_target_kib = h->claim_made_kib = 0; /* given back: claimed again, it counts again */
        }
        h->claim_debt_kib = min_u64(h->claim_debt_kib, sub_sat(d->max_kib, d->target_kib));
}
