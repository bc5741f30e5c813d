/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guests that deflate themselves, targets set by others, targets withdrawn
 * from VMs balloond no longer tends, memory given back to a blind VM or one
 * a host device was plugged into, odd guests by name (stats_incomplete,
 * facts_unknown, confidential, vDPA, virtio-mem), relaxed deflation up to
 * the entitlement (src/core/policy_guard.c, policy_classify.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* A VM shrunk to its floor under host pressure. */
static size_t shrunk(struct pw *w, unsigned flags) {
        size_t i;

        pw_init(w);
        i = pw_add(w, 4096, 4096, 1024);
        w->s[i].flags = flags;
        pw_free_pct(w, 10);
        for (int c = 0; c < 200 && w->d[i].reason != BD_REASON_AT_FLOOR; c++)
                pw_cycle(w);
        assert_int_equal(w->d[i].reason, BD_REASON_AT_FLOOR);
        return i;
}

/* deflate-on-OOM: the guest takes 300 MiB back; adopted, learned, held. */
static void test_guest_deflates_itself(void **state) {
        struct pw w;
        size_t i = shrunk(&w, BD_VM_AUTODEFLATE);
        uint64_t size;

        (void)state;
        w.used[i] += M(300);
        w.s[i].actual_kib += M(300); /* the guest's driver gave it back to itself */
        size = w.s[i].actual_kib;
        pw_cycle(&w);
        assert_int_equal(w.d[i].self_deflated_kib, M(300));
        assert_true(w.d[i].withdraw);
        assert_int_equal(w.withdrawn[i], size); /* the hypervisor's target is the new size */
        assert_int_not_equal(w.d[i].action, BD_ACTION_SHRINK);
        assert_true(w.d[i].burst_learned_kib >= M(300));
        /* Under pressure for the whole hold: never shrunk. */
        for (int c = 0; c < (int)(w.cfg.emergency_hold_usec / (5 * SEC)) - 1; c++) {
                pw_cycle(&w);
                assert_int_not_equal(w.d[i].action, BD_ACTION_SHRINK);
                assert_true(w.s[i].actual_kib >= size);
                if (w.d[i].action == BD_ACTION_NONE)
                        assert_int_equal(w.d[i].reason, BD_REASON_GUEST_DEFLATED);
        }
        /* Afterwards, its floor keeps what it took on top of its margin
         * (decayed over the 2,800 s since: 263 of 300 MiB). */
        w.used[i] -= M(300);
        pw_cycles(&w, 200);
        assert_true(w.s[i].actual_kib >= w.used[i] + M(256 + 260));
}

/* Not a deflate-on-OOM guest: someone else set its size. */
static void test_foreign_target(void **state) {
        struct pw w;
        size_t i = shrunk(&w, 0);
        uint64_t size;

        (void)state;
        w.s[i].actual_kib += M(1024); /* virsh setmem */
        size = w.s[i].actual_kib;
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, M(1024));
        assert_int_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
        assert_false(w.d[i].withdraw); /* left alone, not undone */
        assert_int_equal(w.d[i].self_deflated_kib, 0);
        for (int c = 0; c < (int)(w.cfg.foreign_hold_usec / (5 * SEC)) - 1; c++) {
                pw_cycle(&w);
                assert_int_equal(w.d[i].action, BD_ACTION_NONE);
                assert_int_equal(w.s[i].actual_kib, size);
        }
        pw_cycles(&w, 2);
        assert_int_equal(w.d[i].action, BD_ACTION_SHRINK); /* managed again */

        /* Down, too; and a relaxed host does not deflate it back. */
        i = shrunk(&w, 0);
        pw_free_pct(&w, 60);
        w.hs.seen = false;
        w.s[i].actual_kib -= M(200);
        w.used[i] -= M(200);
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, M(200));
        pw_cycles(&w, 10);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        assert_int_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
        /* Its guest's own need is still met. */
        w.used[i] += M(600);
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_GROW);
}

/* A VM started with <currentMemory> under <memory>: balloond sees it before
 * its guest has reported (blind), at 4 GiB, then its driver inflates to the
 * 2 GiB libvirt asked for. That is its start-up, not someone else's size:
 * not held, managed from its first report. Once judged, the same move is
 * someone else's again. */
