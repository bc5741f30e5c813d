/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration tests' shared helpers: see config_test.h. */
#include "config_test.h"

/* ---- helpers ---------------------------------------------------------------- */

/* Compare two configurations field by field; print every difference. */
bool config_equal(const struct bd_config *a, const struct bd_config *b) {
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
        EQ_NUM(burst_half_life_usec);
        EQ_NUM(burst_max_kib);
        EQ_NUM(emergency_hold_usec);
        EQ_NUM(foreign_hold_usec);
        EQ_NUM(deflate_to_entitled);
        EQ_STR(metrics_textfile_dir);
        EQ_STR(metrics_http_address);
        EQ_NUM(metrics_http_port);
        EQ_NUM(metrics_vm_labels);
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

void load_ok(const char *text, struct bd_config *c) {
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
bool expect_errors(const char *text, const char *const *expected, size_t n) {
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

char *read_whole(const char *path) {
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
void temp_file(char *path, size_t size, const char *data, size_t len) {
        int fd;

        snprintf(path, size, "/tmp/balloond-test-config.XXXXXX");
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(close(fd), 0);
}
