/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The oracle of the policy property tests: what docs/GUEST-SAFETY.md (and
 * docs/POLICY.md for the rate) say of a VM, written from the documents, not
 * from src/core/policy*.c: its pressure signals, whether it is excluded or
 * blind, and an OK VM's used memory, margin, floors, rate and effective
 * maximum. See props_oracle.h. */
#include "props_oracle.h"

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
                g.swapped_out = up_by(s->swap_out_kib, h->prev_swap_out_kib);
                g.swap_out = g.swapped_out > 0;
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

bool excluded_by_doc(const struct bd_vm_sample *s, const struct bd_vm_history *h,
                            const struct bd_vm_settings *set) {
        return s->state != BD_RUN_RUNNING ||
               (s->flags & (BD_VM_NO_BALLOON | BD_VM_VFIO | BD_VM_LOCKED | BD_VM_HUGEPAGES | BD_VM_UNSUPPORTED |
                            BD_VM_TAG_EXCLUDE | BD_VM_CONFIDENTIAL | BD_VM_VDPA | BD_VM_VIRTIO_MEM)) ||
               h->unsupported || set->excluded;
}

/* GUEST-SAFETY.md's "blind": never reported, stale, or impossible (free
 * above total, page cache or free memory above the balloon size, last-update going
 * backwards, a report from the future); sizes unknown. Counters going
 * backwards are a reboot, not a lie. */
const struct bd_vm_sample *judged_on(const struct bd_vm_sample *s, struct bd_vm_sample *eff, bool *incomplete) {
        *incomplete = s->usable_kib == BD_KIB_UNKNOWN && s->unused_kib != BD_KIB_UNKNOWN &&
                      s->last_update_sec != BD_TIME_UNKNOWN && s->last_update_sec > 0;
        if (!*incomplete)
                return s;
        *eff = *s;
        eff->usable_kib = add_sat(s->unused_kib, s->disk_caches_kib != BD_KIB_UNKNOWN ? s->disk_caches_kib : 0);
        return eff;
}

