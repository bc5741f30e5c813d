/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger and reclaim confirmed on the host (src/core/ledger.c): what a
 * measurement confirms, when a VM is ineffective and why, what the host line
 * adds up, and that the policy chooses donors by host gain when RAM is short
 * (and by balloon size when the VM budget is). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/ledger.h"
#include "balloond/core/units.h"

#define SEC USEC_PER_SEC
#define M(mib) ((uint64_t)(mib) * MIB)
#define WALL 1790000000LL

static struct bd_vm_sample vm_of(const char *name, uint64_t max_mib, uint64_t size_mib, uint64_t used_mib,
                                 uint64_t rss_mib) {
        struct bd_vm_sample s;

        bd_vm_sample_init(&s);
        snprintf(s.name, sizeof(s.name), "%s", name);
        snprintf(s.uuid, sizeof(s.uuid), "00000000-0000-4000-8000-0000000000%02u", (unsigned)strlen(name) % 100u);
        s.state = BD_RUN_RUNNING;
        s.max_kib = M(max_mib);
        s.actual_kib = M(size_mib);
        s.available_kib = s.actual_kib;
        s.usable_kib = sub_sat(M(size_mib), M(used_mib));
        s.unused_kib = s.usable_kib;
        s.disk_caches_kib = 0;
        s.swap_in_kib = s.swap_out_kib = s.major_faults = 0;
        s.last_update_sec = WALL;
        s.stats_period_sec = 2;
        s.rss_kib = M(rss_mib);
        return s;
}

/* A shrink from FROM to TO MiB applied with the process at RSS MiB. */
static void shrink(struct bd_vm_history *h, uint64_t from, uint64_t to, uint64_t rss) {
        struct bd_decision d = { .action = BD_ACTION_SHRINK, .actual_kib = M(from), .target_kib = M(to),
                                 .rss_kib = M(rss), .usable_kib = BD_KIB_UNKNOWN };

        bd_ledger_note_applied(h, &d);
        h->target_kib = M(to);
}

/* The balloon reached TO and the process holds RSS: observed over enough cycles. */
static void settle(struct bd_vm_history *h, struct bd_vm_sample *s, uint64_t to, uint64_t rss) {
        s->actual_kib = M(to);
        s->rss_kib = M(rss);
        for (int i = 0; i < BD_RECLAIM_SETTLE_CYCLES; i++)
                bd_ledger_observe(h, s);
}

static void test_confirmed(void **state) {
        struct bd_vm_sample s = vm_of("a", 4096, 4096, 1024, 3000);
        struct bd_vm_history h = { 0 };

        (void)state;
        shrink(&h, 4096, 3096, 3000);
        assert_true(h.reclaim.open);
        /* Not settled yet: the balloon is on its way. */
        s.actual_kib = M(3500);
        bd_ledger_observe(&h, &s);
        assert_true(h.reclaim.open);
        settle(&h, &s, 3096, 2200);
        assert_false(h.reclaim.open);
        assert_int_equal(h.reclaim.returned_kib, M(800));
        assert_int_equal(h.reclaim.measured, 1);
        assert_true(h.reclaim.ratio > 0.79 && h.reclaim.ratio < 0.81);
        assert_true(bd_ledger_gain(&s, &h) > 0.79);
        /* Confirmed is never more than the balloon moved (the guest freed more meanwhile). */
        shrink(&h, 3096, 2996, 2200);
        settle(&h, &s, 2996, 1500);
        assert_int_equal(h.reclaim.returned_kib, M(900));
        /* A grow gives back what it returned first. */
        {
                struct bd_decision g = { .action = BD_ACTION_GROW, .actual_kib = M(2996), .target_kib = M(3296) };

                bd_ledger_note_applied(&h, &g);
                assert_int_equal(h.reclaim.returned_kib, M(600));
        }
        /* Never more than the balloon holds back. */
        s.actual_kib = M(3896);
        bd_ledger_observe(&h, &s);
        assert_int_equal(h.reclaim.returned_kib, M(200));
        /* A size missing for a cycle forgets nothing. */
        s.actual_kib = BD_KIB_UNKNOWN;
        bd_ledger_observe(&h, &s);
        assert_int_equal(h.reclaim.returned_kib, M(200));
        s.actual_kib = M(3896);
        /* Shut off: it holds nothing. */
        s.state = BD_RUN_SHUTOFF;
        bd_ledger_observe(&h, &s);
        assert_int_equal(h.reclaim.returned_kib, 0);
}

