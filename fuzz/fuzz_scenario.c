/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the JSON scenario parser (json-c, then the "policy"
 * object through the configuration loader). Each input is parsed from a
 * string and as a file (a memfd read back through /proc/self/fd, the
 * simulator's path); both must agree. An accepted scenario must keep the
 * parser's promises (VM count, sizes within max, increasing steps, a
 * configuration the daemon would accept). Any broken promise traps. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "balloond/sim/scenario.h"
#include "fuzz_input.h"

#define NAME_JSON "fuzz.json"

static void check_accepted(const struct bd_scenario *sc) {
        const struct bd_config *c = &sc->cfg;

        CHECK(fuzz_terminated(sc->name, sizeof(sc->name)) && sc->name[0]);
        CHECK(fuzz_terminated(sc->description, sizeof(sc->description)));
        CHECK(sc->duration_sec >= 60 && sc->duration_sec <= 7 * 86400);
        CHECK(sc->host.ram_kib >= 512 * 1024);
        CHECK(sc->n_vms >= 1 && sc->vms);
        for (size_t i = 0; i < sc->n_vms; i++) {
                const struct bd_scenario_vm *vm = &sc->vms[i];
                const struct bd_sim_demand *d = &vm->spec.demand;

                CHECK(fuzz_terminated(vm->spec.name, sizeof(vm->spec.name)) && vm->spec.name[0]);
                CHECK(fuzz_terminated(vm->spec.uuid, sizeof(vm->spec.uuid)) && vm->spec.uuid[0]);
                CHECK(!vm->spec.class_tag[0] || bd_class_valid(vm->spec.class_tag));
                CHECK(vm->spec.max_kib >= 128 * 1024);
                CHECK(vm->spec.start_kib <= vm->spec.max_kib && vm->min_kib <= vm->spec.max_kib);
                CHECK(vm->shares >= 1 && vm->shares <= 50000);
                CHECK(vm->spec.state == BD_RUN_RUNNING || vm->spec.state == BD_RUN_PAUSED);
                CHECK(d->kind <= BD_SIM_RAMP && (!d->n_steps || d->steps));
                CHECK(d->period_sec >= 1 && d->duration_sec >= 1);
                for (size_t k = 1; k < d->n_steps; k++)
                        CHECK(d->steps[k].at_sec > d->steps[k - 1].at_sec);
                for (size_t k = 0; k < i; k++)
                        CHECK(strcmp(vm->spec.name, sc->vms[k].spec.name) != 0 &&
                              strcmp(vm->spec.uuid, sc->vms[k].spec.uuid) != 0);
        }
        /* The configuration the daemon would accept (see fuzz_config.c). */
        CHECK(c->interval_usec >= 1000000 && c->stats_period_sec >= 1);
        CHECK(c->critical_free_pct >= 0 && c->critical_free_pct < c->pressure_free_pct &&
              c->pressure_free_pct < c->relaxed_free_pct && c->relaxed_free_pct <= 100);
        CHECK(c->shares >= 1 && c->n_rules <= BD_MAX_RULES && c->n_excluded_classes <= BD_MAX_CLASSES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct bd_config_errors errs = { 0 }, ferrs = { 0 };
        static struct bd_scenario sc, fsc;
        const char *path;
        char *text;
        int r, fr;

        if (size > FUZZ_MAX_INPUT)
                return 0;
        text = fuzz_text(data, size);

        r = bd_scenario_load_string(text, NAME_JSON, &sc, &errs);
        CHECK(r == 0 || r == -EINVAL);
        fuzz_check_errors(r, &errs, NAME_JSON);
        if (r == 0)
                check_accepted(&sc);
        bd_scenario_free(&sc);

        /* The same bytes as a file: read up to a NUL, like the string. */
        path = fuzz_file(NAME_JSON, data, size);
        fr = bd_scenario_load(path, &fsc, &ferrs);
        CHECK(fr == r);
        fuzz_same_errors(&ferrs, path, &errs, NAME_JSON);
        bd_scenario_free(&fsc);

        bd_config_errors_free(&errs);
        bd_config_errors_free(&ferrs);
        free(text);
        return 0;
}
