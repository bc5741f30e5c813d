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
