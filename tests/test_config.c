/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration: defaults, good files, every kind of mistake with the exact
 * message it must produce, the shipped file against the compiled defaults,
 * and per-VM rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/config.h"

#define MIB 1024ULL
#define SEC 1000000ULL

static void test_defaults(void **state) {
        struct bd_config c;

        (void)state;
        bd_config_defaults(&c);
        assert_string_equal(c.connect_uri, "qemu:///system");
        assert_int_equal(c.interval_usec, 5 * SEC);
        assert_int_equal(c.stats_period_sec, 2);
        assert_int_equal(c.host_reserve_kib, 1024 * MIB);
        assert_int_equal(c.vm_budget_kib, 0);
        assert_true(c.pressure_free_pct == 20.0 && c.critical_free_pct == 5.0 && c.relaxed_free_pct == 30.0);
        assert_true(c.psi_critical_pct == 10.0);
        assert_true(c.margin_pct == 20.0);
        assert_int_equal(c.margin_min_kib, 256 * MIB);
        assert_int_equal(c.shares, 1000);
        assert_true(c.idle_tax_pct == 75.0 && c.shrink_pct == 5.0 && c.deadband_pct == 0.25);
        assert_int_equal(c.shrink_max_kib, 256 * MIB);
        assert_int_equal(c.deadband_kib, 16 * MIB);
        assert_int_equal(c.cooldown_usec, 15 * SEC);
        assert_int_equal(c.stuck_after_usec, 10 * SEC);
        assert_true(c.check_stats_age);
        assert_int_equal(c.n_excluded_classes, 1);
        assert_string_equal(c.excluded_classes[0], "database");
        assert_int_equal(c.n_rules, 0);
}

static void load_ok(const char *text, struct bd_config *c) {
        struct bd_config_errors errs = { 0 };
        int r = bd_config_load_string(text, "t.conf", c, &errs);

        for (size_t i = 0; i < errs.n; i++)
                print_error("unexpected: %s\n", errs.items[i].text);
        assert_int_equal(r, 0);
        assert_int_equal(errs.n, 0);
        bd_config_errors_free(&errs);
}

static void test_good_file(void **state) {
        struct bd_config c;
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_config_load(TESTS_DIR "/config/good.conf", &c, &errs), 0);
        assert_int_equal(errs.n, 0);
        assert_string_equal(c.connect_uri, "qemu+ssh://root@kvm1/system");
        assert_int_equal(c.interval_usec, 10 * SEC);
        assert_int_equal(c.stats_period_sec, 5);
        assert_true(c.dry_run && c.restore_on_exit);
        assert_int_equal(c.host_reserve_kib, 2048 * MIB);
        assert_int_equal(c.vm_budget_kib, 65536 * MIB);
        assert_true(c.relaxed_free_pct == 40.0); /* an integer for a float key */
        assert_true(c.pressure_free_pct == 25.5);
        assert_int_equal(c.host_shrink_cap_kib, 4096 * MIB);
        assert_string_equal(c.meminfo_path, "/run/test/meminfo");
        assert_string_equal(c.psi_path, "/run/test/psi");
        assert_int_equal(c.min_kib, 1024 * MIB);
        assert_int_equal(c.shares, 2000);
        assert_int_equal(c.grow_hold_usec, 120 * SEC);
        assert_false(c.check_stats_age);
        assert_int_equal(c.major_faults_per_sec, 500);
        assert_int_equal(c.swap_in_grow_kib, 128 * MIB);
        assert_int_equal(c.blind_action, BD_BLIND_DEFLATE);
        assert_int_equal(c.n_excluded_classes, 2);
        assert_string_equal(c.excluded_classes[1], "latency-critical");
        assert_int_equal(c.n_rules, 4);
        assert_int_equal(c.rules[1].kind, BD_MATCH_UUID);
        assert_int_equal(c.rules[1].min_kib, 2048 * MIB);
        assert_int_equal(c.rules[1].max_kib, 8192 * MIB);
        assert_int_equal(c.rules[1].shares, 3000);
        assert_int_equal(c.rules[1].exclude, -1);
        assert_int_equal(c.rules[2].exclude, 0);
        assert_int_equal(c.rules[3].exclude, 1);
        assert_int_equal(c.rules[0].line, 41);
        bd_config_errors_free(&errs);
}

