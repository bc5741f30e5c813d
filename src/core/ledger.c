/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger and reclaim confirmed on the host.
 *
 * A shrink balloond applies opens a measurement: the QEMU process's resident
 * memory and the balloon's size then. Further shrinks extend it. Once the
 * balloon has held its target for BD_RECLAIM_SETTLE_CYCLES cycles (or after
 * BD_RECLAIM_MAX_AGE_CYCLES), the process is measured again: confirmed =
 * the fall of its resident memory plus the rise of what its guest uses
 * (size - usable: memory the guest took meanwhile is resident too), at most
 * what the balloon moved. The VM's ratio is confirmed / moved over its
 * measurements (each weighing 1 / BD_RECLAIM_DECAY more than the one before),
 * and confirmed memory adds to what it returned; a grow gives back first
 * what it returned. A ratio under BD_RECLAIM_INEFFECTIVE_RATIO once the
 * balloon moved BD_RECLAIM_LARGE_MOVE_KIB (or an eighth of its maximum) in
 * those measurements makes it ineffective: shrinking it for the host's
 * sake stops until its resident memory beyond what its guest uses grows by
 * max(64 MiB, a sixteenth of its maximum) (a guest without free page
 * reporting that used memory and let it go) in BD_RECLAIM_PROBE_REPORTS
 * guest reports in a row made while its balloon held its size, when it is
 * probed anew. Without a resident figure nothing is confirmed.
 *
 * "Reclaimed" (the host ledger, the metric, the service status) is one
 * figure: the sum over VMs holding memory of what they returned, confirmed. */
#include <math.h>
#include <string.h>

#include "balloond/core/ledger.h"
#include "balloond/core/units.h"

static bool known(uint64_t v) {
        return v != BD_KIB_UNKNOWN;
}

/* A running QEMU process always holds memory, a balloon is never 0: 0 is no
 * figure (a backend that does not read one, a hypervisor between reports). */
static bool rss_known(uint64_t v) {
        return v != BD_KIB_UNKNOWN && v != 0;
}

enum bd_ineffective bd_ledger_ineffective(const struct bd_vm_sample *s, const struct bd_vm_history *h) {
        if (s->flags & BD_VM_HUGEPAGES)
                return BD_INEFFECTIVE_HUGEPAGES;
        if (s->flags & BD_VM_VFIO)
                return BD_INEFFECTIVE_PINNED;
        if (s->flags & BD_VM_LOCKED)
                return BD_INEFFECTIVE_LOCKED;
        return h ? h->reclaim.ineffective : BD_INEFFECTIVE_NO;
}

/* Evidence enough to judge a VM: its balloon moved max(128 MiB, an eighth
 * of its maximum) in its measurements. */
static uint64_t large_move(const struct bd_vm_sample *s) {
        return max_u64(BD_RECLAIM_LARGE_MOVE_KIB, known(s->max_kib) ? s->max_kib / 8 : 0);
}

/* The guest's used memory as the policy counts it: size - usable. Unknown
 * when the report's free memory is above the size: the guest reported after
 * a deflate that libvirt's size does not show yet (all three e2e guests,
 * for one cycle after a one-step deflate to their maxima). */
static uint64_t used_of(uint64_t actual_kib, uint64_t usable_kib) {
        if (!known(actual_kib) || !known(usable_kib) || usable_kib > actual_kib)
                return BD_KIB_UNKNOWN;
        return actual_kib - usable_kib;
}

double bd_ledger_gain(const struct bd_vm_sample *s, const struct bd_vm_history *h) {
        if (bd_ledger_ineffective(s, h) != BD_INEFFECTIVE_NO)
                return 0.0;
        /* Trusted once the balloon moved enough in its measurements (guest
         * activity makes a few small ones noise); then low, never nil, so
         * that it is measured again. */
        if (!bd_ledger_gain_measured(s, h))
                return 1.0;
        return fmax(h->reclaim.ratio, BD_RECLAIM_INEFFECTIVE_RATIO / 2.0);
}

bool bd_ledger_gain_measured(const struct bd_vm_sample *s, const struct bd_vm_history *h) {
        return h && h->reclaim.sum_moved >= (double)large_move(s);
}

static enum bd_ineffective measured_reason(const struct bd_vm_sample *s) {
        if (s->flags & BD_VM_SHARED_MEMORY)
                return BD_INEFFECTIVE_SHARED;
        if (!(s->flags & BD_VM_NO_FREE_PAGE_REPORTING))
                return BD_INEFFECTIVE_FREE_REPORTED;
        return BD_INEFFECTIVE_NOT_RESIDENT;
}

