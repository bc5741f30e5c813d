/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stats conversion: bulk records and per-domain memory stats to samples;
 * missing and -1 / 2^64-1 values, units, wrong types, states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/stats.h"

#define P_ULL(f, x) { .field = f, .type = BD_PARAM_ULLONG, .v.u = (x) }
#define P_LL(f, x) { .field = f, .type = BD_PARAM_LLONG, .v.i = (x) }
#define P_INT(f, x) { .field = f, .type = BD_PARAM_INT, .v.i = (x) }
#define P_UINT(f, x) { .field = f, .type = BD_PARAM_UINT, .v.u = (x) }
#define P_STR(f, x) { .field = f, .type = BD_PARAM_STRING, .v.s = (x) }

static void test_bulk_record(void **state) {
        const struct bd_param p[] = {
                P_INT("state.state", 1),          P_INT("state.reason", 1),
                P_ULL("balloon.current", 1048576), P_ULL("balloon.maximum", 2097152),
                P_ULL("balloon.swap_in", 10),     P_ULL("balloon.swap_out", 20),
                P_ULL("balloon.major_fault", 30), P_ULL("balloon.minor_fault", 999),
                P_ULL("balloon.unused", 500000),  P_ULL("balloon.available", 1000000),
                P_ULL("balloon.usable", 600000),  P_ULL("balloon.disk_caches", 70000),
                P_ULL("balloon.last-update", 1790000000), P_ULL("balloon.rss", 1),
                P_STR("some.string", "x"),
        };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_params(p, sizeof(p) / sizeof(p[0]), &s), 8);
        assert_int_equal(s.state, BD_RUN_RUNNING);
        assert_int_equal(s.actual_kib, 1048576);
        assert_int_equal(s.max_kib, 2097152);
        assert_int_equal(s.swap_in_kib, 10);
        assert_int_equal(s.swap_out_kib, 20);
        assert_int_equal(s.major_faults, 30);
        assert_int_equal(s.unused_kib, 500000);
        assert_int_equal(s.available_kib, 1000000);
        assert_int_equal(s.usable_kib, 600000);
        assert_int_equal(s.disk_caches_kib, 70000);
        assert_int_equal(s.last_update_sec, 1790000000);
}

/* The test driver's bulk record: state only, no balloon fields. */
static void test_empty_balloon_record(void **state) {
        const struct bd_param p[] = { P_INT("state.state", 1), P_INT("state.reason", 0) };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_params(p, 2, &s), 0);
        assert_int_equal(s.state, BD_RUN_RUNNING);
        assert_int_equal(s.actual_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.usable_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.last_update_sec, BD_TIME_UNKNOWN);
}

static void test_missing_values(void **state) {
        const struct bd_param p[] = {
                P_ULL("balloon.usable", UINT64_MAX),  /* 2^64-1 */
                P_LL("balloon.unused", -1),           /* -1 */
                P_INT("balloon.available", -1),
                P_UINT("balloon.disk_caches", UINT32_MAX),
                P_STR("balloon.swap_in", "12"),       /* wrong type */
                { .field = "balloon.swap_out", .type = BD_PARAM_DOUBLE, .v.d = 3.0 },
                P_LL("balloon.last-update", -5),
                { .field = NULL, .type = BD_PARAM_ULLONG, .v.u = 1 },
                P_STR("state.state", "running"),
        };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_params(p, sizeof(p) / sizeof(p[0]), &s), 0);
        assert_int_equal(s.usable_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.unused_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.available_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.disk_caches_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.swap_in_kib, BD_COUNT_UNKNOWN);
        assert_int_equal(s.swap_out_kib, BD_COUNT_UNKNOWN);
        assert_int_equal(s.last_update_sec, BD_TIME_UNKNOWN);
        assert_int_equal(s.state, BD_RUN_OTHER); /* untouched */
}

