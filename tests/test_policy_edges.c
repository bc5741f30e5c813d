/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure policy, table-driven (policy_table.h): the other entry points, hostile numbers, and size (no VMs, ten thousand). */
#include "policy_table.h"

static void test_note_applied(void **state) {
        struct bd_vm_history h, before;
        struct bd_decision d = { 0 };

        (void)state;
        memset(&h, 0, sizeof(h));
        h.seen = true;
        h.prev_swap_in_kib = 7;
        before = h;
        d.action = BD_ACTION_NONE;
        d.actual_kib = d.target_kib = M(4096);
        bd_policy_note_applied(&h, &d, NOW);
        assert_memory_equal(&h, &before, sizeof(h));

        d.action = BD_ACTION_SHRINK;
        d.target_kib = M(3000);
        d.stats_sec = WALL - 1;
        bd_policy_note_applied(&h, &d, NOW);
        assert_int_equal(h.last_change_usec, NOW);
        assert_int_equal(h.change_stats_sec, WALL - 1);
        assert_int_equal(h.target_kib, M(3000));
        assert_int_equal(h.last_grow_for_pressure_usec, 0);
        assert_false(h.stuck);

        /* A guest-pressure grow starts the grow hold; a relaxed one does not. */
        d.action = BD_ACTION_GROW;
        d.actual_kib = M(3000);
        d.target_kib = M(3500);
        d.guest_pressure = false;
        bd_policy_note_applied(&h, &d, NOW + SEC);
        assert_int_equal(h.last_grow_for_pressure_usec, 0);
        d.guest_pressure = true;
        bd_policy_note_applied(&h, &d, NOW + 2 * SEC);
        assert_int_equal(h.last_grow_for_pressure_usec, NOW + 2 * SEC);
}

/* bd_policy_note_unsupported: left alone from then on, whatever the pressure. */
static void test_note_unsupported(void **state) {
        struct world w;
        size_t a;

        (void)state;
        world_init(&w, 5);
        a = world_add(&w, "a", 8192, 8192, 2048);
        world_set_free(&w, FREE_AT(2));
        world_cycle(&w);
        assert_int_equal(w.d[a].action, BD_ACTION_SHRINK);
        bd_policy_note_unsupported(&w.h[a]);
        assert_int_equal(w.h[a].target_kib, 0);
        for (int c = 0; c < 5; c++) {
                world_cycle(&w);
                assert_int_equal(w.d[a].status, BD_STATUS_EXCLUDED);
                assert_int_equal(w.d[a].reason, BD_REASON_UNSUPPORTED);
                assert_int_equal(w.d[a].target_kib, w.d[a].actual_kib);
        }
}

static void test_stats_insane_helper(void **state) {
        static const struct {
                const char *what;
                void (*fix)(struct bd_vm_sample *s);
                bool insane;
        } rows[] = {
                { "a plausible report", NULL, false },
                { "counters unknown", counters_unknown, false },
                { "free above total", usable_above_total, true },
                { "unused above total", unused_above_total, true },
                { "page cache above the balloon", cache_above_size, true },
                { "free above the balloon", usable_above_size, true },
                { "total above the maximum", total_above_max, true },
        };
        struct vm_row r = { VM("a", 4096, 4096, 3000) };
        struct bd_vm_history h = { SEEN(5), .prev_swap_in_kib = 100 };
        struct bd_vm_sample s;
        int bad = 0;

        (void)state;
        for (size_t i = 0; i < N_ELEMS(rows); i++) {
                const char *why;

                r.fix = rows[i].fix;
                sample_from_row(&r, 0, WALL, &s);
                why = bd_policy_stats_insane(&s, NULL);
                if ((why != NULL) != rows[i].insane) {
                        print_error("%s: %s\n", rows[i].what, why ? why : "sane");
                        bad++;
                }
                if (why)
                        assert_true(strlen(why) > 0);
        }
        assert_int_equal(bad, 0);
        /* With history: a counter backwards is a guest reboot, not a lie;
         * the report's time going backwards is impossible. */
        r.fix = NULL;
        sample_from_row(&r, 0, WALL, &s);
        s.swap_in_kib = 50;
        assert_null(bd_policy_stats_insane(&s, &h));
        h.prev_last_update_sec = s.last_update_sec + 1;
        assert_non_null(bd_policy_stats_insane(&s, &h));
        assert_null(bd_policy_stats_insane(&s, NULL));
        h.seen = false;
        assert_null(bd_policy_stats_insane(&s, &h));
}

