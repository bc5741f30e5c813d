/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One balloond cycle, as a recipe:
 *   collect the VMs -> sample the host -> decide (pure policy) -> apply (or
 *   describe, in dry-run) -> remember -> explain.
 * Per-VM state lives in d->vms, matched to each cycle's samples by UUID
 * through a hash index rebuilt each cycle (O(n), no per-VM search). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "balloond/core/alloc.h"
#include "balloond/daemon/cycle.h"
#include "balloond/core/host.h"
#include "balloond/daemon/log.h"
#include "balloond/core/units.h"
#include "balloond/core/uuid_index.h"

#define BD_KSM_PAGES_SHARING "/sys/kernel/mm/ksm/pages_sharing"

/* Conditions warned about once per VM, until they clear. */
enum {
        WARN_BLIND = 1u << 0,
        WARN_STUCK = 1u << 1,
        WARN_UNSUPPORTED = 1u << 2,
        WARN_NO_FPR = 1u << 3,
        WARN_APPLY = 1u << 4,
        WARN_EXCLUDED = 1u << 5,
        WARN_UNMET = 1u << 6,
        WARN_INEFFECTIVE = 1u << 7,
        WARN_NO_AUTODEFLATE = 1u << 8,
        WARN_INCOMPLETE = 1u << 9,
        WARN_FOREIGN = 1u << 10,
};

void bd_daemon_init(struct bd_daemon *d, const struct bd_config *cfg, struct bd_backend *backend) {
        memset(d, 0, sizeof(*d));
        d->cfg = *cfg;
        d->backend = backend;
        d->backend_gen = 1;
}

void bd_daemon_set_backend(struct bd_daemon *d, struct bd_backend *backend) {
        bd_backend_free(d->backend);
        d->backend = backend;
        d->backend_gen++;
}

void bd_daemon_done(struct bd_daemon *d) {
        if (!d)
                return;
        bd_backend_free(d->backend);
        free(d->vms);
        bd_uuid_index_free(&d->index);
        free(d->hist_scratch);
        free(d->decisions);
        free(d->apply_result);
        free(d->applied);
        free(d->entry_of);
        free(d->ledger);
        free(d->samples);
        free(d->requests);
        free(d->request_vm);
        memset(d, 0, sizeof(*d));
}

static void ensure_scratch(struct bd_daemon *d, size_t n) {
        if (n <= d->cap_scratch)
                return;
        d->cap_scratch = n + n / 2 + 8;
        d->hist_scratch = bd_resize_array(d->hist_scratch, d->cap_scratch, sizeof(*d->hist_scratch));
        d->decisions = bd_resize_array(d->decisions, d->cap_scratch, sizeof(*d->decisions));
        d->apply_result = bd_resize_array(d->apply_result, d->cap_scratch, sizeof(*d->apply_result));
        d->applied = bd_resize_array(d->applied, d->cap_scratch, sizeof(*d->applied));
        d->entry_of = bd_resize_array(d->entry_of, d->cap_scratch, sizeof(*d->entry_of));
        d->ledger = bd_resize_array(d->ledger, d->cap_scratch, sizeof(*d->ledger));
        d->samples = bd_resize_array(d->samples, d->cap_scratch, sizeof(*d->samples));
        d->requests = bd_resize_array(d->requests, d->cap_scratch, sizeof(*d->requests));
        d->request_vm = bd_resize_array(d->request_vm, d->cap_scratch, sizeof(*d->request_vm));
}

/* The index over d->vms, with room for EXPECTED more. */
static void rebuild_index(struct bd_daemon *d, size_t expected) {
        bd_uuid_index_clear(&d->index, d->n_vms + expected);
        for (size_t i = 0; i < d->n_vms; i++)
                bd_uuid_index_put(&d->index, d->vms[i].uuid, i);
}