static void test_memstats(void **state) {
        const struct bd_memstat m[] = {
                { BD_MEMSTAT_SWAP_IN, 0 },          { BD_MEMSTAT_SWAP_OUT, 0 },
                { BD_MEMSTAT_MAJOR_FAULT, 0 },      { BD_MEMSTAT_MINOR_FAULT, 0 },
                { BD_MEMSTAT_UNUSED, 2097152 },     { BD_MEMSTAT_AVAILABLE, 4194304 },
                { BD_MEMSTAT_ACTUAL_BALLOON, 4194304 }, { BD_MEMSTAT_USABLE, 2097152 },
                { BD_MEMSTAT_LAST_UPDATE, 627319920 }, { BD_MEMSTAT_DISK_CACHES, 524288 },
                { BD_MEMSTAT_HUGETLB_PGALLOC, 0 },  { BD_MEMSTAT_HUGETLB_PGFAIL, 0 },
                { BD_MEMSTAT_RSS, 2097152 },        { 99, 5 },
        };
        const struct bd_memstat missing[] = { { BD_MEMSTAT_USABLE, UINT64_MAX },
                                               { BD_MEMSTAT_LAST_UPDATE, UINT64_MAX } };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_memstats(m, sizeof(m) / sizeof(m[0]), &s), 8);
        assert_int_equal(s.actual_kib, 4194304);
        assert_int_equal(s.usable_kib, 2097152);
        assert_int_equal(s.available_kib, 4194304);
        assert_int_equal(s.disk_caches_kib, 524288);
        assert_int_equal(s.last_update_sec, 627319920);
        assert_int_equal(s.swap_in_kib, 0);

        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_memstats(missing, 2, &s), 0);
        assert_int_equal(s.usable_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.last_update_sec, BD_TIME_UNKNOWN);
}

/* Every integer type libvirt may use carries a value; the ones that are not
 * integers (double, boolean, string) do not. */
static void test_types(void **state) {
        const struct bd_param ok[] = {
                P_UINT("balloon.current", 1048576),     P_LL("balloon.maximum", 2097152),
                P_INT("balloon.usable", 1000),          P_UINT("balloon.unused", 2000),
                P_LL("balloon.available", 3000),        P_ULL("balloon.disk_caches", 4000),
                P_INT("balloon.swap_in", 0),            P_LL("balloon.last-update", 1700000000),
        };
        const struct bd_param bad[] = {
                { .field = "balloon.current", .type = BD_PARAM_DOUBLE, .v.d = 1048576.0 },
                { .field = "balloon.maximum", .type = BD_PARAM_BOOLEAN, .v.i = 1 },
                P_STR("balloon.usable", "1000"),
                { .field = "balloon.unused", .type = (enum bd_param_type)0, .v.u = 5 },
                { .field = "balloon.available", .type = (enum bd_param_type)99, .v.u = 5 },
                { .field = "state.state", .type = BD_PARAM_DOUBLE, .v.d = 1.0 },
                P_ULL("state.reason", 2),
        };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_params(ok, sizeof(ok) / sizeof(ok[0]), &s), 6);
        assert_int_equal(s.actual_kib, 1048576);
        assert_int_equal(s.max_kib, 2097152);
        assert_int_equal(s.usable_kib, 1000);
        assert_int_equal(s.unused_kib, 2000);
        assert_int_equal(s.available_kib, 3000);
        assert_int_equal(s.disk_caches_kib, 4000);
        assert_int_equal(s.swap_in_kib, 0);
        assert_int_equal(s.last_update_sec, 1700000000);

        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_params(bad, sizeof(bad) / sizeof(bad[0]), &s), 0);
        assert_int_equal(s.actual_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.max_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.usable_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.unused_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.available_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.state, BD_RUN_OTHER); /* a reason without a state sets nothing */
}

/* The hypervisor's own fields missing: -1 and 2^64-1 in each of them. */
static void test_missing_sizes(void **state) {
        const struct bd_param p[] = {
                P_INT("state.state", 3), P_INT("state.reason", -1),
                P_ULL("balloon.current", UINT64_MAX), P_LL("balloon.maximum", -1),
                P_ULL("balloon.last-update", (uint64_t)INT64_MAX + 1), /* not a time */
                P_ULL("balloon.major_fault", UINT64_MAX),
        };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_params(p, sizeof(p) / sizeof(p[0]), &s), 0);
        assert_int_equal(s.state, BD_RUN_PAUSED); /* a missing reason is reason 0 */
        assert_int_equal(s.actual_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.max_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.last_update_sec, BD_TIME_UNKNOWN);
        assert_int_equal(s.major_faults, BD_COUNT_UNKNOWN);
}

/* Fields absent from a record leave what the sample held; units are
 * libvirt's KiB, unchanged (no scaling by 1024 anywhere). */
