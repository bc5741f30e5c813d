/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guests' reports in the policy property tests: honest ones, hostile
 * ones (every documented lie), greedy ones and libvirt-shaped ones through
 * src/core/stats.c. See props_world.h. */
#include <math.h>

#include "props_world.h"

/* A guest that tells the truth about USED_KIB at its balloon size. */
void honest_stats(struct world *w, size_t i) {
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

int64_t hostile_time(struct world *w) {
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
void hostile_stats(struct world *w, size_t i) {
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
void greedy_stats(struct world *w, size_t i) {
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
void libvirt_stats(struct world *w, size_t i) {
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
