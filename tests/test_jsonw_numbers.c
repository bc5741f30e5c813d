/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON writer's numbers and the text buffer under it: a double is
 * written exactly as printf's %.15g writes it (whole numbers take a path
 * without printf, which must not change a byte), integers at their limits,
 * and a buffer grown past many reallocations. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/buf.h"
#include "balloond/core/jsonw.h"

/* V as bd_jw_double writes it, alone in an array: "[V]". */
static char *jw_double(double v) {
        struct bd_buf b;
        struct bd_jw w;

        bd_buf_init(&b);
        bd_jw_init(&w, &b, false);
        bd_jw_array_begin(&w);
        bd_jw_double(&w, v);
        bd_jw_array_end(&w);
        return bd_buf_take(&b, NULL);
}

static void test_double_as_printf(void **state) {
        static const double values[] = {
                0.0, -0.0, 1.0, -1.0, 100.0, 0.5, -0.25, 13.25, 1e-7, 1.98145273771359e-06, 93.7385591978863,
                1270116.44575913, 123456789012345.0, -123456789012345.0, 999999999999999.0, -999999999999999.0,
                1e15, -1e15, 1e15 + 2, 9007199254740992.0, 1e300, -1e300, 4294967296.0, 1e14 + 0.5, 5e-324,
        };

        (void)state;
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                char want[64];
                char *got = jw_double(values[i]);

                snprintf(want, sizeof(want), "[%.15g]", values[i]);
                assert_string_equal(got, want);
                free(got);
        }
        for (int i = -100000; i <= 100000; i += 7) {
                char want[64];
                double v = (double)i * 1024.0 + (i % 3 ? 0.0 : 0.125);
                char *got = jw_double(v);

                snprintf(want, sizeof(want), "[%.15g]", v);
                assert_string_equal(got, want);
                free(got);
        }
}

static void test_not_finite_is_null(void **state) {
        const double values[] = {NAN, INFINITY, -INFINITY};

        (void)state;
        for (size_t i = 0; i < 3; i++) {
                char *got = jw_double(values[i]);

                assert_string_equal(got, "[null]");
                free(got);
        }
}

static void test_integers(void **state) {
        struct bd_buf b;
        char *text;
        size_t len;

        (void)state;
        bd_buf_init(&b);
        bd_buf_u64(&b, 0);
        bd_buf_putc(&b, ' ');
        bd_buf_u64(&b, UINT64_MAX);
        bd_buf_putc(&b, ' ');
        bd_buf_i64(&b, INT64_MIN);
        bd_buf_putc(&b, ' ');
        bd_buf_i64(&b, INT64_MAX);
        bd_buf_putc(&b, ' ');
        bd_buf_i64(&b, -1);
        bd_buf_printf(&b, " %s=%d", "x", 42);
        text = bd_buf_take(&b, &len);
        assert_string_equal(text, "0 18446744073709551615 -9223372036854775808 9223372036854775807 -1 x=42");
        assert_int_equal(len, strlen(text));
        free(text);
}

/* Every digit count, and the values around each power of ten. */
static void test_u64_as_printf(void **state) {
        uint64_t p = 1;

        (void)state;
        for (int k = 0; k < 20; k++, p *= 10)
                for (uint64_t v = p > 200 ? p - 200 : 0; v < p + 200; v++) {
                        struct bd_buf b;
                        char want[32], *got;

                        bd_buf_init(&b);
                        bd_buf_u64(&b, v);
                        got = bd_buf_take(&b, NULL);
                        snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
                        assert_string_equal(got, want);
                        free(got);
                }
}

/* A long text through many reallocations, by every way of appending. */
static void test_buffer_grows(void **state) {
        struct bd_buf b;
        char *text;
        size_t len, at = 0;

        (void)state;
        bd_buf_init(&b);
        text = bd_buf_take(&b, &len); /* nothing appended: an empty string */
        assert_string_equal(text, "");
        assert_int_equal(len, 0);
        free(text);
        for (int i = 0; i < 20000; i++) {
                bd_buf_putc(&b, 'a');
                bd_buf_puts(&b, "bc");
                bd_buf_printf(&b, "%05d", i);
                bd_buf_put(&b, "xyz", 2);
        }
        text = bd_buf_take(&b, &len);
        assert_int_equal(len, 20000 * 10);
        for (int i = 0; i < 20000; i++, at += 10) {
                char want[11];

                snprintf(want, sizeof(want), "abc%05dxy", i);
                assert_memory_equal(text + at, want, 10);
        }
        assert_int_equal(text[len], '\0');
        free(text);
        assert_null(b.p);
        bd_buf_free(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_double_as_printf),
                cmocka_unit_test(test_not_finite_is_null),
                cmocka_unit_test(test_integers),
                cmocka_unit_test(test_u64_as_printf),
                cmocka_unit_test(test_buffer_grows),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
