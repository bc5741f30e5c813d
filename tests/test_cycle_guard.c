/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest safety through the daemon's cycle, on a backend of the test's own
 * (a balloon that does not move, a guest that deflates itself): the
 * withdrawn target and the adopted size reach the hypervisor as a target
 * equal to the balloon's size, once; the status JSON says what the policy
 * saw (burst_margin_kib, self_deflated_kib, emergency_hold_sec, advice,
 * withdraw); a size someone else set is reported, but not across a cycle
 * that failed, nor for a target balloond asked for by a call that failed. */
#include <errno.h>
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
#include "balloond/daemon/report.h"

#define SEC USEC_PER_SEC
#define T0 (1000 * SEC)
#define WALL0 1790000000LL

/* One VM whose balloon moves only when FOLLOW; every target set is kept.
 * COLLECT_ERR: the next collects fail with it; SET_ERR: the calls setting
 * its memory answer it (the balloon still follows). */
struct fake {
        struct bd_backend base;
        struct bd_vm_sample vm;
        uint64_t used_kib;
        bool follow;
        uint64_t set[64];
        size_t n_set;
        int collect_err, set_err;
};

static int fake_collect(struct bd_backend *b, uint64_t now_usec, int64_t wall, const struct bd_vm_sample **out,
                        size_t *n) {
        struct fake *f = (struct fake *)b;

        (void)now_usec;
        if (f->collect_err)
                return f->collect_err;
        f->vm.usable_kib = f->vm.actual_kib > f->used_kib ? f->vm.actual_kib - f->used_kib : 0;
        f->vm.unused_kib = f->vm.usable_kib;
        f->vm.available_kib = (f->vm.flags & BD_VM_AUTODEFLATE) ? f->vm.max_kib : f->vm.actual_kib;
        f->vm.last_update_sec = wall;
        *out = &f->vm;
        *n = 1;
        return 0;
}

static int fake_host(struct bd_backend *b, uint64_t now_usec, struct bd_host_sample *out) {
        (void)b;
        (void)now_usec;
        memset(out, 0, sizeof(*out));
        out->mem_total_kib = 16 * GIB;
        out->mem_available_kib = GIB + 16 * GIB / 10; /* 10 %: pressure */
        return 0;
}

static int fake_set(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t target_kib, char *err, size_t len) {
        struct fake *f = (struct fake *)b;

        (void)vm;
        (void)err;
        (void)len;
        if (f->n_set < 64)
                f->set[f->n_set++] = target_kib;
        if (f->follow)
                f->vm.actual_kib = target_kib;
        return f->set_err;
}

static void fake_free(struct bd_backend *b) {
        (void)b; /* on the test's stack */
}

static const struct bd_backend_ops fake_ops = {
        .name = "fake", .collect = fake_collect, .sample_host = fake_host, .set_target = fake_set, .free = fake_free,
};

static void setup(struct bd_daemon *d, struct fake *f, unsigned flags) {
        struct bd_config cfg;

        memset(f, 0, sizeof(*f));
        f->base.ops = &fake_ops;
        bd_vm_sample_init(&f->vm);
        snprintf(f->vm.name, sizeof(f->vm.name), "g");
        snprintf(f->vm.uuid, sizeof(f->vm.uuid), "00000000-0000-4000-8000-000000000001");
        f->vm.state = BD_RUN_RUNNING;
        f->vm.flags = flags;
        f->vm.max_kib = f->vm.entitled_kib = f->vm.actual_kib = 4 * GIB;
        f->vm.swap_in_kib = f->vm.swap_out_kib = f->vm.major_faults = 0;
        f->vm.stats_period_sec = 5;
        f->used_kib = GIB;
        f->follow = true;
        bd_config_defaults(&cfg);
        cfg.cooldown_usec = 0;
        bd_daemon_init(d, &cfg, &f->base);
}

static json_object *status_of(const struct bd_daemon *d) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        json_object *doc, *vms, *vm;

        assert_non_null(f);
        assert_int_equal(bd_report_json(f, &d->last, false), 0);
        fclose(f);
        doc = json_tokener_parse(text);
        free(text);
        assert_non_null(doc);
        assert_true(json_object_object_get_ex(doc, "vms", &vms));
        vm = json_object_get(json_object_array_get_idx(vms, 0));
        json_object_put(doc);
        return vm;
}

static int64_t int_of(json_object *vm, const char *key) {
        json_object *v;

        assert_true(json_object_object_get_ex(vm, key, &v));
        return json_object_get_int64(v);
}

/* A balloon that stops following: stuck, its target withdrawn (the
 * hypervisor asked for its size), once. */
static void test_stuck_target_withdrawn(void **state) {
        struct bd_daemon d;
        struct fake f;
        uint64_t t = T0;
        size_t withdrawals = 0;

        (void)state;
        setup(&d, &f, 0);
        assert_int_equal(bd_cycle_run(&d, t, WALL0), 0);
        assert_int_equal(d.last.decisions[0].action, BD_ACTION_SHRINK);
        f.follow = false;
        for (int c = 1; c < 12; c++) {
                size_t before = f.n_set;

                t += 5 * SEC;
                assert_int_equal(bd_cycle_run(&d, t, WALL0 + 5 * c), 0);
                if (f.n_set > before && f.set[f.n_set - 1] == f.vm.actual_kib)
                        withdrawals++;
        }
        assert_int_equal(d.last.decisions[0].status, BD_STATUS_STUCK);
        assert_int_equal(withdrawals, 1);
        bd_daemon_done(&d);
}

/* A deflate-on-OOM guest takes 300 MiB back: adopted at once (target =
 * its size), held, and the status says so. */
