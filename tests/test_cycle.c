/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cycle and its reporters, driven by the built-in simulated host: the
 * same loop as the daemon, with time passed in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "balloond/core/units.h"
#include "balloond/daemon/backend.h"
#include "balloond/daemon/cycle.h"
#include "balloond/daemon/log.h"
#include "balloond/daemon/report.h"
#include "balloond/sim/model.h"

#define SEC 1000000ULL
#define T0_USEC (1000 * SEC)
#define WALL0 1790000000LL

static void open_sim(struct bd_daemon *d, bool dry_run) {
        struct bd_config cfg;
        struct bd_backend *b = NULL;
        char err[256] = "";

        bd_config_defaults(&cfg);
        cfg.dry_run = dry_run;
        snprintf(cfg.connect_uri, sizeof(cfg.connect_uri), "sim://");
        assert_int_equal(bd_backend_open("sim://", &cfg, &b, err, sizeof(err)), 0);
        bd_daemon_init(d, &cfg, b);
}

static const struct bd_decision *find(const struct bd_daemon *d, const char *name, size_t *idx) {
        for (size_t i = 0; i < d->last.n; i++)
                if (strcmp(d->last.samples[i].name, name) == 0) {
                        if (idx)
                                *idx = i;
                        return &d->last.decisions[i];
                }
        fail_msg("no VM named %s", name);
        return NULL;
}

/* Every decision of the last cycle keeps the policy's promises. */
static void check_invariants(const struct bd_daemon *d) {
        for (size_t i = 0; i < d->last.n; i++) {
                const struct bd_decision *dec = &d->last.decisions[i];

                if (dec->action == BD_ACTION_NONE) {
                        assert_int_equal(dec->target_kib, dec->actual_kib);
                        continue;
                }
                assert_int_equal(dec->status, BD_STATUS_OK);
                assert_true(dec->target_kib <= d->last.samples[i].max_kib);
                if (dec->action == BD_ACTION_SHRINK)
                        assert_true(dec->target_kib >= dec->floor_kib);
                else
                        assert_true(dec->target_kib <= dec->max_kib);
        }
}

static void test_first_cycle_reasons(void **state) {
        struct bd_daemon d;

        (void)state;
        open_sim(&d, true);
        assert_int_equal(bd_cycle_run(&d, T0_USEC, WALL0), 0);
        assert_int_equal(d.last.n, 7);
        assert_true(d.last.view.band >= BD_BAND_PRESSURE);
        assert_int_equal(find(&d, "web1", NULL)->action, BD_ACTION_SHRINK);
        assert_int_equal(find(&d, "web2", NULL)->action, BD_ACTION_GROW);
        assert_int_equal(find(&d, "web2", NULL)->reason, BD_REASON_GUEST_LOW_FREE);
        assert_int_equal(find(&d, "db1", NULL)->reason, BD_REASON_EXCLUDED_CLASS);
        assert_int_equal(find(&d, "legacy1", NULL)->reason, BD_REASON_NO_BALLOON);
        assert_int_equal(find(&d, "paused1", NULL)->reason, BD_REASON_PAUSED);
        assert_int_equal(find(&d, "frozen1", NULL)->status, BD_STATUS_BLIND);
        assert_int_equal(find(&d, "frozen1", NULL)->reason, BD_REASON_STATS_STALE);
        check_invariants(&d);
        bd_daemon_done(&d);
}

/* Dry run: the same decisions, and nothing changes, cycle after cycle. */
static void test_dry_run_changes_nothing(void **state) {
        struct bd_daemon d;
        uint64_t first[16];
        size_t n;

        (void)state;
        open_sim(&d, true);
        assert_int_equal(bd_cycle_run(&d, T0_USEC, WALL0), 0);
        n = d.last.n;
        assert_true(n <= 16);
        for (size_t i = 0; i < n; i++)
                first[i] = d.last.samples[i].actual_kib;
        for (int c = 1; c <= 20; c++) {
                assert_int_equal(bd_cycle_run(&d, T0_USEC + (uint64_t)c * 5 * SEC, WALL0 + c * 5), 0);
                assert_int_equal(d.last.n, n);
                for (size_t i = 0; i < n; i++) {
                        assert_int_equal(d.last.samples[i].actual_kib, first[i]);
                        assert_false(d.last.applied[i]);
                }
        }
        bd_daemon_done(&d);
}

/* Applying: idle VMs shrink toward their floors at the rate limit, a guest
 * whose demand jumps gets its memory back within two cycles, excluded VMs
 * never move, every decision keeps its bounds, the host never goes over its
 * RAM, and no guest is pushed into OOM by a balloon (the built-in host is
 * overcommitted by VMs balloond may not touch: at the top of its cycle
 * batch1 wants more than the host has above its critical line, and gets
 * unmet demand, not the host's last memory). */