static void test_untouchable(void **state) {
        struct bd_config c;
        struct bd_vm_sample s;
        struct vm_row ok = { VM("a", 4096, 4096, 3000) };
        struct vm_row stale = { VM("a", 4096, 4096, 3000), .age_sec = 60 };
        struct vm_row db = { VM("a", 4096, 4096, 3000), .class_tag = "database" };
        struct vm_row vfio = { VM("a", 4096, 4096, 3000), .flags = BD_VM_VFIO };

        (void)state;
        bd_config_defaults(&c);
        sample_from_row(&ok, 0, WALL, &s);
        assert_false(bd_policy_untouchable(&c, &s, WALL));
        sample_from_row(&stale, 0, WALL, &s);
        assert_true(bd_policy_untouchable(&c, &s, WALL));
        sample_from_row(&db, 0, WALL, &s);
        assert_true(bd_policy_untouchable(&c, &s, WALL));
        sample_from_row(&vfio, 0, WALL, &s);
        assert_true(bd_policy_untouchable(&c, &s, WALL));
}

/* Reason names are the enum names after BD_REASON_, lower case: stable API. */
static void test_strings(void **state) {
#define R(x) { BD_REASON_##x, #x }
        static const struct {
                enum bd_reason r;
                const char *upper;
        } names[] = {
                R(STEADY), R(HOST_PRESSURE), R(HOST_CRITICAL), R(HOST_RELAXED), R(GUEST_LOW_FREE),
                R(GUEST_SWAP_IN), R(GUEST_MAJOR_FAULTS), R(BELOW_MIN), R(ABOVE_MAX), R(GUEST_SWAP_OUT),
                R(AT_FLOOR), R(AT_MAX), R(DEADBAND), R(COOLDOWN), R(RECENT_GROW), R(AWAIT_STATS),
                R(HOST_CAP), R(NO_HEADROOM), R(EXCLUDED_CONFIG), R(EXCLUDED_CLASS), R(EXCLUDED_METADATA),
                R(NO_BALLOON), R(VFIO), R(LOCKED_MEMORY), R(HUGEPAGES), R(PAUSED), R(MIGRATING),
                R(SHUT_OFF), R(NOT_RUNNING), R(UNSUPPORTED), R(STATS_NEVER), R(STATS_STALE),
                R(STATS_INVALID), R(BLIND_DEFLATE), R(STUCK), R(AWAIT_REPORT), R(INEFFECTIVE),
                R(BURST_ROOM),
                R(GUEST_DEFLATED), R(FOREIGN_TARGET), R(GIVE_BACK), R(AT_ENTITLED), R(FACTS_UNKNOWN),
                R(CONFIDENTIAL), R(VDPA), R(VIRTIO_MEM), R(STATS_GAP),
        };
#undef R
        (void)state;
        assert_int_equal(N_ELEMS(names), BD_REASON__COUNT);
        for (size_t i = 0; i < N_ELEMS(names); i++) {
                char lower[64];
                size_t k;

                for (k = 0; names[i].upper[k] && k + 1 < sizeof(lower); k++)
                        lower[k] = (char)(names[i].upper[k] >= 'A' && names[i].upper[k] <= 'Z'
                                                  ? names[i].upper[k] - 'A' + 'a'
                                                  : names[i].upper[k]);
                lower[k] = '\0';
                assert_string_equal(bd_reason_to_string(names[i].r), lower);
                assert_true(strlen(bd_reason_describe(names[i].r)) > 0);
                assert_string_not_equal(bd_reason_describe(names[i].r), "unknown reason");
        }
        for (int i = 0; i < BD_REASON__COUNT; i++) {
                assert_string_not_equal(bd_reason_to_string((enum bd_reason)i), "unknown");
                for (int k = 0; k < i; k++) {
                        assert_string_not_equal(bd_reason_to_string((enum bd_reason)i),
                                                bd_reason_to_string((enum bd_reason)k));
                        assert_string_not_equal(bd_reason_describe((enum bd_reason)i),
                                                bd_reason_describe((enum bd_reason)k));
                }
        }
        assert_string_equal(bd_reason_to_string(BD_REASON__COUNT), "unknown");
        assert_string_equal(bd_reason_to_string((enum bd_reason)-1), "unknown");

        assert_string_equal(bd_band_to_string(BD_BAND_RELAXED), "relaxed");
        assert_string_equal(bd_band_to_string(BD_BAND_NORMAL), "normal");
        assert_string_equal(bd_band_to_string(BD_BAND_PRESSURE), "pressure");
        assert_string_equal(bd_band_to_string(BD_BAND_CRITICAL), "critical");
        assert_string_equal(bd_band_to_string((enum bd_band)42), "unknown");
        assert_string_equal(bd_action_to_string(BD_ACTION_NONE), "none");
        assert_string_equal(bd_action_to_string(BD_ACTION_SHRINK), "shrink");
        assert_string_equal(bd_action_to_string(BD_ACTION_GROW), "grow");
        assert_string_equal(bd_action_to_string((enum bd_action)42), "unknown");
        assert_string_equal(bd_status_to_string(BD_STATUS_OK), "ok");
        assert_string_equal(bd_status_to_string(BD_STATUS_EXCLUDED), "excluded");
        assert_string_equal(bd_status_to_string(BD_STATUS_BLIND), "blind");
        assert_string_equal(bd_status_to_string(BD_STATUS_STUCK), "stuck");
        assert_string_equal(bd_status_to_string((enum bd_vm_status)42), "unknown");
}