static size_t entry_for(struct bd_daemon *d, const char *uuid) {
        size_t i = bd_uuid_index_find(&d->index, uuid);
        struct bd_vm_entry *e;

        if (i != BD_UUID_NONE)
                return i;
        if (d->n_vms == d->cap_vms) {
                d->cap_vms = d->cap_vms ? 2 * d->cap_vms : 16;
                d->vms = bd_resize_array(d->vms, d->cap_vms, sizeof(*d->vms));
        }
        e = &d->vms[d->n_vms];
        memset(e, 0, sizeof(*e));
        snprintf(e->uuid, sizeof(e->uuid), "%s", uuid);
        e->last_reason = BD_REASON__COUNT;
        bd_uuid_index_put(&d->index, uuid, d->n_vms);
        return d->n_vms++;
}

/* Forget VMs that were not in this cycle's samples. */
static void forget_vanished(struct bd_daemon *d) {
        size_t kept = 0;

        for (size_t i = 0; i < d->n_vms; i++) {
                if (!d->vms[i].present) {
                        bd_log(BD_LOG_DEBUG, "domain %s vanished, forgetting it", d->vms[i].uuid);
                        continue;
                }
                if (kept != i)
                        d->vms[kept] = d->vms[i];
                kept++;
        }
        d->n_vms = kept;
}

int bd_daemon_sample_host(struct bd_daemon *d, uint64_t now_usec, struct bd_host_sample *out) {
        int r;

        if (d->backend->ops->sample_host)
                return d->backend->ops->sample_host(d->backend, now_usec, out);
        r = bd_host_sample_read(d->cfg.meminfo_path, d->cfg.psi_path, out);
        bd_host_read_ksm(BD_KSM_PAGES_SHARING, out);
        return r;
}

/* The ledger of this cycle, after its changes. */
static void keep_ledger(struct bd_daemon *d, struct bd_cycle_result *res) {
        for (size_t i = 0; i < res->n; i++)
                bd_ledger_vm(&res->samples[i], &d->decisions[i], &d->hist_scratch[i], &d->ledger[i]);
        bd_ledger_host(&res->host, res->samples, d->ledger, res->n, &res->host_ledger);
        res->ledger = d->ledger;
}

/* Warn once per VM per condition; note when it clears. */
static void warn_once(struct bd_vm_entry *e, unsigned bit, bool now_true, int level,
                      const char *message_id, const struct bd_vm_sample *s, enum bd_reason reason,
                      const char *what) {
        if (now_true && !(e->warned & bit)) {
                e->warned |= bit;
                bd_log_event(level, message_id, s, reason, "%s: %s", s->name, what);
        } else if (!now_true && (e->warned & bit)) {
                e->warned &= ~bit;
                if (bit != WARN_NO_FPR && bit != WARN_NO_AUTODEFLATE)
                        bd_log(BD_LOG_INFO, "%s: no longer %s", s->name,
                               bit == WARN_BLIND      ? "blind"
                               : bit == WARN_STUCK    ? "stuck"
                               : bit == WARN_EXCLUDED ? "excluded"
                               : bit == WARN_UNMET    ? "short of memory the host could not give"
                               : bit == WARN_INEFFECTIVE ? "ineffective: probing its shrinks again"
                               : bit == WARN_INCOMPLETE ? "reporting without usable memory"
                               : bit == WARN_FOREIGN  ? "held for a size someone else set"
                                                      : "failing");
        }
}

/* The last line of defence before the hypervisor: a target that is no
 * change, above the domain's maximum or (for a shrink) below the floor is a
 * bug, never applied. Returns whether VM I's decision goes to the backend. */
