/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus metrics: the text exposition format, base units (bytes,
 * seconds), HELP and TYPE for every family. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "balloond/core/alloc.h"
#include "balloond/core/buf.h"
#include "balloond/daemon/atomicfile.h"
#include "balloond/daemon/metrics.h"

#define KIB 1024.0

static void family(struct bd_buf *b, const char *name, const char *type, const char *help) {
        bd_buf_puts(b, "# HELP ");
        bd_buf_puts(b, name);
        bd_buf_putc(b, ' ');
        bd_buf_puts(b, help);
        bd_buf_puts(b, "\n# TYPE ");
        bd_buf_puts(b, name);
        bd_buf_putc(b, ' ');
        bd_buf_puts(b, type);
        bd_buf_putc(b, '\n');
}

/* A label value, escaped: backslash, double quote and newline. */
static void label(struct bd_buf *b, const char *v) {
        const char *run = v;

        for (; *v; v++) {
                if (*v != '\\' && *v != '"' && *v != '\n')
                        continue;
                bd_buf_put(b, run, (size_t)(v - run));
                run = v + 1;
                bd_buf_puts(b, *v == '\n' ? "\\n" : *v == '"' ? "\\\"" : "\\\\");
        }
        bd_buf_put(b, run, (size_t)(v - run));
}

/* Each VM's labels, {domain="...",uuid="..." (without the closing brace),
 * or {uuid="..." alone with metrics.vm_labels = "uuid" (SECURITY.md: who may
 * learn VM names), escaped once per rendering: they are written ten times
 * per VM. */
struct vm_labels {
        char *text; /* all VMs' labels, one after the other */
        size_t *end; /* VM i's are text[end[i - 1]] .. text[end[i]] */
};

static void vm_labels_build(struct vm_labels *l, const struct bd_cycle_result *r, enum bd_vm_labels which) {
        struct bd_buf b;

        bd_buf_init(&b);
        l->end = bd_resize_array(NULL, r->n, sizeof(*l->end));
        for (size_t i = 0; i < r->n; i++) {
                if (which == BD_VM_LABELS_NAME) {
                        bd_buf_puts(&b, "{domain=\"");
                        label(&b, r->samples[i].name);
                        bd_buf_puts(&b, "\",uuid=\"");
                } else {
                        bd_buf_puts(&b, "{uuid=\"");
                }
                label(&b, r->samples[i].uuid);
                bd_buf_putc(&b, '"');
                l->end[i] = b.len;
        }
        l->text = bd_buf_take(&b, NULL);
}

static void vm_labels_put(struct bd_buf *b, const struct vm_labels *l, size_t i) {
        size_t start = i ? l->end[i - 1] : 0;

        bd_buf_put(b, l->text + start, l->end[i] - start);
}

/* One VM's sample of family NAME: KIB in bytes; nothing when unknown. */
static void vm_kib_line(struct bd_buf *b, const struct vm_labels *l, size_t i, const char *name, size_t name_len,
                        uint64_t kib) {
        if (kib == BD_KIB_UNKNOWN)
                return;
        bd_buf_put(b, name, name_len);
        vm_labels_put(b, l, i);
        bd_buf_put(b, "} ", 2);
        bd_buf_u64(b, kib * 1024ULL);
        bd_buf_putc(b, '\n');
}

/* One per-VM gauge family: VALUE(decision, sample) in KiB, or skipped when unknown. */
static void vm_bytes(struct bd_buf *b, const struct bd_cycle_result *r, const struct vm_labels *l, const char *name,
                     const char *help, uint64_t (*value)(const struct bd_decision *, const struct bd_vm_sample *)) {
        size_t name_len = strlen(name);

        family(b, name, "gauge", help);
        for (size_t i = 0; i < r->n; i++)
                vm_kib_line(b, l, i, name, name_len, value(&r->decisions[i], &r->samples[i]));
}

static uint64_t v_target(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)s;
        return d->target_kib;
}
static uint64_t v_actual(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)d;
        return s->actual_kib;
}
static uint64_t v_max(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)d;
        return s->max_kib;
}
static uint64_t v_floor(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)s;
        return d->status == BD_STATUS_OK ? d->floor_kib : BD_KIB_UNKNOWN;
}
static uint64_t v_burst(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)s;
        return d->status == BD_STATUS_OK ? d->burst_learned_kib : BD_KIB_UNKNOWN;
}
static uint64_t v_jump(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)s;
        return d->status == BD_STATUS_OK ? d->jump_room_kib : BD_KIB_UNKNOWN;
}
static uint64_t v_swap_need(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)s;
        return d->status == BD_STATUS_OK ? d->swap_need_kib : BD_KIB_UNKNOWN;
}
static uint64_t v_usable(const struct bd_decision *d, const struct bd_vm_sample *s) {
        (void)s;
        return d->usable_kib;
}