static void test_start_up_inflation_is_not_foreign(void **state) {
        struct pw w;
        size_t i;
        bool shrank = false;

        (void)state;
        pw_init(&w);
        i = pw_add(&w, 4096, 4096, 512);
        pw_free_pct(&w, 10);
        w.frozen[i] = true;
        w.s[i].last_update_sec = 0; /* its guest has not reported yet */
        w.s[i].usable_kib = BD_KIB_UNKNOWN;
        pw_cycle(&w);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        w.s[i].actual_kib = M(3000); /* on its way */
        pw_cycle(&w);
        w.s[i].actual_kib = M(2048); /* there */
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, 0);
        w.frozen[i] = false; /* its first report */
        for (int c = 0; c < 20; c++) {
                pw_cycle(&w);
                assert_int_equal(w.d[i].foreign_kib, 0);
                assert_int_not_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
                shrank |= w.d[i].action == BD_ACTION_SHRINK;
        }
        assert_true(shrank);
        assert_true(w.h[i].foreign_until_usec <= w.now);

        /* Judged ok, asked nothing yet (a relaxed host, at its maximum):
         * a setmem down is someone else's. */
        pw_init(&w);
        i = pw_add(&w, 4096, 4096, 512);
        pw_free_pct(&w, 60);
        pw_cycles(&w, 2);
        assert_int_equal(w.d[i].status, BD_STATUS_OK);
        w.s[i].actual_kib = M(2048);
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, M(2048));
        assert_int_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
}

/* A balloon on its way to balloond's own target is not someone else's. */
static void test_own_moves_are_not_foreign(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        i = pw_lagging(&w);
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_SHRINK);
        /* Half way there, then there. */
        w.s[i].actual_kib -= (w.s[i].actual_kib - w.d[i].target_kib) / 2;
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, 0);
        w.follow[i] = true;
        pw_cycles(&w, 20);
        for (size_t k = 0; k < w.n; k++)
                assert_int_equal(w.d[k].foreign_kib, 0);
}

/* A slow balloon still heading for the target before the last one (a grow,
 * then a shrink a cycle later) is not someone else's either. */
static void test_heading_for_the_target_before(void **state) {
        struct pw w;
        size_t i;
        struct bd_decision grow, shrink;

        (void)state;
        pw_init(&w);
        i = pw_add(&w, 4096, 2048, 1024);
        pw_report(&w);
        bd_policy_run(&w.cfg, &w.host, w.s, w.h, w.n, &w.hs, w.now, w.wall, w.d, &w.view);
        grow = w.d[i];
        grow.action = BD_ACTION_GROW;
        grow.target_kib = M(3072);
        bd_policy_note_applied(&w.h[i], &grow, w.now);
        shrink = grow;
        shrink.action = BD_ACTION_SHRINK;
        shrink.target_kib = M(1900);
        bd_policy_note_applied(&w.h[i], &shrink, w.now + SEC);
        w.now += 5 * SEC;
        w.wall += 5;
        w.s[i].actual_kib = M(2600); /* took the grow first */
        w.follow[i] = false;
        pw_cycle(&w);
        assert_int_equal(w.d[i].foreign_kib, 0);
        assert_int_not_equal(w.d[i].reason, BD_REASON_FOREIGN_TARGET);
}

/* A balloon that cannot follow: stuck, and its target withdrawn once. */
static void test_stuck_target_withdrawn(void **state) {
        struct pw w;
        size_t i;
        int withdrawals = 0;

        (void)state;
        i = pw_lagging(&w);
        for (int c = 0; c < 10; c++) {
                pw_cycle(&w);
                withdrawals += w.withdrawn[i] != 0;
                if (w.withdrawn[i])
                        assert_int_equal(w.withdrawn[i], M(4096));
        }
        assert_int_equal(w.d[i].status, BD_STATUS_STUCK);
        assert_int_equal(withdrawals, 1);
}

/* Blind or excluded with a target outstanding: withdrawn; paused: not. */
static void test_untended_target_withdrawn(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        i = pw_lagging(&w);
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_SHRINK);
        w.s[i].flags |= BD_VM_TAG_EXCLUDE;
        pw_cycle(&w);
        assert_int_equal(w.d[i].reason, BD_REASON_EXCLUDED_METADATA);
        assert_int_equal(w.withdrawn[i], M(4096));
        pw_cycle(&w);
        assert_int_equal(w.withdrawn[i], 0); /* once */

        i = pw_lagging(&w);
        pw_cycle(&w);
        w.frozen[i] = true;
        w.wall += 60; /* stale */
        pw_cycle(&w);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        assert_int_equal(w.withdrawn[i], M(4096));

        i = pw_lagging(&w);
        pw_cycle(&w);
        w.s[i].state = BD_RUN_PAUSED;
        pw_cycle(&w);
        assert_false(w.d[i].withdraw); /* cannot be set while paused */
}

/* Shrunk, then its statistics froze: what balloond took comes back, even
 * under pressure, within the host's RAM. */