static bool to_apply(struct bd_daemon *d, size_t i) {
        const struct bd_vm_sample *s = &d->last.samples[i];
        const struct bd_decision *dec = &d->decisions[i];

        d->apply_result[i] = 0;
        d->applied[i] = false;
        /* A target balloond no longer stands behind (stuck, blind, excluded),
         * or a size the guest took back from its balloon: the hypervisor's
         * target becomes the balloon's size (the request's target is
         * actual_kib: a decision to change nothing). */
        if (dec->action == BD_ACTION_NONE && dec->withdraw) {
                if (d->cfg.dry_run)
                        bd_log_event(BD_LOG_INFO, BD_MID_WITHDRAWN, s, dec->reason,
                                     "dry run: %s: would set its target to its size, %llu MiB (%s)", s->name,
                                     (unsigned long long)(s->actual_kib / 1024), bd_reason_describe(dec->reason));
                return !d->cfg.dry_run && s->actual_kib && s->actual_kib <= s->max_kib;
        }
        if (dec->action == BD_ACTION_NONE || d->cfg.dry_run)
                return false;
        if (dec->target_kib == s->actual_kib || dec->target_kib == 0 || dec->target_kib > s->max_kib ||
            (dec->action == BD_ACTION_SHRINK && dec->target_kib < dec->floor_kib)) {
                bd_log(BD_LOG_ERR, "%s: refusing target %llu KiB (actual %llu, floor %llu, max %llu)", s->name,
                       (unsigned long long)dec->target_kib, (unsigned long long)s->actual_kib,
                       (unsigned long long)dec->floor_kib, (unsigned long long)s->max_kib);
                d->apply_result[i] = -EINVAL;
                return false;
        }
        return true;
}

/* Say once that setting VM I's memory failed (R, ERR), until it succeeds. */
static void apply_failed(struct bd_daemon *d, size_t i, int r, const char *err) {
        const struct bd_vm_sample *s = &d->last.samples[i];
        const struct bd_decision *dec = &d->decisions[i];
        struct bd_vm_entry *e = &d->vms[d->entry_of[i]];

        if (r == -EALREADY) { /* said when the call overran */
                bd_log(BD_LOG_DEBUG, "%s: left alone: %s", s->name, err);
                return;
        }
        if (r == -EINPROGRESS) {
                bd_log_event(BD_LOG_WARNING, BD_MID_APPLY_FAILED, s, dec->reason, "%s: setting memory to %llu MiB: %s",
                             s->name, (unsigned long long)(dec->target_kib / 1024), err);
                return;
        }
        if (e->warned & WARN_APPLY)
                return;
        e->warned |= WARN_APPLY;
        bd_log_event(r == -ENOENT || r == -ESTALE || r == -EBUSY ? BD_LOG_INFO : BD_LOG_WARNING,
                     BD_MID_APPLY_FAILED, s, dec->reason, "%s: setting memory to %llu MiB failed, will retry: %s",
                     s->name, (unsigned long long)(dec->target_kib / 1024), err[0] ? err : strerror(-r));
}

/* What the backend said of VM I's change (R, ERR). */
static void applied(struct bd_daemon *d, size_t i, int r, const char *err, uint64_t now_usec) {
        const struct bd_vm_sample *s = &d->last.samples[i];
        struct bd_decision *dec = &d->decisions[i];
        struct bd_vm_history *h = &d->hist_scratch[i];
        struct bd_vm_entry *e = &d->vms[d->entry_of[i]];

        d->apply_result[i] = r;
        if (r != -EALREADY) /* asked: even a call that failed or overran may land */
                bd_policy_note_asked(h, dec->target_kib, now_usec);
        if (r < 0 && bd_backend_error_is_permanent(r))
                d->counters.errors_permanent++;
        else if (r < 0 && r != -EALREADY)
                d->counters.errors_transient++;
        if (r >= 0) {
                d->applied[i] = true;
                bd_policy_note_applied(h, dec, now_usec);
                if (dec->action == BD_ACTION_NONE && dec->withdraw)
                        bd_log_event(BD_LOG_NOTICE, BD_MID_WITHDRAWN, s, dec->reason,
                                     "%s: target set to its size, %llu MiB: %s%s", s->name,
                                     (unsigned long long)(s->actual_kib / 1024),
                                     dec->self_deflated_kib ? "size adopted"
                                                            : "a target balloond no longer stands behind withdrawn",
                                     dec->self_deflated_kib           ? ""
                                     : dec->status == BD_STATUS_STUCK ? " (stuck)"
                                     : dec->status == BD_STATUS_BLIND ? " (blind)"
                                                                      : " (excluded)");
                warn_once(e, WARN_APPLY, false, BD_LOG_INFO, BD_MID_APPLY_FAILED, s, dec->reason, "");
                return;
        }
        if (bd_backend_error_is_permanent(r)) {
                bd_policy_note_unsupported(h);
                warn_once(e, WARN_UNSUPPORTED, true, BD_LOG_WARNING, BD_MID_EXCLUDED, s,
                          BD_REASON_UNSUPPORTED, "cannot set its memory, leaving it alone from now on");
                bd_log(BD_LOG_DEBUG, "%s: %s", s->name, err);
                return;
        }
        /* Transient (vanished, not running any more, migrating, timeout, a
         * call still out): retried next cycle with fresh facts. */
        apply_failed(d, i, r, err);
}

