/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The relations between the host band keys: critical < pressure < relaxed,
 * each band wider than the hysteresis; the key to blame when one breaks. */
#include "balloond/core/config.h"
#include "balloond/core/units.h"
#include "config_load.h"

/* ---- relations between keys ----------------------------------------------- */

enum band_key { B_CRITICAL, B_PRESSURE, B_RELAXED, B_HYSTERESIS, N_BAND_KEYS };

static const char *const band_paths[N_BAND_KEYS] = {
        "host.critical_free_pct", "host.pressure_free_pct", "host.relaxed_free_pct", "host.hysteresis_pct",
};

/* Which key to blame for a broken relation: a key the file set and changed
 * from its default, else one it set; one whose valid range (given the others)
 * is not empty, if there is one. -1 if the file set none of them. */
static int blame(const int line[], const bool changed[], const bool involved[], const bool feasible[], int n) {
        for (int pass = 0; pass < 4; pass++)
                for (int i = 0; i < n; i++)
                        if (involved[i] && line[i] && (pass & 1 || changed[i]) && (pass & 2 || feasible[i]))
                                return i;
        return -1;
}

/* The bands must be ordered, critical < pressure < relaxed, each wider than
 * the hysteresis. A problem is located at a key the file set, with the range
 * that key would need given the others. */
void cfg_check_bands(struct loader *l) {
        const struct bd_config *c = l->cfg;
        struct bd_config d;
        const double cr = c->critical_free_pct, pr = c->pressure_free_pct, re = c->relaxed_free_pct,
                     h = c->hysteresis_pct;
        double v[N_BAND_KEYS], dv[N_BAND_KEYS], gap;
        bool changed[N_BAND_KEYS], involved[N_BAND_KEYS] = { false }, feasible[N_BAND_KEYS];
        int line[N_BAND_KEYS], at;

        bd_config_defaults(&d);
        v[B_CRITICAL] = cr, v[B_PRESSURE] = pr, v[B_RELAXED] = re, v[B_HYSTERESIS] = h;
        dv[B_CRITICAL] = d.critical_free_pct, dv[B_PRESSURE] = d.pressure_free_pct;
        dv[B_RELAXED] = d.relaxed_free_pct, dv[B_HYSTERESIS] = d.hysteresis_pct;
        for (int i = 0; i < N_BAND_KEYS; i++) {
                const struct key *k = cfg_find_key(band_paths[i]);

                if (l->bad[cfg_key_index(k)])
                        return; /* already reported; its default would only confuse */
                line[i] = l->lines[cfg_key_index(k)];
                changed[i] = line[i] && v[i] != dv[i];
        }

        if (!(cr < pr && pr < re)) {
                involved[B_CRITICAL] = !(cr < pr);
                involved[B_RELAXED] = !(pr < re);
                involved[B_PRESSURE] = true;
                feasible[B_CRITICAL] = pr > 0;
                feasible[B_PRESSURE] = cr < re;
                feasible[B_RELAXED] = pr < 100;
                at = blame(line, changed, involved, feasible, B_HYSTERESIS);
                if (at == B_CRITICAL)
                        cfg_error(l, line[at], band_paths[at], "%g is not below pressure_free_pct %g "
                                      "(0 to below %g)", cr, pr, pr);
                else if (at == B_RELAXED)
                        cfg_error(l, line[at], band_paths[at], "%g is not above pressure_free_pct %g "
                                      "(above %g, up to 100)", re, pr, pr);
                else if (at == B_PRESSURE && !(cr < pr))
                        cfg_error(l, line[at], band_paths[at], "%g is not above critical_free_pct %g "
                                      "(above %g, below %g)", pr, cr, cr, re);
                else if (at == B_PRESSURE)
                        cfg_error(l, line[at], band_paths[at], "%g is not below relaxed_free_pct %g "
                                      "(above %g, below %g)", pr, re, cr, re);
                return; /* at < 0: the defaults are ordered, cannot happen */
        }

        gap = pr - cr < re - pr ? pr - cr : re - pr;
        if (h < gap)
                return;
        if (pr - cr <= re - pr)
                involved[B_CRITICAL] = true;
        else
                involved[B_RELAXED] = true;
        involved[B_PRESSURE] = involved[B_HYSTERESIS] = true;
        feasible[B_CRITICAL] = pr - h > 0;
        feasible[B_PRESSURE] = cr + h < re - h;
        feasible[B_RELAXED] = pr + h < 100;
        feasible[B_HYSTERESIS] = true;
        at = blame(line, changed, involved, feasible, N_BAND_KEYS);
        switch (at) {
        case B_CRITICAL:
                cfg_error(l, line[at], band_paths[at], "%g leaves a band of %g below pressure_free_pct %g, "
                              "not wider than hysteresis_pct %g (0 to below %g)", cr, pr - cr, pr, h, pr - h);
                break;
        case B_PRESSURE:
                cfg_error(l, line[at], band_paths[at], "%g leaves a band of %g %s %s %g, not wider than "
                              "hysteresis_pct %g (above %g, below %g)", pr, gap,
                              involved[B_CRITICAL] ? "above" : "below",
                              involved[B_CRITICAL] ? "critical_free_pct" : "relaxed_free_pct",
                              involved[B_CRITICAL] ? cr : re, h, cr + h, re - h);
                break;
        case B_RELAXED:
                cfg_error(l, line[at], band_paths[at], "%g leaves a band of %g above pressure_free_pct %g, "
                              "not wider than hysteresis_pct %g (above %g, up to 100)", re, re - pr, pr, h, pr + h);
                break;
        case B_HYSTERESIS:
                cfg_error(l, line[at], band_paths[at], "%g is not below the narrowest band, %g wide "
                              "(0 to below %g)", h, gap, gap);
                break;
        default: /* the defaults are consistent: cannot happen */
                break;
        }
}
