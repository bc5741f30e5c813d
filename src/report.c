/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reporters of a cycle's result: the --once table for people and the JSON
 * document for programs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "balloond/report.h"

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
                        snprintf(detail, sizeof(detail), "floor %llu, max %llu, margin %llu, limit %llu",
                                 (unsigned long long)(d->floor_kib / 1024),
                                 (unsigned long long)(d->max_kib / 1024),
                                 (unsigned long long)(d->margin_kib / 1024),
                                 (unsigned long long)(d->limit_kib / 1024));
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

static json_object *kib_or_null(uint64_t kib) {
        return kib == BD_KIB_UNKNOWN ? NULL : json_object_new_int64((int64_t)kib);
}

static int add(json_object *o, const char *key, json_object *v) {
        return json_object_object_add(o, key, v);
}

json_object *bd_report_json_build(const struct bd_cycle_result *r, bool dry_run) {
        const struct bd_host_view *v = &r->view;
        json_object *root = json_object_new_object(), *host = json_object_new_object();
        json_object *vms = json_object_new_array();

        if (!root || !host || !vms)
                goto oom;
        add(root, "version", json_object_new_string(BALLOOND_VERSION));
        add(root, "dry_run", json_object_new_boolean(dry_run));
        add(root, "time", json_object_new_int64(r->now_wall_sec));
        add(root, "cycle_usec", json_object_new_int64((int64_t)r->duration_usec));
        add(host, "band", json_object_new_string(bd_band_to_string(v->band)));
        add(host, "mem_total_kib", json_object_new_int64((int64_t)r->host.mem_total_kib));
        add(host, "mem_available_kib", json_object_new_int64((int64_t)r->host.mem_available_kib));
        add(host, "free_kib", json_object_new_int64((int64_t)v->free_kib));
        add(host, "base_kib", json_object_new_int64((int64_t)v->base_kib));
        add(host, "free_pct", json_object_new_double(v->free_pct));
        add(host, "budget_binds", json_object_new_boolean(v->budget_binds));
        add(host, "vm_total_kib", json_object_new_int64((int64_t)v->vm_total_kib));
        add(host, "psi_full_avg10_pct",
            r->host.psi_valid ? json_object_new_double(r->host.psi_full_avg10_pct) : NULL);
        add(host, "psi_escalated", json_object_new_boolean(v->psi_escalated));
        add(host, "reclaim_goal_kib", json_object_new_int64(v->reclaim_goal_kib));
        add(host, "grow_room_kib", json_object_new_int64((int64_t)v->grow_room_kib));
        add(host, "shrink_kib", json_object_new_int64((int64_t)v->shrink_kib));
        add(host, "grow_kib", json_object_new_int64((int64_t)v->grow_kib));
        add(root, "host", host);
        host = NULL;

        for (size_t i = 0; i < r->n; i++) {
                const struct bd_vm_sample *s = &r->samples[i];
                const struct bd_decision *d = &r->decisions[i];
                json_object *o = json_object_new_object();
                int err = r->apply_result ? r->apply_result[i] : 0;
                uint64_t changed = r->history ? r->history[i].last_change_usec : 0;

                if (!o)
                        goto oom;
                add(o, "name", json_object_new_string(s->name));
                add(o, "uuid", json_object_new_string(s->uuid));
                add(o, "state", json_object_new_string(bd_run_state_to_string(s->state)));
                add(o, "status", json_object_new_string(bd_status_to_string(d->status)));
                add(o, "action", json_object_new_string(bd_action_to_string(d->action)));
                add(o, "reason", json_object_new_string(bd_reason_to_string(d->reason)));
                add(o, "reason_text", json_object_new_string(bd_reason_describe(d->reason)));
                add(o, "actual_kib", kib_or_null(d->actual_kib));
                add(o, "target_kib", kib_or_null(d->target_kib));
                add(o, "max_kib", kib_or_null(d->max_kib));
                add(o, "floor_kib", json_object_new_int64((int64_t)d->floor_kib));
                add(o, "usable_kib", kib_or_null(d->usable_kib));
                add(o, "used_kib", kib_or_null(d->used_kib));
                add(o, "margin_kib", json_object_new_int64((int64_t)d->margin_kib));
                add(o, "limit_kib", json_object_new_int64((int64_t)d->limit_kib));
                add(o, "shares", json_object_new_int(d->shares));
                add(o, "guest_pressure", json_object_new_boolean(d->guest_pressure));
                add(o, "swapping_out", json_object_new_boolean(d->swapping_out));
                add(o, "applied", json_object_new_boolean(r->applied && r->applied[i]));
                add(o, "error", err < 0 ? json_object_new_string(strerror(-err)) : NULL);
                add(o, "last_change_age_sec",
                    changed && r->now_usec >= changed
                            ? json_object_new_int64((int64_t)((r->now_usec - changed) / 1000000))
                            : NULL);
                if (json_object_array_add(vms, o) < 0) {
                        json_object_put(o);
                        goto oom;
                }
        }
        add(root, "vms", vms);
        return root;
oom:
        json_object_put(vms);
        json_object_put(host);
        json_object_put(root);
        return NULL;
}

int bd_report_json(FILE *f, const struct bd_cycle_result *r, bool dry_run) {
        json_object *root = bd_report_json_build(r, dry_run);
        const char *text;

        if (!root)
                return -ENOMEM;
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (text)
                fprintf(f, "%s\n", text);
        json_object_put(root);
        return text ? 0 : -ENOMEM;
}