/* Apply the grows (GROWS) or the rest, in one batch to the backend. */
static void apply_batch(struct bd_daemon *d, size_t n, bool grows, uint64_t now_usec) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                if ((d->decisions[i].action == BD_ACTION_GROW) != grows || !to_apply(d, i))
                        continue;
                d->requests[k] = (struct bd_set_request){ .vm = &d->last.samples[i],
                                                          .target_kib = d->decisions[i].target_kib };
                d->request_vm[k++] = i;
        }
        if (!k)
                return;
        bd_backend_set_targets(d->backend, d->requests, k, bd_set_deadline_usec(d->cfg.interval_usec));
        for (size_t j = 0; j < k; j++)
                applied(d, d->request_vm[j], d->requests[j].result, d->requests[j].err, now_usec);
}

/* Guest safety, told to the operator: a guest that took memory back from
 * its balloon, a size someone else set, the learned burst margin when it
 * changes, reports without `usable`, and (once per VM) autodeflate. */
static void explain_guard(struct bd_daemon *d, struct bd_vm_entry *e, const struct bd_vm_sample *s,
                          const struct bd_decision *dec) {
        uint64_t was = e->burst_logged_kib, now = dec->burst_learned_kib, step = max_u64(d->cfg.deadband_kib, KIB_PER_MIB);
        char what[200];

        if (dec->self_deflated_kib)
                bd_log_event(BD_LOG_WARNING, BD_MID_GUEST_DEFLATED, s, BD_REASON_GUEST_DEFLATED,
                             "%s: the guest took %llu MiB back from its balloon (deflate-on-OOM): size %llu MiB "
                             "adopted, learned margin now %llu MiB, not shrunk for %llu s", s->name,
                             (unsigned long long)(dec->self_deflated_kib / 1024),
                             (unsigned long long)(s->actual_kib / 1024), (unsigned long long)(now / 1024),
                             (unsigned long long)(d->cfg.emergency_hold_usec / USEC_PER_SEC));
        if (dec->foreign_kib) {
                snprintf(what, sizeof(what), "its balloon moved by %llu MiB to %llu MiB without balloond: "
                         "a size someone else set, left alone for %llu s",
                         (unsigned long long)(dec->foreign_kib / 1024), (unsigned long long)(s->actual_kib / 1024),
                         (unsigned long long)(d->cfg.foreign_hold_usec / USEC_PER_SEC));
                e->warned &= ~WARN_FOREIGN; /* every time it moves */
                warn_once(e, WARN_FOREIGN, true, BD_LOG_NOTICE, BD_MID_FOREIGN_TARGET, s, BD_REASON_FOREIGN_TARGET,
                          what);
        } else if (dec->reason != BD_REASON_FOREIGN_TARGET) {
                warn_once(e, WARN_FOREIGN, false, BD_LOG_INFO, BD_MID_FOREIGN_TARGET, s, dec->reason, "");
        }
        /* Told for a VM balloond tends (a blind one's margin is not shown). */
        if (dec->status == BD_STATUS_OK && (now > was ? now - was >= step : was - now >= max_u64(step, was / 4))) {
                bd_log_event(BD_LOG_INFO, BD_MID_BURST_MARGIN, s, dec->reason,
                             "%s: learned burst margin %llu MiB (was %llu MiB), on top of its margin", s->name,
                             (unsigned long long)(now / 1024), (unsigned long long)(was / 1024));
                e->burst_logged_kib = now;
        }
        warn_once(e, WARN_INCOMPLETE, dec->stats_incomplete, BD_LOG_NOTICE, BD_MID_STATS_INCOMPLETE, s, dec->reason,
                  "stats_incomplete: its guest reports no usable memory (stat-available-memory: an older kernel "
                  "or balloon driver); judged on unused memory and disk caches, with twice the margin");
}

