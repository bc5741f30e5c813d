/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reporters of a cycle's result: the --once table for people and the JSON
 * document for programs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>


#include "balloond/daemon/report.h"

static void mib_cell(char *buf, size_t len, uint64_t kib) {
        if (kib == BD_KIB_UNKNOWN)
                snprintf(buf, len, "-");
        else
                snprintf(buf, len, "%llu", (unsigned long long)(kib / 1024));
}

static double gib(uint64_t kib) {
        return (double)kib / (1024.0 * 1024.0);
}

static int by_name(const void *a, const void *b, void *samples) {
        const struct bd_vm_sample *s = samples;

        return strcmp(s[*(const size_t *)a].name, s[*(const size_t *)b].name);
}

void bd_report_table(FILE *f, const struct bd_cycle_result *r, bool dry_run) {
        const struct bd_host_view *v = &r->view;
        size_t *order = calloc(r->n ? r->n : 1, sizeof(*order));
        int name_w = 4;

        if (!order)
                abort(); /* out of memory is fatal */
        for (size_t i = 0; i < r->n; i++)
                order[i] = i;
        qsort_r(order, r->n, sizeof(*order), by_name, (void *)r->samples);

        fprintf(f, "host: %s, %.1f GiB free of %.1f GiB %s (%.1f%%), VMs hold %.1f GiB",
                bd_band_to_string(v->band), gib(v->free_kib), gib(v->base_kib),
                v->budget_binds ? "VM budget" : "RAM after reserve", v->free_pct, gib(v->vm_total_kib));
        if (r->host.psi_valid)
                fprintf(f, ", PSI full %.2f%%%s", r->host.psi_full_avg10_pct,
                        v->psi_escalated ? " (escalated)" : "");
        if (v->reclaim_goal_kib > 0)
                fprintf(f, ", reclaim goal %llu MiB", (unsigned long long)(v->reclaim_goal_kib / 1024));
        if (v->unmet_demand_kib > 0)
                fprintf(f, ", unmet demand %llu MiB", (unsigned long long)(v->unmet_demand_kib / 1024));
        if (v->budget_crossed_kib > 0)
                fprintf(f, ", %llu MiB past the VM budget (emergencies)",
                        (unsigned long long)(v->budget_crossed_kib / 1024));
        if (v->margin_squeeze_pct > 0)
                fprintf(f, ", margins squeezed %.0f%% toward guest.margin_min_mib", v->margin_squeeze_pct);
        if (v->share_margin)
                fprintf(f, ", margins shared with a guest out of memory");
        else if (v->lend_burst)
                fprintf(f, ", burst room lent to a guest out of memory");
        fprintf(f, "%s\n", dry_run ? " [dry run: nothing applied]" : "");

        for (size_t i = 0; i < r->n; i++) {
                int len = (int)strlen(r->samples[i].name);

                if (len > name_w)
                        name_w = len;
        }
        fprintf(f, "%-*s  %-9s %-8s %7s %7s %7s %-6s  %-18s %s\n", name_w, "NAME", "STATE", "STATUS",
                "ACTUAL", "TARGET", "USABLE", "ACTION", "REASON", "DETAIL");
        for (size_t k = 0; k < r->n; k++) {
                size_t i = order[k];
                const struct bd_vm_sample *s = &r->samples[i];
                const struct bd_decision *d = &r->decisions[i];
                char actual[24], target[24], usable[24], detail[160];

                mib_cell(actual, sizeof(actual), d->actual_kib);
                mib_cell(target, sizeof(target), d->target_kib);
                mib_cell(usable, sizeof(usable), d->usable_kib);
                if (d->status == BD_STATUS_OK)
                        snprintf(detail, sizeof(detail), "floor %llu, max %llu, margin %llu (burst %llu), limit %llu%s",
                                 (unsigned long long)(d->floor_kib / 1024),
                                 (unsigned long long)(d->max_kib / 1024),
                                 (unsigned long long)(d->margin_kib / 1024),
                                 (unsigned long long)(d->burst_learned_kib / 1024),
                                 (unsigned long long)(d->limit_kib / 1024),
                                 d->stats_incomplete ? ", stats_incomplete" : "");
                else
                        snprintf(detail, sizeof(detail), "%s", bd_reason_describe(d->reason));
                if (r->apply_result && r->apply_result[i] < 0)
                        snprintf(detail, sizeof(detail), "apply failed: %s", strerror(-r->apply_result[i]));
                fprintf(f, "%-*s  %-9s %-8s %7s %7s %7s %-6s  %-18s %s\n", name_w, s->name,
                        bd_run_state_to_string(s->state), bd_status_to_string(d->status), actual, target,
                        usable, bd_action_to_string(d->action), bd_reason_to_string(d->reason), detail);
        }
        free(order);
}