/* One mistake per row, and the exact message it must produce. */
static const struct {
        const char *text;
        const char *message;
} mistakes[] = {
        { "interval_sec = 0;", "t.conf:1: interval_sec: 0 is out of range (1..3600)" },
        { "interval_sec = 2.5;", "t.conf:1: interval_sec: expected an integer (1..3600)" },
        { "stats_period_sec = 99999;", "t.conf:1: stats_period_sec: 99999 is out of range (1..3600)" },
        { "dry_run = 1;", "t.conf:1: dry_run: expected a boolean (true or false)" },
        { "connect = \"\";", "t.conf:1: connect: empty (a string of at most 511 characters)" },
        { "connect = 5;", "t.conf:1: connect: expected a string (a string of at most 511 characters)" },
        { "colour = \"blue\";", "t.conf:1: colour: unknown key (see balloond.conf(5))" },
        { "host = 5;", "t.conf:1: host: expected a group (host = { ... };)" },
        { "host = {\n reserve_mib = -1;\n};", "t.conf:2: host.reserve_mib: -1 is out of range (0..16777216)" },
        { "host = {\n reserve_mib = \"lots\";\n};",
          "t.conf:2: host.reserve_mib: expected an integer (0..16777216)" },
        { "host = {\n pressure_free_pct = 101;\n};",
          "t.conf:2: host.pressure_free_pct: 101 is out of range (0..100)" },
        { "host = {\n pressure_free_pct = \"20\";\n};",
          "t.conf:2: host.pressure_free_pct: expected a number (0..100)" },
        { "host = {\n critical_free_pct = 25.0;\n};",
          "t.conf:2: host.critical_free_pct: bands out of order: critical_free_pct 25, "
          "pressure_free_pct 20, relaxed_free_pct 30 (critical < pressure < relaxed)" },
        { "host = {\n relaxed_free_pct = 15;\n};",
          "t.conf:2: host.relaxed_free_pct: bands out of order: critical_free_pct 5, "
          "pressure_free_pct 20, relaxed_free_pct 15 (critical < pressure < relaxed)" },
        { "host = {\n pressure_free_pct = 6;\n};",
          "t.conf:2: host.pressure_free_pct: hysteresis_pct 2 is not smaller than the narrowest band, 1 "
          "(0..1)" },
        { "host = {\n hysteresis_pct = 10;\n};",
          "t.conf:2: host.hysteresis_pct: hysteresis_pct 10 is not smaller than the narrowest band, 10 "
          "(0..10)" },
        { "host = {\n meminfo_path = \"proc/meminfo\";\n};",
          "t.conf:2: host.meminfo_path: \"proc/meminfo\" is not an absolute path (a path starting with /)" },
        { "host = {\n swap = 1;\n};", "t.conf:2: host.swap: unknown key (see balloond.conf(5))" },
        { "guest = {\n shares = 0;\n};", "t.conf:2: guest.shares: 0 is out of range (1..50000)" },
        { "guest = {\n shrink_pct = 0.0;\n};", "t.conf:2: guest.shrink_pct: 0 is out of range (0.1..100)" },
        { "guest = {\n blind_action = \"panic\";\n};",
          "t.conf:2: guest.blind_action: \"panic\" is not a valid value (\"hold\" or \"deflate\")" },
        { "guest = {\n check_stats_age = \"yes\";\n};",
          "t.conf:2: guest.check_stats_age: expected a boolean (true or false)" },
        { "exclude_classes = \"database\";",
          "t.conf:1: exclude_classes: expected an array of class names ([\"database\", ...])" },
        { "exclude_classes = [ \"Data Base\" ];",
          "t.conf:1: exclude_classes: element 0 is not a class name (1 to 31 characters of a-z, 0-9, _ and -)" },
        { "vms = 1;", "t.conf:1: vms: expected a list of rules (( { name = \"...\"; ... }, ... ))" },
        { "vms = ( { min_mib = 512; } );", "t.conf:1: vms[0]: needs exactly one of name or uuid (has 0)" },
        { "vms = ( { name = \"a\"; uuid = \"6c1c0a7e-1a2b-4c3d-8e4f-000000000001\"; } );",
          "t.conf:1: vms[0]: needs exactly one of name or uuid (has 2)" },
        { "vms = ( { uuid = \"not-a-uuid\"; } );",
          "t.conf:1: vms[0].uuid: \"not-a-uuid\" is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" },
        { "vms = ( { name = \"a\"; },\n { name = \"b\"; min_mib = 0; } );",
          "t.conf:2: vms[1].min_mib: 0 is out of range (1..16777216)" },
        { "vms = ( { name = \"a\"; min_mib = 4096; max_mib = 1024; } );",
          "t.conf:1: vms[0].min_mib: 4096 is above max_mib (1024)" },
        { "vms = ( { name = \"a\"; shares = 60000; } );", "t.conf:1: vms[0].shares: expected an integer (1..50000)" },
        { "vms = ( { name = \"a\"; exclude = \"yes\"; } );",
          "t.conf:1: vms[0].exclude: expected a boolean (true or false)" },
        { "vms = ( { name = \"a\"; class = \"DB\"; } );",
          "t.conf:1: vms[0].class: expected a class name (1 to 31 characters of a-z, 0-9, _ and -)" },
        { "vms = ( { name = \"a\"; size = 1; } );",
          "t.conf:1: vms[0].size: unknown key (name, uuid, min_mib, max_mib, shares, exclude, class)" },
        { "vms = ( 5 );", "t.conf:1: vms[0]: expected a group ({ name = \"...\"; ... })" },
        { "interval_sec = ;", "t.conf:1: syntax error: syntax error" },
};

