/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration: the other mistakes (unknown keys, rules, classes, relations
 * between keys, syntax), one message each, and files that cannot be read. */
#include "config_test.h"

/* ---- other mistakes, one message each --------------------------------------- */

/* What a bare "syntax error" from libconfig is told with. */
#define SYNTAX_HINT \
        "(or the line before it): a setting is name = value; strings in double quotes, groups in { }, " \
        "list and array elements separated by commas"

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
        { "interval_sec = ;", "t.conf:1: syntax error: cannot read 'interval_sec = ;' " SYNTAX_HINT },
        { "vms = (\n { name = \"a\"; }\n { name = \"b\"; }\n);",
          "t.conf:3: syntax error: cannot read '{ name = \"b\"; }' " SYNTAX_HINT },
        { "interval_sec = 5;\ninterval_sec = 6;", "t.conf:2: syntax error: duplicate setting name: 'interval_sec = 6;'" },
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mistakes),
                cmocka_unit_test(test_too_many_rules),
                cmocka_unit_test(test_every_error_at_once),
                cmocka_unit_test(test_bad_band_key_reported_once),
                cmocka_unit_test(test_five_mistakes),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_unreadable_file),
                cmocka_unit_test(test_binary_and_huge_files),
                cmocka_unit_test(test_null_error_list),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