static void test_blind_given_back(void **state) {
        struct pw w;
        size_t i = shrunk(&w, 0);
        uint64_t floor_size = w.s[i].actual_kib;

        (void)state;
        w.frozen[i] = true;
        w.wall += 60;
        pw_cycle(&w);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[i].action, BD_ACTION_GROW);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        assert_int_equal(w.s[i].actual_kib, M(4096));
        assert_true(floor_size < M(4096));
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE); /* all given back */

        /* No RAM above the host's reserve: nothing, said as no_headroom. */
        i = shrunk(&w, 0);
        w.frozen[i] = true;
        w.wall += 60;
        w.host.mem_available_kib = M(1024);
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        assert_int_equal(w.d[i].reason, BD_REASON_NO_HEADROOM);
        assert_true(w.d[i].unmet_kib > 0);
}

/* A give-back on its way is left to arrive: no lower target (which would
 * inflate the balloon back, as the end-to-end test caught: 1024 MiB set,
 * then 416 MiB set a cycle later while the balloon was still at 415), no
 * withdrawal. */
static void test_give_back_on_its_way(void **state) {
        struct pw w;
        size_t i = shrunk(&w, 0);
        uint64_t size = w.s[i].actual_kib;

        (void)state;
        w.h[i].taken_kib += M(1); /* shrinks that took more than the maximum gives back: a residue */
        w.frozen[i] = true;
        w.wall += 60;
        w.follow[i] = false;
        pw_cycle(&w);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        assert_int_equal(w.d[i].target_kib, M(4096));
        for (int c = 0; c < 5; c++) {
                pw_cycle(&w);
                assert_int_equal(w.d[i].action, BD_ACTION_NONE);
                assert_false(w.d[i].withdraw);
                assert_int_equal(w.s[i].actual_kib, size);
        }
        /* Half way: still nothing set. */
        w.s[i].actual_kib = M(3000);
        pw_cycle(&w);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        assert_false(w.d[i].withdraw);
        assert_int_equal(w.d[i].foreign_kib, 0);
}

/* A host device plugged into a shrunk guest: given its entitlement back. */
static void test_vfio_hotplug_deflates(void **state) {
        struct pw w;
        size_t i = shrunk(&w, 0);

        (void)state;
        w.s[i].flags |= BD_VM_VFIO;
        pw_cycle(&w);
        assert_int_equal(w.d[i].status, BD_STATUS_EXCLUDED);
        assert_int_equal(w.d[i].action, BD_ACTION_GROW);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        assert_int_equal(w.d[i].target_kib, M(4096));
        /* A VM that started with its device is never touched. */
        pw_init(&w);
        i = pw_add(&w, 4096, 2048, 1024);
        w.s[i].flags = BD_VM_VFIO;
        pw_cycles(&w, 3);
        assert_int_equal(w.d[i].action, BD_ACTION_NONE);
        assert_int_equal(w.d[i].reason, BD_REASON_VFIO);
}

static void test_odd_guests_by_name(void **state) {
        static const struct {
                unsigned flag;
                enum bd_reason reason;
                enum bd_vm_status status;
        } cases[] = {
                { BD_VM_CONFIDENTIAL, BD_REASON_CONFIDENTIAL, BD_STATUS_EXCLUDED },
                { BD_VM_VDPA, BD_REASON_VDPA, BD_STATUS_EXCLUDED },
                { BD_VM_VIRTIO_MEM, BD_REASON_VIRTIO_MEM, BD_STATUS_EXCLUDED },
                { BD_VM_FACTS_UNKNOWN, BD_REASON_FACTS_UNKNOWN, BD_STATUS_BLIND },
        };
        struct pw w;

        (void)state;
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                size_t i;

                pw_init(&w);
                i = pw_add(&w, 4096, 4096, 1024);
                w.s[i].flags = cases[k].flag;
                pw_free_pct(&w, 10);
                pw_cycles(&w, 3);
                assert_int_equal(w.d[i].reason, cases[k].reason);
                assert_int_equal(w.d[i].status, cases[k].status);
                assert_int_equal(w.s[i].actual_kib, M(4096));
        }
        assert_string_equal(bd_reason_to_string(BD_REASON_FACTS_UNKNOWN), "facts_unknown");
        assert_string_equal(bd_reason_to_string(BD_REASON_CONFIDENTIAL), "confidential");
        assert_string_equal(bd_reason_to_string(BD_REASON_VDPA), "vdpa");
        assert_string_equal(bd_reason_to_string(BD_REASON_VIRTIO_MEM), "virtio_mem");
}