/* Resident memory its guest does not use (its cache, free pages not
 * reported, the process's own): what a shrink could return. Unknown when the
 * guest's use is. */
static uint64_t idle_resident(const struct bd_vm_sample *s) {
        uint64_t used = used_of(s->actual_kib, s->usable_kib);

        return known(used) ? sub_sat(s->rss_kib, used) : BD_KIB_UNKNOWN;
}

static void measure(struct bd_reclaim *rc, const struct bd_vm_sample *s) {
        uint64_t moved = sub_sat(rc->actual_before_kib, s->actual_kib);
        uint64_t used = used_of(s->actual_kib, s->usable_kib);
        /* What the process gave back, plus what the guest took meanwhile
         * (memory it started using is resident too; what it stopped using,
         * when free pages are reported, left on its own): (rss before +
         * used after) - (rss after + used before), in saturating unsigned
         * arithmetic (guests' figures are anything). Without free page
         * reporting, what the guest stopped using stays resident until a
         * balloon takes it: only a rise counts (the e2e's bd-l1, a 640 MiB
         * hog just freed, had 111 MiB of the balloon's reclaim taken off
         * that way: 362 of 473 MiB confirmed). */
        uint64_t up = rc->rss_before_kib, down = s->rss_kib, got;

        if (known(used) && known(rc->used_before_kib) && (s->flags & BD_VM_NO_FREE_PAGE_REPORTING))
                used = max_u64(used, rc->used_before_kib);
        if (known(used) && known(rc->used_before_kib)) {
                up = add_sat(up, used);
                down = add_sat(down, rc->used_before_kib);
        }
        got = min_u64(sub_sat(up, down), moved);

        rc->open = false;
        if (moved < BD_RECLAIM_MIN_MOVED_KIB)
                return;
        rc->last_moved_kib = moved;
        rc->last_got_kib = got;
        rc->returned_kib = add_sat(rc->returned_kib, got);
        /* Guest activity makes single measurements noisy: sums, the older
         * weighing less, so that a VM's ratio follows it and is not thrown
         * by one cycle. */
        rc->sum_moved = rc->sum_moved * BD_RECLAIM_DECAY + (double)moved;
        rc->sum_got = rc->sum_got * BD_RECLAIM_DECAY + (double)got;
        rc->ratio = rc->sum_got / rc->sum_moved;
        rc->measured++;
        if (rc->ineffective == BD_INEFFECTIVE_NO && rc->ratio < BD_RECLAIM_INEFFECTIVE_RATIO &&
            rc->sum_moved >= (double)large_move(s)) {
                rc->ineffective = measured_reason(s);
                /* Without the guest's use, all of it: probed again later. */
                rc->rss_mark_kib = known(idle_resident(s)) ? idle_resident(s) : s->rss_kib;
        }
}

/* Resident memory its guest does not use grew: a shrink may return it
 * (probed anew). Judged only on reports made while the balloon held its
 * size: libvirt's size and the guest's report are read at different
 * moments, and while the balloon moves they disagree. During a grow the
 * report shows memory the balloon gave back that libvirt's size does not
 * show yet (QEMU says the new size at most once a second); size - usable
 * then falls short of what the guest uses, and its idle resident memory
 * looks that much larger: the e2e's idle FPR guest (bd-lf, 136 MiB used)
 * lost its mark on the first cycle of its grow, libvirt's size still the
 * old one, the report 72 MiB into the deflate (64 MiB looked used). Hence
 * BD_RECLAIM_PROBE_REPORTS new reports in a row at one size, each showing
 * the growth. */
static void probe(struct bd_reclaim *rc, const struct bd_vm_sample *s) {
        uint64_t idle = idle_resident(s);

        if (s->actual_kib != rc->still_kib) {
                rc->still_kib = s->actual_kib;
                rc->still_report_sec = s->last_update_sec;
                rc->still_reports = 0;
                return;
        }
        if (s->last_update_sec == BD_TIME_UNKNOWN || s->last_update_sec == rc->still_report_sec)
                return; /* no new report: nothing new to judge */
        rc->still_report_sec = s->last_update_sec;
        if (rc->ineffective == BD_INEFFECTIVE_NO || !rss_known(s->rss_kib) || !known(idle) ||
            idle < add_sat(rc->rss_mark_kib, max_u64(64 * MIB, known(s->max_kib) ? s->max_kib / 16 : 0))) {
                rc->still_reports = 0;
                return;
        }
        if (++rc->still_reports < BD_RECLAIM_PROBE_REPORTS)
                return;
        rc->ineffective = BD_INEFFECTIVE_NO;
        rc->measured = 0;
        rc->sum_moved = rc->sum_got = 0.0;
        rc->still_reports = 0;
}

