/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Simulator scenarios: a host and its guests over time, read from JSON
 * (json-c), with the balloond configuration to run them with. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "balloond/core/config.h"
#include "balloond/sim/model.h"

/* Rules balloond's configuration can hold: VMs with their own min_mib or
 * shares beyond this need one value shared by all (see scenario.c). */
#define BD_SCENARIO_MAX_OWN_RULES 256

struct bd_scenario_vm {
        struct bd_sim_vm_spec spec;
        uint64_t min_kib; /* the VM's minimum (Proxmox's "balloon"; balloond min_mib); 0 none */
        int shares;       /* 1000 unless set */
};

struct bd_scenario {
        char name[64];
        char description[256];
        uint64_t duration_sec;
        uint64_t restore_at_sec; /* balloond stops here (restore_on_exit), 0: never */
        struct bd_sim_host_spec host;
        struct bd_scenario_vm *vms; /* n_vms of them (heap; bd_scenario_free) */
        size_t n_vms;
        struct bd_config cfg; /* balloond's: defaults + the scenario's "policy" + per-VM min/shares rules */
};

/* Errors are "FILE: PATH: PROBLEM" (e.g. "x.json: vms[2].demand.kind: ...")
 * or "FILE:LINE:COL: PROBLEM" for JSON syntax, collected in ERRS. Returns 0
 * and fills *OUT only when there is none. */
int bd_scenario_load(const char *path, struct bd_scenario *out, struct bd_config_errors *errs);
int bd_scenario_load_string(const char *text, const char *name, struct bd_scenario *out,
                            struct bd_config_errors *errs);
/* Free what a successful load allocated (the VMs); *SC stays reusable. */
void bd_scenario_free(struct bd_scenario *sc);