/* ---- hostile numbers (found by tests/test_policy_props.c) ---------------------------- */

/* A plausible guest of ACTUAL_KIB with USABLE_KIB free, reporting now. */
static void plain_vm(struct bd_vm_sample *s, const char *name, uint64_t max_kib, uint64_t actual_kib,
                     uint64_t usable_kib) {
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->uuid, sizeof(s->uuid), "5a0c3f9e-1b2d-4e6f-8a7b-%012d", (int)strlen(name));
        s->state = BD_RUN_RUNNING;
        s->max_kib = max_kib;
        s->actual_kib = actual_kib;
        s->usable_kib = usable_kib;
        s->available_kib = actual_kib;
        s->unused_kib = usable_kib / 2;
        s->disk_caches_kib = usable_kib / 2;
        s->swap_in_kib = s->swap_out_kib = s->major_faults = 0;
        s->last_update_sec = WALL;
        s->stats_period_sec = 2;
}

/* One cycle on a fresh history; every promise checked. */
static void run_once(const struct bd_config *c, const struct bd_host_sample *host, struct bd_vm_sample *s,
                     size_t n, struct bd_decision *d, struct bd_host_view *v) {
        struct bd_vm_history h[4];
        struct bd_host_state hs = { 0 };

        assert_true(n <= N_ELEMS(h));
        memset(h, 0, sizeof(h));
        bd_policy_run(c, host, s, h, n, &hs, NOW, WALL, d, v);
        assert_int_equal(check_decisions("hostile numbers", c, s, d, n, v), 0);
}

/* A domain maximum within 64 MiB of 2^64 must not wrap the sanity checks'
 * leeway into "balloon size above maximum". */
static void test_huge_maximum_is_not_insane(void **state) {
        struct bd_vm_sample s;
        struct bd_vm_history h = { 0 };

        (void)state;
        plain_vm(&s, "a", UINT64_MAX - M(32), M(8192), M(4096));
        assert_null(bd_policy_stats_insane(&s, &h));
        s.actual_kib = UINT64_MAX - M(40);
        s.available_kib = s.actual_kib;
        s.disk_caches_kib = s.actual_kib - 1;
        assert_null(bd_policy_stats_insane(&s, &h));
}

/* blind_deflate gives memory back only from a known size toward a known
 * domain maximum: a balloon size reported as 0 is unknown (a "grow" from it
 * could be a shrink in truth), and a rule's max_mib is no substitute for a
 * domain maximum nobody knows. */
static void test_blind_deflate_needs_known_sizes(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(RELAXED_HOST);
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        c.blind_action = BD_BLIND_DEFLATE;
        add_rule(&c, BD_MATCH_NAME, "capped", 0, M(4096), -1, -1, NULL);
        plain_vm(&s[0], "zero", M(8192), 0, M(4096));
        plain_vm(&s[1], "capped", BD_KIB_UNKNOWN, M(2048), BD_KIB_UNKNOWN);
        run_once(&c, &host, s, 2, d, &v);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(d[i].status, BD_STATUS_BLIND);
                assert_int_equal(d[i].action, BD_ACTION_NONE);
        }
        /* Known sizes: given back. */
        plain_vm(&s[1], "capped", M(8192), M(2048), BD_KIB_UNKNOWN);
        s[1].entitled_kib = M(2048); /* at its entitlement: nothing owed (see test_policy_blind_owed.c) */
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(d[1].action, BD_ACTION_GROW);
        assert_int_equal(d[1].reason, BD_REASON_BLIND_DEFLATE);
        assert_true(d[1].target_kib <= M(4096));
}

/* A guest near 2^64 KiB that reports no free memory: its floor is its
 * maximum (used + margin saturates rather than wraps to a few MiB), it
 * grows to it, and never a shrink below what it uses. Also with a 100 %
 * margin, whose percentage of 2^64 does not fit an integer. */
