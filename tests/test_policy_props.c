/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Property tests of the pure policy with hostile guest statistics.
 *
 * Guests are untrusted: a guest (and, through QEMU's "actual", even the
 * balloon size) can report any numbers it likes. These tests drive
 * bd_policy_run() over many cycles of small worlds whose guests are honest,
 * hostile, greedy (claiming pressure every cycle), excluded or blind, on a
 * host whose pressure flips and whose own numbers may be hostile too, and
 * check every decision of every cycle against an oracle written from
 * docs/POLICY.md and docs/GUEST-SAFETY.md (check_cycle in props_check.c), not
 * from src/core/policy.c.
 *
 * The promises, on every decision of every cycle:
 *  - excluded VMs (state, devices, config rule, class, metadata, permanent
 *    errors) are excluded and untouched (action none, target == actual);
 *  - blind VMs (never reported, stale, impossible report, report from the
 *    far future) are blind, never shrunk, grown only by blind_deflate outside
 *    pressure, from a known size, never past the domain's maximum;
 *  - OK VMs: used, margin, floor and effective maximum as documented; every
 *    target within [floor, max] (above_max: walking down toward the max);
 *    nothing ever above the domain's maximum;
 *  - a guest in need (low free, swap-in or faults above their rates over its
 *    report interval, below its floor) asks, once per report, for exactly
 *    the documented size; what it is granted plus what is reported unmet is
 *    that ask;
 *  - the host budget: all memory granted in a cycle is within what the host
 *    has above its critical line plus the reclaim the balloons were seen to
 *    make (never reclaim merely decided); past the VM budget only for
 *    emergencies and only while it is soft;
 *  - shrinks: within the per-VM rate (doubled only when critical), never of
 *    a guest under pressure or swapping out, within the cooldown, soon after
 *    a pressure grow, or twice on one report; all of them within the host
 *    cap; reclaim outside pressure only to pay for a guest's grow;
 *  - relaxed deflation only in the relaxed band, outside the cooldown, within
 *    the room; no change under the deadband but the exempt ones;
 *  - the host view: the VMs' total saturates, free memory is the binding
 *    constraint's (RAM less the hugetlb pools), PSI makes the band worse
 *    but never alone (never out of relaxed), no NaN; the totals are the sums.
 *
 * test_greedy_guest_cannot_push_the_host_over runs a host whose memory is
 * what its guests really hold, with guests that claim forever (one greedy,
 * one leaking) next to honest ones: the host never goes over its RAM and the
 * honest guests in need are served.
 *
 * Deterministic: a seeded PRNG (splitmix64). The seed is printed on every
 * failure with the world and cycle; BALLOOND_PROP_SEED=N replays a run,
 * BALLOOND_PROP_ITERS=N sets the number of random worlds.
 *
 * The world and its guests are in props_world.c and props_guests.c, the
 * promises in props_check.c; this file holds the tests. */
#include <inttypes.h>
#include <math.h>

#include "props_check.h"
#include "props_world.h"

static void read_env(void) {
        const char *seed = getenv("BALLOOND_PROP_SEED"), *iters = getenv("BALLOOND_PROP_ITERS");

        if (seed && *seed)
                g_seed = strtoull(seed, NULL, 0);
        if (iters && *iters)
                g_iters = strtoul(iters, NULL, 0);
}

/* ---- the tests ---------------------------------------------------------------------- */

/* Random worlds of every kind of guest, host pressure flipping. */
/* The world the tests run, static so that a failing assertion (which leaves
 * the test by longjmp) leaks nothing. One test at a time uses it. */
static struct world g_world;

static void test_random_worlds(void **state) {
        struct world *w = &g_world;

        (void)state;
        memset(g_cover, 0, sizeof(g_cover));
        for (unsigned long k = 0; k < g_iters; k++) {
                random_world(w, world_seed(k));
                run_world(w, k, CYCLES);
        }
        printf("policy properties: %lu worlds x %d cycles; decisions covered:", g_iters, CYCLES);
        for (int c = 0; c < C__COUNT; c++)
                printf(" %s %lu", cover_names[c], g_cover[c]);
        printf("\n");
        if (g_iters >= 100)
                for (int c = 0; c < C__COUNT; c++)
                        if (g_cover[c] == 0) {
                                print_error("no %s decision in %lu worlds (seed 0x%016" PRIx64 ")\n", cover_names[c],
                                            g_iters, g_seed);
                                fail();
                        }
}

