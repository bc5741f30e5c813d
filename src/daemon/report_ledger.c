/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger in the JSON document (status file, --json): a "ledger" object
 * in "host" and in each VM. Sizes in KiB, null where unknown. */
#include "balloond/daemon/report.h"

void bd_report_json_host_ledger(struct bd_jw *w, const struct bd_host_ledger *l) {
        bd_jw_key(w, "ledger");
        bd_jw_object_begin(w);
        bd_jw_member_u64_or_null(w, "ram_kib", l->ram_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "free_kib", l->free_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "vms_resident_kib", l->vms_resident_kib, BD_KIB_UNKNOWN);
        bd_jw_key(w, "vms_resident_unknown");
        bd_jw_u64(w, l->vms_resident_unknown);
        bd_jw_member_u64_or_null(w, "swap_used_kib", l->swap_used_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "ksm_sharing_kib", l->ksm_sharing_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "reclaimed_kib", l->reclaimed_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "reclaimable_kib", l->reclaimable_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "ballooned_kib", l->ballooned_kib, BD_KIB_UNKNOWN);
        bd_jw_key(w, "ineffective_vms");
        bd_jw_u64(w, l->ineffective);
        bd_jw_object_end(w);
}

void bd_report_json_vm_ledger(struct bd_jw *w, const struct bd_vm_ledger *l, const struct bd_reclaim *rc) {
        bd_jw_key(w, "ledger");
        bd_jw_object_begin(w);
        bd_jw_member_u64_or_null(w, "max_kib", l->max_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "target_kib", l->target_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "actual_kib", l->actual_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "guest_used_kib", l->guest_used_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "guest_free_kib", l->guest_free_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "guest_cache_kib", l->guest_cache_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "resident_kib", l->resident_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "host_swap_kib", l->host_swap_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "ksm_kib", l->ksm_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "not_resident_kib", l->not_resident_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "reclaimable_kib", l->reclaimable_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "returned_kib", l->returned_kib, BD_KIB_UNKNOWN);
        bd_jw_key(w, "reclaim_ratio");
        if (l->ratio_known)
                bd_jw_double(w, l->ratio);
        else
                bd_jw_null(w);
        bd_jw_member_u64_or_null(w, "last_shrink_kib", rc ? rc->last_moved_kib : 0, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "last_confirmed_kib", rc ? rc->last_got_kib : 0, BD_KIB_UNKNOWN);
        bd_jw_member_bool(w, "measuring", rc && rc->open);
        bd_jw_member_bool(w, "free_page_reporting", l->fpr);
        bd_jw_member_bool(w, "deflate_on_oom", l->deflate_on_oom);
        bd_jw_member_bool(w, "hugepages", l->hugepages);
        bd_jw_member_bool(w, "shared_memory", l->shared_memory);
        bd_jw_member_bool(w, "ineffective", l->ineffective != BD_INEFFECTIVE_NO);
        bd_jw_key(w, "ineffective_reason");
        if (l->ineffective != BD_INEFFECTIVE_NO)
                bd_jw_string(w, bd_ineffective_to_string(l->ineffective));
        else
                bd_jw_null(w);
        bd_jw_object_end(w);
}
