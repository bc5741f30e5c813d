/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `balloond-sim --check`: balloond's run of a scenario judged for safety
 * against the other policies' runs of the same scenario. */
#pragma once

#include <stdbool.h>

#include "balloond/core/config.h"
#include "balloond/sim/simulate.h"

/* M[p] holds policy p's metrics when RAN[p]. balloond fails when it broke
 * an invariant, touched an excluded or blind VM, or let a guest OOM; when
 * the host went over RAM under it where a peer (any other policy but the
 * oracle) or the oracle stayed within; when a guest was short under it
 * where every guest had all it needed under a peer. One line per failure
 * into WHY ("SCENARIO: ..." with the numbers). Returns the failures. */
int bd_sim_check(const struct bd_scenario *sc, const struct bd_sim_metrics *m, const bool *ran,
                 struct bd_config_errors *why);
