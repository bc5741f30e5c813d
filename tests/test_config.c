/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration: the defaults, a good file, and every key's type and range
 * error with the exact message it must produce; the shipped file against the
 * compiled defaults. */
#include "config_test.h"

/* ---- defaults and a good file ---------------------------------------------- */

static void test_defaults(void **state) {
        struct bd_config c;

        (void)state;
        bd_config_defaults(&c);
        assert_string_equal(c.connect_uri, "qemu:///system");
        assert_int_equal(c.interval_usec, 5 * SEC);
        assert_int_equal(c.stats_period_sec, 2);
        assert_false(c.dry_run);
        assert_false(c.restore_on_exit);
        assert_int_equal(c.host_reserve_kib, 1024 * MIB);
        assert_int_equal(c.vm_budget_kib, 0);
        assert_true(c.relaxed_free_pct == 30.0);
        assert_true(c.pressure_free_pct == 20.0);
        assert_true(c.critical_free_pct == 5.0);
        assert_true(c.hysteresis_pct == 2.0);
        assert_true(c.psi_critical_pct == 10.0);
        assert_int_equal(c.host_shrink_cap_kib, 1024 * MIB);
        assert_string_equal(c.meminfo_path, "/proc/meminfo");
        assert_string_equal(c.psi_path, "/sys/fs/cgroup/machine.slice/memory.pressure");
        assert_false(c.vm_budget_hard);
        assert_int_equal(c.unavailable_kib, 0);
        assert_int_equal(c.swap_in_kib_per_sec, 1024);
        assert_int_equal(c.claim_half_life_usec, 1800 * USEC_PER_SEC);
        assert_int_equal(c.frequent_claim_kib, 2048 * MIB);
        assert_true(c.margin_pct == 20.0);
        assert_int_equal(c.margin_min_kib, 256 * MIB);
        assert_int_equal(c.min_kib, 0);
        assert_int_equal(c.shares, 1000);
        assert_true(c.idle_tax_pct == 75.0);
        assert_true(c.shrink_pct == 5.0);
        assert_int_equal(c.shrink_max_kib, 256 * MIB);
        assert_int_equal(c.deadband_kib, 16 * MIB);
        assert_true(c.deadband_pct == 0.25);
        assert_int_equal(c.cooldown_usec, 15 * SEC);
        assert_int_equal(c.grow_hold_usec, 60 * SEC);
        assert_int_equal(c.stats_slack_usec, 5 * SEC);
        assert_true(c.check_stats_age);
        assert_int_equal(c.stuck_after_usec, 10 * SEC);
        assert_int_equal(c.stuck_retry_usec, 300 * SEC);
        assert_int_equal(c.major_faults_per_sec, 200);
        assert_int_equal(c.swap_in_grow_kib, 256 * MIB);
        assert_int_equal(c.blind_action, BD_BLIND_HOLD);
        assert_string_equal(c.metrics_textfile_dir, "");
        assert_string_equal(c.metrics_http_address, "127.0.0.1");
        assert_int_equal(c.metrics_http_port, 0);
        assert_int_equal(c.n_excluded_classes, 1);
        assert_string_equal(c.excluded_classes[0], "database");
        assert_int_equal(c.n_rules, 0);
}

static void test_empty_file_is_the_defaults(void **state) {
        struct bd_config c, d;

        (void)state;
        bd_config_defaults(&d);
        load_ok("", &c);
        assert_true(config_equal(&c, &d));
        load_ok("# nothing but a comment\n// and another\n/* and a third */\n", &c);
        assert_true(config_equal(&c, &d));
        /* A comment on a last line with no newline (libconfig 1.5 alone calls it a syntax error). */
        load_ok("interval_sec = 5; # the end", &c);
        assert_true(config_equal(&c, &d));
}