/* Shrinks that return nothing, once the balloon moved an eighth of its
 * maximum (512 MiB): ineffective, with the reason its configuration
 * suggests; resident memory growing again re-opens it. */
static void test_ineffective(void **state) {
        static const struct {
                unsigned flags;
                enum bd_ineffective why;
        } rows[] = {
                { 0, BD_INEFFECTIVE_FREE_REPORTED },
                { BD_VM_NO_FREE_PAGE_REPORTING, BD_INEFFECTIVE_NOT_RESIDENT },
                { BD_VM_SHARED_MEMORY, BD_INEFFECTIVE_SHARED },
        };

        (void)state;
        for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
                struct bd_vm_sample s = vm_of("b", 4096, 4096, 512, 700);
                struct bd_vm_history h = { 0 };

                s.flags = rows[r].flags;
                shrink(&h, 4096, 3596, 700);
                settle(&h, &s, 3596, 690);
                assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_NO);
                assert_true(bd_ledger_gain(&s, &h) > 0.0); /* low, never nil: measured again */
                shrink(&h, 3596, 3096, 690);
                s.usable_kib = M(3096 - 512); /* the guest uses 512 MiB: 176 of 688 resident are idle */
                settle(&h, &s, 3096, 688);
                assert_int_equal(h.reclaim.ineffective, rows[r].why);
                assert_true(bd_ledger_gain(&s, &h) == 0.0);
                assert_int_equal(h.reclaim.returned_kib, M(12));
                /* A cycle without a size (unknown, or 0) does not end it. */
                s.actual_kib = BD_KIB_UNKNOWN;
                bd_ledger_observe(&h, &s);
                assert_int_equal(h.reclaim.ineffective, rows[r].why);
                s.actual_kib = 0;
                bd_ledger_observe(&h, &s);
                assert_int_equal(h.reclaim.ineffective, rows[r].why);
                /* A report made after a deflate libvirt's size does not show yet. */
                s.actual_kib = M(3096);
                s.usable_kib = M(3900);
                bd_ledger_observe(&h, &s);
                assert_int_equal(h.reclaim.ineffective, rows[r].why);
                s.usable_kib = M(3096 - 512);
                s.actual_kib = M(3096);
                /* Too little growth: still ineffective; enough, in
                 * BD_RECLAIM_PROBE_REPORTS new reports at this size: probed
                 * anew (tests/test_ledger_ineffective.c: the moving balloon). */
                s.rss_kib = M(688 + 32);
                for (int i = 0; i < BD_RECLAIM_PROBE_REPORTS + 1; i++) {
                        s.last_update_sec++;
                        bd_ledger_observe(&h, &s);
                }
                assert_int_equal(h.reclaim.ineffective, rows[r].why);
                s.rss_kib = M(688 + 420);
                for (int i = 0; i < BD_RECLAIM_PROBE_REPORTS; i++) {
                        assert_int_equal(h.reclaim.ineffective, rows[r].why);
                        s.last_update_sec++;
                        bd_ledger_observe(&h, &s);
                }
                assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_NO);
                assert_true(bd_ledger_gain(&s, &h) == 1.0);
        }
}