static void test_floor_saturates_near_2_64(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(PRESSURE_HOST);
        struct bd_vm_sample s;
        struct bd_decision d;
        struct bd_host_view v;

        (void)state;
        for (int margin_pct = 20; margin_pct <= 100; margin_pct += 80) {
                bd_config_defaults(&c);
                c.margin_pct = margin_pct;
                plain_vm(&s, "huge", UINT64_MAX - 1, UINT64_MAX - M(1024), 0);
                run_once(&c, &host, &s, 1, &d, &v);
                assert_int_equal(d.status, BD_STATUS_OK);
                assert_int_equal(d.floor_kib, UINT64_MAX - 1);
                assert_int_equal(d.action, BD_ACTION_GROW);
                assert_int_equal(d.target_kib, UINT64_MAX - 1);
        }
}

/* The host's own numbers near 2^64: MemAvailable beyond 2^63 once made
 * the goal arithmetic overflow (int64) and took the relaxed band's room
 * away; VM sizes adding up past 2^64 made a full VM budget look empty. */
static void test_host_numbers_near_2_64(void **state) {
        struct bd_config c;
        struct bd_host_sample host = { .mem_total_kib = UINT64_MAX, .mem_available_kib = UINT64_MAX };
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        plain_vm(&s[0], "a", M(8192), M(4096), M(2048));
        run_once(&c, &host, s, 1, d, &v);
        assert_int_equal(v.band, BD_BAND_RELAXED);
        assert_true(v.grow_room_kib >= (uint64_t)INT64_MAX);
        assert_int_equal(d[0].action, BD_ACTION_GROW);
        assert_int_equal(d[0].target_kib, M(8192));

        c.vm_budget_kib = M(65536);
        host = host_sample(RELAXED_HOST);
        plain_vm(&s[0], "a", 1ULL << 63, 1ULL << 63, 1ULL << 62);
        plain_vm(&s[1], "b", 1ULL << 63, 1ULL << 63, 1ULL << 62);
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(v.vm_total_kib, UINT64_MAX);
        assert_true(v.budget_binds);
        assert_int_equal(v.band, BD_BAND_CRITICAL);
}

/* Shares above 2^53 KiB: a double cannot hold every size, yet no share
 * passes its VM's limit (its maximum) and the shares never add up to more
 * than the room. */
static void test_fill_above_2_53(void **state) {
        struct bd_config c;
        struct bd_host_sample host = { .mem_total_kib = 1ULL << 62, .mem_available_kib = 1ULL << 62 };
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        plain_vm(&s[0], "a", (1ULL << 54) + 3 + M(1024), M(1024), M(512));
        plain_vm(&s[1], "b", 1ULL << 62, M(1024), M(512));
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(v.band, BD_BAND_RELAXED);
        assert_int_equal(d[0].action, BD_ACTION_GROW);
        assert_true(d[0].target_kib <= s[0].max_kib);
        assert_true(d[1].target_kib <= s[1].max_kib);
        assert_true((d[0].target_kib - d[0].actual_kib) + (d[1].target_kib - d[1].actual_kib) <= v.grow_room_kib);
}

/* QEMU rounds sizes up: a balloon a little above its domain's maximum
 * (within the sanity checks' leeway) that one rate-limited step cannot
 * bring within it is at its maximum; no target above the domain's maximum
 * (the applier refuses those as bugs). One that a step can bring there
 * goes to the maximum. */
static void test_above_domain_maximum(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(PRESSURE_HOST);
        struct bd_vm_sample s[2];
        struct bd_decision d[2];
        struct bd_host_view v;

        (void)state;
        bd_config_defaults(&c);
        plain_vm(&s[0], "small", M(400), M(450), M(300));
        plain_vm(&s[1], "large", M(8192), M(8192) + M(32), M(4096));
        run_once(&c, &host, s, 2, d, &v);
        assert_int_equal(d[0].status, BD_STATUS_OK);
        assert_int_equal(d[0].action, BD_ACTION_NONE);
        assert_int_equal(d[0].reason, BD_REASON_AT_MAX);
        assert_int_equal(d[1].action, BD_ACTION_SHRINK);
        assert_int_equal(d[1].reason, BD_REASON_ABOVE_MAX);
        assert_int_equal(d[1].target_kib, M(8192));
}

/* ---- size ------------------------------------------------------------------------------ */