static void test_good_file(void **state) {
        struct bd_config c, want;
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_config_load(TESTS_DIR "/config/good.conf", &c, &errs), 0);
        assert_int_equal(errs.n, 0);

        bd_config_defaults(&want);
        snprintf(want.connect_uri, sizeof(want.connect_uri), "qemu+ssh://root@kvm1/system");
        want.interval_usec = 10 * SEC;
        want.stats_period_sec = 5;
        want.dry_run = true;
        want.restore_on_exit = true;
        want.host_reserve_kib = 2048 * MIB;
        want.vm_budget_kib = 65536 * MIB;
        want.relaxed_free_pct = 40.0; /* written as an integer */
        want.pressure_free_pct = 25.5;
        want.critical_free_pct = 10.0;
        want.hysteresis_pct = 3.0;
        want.psi_critical_pct = 20.0;
        want.host_shrink_cap_kib = 4096 * MIB;
        snprintf(want.meminfo_path, sizeof(want.meminfo_path), "/run/test/meminfo");
        snprintf(want.psi_path, sizeof(want.psi_path), "/run/test/psi");
        want.margin_pct = 25.0;
        want.margin_min_kib = 512 * MIB;
        want.min_kib = 1024 * MIB;
        want.shares = 2000;
        want.idle_tax_pct = 50.0;
        want.shrink_pct = 10.0;
        want.shrink_max_kib = 512 * MIB;
        want.deadband_kib = 32 * MIB;
        want.deadband_pct = 1.0;
        want.cooldown_usec = 30 * SEC;
        want.grow_hold_usec = 120 * SEC;
        want.stats_slack_usec = 10 * SEC;
        want.check_stats_age = false;
        want.stuck_after_usec = 20 * SEC;
        want.stuck_retry_usec = 600 * SEC;
        want.major_faults_per_sec = 500;
        want.swap_in_grow_kib = 128 * MIB;
        want.blind_action = BD_BLIND_DEFLATE;
        snprintf(want.metrics_textfile_dir, sizeof(want.metrics_textfile_dir), "/var/lib/prometheus/node-exporter");
        snprintf(want.metrics_http_address, sizeof(want.metrics_http_address), "::1");
        want.metrics_http_port = 9101;
        want.n_excluded_classes = 2;
        snprintf(want.excluded_classes[1], BD_CLASS_MAX, "latency-critical");
        want.n_rules = 4;
        want.rules[0] = (struct bd_rule){ .kind = BD_MATCH_NAME, .match = "db-*", .shares = -1, .exclude = -1,
                                          .class_tag = "database", .line = 46 };
        want.rules[1] = (struct bd_rule){ .kind = BD_MATCH_UUID, .match = "6C1C0A7E-1A2B-4C3D-8E4F-000000000001",
                                          .min_kib = 2048 * MIB, .max_kib = 8192 * MIB, .shares = 3000,
                                          .exclude = -1, .line = 47 };
        want.rules[2] = (struct bd_rule){ .kind = BD_MATCH_NAME, .match = "pg-special", .shares = -1, .exclude = 0,
                                          .class_tag = "database", .line = 48 };
        want.rules[3] = (struct bd_rule){ .kind = BD_MATCH_NAME, .match = "build-?", .shares = -1, .exclude = 1,
                                          .line = 49 };
        assert_true(config_equal(&c, &want));
        bd_config_errors_free(&errs);
}

static void test_numbers(void **state) {
        struct bd_config c;

        (void)state;
        /* Integers for number keys, 64-bit and hexadecimal integers, floats. */
        load_ok("host = { pressure_free_pct = 21; relaxed_free_pct = 40L; };\n"
                "interval_sec = 7L; guest = { shares = 0x400; deadband_pct = .5; margin_pct = 2.5e1; };\n"
                "vms = ( { name = \"a\"; min_mib = 100L; max_mib = 0x100; shares = 5L; } );",
                &c);
        assert_true(c.pressure_free_pct == 21.0);
        assert_true(c.relaxed_free_pct == 40.0);
        assert_int_equal(c.interval_usec, 7 * SEC);
        assert_int_equal(c.shares, 1024);
        assert_true(c.deadband_pct == 0.5);
        assert_true(c.margin_pct == 25.0);
        assert_int_equal(c.rules[0].min_kib, 100 * MIB);
        assert_int_equal(c.rules[0].max_kib, 256 * MIB);
        assert_int_equal(c.rules[0].shares, 5);
        /* The largest sizes. */
        load_ok("host = { reserve_mib = 16777216; };", &c);
        assert_int_equal(c.host_reserve_kib, 16777216ULL * MIB);
        /* Lists where arrays are expected; empty lists. */
        load_ok("exclude_classes = ( \"a\", \"b-2\" ); vms = [ ];", &c);
        assert_int_equal(c.n_excluded_classes, 2);
        assert_string_equal(c.excluded_classes[1], "b-2");
        assert_int_equal(c.n_rules, 0);
        load_ok("exclude_classes = [ ];\nvms = ( );", &c);
        assert_int_equal(c.n_excluded_classes, 0);
        /* A directory may be turned off with "". */
        load_ok("metrics = { textfile_dir = \"\"; http_address = \"10.0.0.1\"; http_port = 65535; };", &c);
        assert_string_equal(c.metrics_textfile_dir, "");
        assert_int_equal(c.metrics_http_port, 65535);
}