static void test_mistakes(void **state) {
        (void)state;
        for (size_t i = 0; i < sizeof(mistakes) / sizeof(mistakes[0]); i++) {
                struct bd_config c, before;
                struct bd_config_errors errs = { 0 };
                int r;

                memset(&c, 0x5a, sizeof(c));
                before = c;
                r = bd_config_load_string(mistakes[i].text, "t.conf", &c, &errs);
                if (errs.n != 1 || strcmp(errs.items[0].text, mistakes[i].message) != 0) {
                        print_error("input: %s\nexpected: %s\n", mistakes[i].text, mistakes[i].message);
                        for (size_t k = 0; k < errs.n; k++)
                                print_error("got:      %s\n", errs.items[k].text);
                        fail();
                }
                assert_int_equal(r, -EINVAL);
                /* The output is written only on success. */
                assert_memory_equal(&c, &before, sizeof(c));
                bd_config_errors_free(&errs);
        }
}

static void test_five_mistakes(void **state) {
        static const char *const expected[] = {
                TESTS_DIR "/config/five-mistakes.conf:2: interval_sec: 0 is out of range (1..3600)",
                TESTS_DIR "/config/five-mistakes.conf:4: host.reserve_mib: expected an integer (0..16777216)",
                TESTS_DIR "/config/five-mistakes.conf:9: guest.shrink_pct: 250 is out of range (0.1..100)",
                TESTS_DIR "/config/five-mistakes.conf:10: guest.cooldwon_sec: unknown key (see balloond.conf(5))",
                TESTS_DIR "/config/five-mistakes.conf:13: vms[0].uuid: \"not-a-uuid\" is not a UUID "
                          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        };
        struct bd_config c;
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_config_load(TESTS_DIR "/config/five-mistakes.conf", &c, &errs), -EINVAL);
        assert_int_equal(errs.n, 5);
        for (size_t i = 0; i < 5; i++)
                assert_string_equal(errs.items[i].text, expected[i]);
        bd_config_errors_free(&errs);
}

static void test_missing_file(void **state) {
        struct bd_config c;
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_config_load("/nonexistent/balloond.conf", &c, &errs), -ENOENT);
        assert_int_equal(errs.n, 1);
        assert_string_equal(errs.items[0].text, "/nonexistent/balloond.conf: cannot read: No such file or directory");
        bd_config_errors_free(&errs);
}

static char *read_file(const char *path) {
        FILE *f = fopen(path, "r");
        char *buf;
        long len;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        len = ftell(f);
        rewind(f);
        buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        buf[len] = '\0';
        fclose(f);
        return buf;
}