static void explain(struct bd_daemon *d, size_t i) {
        const struct bd_vm_sample *s = &d->last.samples[i];
        const struct bd_decision *dec = &d->decisions[i];
        struct bd_vm_entry *e = &d->vms[d->entry_of[i]];

        warn_once(e, WARN_BLIND, dec->status == BD_STATUS_BLIND, BD_LOG_WARNING, BD_MID_BLIND, s,
                  dec->status_reason, bd_reason_describe(dec->status_reason));
        warn_once(e, WARN_STUCK, dec->status == BD_STATUS_STUCK, BD_LOG_WARNING, BD_MID_STUCK, s,
                  dec->reason, bd_reason_describe(dec->reason));
        warn_once(e, WARN_EXCLUDED, dec->status == BD_STATUS_EXCLUDED, BD_LOG_INFO, BD_MID_EXCLUDED, s,
                  dec->status_reason, bd_reason_describe(dec->status_reason));
        if (dec->unmet_kib && !(e->warned & WARN_UNMET)) {
                char what[160];

                snprintf(what, sizeof(what), "asked for %llu MiB more, %llu MiB of it refused at the line of %s "
                         "(unmet demand)", (unsigned long long)((dec->want_kib - dec->actual_kib) / 1024),
                         (unsigned long long)(dec->unmet_kib / 1024),
                         dec->refused == BD_LINE_BUDGET ? "the VM budget" : "RAM");
                warn_once(e, WARN_UNMET, true, BD_LOG_NOTICE, BD_MID_UNMET_DEMAND, s, dec->reason, what);
        } else if (!dec->unmet_kib) {
                warn_once(e, WARN_UNMET, false, BD_LOG_INFO, BD_MID_UNMET_DEMAND, s, dec->reason, "");
        }
        /* Found by measurement (XML reasons are exclusions, said above). */
        if (dec->ineffective >= BD_INEFFECTIVE_SHARED && !(e->warned & WARN_INEFFECTIVE)) {
                const struct bd_reclaim *rc = &d->hist_scratch[i].reclaim;
                char what[256];

                snprintf(what, sizeof(what), "ineffective (%s): %s; its last shrink of %llu MiB returned %llu MiB "
                         "to the host; not shrunk for the host's sake until its resident memory grows",
                         bd_ineffective_to_string(dec->ineffective), bd_ineffective_describe(dec->ineffective),
                         (unsigned long long)(rc->last_moved_kib / 1024), (unsigned long long)(rc->last_got_kib / 1024));
                warn_once(e, WARN_INEFFECTIVE, true, BD_LOG_NOTICE, BD_MID_INEFFECTIVE, s, BD_REASON_INEFFECTIVE, what);
        } else if (dec->ineffective < BD_INEFFECTIVE_SHARED) {
                warn_once(e, WARN_INEFFECTIVE, false, BD_LOG_INFO, BD_MID_INEFFECTIVE, s, dec->reason, "");
        }
        explain_guard(d, e, s, dec);
        if (dec->action != BD_ACTION_NONE && (d->applied[i] || d->cfg.dry_run)) {
                bd_log_decision(s, dec, &d->last.view, d->cfg.dry_run);
                d->counters.decisions[dec->action][dec->reason]++;
        }
        else if (dec->reason != e->last_reason)
                bd_log(BD_LOG_DEBUG, "%s: %s (%s)", s->name, bd_reason_to_string(dec->reason),
                       bd_reason_describe(dec->reason));
}

/* Advice about a domain's balloon device (no free page reporting, no
 * deflate-on-OOM): said once per running VM (again only after it was seen
 * with the feature), all of a cycle's VMs in one entry, not one line per VM
 * (500 at the start of a 500-VM host). A fact about the domain's definition,
 * not a decision: the entry has no BALLOOND_REASON. */
static bool no_fpr(const struct bd_vm_sample *s) {
        return s->flags & BD_VM_NO_FREE_PAGE_REPORTING;
}