/* The host: its sample and the policy's view of it. */
static void json_host(struct bd_jw *w, const struct bd_cycle_result *r) {
        const struct bd_host_view *v = &r->view;

        bd_jw_object_begin(w);
        bd_jw_member_str(w, "band", bd_band_to_string(v->band));
        bd_jw_member_u64(w, "mem_total_kib", r->host.mem_total_kib);
        bd_jw_member_u64(w, "mem_available_kib", r->host.mem_available_kib);
        bd_jw_member_u64(w, "free_kib", v->free_kib);
        bd_jw_member_u64(w, "base_kib", v->base_kib);
        bd_jw_key(w, "free_pct");
        bd_jw_double(w, v->free_pct);
        bd_jw_member_bool(w, "budget_binds", v->budget_binds);
        bd_jw_member_u64(w, "vm_total_kib", v->vm_total_kib);
        bd_jw_key(w, "psi_full_avg10_pct");
        if (r->host.psi_valid)
                bd_jw_double(w, r->host.psi_full_avg10_pct);
        else
                bd_jw_null(w);
        bd_jw_member_bool(w, "psi_escalated", v->psi_escalated);
        bd_jw_member_i64(w, "reclaim_goal_kib", v->reclaim_goal_kib);
        bd_jw_member_u64(w, "grow_room_kib", v->grow_room_kib);
        bd_jw_member_u64(w, "shrink_kib", v->shrink_kib);
        bd_jw_member_u64(w, "grow_kib", v->grow_kib);
        bd_jw_member_u64(w, "hugetlb_kib", v->hugetlb_kib);
        bd_jw_member_u64(w, "ram_headroom_kib", v->ram_headroom_kib);
        bd_jw_member_u64(w, "ram_hard_kib", v->ram_hard_kib);
        bd_jw_member_u64(w, "ram_rescue_kib", v->ram_rescue_kib);
        bd_jw_member_u64_or_null(w, "budget_headroom_kib", v->budget_headroom_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64(w, "pending_grow_kib", v->pending_grow_kib);
        bd_jw_member_u64(w, "untouched_grow_kib", v->untouched_kib);
        bd_jw_member_u64(w, "observed_reclaim_kib", v->observed_reclaim_kib);
        bd_jw_member_u64(w, "demand_kib", v->demand_kib);
        bd_jw_member_u64(w, "granted_kib", v->granted_kib);
        bd_jw_member_u64(w, "unmet_demand_kib", v->unmet_demand_kib);
        bd_jw_member_u64(w, "budget_crossed_kib", v->budget_crossed_kib);
        bd_jw_member_bool(w, "reclaim_for_ram", v->ram_driven);
        bd_jw_key(w, "margin_squeeze_pct");
        bd_jw_double(w, v->margin_squeeze_pct);
        bd_jw_member_bool(w, "burst_room_lent", v->lend_burst);
        bd_jw_member_bool(w, "margins_shared", v->share_margin);
        bd_jw_member_u64(w, "in_flight_kib", v->in_flight_kib);
        bd_jw_member_u64(w, "in_flight_gain_kib", v->in_flight_gain_kib);
        if (r->ledger)
                bd_report_json_host_ledger(w, &r->host_ledger);
        bd_jw_object_end(w);
}

/* Seconds left of a hold (a guest that took memory back from its balloon,
 * a size someone else set), null when none. */
static void hold_member(struct bd_jw *w, const char *key, uint64_t until_usec, uint64_t now_usec) {
        bd_jw_key(w, key);
        if (until_usec > now_usec)
                bd_jw_u64(w, (until_usec - now_usec + 999999) / 1000000);
        else
                bd_jw_null(w);
}

static void hold_members(struct bd_jw *w, const struct bd_cycle_result *r, size_t i) {
        const struct bd_vm_history *h = r->history ? &r->history[i] : NULL;

        hold_member(w, "emergency_hold_sec", h ? h->emergency_until_usec : 0, r->now_usec);
        hold_member(w, "foreign_hold_sec", h ? h->foreign_until_usec : 0, r->now_usec);
}

/* What the administrator could turn on for this VM's balloon (also said
 * once in the journal). */
static void advice(struct bd_jw *w, const struct bd_vm_sample *s) {
        bd_jw_key(w, "advice");
        bd_jw_array_begin(w);
        if (!(s->flags & BD_VM_NO_BALLOON) && !(s->flags & BD_VM_AUTODEFLATE))
                bd_jw_string(w, "autodeflate");
        if (!(s->flags & BD_VM_NO_BALLOON) && (s->flags & BD_VM_NO_FREE_PAGE_REPORTING))
                bd_jw_string(w, "free_page_reporting");
        bd_jw_array_end(w);
}

/* One VM of the cycle: its sample, the decision and what applying it did. */
static void json_vm(struct bd_jw *w, const struct bd_cycle_result *r, size_t i) {
        const struct bd_vm_sample *s = &r->samples[i];
        const struct bd_decision *d = &r->decisions[i];
        int err = r->apply_result ? r->apply_result[i] : 0;
        uint64_t changed = r->history ? r->history[i].last_change_usec : 0;

        bd_jw_object_begin(w);
        bd_jw_member_str(w, "name", s->name);
        bd_jw_member_str(w, "uuid", s->uuid);
        bd_jw_member_str(w, "state", bd_run_state_to_string(s->state));
        bd_jw_member_str(w, "status", bd_status_to_string(d->status));
        bd_jw_member_str(w, "action", bd_action_to_string(d->action));
        bd_jw_member_str(w, "reason", bd_reason_to_string(d->reason));
        bd_jw_member_str(w, "reason_text", bd_reason_describe(d->reason));
        /* Why it is blind or excluded: its reason may be give_back meanwhile. */
        bd_jw_key(w, "status_reason");
        if (d->status == BD_STATUS_BLIND || d->status == BD_STATUS_EXCLUDED)
                bd_jw_string(w, bd_reason_to_string(d->status_reason));
        else
                bd_jw_null(w);
        bd_jw_member_u64_or_null(w, "actual_kib", d->actual_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "target_kib", d->target_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "max_kib", d->max_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64(w, "floor_kib", d->floor_kib);
        bd_jw_member_u64_or_null(w, "usable_kib", d->usable_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64_or_null(w, "used_kib", d->used_kib, BD_KIB_UNKNOWN);
        bd_jw_member_u64(w, "margin_kib", d->margin_kib);
        bd_jw_member_u64(w, "burst_margin_kib", d->burst_learned_kib);
        bd_jw_member_u64(w, "burst_room_kib", d->burst_kib);
        bd_jw_member_u64(w, "jump_room_kib", d->jump_room_kib);
        bd_jw_member_u64(w, "peer_burst_kib", d->peer_burst_kib);
        bd_jw_member_u64(w, "swap_need_kib", d->swap_need_kib);
        bd_jw_member_bool(w, "shares_margin", d->shares_margin);
        bd_jw_member_bool(w, "stats_incomplete", d->stats_incomplete);
        bd_jw_member_bool(w, "autodeflate", (s->flags & BD_VM_AUTODEFLATE) != 0);
        bd_jw_member_u64(w, "self_deflated_kib", d->self_deflated_kib);
        bd_jw_member_u64(w, "foreign_kib", d->foreign_kib);
        bd_jw_member_bool(w, "withdraw", d->withdraw && d->action == BD_ACTION_NONE);
        hold_members(w, r, i);
        advice(w, s);
        bd_jw_member_u64(w, "limit_kib", d->limit_kib);
        bd_jw_member_i64(w, "shares", d->shares);
        bd_jw_member_bool(w, "guest_pressure", d->guest_pressure);
        bd_jw_member_bool(w, "swapping_out", d->swapping_out);
        bd_jw_member_u64_or_null(w, "entitled_kib", s->entitled_kib, BD_KIB_UNKNOWN);
        bd_jw_member_bool(w, "counters_reset", d->counters_reset);
        bd_jw_member_u64(w, "want_kib", d->want_kib);
        bd_jw_member_u64(w, "unmet_kib", d->unmet_kib);
        bd_jw_key(w, "claim_credit");
        bd_jw_double(w, d->claim_credit);
        bd_jw_member_str(w, "line_crossed", bd_line_to_string(d->crossed));
        bd_jw_member_str(w, "line_refused", bd_line_to_string(d->refused));
        bd_jw_member_bool(w, "applied", r->applied && r->applied[i]);
        bd_jw_key(w, "error");
        if (err < 0)
                bd_jw_string(w, strerror(-err));
        else
                bd_jw_null(w);
        bd_jw_key(w, "last_change_age_sec");
        if (changed && r->now_usec >= changed)
                bd_jw_u64(w, (r->now_usec - changed) / 1000000);
        else
                bd_jw_null(w);
        if (r->ledger)
                bd_report_json_vm_ledger(w, &r->ledger[i], r->history ? &r->history[i].reclaim : NULL);
        bd_jw_object_end(w);
}

void bd_report_json_members(struct bd_jw *w, const struct bd_cycle_result *r, bool dry_run) {
        bd_jw_member_str(w, "version", BALLOOND_VERSION);
        bd_jw_member_bool(w, "dry_run", dry_run);
        bd_jw_member_i64(w, "time", r->now_wall_sec);
        bd_jw_member_u64(w, "cycle_usec", r->duration_usec);
        bd_jw_key(w, "host");
        json_host(w, r);
        bd_jw_key(w, "vms");
        bd_jw_array_begin(w);
        for (size_t i = 0; i < r->n; i++)
                json_vm(w, r, i);
        bd_jw_array_end(w);
}

int bd_report_json(FILE *f, const struct bd_cycle_result *r, bool dry_run) {
        struct bd_buf b;
        struct bd_jw w;

        bd_buf_init(&b);
        bd_jw_init(&w, &b, true);
        bd_jw_object_begin(&w);
        bd_report_json_members(&w, r, dry_run);
        bd_jw_object_end(&w);
        bd_buf_putc(&b, '\n');
        fwrite(b.p, 1, b.len, f);
        bd_buf_free(&b);
        return ferror(f) ? -EIO : 0;
}
