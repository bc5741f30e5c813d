/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peers of the policy benchmark, rule by rule (src/sim/baseline_*.c):
 * each fixture's expected targets were computed by hand from the published
 * rule quoted above it. Sizes are MiB unless said; MOM works in floating
 * point and truncates, so its targets may land one KiB under the exact
 * figure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/sim/baselines.h"
#include "balloond/sim/simulate.h"

#define M(mib) ((uint64_t)(mib) * MIB)

static struct bd_host_sample host_mib(uint64_t total, uint64_t avail) {
        struct bd_host_sample h = { .mem_total_kib = M(total), .mem_available_kib = M(avail) };

        return h;
}

/* A running VM of MAX MiB, its balloon at ACTUAL, guest MemFree UNUSED (and
 * MemAvailable the same), reported at second 1. */
static struct bd_vm_sample vm_mib(uint64_t max, uint64_t actual, uint64_t unused) {
        struct bd_vm_sample s;

        bd_vm_sample_init(&s);
        snprintf(s.name, sizeof(s.name), "vm");
        s.state = BD_RUN_RUNNING;
        s.max_kib = M(max);
        s.actual_kib = M(actual);
        s.unused_kib = s.usable_kib = M(unused);
        s.last_update_sec = 1;
        return s;
}

/* TARGET is EXPECT MiB (one KiB under for a truncated floating-point figure). */
#define assert_mib(target, expect)                                                        \
        do {                                                                              \
                uint64_t t_ = (target), e_ = M(expect);                                   \
                if (t_ != e_ && t_ + 1 != e_)                                             \
                        fail_msg("target %llu KiB, expected %llu KiB (%llu MiB)",        \
                                 (unsigned long long)t_, (unsigned long long)e_,          \
                                 (unsigned long long)(expect));                           \
        } while (0)

/* ---- MOM ------------------------------------------------------------------- */

/* MOM decides on the latest balloon size; "used" is avg(size) - avg(MemFree).
 * Host 10 % free (< 20 %: pressure; > 5 %: not critical): the guest keeps
 * 0.20 x (0.10 / 0.20) = 10 % of its size free.
 * Samples (3000, 2000 free), (2000, 1400 free): used = 2500 - 1700 = 800;
 * current = 2000 (latest); floor = 800 + 10 % x 2000 = 1000;
 * at most 5 % a cycle: 0.95 x 2000 = 1900 > 1000 -> target 1900.
 * (On the average size, 2500, it would have been 2375.) */
static void test_mom_latest_size(void **state) {
        struct bd_mom *st = bd_mom_new(1);
        struct bd_host_sample h = host_mib(10000, 1000);
        struct bd_vm_sample s = vm_mib(4096, 3000, 2000);
        uint64_t min = 0, t;

        (void)state;
        assert_non_null(st);
        bd_mom_sample(st, &h, &s, 1);
        s = vm_mib(4096, 2000, 1400);
        bd_mom_sample(st, &h, &s, 1);
        bd_mom_decide(st, &h, &s, &min, 1, &t);
        assert_mib(t, 1900);
        bd_mom_free(st);
}

/* One decision for one VM after a single sample. */
static uint64_t mom_once(uint64_t host_free_pct, uint64_t max, uint64_t cur, uint64_t unused, uint64_t min_mib) {
        struct bd_mom *st = bd_mom_new(1);
        struct bd_host_sample h = host_mib(10000, host_free_pct * 100);
        struct bd_vm_sample s = vm_mib(max, cur, unused);
        uint64_t min = M(min_mib), t;

        assert_non_null(st);
        bd_mom_sample(st, &h, &s, 1);
        bd_mom_decide(st, &h, &s, &min, 1, &t);
        bd_mom_free(st);
        return t;
}

/* Under pressure: new = max(balloon_min, used + free share x current,
 * 0.95 x current), sent only if not above current and if it changes by more
 * than 0.25 % of current (5 MiB of 2000). */