static void test_self_deflation_adopted(void **state) {
        struct bd_daemon d;
        struct fake f;
        json_object *vm, *advice;
        uint64_t t = T0;
        int c;

        (void)state;
        setup(&d, &f, BD_VM_AUTODEFLATE);
        for (c = 0; c < 60 && (c == 0 || d.last.decisions[0].reason != BD_REASON_AT_FLOOR); c++, t += 5 * SEC)
                assert_int_equal(bd_cycle_run(&d, t, WALL0 + 5 * c), 0);
        assert_int_equal(d.last.decisions[0].reason, BD_REASON_AT_FLOOR);
        f.vm.actual_kib += 300 * MIB;
        f.used_kib += 300 * MIB;
        f.n_set = 0;
        assert_int_equal(bd_cycle_run(&d, t, WALL0 + 5 * c), 0);
        assert_int_equal(d.last.decisions[0].self_deflated_kib, 300 * MIB);
        assert_int_equal(f.n_set, 1);
        assert_int_equal(f.set[0], f.vm.actual_kib);
        vm = status_of(&d);
        assert_int_equal(int_of(vm, "self_deflated_kib"), 300 * MIB);
        assert_true(int_of(vm, "burst_margin_kib") >= (int64_t)(300 * MIB));
        assert_true(int_of(vm, "emergency_hold_sec") > 0);
        assert_true(json_object_object_get_ex(vm, "advice", &advice));
        assert_int_equal(json_object_array_length(advice), 0); /* autodeflate on, free page reporting on */
        json_object_put(vm);
        /* Held: under pressure, no shrink. */
        for (int k = 1; k < 20; k++) {
                t += 5 * SEC;
                assert_int_equal(bd_cycle_run(&d, t, WALL0 + 5 * (c + k)), 0);
                assert_int_not_equal(d.last.decisions[0].action, BD_ACTION_SHRINK);
        }
        bd_daemon_done(&d);
}

/* Without autodeflate the status advises it. */
static void test_advice(void **state) {
        struct bd_daemon d;
        struct fake f;
        json_object *vm, *advice;

        (void)state;
        setup(&d, &f, BD_VM_NO_FREE_PAGE_REPORTING);
        assert_int_equal(bd_cycle_run(&d, T0, WALL0), 0);
        vm = status_of(&d);
        assert_true(json_object_object_get_ex(vm, "advice", &advice));
        assert_int_equal(json_object_array_length(advice), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(advice, 0)), "autodeflate");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(advice, 1)), "free_page_reporting");
        json_object_put(vm);
        bd_daemon_done(&d);
}

/* At its floor under pressure (cycles from *T, *C). */
static void to_floor(struct bd_daemon *d, uint64_t *t, int *c) {
        for (*c = 0; *c < 60 && (*c == 0 || d->last.decisions[0].reason != BD_REASON_AT_FLOOR); ++*c, *t += 5 * SEC)
                assert_int_equal(bd_cycle_run(d, *t, WALL0 + 5 * *c), 0);
        assert_int_equal(d->last.decisions[0].reason, BD_REASON_AT_FLOOR);
}

/* virsh setmem: reported as someone else's size, with the hold left; the
 * same move across a cycle that failed to collect is compared with nothing
 * (no consecutive samples). */
static void test_setmem_foreign_not_across_a_gap(void **state) {
        struct bd_daemon d;
        struct fake f;
        json_object *vm;
        uint64_t t = T0;
        int c;

        (void)state;
        for (int gap = 0; gap < 2; gap++) {
                setup(&d, &f, 0);
                to_floor(&d, &t, &c);
                if (gap) {
                        f.collect_err = -ENOTCONN;
                        assert_int_equal(bd_cycle_run(&d, t, WALL0 + 5 * c), -ENOTCONN);
                        f.collect_err = 0;
                        t += 5 * SEC, c++;
                }
                f.vm.actual_kib += GIB;
                assert_int_equal(bd_cycle_run(&d, t, WALL0 + 5 * c), 0);
                vm = status_of(&d);
                if (gap) {
                        assert_int_equal(d.last.decisions[0].foreign_kib, 0);
                        assert_int_not_equal(d.last.decisions[0].reason, BD_REASON_FOREIGN_TARGET);
                } else {
                        assert_int_equal(d.last.decisions[0].foreign_kib, GIB);
                        assert_int_equal(d.last.decisions[0].reason, BD_REASON_FOREIGN_TARGET);
                        assert_true(int_of(vm, "foreign_hold_sec") > 0);
                }
                json_object_put(vm);
                bd_daemon_done(&d);
        }
}

/* A call that answered an error (a timeout) but whose target landed all the
 * same: balloond's own, the VM managed on. */
static void test_failed_call_landing_is_own(void **state) {
        struct bd_daemon d;
        struct fake f;
        uint64_t t = T0;

        (void)state;
        setup(&d, &f, 0);
        f.set_err = -ETIMEDOUT;
        for (int c = 0; c < 6; c++, t += 5 * SEC) {
                assert_int_equal(bd_cycle_run(&d, t, WALL0 + 5 * c), 0);
                assert_int_equal(d.last.decisions[0].foreign_kib, 0);
                assert_int_not_equal(d.last.decisions[0].reason, BD_REASON_FOREIGN_TARGET);
        }
        assert_true(f.n_set >= 3); /* each landed; none taken for someone else's */
        bd_daemon_done(&d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stuck_target_withdrawn),
                cmocka_unit_test(test_self_deflation_adopted),
                cmocka_unit_test(test_advice),
                cmocka_unit_test(test_setmem_foreign_not_across_a_gap),
                cmocka_unit_test(test_failed_call_landing_is_own),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
