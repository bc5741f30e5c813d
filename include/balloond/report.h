/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reporters for a cycle's result: the --once table and the JSON document. */
#pragma once

#include <stdio.h>

#include <json-c/json.h>

#include "balloond/cycle.h"

/* Print the per-VM table (name, state, actual, target, usable, action,
 * reason, in MiB) with a host summary line above it. */
void bd_report_table(FILE *f, const struct bd_cycle_result *r, bool dry_run);

/* The cycle's result as a JSON object (caller puts it), NULL when out of memory. */
json_object *bd_report_json_build(const struct bd_cycle_result *r, bool dry_run);

/* Print the cycle's result as a JSON document (json-c). Returns 0 or -ENOMEM. */
int bd_report_json(FILE *f, const struct bd_cycle_result *r, bool dry_run);