/* One large shrink that returned nothing is enough to judge. */
static void test_ineffective_large(void **state) {
        struct bd_vm_sample s = vm_of("big", 1024, 1024, 100, 150);
        struct bd_vm_history h = { 0 };

        (void)state;
        shrink(&h, 1024, 1000, 150); /* under an eighth of 1 GiB: not enough alone */
        settle(&h, &s, 1000, 150);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_NO);
        shrink(&h, 1000, 600, 150);
        settle(&h, &s, 600, 149);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
}

/* What the guest took meanwhile is resident too: it counts as returned by
 * the balloon (the process fell 200 MiB while the guest used 100 more). */
static void test_guest_activity(void **state) {
        struct bd_vm_sample s = vm_of("act", 4096, 4096, 1000, 3000);
        struct bd_vm_history h = { 0 };
        struct bd_decision d = { .action = BD_ACTION_SHRINK, .actual_kib = M(4096), .target_kib = M(3796),
                                 .rss_kib = M(3000), .usable_kib = M(3096) };

        (void)state;
        bd_ledger_note_applied(&h, &d);
        h.target_kib = M(3796);
        s.usable_kib = M(3796 - 1100); /* used 1100 */
        settle(&h, &s, 3796, 2800);
        assert_int_equal(h.reclaim.returned_kib, M(300));
        /* The guest freed memory meanwhile: the fall is not all the balloon's. */
        d.actual_kib = M(3796);
        d.target_kib = M(3496);
        d.rss_kib = M(2800);
        d.usable_kib = M(3796 - 1100);
        bd_ledger_note_applied(&h, &d);
        h.target_kib = M(3496);
        s.usable_kib = M(3496 - 900); /* used 900 */
        settle(&h, &s, 3496, 2400);
        assert_int_equal(h.reclaim.returned_kib, M(300 + 200));
}

/* Small moves and unknown resident memory confirm nothing. */
static void test_unmeasured(void **state) {
        struct bd_vm_sample s = vm_of("c", 2048, 2048, 512, 1500);
        struct bd_vm_history h = { 0 };
        struct bd_decision d = { .action = BD_ACTION_SHRINK, .actual_kib = M(2048), .target_kib = M(1024),
                                 .rss_kib = BD_KIB_UNKNOWN };

        (void)state;
        shrink(&h, 2048, 2040, 1500);
        settle(&h, &s, 2040, 1400);
        assert_int_equal(h.reclaim.measured, 0);
        assert_int_equal(h.reclaim.returned_kib, 0);
        bd_ledger_note_applied(&h, &d);
        assert_false(h.reclaim.open);
        /* A backend without the figure (0): nothing opened either. */
        d.rss_kib = 0;
        bd_ledger_note_applied(&h, &d);
        assert_false(h.reclaim.open);
        assert_true(bd_ledger_gain(&s, &h) == 1.0);
}

/* XML reasons, whatever was measured. */
static void test_static_reasons(void **state) {
        struct bd_vm_sample s = vm_of("d", 2048, 2048, 512, 1500);

        (void)state;
        s.flags = BD_VM_HUGEPAGES;
        assert_int_equal(bd_ledger_ineffective(&s, NULL), BD_INEFFECTIVE_HUGEPAGES);
        s.flags = BD_VM_VFIO;
        assert_int_equal(bd_ledger_ineffective(&s, NULL), BD_INEFFECTIVE_PINNED);
        s.flags = BD_VM_LOCKED;
        assert_int_equal(bd_ledger_ineffective(&s, NULL), BD_INEFFECTIVE_LOCKED);
        assert_string_equal(bd_ineffective_to_string(BD_INEFFECTIVE_FREE_REPORTED), "free_pages_reported");
        assert_string_equal(bd_ineffective_to_string(BD_INEFFECTIVE__COUNT), "unknown");
}

/* The VM line and the host line: reclaimable is resident memory beyond what
 * the guest uses and KSM shares, within its room above its floor; the host's
 * reclaimed is the sum of what the VMs holding memory returned. */