static void test_apply_converges(void **state) {
        struct bd_daemon d;
        struct bd_sim *sim;
        struct bd_sim_vm_truth truth;
        struct bd_sim_host_truth host;
        uint64_t db1_kib, legacy_kib, paused_kib, frozen_kib, web1_start, ooms[16] = { 0 };
        size_t web2;

        (void)state;
        open_sim(&d, false);
        sim = bd_backend_sim(d.backend);
        assert_non_null(sim);
        assert_int_equal(bd_cycle_run(&d, T0_USEC, WALL0), 0);
        web1_start = find(&d, "web1", NULL)->actual_kib;
        db1_kib = find(&d, "db1", NULL)->actual_kib;
        legacy_kib = find(&d, "legacy1", NULL)->actual_kib;
        paused_kib = find(&d, "paused1", NULL)->actual_kib;
        frozen_kib = find(&d, "frozen1", NULL)->actual_kib;
        find(&d, "web2", &web2);
        for (int c = 1; c <= 240; c++) {
                assert_int_equal(bd_cycle_run(&d, T0_USEC + (uint64_t)c * 5 * SEC, WALL0 + c * 5), 0);
                check_invariants(&d);
                assert_int_equal(find(&d, "db1", NULL)->actual_kib, db1_kib);
                assert_int_equal(find(&d, "legacy1", NULL)->actual_kib, legacy_kib);
                assert_int_equal(find(&d, "paused1", NULL)->actual_kib, paused_kib);
                assert_int_equal(find(&d, "frozen1", NULL)->actual_kib, frozen_kib);
                /* No guest is pushed into OOM by balloond: a guest OOMs only
                 * while the host has nothing left above its critical line for
                 * it (its demand is then reported unmet), never because a
                 * balloon pressed on it; and the host never goes over RAM. */
                for (size_t i = 0; i < d.last.n; i++) {
                        bd_sim_vm_truth(sim, i, &truth);
                        if (truth.oom_events > ooms[i]) {
                                assert_int_equal(d.last.decisions[i].action, BD_ACTION_NONE);
                                assert_true(d.last.decisions[i].unmet_kib > 0);
                                assert_true(d.last.view.ram_headroom_kib < d.last.decisions[i].unmet_kib);
                                ooms[i] = truth.oom_events;
                        }
                }
                bd_sim_host_truth(sim, &host);
                assert_int_equal(host.overcommit_usec, 0);
                /* web2's demand rises to 2.6 GiB by 170 s: by 180 s it has room for it. */
                if (c == 36) {
                        bd_sim_vm_truth(sim, web2, &truth);
                        assert_true(d.last.samples[web2].actual_kib > truth.demand_kib + 256 * 1024);
                }
        }
        assert_true(find(&d, "web1", NULL)->actual_kib < web1_start - 1024 * 1024);
        bd_daemon_done(&d);
}

/* restore_on_exit: memory goes back to the VMs balloond holds memory of
 * (below their entitled size), only within what the host has above its
 * critical line, neediest first; a balloond that forgot everything (a
 * crash, a restart) knows the same from the VMs' sizes. */
static void test_restore(void **state) {
        struct bd_daemon d;
        struct bd_sim *sim;
        struct bd_sim_vm_truth truth;
        struct bd_host_sample host;
        uint64_t ram, vmb, given = 0, before[16];
        size_t web1, db1, n;

        (void)state;
        open_sim(&d, false);
        sim = bd_backend_sim(d.backend);
        for (int c = 0; c < 10; c++)
                assert_int_equal(bd_cycle_run(&d, T0_USEC + (uint64_t)c * 5 * SEC, WALL0 + c * 5), 0);
        find(&d, "web1", &web1);
        find(&d, "db1", &db1);
        assert_true(d.last.samples[web1].actual_kib < d.last.samples[web1].entitled_kib);
        /* Forget everything, as a new process would. */
        d.n_vms = 0;
        n = d.last.n;
        assert_true(n <= 16);
        for (size_t i = 0; i < n; i++)
                before[i] = d.last.samples[i].actual_kib;
        bd_sim_advance(sim, T0_USEC + 50 * SEC, WALL0 + 50);
        bd_sim_host_sample(sim, &host);
        {
                uint64_t total = 0;

                for (size_t i = 0; i < n; i++)
                        if (d.last.samples[i].state != BD_RUN_SHUTOFF)
                                total += d.last.samples[i].actual_kib;
                bd_host_headroom(&d.cfg, &host, total, &ram, &vmb);
        }
        bd_daemon_restore(&d, T0_USEC + 50 * SEC, WALL0 + 50);
        for (size_t i = 0; i < n; i++) {
                bd_sim_vm_truth(sim, i, &truth);
                if (truth.target_kib > before[i])
                        given += truth.target_kib - before[i];
                assert_true(truth.target_kib <= d.last.samples[i].entitled_kib);
        }
        /* The built-in host is under pressure: what it has above its
         * critical line, not everything owed. */
        assert_true(given > 0);
        assert_true(given <= ram);
        bd_sim_vm_truth(sim, db1, &truth);
        assert_int_equal(truth.target_kib, 0); /* excluded: never touched */
        bd_daemon_done(&d);
}

/* The applier issues a cycle's shrinks before its grows. The built-in host
 * starts with both: web1 shrinks, web2 grows. */