/* ---- every key: a wrong type and a value out of range ------------------------ */

static const struct {
        const char *path;
        const char *bad_type, *type_problem;
        const char *bad_value, *value_problem; /* NULL: booleans */
} key_errors[] = {
        { "connect", "5", "expected a string (a libvirt URI of 1 to 511 characters)",
          "\"\"", "empty (a libvirt URI of 1 to 511 characters)" },
        { "interval_sec", "2.5", "expected an integer (1..3600)", "0", "0 is out of range (1..3600)" },
        { "stats_period_sec", "\"2\"", "expected an integer (1..3600)", "3601", "3601 is out of range (1..3600)" },
        { "dry_run", "1", "expected a boolean (true or false)", NULL, NULL },
        { "restore_on_exit", "\"yes\"", "expected a boolean (true or false)", NULL, NULL },
        { "host.reserve_mib", "\"lots\"", "expected an integer (0..16777216)",
          "-1", "-1 is out of range (0..16777216)" },
        { "host.reserve_rescue_pct", "\"most\"", "expected a number (0..100)",
          "100.5", "100.5 is out of range (0..100)" },
        { "host.vm_budget_mib", "1.5", "expected an integer (0..16777216)",
          "16777217", "16777217 is out of range (0..16777216)" },
        { "host.vm_budget_hard", "\"no\"", "expected a boolean (true or false)", NULL, NULL },
        { "host.unavailable_mib", "-0.5", "expected an integer (0..16777216)",
          "16777217", "16777217 is out of range (0..16777216)" },
        { "host.relaxed_free_pct", "\"30\"", "expected a number (0..100)",
          "100.5", "100.5 is out of range (0..100)" },
        { "host.pressure_free_pct", "true", "expected a number (0..100)", "-1", "-1 is out of range (0..100)" },
        { "host.critical_free_pct", "[ 5 ]", "expected a number (0..100)", "101", "101 is out of range (0..100)" },
        { "host.hysteresis_pct", "\"2\"", "expected a number (0..50)", "51", "51 is out of range (0..50)" },
        { "host.psi_critical_pct", "false", "expected a number (0.1..100)",
          "0.05", "0.05 is out of range (0.1..100)" },
        { "host.shrink_cap_mib", "\"1G\"", "expected an integer (1..16777216)",
          "0", "0 is out of range (1..16777216)" },
        { "host.meminfo_path", "1", "expected a string (an absolute path of at most 511 characters)",
          "\"proc/meminfo\"", "\"proc/meminfo\" is not an absolute path (an absolute path of at most 511 characters)" },
        { "host.psi_path", "{ }", "expected a string (an absolute path of at most 511 characters)",
          "\"\"", "empty (an absolute path of at most 511 characters)" },
        { "guest.margin_pct", "\"20%\"", "expected a number (0..100)", "150", "150 is out of range (0..100)" },
        { "guest.margin_min_mib", "256.0", "expected an integer (0..16777216)",
          "-256", "-256 is out of range (0..16777216)" },
        { "guest.min_mib", "\"0\"", "expected an integer (0..16777216)",
          "99999999", "99999999 is out of range (0..16777216)" },
        { "guest.shares", "1000.0", "expected an integer (1..50000)", "0", "0 is out of range (1..50000)" },
        { "guest.idle_tax_pct", "\"75\"", "expected a number (0..99)", "100", "100 is out of range (0..99)" },
        { "guest.shrink_pct", "\"5\"", "expected a number (0.1..100)", "250.0", "250 is out of range (0.1..100)" },
        { "guest.shrink_max_mib", "\"256\"", "expected an integer (1..16777216)",
          "0", "0 is out of range (1..16777216)" },
        { "guest.deadband_mib", "16.5", "expected an integer (0..65536)", "65537", "65537 is out of range (0..65536)" },
        { "guest.deadband_pct", "\"0.25\"", "expected a number (0..50)", "50.01", "50.01 is out of range (0..50)" },
        { "guest.cooldown_sec", "15.0", "expected an integer (0..86400)", "86401", "86401 is out of range (0..86400)" },
        { "guest.grow_hold_sec", "\"60\"", "expected an integer (0..86400)", "-1", "-1 is out of range (0..86400)" },
        { "guest.stats_slack_sec", "5.5", "expected an integer (0..3600)", "3601", "3601 is out of range (0..3600)" },
        { "guest.check_stats_age", "\"true\"", "expected a boolean (true or false)", NULL, NULL },
        { "guest.stuck_after_sec", "\"10\"", "expected an integer (1..3600)", "0", "0 is out of range (1..3600)" },
        { "guest.stuck_retry_sec", "300.0", "expected an integer (1..86400)",
          "86401", "86401 is out of range (1..86400)" },
        { "guest.major_faults_per_sec", "\"200\"", "expected an integer (1..10000000)",
          "10000001", "10000001 is out of range (1..10000000)" },
        { "guest.swap_in_grow_mib", "false", "expected an integer (0..16777216)",
          "16777217", "16777217 is out of range (0..16777216)" },
        { "guest.swap_in_kib_per_sec", "1.5", "expected an integer (1..16777216)",
          "0", "0 is out of range (1..16777216)" },
        { "guest.claim_half_life_sec", "\"600\"", "expected an integer (1..86400)",
          "0", "0 is out of range (1..86400)" },
        { "guest.frequent_claim_mib", "\"2048\"", "expected an integer (0..16777216)",
          "-1", "-1 is out of range (0..16777216)" },
        { "guest.burst_half_life_sec", "\"3600\"", "expected an integer (60..604800)",
          "59", "59 is out of range (60..604800)" },
        { "guest.burst_max_mib", "1.5", "expected an integer (0..16777216)",
          "16777217", "16777217 is out of range (0..16777216)" },
        { "guest.emergency_hold_sec", "true", "expected an integer (0..86400)",
          "86401", "86401 is out of range (0..86400)" },
        { "guest.foreign_hold_sec", "\"60\"", "expected an integer (0..86400)",
          "-1", "-1 is out of range (0..86400)" },
        { "guest.deflate_to_entitled", "1", "expected a boolean (true or false)", NULL, NULL },
        { "guest.blind_action", "0", "expected a string (\"hold\" or \"deflate\")",
          "\"panic\"", "\"panic\" is not a valid value (\"hold\" or \"deflate\")" },
        { "metrics.vm_labels", "0", "expected a string (\"name\" or \"uuid\")",
          "\"names\"", "\"names\" is not a valid value (\"name\" or \"uuid\")" },
        { "metrics.textfile_dir", "0",
          "expected a string (an absolute path of at most 511 characters, or \"\" for none)", "\"var/lib\"",
          "\"var/lib\" is not an absolute path (an absolute path of at most 511 characters, or \"\" for none)" },
        { "metrics.http_address", "127", "expected a string (an IPv4 or IPv6 address such as 127.0.0.1 or ::1)",
          "\"localhost\"", "\"localhost\" is not an IP address (an IPv4 or IPv6 address such as 127.0.0.1 or ::1)" },
        { "metrics.http_port", "\"9101\"", "expected an integer (0..65535)", "65536", "65536 is out of range (0..65535)" },
};

