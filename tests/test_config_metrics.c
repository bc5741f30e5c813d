/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.vm_labels: how the metrics name a VM (SECURITY.md, "Who may
 * learn the VMs' names"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/core/config.h"

static int load(const char *text, struct bd_config *c, struct bd_config_errors *errs) {
        char path[] = "/tmp/balloond-cfg-metrics.XXXXXX";
        int fd = mkstemp(path), r;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        r = bd_config_load(path, c, errs);
        unlink(path);
        return r;
}

static void test_default_is_name(void **state) {
        struct bd_config c;

        (void)state;
        bd_config_defaults(&c);
        assert_int_equal(c.metrics_vm_labels, BD_VM_LABELS_NAME);
}

static void test_uuid_and_name(void **state) {
        struct bd_config_errors errs = { 0 };
        struct bd_config c;

        (void)state;
        assert_int_equal(load("metrics = { vm_labels = \"uuid\"; };\n", &c, &errs), 0);
        assert_int_equal(c.metrics_vm_labels, BD_VM_LABELS_UUID);
        assert_int_equal(load("metrics = { vm_labels = \"name\"; };\n", &c, &errs), 0);
        assert_int_equal(c.metrics_vm_labels, BD_VM_LABELS_NAME);
        assert_int_equal(errs.n, 0);
        bd_config_errors_free(&errs);
}

static void test_bad_values_located(void **state) {
        struct bd_config_errors errs = { 0 };
        struct bd_config c;

        (void)state;
        assert_true(load("interval_sec = 5;\nmetrics = { vm_labels = \"names\"; };\n", &c, &errs) < 0);
        assert_int_equal(errs.n, 1);
        assert_non_null(strstr(errs.items[0].text, ":2: metrics.vm_labels: \"names\" is not a valid value "
                                                   "(\"name\" or \"uuid\")"));
        bd_config_errors_free(&errs);
        assert_true(load("metrics = { vm_labels = 1; };\n", &c, &errs) < 0);
        assert_int_equal(errs.n, 1);
        assert_non_null(strstr(errs.items[0].text, "metrics.vm_labels: expected a string (\"name\" or \"uuid\")"));
        bd_config_errors_free(&errs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_is_name),
                cmocka_unit_test(test_uuid_and_name),
                cmocka_unit_test(test_bad_values_located),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
