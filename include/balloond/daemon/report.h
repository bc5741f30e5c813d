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
/* The ledger objects of the JSON document (src/daemon/report_ledger.c). */
void bd_report_json_host_ledger(struct bd_jw *w, const struct bd_host_ledger *l);
void bd_report_json_vm_ledger(struct bd_jw *w, const struct bd_vm_ledger *l, const struct bd_reclaim *rc);

int bd_report_json(FILE *f, const struct bd_cycle_result *r, bool dry_run);
