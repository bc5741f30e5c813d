/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the configuration parser (libconfig text -> struct
 * bd_config). Each input is parsed twice: from a string, and as a file (a
 * memfd read back through /proc/self/fd, the daemon's own path with its NUL
 * check). Both must agree; a config that is accepted must keep every promise
 * the loader makes (ranges, band order, rule limits, terminated strings), and
 * the per-VM rules are then resolved for a sample VM. Any broken promise
 * traps. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "balloond/core/config.h"
#include "fuzz_input.h"

#define NAME_CONF "fuzz.conf"

static void check_accepted(const struct bd_config *c) {
        struct bd_vm_sample vm;
        struct bd_vm_settings set;

        CHECK(fuzz_terminated(c->connect_uri, sizeof(c->connect_uri)) && c->connect_uri[0]);
        CHECK(fuzz_terminated(c->meminfo_path, sizeof(c->meminfo_path)));
        CHECK(fuzz_terminated(c->psi_path, sizeof(c->psi_path)));
        CHECK(fuzz_terminated(c->metrics_textfile_dir, sizeof(c->metrics_textfile_dir)));
        CHECK(fuzz_terminated(c->metrics_http_address, sizeof(c->metrics_http_address)));
        CHECK(c->interval_usec >= 1000000 && c->interval_usec <= 3600 * 1000000ULL);
        CHECK(c->stats_period_sec >= 1 && c->stats_period_sec <= 3600);
        CHECK(c->critical_free_pct >= 0 && c->critical_free_pct < c->pressure_free_pct &&
              c->pressure_free_pct < c->relaxed_free_pct && c->relaxed_free_pct <= 100);
        CHECK(c->hysteresis_pct >= 0 && c->hysteresis_pct <= 50);
        CHECK(c->margin_pct >= 0 && c->margin_pct <= 100);
        CHECK(c->idle_tax_pct >= 0 && c->idle_tax_pct <= 99);
        CHECK(c->shrink_pct >= 0.1 && c->shrink_pct <= 100);
        CHECK(c->deadband_pct >= 0 && c->deadband_pct <= 50);
        CHECK(c->shares >= 1);
        CHECK(c->host_shrink_cap_kib >= 1024 && c->shrink_max_kib >= 1024);
        CHECK(c->metrics_http_port >= 0 && c->metrics_http_port <= 65535);
        CHECK(c->blind_action == BD_BLIND_HOLD || c->blind_action == BD_BLIND_DEFLATE);
        CHECK(c->n_excluded_classes <= BD_MAX_CLASSES);
        for (size_t i = 0; i < c->n_excluded_classes; i++)
                CHECK(fuzz_terminated(c->excluded_classes[i], BD_CLASS_MAX) && bd_class_valid(c->excluded_classes[i]));
        CHECK(c->n_rules <= BD_MAX_RULES);
        for (size_t i = 0; i < c->n_rules; i++) {
                const struct bd_rule *r = &c->rules[i];

                CHECK(fuzz_terminated(r->match, sizeof(r->match)) && r->match[0]);
                CHECK(fuzz_terminated(r->class_tag, sizeof(r->class_tag)));
                CHECK(!r->class_tag[0] || bd_class_valid(r->class_tag));
                CHECK(!r->min_kib || !r->max_kib || r->min_kib <= r->max_kib);
                CHECK(r->exclude >= -1 && r->exclude <= 1);
        }

        /* Resolve the rules for a VM named like the first rule's match. */
        bd_vm_sample_init(&vm);
        snprintf(vm.name, sizeof(vm.name), "%s", c->n_rules ? c->rules[0].match : "vm");
        snprintf(vm.uuid, sizeof(vm.uuid), "%s", c->n_rules ? c->rules[0].match : "");
        snprintf(vm.class_tag, sizeof(vm.class_tag), "%s", c->n_excluded_classes ? c->excluded_classes[0] : "");
        bd_config_vm_settings(c, &vm, &set);
        CHECK(set.shares >= 1);
        CHECK(set.class_tag != NULL);
        CHECK(!set.excluded_by_class || set.excluded);
        CHECK(!set.rule || (set.rule >= c->rules && set.rule < c->rules + c->n_rules));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct bd_config_errors errs = { 0 }, ferrs = { 0 };
        struct bd_config cfg, fcfg;
        const char *path;
        char *text;
        int r, fr;

        if (size > FUZZ_MAX_INPUT)
                return 0;
        text = fuzz_text(data, size);

        r = bd_config_load_string(text, NAME_CONF, &cfg, &errs);
        fuzz_check_errors(r, &errs, NAME_CONF);
        if (r == 0)
                check_accepted(&cfg);

        /* The same bytes as a file: the daemon's path. */
        path = fuzz_file(NAME_CONF, data, size);
        fr = bd_config_load(path, &fcfg, &ferrs);
        CHECK(fr == 0 || fr == -EINVAL);
        if (!memchr(data, '\0', size)) {
                /* Same text, same verdict, same messages. */
                CHECK(fr == r);
                fuzz_same_errors(&ferrs, path, &errs, NAME_CONF);
        } else {
                CHECK(fr == -EINVAL && ferrs.n == 1);
        }

        bd_config_errors_free(&errs);
        bd_config_errors_free(&ferrs);
        free(text);
        return 0;
}