/* No `usable` (older drivers): unused + disk caches, twice the margin. */
static void test_stats_incomplete(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        pw_init(&w);
        i = pw_add(&w, 4096, 4096, 1024);
        pw_free_pct(&w, 10);
        pw_report(&w);
        for (int c = 0; c < 200; c++) {
                pw_report(&w);
                w.s[i].unused_kib = w.s[i].usable_kib - M(100);
                w.s[i].disk_caches_kib = M(100);
                w.s[i].usable_kib = BD_KIB_UNKNOWN;
                bd_policy_run(&w.cfg, &w.host, w.s, w.h, w.n, &w.hs, w.now, w.wall, w.d, &w.view);
                assert_int_equal(w.d[i].status, BD_STATUS_OK);
                assert_true(w.d[i].stats_incomplete);
                if (w.d[i].action != BD_ACTION_NONE) {
                        bd_policy_note_applied(&w.h[i], &w.d[i], w.now);
                        w.s[i].actual_kib = w.d[i].target_kib;
                }
                w.now += 5 * SEC;
                w.wall += 5;
        }
        assert_int_equal(w.d[i].margin_kib, 2 * M(256));
        assert_true(w.s[i].actual_kib >= M(1024 + 512));
        /* Nothing but sizes: blind (stats_never), and what balloond took
         * is given back. */
        pw_report(&w);
        w.s[i].usable_kib = w.s[i].unused_kib = BD_KIB_UNKNOWN;
        bd_policy_run(&w.cfg, &w.host, w.s, w.h, w.n, &w.hs, w.now, w.wall, w.d, &w.view);
        assert_int_equal(w.d[i].status, BD_STATUS_BLIND);
        assert_int_equal(w.d[i].reason, BD_REASON_GIVE_BACK);
        w.h[i].taken_kib = 0;
        bd_policy_run(&w.cfg, &w.host, w.s, w.h, w.n, &w.hs, w.now, w.wall, w.d, &w.view);
        assert_int_equal(w.d[i].reason, BD_REASON_STATS_NEVER);
}

/* A relaxed host deflates up to the persistent <currentMemory>. */
static void test_deflates_to_entitlement(void **state) {
        struct pw w;
        size_t i;

        (void)state;
        pw_init(&w);
        pw_free_pct(&w, 60);
        i = pw_add(&w, 8192, 2048, 1024);
        w.s[i].entitled_kib = M(4096);
        pw_cycles(&w, 20);
        assert_int_equal(w.s[i].actual_kib, M(4096));
        assert_int_equal(w.d[i].reason, BD_REASON_AT_ENTITLED);
        w.cfg.deflate_to_entitled = false;
        pw_cycles(&w, 20);
        assert_int_equal(w.s[i].actual_kib, M(8192));
        /* Unknown entitlement: the maximum. */
        pw_init(&w);
        pw_free_pct(&w, 60);
        i = pw_add(&w, 8192, 2048, 1024);
        w.s[i].entitled_kib = BD_KIB_UNKNOWN;
        pw_cycles(&w, 20);
        assert_int_equal(w.s[i].actual_kib, M(8192));
}

/* With deflate-on-OOM, ballooned pages count as used inside the guest and
 * MemTotal stays at the maximum: balloond's used is balloon size - usable,
 * the report is sane, and the floor is the same as without it. */
static void test_autodeflate_numbers(void **state) {
        struct pw w, plain;
        size_t i, j;

        (void)state;
        pw_init(&w);
        i = pw_add(&w, 4096, 2048, 1024);
        w.s[i].flags = BD_VM_AUTODEFLATE;
        pw_free_pct(&w, 25);
        pw_cycle(&w);
        pw_init(&plain);
        j = pw_add(&plain, 4096, 2048, 1024);
        pw_free_pct(&plain, 25);
        pw_cycle(&plain);
        assert_int_equal(w.s[i].available_kib, M(4096));
        assert_null(bd_policy_stats_insane(&w.s[i], NULL));
        assert_int_equal(w.d[i].status, BD_STATUS_OK);
        assert_int_equal(w.d[i].used_kib, M(1024));
        assert_int_equal(w.d[i].floor_kib, plain.d[j].floor_kib);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_guest_deflates_itself),
                cmocka_unit_test(test_foreign_target),
                cmocka_unit_test(test_start_up_inflation_is_not_foreign),
                cmocka_unit_test(test_own_moves_are_not_foreign),
                cmocka_unit_test(test_heading_for_the_target_before),
                cmocka_unit_test(test_stuck_target_withdrawn),
                cmocka_unit_test(test_untended_target_withdrawn),
                cmocka_unit_test(test_blind_given_back),
                cmocka_unit_test(test_give_back_on_its_way),
                cmocka_unit_test(test_vfio_hotplug_deflates),
                cmocka_unit_test(test_odd_guests_by_name),
                cmocka_unit_test(test_stats_incomplete),
                cmocka_unit_test(test_deflates_to_entitlement),
                cmocka_unit_test(test_autodeflate_numbers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