static void test_mom_shrink_rules(void **state) {
        (void)state;
        /* min 1950 above 0.95 x 2000: min wins */
        assert_mib(mom_once(10, 4096, 2000, 1500, 1950), 1950);
        /* min 2100 above current: would grow, not sent under pressure */
        assert_int_equal(mom_once(10, 4096, 2000, 1500, 2100), 0);
        /* change of 4 MiB (0.2 %): too small; 6 MiB (0.3 %): sent */
        assert_int_equal(mom_once(10, 4096, 2000, 1500, 1996), 0);
        assert_mib(mom_once(10, 4096, 2000, 1500, 1994), 1994);
        /* used 1950, 10 % free: 1950 + 200 = 2150 > current: nothing */
        assert_int_equal(mom_once(10, 4096, 2000, 50, 0), 0);
        /* critical (4 % <= 5 %): share 0.04 - 0.05 = -1 %: 1950 - 20 = 1930 */
        assert_mib(mom_once(4, 4096, 2000, 50, 0), 1930);
        /* exactly 5 % is critical: share 0: used 1950 */
        assert_mib(mom_once(5, 4096, 2000, 50, 0), 1950);
        /* 19 %: pressure, share 0.19: 1000 + 380 = 1380 < 1900: the 5 % cap */
        assert_mib(mom_once(19, 4096, 2000, 1000, 0), 1900);
        /* 20 % is not pressure: the grow rule (2100, see below) */
        assert_mib(mom_once(20, 4096, 2000, 1000, 0), 2100);
}

/* Not under pressure, a guest below its maximum:
 * new = min(max, max(current x 1.05, used + 20 % x current, balloon_min)). */
static void test_mom_grow_rules(void **state) {
        (void)state;
        /* used 200: 200 + 400 = 600 < 2100: +5 % */
        assert_mib(mom_once(50, 4096, 2000, 1800, 0), 2100);
        /* used 1900: 1900 + 400 = 2300 > 2100: at once to 2300 */
        assert_mib(mom_once(50, 4096, 2000, 100, 0), 2300);
        /* balloon_min 3000 above both */
        assert_mib(mom_once(50, 4096, 2000, 1800, 3000), 3000);
        /* 4000 x 1.05 = 4200: capped at the maximum */
        assert_mib(mom_once(50, 4096, 4000, 3800, 0), 4096);
        /* at its maximum: nothing */
        assert_int_equal(mom_once(50, 4096, 4096, 3800, 0), 0);
}

/* Relaxed, a ballooned idle guest climbs 5 % a cycle all the way to its
 * maximum: 2000 x 1.05^14 = 3960 < 4096 <= 2000 x 1.05^15 = 4158, so the
 * 15th cycle reaches 4096 and the 16th sends nothing. Samples every 5 s,
 * decisions every 10 s (bd_peer_tick). */
static void test_mom_creeps_to_max(void **state) {
        struct bd_peer *p;
        struct bd_host_sample h = host_mib(10000, 5000);
        uint64_t min = 0, cur = M(2000), t = 0;
        int shares = 1000, cycles = 0;

        (void)state;
        assert_int_equal(bd_peer_new(BD_PEER_MOM, 1, &p), 0);
        for (uint64_t sec = 0; sec <= 400; sec++) {
                struct bd_vm_sample s = vm_mib(4096, 0, 0);

                s.actual_kib = cur;
                s.unused_kib = s.usable_kib = cur - M(200);
                if (!bd_peer_tick(p, sec, &h, &s, &min, &shares, 1, &t))
                        continue;
                if (t == 0)
                        break;
                cycles++;
                if (cycles == 1)
                        assert_mib(t, 2100);
                cur = t;
        }
        assert_int_equal(cycles, 15);
        assert_int_equal(cur, M(4096));
        bd_peer_free(p);
}