/* balloond itself: version, mode, cycles and how long they took. */
static void put_daemon(struct bd_buf *b, const struct bd_daemon *d) {
        const struct bd_cycle_result *r = &d->last;
        const struct bd_counters *c = &d->counters;

        family(b, "balloond_build_info", "gauge", "balloond's version.");
        bd_buf_printf(b, "balloond_build_info{version=\"%s\"} 1\n", BALLOOND_VERSION);
        family(b, "balloond_dry_run", "gauge", "1 when balloond only describes its decisions.");
        bd_buf_printf(b, "balloond_dry_run %d\n", d->cfg.dry_run ? 1 : 0);
        family(b, "balloond_cycles_total", "counter", "Policy cycles run.");
        bd_buf_printf(b, "balloond_cycles_total %llu\n", (unsigned long long)c->cycles);
        family(b, "balloond_last_cycle_timestamp_seconds", "gauge", "When the last cycle ran (Unix time).");
        bd_buf_printf(b, "balloond_last_cycle_timestamp_seconds %lld\n", (long long)r->now_wall_sec);
        family(b, "balloond_cycle_duration_seconds", "histogram", "How long a cycle took: collect, decide, apply.");
        for (int i = 0; i < BD_DURATION_BUCKETS; i++)
                bd_buf_printf(b, "balloond_cycle_duration_seconds_bucket{le=\"%g\"} %llu\n", bd_duration_bounds_sec[i],
                        (unsigned long long)c->duration_bucket[i]);
        bd_buf_printf(b, "balloond_cycle_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)c->duration_bucket[BD_DURATION_BUCKETS]);
        bd_buf_printf(b, "balloond_cycle_duration_seconds_sum %.6f\n", c->duration_sum_sec);
        bd_buf_printf(b, "balloond_cycle_duration_seconds_count %llu\n",
                (unsigned long long)c->duration_bucket[BD_DURATION_BUCKETS]);
}

static void gauge_kib(struct bd_buf *b, const char *name, const char *help, uint64_t kib) {
        family(b, name, "gauge", help);
        if (kib != BD_KIB_UNKNOWN)
                bd_buf_printf(b, "%s %.0f\n", name, (double)kib * KIB);
}

/* The host line of the ledger, and THE reclaimed figure (src/core/ledger.c). */
static void put_host_ledger(struct bd_buf *b, const struct bd_host_ledger *l) {
        gauge_kib(b, "balloond_host_vms_resident_bytes", "The VMs' QEMU processes' resident memory (known ones).",
                  l->vms_resident_kib);
        gauge_kib(b, "balloond_host_swap_used_bytes", "Host swap in use (SwapTotal - SwapFree).", l->swap_used_kib);
        gauge_kib(b, "balloond_host_ksm_sharing_bytes", "Memory KSM saves (pages_sharing x page size).",
                  l->ksm_sharing_kib);
        gauge_kib(b, "balloond_host_ballooned_bytes",
                  "Held in balloons: sum of entitled - actual over VMs that hold memory (balloon arithmetic).",
                  l->ballooned_kib);
        gauge_kib(b, "balloond_host_reclaimed_bytes",
                  "Host memory balloond's changes returned, confirmed in the QEMU processes' resident memory.",
                  l->reclaimed_kib);
        family(b, "balloond_host_ineffective_vms", "gauge", "VMs whose shrinks return (nearly) no host memory.");
        bd_buf_printf(b, "balloond_host_ineffective_vms %u\n", l->ineffective);
        gauge_kib(b, "balloond_reclaimed_bytes", "The same as balloond_host_reclaimed_bytes (kept for its name).",
                  l->reclaimed_kib);
        gauge_kib(b, "balloond_reclaimable_bytes",
                  "Host memory ballooning could still return now: each managed VM's resident memory beyond what "
                  "its guest uses and KSM shares, within its room above its floor, times its reclaim ratio.",
                  l->reclaimable_kib);
}

/* The host: its memory, the configured reserve and budget, the band, PSI,
 * and what balloond holds back from the VMs. */
static void put_host(struct bd_buf *b, const struct bd_daemon *d) {
        const struct bd_cycle_result *r = &d->last;

        family(b, "balloond_host_memory_total_bytes", "gauge", "Host RAM (MemTotal).");
        bd_buf_printf(b, "balloond_host_memory_total_bytes %.0f\n", (double)r->host.mem_total_kib * KIB);
        family(b, "balloond_host_memory_available_bytes", "gauge", "Host MemAvailable.");
        bd_buf_printf(b, "balloond_host_memory_available_bytes %.0f\n", (double)r->host.mem_available_kib * KIB);
        family(b, "balloond_host_reserve_bytes", "gauge", "Memory kept free for the host (host.reserve_mib).");
        bd_buf_printf(b, "balloond_host_reserve_bytes %.0f\n", (double)d->cfg.host_reserve_kib * KIB);
        family(b, "balloond_host_vm_budget_bytes", "gauge", "Memory the VMs may hold; 0 = no budget.");
        bd_buf_printf(b, "balloond_host_vm_budget_bytes %.0f\n", (double)d->cfg.vm_budget_kib * KIB);
        family(b, "balloond_host_free_ratio", "gauge",
               "Free memory of the binding constraint (RAM after reserve, or budget), 0..1.");
        bd_buf_printf(b, "balloond_host_free_ratio %.6f\n", r->view.free_pct / 100.0);
        family(b, "balloond_host_unmet_demand_bytes", "gauge",
               "Memory guests asked for this cycle that the host did not have to grant (docs/POLICY.md).");
        bd_buf_printf(b, "balloond_host_unmet_demand_bytes %.0f\n", (double)r->view.unmet_demand_kib * KIB);
        family(b, "balloond_host_hugetlb_bytes", "gauge", "Hugetlb pools, out of the RAM free memory is judged on.");
        bd_buf_printf(b, "balloond_host_hugetlb_bytes %.0f\n", (double)r->host.hugetlb_kib * KIB);
        family(b, "balloond_host_margin_squeeze_ratio", "gauge",
               "How far the guests' margins gave way to a host out of RAM: 0 none, 1 down to guest.margin_min_mib.");
        bd_buf_printf(b, "balloond_host_margin_squeeze_ratio %.4f\n", r->view.margin_squeeze_pct / 100.0);
        family(b, "balloond_host_margins_shared", "gauge",
               "1 while the VMs share their margins (down to half) with a guest out of memory the host has nothing "
               "left for.");
        bd_buf_printf(b, "balloond_host_margins_shared %d\n", r->view.share_margin ? 1 : 0);
        family(b, "balloond_host_band", "gauge", "1 for the host's current band: relaxed, normal, pressure, critical.");
        for (int band = BD_BAND_RELAXED; band <= BD_BAND_CRITICAL; band++)
                bd_buf_printf(b, "balloond_host_band{band=\"%s\"} %d\n", bd_band_to_string((enum bd_band)band),
                              r->view.band == (enum bd_band)band ? 1 : 0);
        if (r->host.psi_valid) {
                family(b, "balloond_host_psi_memory_some_avg10_ratio", "gauge",
                       "PSI memory some avg10, 0..1.");
                bd_buf_printf(b, "balloond_host_psi_memory_some_avg10_ratio %.4f\n", r->host.psi_some_avg10_pct / 100.0);
                family(b, "balloond_host_psi_memory_full_avg10_ratio", "gauge",
                       "PSI memory full avg10, 0..1.");
                bd_buf_printf(b, "balloond_host_psi_memory_full_avg10_ratio %.4f\n", r->host.psi_full_avg10_pct / 100.0);
        }
        put_host_ledger(b, &r->host_ledger);
}

/* Each VM: its sizes, its state, when balloond last changed it. */
static void put_vms(struct bd_buf *b, const struct bd_cycle_result *r, const struct vm_labels *labels) {
        vm_bytes(b, r, labels, "balloond_vm_target_bytes", "The VM's balloon target.", v_target);
        vm_bytes(b, r, labels, "balloond_vm_actual_bytes", "The VM's balloon size as the hypervisor reports it.", v_actual);
        vm_bytes(b, r, labels, "balloond_vm_maximum_bytes", "The VM's maximum memory.", v_max);
        vm_bytes(b, r, labels, "balloond_vm_floor_bytes", "The VM's floor: what it uses plus its free margin.", v_floor);
        vm_bytes(b, r, labels, "balloond_vm_usable_bytes", "The guest's free memory (MemAvailable).", v_usable);
        vm_bytes(b, r, labels, "balloond_vm_burst_margin_bytes",
                 "The VM's learned burst margin: the largest growth of its used memory between two reports, "
                 "decaying; in its floor on top of the configured margin.", v_burst);
        vm_bytes(b, r, labels, "balloond_vm_jump_room_bytes",
                 "The room kept for another jump like the VM's last (and the margin of the use it would bring); "
                 "in its floor.", v_jump);
        vm_bytes(b, r, labels, "balloond_vm_swap_need_bytes",
                 "Out of memory: its size plus what it pushed to swap since its last report plus a margin, "
                 "granted like its floor; 0 when not out of memory.", v_swap_need);
        family(b, "balloond_vm_state", "gauge", "1 for the VM's state: ok, excluded, blind, stuck.");
        for (size_t i = 0; i < r->n; i++)
                for (int st = BD_STATUS_OK; st <= BD_STATUS_STUCK; st++) {
                        bd_buf_puts(b, "balloond_vm_state");
                        vm_labels_put(b, labels, i);
                        bd_buf_puts(b, ",state=\"");
                        bd_buf_puts(b, bd_status_to_string((enum bd_vm_status)st));
                        bd_buf_puts(b, r->decisions[i].status == (enum bd_vm_status)st ? "\"} 1\n" : "\"} 0\n");
                }
        family(b, "balloond_vm_last_change_timestamp_seconds", "gauge",
               "When balloond last changed the VM's balloon (Unix time).");
        for (size_t i = 0; i < r->n; i++) {
                uint64_t changed = r->history ? r->history[i].last_change_usec : 0;

                if (!changed || changed > r->now_usec)
                        continue;
                bd_buf_puts(b, "balloond_vm_last_change_timestamp_seconds");
                vm_labels_put(b, labels, i);
                bd_buf_put(b, "} ", 2);
                bd_buf_i64(b, r->now_wall_sec - (int64_t)((r->now_usec - changed) / 1000000));
                bd_buf_putc(b, '\n');
        }
}

/* One per-VM ledger family: the KiB at OFFSET in each VM's ledger, skipped when unknown. */
static void ledger_bytes(struct bd_buf *b, const struct bd_cycle_result *r, const struct vm_labels *l, const char *name,
                         const char *help, size_t offset) {
        size_t name_len = strlen(name);

        family(b, name, "gauge", help);
        for (size_t i = 0; i < r->n; i++)
                vm_kib_line(b, l, i, name, name_len, *(const uint64_t *)((const char *)&r->ledger[i] + offset));
}

#define LEDGER(name, help, field) ledger_bytes(b, r, labels, name, help, offsetof(struct bd_vm_ledger, field))

/* Each VM's ledger (src/core/ledger.c). */
static void put_vm_ledger(struct bd_buf *b, const struct bd_cycle_result *r, const struct vm_labels *labels) {
        static const char *const features[] = { "free_page_reporting", "deflate_on_oom", "hugepages", "shared_memory" };

        if (!r->ledger)
                return;
        LEDGER("balloond_vm_ledger_guest_used_bytes", "Guest memory in use: MemTotal - MemFree - cache.", guest_used_kib);
        LEDGER("balloond_vm_ledger_guest_free_bytes", "Guest MemFree.", guest_free_kib);
        LEDGER("balloond_vm_ledger_guest_cache_bytes", "Guest page cache.", guest_cache_kib);
        LEDGER("balloond_vm_ledger_resident_bytes", "The QEMU process's resident memory on the host.", resident_kib);
        LEDGER("balloond_vm_ledger_host_swap_bytes", "The QEMU process's memory the host swapped out.", host_swap_kib);
        LEDGER("balloond_vm_ledger_ksm_bytes", "The QEMU process's pages KSM merged: no balloon frees them.", ksm_kib);
        LEDGER("balloond_vm_ledger_not_resident_bytes",
               "Balloon size - resident: free pages reported (FPR) or never touched; no balloon gains them.",
               not_resident_kib);
        LEDGER("balloond_vm_ledger_reclaimable_bytes", "Host memory ballooning could still return from the VM.",
               reclaimable_kib);
        LEDGER("balloond_vm_ledger_returned_bytes",
               "Host memory balloond's changes returned from the VM, confirmed in its resident memory.", returned_kib);
        family(b, "balloond_vm_ledger_reclaim_ratio", "gauge",
               "Host memory its shrinks returned per byte the balloon moved, 0..1 (once measured).");
        for (size_t i = 0; i < r->n; i++) {
                if (!r->ledger[i].ratio_known)
                        continue;
                bd_buf_puts(b, "balloond_vm_ledger_reclaim_ratio");
                vm_labels_put(b, labels, i);
                bd_buf_printf(b, "} %.4f\n", r->ledger[i].ratio);
        }
        family(b, "balloond_vm_ledger_feature", "gauge",
               "1 when the feature is on: free_page_reporting, deflate_on_oom, hugepages, shared_memory.");
        for (size_t i = 0; i < r->n; i++) {
                const struct bd_vm_ledger *l = &r->ledger[i];
                const bool on[] = { l->fpr, l->deflate_on_oom, l->hugepages, l->shared_memory };

                for (size_t k = 0; k < sizeof(features) / sizeof(features[0]); k++) {
                        bd_buf_puts(b, "balloond_vm_ledger_feature");
                        vm_labels_put(b, labels, i);
                        bd_buf_puts(b, ",feature=\"");
                        bd_buf_puts(b, features[k]);
                        bd_buf_puts(b, on[k] ? "\"} 1\n" : "\"} 0\n");
                }
        }
        family(b, "balloond_vm_ledger_ineffective", "gauge",
               "1 when shrinking the VM returns (nearly) no host memory, with the reason; 0 (reason=\"no\") otherwise.");
        for (size_t i = 0; i < r->n; i++) {
                bd_buf_puts(b, "balloond_vm_ledger_ineffective");
                vm_labels_put(b, labels, i);
                bd_buf_puts(b, ",reason=\"");
                bd_buf_puts(b, bd_ineffective_to_string(r->ledger[i].ineffective));
                bd_buf_puts(b, r->ledger[i].ineffective != BD_INEFFECTIVE_NO ? "\"} 1\n" : "\"} 0\n");
        }
}

/* The counters: decisions, libvirt errors, reloads. */
static void put_counters(struct bd_buf *b, const struct bd_counters *c) {
        family(b, "balloond_decisions_total", "counter", "Changes decided, by action and reason.");
        for (int a = BD_ACTION_SHRINK; a <= BD_ACTION_GROW; a++)
                for (int why = 0; why < BD_REASON__COUNT; why++)
                        if (c->decisions[a][why])
                                bd_buf_printf(b, "balloond_decisions_total{action=\"%s\",reason=\"%s\"} %llu\n",
                                        bd_action_to_string((enum bd_action)a), bd_reason_to_string((enum bd_reason)why),
                                        (unsigned long long)c->decisions[a][why]);
        family(b, "balloond_libvirt_errors_total", "counter",
               "Errors talking to the hypervisor: transient (retried), permanent (VM left alone), collect (a cycle "
               "could not sample).");
        bd_buf_printf(b, "balloond_libvirt_errors_total{kind=\"transient\"} %llu\n", (unsigned long long)c->errors_transient);
        bd_buf_printf(b, "balloond_libvirt_errors_total{kind=\"permanent\"} %llu\n", (unsigned long long)c->errors_permanent);
        bd_buf_printf(b, "balloond_libvirt_errors_total{kind=\"collect\"} %llu\n", (unsigned long long)c->errors_collect);
        family(b, "balloond_config_reloads_total", "counter", "Configuration reloads (SIGHUP), by result.");
        bd_buf_printf(b, "balloond_config_reloads_total{result=\"ok\"} %llu\n", (unsigned long long)c->reloads_ok);
        bd_buf_printf(b, "balloond_config_reloads_total{result=\"failed\"} %llu\n", (unsigned long long)c->reloads_failed);
}

char *bd_metrics_render(const struct bd_daemon *d, size_t *len) {
        struct vm_labels labels;
        struct bd_buf b;

        vm_labels_build(&labels, &d->last, d->cfg.metrics_vm_labels);
        bd_buf_init(&b);
        put_daemon(&b, d);
        put_host(&b, d);
        put_vms(&b, &d->last, &labels);
        put_vm_ledger(&b, &d->last, &labels);
        put_counters(&b, &d->counters);
        free(labels.text);
        free(labels.end);
        return bd_buf_take(&b, len);
}

int bd_metrics_write_textfile(const char *dir, const char *text, size_t len) {
        char path[4096];

        if ((size_t)snprintf(path, sizeof(path), "%s/balloond.prom", dir) >= sizeof(path))
                return -ENAMETOOLONG;
        return bd_atomic_write(path, text, len, 0644, (gid_t)-1);
}