static bool no_autodeflate(const struct bd_vm_sample *s) {
        return !(s->flags & BD_VM_AUTODEFLATE);
}

static void note_vms_without(struct bd_daemon *d, size_t n, unsigned bit, bool (*lacking)(const struct bd_vm_sample *),
                             const char *mid, const char *what) {
        const struct bd_vm_sample **seen = NULL;
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                const struct bd_vm_sample *s = &d->last.samples[i];
                struct bd_vm_entry *e = &d->vms[d->entry_of[i]];

                if (s->state != BD_RUN_RUNNING || (s->flags & BD_VM_NO_BALLOON))
                        continue;
                if (!lacking(s)) {
                        e->warned &= ~bit;
                } else if (!(e->warned & bit)) {
                        e->warned |= bit;
                        seen = bd_resize_array(seen, k + 1, sizeof(*seen));
                        seen[k++] = s;
                }
        }
        bd_log_vms(BD_LOG_NOTICE, mid, seen, k, what);
        free(seen);
}

/* Say once when the kernel's pressure stall information cannot be read (a
 * kernel without PSI, psi=0, or the file hidden) and when it comes back. */
static void note_psi(struct bd_daemon *d, bool valid) {
        if (!valid && d->psi_seen != -1)
                bd_log(BD_LOG_NOTICE, "no memory pressure stall information (%s): judging host pressure "
                       "from available memory alone", d->cfg.psi_path[0] ? d->cfg.psi_path : "no psi_path");
        else if (valid && d->psi_seen == -1)
                bd_log(BD_LOG_INFO, "memory pressure stall information readable again (%s)", d->cfg.psi_path);
        d->psi_seen = valid ? 1 : -1;
}

/* VMs whose next sample follows no sample of the cycle before (a cycle
 * that failed, a VM not seen): a move is compared only between two
 * consecutive samples. */
static void not_consecutive(struct bd_daemon *d, bool all) {
        for (size_t i = 0; i < d->n_vms; i++)
                if (all || !d->vms[i].present)
                        d->vms[i].history.prev_settable = false;
}

/* Tell the operator when the guests' margins start giving way to a host
 * out of RAM, and when they are whole again (policy_host.c). */
static void say_squeeze(double was_pct, const struct bd_host_view *v) {
        if (was_pct == 0.0 && v->margin_squeeze_pct > 0.0)
                bd_log_event(BD_LOG_WARNING, BD_MID_MARGIN_SQUEEZE, NULL, BD_REASON_STEADY,
                             "the host stays out of RAM with every VM at its floor: the guests' margins give way "
                             "(%.0f%% of the way to guest.margin_min_mib)",
                             v->margin_squeeze_pct);
        else if (was_pct > 0.0 && v->margin_squeeze_pct == 0.0)
                bd_log_event(BD_LOG_INFO, BD_MID_MARGIN_SQUEEZE, NULL, BD_REASON_STEADY,
                             "the host has room again: the guests' margins are whole");
}

/* Tell the operator when the VMs start sharing their margins with a guest
 * out of memory that the host has nothing left for, and when that ends
 * (policy_donors.c). */
static void say_shared(bool was, const struct bd_host_view *v) {
        if (!was && v->share_margin)
                bd_log_event(BD_LOG_WARNING, BD_MID_MARGINS_SHARED, NULL, BD_REASON_STEADY,
                             "a guest out of memory is short of its floor and the host has nothing left for it: "
                             "the other VMs share their margins (down to half)");
        else if (was && !v->share_margin)
                bd_log_event(BD_LOG_INFO, BD_MID_MARGINS_SHARED, NULL, BD_REASON_STEADY,
                             "no guest out of memory is short of its floor any more: margins are no longer shared");
}

/* From here the cycle's result replaces the last one: its own copy of the
 * N SAMPLES (the backend may free or move them), each matched to its VM's
 * entry and history. */