/* Every documented lie in every field, one at a time, deterministically:
 * for each field and each interesting value (and values around the VM's
 * own maximum), a world of honest guests plus one that reports that value
 * from its second cycle on (with history), in each host band, for a large
 * and a small VM. */
static void test_every_field_every_value(void **state) {
        enum { F_MAX, F_ACTUAL, F_AVAILABLE, F_UNUSED, F_USABLE, F_CACHES, F_SWAP_IN, F_SWAP_OUT, F_FAULTS, F__COUNT };
        static const double free_pct[] = { 0, 3, 10, 25, 60, 100 };
        struct world *w = &g_world;

        (void)state;
        /* Besides the interesting numbers, values just around the VM's own
         * maximum and the sanity checks' 64 MiB leeway above it. */
        static const int64_t around_max[] = { -1, 0, 1, (int64_t)M(32), (int64_t)M(64), (int64_t)M(64) + 1 };
        static const uint64_t max0[] = { M(8192), M(400) };
        const size_t n_values = N_ELEMS(interesting_kib) + N_ELEMS(around_max);

        for (size_t m = 0; m < N_ELEMS(max0); m++)
        for (int f = 0; f < F__COUNT; f++) {
                for (size_t k = 0; k < n_values; k++) {
                        for (size_t b = 0; b < N_ELEMS(free_pct); b++) {
                                uint64_t val = k < N_ELEMS(interesting_kib)
                                                       ? interesting_kib[k]
                                                       : max0[m] + (uint64_t)around_max[k - N_ELEMS(interesting_kib)];

                                memset(w, 0, sizeof(*w));
                                w->rng.s = g_seed + (uint64_t)(m * 100000 + (size_t)f * 1000 + k * 10 + b);
                                bd_config_defaults(&w->cfg);
                                w->cfg.blind_action = b % 2 ? BD_BLIND_DEFLATE : BD_BLIND_HOLD;
                                if (k % 2)
                                        w->cfg.cooldown_usec = 0;
                                w->now = 100000 * SEC;
                                w->wall = WALL0;
                                w->host_total_kib = M(65536);
                                world_add(w, K_HONEST, max0[m], max0[m] - max0[m] / 16, max0[m] / 8);
                                for (int i = 1; i < 4; i++)
                                        world_add(w, K_HONEST, M(8192), M(6144), M(2048));
                                for (int c = 0; c < 4; c++) {
                                        struct bd_vm_sample *s = &w->s[0];

                                        snprintf(g_where, sizeof(g_where),
                                                 "max %" PRIu64 " field %d value %" PRIu64 " host free %g %% cycle %d",
                                                 max0[m], f, val, free_pct[b], c);
                                        for (size_t i = 0; i < w->n; i++)
                                                honest_stats(w, i);
                                        if (c >= 1) {
                                                uint64_t *fields[] = {
                                                        &s->max_kib, &s->actual_kib, &s->available_kib,
                                                        &s->unused_kib, &s->usable_kib, &s->disk_caches_kib,
                                                        &s->swap_in_kib, &s->swap_out_kib, &s->major_faults,
                                                };
                                                *fields[f] = val;
                                        }
                                        w->host.mem_total_kib = w->host_total_kib;
                                        w->host.mem_available_kib = M(1024) + pct(free_pct[b], w->host_total_kib);
                                        decide_and_apply(w);
                                        w->now += 5 * SEC;
                                        w->wall += 5;
                                        w->cycle++;
                                }
                        }
                }
        }
}

/* Last-update anywhere, the same value in every field, the host's own
 * numbers anything. */
