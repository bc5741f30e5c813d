/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-UUID index (src/core/uuid_index.c) and which VMs balloond never
 * manages (bd_policy_never_managed: their stats period is not armed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/config.h"
#include "balloond/core/policy.h"
#include "balloond/core/uuid_index.h"

static void uuid_of(size_t i, char out[BD_UUID_LEN + 1]) {
        snprintf(out, BD_UUID_LEN + 1, "00000000-0000-4000-8000-%012zu", i);
}

static void index_finds_what_was_put(void **state) {
        struct bd_uuid_index ix = { 0 };
        char u[BD_UUID_LEN + 1];

        (void)state;
        assert_int_equal(bd_uuid_index_find(&ix, "nothing"), BD_UUID_NONE);
        for (size_t i = 0; i < 10000; i++) { /* grows from empty */
                uuid_of(i, u);
                bd_uuid_index_put(&ix, u, i * 3);
        }
        assert_int_equal(ix.n, 10000);
        assert_true(ix.size >= 2 * ix.n);
        for (size_t i = 0; i < 10000; i++) {
                uuid_of(i, u);
                assert_int_equal(bd_uuid_index_find(&ix, u), i * 3);
        }
        uuid_of(10000, u);
        assert_int_equal(bd_uuid_index_find(&ix, u), BD_UUID_NONE);
        /* Case does not matter; a second put moves the entry. */
        assert_int_equal(bd_uuid_index_find(&ix, "00000000-0000-4000-8000-000000000007"), 21);
        bd_uuid_index_put(&ix, "ABCDEF00-0000-4000-8000-000000000000", 1);
        assert_int_equal(bd_uuid_index_find(&ix, "abcdef00-0000-4000-8000-000000000000"), 1);
        bd_uuid_index_put(&ix, "abcdef00-0000-4000-8000-000000000000", 2);
        assert_int_equal(bd_uuid_index_find(&ix, "ABCDEF00-0000-4000-8000-000000000000"), 2);
        assert_int_equal(ix.n, 10001);
        bd_uuid_index_clear(&ix, 4);
        assert_int_equal(ix.n, 0);
        assert_int_equal(bd_uuid_index_find(&ix, u), BD_UUID_NONE);
        bd_uuid_index_free(&ix);
        assert_int_equal(bd_uuid_index_find(&ix, u), BD_UUID_NONE);
}

static struct bd_vm_sample vm(const char *name, unsigned flags, const char *class_tag) {
        struct bd_vm_sample s;

        bd_vm_sample_init(&s);
        snprintf(s.name, sizeof(s.name), "%s", name);
        uuid_of(1, s.uuid);
        snprintf(s.class_tag, sizeof(s.class_tag), "%s", class_tag);
        s.flags = flags;
        s.state = BD_RUN_PAUSED; /* the state does not matter */
        return s;
}

static void never_managed(void **state) {
        struct bd_config cfg;
        struct bd_config_errors errs = { 0 };
        struct bd_vm_sample s;

        (void)state;
        assert_int_equal(bd_config_load_string("vms = ( { name = \"legacy-*\"; exclude = true; } );", "test", &cfg,
                                               &errs), 0);
        bd_config_errors_free(&errs);
        s = vm("web1", 0, "");
        assert_false(bd_policy_never_managed(&cfg, &s));
        s = vm("web1", BD_VM_NO_FREE_PAGE_REPORTING | BD_VM_AUTODEFLATE, "");
        assert_false(bd_policy_never_managed(&cfg, &s));
        s = vm("pg1", 0, "database"); /* excluded_classes = ["database"] by default */
        assert_true(bd_policy_never_managed(&cfg, &s));
        s = vm("legacy-1", 0, "");
        assert_true(bd_policy_never_managed(&cfg, &s));
        s = vm("gpu1", BD_VM_VFIO, "");
        assert_true(bd_policy_never_managed(&cfg, &s));
        s = vm("tagged", BD_VM_TAG_EXCLUDE, "");
        assert_true(bd_policy_never_managed(&cfg, &s));
        s = vm("big", BD_VM_HUGEPAGES, "");
        assert_true(bd_policy_never_managed(&cfg, &s));
        s = vm("nob", BD_VM_NO_BALLOON, "");
        assert_true(bd_policy_never_managed(&cfg, &s));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(index_finds_what_was_put),
                cmocka_unit_test(never_managed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
