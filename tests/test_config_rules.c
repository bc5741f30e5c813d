/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration: per-VM rules (vms) and the settings they give a VM. */
#include "config_test.h"

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
                cmocka_unit_test(test_vm_settings),
                cmocka_unit_test(test_vm_settings_without_rules),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