static void test_times_and_whole_reports(void **state) {
        static const int64_t offsets[] = { INT64_MIN, -1000000000, -3600, -12, -11, -10, -1, 0, 1, 2, 10, 11, 12,
                                           3600, 1000000000 };
        static const uint64_t alls[] = { 0, 1, 1ULL << 63, UINT64_MAX - 1, UINT64_MAX };
        struct world *w = &g_world;

        (void)state;
        for (size_t k = 0; k < N_ELEMS(offsets) + 4 + N_ELEMS(alls) + N_ELEMS(interesting_kib); k++) {
                memset(w, 0, sizeof(*w));
                w->rng.s = g_seed + k;
                bd_config_defaults(&w->cfg);
                w->now = 100000 * SEC;
                w->wall = WALL0;
                w->host_total_kib = M(65536);
                for (int i = 0; i < 4; i++)
                        world_add(w, K_HONEST, M(8192), M(6144), M(2048));
                for (int c = 0; c < 3; c++) {
                        struct bd_vm_sample *s = &w->s[1];

                        snprintf(g_where, sizeof(g_where), "times/reports case %zu cycle %d", k, c);
                        for (size_t i = 0; i < w->n; i++)
                                honest_stats(w, i);
                        w->host.mem_total_kib = w->host_total_kib;
                        w->host.mem_available_kib = M(1024) + M(65536) / 10; /* pressure */
                        if (k < N_ELEMS(offsets)) {
                                s->last_update_sec = offsets[k] == INT64_MIN ? INT64_MIN : w->wall + offsets[k];
                        } else if (k < N_ELEMS(offsets) + 4) {
                                static const int64_t abs_times[] = { 0, -1, INT64_MAX, 627000000 };

                                s->last_update_sec = abs_times[k - N_ELEMS(offsets)];
                        } else if (k < N_ELEMS(offsets) + 4 + N_ELEMS(alls)) {
                                uint64_t all = alls[k - N_ELEMS(offsets) - 4];

                                /* Two such VMs (their sizes add up past 2^64)
                                 * under a VM budget. */
                                w->cfg.vm_budget_kib = M(65536);
                                for (size_t j = 1; j <= 2; j++) {
                                        struct bd_vm_sample *t = &w->s[j];

                                        t->max_kib = t->actual_kib = t->available_kib = t->unused_kib = all;
                                        t->usable_kib = t->disk_caches_kib = t->swap_in_kib = t->swap_out_kib = all;
                                        t->major_faults = all;
                                        t->last_update_sec = (int64_t)all;
                                }
                        } else {
                                /* The host's numbers hostile. */
                                uint64_t x = interesting_kib[k - N_ELEMS(offsets) - 4 - N_ELEMS(alls)];

                                w->host.mem_total_kib = c == 0 ? x : w->host_total_kib;
                                w->host.mem_available_kib = c == 1 ? x : x / 2;
                                w->host.psi_valid = true;
                                w->host.psi_full_avg10_pct = c == 2 ? NAN : (double)c;
                        }
                        decide_and_apply(w);
                        w->now += 5 * SEC;
                        w->wall += 5;
                        w->cycle++;
                }
        }
}

/* A host whose memory is what its guests really hold (free page reporting:
 * a guest's idle memory is the host's), with two guests that claim memory:
 * a greedy one that claims on every report and fills whatever it gets, and
 * one with a slow leak (64 MiB more every cycle); next to honest guests that
 * need memory in turn and idle ones. Every cycle, after the balloons moved:
 * the host holds no more than its RAM; an honest guest's floor is cut short
 * only when the host had nothing left above its critical line for it, and
 * then no frequent claimer got anything; a frequent claimer is granted only
 * out of the room above the pressure goal. Variants: a soft and a hard VM
 * budget, a rule capping the greedy guest. (Memory the claimers already
 * hold is not taken back: the honest guests' asks the host cut are counted
 * and printed, not promised away.) */
enum { GREEDY = 0, LEAKER = 1, HONEST = 6, IDLE = 4, WINDOW = 720 };

struct host_model {
        uint64_t ram_kib, host_use_kib;
        uint64_t used_kib[MAX_VMS]; /* what each guest really holds of its balloon */
};