static const struct bd_backend_ops *real_ops;
static char order[16][BD_NAME_MAX];
static uint64_t order_target[16], order_actual[16];
static size_t n_order;

static int recording_set_target(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t target_kib, char *err,
                                size_t err_len) {
        if (n_order < 16) {
                snprintf(order[n_order], sizeof(order[n_order]), "%s", vm->name);
                order_target[n_order] = target_kib;
                order_actual[n_order++] = vm->actual_kib;
        }
        return real_ops->set_target(b, vm, target_kib, err, err_len);
}

static void test_shrinks_before_grows(void **state) {
        struct bd_backend_ops ops;
        struct bd_daemon d;
        bool grew = false, shrank = false;

        (void)state;
        open_sim(&d, false);
        real_ops = d.backend->ops;
        ops = *real_ops;
        ops.set_target = recording_set_target;
        d.backend->ops = &ops;
        n_order = 0;
        assert_int_equal(bd_cycle_run(&d, T0_USEC, WALL0), 0);
        for (size_t k = 0; k < n_order; k++) {
                bool grow = order_target[k] > order_actual[k];

                if (!grow)
                        assert_false(grew); /* no shrink after a grow */
                grew = grew || grow;
                shrank = shrank || !grow;
        }
        assert_true(grew && shrank);
        d.backend->ops = real_ops;
        bd_daemon_done(&d);
}

static void test_reports(void **state) {
        struct bd_daemon d;
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        json_object *root, *vms, *vm, *v;

        (void)state;
        open_sim(&d, true);
        assert_int_equal(bd_cycle_run(&d, T0_USEC, WALL0), 0);

        f = open_memstream(&buf, &len);
        assert_non_null(f);
        bd_report_table(f, &d.last, true);
        fclose(f);
        assert_non_null(strstr(buf, "NAME"));
        assert_non_null(strstr(buf, "REASON"));
        assert_non_null(strstr(buf, "dry run"));
        assert_non_null(strstr(buf, "excluded_class"));
        free(buf);

        buf = NULL;
        f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(bd_report_json(f, &d.last, true), 0);
        fclose(f);
        root = json_tokener_parse(buf);
        assert_non_null(root);
        assert_true(json_object_object_get_ex(root, "vms", &vms));
        assert_int_equal(json_object_array_length(vms), d.last.n);
        assert_true(json_object_object_get_ex(root, "dry_run", &v));
        assert_true(json_object_get_boolean(v));
        for (size_t i = 0; i < d.last.n; i++) {
                vm = json_object_array_get_idx(vms, i);
                assert_true(json_object_object_get_ex(vm, "reason", &v));
                assert_string_equal(json_object_get_string(v),
                                    bd_reason_to_string(d.last.decisions[i].reason));
                assert_true(json_object_object_get_ex(vm, "target_kib", &v));
                assert_int_equal(json_object_get_int64(v), (int64_t)d.last.decisions[i].target_kib);
        }
        json_object_put(root);
        free(buf);
        bd_daemon_done(&d);
}

/* The timer after a late cycle: the next tick, never the missed ones back to back. */
static void test_next_tick(void **state) {
        const uint64_t s = 1000 * USEC_PER_SEC, step = USEC_PER_SEC;
        uint64_t skipped = 99;

        (void)state;
        /* On time: the next tick, nothing skipped. */
        assert_int_equal(bd_cycle_next_tick(s, step, s + 10, &skipped), s + step);
        assert_int_equal(skipped, 0);
        assert_int_equal(bd_cycle_next_tick(s, step, s + step - 1, &skipped), s + step);
        assert_int_equal(skipped, 0);
        /* A cycle that ends on the next tick: that tick is missed. */
        assert_int_equal(bd_cycle_next_tick(s, step, s + step, &skipped), s + 2 * step);
        assert_int_equal(skipped, 1);
        /* Stopped for 63.4 intervals: one cycle at the next tick, 63 skipped. */
        assert_int_equal(bd_cycle_next_tick(s, step, s + 63 * step + step / 2, &skipped), s + 64 * step);
        assert_int_equal(skipped, 63);
        /* The next tick is always later than now, and on the schedule. */
        for (uint64_t now = s; now < s + 5 * step; now += step / 7) {
                uint64_t next = bd_cycle_next_tick(s, step, now, &skipped);

                assert_true(next > now && next - now <= step);
                assert_int_equal((next - s) % step, 0);
                assert_int_equal(skipped, (next - s) / step - 1);
        }
        /* A zero step or the end of time: no division by zero, no wrap. */
        assert_true(bd_cycle_next_tick(s, 0, s + 5, &skipped) > s + 5);
        assert_int_equal(bd_cycle_next_tick(UINT64_MAX - 5, step, UINT64_MAX - 5, &skipped), UINT64_MAX);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_cycle_reasons),
                cmocka_unit_test(test_dry_run_changes_nothing),
                cmocka_unit_test(test_apply_converges),
                cmocka_unit_test(test_restore),
                cmocka_unit_test(test_shrinks_before_grows),
                cmocka_unit_test(test_reports),
                cmocka_unit_test(test_next_tick),
        };

        bd_log_setup(BD_LOG_WARNING);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
