/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest in need that reports absurd sizes near 2^64 KiB (an untrusted
 * guest, or libvirt's figures): its ask, used + 2 x margin, saturates at
 * 2^64 - 1 and is then capped at its maximum (docs/GUEST-SAFETY.md,
 * "Guest pressure"); never a wrapped figure, never a sum capped term by term.
 * The property test's oracle once capped the margin at 2^62 before doubling
 * it and so expected an ask a few GiB under the maximum (seeds 66 and 88 of
 * test_policy_props); these are those two worlds' VMs, one cycle each. */
#include "policy_table.h"

static void huge_vm(struct bd_vm_sample *s, uint64_t max_kib, uint64_t actual_kib, uint64_t usable_kib) {
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "huge");
        snprintf(s->uuid, sizeof(s->uuid), "5a0c3f9e-1b2d-4e6f-8a7b-000000000004");
        s->state = BD_RUN_RUNNING;
        s->max_kib = max_kib;
        s->actual_kib = actual_kib;
        s->usable_kib = usable_kib;
        s->available_kib = usable_kib;
        s->unused_kib = usable_kib / 2;
        s->disk_caches_kib = usable_kib / 2;
        s->swap_in_kib = s->swap_out_kib = s->major_faults = 0;
        s->last_update_sec = WALL;
        s->stats_period_sec = 2;
}

/* Half of 2^64 in its balloon and a few GiB free, with a 60 % margin (the
 * random worlds draw such): out of memory by its margin, used + 2 x margin
 * is past 2^64, so it asks for its maximum, which no host has: nothing
 * given, all of it unmet, no shrink. */
static void check_ask(uint64_t max_kib, uint64_t actual_kib, uint64_t usable_kib) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(RELAXED_HOST);
        struct bd_vm_history h = { 0 };
        struct bd_host_state hs = { 0 };
        struct bd_vm_sample s;
        struct bd_decision d;
        struct bd_host_view v;

        bd_config_defaults(&c);
        c.margin_pct = 60;
        huge_vm(&s, max_kib, actual_kib, usable_kib);
        bd_policy_run(&c, &host, &s, &h, 1, &hs, NOW, WALL, &d, &v);
        assert_int_equal(check_decisions("huge sizes", &c, &s, &d, 1, &v), 0);
        assert_int_equal(d.status, BD_STATUS_OK);
        assert_true(d.guest_pressure);
        assert_int_equal(d.want_kib, max_kib);
        assert_int_equal(d.action, BD_ACTION_NONE);
        assert_int_equal(d.reason, BD_REASON_NO_HEADROOM);
        assert_int_equal(d.unmet_kib, max_kib - actual_kib);
        assert_int_equal(d.target_kib, actual_kib);
}

static void test_seed66_hostile_guest(void **state) {
        (void)state;
        check_ask(UINT64_MAX - 65536, (1ULL << 63) + 1, 29455816);
}

static void test_seed88_libvirt_sizes(void **state) {
        (void)state;
        check_ask(UINT64_MAX - 2, (1ULL << 63) - 1, 4294967295ULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seed66_hostile_guest),
                cmocka_unit_test(test_seed88_libvirt_sizes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