/* Guests with missing stats are skipped; so are VMs not running. */
static void test_mom_skips(void **state) {
        struct bd_mom *st = bd_mom_new(2);
        struct bd_host_sample h = host_mib(10000, 1000);
        struct bd_vm_sample s[2] = { vm_mib(4096, 2000, 1000), vm_mib(4096, 2000, 1000) };
        uint64_t min[2] = { 0, 0 }, t[2];

        (void)state;
        s[0].unused_kib = BD_KIB_UNKNOWN;
        s[1].state = BD_RUN_SHUTOFF;
        bd_mom_sample(st, &h, s, 2);
        bd_mom_decide(st, &h, s, min, 2, t);
        assert_int_equal(t[0], 0);
        assert_int_equal(t[1], 0);
        bd_mom_free(st);
}

/* ---- Proxmox ------------------------------------------------------------------
 * goal = 80 % x MemTotal - (MemTotal - MemAvailable) = MemAvailable - 20 % x
 * MemTotal. With MemTotal 10000: goal = MemAvailable - 2000. */

#define PVE_MAX 8

static void pve_round(uint64_t avail, const struct bd_vm_sample *s, const uint64_t *min_mib, size_t n,
                      uint64_t *t) {
        struct bd_proxmox *pm = bd_proxmox_new(n);
        struct bd_host_sample h = host_mib(10000, avail);
        uint64_t min[PVE_MAX];
        int shares[PVE_MAX];

        assert_non_null(pm);
        assert_true(n <= PVE_MAX);
        for (size_t i = 0; i < n; i++) {
                min[i] = M(min_mib[i]);
                shares[i] = 1000;
        }
        bd_proxmox_decide(pm, &h, s, min, shares, n, t);
        bd_proxmox_free(pm);
}

/* Grow goal +100; A (1024, MemFree 100 < 25 % of 1024 = 256) and B (1024,
 * MemFree 50) are under pressure, C and D (2048, MemFree 1000) comfortable.
 * Only A and B share: 0 + 0 + 100 over 2000 shares: each desired 1024 + 50
 * = 1074, a move of 50 (< 100): goal used up. C and D untouched.
 * (One pass over all four would have given everyone 1024 + 537.) */
static void test_proxmox_grow_pressured_share(void **state) {
        struct bd_vm_sample s[4] = { vm_mib(4096, 1024, 100), vm_mib(4096, 1024, 50), vm_mib(4096, 2048, 1000),
                                     vm_mib(4096, 2048, 1000) };
        uint64_t min[4] = { 1024, 1024, 1024, 1024 }, t[4];

        (void)state;
        pve_round(2100, s, min, 4, t);
        assert_mib(t[0], 1074);
        assert_mib(t[1], 1074);
        assert_int_equal(t[2], 0);
        assert_int_equal(t[3], 0);
}

/* Comfortable also needs the balloon at or above the minimum: E (900 <
 * 1024, MemFree 800) is under pressure and shares the grow with A.
 * Alloc = (900 - 1024) + 0 + 100 = -24: each desired 1024 - 12, clamped
 * to the minimum 1024: A is at it (done), E grows 900 -> 1000 (100 at
 * most). That used the whole goal: the round ends. */
static void test_proxmox_comfortable_needs_min(void **state) {
        struct bd_vm_sample s[2] = { vm_mib(4096, 1024, 100), vm_mib(4096, 900, 800) };
        uint64_t min[2] = { 1024, 1024 }, t[2];

        (void)state;
        pve_round(2100, s, min, 2, t);
        assert_int_equal(t[0], 0);
        assert_mib(t[1], 1000);
}

/* A grow request shrinks list members above their share: A (1024) and B
 * (3072, MemFree 100: under pressure), goal +100. Alloc = 0 + 2048 + 100 =
 * 2148: each desired 1024 + 1074 = 2098. A grows 100 to 1124, B shrinks 100
 * to 2972: net change 0, so the rest is still the whole goal (no progress)
 * and the fallback over every VM (the same two) gives the same. */
static void test_proxmox_grow_rebalances(void **state) {
        struct bd_vm_sample s[2] = { vm_mib(4096, 1024, 0), vm_mib(4096, 3072, 100) };
        uint64_t min[2] = { 1024, 1024 }, t[2];

        (void)state;
        pve_round(2100, s, min, 2, t);
        assert_mib(t[0], 1124);
        assert_mib(t[1], 2972);
}