static uint64_t resident_kib(const struct world *w, const struct host_model *m) {
        uint64_t held = m->host_use_kib;

        for (size_t i = 0; i < w->n; i++)
                held += i == GREEDY ? w->s[i].actual_kib : min_u64(m->used_kib[i], w->s[i].actual_kib);
        return held;
}

static void greedy_world(struct world *w, struct host_model *m, int variant) {
        memset(w, 0, sizeof(*w));
        memset(m, 0, sizeof(*m));
        w->rng.s = g_seed + 77 + (uint64_t)variant;
        bd_config_defaults(&w->cfg);
        add_rule(&w->cfg, BD_MATCH_NAME, "*cap-*", 0, M(12288), -1, -1, NULL);
        if (variant & 1)
                w->cfg.vm_budget_kib = M(60000);
        w->cfg.vm_budget_hard = variant == 3;
        w->now = 100000 * SEC;
        w->wall = WALL0;
        w->host_total_kib = m->ram_kib = M(65536);
        m->host_use_kib = M(2048);
        world_add(w, K_GREEDY, M(49152), M(4096), M(4096));
        if (variant & 2)
                vm_name(w, GREEDY, "cap-");
        world_add(w, K_HONEST, M(32768), M(4096), M(3500));
        m->used_kib[LEAKER] = M(3500);
        for (int i = 0; i < HONEST; i++) {
                world_add(w, K_HONEST, M(8192), M(2048), M(1536));
                m->used_kib[2 + i] = M(1536);
        }
        for (int i = 0; i < IDLE; i++) {
                world_add(w, K_HONEST, M(8192), M(8192), M(1024));
                m->used_kib[2 + HONEST + i] = M(1024);
        }
}

/* The guests' reports of cycle C; honest guest I needs memory in its turn. */
static void greedy_observe(struct world *w, struct host_model *m, int c) {
        m->used_kib[LEAKER] = min_u64(add_sat(m->used_kib[LEAKER], M(64)), w->s[LEAKER].max_kib);
        for (size_t i = 1; i < w->n; i++) {
                bool honest = i >= 2 && i < 2 + HONEST;

                if (honest && (size_t)(c / 5 % HONEST) == i - 2)
                        m->used_kib[i] = M(3072); /* in need: more than it holds */
                else if (honest)
                        m->used_kib[i] = M(1536);
                w->vm[i].used_kib = min_u64(m->used_kib[i], w->s[i].actual_kib);
                w->vm[i].frozen = false;
                honest_stats(w, i);
                w->s[i].swap_in_kib = w->s[i].swap_out_kib = w->s[i].major_faults = 0;
                w->s[i].last_update_sec = w->wall;
        }
        greedy_stats(w, GREEDY);
        w->host.mem_total_kib = m->ram_kib;
        w->host.mem_available_kib = sub_sat(m->ram_kib, resident_kib(w, m));
        w->host.psi_valid = true;
        w->host.psi_full_avg10_pct = c % 4 == 3 ? 40.0 : 0.0;
}