void bd_ledger_observe(struct bd_vm_history *h, const struct bd_vm_sample *s) {
        struct bd_reclaim *rc = &h->reclaim;
        if (s->state == BD_RUN_SHUTOFF) {
                memset(rc, 0, sizeof(*rc)); /* it holds nothing: a restart starts afresh */
                return;
        }
        if (!rss_known(s->actual_kib)) {
                /* A size missing (or 0, as libvirt said for a cycle after
                 * a deflate on real guests): nothing to judge this cycle. */
                rc->open = false;
                rc->still_reports = 0;
                return;
        }
        /* What it returned is held in its balloon: never more than that. */
        if (known(s->entitled_kib) || known(s->max_kib))
                rc->returned_kib = min_u64(rc->returned_kib,
                                           sub_sat(known(s->entitled_kib) ? s->entitled_kib : s->max_kib,
                                                   s->actual_kib));
        probe(rc, s);
        if (!rc->open)
                return;
        if (!rss_known(s->rss_kib) || s->state != BD_RUN_RUNNING) {
                rc->open = false;
                return;
        }
        rc->age++;
        if (!h->target_kib || s->actual_kib <= add_sat(h->target_kib, MIB))
                rc->settled++;
        if (rc->settled >= BD_RECLAIM_SETTLE_CYCLES || rc->age >= BD_RECLAIM_MAX_AGE_CYCLES)
                measure(rc, s);
}

void bd_ledger_note_applied(struct bd_vm_history *h, const struct bd_decision *d) {
        struct bd_reclaim *rc = &h->reclaim;

        if (d->action == BD_ACTION_GROW) {
                rc->open = false;
                rc->returned_kib = sub_sat(rc->returned_kib, d->target_kib - d->actual_kib);
                return;
        }
        if (d->action != BD_ACTION_SHRINK || !rss_known(d->rss_kib))
                return;
        if (!rc->open) {
                rc->open = true;
                rc->rss_before_kib = d->rss_kib;
                rc->actual_before_kib = d->actual_kib;
                rc->used_before_kib = used_of(d->actual_kib, d->usable_kib);
                rc->age = 0;
        }
        rc->settled = 0;
}

static uint64_t guest_used(const struct bd_vm_sample *s) {
        if (!known(s->available_kib) || !known(s->unused_kib))
                return BD_KIB_UNKNOWN;
        return sub_sat(sub_sat(s->available_kib, s->unused_kib), known(s->disk_caches_kib) ? s->disk_caches_kib : 0);
}

/* What ballooning could still return to the host: the room above its floor,
 * at most the resident memory beyond what the guest uses and KSM shares (its
 * cache, and free pages not yet reported), scaled by its measured ratio. */
static uint64_t reclaimable(const struct bd_vm_sample *s, const struct bd_decision *d, const struct bd_vm_ledger *l,
                            const struct bd_vm_history *h) {
        uint64_t room, beyond;

        if (!d || d->status != BD_STATUS_OK || l->ineffective != BD_INEFFECTIVE_NO || !known(s->actual_kib))
                return 0;
        room = sub_sat(s->actual_kib, d->floor_kib);
        if (rss_known(l->resident_kib) && known(l->guest_used_kib))
                beyond = sub_sat(sub_sat(l->resident_kib, known(l->ksm_kib) ? l->ksm_kib : 0), l->guest_used_kib);
        else
                beyond = room;
        return u64_of((double)min_u64(room, beyond) * (h && h->reclaim.measured ? h->reclaim.ratio : 1.0));
}