bool blind_by_doc(const struct bd_config *c, const struct bd_vm_sample *s0, const struct bd_vm_history *h,
                         int64_t wall, bool *certain) {
        struct bd_vm_sample eff;
        bool incomplete;
        const struct bd_vm_sample *s = judged_on(s0, &eff, &incomplete);
        int64_t period, max_age;

        *certain = true;
        if (s->flags & BD_VM_FACTS_UNKNOWN)
                return true;
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

bool guest_grow_reason(enum bd_reason r) {
        return r == BD_REASON_GUEST_LOW_FREE || r == BD_REASON_GUEST_SWAP_IN || r == BD_REASON_GUEST_MAJOR_FAULTS ||
               r == BD_REASON_BELOW_MIN || r == BD_REASON_BURST_ROOM;
}

/* GUEST-SAFETY.md's margin for USED: max(margin_pct x used, margin_min), TIMES
 * over (twice for a report judged on unused + disk caches), summed with
 * saturation like every size (a guest may report sizes near 2^64).
 * margin_pct is the cycle's, the host's squeeze applied (PCT; checked
 * against the documented one in props_check.c). */
static uint64_t margin_by_doc(const struct bd_config *c, double margin_pct, uint64_t times, uint64_t used) {
        uint64_t m = max_u64(pct(margin_pct, used), c->margin_min_kib);

        return times == 2 ? add_sat(m, m) : m;
}

/* The room for another jump (RISE) of a guest using USED, with the margin
 * the use that jump would bring needs beyond the margin of the use now, as
 * far as the floor (with BURST) stays under MAX. */
static uint64_t room_with_margin(const struct bd_config *c, double margin_pct, uint64_t times, uint64_t used,
                                 uint64_t rise, uint64_t burst, uint64_t max) {
        uint64_t now = margin_by_doc(c, margin_pct, times, used);
        uint64_t after = margin_by_doc(c, margin_pct, times, add_sat(used, rise));
        uint64_t below_max = sub_sat(max, add_sat(add_sat(used, now), add_sat(burst, rise)));

        return rise ? add_sat(rise, min_u64(sub_sat(after, now), below_max)) : 0;
}

struct ok_oracle ok_oracle_of(const struct world *w, size_t i, const struct bd_vm_settings *set) {
        const struct bd_config *c = &w->cfg;
        struct bd_vm_sample eff;
        bool incomplete;
        const struct bd_vm_sample *s = judged_on(&w->s[i], &eff, &incomplete);
        const struct bd_vm_history *h = &w->before[i];
        uint64_t times = incomplete ? 2 : 1, deadband, room_hi;
        double mp = w->d[i].margin_pct;
        struct ok_oracle o;

        o.g = signals_of(c, s, h, w->now);
        o.burst = w->d[i].burst_kib;
        o.rise = w->d[i].rise_kib;
        o.used = sub_sat(o.g.hi, s->usable_kib);
        o.used_lo = sub_sat(o.g.lo, s->usable_kib);
        /* The room for another jump comes with the margin of the use that
         * jump would bring (room_with_margin). */
        /* The room for its peers' jump (peer_rise_kib) is in the floor
         * that bounds shrinks, not in the grows' floor. */
        room_hi = room_with_margin(c, mp, times, o.used, max_u64(o.rise, w->d[i].peer_rise_kib), o.burst,
                                   s->max_kib);
        o.room_lo = min_u64(room_with_margin(c, mp, times, o.used_lo, o.rise, o.burst, s->max_kib), room_hi);
        o.margin = add_sat(margin_by_doc(c, mp, times, o.used), add_sat(o.burst, room_hi));
        o.plain_margin_lo = margin_by_doc(c, mp, times, o.used_lo);
        o.margin_lo = add_sat(o.plain_margin_lo, add_sat(o.burst, o.room_lo));
        o.floor = min_u64(max_u64(set->min_kib, add_sat(o.used, o.margin)), s->max_kib);
        o.lend_floor = min_u64(max_u64(set->min_kib, add_sat(o.used, o.margin - o.burst)), s->max_kib);
        o.share_floor = min_u64(max_u64(set->min_kib, add_sat(o.used, margin_by_doc(c, mp, times, o.used) / 2)),
                                s->max_kib);
        o.floor_grow = min_u64(max_u64(set->min_kib, add_sat(o.used_lo, o.margin_lo)), s->max_kib);
        o.owed = h->burst_lent && o.burst && s->actual_kib < o.floor_grow;
        /* Within 1 MiB of its margin a guest has it (GUEST-SAFETY.md). */
        o.low_free = add_sat(s->usable_kib, MIB) < o.plain_margin_lo;
        /* The floor without the burst margin when the room missing is under
         * max(deadband, half the burst margin), and always when critical
         * (the fresh jump's room is still asked for then). */
        o.plain_floor = sub_sat(o.floor_grow, o.burst);
        deadband = max_u64(c->deadband_kib, pct(c->deadband_pct, s->actual_kib));
        o.floor_ask = w->view.band == BD_BAND_CRITICAL ? o.plain_floor
                      : o.owed ? o.floor_grow
                      : s->actual_kib >= o.plain_floor && o.floor_grow - s->actual_kib < max_u64(deadband, o.burst / 2)
                              ? o.plain_floor
                              : o.floor_grow;
        o.pressure = o.low_free || o.g.swap_in || o.g.fault_burst;
        o.cooling = h->last_change_usec && w->now - h->last_change_usec < c->cooldown_usec;
        o.rate = min_u64(pct(c->shrink_pct, s->actual_kib), c->shrink_max_kib);
        o.eff_max = set->max_kib && set->max_kib < s->max_kib ? set->max_kib : s->max_kib;
        o.eff_max = max_u64(o.eff_max, o.floor);
        return o;
}

