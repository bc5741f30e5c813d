/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration: the defaults, a good file, every key's type and range error
 * with the exact message it must produce, the other mistakes (unknown keys,
 * rules, classes, relations between keys, syntax, files that cannot be
 * read), the shipped file against the compiled defaults, and per-VM rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/core/config.h"

#define SEC 1000000ULL
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---------------------------------------------------------------- */

/* Compare two configurations field by field; print every difference. */
static bool config_equal(const struct bd_config *a, const struct bd_config *b) {
        bool same = true;

#define EQ_NUM(f)                                                                                            \
        if (a->f != b->f) {                                                                                  \
                print_error("%s: %.17g != %.17g\n", #f, (double)a->f, (double)b->f);                        \
                same = false;                                                                                \
        }
#define EQ_STR(f)                                                                                            \
        if (strcmp(a->f, b->f) != 0) {                                                                       \
                print_error("%s: \"%s\" != \"%s\"\n", #f, a->f, b->f);                                      \
                same = false;                                                                                \
        }
        EQ_STR(connect_uri);
        EQ_NUM(interval_usec);
        EQ_NUM(stats_period_sec);
        EQ_NUM(dry_run);
        EQ_NUM(restore_on_exit);
        EQ_NUM(host_reserve_kib);
        EQ_NUM(vm_budget_kib);
        EQ_NUM(vm_budget_hard);
        EQ_NUM(unavailable_kib);
        EQ_NUM(relaxed_free_pct);
        EQ_NUM(pressure_free_pct);
        EQ_NUM(critical_free_pct);
        EQ_NUM(hysteresis_pct);
        EQ_NUM(psi_critical_pct);
        EQ_NUM(host_shrink_cap_kib);
        EQ_STR(meminfo_path);
        EQ_STR(psi_path);
        EQ_NUM(margin_pct);
        EQ_NUM(margin_min_kib);
        EQ_NUM(min_kib);
        EQ_NUM(shares);
        EQ_NUM(idle_tax_pct);
        EQ_NUM(shrink_pct);
        EQ_NUM(shrink_max_kib);
        EQ_NUM(deadband_kib);
        EQ_NUM(deadband_pct);
        EQ_NUM(cooldown_usec);
        EQ_NUM(grow_hold_usec);
        EQ_NUM(stats_slack_usec);
        EQ_NUM(check_stats_age);
        EQ_NUM(stuck_after_usec);
        EQ_NUM(stuck_retry_usec);
        EQ_NUM(major_faults_per_sec);
        EQ_NUM(swap_in_grow_kib);
        EQ_NUM(swap_in_kib_per_sec);
        EQ_NUM(claim_half_life_usec);
        EQ_NUM(frequent_claim_kib);
        EQ_NUM(blind_action);
        EQ_STR(metrics_textfile_dir);
        EQ_STR(metrics_http_address);
        EQ_NUM(metrics_http_port);
        EQ_NUM(n_excluded_classes);
        for (size_t i = 0; i < a->n_excluded_classes && i < b->n_excluded_classes; i++)
                EQ_STR(excluded_classes[i]);
        EQ_NUM(n_rules);
        for (size_t i = 0; i < a->n_rules && i < b->n_rules; i++) {
                EQ_NUM(rules[i].kind);
                EQ_STR(rules[i].match);
                EQ_NUM(rules[i].min_kib);
                EQ_NUM(rules[i].max_kib);
                EQ_NUM(rules[i].shares);
                EQ_NUM(rules[i].exclude);
                EQ_STR(rules[i].class_tag);
                EQ_NUM(rules[i].line);
        }
#undef EQ_NUM
#undef EQ_STR
        return same;
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

/* TEXT must give exactly the errors EXPECTED (in order), -EINVAL, and leave
 * the output alone. */
static bool expect_errors(const char *text, const char *const *expected, size_t n) {
        struct bd_config c, before;
        struct bd_config_errors errs = { 0 };
        bool ok;
        int r;

        memset(&c, 0x5a, sizeof(c));
        before = c;
        r = bd_config_load_string(text, "t.conf", &c, &errs);
        ok = r == -EINVAL && errs.n == n && memcmp(&c, &before, sizeof(c)) == 0;
        for (size_t i = 0; ok && i < n; i++)
                ok = strcmp(errs.items[i].text, expected[i]) == 0;
        if (!ok) {
                print_error("input:\n%s\nreturned %d, output %s\n", text, r,
                            memcmp(&c, &before, sizeof(c)) == 0 ? "untouched" : "WRITTEN");
                for (size_t i = 0; i < n; i++)
                        print_error("expected: %s\n", expected[i]);
                for (size_t i = 0; i < errs.n; i++)
                        print_error("got:      %s\n", errs.items[i].text);
        }
        bd_config_errors_free(&errs);
        return ok;
}

static char *read_whole(const char *path) {
        FILE *f = fopen(path, "r");
        char *buf;
        long len;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        len = ftell(f);
        assert_true(len >= 0);
        rewind(f);
        buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        buf[len] = '\0';
        fclose(f);
        return buf;
}

/* A temporary file holding LEN bytes of DATA; its name in PATH. */
static void temp_file(char *path, size_t size, const char *data, size_t len) {
        int fd;

        snprintf(path, size, "/tmp/balloond-test-config.XXXXXX");
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(close(fd), 0);
}

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
        { "guest.blind_action", "0", "expected a string (\"hold\" or \"deflate\")",
          "\"panic\"", "\"panic\" is not a valid value (\"hold\" or \"deflate\")" },
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

/* ---- other mistakes, one message each --------------------------------------- */

static const struct {
        const char *text;
        const char *message;
} mistakes[] = {
        /* unknown keys, with a suggestion when one is near */
        { "colour = \"blue\";", "t.conf:1: colour: unknown key (see balloond.conf(5) for the keys)" },
        { "intervall_sec = 5;", "t.conf:1: intervall_sec: unknown key (did you mean interval_sec?)" },
        { "reserve_mib = 1024;", "t.conf:1: reserve_mib: unknown key (did you mean host.reserve_mib?)" },
        { "host = {\n shares = 1;\n};", "t.conf:2: host.shares: unknown key (did you mean guest.shares?)" },
        { "guest = {\n cooldwon_sec = 15;\n};",
          "t.conf:2: guest.cooldwon_sec: unknown key (did you mean guest.cooldown_sec?)" },
        { "hots = {\n reserve_mib = 1;\n};", "t.conf:1: hots: unknown key (did you mean host?)" },
        { "Host = { };", "t.conf:1: Host: unknown key (did you mean host?)" },
        { "x = 1;", "t.conf:1: x: unknown key (see balloond.conf(5) for the keys)" },
        /* groups of the wrong type */
        { "host = 5;", "t.conf:1: host: expected a group (host = { ... };)" },
        { "guest = [ 1 ];", "t.conf:1: guest: expected a group (guest = { ... };)" },
        { "metrics = ( );", "t.conf:1: metrics: expected a group (metrics = { ... };)" },
        /* strings too long */
        { "host = { psi_path = \"/"
          "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
          "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
          "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
          "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
          "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
          "1234567890123456789012345678901234567890123456789012345678901\"; };",
          "t.conf:1: host.psi_path: too long, 512 characters (an absolute path of at most 511 characters)" },
        /* integers that do not fit in 32 bits (libconfig 1.5 would truncate them) */
        { "host = {\n reserve_mib = 4294967296;\n};",
          "t.conf:2: host.reserve_mib: 4294967296 is out of range (0..16777216)" },
        { "interval_sec = 0x100000005;", "t.conf:1: interval_sec: 0x100000005 is out of range (1..3600)" },
        { "interval_sec = -4294967291;", "t.conf:1: interval_sec: -4294967291 is out of range (1..3600)" },
        { "interval_sec = 99999999999999999999;",
          "t.conf:1: interval_sec: 99999999999999999999 is out of range (1..3600)" },
        { "interval_sec = 5; stats_period_sec = 4294967298; # 2 after truncation",
          "t.conf:1: stats_period_sec: 4294967298 is out of range (1..3600)" },
        { "guest = {\n shares = 4294968296;\n};", "t.conf:2: guest.shares: 4294968296 is out of range (1..50000)" },
        { "host = {\n pressure_free_pct = 4294967316;\n};",
          "t.conf:2: host.pressure_free_pct: 4294967316 is out of range (0..100)" },
        { "interval_sec = 99999999999L;", "t.conf:1: interval_sec: 99999999999 is out of range (1..3600)" },
        { "host = { pressure_free_pct = 1e400; };", "t.conf:1: host.pressure_free_pct: inf is out of range (0..100)" },
        { "vms = ( { name = \"a\"; min_mib = 4294968320; } );",
          "t.conf:1: vms[0].min_mib: 4294968320 is out of range (1..16777216)" },
        /* classes */
        { "exclude_classes = \"database\";",
          "t.conf:1: exclude_classes: expected an array of class names ([ \"database\", ... ], at most 16)" },
        { "exclude_classes = [ \"Data Base\" ];",
          "t.conf:1: exclude_classes[0]: \"Data Base\" is not a class name (1 to 31 characters of a-z, 0-9, _ and -)" },
        { "exclude_classes = [ \"a\", \"\" ];",
          "t.conf:1: exclude_classes[1]: \"\" is not a class name (1 to 31 characters of a-z, 0-9, _ and -)" },
        { "exclude_classes = [ \"abcdefghijklmnopqrstuvwxyz012345\" ];",
          "t.conf:1: exclude_classes[0]: \"abcdefghijklmnopqrstuvwxyz012345\" is not a class name "
          "(1 to 31 characters of a-z, 0-9, _ and -)" },
        { "exclude_classes = ( \"db\",\n 5 );",
          "t.conf:2: exclude_classes[1]: expected a string (a class name: 1 to 31 characters of a-z, 0-9, _ and -)" },
        { "exclude_classes = [ \"c1\", \"c2\", \"c3\", \"c4\", \"c5\", \"c6\", \"c7\", \"c8\", \"c9\", \"c10\", "
          "\"c11\", \"c12\", \"c13\", \"c14\", \"c15\", \"c16\", \"c17\" ];",
          "t.conf:1: exclude_classes: 17 classes, too many (at most 16)" },
        /* rules */
        { "vms = 1;", "t.conf:1: vms: expected a list of rules (( { name = \"...\"; ... }, ... ), at most 256)" },
        { "vms = [ 1 ];", "t.conf:1: vms: expected a list of rules (( { name = \"...\"; ... }, ... ), at most 256)" },
        { "vms = ( 5 );", "t.conf:1: vms[0]: expected a group ({ name = \"...\"; ... })" },
        { "vms = ( { min_mib = 512; } );", "t.conf:1: vms[0]: has neither name nor uuid (exactly one of them)" },
        { "vms = ( { name = \"a\"; uuid = \"6c1c0a7e-1a2b-4c3d-8e4f-000000000001\"; } );",
          "t.conf:1: vms[0]: has both name and uuid (exactly one of them)" },
        { "vms = ( { uuid = \"not-a-uuid\"; } );",
          "t.conf:1: vms[0].uuid: \"not-a-uuid\" is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)" },
        { "vms = ( { uuid = \"6c1c0a7e-1a2b-4c3d-8e4f-00000000000g\"; } );",
          "t.conf:1: vms[0].uuid: \"6c1c0a7e-1a2b-4c3d-8e4f-00000000000g\" is not a UUID "
          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)" },
        { "vms = ( { uuid = \"6c1c0a7e1a2b-4c3d-8e4f-000000000001-\"; } );",
          "t.conf:1: vms[0].uuid: \"6c1c0a7e1a2b-4c3d-8e4f-000000000001-\" is not a UUID "
          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)" },
        { "vms = ( { uuid = 5; } );",
          "t.conf:1: vms[0].uuid: expected a UUID (a string: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)" },
        { "vms = ( { name = \"\"; } );",
          "t.conf:1: vms[0].name: expected a name or shell glob (a string of 1 to 127 characters)" },
        { "vms = ( { name = \"a\"; },\n { name = \"b\"; min_mib = 0; } );",
          "t.conf:2: vms[1].min_mib: 0 is out of range (1..16777216)" },
        { "vms = ( { name = \"a\"; max_mib = \"8G\"; } );", "t.conf:1: vms[0].max_mib: expected an integer (1..16777216)" },
        { "vms = ( { name = \"a\";\n min_mib = 4096;\n max_mib = 1024; } );",
          "t.conf:2: vms[0].min_mib: 4096 is above max_mib 1024 (1..1024)" },
        { "vms = ( { name = \"a\"; shares = 60000; } );", "t.conf:1: vms[0].shares: 60000 is out of range (1..50000)" },
        { "vms = ( { name = \"a\"; shares = 1.5; } );", "t.conf:1: vms[0].shares: expected an integer (1..50000)" },
        { "vms = ( { name = \"a\"; exclude = \"yes\"; } );",
          "t.conf:1: vms[0].exclude: expected a boolean (true or false)" },
        { "vms = ( { name = \"a\"; class = \"DB\"; } );",
          "t.conf:1: vms[0].class: \"DB\" is not a class name (1 to 31 characters of a-z, 0-9, _ and -)" },
        { "vms = ( { name = \"a\"; size = 1; } );",
          "t.conf:1: vms[0].size: unknown key (name, uuid, min_mib, max_mib, shares, exclude, class)" },
        { "vms = ( { name = \"db-*\"; }, { name = \"web\"; },\n { name = \"db-*\"; shares = 5; } );",
          "t.conf:2: vms[2].name: \"db-*\" repeats vms[0], which always wins (a name or uuid in one rule only)" },
        { "vms = ( { uuid = \"6c1c0a7e-1a2b-4c3d-8e4f-00000000000a\"; },\n"
          " { uuid = \"6C1C0A7E-1A2B-4C3D-8E4F-00000000000A\"; } );",
          "t.conf:2: vms[1].uuid: \"6C1C0A7E-1A2B-4C3D-8E4F-00000000000A\" repeats vms[0], which always wins "
          "(a name or uuid in one rule only)" },
        /* relations between the bands */
        { "host = {\n critical_free_pct = 25.0;\n};",
          "t.conf:2: host.critical_free_pct: 25 is not below pressure_free_pct 20 (0 to below 20)" },
        { "host = {\n relaxed_free_pct = 15;\n};",
          "t.conf:2: host.relaxed_free_pct: 15 is not above pressure_free_pct 20 (above 20, up to 100)" },
        { "host = {\n pressure_free_pct = 35;\n};",
          "t.conf:2: host.pressure_free_pct: 35 is not below relaxed_free_pct 30 (above 5, below 30)" },
        { "host = {\n pressure_free_pct = 4;\n};",
          "t.conf:2: host.pressure_free_pct: 4 is not above critical_free_pct 5 (above 5, below 30)" },
        { "host = {\n critical_free_pct = 5;\n pressure_free_pct = 25;\n relaxed_free_pct = 22;\n};",
          "t.conf:3: host.pressure_free_pct: 25 is not below relaxed_free_pct 22 (above 5, below 22)" },
        { "host = {\n pressure_free_pct = 6;\n};",
          "t.conf:2: host.pressure_free_pct: 6 leaves a band of 1 above critical_free_pct 5, not wider than "
          "hysteresis_pct 2 (above 7, below 28)" },
        { "host = {\n hysteresis_pct = 10;\n};",
          "t.conf:2: host.hysteresis_pct: 10 is not below the narrowest band, 10 wide (0 to below 10)" },
        { "host = {\n critical_free_pct = 19;\n};",
          "t.conf:2: host.critical_free_pct: 19 leaves a band of 1 below pressure_free_pct 20, not wider than "
          "hysteresis_pct 2 (0 to below 18)" },
        { "host = {\n relaxed_free_pct = 21;\n};",
          "t.conf:2: host.relaxed_free_pct: 21 leaves a band of 1 above pressure_free_pct 20, not wider than "
          "hysteresis_pct 2 (above 22, up to 100)" },
        /* the hysteresis changed, the bands written at their defaults: blame the change */
        { "host = {\n critical_free_pct = 5.0;\n pressure_free_pct = 20.0;\n relaxed_free_pct = 30.0;\n"
          " hysteresis_pct = 12;\n};",
          "t.conf:5: host.hysteresis_pct: 12 is not below the narrowest band, 10 wide (0 to below 10)" },
        /* syntax, includes, */
        { "interval_sec = ;", "t.conf:1: syntax error: syntax error" },
        { "vms = (\n { name = \"a\"; }\n { name = \"b\"; }\n);", "t.conf:3: syntax error: syntax error" },
        { "interval_sec = 5;\ninterval_sec = 6;", "t.conf:2: syntax error: duplicate setting name" },
        { "@include \"/etc/passwd\"\n", "t.conf:1: @include: not supported (every setting in this one file)" },
};

static void test_mistakes(void **state) {
        bool ok = true;

        (void)state;
        for (size_t i = 0; i < N_ELEMS(mistakes); i++) {
                const char *expected[1] = { mistakes[i].message };

                ok &= expect_errors(mistakes[i].text, expected, 1);
        }
        assert_true(ok);
}

/* Rules over the limit: every rule is still checked. */
static void test_too_many_rules(void **state) {
        size_t size = 64 * (BD_MAX_RULES + 2), len = 0;
        char *text = malloc(size);
        const char *expected[] = {
                "t.conf:1: vms: 257 rules, too many (at most 256)",
                "t.conf:257: vms[256].shares: 0 is out of range (1..50000)",
        };

        (void)state;
        assert_non_null(text);
        len += (size_t)snprintf(text + len, size - len, "vms = (");
        for (int i = 0; i <= BD_MAX_RULES; i++)
                len += (size_t)snprintf(text + len, size - len, "%s{ name = \"vm%d\"; shares = %d; }", i ? ",\n" : "",
                                        i, i == BD_MAX_RULES ? 0 : 1);
        snprintf(text + len, size - len, " );\n");
        assert_true(expect_errors(text, expected, N_ELEMS(expected)));
        free(text);
}

/* Every problem at once, in the order of the file, relations included. */
static void test_every_error_at_once(void **state) {
        static const char text[] = "interval_sec = 0;\n"                      /* 1 */
                                   "colour = \"blue\";\n"                     /* 2 */
                                   "host = {\n"                               /* 3 */
                                   "  critical_free_pct = 25.0;\n"            /* 4: relation */
                                   "  reserve_mib = \"lots\";\n"              /* 5 */
                                   "};\n"                                     /* 6 */
                                   "guest = {\n"                              /* 7 */
                                   "  shrink_pct = 250;\n"                    /* 8 */
                                   "  check_stats_age = 1;\n"                 /* 9 */
                                   "};\n"                                     /* 10 */
                                   "exclude_classes = [ \"ok\", \"Not OK\" ];\n" /* 11 */
                                   "vms = (\n"                                /* 12 */
                                   "  { name = \"a\"; min_mib = 0; },\n"      /* 13 */
                                   "  { uuid = \"nope\"; class = \"DB\"; }\n" /* 14 */
                                   ");\n";
        const char *expected[] = {
                "t.conf:1: interval_sec: 0 is out of range (1..3600)",
                "t.conf:2: colour: unknown key (see balloond.conf(5) for the keys)",
                "t.conf:4: host.critical_free_pct: 25 is not below pressure_free_pct 20 (0 to below 20)",
                "t.conf:5: host.reserve_mib: expected an integer (0..16777216)",
                "t.conf:8: guest.shrink_pct: 250 is out of range (0.1..100)",
                "t.conf:9: guest.check_stats_age: expected a boolean (true or false)",
                "t.conf:11: exclude_classes[1]: \"Not OK\" is not a class name (1 to 31 characters of a-z, 0-9, _ and -)",
                "t.conf:13: vms[0].min_mib: 0 is out of range (1..16777216)",
                "t.conf:14: vms[1].uuid: \"nope\" is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)",
                "t.conf:14: vms[1].class: \"DB\" is not a class name (1 to 31 characters of a-z, 0-9, _ and -)",
        };

        (void)state;
        assert_true(expect_errors(text, expected, N_ELEMS(expected)));
}

/* A band key that is wrong on its own is reported once, not again as a
 * relation with its default. */
static void test_bad_band_key_reported_once(void **state) {
        const char *expected[] = { "t.conf:2: host.pressure_free_pct: expected a number (0..100)" };

        (void)state;
        assert_true(expect_errors("host = {\n pressure_free_pct = \"x\";\n critical_free_pct = 19;\n};", expected, 1));
}

static void test_five_mistakes(void **state) {
        static const char *const expected[] = {
                TESTS_DIR "/config/five-mistakes.conf:6: host.reserve_mib: expected an integer (0..16777216)",
                TESTS_DIR "/config/five-mistakes.conf:8: host.critical_free_pct: 25 is not below pressure_free_pct 20 "
                          "(0 to below 20)",
                TESTS_DIR "/config/five-mistakes.conf:12: guest.shrink_pct: 250 is out of range (0.1..100)",
                TESTS_DIR "/config/five-mistakes.conf:13: guest.cooldwon_sec: unknown key "
                          "(did you mean guest.cooldown_sec?)",
                TESTS_DIR "/config/five-mistakes.conf:17: vms[1].uuid: \"not-a-uuid\" is not a UUID "
                          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)",
        };
        struct bd_config c;
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_config_load(TESTS_DIR "/config/five-mistakes.conf", &c, &errs), -EINVAL);
        for (size_t i = 0; i < errs.n && errs.n != N_ELEMS(expected); i++)
                print_error("got: %s\n", errs.items[i].text);
        assert_int_equal(errs.n, N_ELEMS(expected));
        for (size_t i = 0; i < N_ELEMS(expected); i++)
                assert_string_equal(errs.items[i].text, expected[i]);
        bd_config_errors_free(&errs);
}

/* ---- files that cannot be read ------------------------------------------------- */

static void expect_read_error(const char *path, int r_expected, const char *message) {
        struct bd_config c;
        struct bd_config_errors errs = { 0 };
        int r;

        r = bd_config_load(path, &c, &errs);
        if (errs.n != 1 || strcmp(errs.items[0].text, message) != 0) {
                print_error("expected: %s\n", message);
                for (size_t i = 0; i < errs.n; i++)
                        print_error("got:      %s\n", errs.items[i].text);
                fail();
        }
        assert_int_equal(r, r_expected);
        bd_config_errors_free(&errs);
}

static void test_missing_file(void **state) {
        (void)state;
        expect_read_error("/nonexistent/balloond.conf", -ENOENT,
                          "/nonexistent/balloond.conf: cannot read: No such file or directory");
        expect_read_error(TESTS_DIR "/config", -EISDIR, TESTS_DIR "/config: cannot read: Is a directory");
        expect_read_error(TESTS_DIR "/config/good.conf/x", -ENOTDIR,
                          TESTS_DIR "/config/good.conf/x: cannot read: Not a directory");
}

static void test_unreadable_file(void **state) {
        char path[64], message[128];
        bool dropped = false;

        (void)state;
        temp_file(path, sizeof(path), "interval_sec = 5;\n", 18);
        assert_int_equal(chmod(path, 0), 0);
        if (geteuid() == 0) {
                /* root reads anything: act as nobody for the file system
                 * (a non-zero fsuid drops CAP_DAC_OVERRIDE). */
                setfsuid(65534);
                dropped = setfsuid(65534) == 65534;
                assert_true(dropped);
        }
        snprintf(message, sizeof(message), "%s: cannot read: Permission denied", path);
        expect_read_error(path, -EACCES, message);
        if (dropped)
                setfsuid(0);
        assert_int_equal(unlink(path), 0);
}

static void test_binary_and_huge_files(void **state) {
        static const char with_nul[] = "interval_sec = 5;\n\0host = { };\n";
        char path[64], message[160], *big;
        size_t big_len = 1024 * 1024 + 1;

        (void)state;
        temp_file(path, sizeof(path), with_nul, sizeof(with_nul) - 1);
        snprintf(message, sizeof(message), "%s:2: syntax error: a NUL byte (a configuration file is text)", path);
        expect_read_error(path, -EINVAL, message);
        assert_int_equal(unlink(path), 0);

        big = malloc(big_len);
        assert_non_null(big);
        memset(big, '\n', big_len);
        temp_file(path, sizeof(path), big, big_len);
        snprintf(message, sizeof(message), "%s: cannot read: File too large (at most 1 MiB)", path);
        expect_read_error(path, -EFBIG, message);
        assert_int_equal(unlink(path), 0);
        /* One byte less is fine. */
        temp_file(path, sizeof(path), big, big_len - 1);
        {
                struct bd_config c;

                assert_int_equal(bd_config_load(path, &c, NULL), 0);
        }
        assert_int_equal(unlink(path), 0);
        free(big);
}

/* Without a list for the errors, the return value still tells. */
static void test_null_error_list(void **state) {
        struct bd_config c;

        (void)state;
        assert_int_equal(bd_config_load_string("interval_sec = 0;", "t.conf", &c, NULL), -EINVAL);
        assert_int_equal(bd_config_load_string("interval_sec = 9;", "t.conf", &c, NULL), 0);
        assert_int_equal(c.interval_usec, 9 * SEC);
        assert_int_equal(bd_config_load("/nonexistent/balloond.conf", &c, NULL), -ENOENT);
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

/* ---- per-VM settings ------------------------------------------------------------- */

static const char rules_text[] =
        "exclude_classes = [ \"database\", \"latency-critical\" ];\n"
        "guest = { min_mib = 512; shares = 700; };\n"
        "vms = (\n"
        "  { name = \"db-*\"; class = \"database\"; },\n"                                        /* 0 */
        "  { uuid = \"6C1C0A7E-1A2B-4C3D-8E4F-000000000001\"; min_mib = 2048; max_mib = 8192; shares = 3000; },\n" /* 1 */
        "  { name = \"pg-special\"; class = \"database\"; exclude = false; },\n"                /* 2 */
        "  { name = \"build-?\"; exclude = true; },\n"                                         /* 3 */
        "  { name = \"web*\"; shares = 1500; },\n"                                             /* 4 */
        "  { name = \"web1\"; shares = 9; },\n"                                                /* 5: web* wins */
        "  { name = \"meta-*\"; min_mib = 1024; },\n"                                          /* 6 */
        "  { name = \"keep-*\"; exclude = false; },\n"                                         /* 7 */
        "  { name = \"batch-[0-9]\"; class = \"batch\"; }\n"                                  /* 8 */
        ");\n";

static const struct {
        const char *name, *uuid, *metadata_class;
        int rule; /* -1: none */
        bool excluded, by_class;
        const char *class_tag;
        uint64_t min_mib, max_mib;
        int shares;
} vm_cases[] = {
        { "db-orders", "00000000-0000-4000-8000-000000000001", "", 0, true, true, "database", 512, 0, 700 },
        /* globs are case-sensitive, like shell globs */
        { "DB-orders", "00000000-0000-4000-8000-000000000001", "", -1, false, false, "", 512, 0, 700 },
        /* a UUID in another case; the rule's settings */
        { "web1", "6c1c0a7e-1a2b-4c3d-8e4f-000000000001", "", 1, false, false, "", 2048, 8192, 3000 },
        /* the first match wins: web* before web1 */
        { "web1", "00000000-0000-4000-8000-000000000002", "", 4, false, false, "", 512, 0, 1500 },
        /* exclude = false overrides the class */
        { "pg-special", "00000000-0000-4000-8000-000000000003", "", 2, false, false, "database", 512, 0, 700 },
        { "build-7", "00000000-0000-4000-8000-000000000004", "", 3, true, false, "", 512, 0, 700 },
        { "build-17", "00000000-0000-4000-8000-000000000004", "", -1, false, false, "", 512, 0, 700 },
        /* the class from the VM's metadata when the rule sets none */
        { "meta-x", "00000000-0000-4000-8000-000000000005", "latency-critical", 6, true, true, "latency-critical",
          1024, 0, 700 },
        { "keep-1", "00000000-0000-4000-8000-000000000006", "database", 7, false, false, "database", 512, 0, 700 },
        { "other", "00000000-0000-4000-8000-000000000007", "database", -1, true, true, "database", 512, 0, 700 },
        { "other", "00000000-0000-4000-8000-000000000007", "batch", -1, false, false, "batch", 512, 0, 700 },
        /* the rule's class over the metadata's, both ways */
        { "batch-3", "00000000-0000-4000-8000-000000000008", "database", 8, false, false, "batch", 512, 0, 700 },
        { "db-1", "00000000-0000-4000-8000-000000000009", "batch", 0, true, true, "database", 512, 0, 700 },
};

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
        bool ok = true;

        (void)state;
        load_ok(rules_text, &c);
        assert_int_equal(c.n_rules, 9);
        for (size_t i = 0; i < N_ELEMS(vm_cases); i++) {
                struct bd_vm_sample s = vm(vm_cases[i].name, vm_cases[i].uuid, vm_cases[i].metadata_class);
                const struct bd_rule *want_rule = vm_cases[i].rule < 0 ? NULL : &c.rules[vm_cases[i].rule];
                struct bd_vm_settings set;

                bd_config_vm_settings(&c, &s, &set);
                if (set.rule != want_rule || set.excluded != vm_cases[i].excluded ||
                    set.excluded_by_class != vm_cases[i].by_class ||
                    strcmp(set.class_tag, vm_cases[i].class_tag) != 0 || set.min_kib != vm_cases[i].min_mib * MIB ||
                    set.max_kib != vm_cases[i].max_mib * MIB || set.shares != vm_cases[i].shares) {
                        print_error("case %zu (%s %s %s): rule %td excluded %d by_class %d class \"%s\" min %llu "
                                    "max %llu shares %d\n",
                                    i, vm_cases[i].name, vm_cases[i].uuid, vm_cases[i].metadata_class,
                                    set.rule ? set.rule - c.rules : -1, set.excluded, set.excluded_by_class,
                                    set.class_tag, (unsigned long long)set.min_kib, (unsigned long long)set.max_kib,
                                    set.shares);
                        ok = false;
                }
        }
        assert_true(ok);
}

static void test_vm_settings_without_rules(void **state) {
        struct bd_config c;
        struct bd_vm_settings set;
        struct bd_vm_sample s = vm("pg1", "00000000-0000-4000-8000-000000000001", "database");

        (void)state;
        /* The compiled defaults exclude databases. */
        bd_config_defaults(&c);
        bd_config_vm_settings(&c, &s, &set);
        assert_true(set.excluded && set.excluded_by_class);
        assert_null(set.rule);
        assert_int_equal(set.min_kib, 0);
        assert_int_equal(set.max_kib, 0);
        assert_int_equal(set.shares, 1000);
        /* With no excluded classes, nothing is. */
        load_ok("exclude_classes = [ ];", &c);
        bd_config_vm_settings(&c, &s, &set);
        assert_false(set.excluded || set.excluded_by_class);
        assert_string_equal(set.class_tag, "database");
        /* No class at all. */
        s = vm("plain", "00000000-0000-4000-8000-000000000002", "");
        bd_config_defaults(&c);
        bd_config_vm_settings(&c, &s, &set);
        assert_false(set.excluded);
        assert_string_equal(set.class_tag, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_empty_file_is_the_defaults),
                cmocka_unit_test(test_good_file),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_every_key_type_and_range),
                cmocka_unit_test(test_every_key_is_covered),
                cmocka_unit_test(test_mistakes),
                cmocka_unit_test(test_too_many_rules),
                cmocka_unit_test(test_every_error_at_once),
                cmocka_unit_test(test_bad_band_key_reported_once),
                cmocka_unit_test(test_five_mistakes),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_unreadable_file),
                cmocka_unit_test(test_binary_and_huge_files),
                cmocka_unit_test(test_null_error_list),
                cmocka_unit_test(test_shipped_file_is_the_defaults),
                cmocka_unit_test(test_vm_settings),
                cmocka_unit_test(test_vm_settings_without_rules),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