static void test_no_vms(void **state) {
        struct bd_config c;
        struct bd_host_sample host = host_sample(PRESSURE_HOST);
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        struct bd_vm_sample s[1];
        struct bd_vm_history h[1];
        struct bd_decision d[1];

        (void)state;
        bd_config_defaults(&c);
        bd_policy_run(&c, &host, s, h, 0, &hs, NOW, WALL, d, &v);
        assert_int_equal(v.band, BD_BAND_PRESSURE);
        assert_int_equal(v.shrink_kib, 0);
        assert_int_equal(v.grow_kib, 0);
}

/* 10,000 VMs of every kind, a few cycles with the balloons following: no
 * crash, every promise kept (no timing asserted). */
static void test_ten_thousand_vms(void **state) {
        enum { N = 10000 };
        struct bd_config cfg;
        struct bd_vm_sample *s = calloc(N, sizeof(*s));
        struct bd_vm_history *h = calloc(N, sizeof(*h));
        struct bd_decision *d = calloc(N, sizeof(*d));
        struct bd_host_state hs = { 0 };
        struct bd_host_view v;
        uint64_t now = NOW;
        int64_t wall = WALL;
        uint32_t seed = 12345;

        (void)state;
        assert_non_null(s);
        assert_non_null(h);
        assert_non_null(d);
        bd_config_defaults(&cfg);
        add_rule(&cfg, BD_MATCH_NAME, "vm-*7", 0, 0, -1, 1, NULL);
        add_rule(&cfg, BD_MATCH_NAME, "vm-*3", M(2048), 0, 500, -1, NULL);
        for (size_t i = 0; i < N; i++) {
                char name[32];
                uint64_t max_mib = 1024 + 512 * (i % 15), used_mib;
                struct vm_row r = { 0 };

                seed = seed * 1103515245u + 12345u;
                used_mib = 100 + (seed >> 8) % max_mib;
                snprintf(name, sizeof(name), "vm-%zu", i);
                r.name = name;
                r.max_mib = max_mib;
                r.actual_mib = max_mib - (seed >> 4) % (max_mib / 2);
                r.usable_mib = r.actual_mib > used_mib ? r.actual_mib - used_mib : 1;
                r.age_sec = i % 41 == 0 ? 100 : (int64_t)(i % 3);
                r.state = i % 97 == 0 ? BD_RUN_PAUSED : BD_RUN_RUNNING;
                r.flags = i % 89 == 0 ? BD_VM_VFIO : 0;
                r.class_tag = i % 53 == 0 ? "database" : NULL;
                r.usable_mib = i % 61 == 0 ? U : r.usable_mib;
                sample_from_row(&r, i, wall, &s[i]);
        }
        for (int c = 0; c < 4; c++) {
                /* The host: pressure, critical, relaxed, normal. */
                static const double free_pct[] = { 10, 2, 60, 25 };
                struct bd_host_sample host = host_sample(AVAIL(free_pct[c]));

                for (size_t i = 0; i < N; i++)
                        if (s[i].last_update_sec != BD_TIME_UNKNOWN)
                                s[i].last_update_sec = wall - (i % 41 == 0 ? 100 : (int64_t)(i % 3));
                bd_policy_run(&cfg, &host, s, h, N, &hs, now, wall, d, &v);
                assert_int_equal(check_decisions("10,000 VMs", &cfg, s, d, N, &v), 0);
                for (size_t i = 0; i < N; i++) {
                        if (d[i].action == BD_ACTION_NONE)
                                continue;
                        bd_policy_note_applied(&h[i], &d[i], now);
                        if (s[i].usable_kib != BD_KIB_UNKNOWN) {
                                uint64_t used = s[i].actual_kib - MIN_(s[i].usable_kib, s[i].actual_kib);

                                s[i].usable_kib = d[i].target_kib > used ? d[i].target_kib - used : 0;
                                s[i].available_kib = d[i].target_kib;
                                s[i].unused_kib = s[i].usable_kib / 2;
                                s[i].disk_caches_kib = s[i].usable_kib / 2;
                        }
                        s[i].actual_kib = d[i].target_kib;
                }
                now += 20 * SEC;
                wall += 20;
        }
        free(s);
        free(h);
        free(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_note_applied),
                cmocka_unit_test(test_note_unsupported),
                cmocka_unit_test(test_stats_insane_helper),
                cmocka_unit_test(test_untouchable),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_huge_maximum_is_not_insane),
                cmocka_unit_test(test_blind_deflate_needs_known_sizes),
                cmocka_unit_test(test_floor_saturates_near_2_64),
                cmocka_unit_test(test_host_numbers_near_2_64),
                cmocka_unit_test(test_fill_above_2_53),
                cmocka_unit_test(test_above_domain_maximum),
                cmocka_unit_test(test_no_vms),
                cmocka_unit_test(test_ten_thousand_vms),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
