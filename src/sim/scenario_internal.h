/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the scenario reader's two files: scenario.c (the document) and
 * scenario_policy.c (balloond's configuration for it). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "balloond/sim/scenario.h"

#define MAX_MIB 16777216LL

struct parser {
        const char *file;
        struct bd_config_errors *errs;
        size_t n_before;
        bool fpr_default; /* host.free_page_reporting: the VMs' default */
};

/* One problem, "FILE: PATH: WHAT". */
void bd_scn_problem(struct parser *p, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* O's member KEY, or NULL. */
json_object *bd_scn_member(json_object *o, const char *key);
/* balloond's configuration for SC: the "policy" object and the VMs' minima
 * and shares, checked by the daemon's own loader, into SC->cfg. */
void bd_scn_config(struct parser *p, json_object *policy, struct bd_scenario *sc);