static void take_samples(struct bd_daemon *d, const struct bd_vm_sample *samples, size_t n) {
        ensure_scratch(d, n);
        if (n)
                memcpy(d->samples, samples, n * sizeof(*samples));
        rebuild_index(d, n);
        for (size_t i = 0; i < d->n_vms; i++)
                d->vms[i].present = false;
        for (size_t i = 0; i < n; i++) {
                size_t e = entry_for(d, d->samples[i].uuid);

                d->entry_of[i] = e;
                d->vms[e].present = true;
                d->hist_scratch[i] = d->vms[e].history;
        }
        not_consecutive(d, false);
}

int bd_cycle_run(struct bd_daemon *d, uint64_t now_usec, int64_t now_wall_sec) {
        const struct bd_vm_sample *samples = NULL;
        struct bd_cycle_result *res = &d->last;
        struct bd_host_sample host;
        double squeeze_was;
        bool shared_was;
        size_t n = 0;
        int r;

        r = d->backend->ops->collect(d->backend, now_usec, now_wall_sec, &samples, &n);
        if (r < 0) {
                not_consecutive(d, true);
                return r; /* the backend said why */
        }
        r = bd_daemon_sample_host(d, now_usec, &host);
        if (r < 0) {
                not_consecutive(d, true);
                bd_log(BD_LOG_ERR, "cannot read host memory (%s): %s", d->cfg.meminfo_path, strerror(-r));
                return r; /* the last result stays as it was, its samples its own */
        }
        note_psi(d, host.psi_valid);
        take_samples(d, samples, n);
        res->host = host;
        squeeze_was = 100.0 * d->host_state.margin_squeeze;
        shared_was = res->view.share_margin; /* the last policy run's, what the operator was told */
        bd_policy_run(&d->cfg, &res->host, d->samples, d->hist_scratch, n, &d->host_state, now_usec,
                      now_wall_sec, d->decisions, &res->view);

        res->samples = d->samples;
        res->decisions = d->decisions;
        res->history = d->hist_scratch;
        res->apply_result = d->apply_result;
        res->applied = d->applied;
        res->n = n;
        res->now_usec = now_usec;
        res->now_wall_sec = now_wall_sec;
        res->backend_gen = d->backend_gen;

        /* Shrinks first, then grows. The policy never counts a shrink it
         * decided as memory to grant (only reclaim already seen in the
         * host's figures), so nothing here relies on a shrink finishing
         * before a grow starts; issuing shrinks first keeps the host's
         * transient low when both are in flight. */
        apply_batch(d, n, false, now_usec);
        apply_batch(d, n, true, now_usec);
        for (size_t i = 0; i < n; i++) {
                struct bd_vm_entry *e = &d->vms[d->entry_of[i]];

                explain(d, i);
                e->history = d->hist_scratch[i];
                e->last_reason = d->decisions[i].reason;
                if (d->decisions[i].action != BD_ACTION_NONE)
                        e->last_decision_usec = now_usec;
        }
        keep_ledger(d, res);
        say_squeeze(squeeze_was, &res->view);
        say_shared(shared_was, &res->view);
        note_vms_without(d, n, WARN_NO_FPR, no_fpr, BD_MID_NO_FREE_PAGE_REPORTING,
                         "balloon without freePageReporting='on' (memory the guest frees stays with QEMU until the "
                         "balloon takes it)");
        note_vms_without(d, n, WARN_NO_AUTODEFLATE, no_autodeflate, BD_MID_NO_AUTODEFLATE,
                         "balloon without autodeflate='on' (a guest that needs memory faster than balloond's cycle "
                         "cannot take it back from the balloon, and may run out of memory)");
        forget_vanished(d);
        d->cycles++;
        return 0;
}

/* Fresh samples for restoring: the VMs and the host now, else (a backend
 * or host read failing at exit) the last cycle's, when they came from this
 * backend (none, after a reload that opened another). Returns false when
 * there are none. */
static bool restore_samples(struct bd_daemon *d, const struct bd_vm_sample **samples, size_t *n,
                            struct bd_host_sample *host, uint64_t now_usec, int64_t now_wall_sec) {
        int r;

        if (d->backend->ops->collect(d->backend, now_usec, now_wall_sec, samples, n) == 0) {
                r = bd_daemon_sample_host(d, now_usec, host);
                if (r < 0)
                        *host = d->last.host;
                return true;
        }
        if (d->last.backend_gen != d->backend_gen || !d->last.samples) {
                bd_log(BD_LOG_WARNING, "restore_on_exit: cannot read the VMs of %s, and the last cycle's are "
                       "another connection's: nothing given back", d->cfg.connect_uri);
                return false;
        }
        *samples = d->last.samples;
        *n = d->last.n;
        *host = d->last.host;
        return true;
}

