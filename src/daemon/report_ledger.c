/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger in the JSON document (status file, --json): a "ledger" object
 * in "host" and in each VM. Sizes in KiB, null where unknown. */
#include "balloond/daemon/report.h"

static void kib(struct bd_jw *w, const char *key, uint64_t v) {
        bd_jw_key(w, key);
        if (v == BD_KIB_UNKNOWN)
                bd_jw_null(w);
        else
                bd_jw_u64(w, v);
}

static void flag(struct bd_jw *w, const char *key, bool v) {
        bd_jw_key(w, key);
        bd_jw_bool(w, v);
}

void bd_report_json_host_ledger(struct bd_jw *w, const struct bd_host_ledger *l) {
        bd_jw_key(w, "ledger");
        bd_jw_object_begin(w);
        kib(w, "ram_kib", l->ram_kib);
        kib(w, "free_kib", l->free_kib);
        kib(w, "vms_resident_kib", l->vms_resident_kib);
        bd_jw_key(w, "vms_resident_unknown");
        bd_jw_u64(w, l->vms_resident_unknown);
        kib(w, "swap_used_kib", l->swap_used_kib);
        kib(w, "ksm_sharing_kib", l->ksm_sharing_kib);
        kib(w, "reclaimed_kib", l->reclaimed_kib);
        kib(w, "reclaimable_kib", l->reclaimable_kib);
        kib(w, "ballooned_kib", l->ballooned_kib);
        bd_jw_key(w, "ineffective_vms");
        bd_jw_u64(w, l->ineffective);
        bd_jw_object_end(w);
}

void bd_report_json_vm_ledger(struct bd_jw *w, const struct bd_vm_ledger *l, const struct bd_reclaim *rc) {
        bd_jw_key(w, "ledger");
        bd_jw_object_begin(w);
        kib(w, "max_kib", l->max_kib);
        kib(w, "target_kib", l->target_kib);
        kib(w, "actual_kib", l->actual_kib);
        kib(w, "guest_used_kib", l->guest_used_kib);
        kib(w, "guest_free_kib", l->guest_free_kib);
        kib(w, "guest_cache_kib", l->guest_cache_kib);
        kib(w, "resident_kib", l->resident_kib);
        kib(w, "host_swap_kib", l->host_swap_kib);
        kib(w, "ksm_kib", l->ksm_kib);
        kib(w, "not_resident_kib", l->not_resident_kib);
        kib(w, "reclaimable_kib", l->reclaimable_kib);
        kib(w, "returned_kib", l->returned_kib);
        bd_jw_key(w, "reclaim_ratio");
        if (l->ratio_known)
                bd_jw_double(w, l->ratio);
        else
                bd_jw_null(w);
        kib(w, "last_shrink_kib", rc ? rc->last_moved_kib : 0);
        kib(w, "last_confirmed_kib", rc ? rc->last_got_kib : 0);
        flag(w, "measuring", rc && rc->open);
        flag(w, "free_page_reporting", l->fpr);
        flag(w, "deflate_on_oom", l->deflate_on_oom);
        flag(w, "hugepages", l->hugepages);
        flag(w, "shared_memory", l->shared_memory);
        flag(w, "ineffective", l->ineffective != BD_INEFFECTIVE_NO);
        bd_jw_key(w, "ineffective_reason");
        if (l->ineffective != BD_INEFFECTIVE_NO)
                bd_jw_string(w, bd_ineffective_to_string(l->ineffective));
        else
                bd_jw_null(w);
        bd_jw_object_end(w);
}