/* The first pass makes no progress: the only VM under pressure (A, MemFree
 * 0) is at its minimum = maximum 2048; its share clamps to 2048 = its
 * balloon: done, nothing moved. So the goal +100 goes to every managed VM:
 * alloc = 0 + 0 + 100 over 2000 shares: A's 2048 + 50 clamps (done), C
 * (1024, comfortable) desired 1074: +50, rest 50; shared again over C
 * alone: alloc = 50 + 50 = 100: desired 1124, +100 from 1024: rest 0. */
static void test_proxmox_fallback_no_progress(void **state) {
        struct bd_vm_sample s[2] = { vm_mib(2048, 2048, 0), vm_mib(4096, 1024, 1000) };
        uint64_t min[2] = { 2048, 1024 }, t[2];

        (void)state;
        pve_round(2100, s, min, 2, t);
        assert_int_equal(t[0], 0);
        assert_mib(t[1], 1124);
}

/* Shrink goal -100 (MemAvailable 1900): only the comfortable C and D share
 * it: alloc = 2048 + 2048 - 100 = 3996: each 1024 + 1998 = 3022, a move of
 * 50 each: the goal is used up. A (under pressure) is not shrunk. */
static void test_proxmox_shrink_comfortable_share(void **state) {
        struct bd_vm_sample s[3] = { vm_mib(4096, 2048, 100), vm_mib(4096, 3072, 1000), vm_mib(4096, 3072, 1000) };
        uint64_t min[3] = { 1024, 1024, 1024 }, t[3];

        (void)state;
        pve_round(1900, s, min, 3, t);
        assert_int_equal(t[0], 0);
        assert_mib(t[1], 3022);
        assert_mib(t[2], 3022);
}

/* No comfortable VM: the shrink falls back to every VM: A (2048, min 1024):
 * alloc = 1024 - 100 = 924: desired 1948: -100. */
static void test_proxmox_shrink_fallback(void **state) {
        struct bd_vm_sample s[1] = { vm_mib(4096, 2048, 0) };
        uint64_t min[1] = { 1024 }, t[1];

        (void)state;
        pve_round(1900, s, min, 1, t);
        assert_mib(t[0], 1948);
}

/* At most 100 MiB per VM per round (goal +500: desired 1524, step 1124),
 * and nothing within the +-10 MiB deadband (goal exactly +10). */
static void test_proxmox_step_and_deadband(void **state) {
        struct bd_vm_sample s[1] = { vm_mib(4096, 1024, 0) };
        uint64_t min[1] = { 1024 }, t[1];

        (void)state;
        pve_round(2500, s, min, 1, t);
        assert_mib(t[0], 1124);
        pve_round(2010, s, min, 1, t);
        assert_int_equal(t[0], 0);
        pve_round(1990, s, min, 1, t);
        assert_int_equal(t[0], 0);
        pve_round(2011, s, min, 1, t);
        assert_mib(t[0], 1035); /* goal +11: 1024 + 11 */
}

/* Not managed: no minimum, shares 0, no balloon, locked for migration; a
 * paused VM is. Goal +100 among A (paused) and the others (skipped). */
static void test_proxmox_skips(void **state) {
        struct bd_proxmox *pm = bd_proxmox_new(5);
        struct bd_host_sample h = host_mib(10000, 2100);
        struct bd_vm_sample s[5];
        uint64_t min[5] = { M(1024), 0, M(1024), M(1024), M(1024) }, t[5];
        int shares[5] = { 1000, 1000, 0, 1000, 1000 };

        (void)state;
        for (size_t i = 0; i < 5; i++)
                s[i] = vm_mib(4096, 1024, 0);
        s[0].state = BD_RUN_PAUSED;
        s[3].flags |= BD_VM_NO_BALLOON;
        s[4].state = BD_RUN_MIGRATING;
        bd_proxmox_decide(pm, &h, s, min, shares, 5, t);
        assert_mib(t[0], 1124);
        for (size_t i = 1; i < 5; i++)
                assert_int_equal(t[i], 0);
        bd_proxmox_free(pm);
}

