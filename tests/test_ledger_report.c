/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger as the daemon publishes it, on the built-in simulated host:
 * the JSON document's "ledger" objects, the metrics, and one figure of
 * "reclaimed" in both; and the host layer's parsers of /proc/PID/status and
 * of a counter file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "balloond/core/host.h"
#include "balloond/core/units.h"
#include "balloond/daemon/backend.h"
#include "balloond/daemon/cycle.h"
#include "balloond/daemon/metrics.h"
#include "balloond/daemon/report.h"

#define SEC 1000000ULL

static void run_sim(struct bd_daemon *d, int cycles) {
        struct bd_config cfg;
        struct bd_backend *b = NULL;
        char err[256] = "";

        bd_config_defaults(&cfg);
        snprintf(cfg.connect_uri, sizeof(cfg.connect_uri), "sim://");
        assert_int_equal(bd_backend_open("sim://", &cfg, &b, err, sizeof(err)), 0);
        bd_daemon_init(d, &cfg, b);
        for (int c = 0; c < cycles; c++)
                assert_int_equal(bd_cycle_run(d, 1000 * SEC + (uint64_t)c * 5 * SEC, 1790000000LL + 5 * c), 0);
}

/* The metric NAME's (unlabelled) value in TEXT, -1 if absent. */
static double metric(const char *text, const char *name) {
        const char *p = text;
        size_t len = strlen(name);

        while ((p = strstr(p, name))) {
                if ((p == text || p[-1] == '\n') && p[len] == ' ')
                        return strtod(p + len + 1, NULL);
                p += len;
        }
        return -1;
}

/* Shrinks under pressure on the simulated host are confirmed in its VMs'
 * resident memory; the JSON, the metrics and the host line agree. */
static void test_published(void **state) {
        struct bd_daemon d;
        char *json = NULL, *prom;
        size_t len = 0;
        FILE *f;
        json_object *root, *host, *vms, *l;
        uint64_t sum = 0;

        (void)state;
        run_sim(&d, 40);
        assert_true(d.last.host_ledger.reclaimed_kib > 0);
        f = open_memstream(&json, &len);
        assert_int_equal(bd_report_json(f, &d.last, false), 0);
        fclose(f);
        root = json_tokener_parse(json);
        assert_non_null(root);
        assert_true(json_object_object_get_ex(root, "host", &host));
        assert_true(json_object_object_get_ex(host, "ledger", &l));
        assert_true(json_object_object_get_ex(l, "reclaimed_kib", NULL));
        assert_int_equal((uint64_t)json_object_get_int64(json_object_object_get(l, "reclaimed_kib")),
                         d.last.host_ledger.reclaimed_kib);
        assert_true(json_object_object_get_ex(root, "vms", &vms));
        for (size_t i = 0; i < json_object_array_length(vms); i++) {
                json_object *vl = json_object_object_get(json_object_array_get_idx(vms, i), "ledger");

                assert_non_null(vl);
                assert_non_null(json_object_object_get(vl, "resident_kib"));
                assert_true(json_object_object_get_ex(vl, "ineffective_reason", NULL));
                sum += (uint64_t)json_object_get_int64(json_object_object_get(vl, "returned_kib"));
        }
        assert_int_equal(sum, d.last.host_ledger.reclaimed_kib);
        json_object_put(root);
        free(json);

        prom = bd_metrics_render(&d, &len);
        assert_non_null(prom);
        assert_true(metric(prom, "balloond_host_reclaimed_bytes") == (double)d.last.host_ledger.reclaimed_kib * 1024);
        assert_true(metric(prom, "balloond_reclaimed_bytes") == (double)d.last.host_ledger.reclaimed_kib * 1024);
        assert_true(metric(prom, "balloond_host_vms_resident_bytes") > 0);
        assert_non_null(strstr(prom, "balloond_vm_ledger_resident_bytes{domain=\"web1\""));
        assert_non_null(strstr(prom, "balloond_vm_ledger_ineffective{domain=\"web1\""));
        assert_non_null(strstr(prom, ",feature=\"free_page_reporting\"} 1\n"));
        free(prom);
        bd_daemon_done(&d);
}

static void test_proc_status(void **state) {
        const char *text = "Name:\tqemu-system-x86\nVmPeak:\t 3000000 kB\nVmRSS:\t  812344 kB\nRssAnon:\t 700000 kB\n"
                           "VmSwap:\t    2048 kB\nThreads:\t5\n";
        uint64_t rss, swap;

        (void)state;
        assert_int_equal(bd_host_parse_proc_status(text, &rss, &swap), 0);
        assert_int_equal(rss, 812344);
        assert_int_equal(swap, 2048);
        /* A kernel thread has neither: not a process holding guest memory. */
        assert_int_equal(bd_host_parse_proc_status("Name:\tkthreadd\nThreads:\t1\n", &rss, &swap), -EINVAL);
        assert_int_equal(rss, BD_KIB_UNKNOWN);
        assert_int_equal(bd_host_parse_proc_status("VmRSS:\t 12 kB\n", &rss, &swap), 0);
        assert_int_equal(swap, BD_KIB_UNKNOWN);
        assert_int_equal(bd_host_parse_proc_status("VmRSS:\t x kB\n", &rss, &swap), -EINVAL);
}

static void test_counters(void **state) {
        char path[] = "/tmp/bd-ledger-XXXXXX";
        int fd = mkstemp(path);
        struct bd_host_sample s = { 0 };
        uint64_t v = 0;
        long page = sysconf(_SC_PAGESIZE);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "2500\n", 5), 5);
        close(fd);
        assert_int_equal(bd_host_read_count(path, &v), 0);
        assert_int_equal(v, 2500);
        bd_host_read_ksm(path, &s);
        assert_int_equal(s.ksm_sharing_kib, 2500 * (uint64_t)page / 1024);
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, "-3\n", 3), 3);
        close(fd);
        assert_int_equal(bd_host_read_count(path, &v), -EINVAL);
        bd_host_read_ksm(path, &s);
        assert_int_equal(s.ksm_sharing_kib, BD_KIB_UNKNOWN);
        unlink(path);
        bd_host_read_ksm("/nonexistent/pages_sharing", &s);
        assert_int_equal(s.ksm_sharing_kib, BD_KIB_UNKNOWN);
        /* Swap from meminfo: SwapTotal - SwapFree, unknown without them. */
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTotal: 300 kB\n"
                                               "SwapFree: 100 kB\n", &s), 0);
        assert_int_equal(s.swap_used_kib, 200);
        assert_int_equal(bd_host_parse_meminfo("MemTotal: 1000 kB\nMemAvailable: 500 kB\n", &s), 0);
        assert_int_equal(s.swap_used_kib, BD_KIB_UNKNOWN);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_published),
                cmocka_unit_test(test_proc_status),
                cmocka_unit_test(test_counters),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
