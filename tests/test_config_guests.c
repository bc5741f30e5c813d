/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest-safety keys (guest.burst_half_life_sec, burst_max_mib,
 * emergency_hold_sec, foreign_hold_sec, deflate_to_entitled): defaults, a
 * file that sets them, and their errors naming file, line and range (the
 * type and range messages of every key are in test_config.c's table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/config.h"
#include "balloond/core/units.h"

static void test_defaults(void **state) {
        struct bd_config c;

        (void)state;
        bd_config_defaults(&c);
        assert_int_equal(c.burst_half_life_usec, 14400 * USEC_PER_SEC);
        assert_int_equal(c.burst_max_kib, 4096 * MIB);
        assert_int_equal(c.emergency_hold_usec, 1800 * USEC_PER_SEC);
        assert_int_equal(c.foreign_hold_usec, 1800 * USEC_PER_SEC);
        assert_true(c.deflate_to_entitled);
}

static void test_set(void **state) {
        struct bd_config c;
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_config_load_string("guest = { burst_half_life_sec = 600; burst_max_mib = 0;\n"
                                               "  emergency_hold_sec = 0; foreign_hold_sec = 86400;\n"
                                               "  deflate_to_entitled = false; };\n",
                                               "g.conf", &c, &errs),
                         0);
        assert_int_equal(errs.n, 0);
        assert_int_equal(c.burst_half_life_usec, 600 * USEC_PER_SEC);
        assert_int_equal(c.burst_max_kib, 0);
        assert_int_equal(c.emergency_hold_usec, 0);
        assert_int_equal(c.foreign_hold_usec, 86400 * USEC_PER_SEC);
        assert_false(c.deflate_to_entitled);
        bd_config_errors_free(&errs);
}

static void test_errors_say_where(void **state) {
        struct bd_config c;
        struct bd_config_errors errs = { 0 };

        (void)state;
        assert_int_equal(bd_config_load_string("guest = {\n  burst_half_life_sec = 0;\n  burst_max_mib = -5;\n"
                                               "  deflate_to_entitled = \"yes\";\n};\n",
                                               "g.conf", &c, &errs),
                         -22);
        assert_int_equal(errs.n, 3);
        assert_string_equal(errs.items[0].text, "g.conf:2: guest.burst_half_life_sec: 0 is out of range (60..604800)");
        assert_string_equal(errs.items[1].text, "g.conf:3: guest.burst_max_mib: -5 is out of range (0..16777216)");
        assert_string_equal(errs.items[2].text,
                            "g.conf:4: guest.deflate_to_entitled: expected a boolean (true or false)");
        bd_config_errors_free(&errs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_set),
                cmocka_unit_test(test_errors_say_where),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