/* "group = {\n key = VALUE;\n};" or "key = VALUE;" and where the key is. */
static void key_text(const char *path, const char *value, char *text, size_t size, int *line) {
        const char *dot = strchr(path, '.');

        if (dot) {
                snprintf(text, size, "%.*s = {\n  %s = %s;\n};\n", (int)(dot - path), path, dot + 1, value);
                *line = 2;
        } else {
                snprintf(text, size, "%s = %s;\n", path, value);
                *line = 1;
        }
}

static void test_every_key_type_and_range(void **state) {
        bool ok = true;

        (void)state;
        for (size_t i = 0; i < N_ELEMS(key_errors); i++) {
                char text[256], message[512];
                const char *expected[1] = { message };
                int line;

                key_text(key_errors[i].path, key_errors[i].bad_type, text, sizeof(text), &line);
                snprintf(message, sizeof(message), "t.conf:%d: %s: %s", line, key_errors[i].path,
                         key_errors[i].type_problem);
                ok &= expect_errors(text, expected, 1);
                if (!key_errors[i].bad_value)
                        continue;
                key_text(key_errors[i].path, key_errors[i].bad_value, text, sizeof(text), &line);
                snprintf(message, sizeof(message), "t.conf:%d: %s: %s", line, key_errors[i].path,
                         key_errors[i].value_problem);
                ok &= expect_errors(text, expected, 1);
        }
        assert_true(ok);
}

