/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated host's backend: the built-in host, a scenario's host
 * (sim:///path/to/scenario.json), and URIs and files it refuses. */
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
#include "balloond/core/units.h"
#include "balloond/daemon/backend.h"

static struct bd_config cfg;

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static void test_builtin(void **state) {
        const struct bd_vm_sample *s;
        struct bd_backend *b = NULL;
        char err[256] = "";
        size_t n = 0;

        (void)state;
        assert_int_equal(bd_backend_open("sim://", &cfg, &b, err, sizeof(err)), 0);
        assert_int_equal(b->ops->collect(b, 1000000, 1700000000, &s, &n), 0);
        assert_int_equal(n, 7);
        assert_string_equal(s[0].name, "web1");
        b->ops->free(b);
}

static void test_scenario(void **state) {
        char path[] = "/tmp/balloond-test-sim-XXXXXX", uri[64], err[256] = "";
        const struct bd_vm_sample *s;
        struct bd_host_sample h;
        struct bd_backend *b = NULL;
        size_t n = 0;
        int fd;

        (void)state;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        write_file(path, "{ \"name\": \"two\", \"duration_sec\": 60, \"host\": { \"ram_mib\": 8192 },\n"
                         "  \"vms\": [ { \"name\": \"a\", \"max_mib\": 2048, \"start_mib\": 1024,\n"
                         "              \"demand\": { \"kind\": \"constant\", \"base_mib\": 512 } },\n"
                         "            { \"name\": \"b\", \"max_mib\": 1024, \"balloon\": { \"stuck\": true },\n"
                         "              \"demand\": { \"kind\": \"constant\", \"base_mib\": 256 } } ] }\n");
        snprintf(uri, sizeof(uri), "sim://%s", path);
        assert_int_equal(bd_backend_open(uri, &cfg, &b, err, sizeof(err)), 0);
        assert_int_equal(b->ops->collect(b, 1000000, 1700000000, &s, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(s[0].name, "a");
        assert_int_equal(s[0].max_kib, 2048 * MIB);
        assert_int_equal(s[0].actual_kib, 1024 * MIB);
        assert_string_equal(s[1].name, "b");
        assert_int_equal(b->ops->sample_host(b, 1000000, &h), 0);
        assert_int_equal(h.mem_total_kib, 8192 * MIB);
        b->ops->free(b);
        unlink(path);
}

static void refused(const char *uri, const char *says) {
        struct bd_backend *b = NULL;
        char err[256] = "";

        assert_true(bd_backend_open(uri, &cfg, &b, err, sizeof(err)) < 0);
        assert_null(b);
        if (!strstr(err, says))
                fail_msg("%s: '%s' does not say '%s'", uri, err, says);
}

static void test_refused(void **state) {
        char path[] = "/tmp/balloond-test-sim-XXXXXX", uri[64];
        int fd;

        (void)state;
        refused("sim://elsewhere", "sim:///path/to/scenario.json");
        refused("sim:///nonexistent/scenario.json", "/nonexistent/scenario.json: cannot read");
        fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        write_file(path, "{ \"name\": \"bad\", \"duration_sec\": 60, \"host\": { \"ram_mib\": 8192 },\n"
                         "  \"vms\": [ { \"name\": \"a\", \"max_mib\": -1 } ] }\n");
        snprintf(uri, sizeof(uri), "sim://%s", path);
        refused(uri, "vms[0].max_mib");
        write_file(path, "{ \"name\": \"bad\", ");
        refused(uri, path);
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_builtin),
                cmocka_unit_test(test_scenario),
                cmocka_unit_test(test_refused),
        };

        bd_config_defaults(&cfg);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