/* Set TARGETS (0: none) of SAMPLES in one batch; returns how many succeeded. */
static size_t restore_apply(struct bd_daemon *d, const struct bd_vm_sample *samples, size_t n,
                            const uint64_t *targets) {
        struct bd_set_request *reqs = bd_resize_array(NULL, n ? n : 1, sizeof(*reqs));
        size_t k = 0, restored = 0;

        for (size_t i = 0; i < n; i++)
                if (targets[i])
                        reqs[k++] = (struct bd_set_request){ .vm = &samples[i], .target_kib = targets[i] };
        if (k)
                bd_backend_set_targets(d->backend, reqs, k, bd_set_deadline_usec(d->cfg.interval_usec));
        for (size_t j = 0; j < k; j++) {
                const struct bd_vm_sample *s = reqs[j].vm;
                uint64_t t = reqs[j].target_kib;

                if (reqs[j].result < 0) {
                        bd_log(BD_LOG_WARNING, "%s: cannot give its memory back (%llu MiB): %s", s->name,
                               (unsigned long long)(t / 1024),
                               reqs[j].err[0] ? reqs[j].err : strerror(-reqs[j].result));
                        continue;
                }
                restored++;
                bd_log(BD_LOG_INFO, "%s: memory given back on exit: %llu -> %llu MiB", s->name,
                       (unsigned long long)(s->actual_kib / 1024), (unsigned long long)(t / 1024));
        }
        free(reqs);
        return restored;
}

size_t bd_daemon_restore(struct bd_daemon *d, uint64_t now_usec, int64_t now_wall_sec) {
        const struct bd_vm_sample *samples;
        struct bd_host_sample host;
        size_t restored, n, *order;
        uint64_t *targets, short_kib;

        if (d->cfg.dry_run || !d->backend ||
            !restore_samples(d, &samples, &n, &host, now_usec, now_wall_sec))
                return 0;
        order = bd_resize_array(NULL, n ? n : 1, sizeof(*order));
        targets = bd_resize_array(NULL, n ? n : 1, sizeof(*targets));
        bd_policy_restore(&d->cfg, &host, samples, n, order, targets, &short_kib);
        restored = restore_apply(d, samples, n, targets);
        if (short_kib)
                bd_log(BD_LOG_NOTICE, "restore_on_exit: %llu MiB more is owed to VMs than the host has above its "
                       "critical line: left with them as they are", (unsigned long long)(short_kib / 1024));
        free(order);
        free(targets);
        return restored;
}

const double bd_duration_bounds_sec[BD_DURATION_BUCKETS] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5 };

void bd_daemon_count_cycle(struct bd_daemon *d, int r, uint64_t duration_usec) {
        double sec = (double)duration_usec / 1e6;

        if (r < 0) {
                d->counters.errors_collect++;
                return;
        }
        d->counters.cycles++;
        d->counters.duration_sum_sec += sec;
        for (int i = 0; i < BD_DURATION_BUCKETS; i++)
                if (sec <= bd_duration_bounds_sec[i])
                        d->counters.duration_bucket[i]++;
        d->counters.duration_bucket[BD_DURATION_BUCKETS]++;
}

uint64_t bd_cycle_next_tick(uint64_t scheduled_usec, uint64_t step_usec, uint64_t now_usec, uint64_t *skipped) {
        uint64_t missed = 0;

        if (step_usec == 0)
                step_usec = 1;
        if (now_usec >= add_sat(scheduled_usec, step_usec))
                missed = (now_usec - scheduled_usec) / step_usec; /* the ticks at or before now */
        *skipped = missed;
        /* missed * step <= now - scheduled: only the last step can overflow. */
        return add_sat(scheduled_usec + missed * step_usec, step_usec);
}
