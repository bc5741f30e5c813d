/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The backend on the simulated host (`--connect sim://`): the built-in model
 * of src/sim/model.c, or the host and VMs of a simulator scenario
 * (`sim:///path/to/scenario.json`), advanced to the daemon's clock, sampled
 * and steered like a hypervisor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/daemon/backend.h"
#include "balloond/sim/model.h"
#include "balloond/sim/scenario.h"

struct sim_backend {
        struct bd_backend base;
        struct bd_sim *sim;
        struct bd_scenario *sc; /* a scenario's host: its VMs' demand steps, which the model reads */
};

static int sim_collect(struct bd_backend *b, uint64_t now_usec, int64_t now_wall_sec,
                       const struct bd_vm_sample **out, size_t *n) {
        struct sim_backend *sb = (struct sim_backend *)b;

        bd_sim_advance(sb->sim, now_usec, now_wall_sec);
        *out = bd_sim_samples(sb->sim, n);
        return 0;
}

static int sim_sample_host(struct bd_backend *b, uint64_t now_usec, struct bd_host_sample *out) {
        struct sim_backend *sb = (struct sim_backend *)b;

        (void)now_usec;
        bd_sim_host_sample(sb->sim, out);
        return 0;
}

static int sim_set_target(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t target_kib,
                          char *err, size_t err_len) {
        struct sim_backend *sb = (struct sim_backend *)b;
        size_t n, i;
        const struct bd_vm_sample *all = bd_sim_samples(sb->sim, &n);
        int r;

        i = (size_t)(vm - all);
        if (vm < all || i >= n) {
                for (i = 0; i < n && strcmp(all[i].uuid, vm->uuid) != 0; i++)
                        ;
        }
        r = bd_sim_set_target(sb->sim, i, target_kib);
        if (r < 0)
                snprintf(err, err_len, "simulated host: %s", strerror(-r));
        return r;
}

static void sim_free(struct bd_backend *b) {
        struct sim_backend *sb = (struct sim_backend *)b;

        if (!sb)
                return;
        bd_sim_free(sb->sim);
        bd_scenario_free(sb->sc);
        free(sb->sc);
        free(sb);
}

static const struct bd_backend_ops sim_ops = {
        .name = "sim",
        .collect = sim_collect,
        .sample_host = sim_sample_host,
        .set_target = sim_set_target,
        .free = sim_free,
};

struct bd_sim *bd_backend_sim(struct bd_backend *b) {
        return b && b->ops == &sim_ops ? ((struct sim_backend *)b)->sim : NULL;
}

/* The host and VMs of the scenario file PATH (its policy, and the VMs' min_mib
 * and shares, are the simulator's: the daemon runs with its own configuration). */
static int sim_from_scenario(const char *path, struct bd_sim **out, struct bd_scenario **sc_out, char *err,
                             size_t err_len) {
        struct bd_config_errors errs = { 0 };
        struct bd_sim_vm_spec *specs;
        struct bd_scenario *sc;
        int r;

        sc = calloc(1, sizeof(*sc));
        if (!sc)
                return -ENOMEM;
        r = bd_scenario_load(path, sc, &errs);
        if (r < 0 || errs.n) {
                snprintf(err, err_len, "simulated host: %s%s", errs.n ? errs.items[0].text : strerror(-r),
                         errs.n > 1 ? " (and more: balloond-sim --parse-only lists them)" : "");
                bd_config_errors_free(&errs);
                free(sc);
                return r < 0 ? r : -EINVAL;
        }
        bd_config_errors_free(&errs);
        specs = calloc(sc->n_vms ? sc->n_vms : 1, sizeof(*specs));
        if (!specs) {
                bd_scenario_free(sc);
                free(sc);
                return -ENOMEM;
        }
        for (size_t i = 0; i < sc->n_vms; i++)
                specs[i] = sc->vms[i].spec;
        r = bd_sim_new(&sc->host, specs, sc->n_vms, out);
        if (r < 0)
                snprintf(err, err_len, "cannot build the simulated host of %s: %s", path, strerror(-r));
        free(specs);
        if (r < 0) {
                bd_scenario_free(sc);
                free(sc);
                return r;
        }
        *sc_out = sc;
        return 0;
}

int bd_backend_open_sim(const char *uri, const struct bd_config *cfg, struct bd_backend **out,
                        char *err, size_t err_len) {
        const char *path = uri + strlen("sim://");
        struct sim_backend *sb;
        int r;

        (void)cfg;
        if (strncmp(uri, "sim://", strlen("sim://")) != 0 || (*path && *path != '/')) {
                snprintf(err, err_len,
                         "unknown simulated host '%s' (sim:// is the built-in one, sim:///path/to/scenario.json "
                         "a scenario's)", uri);
                return -EINVAL;
        }
        sb = calloc(1, sizeof(*sb));
        if (!sb)
                return -ENOMEM;
        if (!*path || strcmp(path, "/builtin") == 0) {
                r = bd_sim_new_builtin(&sb->sim);
                if (r < 0)
                        snprintf(err, err_len, "cannot build the simulated host: %s", strerror(-r));
        } else {
                r = sim_from_scenario(path, &sb->sim, &sb->sc, err, err_len);
        }
        if (r < 0) {
                free(sb);
                return r;
        }
        sb->base.ops = &sim_ops;
        *out = &sb->base;
        return 0;
}
