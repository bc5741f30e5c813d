/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "balloond/daemon/backend.h"

int bd_backend_open(const char *uri, const struct bd_config *cfg, struct bd_backend **out,
                    char *err, size_t err_len) {
        if (strncmp(uri, "sim:", 4) == 0)
                return bd_backend_open_sim(uri, cfg, out, err, err_len);
        return bd_backend_open_libvirt(uri, cfg, out, err, err_len);
}

void bd_backend_configure(struct bd_backend *b, const struct bd_config *cfg) {
        if (b && b->ops->configure)
                b->ops->configure(b, cfg);
}

void bd_backend_set_targets(struct bd_backend *b, struct bd_set_request *reqs, size_t n, uint64_t deadline_usec) {
        if (b->ops->set_targets) {
                b->ops->set_targets(b, reqs, n, deadline_usec);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                reqs[i].err[0] = '\0';
                reqs[i].result = b->ops->set_target(b, reqs[i].vm, reqs[i].target_kib, reqs[i].err,
                                                    sizeof(reqs[i].err));
        }
}

uint64_t bd_set_deadline_usec(uint64_t interval_usec) {
        uint64_t d = interval_usec / 2;

        return d < BD_SET_DEADLINE_MIN_USEC ? BD_SET_DEADLINE_MIN_USEC
               : d > BD_SET_DEADLINE_MAX_USEC ? BD_SET_DEADLINE_MAX_USEC
                                              : d;
}