/* ---- host-only ------------------------------------------------------------------
 * MemTotal 10000: pressure at <= 1000 available, healthy at >= 1500. */

static void test_hostonly_floor(void **state) {
        (void)state;
        assert_int_equal(bd_hostonly_floor(M(4096)), M(2048)); /* 50 % */
        assert_int_equal(bd_hostonly_floor(M(800)), M(512));   /* 512 MiB above 50 % */
        assert_int_equal(bd_hostonly_floor(M(400)), M(400));   /* never above its size */
}

static void ho_pass(struct bd_hostonly *ho, uint64_t avail, const struct bd_vm_sample *s, size_t n, uint64_t sec,
                    uint64_t *t) {
        struct bd_host_sample h = host_mib(10000, avail);

        bd_hostonly_decide(ho, &h, s, n, sec, t);
}

/* Hysteresis and cooldown, one VM at 4096 of 4096 (floor 2048). */
static void test_hostonly_hysteresis(void **state) {
        struct bd_hostonly *ho = bd_hostonly_new(1);
        struct bd_vm_sample s = vm_mib(4096, 4096, 0);
        uint64_t t;

        (void)state;
        ho_pass(ho, 1100, &s, 1, 0, &t); /* 11 %: healthy, between the marks: hold */
        assert_false(bd_hostonly_pressure(ho));
        assert_int_equal(t, 0);
        ho_pass(ho, 1000, &s, 1, 1, &t); /* 10 %: pressure; gap 1500 - 1000 = 500: step 256 */
        assert_true(bd_hostonly_pressure(ho));
        assert_mib(t, 3840);
        s.actual_kib = M(3840);
        ho_pass(ho, 1400, &s, 1, 2, &t); /* 14 %: still pressure; stepped 1 s ago: cooldown */
        assert_true(bd_hostonly_pressure(ho));
        assert_int_equal(t, 0);
        ho_pass(ho, 1400, &s, 1, 5, &t); /* 4 s after: still cooling down */
        assert_int_equal(t, 0);
        ho_pass(ho, 1400, &s, 1, 6, &t); /* 5 s after: gap 100: step 100 */
        assert_mib(t, 3740);
        s.actual_kib = M(3740);
        ho_pass(ho, 1500, &s, 1, 20, &t); /* 15 %: healthy again; no surplus above 15 % */
        assert_false(bd_hostonly_pressure(ho));
        assert_int_equal(t, 0);
        ho_pass(ho, 1200, &s, 1, 21, &t); /* 12 % while healthy: hold */
        assert_false(bd_hostonly_pressure(ho));
        assert_int_equal(t, 0);
        ho_pass(ho, 1600, &s, 1, 22, &t); /* 16 %: 100 above the mark given back */
        assert_mib(t, 3840);
        bd_hostonly_free(ho);
}

/* Steps: at most 256, none under 64; the gap shared evenly, most room first;
 * nothing below the floor. */
static void test_hostonly_steps(void **state) {
        struct bd_hostonly *ho = bd_hostonly_new(4);
        struct bd_vm_sample s[4] = { vm_mib(4096, 4096, 0), vm_mib(4096, 4000, 0), vm_mib(4096, 3000, 0),
                                     vm_mib(4096, 2100, 0) };
        uint64_t t[4];

        (void)state;
        /* gap 100 over 3 VMs that may move (the 4th is 52 above its floor:
         * a step under 64): 100 / 3 -> 64 to the one with the most room
         * (4096), then 36 / 2 -> 64 to the next (4000): gap used up. */
        ho_pass(ho, 1000, s, 4, 0, t);
        ho_pass(ho, 1400, s, 4, 100, t);
        assert_mib(t[0], 4096 - 64);
        assert_mib(t[1], 4000 - 64);
        assert_int_equal(t[2], 0);
        assert_int_equal(t[3], 0);
        bd_hostonly_free(ho);

        /* gap 500 over 2 VMs: 250 each; gap 2000 over 2: 256 each (cap);
         * a VM 100 above its floor steps 100 only. */
        ho = bd_hostonly_new(2);
        s[0] = vm_mib(4096, 4096, 0);
        s[1] = vm_mib(4096, 4096, 0);
        ho_pass(ho, 1000, s, 2, 0, t);
        assert_mib(t[0], 4096 - 250);
        assert_mib(t[1], 4096 - 250);
        bd_hostonly_free(ho);
        ho = bd_hostonly_new(2);
        s[1] = vm_mib(4096, 2148, 0);
        ho_pass(ho, 100, s, 2, 0, t); /* 1 %: gap 1400 */
        assert_mib(t[0], 4096 - 256);
        assert_mib(t[1], 2048);
        bd_hostonly_free(ho);
}

