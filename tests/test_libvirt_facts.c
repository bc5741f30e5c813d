/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend's domain facts as libvirt itself formats the XML
 * (its test driver, in process: no libvirtd): what a running and a shut-off
 * domain are entitled to (their persistent <currentMemory>), and balloond
 * metadata whose namespace libvirt moved from <domain> to <metadata>, which
 * the retired tag scanner ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/config.h"
#include "balloond/daemon/backend.h"

static const struct bd_vm_sample *find(const struct bd_vm_sample *s, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(s[i].name, name) == 0)
                        return &s[i];
        fail_msg("no domain %s", name);
        return NULL;
}

static void facts_as_libvirt_formats_them(void **state) {
        struct bd_config cfg;
        struct bd_backend *b;
        const struct bd_vm_sample *s, *v;
        char uri[512], err[256];
        size_t n;

        (void)state;
        bd_config_defaults(&cfg);
        cfg.dry_run = true; /* arm no stats period */
        snprintf(uri, sizeof(uri), "test://%s/data/testdriver-facts.xml", TESTS_DIR);
        assert_int_equal(bd_backend_open_libvirt(uri, &cfg, &b, err, sizeof(err)), 0);
        for (int cycle = 0; cycle < 2; cycle++) { /* read, then cached */
                assert_int_equal(b->ops->collect(b, 0, 0, &s, &n), 0);
                assert_int_equal(n, 3);
                v = find(s, n, "ent1");
                assert_int_equal(v->state, BD_RUN_RUNNING);
                assert_int_equal(v->max_kib, 4096 * 1024);
                assert_int_equal(v->entitled_kib, 3072 * 1024);
                assert_int_equal(v->flags, 0);
                v = find(s, n, "ent2");
                assert_int_equal(v->state, BD_RUN_SHUTOFF);
                assert_int_equal(v->entitled_kib, 1024 * 1024);
                v = find(s, n, "ent3");
                assert_int_equal(v->flags, BD_VM_TAG_EXCLUDE);
                assert_string_equal(v->class_tag, "database");
                assert_int_equal(v->entitled_kib, 2048 * 1024);
        }
        b->ops->free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(facts_as_libvirt_formats_them),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
