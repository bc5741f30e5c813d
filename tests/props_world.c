/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The random worlds of the policy property tests: the seeded PRNG, the
 * interesting numbers, a random configuration, the world and its guests, and
 * what each cycle shows the policy (observe). See props_world.h. */
#include <math.h>

#include "props_world.h"

/* ---- seeded PRNG ------------------------------------------------------------ */

uint64_t rnd(struct rng *r) {
        uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
uint64_t below(struct rng *r, uint64_t n) {
        return n ? rnd(r) % n : 0;
}

uint64_t between(struct rng *r, uint64_t lo, uint64_t hi) {
        return hi > lo ? lo + below(r, hi - lo + 1) : lo;
}

bool chance(struct rng *r, unsigned pct) {
        return below(r, 100) < pct;
}

uint64_t g_seed = DEFAULT_SEED;
unsigned long g_iters = DEFAULT_ITERS;
char g_where[160]; /* the world and cycle being checked, for messages */

/* P % of KIB, truncated, saturated at UINT64_MAX (2^64 does not fit). */
uint64_t pct(double p, uint64_t kib) {
        double v = p / 100.0 * (double)kib;

        return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
}

/* ---- interesting numbers -------------------------------------------------------- */

const uint64_t interesting_kib[] = {
        0,
        1,
        2,
        1023,
        1024,
        1025,
        M(16) - 1,
        M(256),
        M(1024),
        M(4096) - 1,
        M(8192),
        M(8192) + 1,
        UINT32_MAX - 1ULL,
        UINT32_MAX,
        (uint64_t)UINT32_MAX + 1,
        1ULL << 53,
        (1ULL << 53) + 1,
        UINT64_MAX / 1024 - 1, /* KiB -> bytes: the last that fits ... */
        UINT64_MAX / 1024,
        UINT64_MAX / 1024 + 1, /* ... and the first that does not */
        UINT64_MAX / (1024 * 1024),
        UINT64_MAX / (1024 * 1024) + 1,
        (uint64_t)INT64_MAX / 1024,
        (1ULL << 63) - 1,
        1ULL << 63, /* 2^63 */
        (1ULL << 63) + 1,
        UINT64_MAX - M(64),
        UINT64_MAX - 2,
        UINT64_MAX - 1,
        UINT64_MAX, /* -1, 2^64-1: "missing" */
};

uint64_t interesting(struct rng *r) {
        return interesting_kib[below(r, N_ELEMS(interesting_kib))];
}

/* A hostile size: an interesting number, a random one, or one near REF. */
uint64_t hostile_kib(struct rng *r, uint64_t ref) {
        switch (below(r, 5)) {
        case 0:
        case 1:
                return interesting(r);
        case 2:
                return rnd(r) >> below(r, 64);
        case 3:
                return ref + between(r, 0, M(1024));
        default:
                return sub_sat(ref, between(r, 0, M(1024)));
        }
}

/* ---- the world -------------------------------------------------------------------- */

const char *const kind_names[K__COUNT] = { "honest", "hostile", "greedy", "excluded", "blind", "libvirt" };

/* A configuration within the ranges src/core/config.c accepts. */
static void random_config(struct rng *r, struct bd_config *c) {
        bd_config_defaults(c);
        /* Rules by name: "db-*" excluded, "ex-*" excluded by a rule's class,
         * "cap-*" capped, "min-*" with a minimum, "gold-*" with more shares. */
        add_rule(c, BD_MATCH_NAME, "db-*", 0, 0, -1, 1, NULL);
        add_rule(c, BD_MATCH_NAME, "ex-*", 0, 0, -1, -1, "database");
        add_rule(c, BD_MATCH_NAME, "*cap-*", 0, M(between(r, 1, 6144)), -1, -1, NULL);
        add_rule(c, BD_MATCH_NAME, "*min-*", M(between(r, 1, 4096)), 0, -1, -1, NULL);
        add_rule(c, BD_MATCH_NAME, "*gold-*", 0, 0, (int)between(r, 1, 100000), -1, NULL);
        if (chance(r, 50))
                return;
        if (chance(r, 30))
                c->vm_budget_kib = M(between(r, 1, 96 * 1024));
        if (chance(r, 30))
                c->host_reserve_kib = M(between(r, 0, 8192));
        if (chance(r, 30))
                c->host_shrink_cap_kib = M(between(r, 1, 4096));
        if (chance(r, 30))
                c->margin_pct = (double)between(r, 0, 100);
        if (chance(r, 30))
                c->margin_min_kib = M(between(r, 0, 2048));
        if (chance(r, 20))
                c->min_kib = M(between(r, 0, 4096));
        if (chance(r, 30))
                c->idle_tax_pct = (double)between(r, 0, 99);
        if (chance(r, 30))
                c->shrink_pct = (double)between(r, 1, 1000) / 10.0;
        if (chance(r, 30))
                c->shrink_max_kib = M(between(r, 1, 4096));
        if (chance(r, 30))
                c->deadband_kib = M(between(r, 0, 256));
        if (chance(r, 30))
                c->deadband_pct = (double)between(r, 0, 500) / 100.0;
        if (chance(r, 30))
                c->cooldown_usec = between(r, 0, 120) * SEC;
        if (chance(r, 30))
                c->grow_hold_usec = between(r, 0, 300) * SEC;
        if (chance(r, 20))
                c->check_stats_age = false;
        if (chance(r, 30))
                c->blind_action = BD_BLIND_DEFLATE;
        if (chance(r, 20))
                c->major_faults_per_sec = between(r, 1, 10000);
        if (chance(r, 20))
                c->swap_in_grow_kib = M(between(r, 0, 4096));
        if (chance(r, 20))
                c->stuck_after_usec = between(r, 1, 60) * SEC;
        if (chance(r, 20))
                c->psi_critical_pct = (double)between(r, 1, 1000) / 10.0;
        if (chance(r, 20))
                c->vm_budget_hard = true;
        if (chance(r, 20))
                c->unavailable_kib = M(between(r, 0, 16384));
        if (chance(r, 20))
                c->swap_in_kib_per_sec = between(r, 1, M(1024));
        if (chance(r, 20))
                c->claim_half_life_usec = between(r, 1, 86400) * SEC;
}

void vm_name(struct world *w, size_t i, const char *prefix) {
        snprintf(w->s[i].name, sizeof(w->s[i].name), "%svm-%zu", prefix, i);
        snprintf(w->s[i].uuid, sizeof(w->s[i].uuid), "5a0c3f9e-1b2d-4e6f-8a7b-%012zu", i + 1);
}


static void excluded_setup(struct world *w, size_t i) {
        struct bd_vm_sample *s = &w->s[i];
        struct vm *v = &w->vm[i];

        switch (v->excl_how % 12) {
        case 0:
                vm_name(w, i, "db-");
                break;
        case 1:
                vm_name(w, i, "ex-");
                break;
        case 2:
                snprintf(s->class_tag, sizeof(s->class_tag), "database");
                break;
        case 3:
                s->flags |= BD_VM_TAG_EXCLUDE;
                break;
        case 4:
                s->flags |= BD_VM_NO_BALLOON;
                break;
        case 5:
                s->flags |= BD_VM_VFIO;
                break;
        case 6:
                s->flags |= BD_VM_LOCKED;
                break;
        case 7:
                s->flags |= BD_VM_HUGEPAGES;
                break;
        case 8:
                s->flags |= BD_VM_UNSUPPORTED;
                break;
        case 9:
                s->state = BD_RUN_MIGRATING;
                break;
        case 10:
                s->state = BD_RUN_SHUTOFF;
                break;
        default:
                bd_policy_note_unsupported(&w->h[i]); /* the applier was told "unsupported" */
                break;
        }
}

void world_add(struct world *w, enum kind kind, uint64_t max_kib, uint64_t actual_kib, uint64_t used_kib) {
        size_t i = w->n++;
        struct bd_vm_sample *s = &w->s[i];
        struct vm *v = &w->vm[i];
        struct rng *r = &w->rng;
        static const char *const prefixes[] = { "", "", "cap-", "min-", "gold-" };

        assert_true(i < MAX_VMS);
        memset(v, 0, sizeof(*v));
        memset(&w->h[i], 0, sizeof(w->h[i]));
        v->kind = kind;
        v->used_kib = used_kib;
        v->follow_pct = chance(r, 80) ? 100 : (int)between(r, 0, 100);
        v->excl_how = (unsigned)below(r, 12);
        v->blind_how = (unsigned)below(r, 4);
        bd_vm_sample_init(s);
        vm_name(w, i, prefixes[below(r, N_ELEMS(prefixes))]);
        s->state = BD_RUN_RUNNING;
        s->max_kib = max_kib;
        s->actual_kib = actual_kib;
        if (kind == K_EXCLUDED)
                excluded_setup(w, i);
}

void random_world(struct world *w, uint64_t seed) {
        struct rng *r = &w->rng;
        size_t n;

        memset(w, 0, sizeof(*w));
        w->rng.s = seed;
        random_config(r, &w->cfg);
        w->now = 100000 * SEC;
        w->wall = WALL0;
        w->host_total_kib = M(between(r, 4096, 256 * 1024));
        w->hostile_host = chance(r, 15);
        n = between(r, 1, MAX_VMS);
        for (size_t i = 0; i < n; i++) {
                uint64_t max = M(between(r, 256, 32768)), actual = between(r, M(128), max);
                enum kind k = (enum kind)below(r, K__COUNT);

                if (chance(r, 40))
                        k = K_HONEST;
                world_add(w, k, max, actual, between(r, M(32), max));
        }
}

/* ---- one cycle: what the policy is shown ----------------------------------------- */

/* What an honest guest uses drifts, sometimes jumps; it pauses now and
 * then, and its statistics may stop. */
static void drift(struct world *w, size_t i) {
        struct rng *r = &w->rng;
        struct vm *v = &w->vm[i];
        struct bd_vm_sample *s = &w->s[i];

        if (chance(r, 10))
                v->used_kib = between(r, M(32), s->max_kib);
        else if (chance(r, 50))
                v->used_kib = min_u64(s->max_kib, add_sat(sub_sat(v->used_kib, M(64)),
                                                          below(r, M(128))));
        if (v->pause_left > 0 && --v->pause_left == 0)
                s->state = BD_RUN_RUNNING;
        else if (v->kind == K_HONEST && chance(r, 2)) {
                s->state = chance(r, 50) ? BD_RUN_PAUSED : BD_RUN_OTHER;
                v->pause_left = (int)between(r, 1, 5);
        }
        if (v->frozen ? chance(r, 30) : chance(r, 2))
                v->frozen = !v->frozen;
}

/* A blind guest: an honest report made useless. */
static void blind_stats(struct world *w, size_t i) {
        struct rng *r = &w->rng;
        struct bd_vm_sample *s = &w->s[i];

        honest_stats(w, i);
        switch (w->vm[i].blind_how) {
        case 0: /* never reported */
                s->usable_kib = BD_KIB_UNKNOWN;
                s->last_update_sec = chance(r, 50) ? BD_TIME_UNKNOWN : 0;
                break;
        case 1: /* stale */
                s->last_update_sec = w->wall - 3600;
                break;
        case 2: /* free above total, always */
                s->usable_kib = add_sat(s->available_kib, M(1));
                break;
        default: /* reports from the far future */
                s->last_update_sec = w->wall + 86400;
                break;
        }
}

/* The report of guest I, by its kind. */
static void report(struct world *w, size_t i) {
        struct rng *r = &w->rng;

        switch (w->vm[i].kind) {
        case K_HONEST:
                honest_stats(w, i);
                break;
        case K_EXCLUDED:
                if (chance(r, 30))
                        hostile_stats(w, i);
                else
                        honest_stats(w, i);
                break;
        case K_HOSTILE:
                hostile_stats(w, i);
                break;
        case K_GREEDY:
                greedy_stats(w, i);
                break;
        case K_LIBVIRT:
                libvirt_stats(w, i);
                break;
        case K_BLIND:
        default:
                blind_stats(w, i);
                break;
        }
}

/* The host's numbers, given what the guests HELD. */
static void observe_host(struct world *w, uint64_t held) {
        struct rng *r = &w->rng;

        w->host.psi_valid = chance(r, 70);
        w->host.psi_full_avg10_pct = chance(r, 80) ? 0.0 : (double)below(r, 300) / 10.0;
        w->host.psi_some_avg10_pct = w->host.psi_full_avg10_pct;
        w->host.mem_total_kib = w->host_total_kib;
        /* Pressure on and off: free memory anywhere from none to all. */
        w->host.mem_available_kib = chance(r, 50) ? sub_sat(w->host_total_kib, held)
                                                  : pct((double)below(r, 101), w->host_total_kib);
        /* Hugetlb pools: in MemTotal, never in MemAvailable. */
        w->host.hugetlb_kib = chance(r, 80) ? 0 : pct((double)below(r, 80), w->host_total_kib);
        w->host.mem_available_kib = min_u64(w->host.mem_available_kib,
                                            sub_sat(w->host_total_kib, w->host.hugetlb_kib));
        if (w->hostile_host) {
                if (chance(r, 50))
                        w->host.mem_total_kib = chance(r, 50) ? interesting(r) : rnd(r);
                if (chance(r, 50))
                        w->host.mem_available_kib = chance(r, 50) ? interesting(r) : rnd(r);
                if (chance(r, 20))
                        w->host.hugetlb_kib = chance(r, 50) ? interesting(r) : rnd(r);
                if (chance(r, 20))
                        w->host.psi_full_avg10_pct = chance(r, 50) ? NAN : chance(r, 50) ? INFINITY : -1.0;
        }
}

void observe(struct world *w) {
        uint64_t held = 0;

        for (size_t i = 0; i < w->n; i++) {
                const struct bd_vm_sample *s = &w->s[i];

                if (w->vm[i].kind == K_HONEST || w->vm[i].kind == K_EXCLUDED)
                        drift(w, i);
                report(w, i);
                if (s->state != BD_RUN_SHUTOFF)
                        held = add_sat(held, min_u64(s->actual_kib, M(1ULL << 24)));
        }
        observe_host(w, held);
}

void advance(struct world *w) {
        struct rng *r = &w->rng;
        uint64_t step = between(r, 1, 10);

        if (chance(r, 3))
                step = between(r, 60, 1000); /* a daemon that slept */
        w->now += step * SEC;
        w->wall += (int64_t)step;
        if (chance(r, 2))
                w->wall += chance(r, 50) ? -(int64_t)between(r, 1, 30) : (int64_t)between(r, 1, 30); /* clock step */
        w->cycle++;
}

uint64_t world_seed(unsigned long index) {
        struct rng r = { g_seed ^ (0xa0761d6478bd642fULL * (index + 1)) };

        return rnd(&r);
}