/* ---- release-fully ------------------------------------------------------------ */

static void test_release_rules(void **state) {
        struct bd_release *rl = bd_release_new(1);
        struct bd_vm_sample s = vm_mib(4096, 4096, 2000);
        uint64_t t;

        (void)state;
        /* MemAvailable 2000 > 384: inflate until 256 stay: 4096 - 1744 = 2352 */
        bd_release_decide(rl, &s, 1, &t);
        assert_mib(t, 2352);
        /* the same report again: nothing new */
        bd_release_decide(rl, &s, 1, &t);
        assert_int_equal(t, 0);
        /* a new report before the balloon landed: no second inflation */
        s.last_update_sec = 3;
        bd_release_decide(rl, &s, 1, &t);
        assert_int_equal(t, 0);
        /* landed; 300 available (between 192 and 384): leave it */
        s = vm_mib(4096, 2352, 300);
        s.last_update_sec = 5;
        bd_release_decide(rl, &s, 1, &t);
        assert_int_equal(t, 0);
        /* exactly 384: not above: leave it; 385: inflate by 129 */
        s.usable_kib = M(384), s.last_update_sec = 7;
        bd_release_decide(rl, &s, 1, &t);
        assert_int_equal(t, 0);
        s.usable_kib = M(385), s.last_update_sec = 9;
        bd_release_decide(rl, &s, 1, &t);
        assert_mib(t, 2352 - 129);
        /* exactly 192: not under: leave it; 191: the whole maximum back at once */
        s = vm_mib(4096, 2223, 192);
        s.last_update_sec = 11;
        bd_release_decide(rl, &s, 1, &t);
        assert_int_equal(t, 0);
        s.usable_kib = M(191), s.last_update_sec = 13;
        bd_release_decide(rl, &s, 1, &t);
        assert_mib(t, 4096);
        /* no MemAvailable: leave it */
        s.usable_kib = BD_KIB_UNKNOWN, s.last_update_sec = 15;
        bd_release_decide(rl, &s, 1, &t);
        assert_int_equal(t, 0);
        bd_release_free(rl);
}

/* ---- 1,000 VMs: every peer manages every one ------------------------------------ */

#define MANY 1000

static void many_round(enum bd_peer_kind kind, const struct bd_host_sample *h, const struct bd_vm_sample *s,
                       uint64_t expect_mib) {
        struct bd_peer *p;
        uint64_t *min = calloc(MANY, sizeof(*min)), *t = calloc(MANY, sizeof(*t));
        int *shares = calloc(MANY, sizeof(*shares));

        assert_non_null(min);
        assert_non_null(t);
        assert_non_null(shares);
        for (size_t i = 0; i < MANY; i++) {
                min[i] = kind == BD_PEER_PROXMOX ? M(1024) : 0;
                shares[i] = 1000;
        }
        assert_int_equal(bd_peer_new(kind, MANY, &p), 0);
        assert_true(bd_peer_tick(p, 0, h, s, min, shares, MANY, t));
        for (size_t i = 0; i < MANY; i++)
                assert_mib(t[i], expect_mib);
        bd_peer_free(p);
        free(min);
        free(t);
        free(shares);
}