static void test_lines(void **state) {
        struct bd_vm_sample s[3] = { vm_of("e", 4096, 3072, 1024, 2500), vm_of("ff", 4096, 2048, 512, 600),
                                     vm_of("ggg", 2048, 2048, 512, 0) };
        struct bd_vm_history h[3] = { { 0 } };
        struct bd_decision d[3] = { { 0 } };
        struct bd_vm_ledger l[3];
        struct bd_host_sample host = { .mem_total_kib = M(16384), .mem_available_kib = M(8000),
                                       .swap_used_kib = M(5), .ksm_sharing_kib = M(300) };
        struct bd_host_ledger hl;

        (void)state;
        s[0].ksm_kib = M(200);
        s[0].disk_caches_kib = M(400);
        s[0].unused_kib = M(1648);
        h[0].reclaim.returned_kib = M(700);
        h[1].reclaim.returned_kib = M(300);
        h[2].reclaim.returned_kib = M(50);
        s[2].state = BD_RUN_SHUTOFF;
        for (int i = 0; i < 3; i++) {
                d[i].status = i == 2 ? BD_STATUS_EXCLUDED : BD_STATUS_OK;
                d[i].target_kib = s[i].actual_kib;
                d[i].floor_kib = M(1400);
                bd_ledger_vm(&s[i], &d[i], &h[i], &l[i]);
        }
        /* used = 3072 - 1648 - 400 = 1024; beyond = 2500 - 200 - 1024 = 1276; room 1672. */
        assert_int_equal(l[0].guest_used_kib, M(1024));
        assert_int_equal(l[0].reclaimable_kib, M(1276));
        assert_int_equal(l[0].not_resident_kib, M(572));
        assert_true(l[0].fpr);
        /* 600 resident, 512 used: 88, within a room of 648. */
        assert_int_equal(l[1].reclaimable_kib, M(88));
        assert_int_equal(l[2].resident_kib, BD_KIB_UNKNOWN);
        assert_int_equal(l[2].returned_kib, 0);
        bd_ledger_host(&host, s, l, 3, &hl);
        assert_int_equal(hl.reclaimed_kib, M(1000));
        assert_int_equal(hl.vms_resident_kib, M(3100));
        assert_int_equal(hl.vms_resident_unknown, 0);
        assert_int_equal(hl.ballooned_kib, M(1024 + 2048));
        assert_int_equal(hl.ksm_sharing_kib, M(300));
        assert_int_equal(hl.swap_used_kib, M(5));
}

/* Under RAM pressure the ineffective VM is not shrunk and the other gives
 * the need; under the VM budget (balloon sizes) both give. */
static void test_donors_by_gain(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s[2] = { vm_of("idle", 8192, 8192, 1024, 1200), vm_of("cache", 8192, 8192, 1024, 7000) };
        struct bd_vm_history h[2] = { { 0 } };
        struct bd_decision d[2];
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_host_sample host = { .mem_total_kib = M(32768), .mem_available_kib = M(4096) };

        (void)state;
        bd_config_defaults(&cfg);
        h[0].reclaim.ineffective = BD_INEFFECTIVE_FREE_REPORTED;
        h[0].reclaim.rss_mark_kib = M(1200);
        bd_policy_run(&cfg, &host, s, h, 2, &hs, 1000 * SEC, WALL, d, &v);
        assert_true(v.ram_driven);
        assert_int_equal(d[0].action, BD_ACTION_NONE);
        assert_int_equal(d[0].reason, BD_REASON_INEFFECTIVE);
        assert_int_equal(d[1].action, BD_ACTION_SHRINK);

        /* The budget binds: balloon sizes count, both give. */
        memset(h, 0, sizeof(h));
        h[0].reclaim.ineffective = BD_INEFFECTIVE_FREE_REPORTED;
        h[0].reclaim.rss_mark_kib = M(1200);
        hs.seen = false;
        host.mem_available_kib = M(30000);
        cfg.vm_budget_kib = M(12288);
        bd_policy_run(&cfg, &host, s, h, 2, &hs, 1000 * SEC, WALL, d, &v);
        assert_false(v.ram_driven);
        assert_int_equal(d[0].action, BD_ACTION_SHRINK);
        assert_int_equal(d[1].action, BD_ACTION_SHRINK);
}

