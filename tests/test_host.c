/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host sampler: /proc/meminfo (with its hugetlb pools) and a cgroup's
 * memory.pressure parsing, and reading them from (fixture) paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/host.h"

static void test_meminfo(void **state) {
        struct bd_host_sample h = { 0 };

        (void)state;
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 100 kB\nMemFree: 5 kB\nMemAvailable: 40 kB\n", &h), 0);
        assert_int_equal(h.mem_total_kib, 100);
        assert_int_equal(h.mem_available_kib, 40);
        /* Order does not matter; similar names do not match. */
        assert_int_equal(bd_host_parse_meminfo("MemAvailableX: 1 kB\nMemAvailable:\t 7 kB\nMemTotal: 9 kB", &h), 0);
        assert_int_equal(h.mem_available_kib, 7);
}

/* Hugetlb pools: "Hugetlb" (every page size, Linux 4.16), else the default
 * size's HugePages_Total x Hugepagesize; none is 0. */
static void test_meminfo_hugetlb(void **state) {
        struct bd_host_sample h = { 0 };

        (void)state;
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 100 kB\nMemAvailable: 40 kB\n", &h), 0);
        assert_int_equal(h.hugetlb_kib, 0);
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 536870912 kB\nMemAvailable: 100663296 kB\n"
                                               "HugePages_Total:     384\nHugepagesize:    1048576 kB\n"
                                               "Hugetlb:        402653184 kB\n",
                                               &h),
                         0);
        assert_int_equal(h.hugetlb_kib, 402653184ULL);
        /* An older kernel: the default size's pool. */
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 1000000 kB\nMemAvailable: 40 kB\n"
                                               "HugePages_Total:     100\nHugePages_Free:   100\n"
                                               "Hugepagesize:       2048 kB\n",
                                               &h),
                         0);
        assert_int_equal(h.hugetlb_kib, 204800);
        /* Malformed or impossible pools are errors, not zero. */
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 100 kB\nMemAvailable: 40 kB\nHugetlb: x kB\n", &h), -EINVAL);
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 100 kB\nMemAvailable: 40 kB\nHugetlb: 101 kB\n", &h),
                         -EINVAL);
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 100 kB\nMemAvailable: 40 kB\nHugePages_Total: 3\n", &h),
                         -EINVAL); /* no page size */
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 100 kB\nMemAvailable: 40 kB\n"
                                               "HugePages_Total: 18446744073709551615\nHugepagesize: 2048 kB\n",
                                               &h),
                         -EINVAL);
}

static void test_meminfo_bad(void **state) {
        static const char *const bad[] = {
                "",
                "MemTotal: 100 kB\n",                           /* no MemAvailable (kernel < 3.14) */
                "MemAvailable: 100 kB\n",
                "MemTotal: abc kB\nMemAvailable: 1 kB\n",
                "MemTotal: 100\nMemAvailable: 1 kB\n",          /* no unit */
                "MemTotal: 100 MB\nMemAvailable: 1 kB\n",
                "MemTotal: -5 kB\nMemAvailable: 1 kB\n",
                "MemTotal: 0 kB\nMemAvailable: 0 kB\n",
                "MemTotal: 10 kB\nMemAvailable: 11 kB\n",       /* more available than total */
                "MemTotal: 99999999999999999999999 kB\nMemAvailable: 1 kB\n",
                "MemTotal: 18446744073709551615 kB\nMemAvailable: 1 kB\n",
        };
        struct bd_host_sample h = { .mem_total_kib = 42 };

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(bd_host_parse_meminfo(bad[i], &h), -EINVAL);
                assert_int_equal(h.mem_total_kib, 42); /* untouched */
        }
}

static void test_psi(void **state) {
        struct bd_host_sample h = { 0 };

        (void)state;
        assert_int_equal(bd_host_parse_psi("some avg10=3.50 avg60=1.20 avg300=0.40 total=1\n"
                                           "full avg10=12.25 avg60=0.50 avg300=0.10 total=2\n",
                                           &h),
                         0);
        assert_true(h.psi_valid);
        assert_true(h.psi_some_avg10_pct == 3.5);
        assert_true(h.psi_full_avg10_pct == 12.25);
        /* Old kernels: no full line. */
        memset(&h, 0, sizeof(h));
        assert_int_equal(bd_host_parse_psi("some avg10=1.00 avg60=0.00 avg300=0.00 total=0\n", &h), 0);
        assert_true(h.psi_valid && h.psi_full_avg10_pct == 0.0);
}

static void test_psi_bad(void **state) {
        static const char *const bad[] = {
                "", "garbage", "some avg60=1.0\n", "some avg10=abc\n", "some avg10=101.0\n",
                "some avg10=-1\n", "some avg10=1.0\nfull avg10=x\n", "full avg10=1.0\n",
                "some\navg10=1.0\n",
        };
        struct bd_host_sample h = { 0 };

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(bd_host_parse_psi(bad[i], &h), -EINVAL);
                assert_false(h.psi_valid);
        }
}

static void test_read(void **state) {
        struct bd_host_sample h;

        (void)state;
        assert_int_equal(bd_host_sample_read(TESTS_DIR "/data/meminfo-ok.txt", TESTS_DIR "/data/psi-memory.txt", &h),
                         0);
        assert_int_equal(h.mem_total_kib, 16384000);
        assert_int_equal(h.mem_available_kib, 8192000);
        assert_true(h.psi_valid && h.psi_full_avg10_pct == 1.25);
        /* A cgroup's memory.pressure reads the same as the root's. */
        assert_int_equal(bd_host_sample_read(TESTS_DIR "/data/meminfo-hugetlb.txt",
                                             TESTS_DIR "/data/machine.slice-memory.pressure", &h),
                         0);
        assert_int_equal(h.hugetlb_kib, 402653184ULL);
        assert_true(h.psi_valid && h.psi_full_avg10_pct == 0.5 && h.psi_some_avg10_pct == 2.0);
        /* Missing PSI is not an error. */
        assert_int_equal(bd_host_sample_read(TESTS_DIR "/data/meminfo-ok.txt", "/nonexistent/pressure", &h), 0);
        assert_false(h.psi_valid);
        /* A garbled PSI file reads as absent. */
        assert_int_equal(bd_host_sample_read(TESTS_DIR "/data/meminfo-ok.txt", TESTS_DIR "/data/meminfo-ok.txt", &h),
                         0);
        assert_false(h.psi_valid);
        /* meminfo is required. */
        assert_int_equal(bd_host_sample_read("/nonexistent/meminfo", NULL, &h), -ENOENT);
        assert_int_equal(bd_host_sample_read(TESTS_DIR "/data/psi-memory.txt", NULL, &h), -EINVAL);
        /* The real one, where there is one. */
        assert_int_equal(bd_host_sample_read("/proc/meminfo", "/proc/pressure/memory", &h), 0);
        assert_true(h.mem_total_kib > 0 && h.mem_available_kib <= h.mem_total_kib);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_meminfo),
                cmocka_unit_test(test_meminfo_hugetlb),
                cmocka_unit_test(test_meminfo_bad),
                cmocka_unit_test(test_psi),
                cmocka_unit_test(test_psi_bad),
                cmocka_unit_test(test_read),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
