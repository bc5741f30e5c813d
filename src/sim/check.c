/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Safety verdicts of `balloond-sim --check`; see include/balloond/sim/check.h. */
#include "balloond/sim/check.h"

/* The first policy other than balloond that ran and has ZERO for the
 * metric (host: the oracle counts; guests: it does not). */
static int first_clean(const struct bd_sim_metrics *m, const bool *ran, bool host) {
        for (int p = 0; p < BD_SIMPOL__COUNT; p++) {
                if (p == BD_SIMPOL_BALLOOND || !ran[p] || (!host && p == BD_SIMPOL_ORACLE))
                        continue;
                if (host ? m[p].host_overcommit_sec == 0 : m[p].guest_pressure_vm_sec == 0)
                        return p;
        }
        return -1;
}

int bd_sim_check(const struct bd_scenario *sc, const struct bd_sim_metrics *m, const bool *ran,
                 struct bd_config_errors *why) {
        const struct bd_sim_metrics *b = &m[BD_SIMPOL_BALLOOND];
        int fails = 0, p;

        if (!ran[BD_SIMPOL_BALLOOND])
                return 0;
        if (b->invariant_violations || b->bad_decisions || b->oom_events) {
                bd_config_errors_add(why, "%s: %llu invariant violations, %llu bad decisions, %llu OOM events "
                                     "under balloond", sc->name, (unsigned long long)b->invariant_violations,
                                     (unsigned long long)b->bad_decisions, (unsigned long long)b->oom_events);
                fails++;
        }
        if (b->host_overcommit_sec > 0 && (p = first_clean(m, ran, true)) >= 0) {
                bd_config_errors_add(why, "%s: host over RAM for %.0f s under balloond (peak %.0f MiB over, "
                                     "%.1f GiB*s), %s: 0 s", sc->name, b->host_overcommit_sec,
                                     b->host_over_peak_mib, b->host_over_gib_s,
                                     bd_sim_policy_name((enum bd_sim_policy)p));
                fails++;
        }
        if (b->guest_pressure_vm_sec > 0 && (p = first_clean(m, ran, false)) >= 0) {
                const char *vm = b->worst_vm < sc->n_vms ? sc->vms[b->worst_vm].spec.name : "?";

                bd_config_errors_add(why, "%s: guests short for %.0f VM-s under balloond (most: %s, %.0f s; "
                                     "worst %.0f MiB out of RAM), %s: 0 VM-s", sc->name, b->guest_pressure_vm_sec,
                                     vm, b->worst_vm_pressure_sec, b->worst_shortfall_mib,
                                     bd_sim_policy_name((enum bd_sim_policy)p));
                fails++;
        }
        return fails;
}