static void test_absent_fields_kept(void **state) {
        const struct bd_param p[] = { P_ULL("balloon.current", 3), P_ULL("balloon.usable", 1) };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        s.state = BD_RUN_RUNNING;
        s.max_kib = 4;
        s.swap_out_kib = 9;
        assert_int_equal(bd_stats_from_params(p, 2, &s), 1);
        assert_int_equal(s.state, BD_RUN_RUNNING);
        assert_int_equal(s.max_kib, 4);
        assert_int_equal(s.swap_out_kib, 9);
        assert_int_equal(s.actual_kib, 3);
        assert_int_equal(s.usable_kib, 1);
        assert_int_equal(bd_stats_from_params(NULL, 0, &s), 0);
        assert_int_equal(s.actual_kib, 3);
}

static void test_memstats_edges(void **state) {
        const struct bd_memstat m[] = {
                { BD_MEMSTAT_USABLE, 100 },            { BD_MEMSTAT_USABLE, 200 }, /* the last one counts */
                { -1, 5 },                             { BD_MEMSTAT_LAST_UPDATE, (uint64_t)INT64_MAX + 1 },
                { BD_MEMSTAT_ACTUAL_BALLOON, UINT64_MAX }, { BD_MEMSTAT_MAJOR_FAULT, 7 },
        };
        struct bd_vm_sample s;

        (void)state;
        bd_vm_sample_init(&s);
        assert_int_equal(bd_stats_from_memstats(m, sizeof(m) / sizeof(m[0]), &s), 3);
        assert_int_equal(s.usable_kib, 200);
        assert_int_equal(s.last_update_sec, BD_TIME_UNKNOWN);
        assert_int_equal(s.actual_kib, BD_KIB_UNKNOWN);
        assert_int_equal(s.major_faults, 7);
        assert_int_equal(bd_stats_from_memstats(NULL, 0, &s), 0);
}

static void test_states(void **state) {
        (void)state;
        assert_int_equal(bd_stats_run_state(1, 1), BD_RUN_RUNNING);
        assert_int_equal(bd_stats_run_state(2, 0), BD_RUN_RUNNING);    /* blocked */
        assert_int_equal(bd_stats_run_state(1, 10), BD_RUN_MIGRATING); /* post-copy */
        assert_int_equal(bd_stats_run_state(3, 1), BD_RUN_PAUSED);     /* paused by the user */
        assert_int_equal(bd_stats_run_state(3, 2), BD_RUN_MIGRATING);  /* paused for migration */
        assert_int_equal(bd_stats_run_state(3, 12), BD_RUN_MIGRATING); /* paused post-copy */
        assert_int_equal(bd_stats_run_state(3, 13), BD_RUN_MIGRATING); /* paused after a failed post-copy */
        assert_int_equal(bd_stats_run_state(1, 11), BD_RUN_MIGRATING); /* running, post-copy failed */
        assert_int_equal(bd_stats_run_state(1, 2), BD_RUN_RUNNING);    /* running after an incoming migration */
        assert_int_equal(bd_stats_run_state(1, 6), BD_RUN_RUNNING);    /* a migration was cancelled */
        assert_int_equal(bd_stats_run_state(3, 3), BD_RUN_PAUSED);     /* paused for a save */
        assert_int_equal(bd_stats_run_state(3, 11), BD_RUN_PAUSED);    /* paused while starting up */
        assert_int_equal(bd_stats_run_state(5, 2), BD_RUN_SHUTOFF);    /* destroyed */
        assert_int_equal(bd_stats_run_state(5, 1), BD_RUN_SHUTOFF);
        assert_int_equal(bd_stats_run_state(4, 1), BD_RUN_OTHER);      /* shutting down */
        assert_int_equal(bd_stats_run_state(6, 1), BD_RUN_OTHER);      /* crashed */
        assert_int_equal(bd_stats_run_state(7, 0), BD_RUN_OTHER);      /* pmsuspended */
        assert_int_equal(bd_stats_run_state(0, 0), BD_RUN_OTHER);
        assert_int_equal(bd_stats_run_state(-3, 0), BD_RUN_OTHER);
        assert_int_equal(bd_stats_run_state(1000, 0), BD_RUN_OTHER);
        assert_string_equal(bd_run_state_to_string(BD_RUN_SHUTOFF), "shut_off");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bulk_record),
                cmocka_unit_test(test_empty_balloon_record),
                cmocka_unit_test(test_missing_values),
                cmocka_unit_test(test_memstats),
                cmocka_unit_test(test_types),
                cmocka_unit_test(test_missing_sizes),
                cmocka_unit_test(test_absent_fields_kept),
                cmocka_unit_test(test_memstats_edges),
                cmocka_unit_test(test_states),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
