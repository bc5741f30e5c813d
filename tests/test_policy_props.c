/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Property tests of the pure policy with hostile guest statistics.
 *
 * Guests are untrusted: a guest (and, through QEMU's "actual", even the
 * balloon size) can report any numbers it likes. These tests drive
 * bd_policy_run() over many cycles of small worlds whose guests are honest,
 * hostile, greedy (claiming pressure every cycle), excluded or blind, on a
 * host whose pressure flips and whose own numbers may be hostile too, and
 * check every decision of every cycle against an oracle written from
 * docs/POLICY.md (check_cycle below), not from src/core/policy.c.
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
 * BALLOOND_PROP_ITERS=N sets the number of random worlds. */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/core/policy.h"
#include "config_rules.h"
#include "balloond/core/stats.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define SEC 1000000ULL
#define M(mib) ((uint64_t)(mib) * MIB)
/* The leeway src/core/policy.c gives guest sizes against the balloon size. */
#define SLACK_KIB M(64)

#define DEFAULT_SEED 0x5eedba11d0c0ffeeULL
#define DEFAULT_ITERS 5000
#define CYCLES 40
#define MAX_VMS 16

/* ---- seeded PRNG ------------------------------------------------------------ */

struct rng {
        uint64_t s;
};

static uint64_t rnd(struct rng *r) {
        uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
static uint64_t below(struct rng *r, uint64_t n) {
        return n ? rnd(r) % n : 0;
}

static uint64_t between(struct rng *r, uint64_t lo, uint64_t hi) {
        return hi > lo ? lo + below(r, hi - lo + 1) : lo;
}

static bool chance(struct rng *r, unsigned pct) {
        return below(r, 100) < pct;
}

static uint64_t g_seed = DEFAULT_SEED;
static unsigned long g_iters = DEFAULT_ITERS;
static char g_where[160]; /* the world and cycle being checked, for messages */

/* What the checked decisions covered: a property that never meets its case
 * proves nothing, so test_random_worlds requires each to be met. */
enum cover {
        C_OK,
        C_OK_HOSTILE,  /* a hostile guest's report passed the sanity checks */
        C_OK_HUGE,     /* an OK VM of 2^40 KiB or more */
        C_EXCLUDED,
        C_BLIND,
        C_STUCK,
        C_PRESSURE,
        C_CRITICAL,
        C_ABOVE_MAX,
        C_RELAXED,
        C_GUEST_GROW,
        C_BLIND_DEFLATE,
        C_HOST_CAP,
        C_FUNDED,      /* a shrink outside pressure paying for a guest's grow */
        C_UNMET,       /* a guest's ask the host could not grant in full */
        C_CROSSED,     /* an emergency grant past the (soft) VM budget */
        C__COUNT,
};
static const char *const cover_names[] = { "ok", "ok-hostile", "ok-huge", "excluded", "blind", "stuck",
                                           "host_pressure", "host_critical", "above_max", "host_relaxed",
                                           "guest-grow", "blind_deflate", "host_cap", "funded-shrink", "unmet",
                                           "budget-crossed" };
static unsigned long g_cover[C__COUNT];

static void read_env(void) {
        const char *seed = getenv("BALLOOND_PROP_SEED"), *iters = getenv("BALLOOND_PROP_ITERS");

        if (seed && *seed)
                g_seed = strtoull(seed, NULL, 0);
        if (iters && *iters)
                g_iters = strtoul(iters, NULL, 0);
}

static void fail_here(int bad) {
        if (bad == 0)
                return;
        print_error("%d broken promise(s) at %s; replay with BALLOOND_PROP_SEED=0x%016" PRIx64 "\n", bad,
                    g_where, g_seed);
        fail();
}

/* P % of KIB, truncated, saturated at UINT64_MAX (2^64 does not fit). */
static uint64_t pct(double p, uint64_t kib) {
        double v = p / 100.0 * (double)kib;

        return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
}

/* ---- interesting numbers -------------------------------------------------------- */

static const uint64_t interesting_kib[] = {
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

static uint64_t interesting(struct rng *r) {
        return interesting_kib[below(r, N_ELEMS(interesting_kib))];
}

/* A hostile size: an interesting number, a random one, or one near REF. */
static uint64_t hostile_kib(struct rng *r, uint64_t ref) {
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

enum kind {
        K_HONEST = 0,
        K_HOSTILE,  /* any numbers at all, a new lie every cycle */
        K_GREEDY,   /* claims pressure every cycle: no free memory, swap-in and faults at full tilt */
        K_EXCLUDED, /* by state, devices, config rule, class or metadata; stats anything */
        K_BLIND,    /* never reports, stale, or reports impossible numbers */
        K_LIBVIRT,  /* hostile numbers through the libvirt-shaped conversion (src/core/stats.c) */
        K__COUNT,
};

static const char *const kind_names[] = { "honest", "hostile", "greedy", "excluded", "blind", "libvirt" };

struct vm {
        enum kind kind;
        uint64_t used_kib;   /* what an honest guest really uses */
        int follow_pct;      /* how much of a change the balloon makes per cycle */
        int pause_left;      /* cycles it stays paused */
        bool frozen;         /* stats stopped */
        unsigned excl_how;   /* which exclusion */
        unsigned blind_how;  /* which blindness */
};

struct world {
        struct rng rng;
        struct bd_config cfg;
        size_t n;
        struct bd_vm_sample s[MAX_VMS];
        struct bd_vm_history h[MAX_VMS];
        struct bd_vm_history before[MAX_VMS]; /* history as it was before this cycle */
        struct bd_decision d[MAX_VMS];
        struct vm vm[MAX_VMS];
        struct bd_host_sample host;
        struct bd_host_state hs;
        struct bd_host_view view;
        enum bd_band prev_band;
        bool prev_seen;
        uint64_t now;
        int64_t wall;
        uint64_t host_total_kib;
        bool hostile_host;
        int cycle;
};

#define WALL0 1790000000LL

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

static void vm_name(struct world *w, size_t i, const char *prefix) {
        snprintf(w->s[i].name, sizeof(w->s[i].name), "%svm-%zu", prefix, i);
        snprintf(w->s[i].uuid, sizeof(w->s[i].uuid), "5a0c3f9e-1b2d-4e6f-8a7b-%012zu", i + 1);
}

/* A guest that tells the truth about USED_KIB at its balloon size. */
static void honest_stats(struct world *w, size_t i) {
        struct bd_vm_sample *s = &w->s[i];
        struct vm *v = &w->vm[i];
        struct rng *r = &w->rng;

        if (v->frozen)
                return;
        s->usable_kib = sub_sat(s->actual_kib, v->used_kib);
        s->available_kib = s->actual_kib;
        s->unused_kib = s->usable_kib / 2;
        s->disk_caches_kib = s->usable_kib / 2;
        if (s->swap_in_kib == BD_COUNT_UNKNOWN)
                s->swap_in_kib = s->swap_out_kib = s->major_faults = 0;
        if (chance(r, 5))
                s->swap_in_kib += between(r, 1, M(64));
        if (chance(r, 5))
                s->swap_out_kib += between(r, 1, M(64));
        s->major_faults += between(r, 0, chance(r, 5) ? 100000 : 50);
        s->last_update_sec = w->wall - (int64_t)below(r, 3);
        if (w->before[i].seen && s->last_update_sec < w->before[i].prev_last_update_sec)
                s->last_update_sec = w->before[i].prev_last_update_sec;
        s->stats_period_sec = chance(r, 90) ? 2 : (int)between(r, 0, 10);
}

static int64_t hostile_time(struct world *w) {
        struct rng *r = &w->rng;
        const int64_t wall = w->wall;

        switch (below(r, 14)) {
        case 0:
                return 0;
        case 1:
                return -1;
        case 2:
                return INT64_MIN;
        case 3:
                return INT64_MAX;
        case 4:
                return wall + (int64_t)between(r, 1, 3); /* near future */
        case 5:
                return wall + (int64_t)between(r, 20, 1000000000); /* far future */
        case 6:
                return wall - (int64_t)between(r, 1000, 1000000000); /* distant past */
        case 7:
                return 627000000; /* libvirt's test driver: 1989 */
        case 8:
                return wall - 11 + (int64_t)below(r, 3); /* around the stale edge */
        case 9:
                return wall + 11 - (int64_t)below(r, 3); /* around the future edge */
        default:
                return wall - (int64_t)below(r, 3);
        }
}

/* One of the lies the brief lists, or several at once. */
static void hostile_stats(struct world *w, size_t i) {
        struct bd_vm_sample *s = &w->s[i];
        struct rng *r = &w->rng;
        uint64_t actual = s->actual_kib, all;

        honest_stats(w, i);
        switch (below(r, 16)) {
        case 0: /* free above total */
                s->usable_kib = add_sat(s->available_kib, between(r, 1, M(8192)));
                break;
        case 1: /* cache above current and total */
                s->disk_caches_kib = add_sat(actual, between(r, 1, M(8192)));
                break;
        case 2: /* usable above available */
                s->available_kib = sub_sat(s->usable_kib, between(r, 1, M(100)));
                break;
        case 3: /* available above current */
                s->available_kib = add_sat(actual, between(r, 1, M(100000)));
                break;
        case 4: /* current above maximum: within the sanity checks' leeway or past it */
                s->actual_kib = add_sat(s->max_kib, chance(r, 50) ? between(r, 1, M(64)) : between(r, 1, M(100000)));
                break;
        case 5: /* maximum 0 */
                s->max_kib = 0;
                break;
        case 6: /* counters backwards or wrapping */
                if (chance(r, 50)) {
                        s->swap_in_kib = sub_sat(s->swap_in_kib, between(r, 1, 1000));
                        s->swap_out_kib = chance(r, 50) ? 0 : s->swap_out_kib;
                        s->major_faults = sub_sat(s->major_faults, between(r, 0, 1000));
                } else {
                        s->swap_in_kib = UINT64_MAX - between(r, 1, 3);
                        s->swap_out_kib = UINT64_MAX - between(r, 0, 3);
                        s->major_faults = UINT64_MAX - between(r, 1, 3);
                }
                break;
        case 7: /* -1 / 2^64-1 / 2^63 / 0 in every field */
                all = chance(r, 25) ? UINT64_MAX : chance(r, 33) ? 1ULL << 63 : chance(r, 50) ? 0 : interesting(r);
                s->max_kib = s->actual_kib = s->available_kib = s->unused_kib = s->usable_kib = all;
                s->disk_caches_kib = s->swap_in_kib = s->swap_out_kib = s->major_faults = all;
                s->last_update_sec = all == UINT64_MAX ? -1 : (int64_t)(all >> 1);
                s->stats_period_sec = chance(r, 50) ? -1 : (int)(all & 0x7fffffff);
                break;
        case 8: /* around the KiB -> MiB / bytes conversions */
                s->usable_kib = interesting(r);
                s->available_kib = interesting(r);
                s->actual_kib = interesting(r);
                break;
        case 9: /* last-update anywhere */
                s->last_update_sec = hostile_time(w);
                break;
        case 10: /* claims pressure, sanely */
                s->usable_kib = 0;
                s->swap_in_kib = add_sat(s->swap_in_kib, M(4096));
                s->major_faults = add_sat(s->major_faults, 1ULL << 40);
                break;
        case 11: /* stats period anything */
                s->stats_period_sec = chance(r, 50) ? -1 - (int)below(r, 5) : (int)(rnd(r) & 0x7fffffff);
                break;
        default: /* every field on its own */
                s->max_kib = chance(r, 30) ? hostile_kib(r, s->max_kib) : s->max_kib;
                s->actual_kib = chance(r, 30) ? hostile_kib(r, s->actual_kib) : s->actual_kib;
                s->available_kib = chance(r, 50) ? hostile_kib(r, s->available_kib) : s->available_kib;
                s->unused_kib = chance(r, 50) ? hostile_kib(r, s->unused_kib) : s->unused_kib;
                s->usable_kib = chance(r, 50) ? hostile_kib(r, s->usable_kib) : s->usable_kib;
                s->disk_caches_kib = chance(r, 50) ? hostile_kib(r, s->disk_caches_kib) : s->disk_caches_kib;
                s->swap_in_kib = chance(r, 30) ? hostile_kib(r, s->swap_in_kib) : s->swap_in_kib;
                s->swap_out_kib = chance(r, 30) ? hostile_kib(r, s->swap_out_kib) : s->swap_out_kib;
                s->major_faults = chance(r, 30) ? hostile_kib(r, s->major_faults) : s->major_faults;
                if (chance(r, 30))
                        s->last_update_sec = hostile_time(w);
                break;
        }
}

/* A guest claiming pressure every cycle, otherwise plausible. */
static void greedy_stats(struct world *w, size_t i) {
        struct bd_vm_sample *s = &w->s[i];

        honest_stats(w, i);
        s->usable_kib = 0;
        s->unused_kib = 0;
        s->disk_caches_kib = 0;
        s->swap_in_kib = add_sat(s->swap_in_kib, M(4096));
        s->major_faults = add_sat(s->major_faults, 1ULL << 30);
        s->last_update_sec = w->wall;
}

static const char *const param_fields[] = {
        "state.state",   "state.reason",        "balloon.current",     "balloon.maximum",
        "balloon.swap_in", "balloon.swap_out",  "balloon.major_fault", "balloon.minor_fault",
        "balloon.unused", "balloon.available",  "balloon.usable",      "balloon.disk_caches",
        "balloon.rss",   "balloon.last-update", "balloon.bogus",       NULL,
};

/* Numbers shaped as libvirt gives them (typed parameters of the bulk call,
 * or tagged per-domain memory stats), hostile, through src/core/stats.c. */
static void libvirt_stats(struct world *w, size_t i) {
        struct bd_vm_sample *s = &w->s[i];
        struct rng *r = &w->rng;
        struct bd_param p[24];
        struct bd_memstat ms[16];
        size_t np = 0, nm = 0;
        int found;

        /* Start from an honest report, then overwrite some fields. */
        honest_stats(w, i);
        if (chance(r, 50)) {
                while (np < N_ELEMS(p) && chance(r, 85)) {
                        struct bd_param *q = &p[np++];

                        q->field = param_fields[below(r, N_ELEMS(param_fields))];
                        q->type = (enum bd_param_type)between(r, 0, 8);
                        switch (q->type) {
                        case BD_PARAM_DOUBLE:
                                q->v.d = chance(r, 50) ? NAN : (double)interesting(r) * (chance(r, 50) ? -1.0 : 1.0);
                                break;
                        case BD_PARAM_STRING:
                                q->v.s = chance(r, 50) ? NULL : "12345";
                                break;
                        case BD_PARAM_INT:
                        case BD_PARAM_LLONG:
                        case BD_PARAM_BOOLEAN:
                                q->v.i = chance(r, 30) ? -(int64_t)below(r, 3) : (int64_t)interesting(r);
                                if (q->field && strcmp(q->field, "state.state") == 0 && chance(r, 60))
                                        q->v.i = (int64_t)between(r, 0, 9);
                                break;
                        default:
                                q->v.u = chance(r, 20) ? UINT32_MAX : interesting(r);
                                break;
                        }
                }
                found = bd_stats_from_params(p, np, s);
        } else {
                while (nm < N_ELEMS(ms) && chance(r, 85)) {
                        ms[nm].tag = (int)between(r, 0, 15) - 1;
                        ms[nm].val = chance(r, 50) ? interesting(r) : hostile_kib(r, s->actual_kib);
                        if (ms[nm].tag == BD_MEMSTAT_LAST_UPDATE && chance(r, 50))
                                ms[nm].val = (uint64_t)hostile_time(w);
                        nm++;
                }
                found = bd_stats_from_memstats(ms, nm, s);
        }
        assert_true(found >= 0);
        /* The conversion's own promises: a known state, a time that is either
         * unknown or not negative. */
        assert_true((unsigned)s->state <= BD_RUN_OTHER);
        assert_true(s->last_update_sec == BD_TIME_UNKNOWN || s->last_update_sec >= 0);
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

static void world_add(struct world *w, enum kind kind, uint64_t max_kib, uint64_t actual_kib, uint64_t used_kib) {
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

static void random_world(struct world *w, uint64_t seed) {
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

/* ---- one cycle: observe, decide, check, apply ------------------------------------ */

static void observe(struct world *w) {
        struct rng *r = &w->rng;
        uint64_t held = 0;

        for (size_t i = 0; i < w->n; i++) {
                struct vm *v = &w->vm[i];
                struct bd_vm_sample *s = &w->s[i];

                if (v->kind == K_HONEST || v->kind == K_EXCLUDED) {
                        /* What an honest guest uses drifts, sometimes jumps. */
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
                switch (v->kind) {
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
                        honest_stats(w, i);
                        switch (v->blind_how) {
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
                        break;
                }
                if (s->state != BD_RUN_SHUTOFF)
                        held = add_sat(held, min_u64(s->actual_kib, M(1ULL << 24)));
        }
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

/* The oracle's view of the guest's documented pressure signals: rates over
 * the guest's own report interval, nothing from a report already seen or
 * from counters that restarted. */
struct signals {
        bool new_report, low_free, swap_in, fault_burst, swap_out;
        uint64_t lo, hi; /* the balloon sizes the report may have been made at */
};

static uint64_t up_by(uint64_t cur, uint64_t prev) {
        return cur != BD_COUNT_UNKNOWN && prev != BD_COUNT_UNKNOWN && cur > prev ? cur - prev : 0;
}

static bool back(uint64_t cur, uint64_t prev) {
        return cur != BD_COUNT_UNKNOWN && prev != BD_COUNT_UNKNOWN && cur < prev;
}

static struct signals signals_of(const struct bd_config *c, const struct bd_vm_sample *s,
                                 const struct bd_vm_history *h, uint64_t now) {
        struct signals g = { 0 };
        double dt = 0.0;
        bool reset;

        g.new_report = !h->seen || !c->check_stats_age || s->last_update_sec != h->prev_last_update_sec;
        if (h->seen && !c->check_stats_age && now > h->prev_sample_usec)
                dt = (double)(now - h->prev_sample_usec) / (double)SEC;
        else if (h->seen && c->check_stats_age && h->prev_last_update_sec != BD_TIME_UNKNOWN &&
                 s->last_update_sec > h->prev_last_update_sec)
                dt = (double)(s->last_update_sec - h->prev_last_update_sec);
        reset = h->seen && (back(s->swap_in_kib, h->prev_swap_in_kib) || back(s->swap_out_kib, h->prev_swap_out_kib) ||
                            back(s->major_faults, h->prev_major_faults));
        if (g.new_report && !reset && dt > 0.0) {
                g.swap_in = (double)up_by(s->swap_in_kib, h->prev_swap_in_kib) / dt > (double)c->swap_in_kib_per_sec;
                g.fault_burst = (double)up_by(s->major_faults, h->prev_major_faults) / dt >
                                (double)c->major_faults_per_sec;
                g.swap_out = up_by(s->swap_out_kib, h->prev_swap_out_kib) > 0;
        }
        if (!g.new_report && h->report_lo_kib) {
                g.lo = h->report_lo_kib;
                g.hi = h->report_hi_kib;
        } else if (h->seen && h->prev_actual_kib) {
                g.lo = min_u64(h->prev_actual_kib, s->actual_kib);
                g.hi = max_u64(h->prev_actual_kib, s->actual_kib);
        } else {
                g.lo = g.hi = s->actual_kib;
        }
        return g;
}

static bool excluded_by_doc(const struct bd_vm_sample *s, const struct bd_vm_history *h,
                            const struct bd_vm_settings *set) {
        return s->state != BD_RUN_RUNNING ||
               (s->flags & (BD_VM_NO_BALLOON | BD_VM_VFIO | BD_VM_LOCKED | BD_VM_HUGEPAGES | BD_VM_UNSUPPORTED |
                            BD_VM_TAG_EXCLUDE)) ||
               h->unsupported || set->excluded;
}

/* POLICY.md's "blind": never reported, stale, or impossible (free above
 * total, page cache or free memory above the balloon size, last-update going
 * backwards, a report from the future); sizes unknown. Counters going
 * backwards are a reboot, not a lie. */
static bool blind_by_doc(const struct bd_config *c, const struct bd_vm_sample *s, const struct bd_vm_history *h,
                         int64_t wall, bool *certain) {
        int64_t period, max_age;

        *certain = true;
        if (s->usable_kib == BD_KIB_UNKNOWN || s->last_update_sec == BD_TIME_UNKNOWN || s->last_update_sec <= 0)
                return true;
        if (s->actual_kib == 0 || s->actual_kib == BD_KIB_UNKNOWN || s->max_kib == 0 ||
            s->max_kib == BD_KIB_UNKNOWN || s->actual_kib > add_sat(s->max_kib, SLACK_KIB))
                return true;
        if (s->available_kib != BD_KIB_UNKNOWN && s->usable_kib > s->available_kib)
                return true;
        if (s->usable_kib > add_sat(s->actual_kib, SLACK_KIB))
                return true;
        if (s->unused_kib != BD_KIB_UNKNOWN && s->available_kib != BD_KIB_UNKNOWN && s->unused_kib > s->available_kib)
                return true;
        if (s->available_kib != BD_KIB_UNKNOWN && s->available_kib > add_sat(s->max_kib, SLACK_KIB))
                return true;
        if (s->disk_caches_kib != BD_KIB_UNKNOWN && s->disk_caches_kib > add_sat(s->actual_kib, SLACK_KIB))
                return true;
        if (h->seen && h->prev_last_update_sec != BD_TIME_UNKNOWN && s->last_update_sec < h->prev_last_update_sec)
                return true;
        if (!c->check_stats_age)
                return false;
        period = s->stats_period_sec > 0 ? s->stats_period_sec : c->stats_period_sec;
        max_age = 3 * period + (int64_t)(c->stats_slack_usec / SEC);
        if (wall - s->last_update_sec > max_age)
                return true; /* stale */
        if (s->last_update_sec > wall + max_age)
                return true; /* from the future */
        /* A report from less than the stale age ahead of the clock may be
         * either (clock steps between the collector and the policy). */
        if (s->last_update_sec > wall)
                *certain = false;
        return false;
}

static bool guest_grow_reason(enum bd_reason r) {
        return r == BD_REASON_GUEST_LOW_FREE || r == BD_REASON_GUEST_SWAP_IN || r == BD_REASON_GUEST_MAJOR_FAULTS ||
               r == BD_REASON_BELOW_MIN;
}

#define BROKEN(...)                                                                                          \
        do {                                                                                                 \
                print_error("%s: vm %zu %s (%s): ", g_where, i, s->name, kind_names[w->vm[i].kind]);         \
                print_error(__VA_ARGS__);                                                                    \
                print_error(" [%s/%s/%s actual %" PRIu64 " target %" PRIu64 " floor %" PRIu64 " max %" PRIu64 \
                            " KiB; sample max %" PRIu64 " usable %" PRIu64 " band %s]\n",                   \
                            bd_action_to_string(d->action), bd_reason_to_string(d->reason),                  \
                            bd_status_to_string(d->status), d->actual_kib, d->target_kib, d->floor_kib,       \
                            d->max_kib, s->max_kib, s->usable_kib, bd_band_to_string(v->band));              \
                bad++;                                                                                       \
        } while (0)

/* Every promise of docs/POLICY.md for every decision of the cycle just run.
 * Returns the number broken, each printed. */
static int check_cycle(const struct world *w) {
        const struct bd_config *c = &w->cfg;
        const struct bd_host_view *v = &w->view;
        unsigned __int128 shrink = 0, grow = 0, relaxed_grow = 0, above_floor = 0;
        bool funding = false;
        int bad = 0;

        /* The host. */
        if (!isfinite(v->free_pct) || v->free_pct < 0.0 || (unsigned)v->band > BD_BAND_CRITICAL) {
                print_error("%s: host view free_pct %g band %d\n", g_where, v->free_pct, (int)v->band);
                bad++;
        }
        /* PSI makes the band one step worse, never alone: a host with
         * plenty free (relaxed past the hysteresis) stays relaxed. */
        if (w->host.psi_valid && w->host.psi_full_avg10_pct >= c->psi_critical_pct && v->band == BD_BAND_NORMAL) {
                print_error("%s: PSI %g >= %g but band %s\n", g_where, w->host.psi_full_avg10_pct, c->psi_critical_pct,
                            bd_band_to_string(v->band));
                bad++;
        }
        if (v->free_pct >= c->relaxed_free_pct + c->hysteresis_pct && v->band != BD_BAND_RELAXED) {
                print_error("%s: free %g %% is relaxed past the hysteresis, band %s (PSI %g)\n", g_where, v->free_pct,
                            bd_band_to_string(v->band), w->host.psi_full_avg10_pct);
                bad++;
        }
        if (v->free_pct < c->critical_free_pct && v->band != BD_BAND_CRITICAL) {
                print_error("%s: free %g %% below critical, band %s\n", g_where, v->free_pct,
                            bd_band_to_string(v->band));
                bad++;
        }
        /* The host's figures, with hostile numbers too: the VMs' total
         * saturates, free memory is that of the binding constraint. */
        {
                uint64_t total = 0, ram_base = sub_sat(sub_sat(w->host.mem_total_kib, w->host.hugetlb_kib),
                                                       c->unavailable_kib);
                uint64_t ram_free = min_u64(sub_sat(w->host.mem_available_kib, c->host_reserve_kib), ram_base);

                for (size_t i = 0; i < w->n; i++)
                        if (w->s[i].state != BD_RUN_SHUTOFF && w->s[i].actual_kib != BD_KIB_UNKNOWN)
                                total = add_sat(total, w->s[i].actual_kib);
                if (v->vm_total_kib != total) {
                        print_error("%s: VMs' total %" PRIu64 " KiB, expected %" PRIu64 "\n", g_where, v->vm_total_kib,
                                    total);
                        bad++;
                }
                if (v->budget_binds ? !c->vm_budget_kib || v->free_kib != sub_sat(c->vm_budget_kib, total) ||
                                              v->base_kib != c->vm_budget_kib
                                    : v->free_kib != ram_free || v->base_kib != ram_base) {
                        print_error("%s: host free %" PRIu64 " of %" PRIu64 " KiB (budget binds %d) is not the binding "
                                    "constraint's\n", g_where, v->free_kib, v->base_kib, v->budget_binds);
                        bad++;
                }
                if (c->vm_budget_kib && !v->budget_binds &&
                    (double)sub_sat(c->vm_budget_kib, total) / (double)c->vm_budget_kib <
                            (ram_base ? (double)ram_free / (double)ram_base : 0.0)) {
                        print_error("%s: the budget is tighter than RAM but does not bind\n", g_where);
                        bad++;
                }
        }
        if (v->reclaim_goal_kib > 0 && v->band < BD_BAND_PRESSURE) {
                print_error("%s: reclaim goal %" PRId64 " KiB outside pressure\n", g_where, v->reclaim_goal_kib);
                bad++;
        }

        for (size_t i = 0; i < w->n; i++)
                funding = funding || (w->d[i].action == BD_ACTION_GROW && guest_grow_reason(w->d[i].reason));
        funding = funding || v->unmet_demand_kib > 0;

        for (size_t i = 0; i < w->n; i++) {
                const struct bd_vm_sample *s = &w->s[i];
                const struct bd_vm_history *h = &w->before[i];
                const struct bd_decision *d = &w->d[i];
                struct bd_vm_settings set;
                bool excl, blind, certain;
                uint64_t delta, eff_max;

                bd_config_vm_settings(c, s, &set);
                if ((unsigned)d->reason >= BD_REASON__COUNT || (unsigned)d->status > BD_STATUS_STUCK ||
                    (unsigned)d->action > BD_ACTION_GROW) {
                        BROKEN("enum out of range");
                        continue;
                }
                if (!isfinite(d->weight) || d->weight < 0.0)
                        BROKEN("weight %g", d->weight);
                if (d->actual_kib != s->actual_kib)
                        BROKEN("actual is not the sample's");
                if (d->action == BD_ACTION_NONE && d->target_kib != d->actual_kib)
                        BROKEN("no action, yet target != actual");
                if (d->action == BD_ACTION_SHRINK && d->target_kib >= d->actual_kib)
                        BROKEN("shrink to a target not below actual");
                if (d->action == BD_ACTION_GROW && d->target_kib <= d->actual_kib)
                        BROKEN("grow to a target not above actual");
                /* Never growth beyond the maximum (the domain's, or a rule's). */
                if (d->action != BD_ACTION_NONE && (s->max_kib == BD_KIB_UNKNOWN || d->target_kib > s->max_kib))
                        BROKEN("target above the domain's maximum");
                delta = d->target_kib > d->actual_kib ? d->target_kib - d->actual_kib : d->actual_kib - d->target_kib;
                if (d->action == BD_ACTION_SHRINK)
                        shrink += delta;
                else if (d->action == BD_ACTION_GROW)
                        grow += delta;
                /* What a grow gave past the VM's floor (a blind VM has none). */
                if (d->action == BD_ACTION_GROW)
                        above_floor += d->target_kib -
                                       max_u64(d->actual_kib, d->status == BD_STATUS_OK
                                                                      ? min_u64(d->floor_grow_kib, d->target_kib)
                                                                      : 0);

                g_cover[C_EXCLUDED] += d->status == BD_STATUS_EXCLUDED;
                g_cover[C_BLIND] += d->status == BD_STATUS_BLIND;
                g_cover[C_STUCK] += d->status == BD_STATUS_STUCK;
                g_cover[C_OK] += d->status == BD_STATUS_OK;
                g_cover[C_OK_HOSTILE] += d->status == BD_STATUS_OK &&
                                         (w->vm[i].kind == K_HOSTILE || w->vm[i].kind == K_LIBVIRT);
                g_cover[C_OK_HUGE] += d->status == BD_STATUS_OK && s->actual_kib >= (1ULL << 40);
                g_cover[C_PRESSURE] += d->reason == BD_REASON_HOST_PRESSURE;
                g_cover[C_CRITICAL] += d->reason == BD_REASON_HOST_CRITICAL;
                g_cover[C_ABOVE_MAX] += d->reason == BD_REASON_ABOVE_MAX;
                g_cover[C_RELAXED] += d->reason == BD_REASON_HOST_RELAXED;
                g_cover[C_GUEST_GROW] += d->action == BD_ACTION_GROW && guest_grow_reason(d->reason);
                g_cover[C_BLIND_DEFLATE] += d->reason == BD_REASON_BLIND_DEFLATE;
                g_cover[C_HOST_CAP] += d->reason == BD_REASON_HOST_CAP;
                g_cover[C_FUNDED] += d->action == BD_ACTION_SHRINK && v->band < BD_BAND_PRESSURE;
                excl = excluded_by_doc(s, h, &set);
                if (excl != (d->status == BD_STATUS_EXCLUDED))
                        BROKEN("excluded by the documented rules: %d, status %s", excl, bd_status_to_string(d->status));
                if (excl) {
                        if (d->action != BD_ACTION_NONE)
                                BROKEN("an excluded VM changed");
                        continue;
                }
                blind = blind_by_doc(c, s, h, w->wall, &certain);
                if (certain && blind != (d->status == BD_STATUS_BLIND))
                        BROKEN("blind by the documented rules: %d, status %s", blind, bd_status_to_string(d->status));
                if (d->status == BD_STATUS_BLIND) {
                        if (d->action == BD_ACTION_SHRINK)
                                BROKEN("a blind VM shrunk");
                        if (d->action == BD_ACTION_GROW) {
                                if (d->reason != BD_REASON_BLIND_DEFLATE || c->blind_action != BD_BLIND_DEFLATE ||
                                    v->band >= BD_BAND_PRESSURE)
                                        BROKEN("a blind VM grew other than by blind_deflate outside pressure");
                                /* A grow from an unknown size may be a shrink in truth. */
                                if (s->actual_kib == 0 || s->actual_kib == BD_KIB_UNKNOWN)
                                        BROKEN("blind_deflate from an unknown balloon size");
                                relaxed_grow += delta;
                        }
                        continue;
                }
                if (d->status == BD_STATUS_STUCK) {
                        if (d->action != BD_ACTION_NONE)
                                BROKEN("a stuck VM changed");
                        continue;
                }

                /* OK: the floor is a safety property. */
                {
                        struct signals g = signals_of(c, s, h, w->now);
                        uint64_t used = sub_sat(g.hi, s->usable_kib), used_lo = sub_sat(g.lo, s->usable_kib);
                        uint64_t margin = max_u64(pct(c->margin_pct, used), c->margin_min_kib);
                        uint64_t margin_lo = max_u64(pct(c->margin_pct, used_lo), c->margin_min_kib);
                        uint64_t floor = min_u64(max_u64(set.min_kib, add_sat(used, margin)), s->max_kib);
                        uint64_t floor_grow = min_u64(max_u64(set.min_kib, add_sat(used_lo, margin_lo)), s->max_kib);
                        bool low_free = s->usable_kib < margin_lo;
                        bool pressure = low_free || g.swap_in || g.fault_burst;
                        bool cooling = h->last_change_usec && w->now - h->last_change_usec < c->cooldown_usec;
                        uint64_t rate = min_u64(pct(c->shrink_pct, s->actual_kib), c->shrink_max_kib);

                        eff_max = set.max_kib && set.max_kib < s->max_kib ? set.max_kib : s->max_kib;
                        eff_max = max_u64(eff_max, floor);
                        if (d->used_kib != used || d->margin_kib != margin)
                                BROKEN("used %" PRIu64 " margin %" PRIu64 " are not those at the report's size (%" PRIu64
                                       ", %" PRIu64 ")",
                                       d->used_kib, d->margin_kib, used, margin);
                        if (d->floor_kib != floor || d->floor_grow_kib != floor_grow)
                                BROKEN("floors %" PRIu64 " / %" PRIu64 " are not min(max(min, used + margin), max) = %"
                                       PRIu64 " / %" PRIu64, d->floor_kib, d->floor_grow_kib, floor, floor_grow);
                        if (d->max_kib != eff_max)
                                BROKEN("effective maximum is not %" PRIu64, eff_max);
                        if (d->guest_pressure != pressure || d->swapping_out != g.swap_out)
                                BROKEN("guest pressure %d / swap-out %d, documented signals say %d / %d",
                                       d->guest_pressure, d->swapping_out, pressure, g.swap_out);

                        /* A guest in need asks, once per report: up to its
                         * floor, and (not when critical) to used + 2 x margin
                         * (on swap-in or faults at least swap_in_grow more), at
                         * most its maximum. Granted + unmet is that ask. */
                        if (pressure || s->actual_kib < floor_grow) {
                                uint64_t want = floor_grow;
                                bool again = !c->check_stats_age || s->last_update_sec != h->grow_report_sec;

                                if (pressure && v->band != BD_BAND_CRITICAL)
                                        want = max_u64(want, add_sat(used_lo, 2 * min_u64(margin_lo, UINT64_MAX / 2)));
                                if ((g.swap_in || g.fault_burst) && v->band != BD_BAND_CRITICAL)
                                        want = max_u64(want, add_sat(s->actual_kib, c->swap_in_grow_kib));
                                want = min_u64(want, eff_max);
                                if (want > s->actual_kib && (again || !pressure)) {
                                        uint64_t got = d->action == BD_ACTION_GROW ? d->target_kib - s->actual_kib : 0;

                                        if (d->want_kib != want || got + d->unmet_kib != want - s->actual_kib ||
                                            (d->action == BD_ACTION_NONE && d->reason != BD_REASON_NO_HEADROOM) ||
                                            d->action == BD_ACTION_SHRINK)
                                                BROKEN("a guest in need asked %" PRIu64 " (documented %" PRIu64
                                                       "), got %" PRIu64 " + unmet %" PRIu64,
                                                       d->want_kib, want, got, d->unmet_kib);
                                        g_cover[C_UNMET] += d->unmet_kib > 0;
                                } else if (want > s->actual_kib && d->action != BD_ACTION_NONE) {
                                        BROKEN("grown twice on one report");
                                }
                        }
                        if (d->action == BD_ACTION_GROW && d->target_kib < floor_grow &&
                            (!d->unmet_kib || d->refused == BD_LINE_NONE))
                                BROKEN("a grow short of the floor with no unmet demand or line that cut it");
                        if (d->action == BD_ACTION_NONE)
                                continue;
                        /* Within [floor, max]. */
                        if (d->action == BD_ACTION_SHRINK && d->target_kib < floor)
                                BROKEN("target below the floor %" PRIu64, floor);
                        if (d->reason == BD_REASON_ABOVE_MAX) {
                                if (d->action != BD_ACTION_SHRINK || d->target_kib < eff_max)
                                        BROKEN("above_max is not a shrink toward the maximum");
                        } else if (d->target_kib > eff_max) {
                                BROKEN("target above the maximum %" PRIu64, eff_max);
                        }
                        if (d->reason != BD_REASON_ABOVE_MAX && !guest_grow_reason(d->reason) &&
                            delta < max_u64(c->deadband_kib, pct(c->deadband_pct, s->actual_kib)))
                                BROKEN("change of %" PRIu64 " KiB under the deadband", delta);
                        if (d->action == BD_ACTION_SHRINK) {
                                uint64_t limit = d->reason == BD_REASON_HOST_CRITICAL ? add_sat(rate, rate) : rate;

                                if (delta > limit)
                                        BROKEN("shrink of %" PRIu64 " KiB above the rate limit %" PRIu64, delta, limit);
                                if (pressure)
                                        BROKEN("a guest under pressure shrunk");
                                if (g.swap_out)
                                        BROKEN("a guest swapping out shrunk");
                                if (cooling)
                                        BROKEN("shrunk within the cooldown");
                                if (h->last_grow_for_pressure_usec &&
                                    w->now - h->last_grow_for_pressure_usec < c->grow_hold_usec &&
                                    d->reason != BD_REASON_ABOVE_MAX)
                                        BROKEN("shrunk soon after a pressure-driven grow");
                                if (c->check_stats_age && h->last_change_usec &&
                                    s->last_update_sec <= h->change_stats_sec)
                                        BROKEN("shrunk twice on the same statistics");
                                if (d->reason != BD_REASON_HOST_PRESSURE && d->reason != BD_REASON_HOST_CRITICAL &&
                                    d->reason != BD_REASON_ABOVE_MAX)
                                        BROKEN("shrink with a grow's reason");
                                if ((d->reason == BD_REASON_HOST_PRESSURE || d->reason == BD_REASON_HOST_CRITICAL) &&
                                    v->band < BD_BAND_PRESSURE && !funding)
                                        BROKEN("reclaim outside pressure with no guest to pay for");
                                if (d->reason == BD_REASON_HOST_CRITICAL && v->band != BD_BAND_CRITICAL)
                                        BROKEN("host_critical outside the critical band");
                        } else {
                                if (d->reason == BD_REASON_HOST_RELAXED) {
                                        relaxed_grow += delta;
                                        if (v->band != BD_BAND_RELAXED)
                                                BROKEN("host_relaxed grow outside the relaxed band");
                                        if (cooling)
                                                BROKEN("host_relaxed grow within the cooldown");
                                } else if (!guest_grow_reason(d->reason)) {
                                        BROKEN("grow with a shrink's reason");
                                }
                        }
                }
        }
        /* The host budget, from the host's own numbers: all grants within
         * what physical RAM has above the host's reserve, and grants past
         * floors within what it has above its critical line, plus the
         * reclaim the balloons were seen to make since the previous cycle. */
        {
                uint64_t base = sub_sat(sub_sat(w->host.mem_total_kib, w->host.hugetlb_kib), c->unavailable_kib);
                uint64_t free = min_u64(sub_sat(w->host.mem_available_kib, c->host_reserve_kib), base);
                uint64_t headroom = sub_sat(free, pct(c->critical_free_pct, base)), observed = 0;
                uint64_t total = 0, vm_headroom;

                for (size_t i = 0; i < w->n; i++) {
                        const struct bd_vm_history *h = &w->before[i];

                        if (w->s[i].state != BD_RUN_SHUTOFF && w->s[i].actual_kib != BD_KIB_UNKNOWN)
                                total = add_sat(total, w->s[i].actual_kib);
                        if (h->seen && h->target_kib && h->target_kib < h->prev_actual_kib &&
                            w->s[i].actual_kib != BD_KIB_UNKNOWN)
                                observed = add_sat(observed, sub_sat(h->prev_actual_kib, w->s[i].actual_kib));
                }
                if (grow > (unsigned __int128)free + observed) {
                        print_error("%s: granted %" PRIu64 " KiB, the host has %" PRIu64 " KiB above its reserve "
                                    "and the balloons gave %" PRIu64 " KiB\n", g_where, (uint64_t)grow, free, observed);
                        bad++;
                }
                if (above_floor > (unsigned __int128)headroom + observed) {
                        print_error("%s: granted %" PRIu64 " KiB past floors, the host has %" PRIu64 " KiB above its "
                                    "critical line and the balloons gave %" PRIu64 " KiB\n", g_where,
                                    (uint64_t)above_floor, headroom, observed);
                        bad++;
                }
                vm_headroom = c->vm_budget_kib ? sub_sat(sub_sat(c->vm_budget_kib, total),
                                                         pct(c->critical_free_pct, c->vm_budget_kib))
                                               : UINT64_MAX;
                if (grow > vm_headroom && (c->vm_budget_hard || grow - v->budget_crossed_kib > vm_headroom)) {
                        print_error("%s: granted %" PRIu64 " KiB (%" PRIu64 " as emergencies), the VM budget has %"
                                    PRIu64 " KiB\n", g_where, (uint64_t)grow, v->budget_crossed_kib, vm_headroom);
                        bad++;
                }
                g_cover[C_CROSSED] += v->budget_crossed_kib > 0;
                if (v->granted_kib + v->unmet_demand_kib != v->demand_kib) {
                        print_error("%s: demand %" PRIu64 " is not granted %" PRIu64 " + unmet %" PRIu64 "\n", g_where,
                                    v->demand_kib, v->granted_kib, v->unmet_demand_kib);
                        bad++;
                }
        }
        /* Host-wide: the shrink cap, deflation within the room, honest totals. */
        if (shrink > c->host_shrink_cap_kib) {
                print_error("%s: total shrink %" PRIu64 " KiB above the host cap %" PRIu64 " KiB\n", g_where,
                            (uint64_t)shrink, c->host_shrink_cap_kib);
                bad++;
        }
        if (relaxed_grow > v->grow_room_kib) {
                print_error("%s: relaxed deflation %" PRIu64 " KiB above the room %" PRIu64 " KiB\n", g_where,
                            (uint64_t)relaxed_grow, v->grow_room_kib);
                bad++;
        }
        if ((unsigned __int128)v->shrink_kib != shrink ||
            (unsigned __int128)v->grow_kib != (grow > UINT64_MAX ? UINT64_MAX : grow)) {
                print_error("%s: view totals shrink %" PRIu64 " grow %" PRIu64 ", decisions %" PRIu64
                            " %s%" PRIu64 "\n",
                            g_where, v->shrink_kib, v->grow_kib, (uint64_t)shrink, grow > UINT64_MAX ? ">2^64 " : "",
                            (uint64_t)grow);
                bad++;
        }
        return bad;
}

#undef BROKEN

/* Run the policy on the samples as they are, check, apply (the balloons
 * follow their targets, some only partly). */
static void decide_and_apply(struct world *w) {
        memcpy(w->before, w->h, sizeof(w->h));
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        fail_here(check_cycle(w));
        for (size_t i = 0; i < w->n; i++) {
                struct bd_decision *d = &w->d[i];
                struct vm *v = &w->vm[i];
                uint64_t step;

                if (d->action == BD_ACTION_NONE)
                        continue;
                bd_policy_note_applied(&w->h[i], d, w->now);
                step = d->target_kib > d->actual_kib ? d->target_kib - d->actual_kib : d->actual_kib - d->target_kib;
                step = step / 100 * (uint64_t)v->follow_pct;
                w->s[i].actual_kib = d->target_kib > d->actual_kib ? d->actual_kib + step : d->actual_kib - step;
                if (v->follow_pct == 100)
                        w->s[i].actual_kib = d->target_kib;
        }
}

static void advance(struct world *w) {
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

static void run_world(struct world *w, unsigned long index, int cycles) {
        for (int c = 0; c < cycles; c++) {
                snprintf(g_where, sizeof(g_where), "world %lu cycle %d", index, w->cycle);
                observe(w);
                decide_and_apply(w);
                advance(w);
        }
}

static uint64_t world_seed(unsigned long index) {
        struct rng r = { g_seed ^ (0xa0761d6478bd642fULL * (index + 1)) };

        return rnd(&r);
}

/* ---- the tests ---------------------------------------------------------------------- */

/* Random worlds of every kind of guest, host pressure flipping. */
static void test_random_worlds(void **state) {
        struct world *w = malloc(sizeof(*w));

        (void)state;
        assert_non_null(w);
        memset(g_cover, 0, sizeof(g_cover));
        for (unsigned long k = 0; k < g_iters; k++) {
                random_world(w, world_seed(k));
                run_world(w, k, CYCLES);
        }
        free(w);
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
        struct world *w = malloc(sizeof(*w));

        (void)state;
        assert_non_null(w);
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
        free(w);
}

/* Last-update anywhere, the same value in every field, the host's own
 * numbers anything. */
static void test_times_and_whole_reports(void **state) {
        static const int64_t offsets[] = { INT64_MIN, -1000000000, -3600, -12, -11, -10, -1, 0, 1, 2, 10, 11, 12,
                                           3600, 1000000000 };
        static const uint64_t alls[] = { 0, 1, 1ULL << 63, UINT64_MAX - 1, UINT64_MAX };
        struct world *w = malloc(sizeof(*w));

        (void)state;
        assert_non_null(w);
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
        free(w);
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
        struct world *w = malloc(sizeof(*w));
        struct host_model m;

        (void)state;
        assert_non_null(w);
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

                                if (!d->want_kib)
                                        continue;
                                needs++;
                                cut += d->unmet_kib > 0;
                                /* Its floor cut short (an emergency) while it claims rarely. */
                                if (d->target_kib >= d->floor_grow_kib || d->claim_credit > (double)w->cfg.frequent_claim_kib)
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
        free(w);
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