static void test_greedy_guest_cannot_push_the_host_over(void **state) {
        struct world *w = &g_world;
        struct host_model m;

        (void)state;
        for (int variant = 0; variant < 4; variant++) {
                unsigned needs = 0, cut = 0;
                uint64_t peak = 0;

                greedy_world(w, &m, variant);
                for (int c = 0; c < WINDOW; c++) {
                        uint64_t claimers_got = 0, goal_room;

                        snprintf(g_where, sizeof(g_where), "greedy variant %d cycle %d", variant, c);
                        greedy_observe(w, &m, c);
                        decide_and_apply(w);
                        peak = max_u64(peak, resident_kib(w, &m));
                        if (resident_kib(w, &m) > m.ram_kib)
                                print_error("%s: the host holds %" PRIu64 " KiB of %" PRIu64 " KiB RAM (greedy at %"
                                            PRIu64 ", leaker at %" PRIu64 " KiB)\n", g_where, resident_kib(w, &m),
                                            m.ram_kib, w->s[GREEDY].actual_kib, w->s[LEAKER].actual_kib);
                        assert_true(resident_kib(w, &m) <= m.ram_kib);
                        assert_true(w->d[GREEDY].action != BD_ACTION_SHRINK);
                        for (size_t i = GREEDY; i <= LEAKER; i++)
                                if (w->d[i].action == BD_ACTION_GROW &&
                                    w->d[i].claim_credit > (double)w->cfg.frequent_claim_kib)
                                        claimers_got += w->d[i].target_kib - w->d[i].actual_kib;
                        /* A frequent claimer: only out of the room above the goal. */
                        goal_room = sub_sat(sub_sat(w->host.mem_available_kib, w->cfg.host_reserve_kib),
                                            pct(w->cfg.pressure_free_pct + w->cfg.hysteresis_pct, m.ram_kib));
                        for (size_t i = GREEDY; i <= LEAKER; i++)
                                if (w->d[i].claim_credit > (double)w->cfg.frequent_claim_kib &&
                                    w->d[i].action == BD_ACTION_GROW &&
                                    w->d[i].target_kib - w->d[i].actual_kib > goal_room) {
                                        print_error("%s: frequent claimer %zu granted %" PRIu64 " KiB, "
                                                    "room above the goal %" PRIu64 " KiB\n", g_where, i,
                                                    w->d[i].target_kib - w->d[i].actual_kib, goal_room);
                                        fail();
                                }
                        for (size_t i = 2; i < 2 + HONEST; i++) {
                                const struct bd_decision *d = &w->d[i];

                                /* Room for a burst to come (the learned margin) or
                                 * for another jump like its last (the fresh jump) is
                                 * comfort, not what keeps the guest alive now: a need
                                 * is served when all but that part was granted. */
                                uint64_t room = add_sat(d->burst_kib, d->jump_room_kib);

                                if (!d->want_kib || d->reason == BD_REASON_BURST_ROOM)
                                        continue;
                                needs++;
                                cut += d->unmet_kib > room;
                                /* Its floor cut short (an emergency) while it claims rarely. */
                                if (d->target_kib >= sub_sat(d->floor_grow_kib, room) || d->claim_credit > (double)w->cfg.frequent_claim_kib)
                                        continue;
                                if (claimers_got > 0 ||
                                    w->view.granted_kib < sub_sat(min_u64(w->view.ram_headroom_kib,
                                                                          w->view.budget_headroom_kib),
                                                                  M(64))) {
                                        print_error("%s: honest guest %zu cut short by %" PRIu64 " KiB while the "
                                                    "claimers got %" PRIu64 " KiB (granted %" PRIu64 " of %" PRIu64
                                                    ")\n", g_where, i, d->unmet_kib, claimers_got,
                                                    w->view.granted_kib, w->view.ram_headroom_kib);
                                        fail();
                                }
                        }
                        w->now += 5 * SEC;
                        w->wall += 5;
                        w->cycle++;
                }
                printf("greedy variant %d: %u honest asks (%u cut by the host); greedy at %" PRIu64
                       " MiB, leaker at %" PRIu64 " MiB; the host held at most %" PRIu64 " of %" PRIu64 " MiB\n",
                       variant, needs, cut, (uint64_t)(w->s[GREEDY].actual_kib / MIB),
                       (uint64_t)(w->s[LEAKER].actual_kib / MIB), (uint64_t)(peak / MIB), (uint64_t)(m.ram_kib / MIB));
                assert_true(needs > 0);
                /* Without a VM budget the honest guests are served: the
                 * claimers keep what they got, but no more of the reserve. */
                if (!(variant & 1))
                        assert_true(cut * 10 < needs);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_field_every_value),
                cmocka_unit_test(test_times_and_whole_reports),
                cmocka_unit_test(test_greedy_guest_cannot_push_the_host_over),
                cmocka_unit_test(test_random_worlds),
        };

        read_env();
        printf("policy properties: BALLOOND_PROP_SEED=0x%016" PRIx64 " BALLOOND_PROP_ITERS=%lu (%d cycles each)\n",
               g_seed, g_iters, CYCLES);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
