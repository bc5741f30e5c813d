/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The balloon stats period is armed only on VMs balloond may manage (issue
 * 17, item 8), through libvirt's in-process test driver (no libvirtd):
 * ent1 (running, a balloon, no period) is armed; ent3 (excluded by its
 * metadata, class database) and a VM a configuration rule excludes are not;
 * nothing is armed in a dry run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/config.h"
#include "balloond/daemon/backend.h"
#include "balloond/daemon/log.h"

static const struct bd_vm_sample *find(const struct bd_vm_sample *s, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(s[i].name, name) == 0)
                        return &s[i];
        fail_msg("no domain %s", name);
        return NULL;
}

/* The stats periods (-1 none) of ent1 and ent3 after two collects with CFG. */
static void periods(const struct bd_config *cfg, int *ent1, int *ent3) {
        struct bd_backend *b;
        const struct bd_vm_sample *s;
        char uri[512], err[256];
        size_t n;

        snprintf(uri, sizeof(uri), "test://%s/data/testdriver-facts.xml", TESTS_DIR);
        assert_int_equal(bd_backend_open_libvirt(uri, cfg, &b, err, sizeof(err)), 0);
        for (int cycle = 0; cycle < 2; cycle++)
                assert_int_equal(b->ops->collect(b, 0, 0, &s, &n), 0);
        *ent1 = find(s, n, "ent1")->stats_period_sec;
        *ent3 = find(s, n, "ent3")->stats_period_sec;
        b->ops->free(b);
}

static void armed_only_where_managed(void **state) {
        struct bd_config cfg;
        struct bd_config_errors errs = { 0 };
        int ent1, ent3;

        (void)state;
        bd_config_defaults(&cfg);
        periods(&cfg, &ent1, &ent3);
        assert_int_equal(ent1, cfg.stats_period_sec);
        assert_int_equal(ent3, -1); /* excluded by its metadata: never managed */
        /* A rule excluding ent1: not armed either. */
        assert_int_equal(bd_config_load_string("vms = ( { name = \"ent1\"; exclude = true; } );", "test", &cfg, &errs),
                         0);
        bd_config_errors_free(&errs);
        periods(&cfg, &ent1, &ent3);
        assert_int_equal(ent1, -1);
        /* A dry run changes nothing. */
        bd_config_defaults(&cfg);
        cfg.dry_run = true;
        periods(&cfg, &ent1, &ent3);
        assert_int_equal(ent1, -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(armed_only_where_managed),
        };

        bd_log_setup(BD_LOG_ERR);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