static void test_thousand_vms(void **state) {
        struct bd_vm_sample *s = calloc(MANY, sizeof(*s));
        struct bd_host_sample h;

        (void)state;
        assert_non_null(s);
        /* Proxmox: 1,000 VMs under pressure at their minimum, goal +10,000
         * (MemTotal 100,000, available 30,000): 10 each -> 1034. */
        for (size_t i = 0; i < MANY; i++)
                s[i] = vm_mib(4096, 1024, 0);
        h = host_mib(100000, 30000);
        many_round(BD_PEER_PROXMOX, &h, s, 1034);
        /* MOM relaxed: every guest at 2000 (used 200) grows 5 % -> 2100. */
        for (size_t i = 0; i < MANY; i++)
                s[i] = vm_mib(4096, 2000, 1800);
        many_round(BD_PEER_MOM, &h, s, 2100);
        /* host-only: 1,000 VMs at 4096, host at 10 % of 2,000,000: gap 5 % =
         * 100,000 over 1,000: 100 each -> 3996. */
        for (size_t i = 0; i < MANY; i++)
                s[i] = vm_mib(4096, 4096, 2000);
        h = host_mib(2000000, 200000);
        many_round(BD_PEER_HOSTONLY, &h, s, 3996);
        /* release-fully: 2000 available each -> 2352. */
        many_round(BD_PEER_RELEASE, &h, s, 2352);
        free(s);
}

/* Each peer's pace over a run (bd_peer_tick), and its name in balloond-sim. */
static void test_peer_pace_and_names(void **state) {
        static const struct {
                enum bd_peer_kind kind;
                const char *name;
                int decisions; /* in seconds 0..29 */
        } peers[] = {
                { BD_PEER_MOM, "mom", 3 },
                { BD_PEER_PROXMOX, "proxmox", 3 },
                { BD_PEER_HOSTONLY, "host-only", 30 },
                { BD_PEER_RELEASE, "release-fully", 30 },
        };
        struct bd_host_sample h = host_mib(10000, 5000);
        struct bd_vm_sample s = vm_mib(4096, 4096, 0);
        uint64_t min = M(1024), t;
        int shares = 1000;

        (void)state;
        for (size_t k = 0; k < sizeof(peers) / sizeof(peers[0]); k++) {
                struct bd_peer *p;
                enum bd_sim_policy pol;
                int decisions = 0;

                assert_int_equal(bd_peer_new(peers[k].kind, 1, &p), 0);
                for (uint64_t sec = 0; sec < 30; sec++)
                        decisions += bd_peer_tick(p, sec, &h, &s, &min, &shares, 1, &t);
                assert_int_equal(decisions, peers[k].decisions);
                bd_peer_free(p);
                assert_int_equal(bd_sim_policy_from_name(peers[k].name, &pol), 0);
                assert_string_equal(bd_sim_policy_name(pol), peers[k].name);
        }
        assert_int_equal(bd_peer_new((enum bd_peer_kind)99, 1, &(struct bd_peer *){ NULL }), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mom_latest_size),
                cmocka_unit_test(test_mom_shrink_rules),
                cmocka_unit_test(test_mom_grow_rules),
                cmocka_unit_test(test_mom_creeps_to_max),
                cmocka_unit_test(test_mom_skips),
                cmocka_unit_test(test_proxmox_grow_pressured_share),
                cmocka_unit_test(test_proxmox_comfortable_needs_min),
                cmocka_unit_test(test_proxmox_grow_rebalances),
                cmocka_unit_test(test_proxmox_fallback_no_progress),
                cmocka_unit_test(test_proxmox_shrink_comfortable_share),
                cmocka_unit_test(test_proxmox_shrink_fallback),
                cmocka_unit_test(test_proxmox_step_and_deadband),
                cmocka_unit_test(test_proxmox_skips),
                cmocka_unit_test(test_hostonly_floor),
                cmocka_unit_test(test_hostonly_hysteresis),
                cmocka_unit_test(test_hostonly_steps),
                cmocka_unit_test(test_release_rules),
                cmocka_unit_test(test_thousand_vms),
                cmocka_unit_test(test_peer_pace_and_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
