/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest out of memory that pushed memory out to swap needs it back
 * (src/core/policy_emergency.c): its size plus what it swapped out plus the
 * margin of its use with that memory counted, granted like its floor (within
 * RAM above the reserve, not cut at the critical line); on the first report
 * balloond sees, what its counters say is still in swap, asked for like
 * comfort. batch-mix in
 * balloond-sim: a worker's 2.5 GiB job on 717 MiB was grown a grant a report,
 * each short of its need an OOM (9 OOMs, 3 with this). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_world.h"

/* The margin of USED KiB with the defaults (20 %, at least 256 MiB), KiB. */
static uint64_t margin_of(uint64_t used_kib) {
        uint64_t m = used_kib / 5;

        return m > M(256) ? m : M(256);
}

/* A job starts: the guest fills its memory and pushes 1.5 GiB out to swap,
 * on a host in pressure with about 640 MiB above its critical line and
 * 3.8 GiB above its reserve. All of the swapped memory comes back in one
 * grant: it is what the guest needs to live, like its floor. Cut at the
 * critical line, the guest got its floor and 640 MiB, 1.3 GiB short of what
 * it had just pushed out. */
static void test_swapped_memory_granted_like_the_floor(void **state) {
        struct pw w;
        size_t i = pw_at_floor(&w, 1024);
        uint64_t size = w.s[i].actual_kib, need;

        (void)state;
        pw_free_pct(&w, 6);
        w.used[i] = size; /* no free memory */
        w.s[i].swap_out_kib += M(1536);
        need = size + M(1536) + margin_of(size + M(1536));
        pw_cycle(&w);
        assert_int_equal(w.view.band, BD_BAND_PRESSURE);
        assert_true(w.view.ram_headroom_kib < M(1536));
        assert_int_equal(w.d[i].action, BD_ACTION_GROW);
        assert_int_equal(w.d[i].swap_need_kib, need);
        assert_true(w.d[i].target_kib >= need);
        assert_true(w.s[i].actual_kib >= need);
}

/* The first report balloond sees of a 4 GiB guest at 1 GiB using all of
 * it, whose counters say OUT_MIB went out to swap and IN_MIB came back. */
static size_t first_report(struct pw *w, uint64_t out_mib, uint64_t in_mib) {
        size_t i;

        pw_init(w);
        i = pw_add(w, 4096, 1024, 1024);
        w->s[i].swap_out_kib = M(out_mib);
        w->s[i].swap_in_kib = M(in_mib);
        pw_cycle(w);
        assert_int_equal(w->d[i].action, BD_ACTION_GROW);
        return i;
}

/* 1 GiB out, none back: that 1 GiB is what it asks for, not just twice
 * its margin; within the critical line (old counters may count pages freed
 * in swap), not like its floor. */
static void test_first_report_counts_what_is_in_swap(void **state) {
        struct pw w;
        size_t i = first_report(&w, 1024, 0);

        (void)state;
        assert_int_equal(w.d[i].want_kib, M(2048) + margin_of(M(2048)));
        assert_int_equal(w.d[i].swap_need_kib, 0);
        assert_true(w.s[i].actual_kib >= M(2048) + margin_of(M(2048)));
}

/* What came back from swap is not needed again: swapped out less swapped
 * in, and nothing when all came back. */
static void test_first_report_net_of_swap_in(void **state) {
        struct pw w;
        size_t i = first_report(&w, 1024, 1024);

        (void)state;
        assert_int_equal(w.d[i].swap_need_kib, 0);
        assert_true(w.d[i].want_kib < M(2048));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_swapped_memory_granted_like_the_floor),
                cmocka_unit_test(test_first_report_counts_what_is_in_swap),
                cmocka_unit_test(test_first_report_net_of_swap_in),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