void bd_ledger_vm(const struct bd_vm_sample *s, const struct bd_decision *d, const struct bd_vm_history *h,
                  struct bd_vm_ledger *out) {
        memset(out, 0, sizeof(*out));
        out->max_kib = s->max_kib;
        out->actual_kib = s->actual_kib;
        out->target_kib = d ? d->target_kib : s->actual_kib;
        out->guest_used_kib = guest_used(s);
        out->guest_free_kib = s->unused_kib;
        out->guest_cache_kib = s->disk_caches_kib;
        out->resident_kib = rss_known(s->rss_kib) ? s->rss_kib : BD_KIB_UNKNOWN;
        out->host_swap_kib = s->host_swap_kib;
        out->ksm_kib = s->ksm_kib;
        out->not_resident_kib = rss_known(s->rss_kib) && known(s->actual_kib) ? sub_sat(s->actual_kib, s->rss_kib)
                                                                           : BD_KIB_UNKNOWN;
        out->holds_memory = s->state != BD_RUN_SHUTOFF && known(s->actual_kib);
        out->returned_kib = h && out->holds_memory ? h->reclaim.returned_kib : 0;
        out->ratio_known = h && h->reclaim.measured > 0;
        out->ratio = out->ratio_known ? h->reclaim.ratio : 0.0;
        out->fpr = !(s->flags & (BD_VM_NO_FREE_PAGE_REPORTING | BD_VM_NO_BALLOON));
        out->deflate_on_oom = (s->flags & BD_VM_AUTODEFLATE) != 0;
        out->hugepages = (s->flags & BD_VM_HUGEPAGES) != 0;
        out->shared_memory = (s->flags & BD_VM_SHARED_MEMORY) != 0;
        out->ineffective = bd_ledger_ineffective(s, h);
        out->reclaimable_kib = reclaimable(s, d, out, h);
}

void bd_ledger_host(const struct bd_host_sample *host, const struct bd_vm_sample *samples,
                    const struct bd_vm_ledger *vms, size_t n, struct bd_host_ledger *out) {
        memset(out, 0, sizeof(*out));
        out->ram_kib = host->mem_total_kib;
        out->free_kib = host->mem_available_kib;
        out->swap_used_kib = host->swap_used_kib;
        out->ksm_sharing_kib = host->ksm_sharing_kib;
        for (size_t i = 0; i < n; i++) {
                const struct bd_vm_ledger *l = &vms[i];
                uint64_t owed = known(samples[i].entitled_kib) ? samples[i].entitled_kib : samples[i].max_kib;

                if (!l->holds_memory)
                        continue;
                if (rss_known(l->resident_kib))
                        out->vms_resident_kib = add_sat(out->vms_resident_kib, l->resident_kib);
                else
                        out->vms_resident_unknown++;
                out->reclaimed_kib = add_sat(out->reclaimed_kib, l->returned_kib);
                out->reclaimable_kib = add_sat(out->reclaimable_kib, l->reclaimable_kib);
                if (known(owed))
                        out->ballooned_kib = add_sat(out->ballooned_kib, sub_sat(owed, l->actual_kib));
                if (l->ineffective != BD_INEFFECTIVE_NO)
                        out->ineffective++;
        }
}

const char *bd_ineffective_to_string(enum bd_ineffective i) {
        static const char *const names[BD_INEFFECTIVE__COUNT] = {
                [BD_INEFFECTIVE_NO] = "no",
                [BD_INEFFECTIVE_HUGEPAGES] = "hugepages",
                [BD_INEFFECTIVE_PINNED] = "pinned",
                [BD_INEFFECTIVE_LOCKED] = "locked",
                [BD_INEFFECTIVE_SHARED] = "shared_memory",
                [BD_INEFFECTIVE_FREE_REPORTED] = "free_pages_reported",
                [BD_INEFFECTIVE_NOT_RESIDENT] = "not_resident",
        };
        return (unsigned)i < BD_INEFFECTIVE__COUNT ? names[i] : "unknown";
}

const char *bd_ineffective_describe(enum bd_ineffective i) {
        static const char *const text[BD_INEFFECTIVE__COUNT] = {
                [BD_INEFFECTIVE_NO] = "its shrinks return host memory",
                [BD_INEFFECTIVE_HUGEPAGES] = "backed by hugepages: a shrink frees hugetlb pages, not host memory",
                [BD_INEFFECTIVE_PINNED] = "a host device pins its memory",
                [BD_INEFFECTIVE_LOCKED] = "its memory is locked",
                [BD_INEFFECTIVE_SHARED] = "shared memory backing: its shrinks returned nothing to the host",
                [BD_INEFFECTIVE_FREE_REPORTED] = "free page reporting already returned its free memory: its shrinks "
                                                 "returned nothing more",
                [BD_INEFFECTIVE_NOT_RESIDENT] = "what its shrinks took was not resident on the host (cache already "
                                                "reclaimed, pages never touched)",
        };
        return (unsigned)i < BD_INEFFECTIVE__COUNT ? text[i] : "unknown";
}
