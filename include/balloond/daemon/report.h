/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reporters for a cycle's result: the --once table and the JSON document. */
#pragma once

#include <stdio.h>

#include "balloond/daemon/cycle.h"
#include "balloond/core/jsonw.h"

/* Print the per-VM table (name, state, actual, target, usable, action,
 * reason, in MiB) with a host summary line above it. */
void bd_report_table(FILE *f, const struct bd_cycle_result *r, bool dry_run);

/* The cycle's result as the members of a JSON object (version, dry_run,
 * time, cycle_usec, host, vms), written into the object W has open. */
void bd_report_json_members(struct bd_jw *w, const struct bd_cycle_result *r, bool dry_run);

/* Print the cycle's result as a JSON document (pretty). Returns 0 or -EIO. */
int bd_report_json(FILE *f, const struct bd_cycle_result *r, bool dry_run);
