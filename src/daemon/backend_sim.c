/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The backend on the simulated host (`--connect sim://`): the built-in model
 * of src/sim/model.c advanced to the daemon's clock, sampled and steered like
 * a hypervisor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/daemon/backend.h"
#include "balloond/sim/model.h"

struct sim_backend {
        struct bd_backend base;
        struct bd_sim *sim;
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

int bd_backend_open_sim(const char *uri, const struct bd_config *cfg, struct bd_backend **out,
                        char *err, size_t err_len) {
        struct sim_backend *sb;
        int r;

        (void)cfg;
        if (strcmp(uri, "sim://") != 0 && strcmp(uri, "sim:///builtin") != 0) {
                snprintf(err, err_len, "unknown simulated host '%s' (sim:// is the built-in one)", uri);
                return -EINVAL;
        }
        sb = calloc(1, sizeof(*sb));
        if (!sb)
                return -ENOMEM;
        r = bd_sim_new_builtin(&sb->sim);
        if (r < 0) {
                free(sb);
                snprintf(err, err_len, "cannot build the simulated host: %s", strerror(-r));
                return r;
        }
        sb->base.ops = &sim_ops;
        *out = &sb->base;
        return 0;
}
