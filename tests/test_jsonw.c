/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The streaming JSON writer: what it writes parses back (json-c) to what
 * was written, whatever the strings hold, pretty or not. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "balloond/core/jsonw.h"

static const char *const hostile[] = {
        "plain", "", "quote\"inside", "back\\slash", "new\nline", "tab\tand\rcr",
        "\x01\x02\x1f control", "caf\xc3\xa9 \xe2\x98\x83", "</script>", "{\"not\": \"json\"}",
};

static char *write_doc(bool pretty, size_t *len) {
        struct bd_buf b;
        struct bd_jw w;

        bd_buf_init(&b);
        bd_jw_init(&w, &b, pretty);
        bd_jw_object_begin(&w);
        bd_jw_key(&w, "strings");
        bd_jw_array_begin(&w);
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
                bd_jw_string(&w, hostile[i]);
        bd_jw_array_end(&w);
        bd_jw_key(&w, "empty_array");
        bd_jw_array_begin(&w);
        bd_jw_array_end(&w);
        bd_jw_key(&w, "empty_object");
        bd_jw_object_begin(&w);
        bd_jw_object_end(&w);
        bd_jw_key(&w, "u64_max");
        bd_jw_u64(&w, UINT64_MAX);
        bd_jw_key(&w, "i64_min");
        bd_jw_i64(&w, INT64_MIN);
        bd_jw_key(&w, "zero");
        bd_jw_u64(&w, 0);
        bd_jw_key(&w, "pct");
        bd_jw_double(&w, 13.25);
        bd_jw_key(&w, "nan");
        bd_jw_double(&w, NAN);
        bd_jw_key(&w, "inf");
        bd_jw_double(&w, INFINITY);
        bd_jw_key(&w, "yes");
        bd_jw_bool(&w, true);
        bd_jw_key(&w, "no");
        bd_jw_bool(&w, false);
        bd_jw_key(&w, "nothing");
        bd_jw_null(&w);
        bd_jw_key(&w, "nested");
        bd_jw_array_begin(&w);
        bd_jw_object_begin(&w);
        bd_jw_key(&w, "k\"ey");
        bd_jw_i64(&w, -5);
        bd_jw_object_end(&w);
        bd_jw_object_begin(&w);
        bd_jw_object_end(&w);
        bd_jw_array_end(&w);
        bd_jw_object_end(&w);
        return bd_buf_take(&b, len);
}

static void check_doc(bool pretty) {
        size_t len;
        char *text = write_doc(pretty, &len);
        enum json_tokener_error jerr;
        json_object *root, *v, *o;

        root = json_tokener_parse_verbose(text, &jerr);
        if (!root)
                fail_msg("not JSON (%s):\n%s", json_tokener_error_desc(jerr), text);
        assert_true(json_object_object_get_ex(root, "strings", &v));
        assert_int_equal(json_object_array_length(v), sizeof(hostile) / sizeof(hostile[0]));
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
                assert_string_equal(json_object_get_string(json_object_array_get_idx(v, i)), hostile[i]);
        assert_true(json_object_object_get_ex(root, "empty_array", &v));
        assert_int_equal(json_object_array_length(v), 0);
        assert_true(json_object_object_get_ex(root, "empty_object", &v));
        assert_int_equal(json_object_object_length(v), 0);
        assert_true(json_object_object_get_ex(root, "u64_max", &v));
        assert_true(json_object_get_uint64(v) == UINT64_MAX);
        assert_true(json_object_object_get_ex(root, "i64_min", &v));
        assert_true(json_object_get_int64(v) == INT64_MIN);
        assert_true(json_object_object_get_ex(root, "zero", &v));
        assert_int_equal(json_object_get_int64(v), 0);
        assert_true(json_object_object_get_ex(root, "pct", &v));
        assert_true(json_object_get_double(v) == 13.25);
        assert_true(json_object_object_get_ex(root, "nan", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(root, "inf", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(root, "yes", &v));
        assert_true(json_object_get_boolean(v));
        assert_true(json_object_object_get_ex(root, "no", &v));
        assert_false(json_object_get_boolean(v));
        assert_true(json_object_object_get_ex(root, "nothing", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(root, "nested", &v));
        assert_int_equal(json_object_array_length(v), 2);
        assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 0), "k\"ey", &o));
        assert_int_equal(json_object_get_int64(o), -5);
        assert_int_equal(json_object_object_length(root), 13);
        /* Pretty is lines and indents; plain is one line. */
        assert_true(pretty ? strchr(text, '\n') != NULL : strchr(text, '\n') == NULL);
        json_object_put(root);
        free(text);
}

static void test_plain(void **state) {
        (void)state;
        check_doc(false);
}

static void test_pretty(void **state) {
        (void)state;
        check_doc(true);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_pretty),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
