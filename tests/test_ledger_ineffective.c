/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An ineffective VM keeps its mark while its balloon moves (src/core/ledger.c,
 * probe()): libvirt's balloon size and the guest's report are read at
 * different moments, so while the balloon moves "size - usable" is not what
 * the guest uses. The case of tests/e2e/ledger.sh's bd-lf, without libvirt:
 * an idle guest with free page reporting, found ineffective by its shrinks,
 * then grown back to its maximum in one step, with reports ahead of
 * libvirt's size during the deflate. And a guest whose idle resident memory
 * really grew is still probed anew, once reports at one size show it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/config.h"
#include "balloond/core/ledger.h"
#include "balloond/core/units.h"

#define M(mib) ((uint64_t)(mib) * MIB)
#define WALL 1790000000LL
#define SEC USEC_PER_SEC

/* bd-lf's figures in an e2e run (size - usable 136 MiB, VmRSS 199 MiB):
 * 768 MiB, its guest uses USED MiB, its QEMU process holds RSS MiB whatever
 * the balloon does (free page reporting gave the rest back). Its mark is
 * then 63 MiB of idle resident memory, and 127 MiB probes it anew. */
#define MAX 768
#define USED 136
#define RSS 199

static struct bd_vm_sample lf(unsigned flags) {
        struct bd_vm_sample s;

        bd_vm_sample_init(&s);
        snprintf(s.name, sizeof(s.name), "bd-lf");
        snprintf(s.uuid, sizeof(s.uuid), "00000000-0000-4000-8000-00000000001f");
        s.state = BD_RUN_RUNNING;
        s.flags = flags;
        s.max_kib = M(MAX);
        s.actual_kib = M(MAX);
        s.available_kib = M(MAX);
        s.usable_kib = M(MAX - USED);
        s.unused_kib = s.usable_kib;
        s.disk_caches_kib = 0;
        s.swap_in_kib = s.swap_out_kib = s.major_faults = 0;
        s.last_update_sec = WALL;
        s.stats_period_sec = 1;
        s.rss_kib = M(RSS);
        return s;
}

/* One cycle: libvirt says the balloon is ACTUAL MiB; a new guest report
 * (NEW) made when it was AT MiB (usable = AT - USED); the process holds RSS. */
static void cycle(struct bd_vm_history *h, struct bd_vm_sample *s, uint64_t actual, uint64_t at, bool new, uint64_t rss) {
        s->actual_kib = M(actual);
        s->available_kib = M(at);
        s->usable_kib = M(at) - M(USED);
        s->unused_kib = s->usable_kib;
        s->rss_kib = M(rss);
        if (new)
                s->last_update_sec++;
        bd_ledger_observe(h, s);
}

/* balloond shrinks FROM -> TO (MiB); the balloon gets there and holds it. */
static void shrink(struct bd_vm_history *h, struct bd_vm_sample *s, uint64_t from, uint64_t to) {
        struct bd_decision d = { .action = BD_ACTION_SHRINK, .actual_kib = M(from), .target_kib = M(to),
                                 .rss_kib = M(RSS), .usable_kib = M(from - USED) };

        bd_ledger_note_applied(h, &d);
        h->target_kib = M(to);
        for (int i = 0; i < BD_RECLAIM_SETTLE_CYCLES; i++)
                cycle(h, s, to, to, true, RSS);
}

/* The e2e's shrinks (balloond's own steps there): nothing comes back. */
static void found_ineffective(struct bd_vm_history *h, struct bd_vm_sample *s, enum bd_ineffective why) {
        static const uint64_t steps[] = { 768, 691, 622, 559, 503, 453, 430, 411 };

        for (size_t i = 1; i < sizeof(steps) / sizeof(steps[0]); i++)
                shrink(h, s, steps[i - 1], steps[i]);
        assert_int_equal(h->reclaim.ineffective, why);
        assert_int_equal(h->reclaim.rss_mark_kib, M(RSS - USED));
        assert_true(bd_ledger_gain(s, h) == 0.0);
}

static void grow(struct bd_vm_history *h, uint64_t from, uint64_t to) {
        struct bd_decision g = { .action = BD_ACTION_GROW, .actual_kib = M(from), .target_kib = M(to) };

        bd_ledger_note_applied(h, &g);
        h->target_kib = M(to);
}

/* The grow 411 -> 768 MiB in one step: the guest deflates, its reports show
 * the memory it got back before libvirt's size does. The first cycle after
 * it, as measured in an e2e run with main's ledger (debug output): libvirt
 * still said 420,144 KiB, the report's usable was 354,948 KiB (72 MiB more
 * than the cycle before), VmRSS 198,776 KiB: size - usable 64 MiB instead
 * of 136, idle resident 130 MiB, over the 127 that probe it anew. That one
 * cycle ended the mark. */