/* Uncomment every "#   key = value;" line of the shipped file. */
static char *uncomment(const char *text, size_t *n_keys) {
        char *out = malloc(strlen(text) + 1), *o = out;
        const char *p = text;

        assert_non_null(out);
        *n_keys = 0;
        while (*p) {
                const char *eol = strchr(p, '\n'), *q = p;
                size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);

                while (*q == ' ')
                        q++;
                if (strncmp(q, "#   ", 4) == 0 && q[4] >= 'a' && q[4] <= 'z' && strstr(q, " = ") &&
                    memchr(q, ';', len - (size_t)(q - p))) {
                        memcpy(o, p, (size_t)(q - p));
                        o += q - p;
                        memcpy(o, q + 4, len - (size_t)(q - p) - 4);
                        o += len - (size_t)(q - p) - 4;
                        (*n_keys)++;
                } else {
                        memcpy(o, p, len);
                        o += len;
                }
                p += len;
        }
        *o = '\0';
        return out;
}

static void test_shipped_file_is_the_defaults(void **state) {
        struct bd_config defaults, as_shipped, uncommented;
        char *text, *full;
        size_t n_keys;

        (void)state;
        bd_config_defaults(&defaults);
        text = read_file(TESTS_DIR "/../conf/balloond.conf");
        load_ok(text, &as_shipped);
        assert_memory_equal(&as_shipped, &defaults, sizeof(defaults));
        full = uncomment(text, &n_keys);
        assert_true(n_keys >= 34); /* every key of balloond.conf(5) */
        load_ok(full, &uncommented);
        assert_memory_equal(&uncommented, &defaults, sizeof(defaults));
        free(full);
        free(text);
}

static struct bd_vm_sample vm(const char *name, const char *uuid, const char *class_tag) {
        struct bd_vm_sample s;

        bd_vm_sample_init(&s);
        snprintf(s.name, sizeof(s.name), "%s", name);
        snprintf(s.uuid, sizeof(s.uuid), "%s", uuid);
        snprintf(s.class_tag, sizeof(s.class_tag), "%s", class_tag);
        return s;
}

static void test_vm_settings(void **state) {
        struct bd_config c;
        struct bd_config_errors errs = { 0 };
        struct bd_vm_settings set;
        struct bd_vm_sample s;

        (void)state;
        assert_int_equal(bd_config_load(TESTS_DIR "/config/good.conf", &c, &errs), 0);

        s = vm("db-orders", "00000000-0000-4000-8000-000000000001", "");
        bd_config_vm_settings(&c, &s, &set);
        assert_true(set.excluded && set.excluded_by_class);
        assert_string_equal(set.class_tag, "database");
        assert_ptr_equal(set.rule, &c.rules[0]);

        /* UUID rules match whatever the case; settings come from the rule. */
        s = vm("web1", "6c1c0a7e-1a2b-4c3d-8e4f-000000000001", "");
        bd_config_vm_settings(&c, &s, &set);
        assert_false(set.excluded);
        assert_int_equal(set.min_kib, 2048 * MIB);
        assert_int_equal(set.max_kib, 8192 * MIB);
        assert_int_equal(set.shares, 3000);

        /* exclude = false overrides the class. */
        s = vm("pg-special", "00000000-0000-4000-8000-000000000002", "");
        bd_config_vm_settings(&c, &s, &set);
        assert_false(set.excluded);
        assert_string_equal(set.class_tag, "database");

        /* A glob with ?; exclude = true. */
        s = vm("build-7", "00000000-0000-4000-8000-000000000003", "");
        bd_config_vm_settings(&c, &s, &set);
        assert_true(set.excluded);
        assert_false(set.excluded_by_class);
        s = vm("build-17", "00000000-0000-4000-8000-000000000003", "");
        bd_config_vm_settings(&c, &s, &set);
        assert_false(set.excluded);
        assert_null(set.rule);
        assert_int_equal(set.min_kib, 1024 * MIB); /* guest.min_mib */
        assert_int_equal(set.shares, 2000);        /* guest.shares */

        /* The class of a VM's metadata, when no rule sets one. */
        s = vm("anything", "00000000-0000-4000-8000-000000000004", "latency-critical");
        bd_config_vm_settings(&c, &s, &set);
        assert_true(set.excluded && set.excluded_by_class);

        /* First match wins: db-* comes before any later rule. */
        assert_int_equal(c.rules[0].kind, BD_MATCH_NAME);
        bd_config_errors_free(&errs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_good_file),
                cmocka_unit_test(test_mistakes),
                cmocka_unit_test(test_five_mistakes),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_shipped_file_is_the_defaults),
                cmocka_unit_test(test_vm_settings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