/* Two like VMs under RAM pressure: measured gains of 1 and 0.25 share the
 * need 4:1; gains within a quarter of each other (noise), or one not
 * measured yet, share it as before. Shrinks on their way count toward the
 * goal for what they are expected to return. */
static void measured(struct bd_vm_history *h, double ratio) {
        h->reclaim.measured = 5;
        h->reclaim.sum_moved = (double)M(2048);
        h->reclaim.sum_got = ratio * (double)M(2048);
        h->reclaim.ratio = ratio;
}

static void two_donors(double r0, double r1, uint64_t *give0, uint64_t *give1, struct bd_host_view *v) {
        struct bd_config cfg;
        struct bd_vm_sample s[2] = { vm_of("one", 8192, 8192, 1024, 8000), vm_of("two", 8192, 8192, 1024, 8000) };
        struct bd_vm_history h[2] = { { 0 } };
        struct bd_decision d[2];
        struct bd_host_state hs = { 0 };
        struct bd_host_sample host = { .mem_total_kib = M(32768), .mem_available_kib = M(6000) };

        bd_config_defaults(&cfg);
        cfg.shrink_max_kib = M(4096);
        cfg.shrink_pct = 50;
        cfg.host_shrink_cap_kib = M(100000);
        if (r0 >= 0)
                measured(&h[0], r0);
        if (r1 >= 0)
                measured(&h[1], r1);
        bd_policy_run(&cfg, &host, s, h, 2, &hs, 1000 * SEC, WALL, d, v);
        *give0 = d[0].actual_kib - d[0].target_kib;
        *give1 = d[1].actual_kib - d[1].target_kib;
}

static void test_gain_weighs(void **state) {
        struct bd_host_view v;
        uint64_t a, b;

        (void)state;
        two_donors(1.0, 0.25, &a, &b, &v);
        assert_true(v.ram_driven);
        assert_true(a > 0 && b > 0);
        assert_true(a + M(2) >= 4 * b && a <= 4 * b + M(8));
        two_donors(1.0, 0.8, &a, &b, &v); /* within the dead zone */
        assert_true(a <= b + M(1) && b <= a + M(1));
        two_donors(0.25, -1, &a, &b, &v); /* the other not measured */
        assert_true(a <= b + M(1) && b <= a + M(1));
}

static void test_in_flight_gain(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s[1] = { vm_of("half", 8192, 8192, 1024, 8000) };
        struct bd_vm_history h[1] = { { 0 } };
        struct bd_decision d[1];
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_host_sample host = { .mem_total_kib = M(32768), .mem_available_kib = M(6400) };

        (void)state;
        bd_config_defaults(&cfg);
        measured(&h[0], 0.5);
        /* A shrink to 7192 MiB on its way, the balloon at 8192. */
        h[0].seen = true;
        h[0].target_kib = M(7192);
        h[0].prev_actual_kib = M(8192);
        h[0].progress_usec = 1000 * SEC;
        h[0].best_distance_kib = M(1000);
        h[0].last_change_usec = 1000 * SEC;
        bd_policy_run(&cfg, &host, s, h, 1, &hs, 1001 * SEC, WALL, d, &v);
        assert_int_equal(v.in_flight_kib, M(1000));
        assert_int_equal(v.in_flight_gain_kib, M(500));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_confirmed),     cmocka_unit_test(test_ineffective),
                cmocka_unit_test(test_unmeasured),    cmocka_unit_test(test_static_reasons),
                cmocka_unit_test(test_lines),         cmocka_unit_test(test_donors_by_gain),
                cmocka_unit_test(test_gain_weighs),   cmocka_unit_test(test_in_flight_gain),
                cmocka_unit_test(test_ineffective_large),
                cmocka_unit_test(test_guest_activity),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