static void test_grow_report_ahead(void **state) {
        struct bd_vm_sample s = lf(0);
        struct bd_vm_history h = { 0 };

        (void)state;
        found_ineffective(&h, &s, BD_INEFFECTIVE_FREE_REPORTED);
        grow(&h, 411, 768);
        cycle(&h, &s, 411, 411, true, RSS); /* not begun */
        cycle(&h, &s, 411, 620, true, RSS); /* report ahead by more than it uses: size - usable unknown */
        s.actual_kib = 420144;
        s.usable_kib = s.unused_kib = 354948;
        s.rss_kib = 198776;
        s.last_update_sec++;
        bd_ledger_observe(&h, &s);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
        cycle(&h, &s, 600, 690, true, RSS); /* ahead by less: used looks like 46 MiB */
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
        /* libvirt slower still: the same size for two more cycles, reports ahead. */
        cycle(&h, &s, 640, 720, true, RSS);
        cycle(&h, &s, 640, 740, true, RSS);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
        /* Then at the maximum, and held: what it was. */
        for (int i = 0; i < 20; i++)
                cycle(&h, &s, 768, 768, true, RSS + 3);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
        assert_true(bd_ledger_gain(&s, &h) == 0.0);
}

/* A shrink of an ineffective VM (for the VM budget, which counts balloon
 * sizes) with a report made before it, kept for cycles (a slow stats
 * period): size - usable falls short by what the balloon took. */
static void test_shrink_report_behind(void **state) {
        struct bd_vm_sample s = lf(0);
        struct bd_vm_history h = { 0 };

        (void)state;
        found_ineffective(&h, &s, BD_INEFFECTIVE_FREE_REPORTED);
        {
                struct bd_decision d = { .action = BD_ACTION_SHRINK, .actual_kib = M(411), .target_kib = M(330),
                                         .rss_kib = M(RSS), .usable_kib = M(411 - USED) };

                bd_ledger_note_applied(&h, &d);
                h.target_kib = M(330);
        }
        cycle(&h, &s, 330, 411, true, RSS); /* libvirt has the new size, the report is the old one */
        for (int i = 0; i < 5; i++)
                cycle(&h, &s, 330, 411, false, RSS); /* no new report yet */
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
        for (int i = 0; i < 5; i++)
                cycle(&h, &s, 330, 330, true, RSS);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
}

/* A guest without free page reporting that used 400 MiB and let it go: its
 * idle resident memory grew for good. Reports at one size show it: probed
 * anew after BD_RECLAIM_PROBE_REPORTS of them; a report without the growth,
 * or a balloon that moves, starts the count again. */
static void test_real_growth_probed(void **state) {
        struct bd_vm_sample s = lf(BD_VM_NO_FREE_PAGE_REPORTING);
        struct bd_vm_history h = { 0 };

        (void)state;
        found_ineffective(&h, &s, BD_INEFFECTIVE_NOT_RESIDENT);
        for (int i = 0; i < BD_RECLAIM_PROBE_REPORTS - 1; i++)
                cycle(&h, &s, 411, 411, true, RSS + 400);
        cycle(&h, &s, 411, 411, true, RSS); /* not this time */
        for (int i = 0; i < BD_RECLAIM_PROBE_REPORTS - 1; i++)
                cycle(&h, &s, 411, 411, true, RSS + 400);
        cycle(&h, &s, 420, 420, true, RSS + 400); /* the balloon moved */
        for (int i = 0; i < BD_RECLAIM_PROBE_REPORTS - 1; i++) {
                cycle(&h, &s, 420, 420, true, RSS + 400);
                cycle(&h, &s, 420, 420, false, RSS + 400); /* the same report again counts once */
        }
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_NOT_RESIDENT);
        cycle(&h, &s, 420, 420, true, RSS + 400);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_NO);
        assert_int_equal(h.reclaim.measured, 0);
        assert_true(bd_ledger_gain(&s, &h) == 1.0);
}

/* The same grow through the policy: on the cycle of the report ahead, the
 * decision still says ineffective (it is what the status file shows). */
static void test_policy_keeps_mark(void **state) {
        struct bd_config cfg;
        struct bd_vm_sample s = lf(0);
        struct bd_vm_history h = { 0 };
        struct bd_decision d;
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_host_sample host = { .mem_total_kib = M(24000), .mem_available_kib = M(20000) };

        (void)state;
        bd_config_defaults(&cfg);
        found_ineffective(&h, &s, BD_INEFFECTIVE_FREE_REPORTED);
        grow(&h, 411, 768);
        s.actual_kib = M(600);
        s.available_kib = M(690);
        s.usable_kib = s.unused_kib = M(690 - USED);
        s.last_update_sec++;
        bd_policy_run(&cfg, &host, &s, &h, 1, &hs, 1000 * SEC, s.last_update_sec, &d, &v);
        assert_int_equal(d.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
        assert_int_equal(h.reclaim.ineffective, BD_INEFFECTIVE_FREE_REPORTED);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_grow_report_ahead),
                cmocka_unit_test(test_shrink_report_behind),
                cmocka_unit_test(test_real_growth_probed),
                cmocka_unit_test(test_policy_keeps_mark),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
