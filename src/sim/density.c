/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Density: see include/balloond/sim/density.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "balloond/sim/density.h"
#include "balloond/sim/generate.h"

int bd_density_ok(const struct bd_density_opts *o, enum bd_sim_policy policy, size_t n, bool *ok, char *err,
                  size_t errlen) {
        *ok = true;
        for (unsigned seed = 1; seed <= o->seeds && *ok; seed++) {
                struct bd_gen_params gp = { .family = o->family, .seed = seed, .n_vms = n,
                                            .host_gib = o->host_gib, .duration_sec = o->duration_sec };
                struct bd_config_errors errs = { 0 };
                struct bd_scenario *sc = calloc(1, sizeof(*sc));
                struct bd_sim_metrics m;
                char *text = NULL;
                int r;

                if (!sc)
                        abort();
                r = bd_generate(&gp, &text, err, errlen);
                if (r == 0 && bd_scenario_load_string(text, "generated", sc, &errs) < 0) {
                        snprintf(err, errlen, "%s", errs.n ? errs.items[0].text : "generated scenario refused");
                        r = -EINVAL;
                }
                if (r == 0 && (r = bd_simulate(sc, policy, &m, NULL, NULL)) < 0)
                        snprintf(err, errlen, "out of memory");
                if (r == 0)
                        *ok = m.guest_pressure_vm_sec == 0 && m.host_overcommit_sec == 0 && m.oom_events == 0;
                bd_config_errors_free(&errs);
                bd_scenario_free(sc);
                free(sc);
                free(text);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bd_density(const struct bd_density_opts *o, enum bd_sim_policy policy, size_t *out, unsigned *runs, char *err,
               size_t errlen) {
        size_t lo = 0, hi, cap = (size_t)(o->host_gib * 1024 / 512) + 1, n = 1;
        bool ok;
        int r;

        /* Double until it fails (or the cap), then bisect: lo passes, hi fails. */
        for (;;) {
                if ((r = bd_density_ok(o, policy, n, &ok, err, errlen)) < 0)
                        return r;
                *runs += o->seeds;
                if (!ok)
                        break;
                lo = n;
                if (n >= cap) {
                        *out = lo;
                        return 0;
                }
                n = n * 2 > cap ? cap : n * 2;
        }
        hi = n;
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;

                if ((r = bd_density_ok(o, policy, mid, &ok, err, errlen)) < 0)
                        return r;
                *runs += o->seeds;
                if (ok)
                        lo = mid;
                else
                        hi = mid;
        }
        *out = lo;
        return 0;
}