/* The key table above covers every key of the shipped file (and so of
 * balloond.conf(5)): each is accepted at its default. */
static void test_every_key_is_covered(void **state) {
        char *text;
        size_t n = 0;

        (void)state;
        text = read_whole(TESTS_DIR "/../conf/balloond.conf");
        for (size_t i = 0; i < N_ELEMS(key_errors); i++) {
                const char *dot = strchr(key_errors[i].path, '.');
                char line[128];

                snprintf(line, sizeof(line), "#   %s = ", dot ? dot + 1 : key_errors[i].path);
                if (strstr(text, line))
                        n++;
                else
                        print_error("%s is not in conf/balloond.conf\n", key_errors[i].path);
        }
        assert_int_equal(n, N_ELEMS(key_errors));
        free(text);
}

/* ---- the shipped file ---------------------------------------------------------- */

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
                if (strncmp(q, "#   ", 4) == 0 && q[4] >= 'a' && q[4] <= 'z' && memmem(q, len, " = ", 3) &&
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

/* Uncomment the example rules ("  # { name = ... },") of the shipped file. */
static char *uncomment_rules(const char *text) {
        char *out = strdup(text), *p = out;

        assert_non_null(out);
        while ((p = strstr(p, "\n  # { ")) != NULL) {
                memmove(p + 3, p + 5, strlen(p + 5) + 1);
                p += 3;
        }
        return out;
}

static void test_shipped_file_is_the_defaults(void **state) {
        struct bd_config defaults, as_shipped, uncommented;
        struct bd_config_errors errs = { 0 };
        char *text, *full;
        size_t n_keys;

        (void)state;
        bd_config_defaults(&defaults);
        /* As shipped: loads with no error, and is the defaults. */
        assert_int_equal(bd_config_load(TESTS_DIR "/../conf/balloond.conf", &as_shipped, &errs), 0);
        assert_int_equal(errs.n, 0);
        assert_true(config_equal(&as_shipped, &defaults));
        /* Every key uncommented: still the defaults, field by field. */
        text = read_whole(TESTS_DIR "/../conf/balloond.conf");
        full = uncomment(text, &n_keys);
        assert_int_equal(n_keys, N_ELEMS(key_errors) + 1); /* every scalar key, and exclude_classes */
        load_ok(full, &uncommented);
        assert_true(config_equal(&uncommented, &defaults));
        free(full);
        /* The rule examples are valid too. */
        full = uncomment_rules(text);
        load_ok(full, &uncommented);
        assert_int_equal(uncommented.n_rules, 4);
        free(full);
        free(text);
        bd_config_errors_free(&errs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_empty_file_is_the_defaults),
                cmocka_unit_test(test_good_file),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_every_key_type_and_range),
                cmocka_unit_test(test_every_key_is_covered),
                cmocka_unit_test(test_shipped_file_is_the_defaults),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
