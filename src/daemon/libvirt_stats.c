/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend's collect: one virConnectGetAllDomainStats(STATE |
 * BALLOON) per cycle, all domains, inactive ones too, with
 * VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT: QEMU then skips the balloon
 * fields of a domain whose job is held (a wedged monitor, a long job)
 * instead of waiting up to 30 s for it, so one such domain cannot stall the
 * cycle; the domain comes without guest stats (blind: never shrunk) until
 * it answers again. A driver that refuses the flag (libvirt's test driver;
 * libvirt before 4.5) is asked without it from then on.
 *
 * A driver that returns no balloon fields (libvirt's test driver) gets one
 * per-domain call for each active domain: virDomainMemoryStats for a
 * running domain with a balloon, virDomainGetInfo (the sizes only) for the
 * others, so that paused and balloon-less VMs still count in the VM budget
 * as they do with QEMU's bulk stats. A running domain whose facts
 * (libvirt_facts.c) could not be read is reported without guest stats
 * (blind: never shrunk) until they are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/core/alloc.h"
#include "balloond/daemon/log.h"
#include "balloond/daemon/procmem.h"
#include "libvirt_internal.h"

#if LIBVIR_CHECK_VERSION(4, 5, 0)
#define STATS_NOWAIT ((unsigned)VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
#else
#define STATS_NOWAIT 0u /* not in this libvirt: the call waits for busy domains */
#endif

/* The per-domain fallback for drivers without bulk balloon stats: one round
 * trip for an active domain (the maximum comes from the cached XML). */
static void sizes_fallback(virDomainPtr dom, const struct dom_facts *f, struct bd_vm_sample *s) {
        if (s->state == BD_RUN_RUNNING && f->id != FACTS_UNREAD &&
            !(f->flags & (BD_VM_NO_BALLOON | BD_VM_UNSUPPORTED))) {
                virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
                struct bd_memstat ms[VIR_DOMAIN_MEMORY_STAT_NR];
                int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

                if (n < 0)
                        bd_log(BD_LOG_DEBUG, "%s: no memory stats: %s", s->name, lv_last_error());
                for (int i = 0; i < n; i++) {
                        ms[i].tag = st[i].tag;
                        ms[i].val = st[i].val;
                }
                if (n > 0)
                        bd_stats_from_memstats(ms, (size_t)n, s);
        }
        if (s->actual_kib == BD_KIB_UNKNOWN) {
                virDomainInfo info;

                if (virDomainGetInfo(dom, &info) == 0) {
                        s->actual_kib = info.memory;
                        if (s->max_kib == BD_KIB_UNKNOWN)
                                s->max_kib = info.maxMem;
                } else {
                        bd_log(BD_LOG_DEBUG, "%s: no domain info: %s", s->name, lv_last_error());
                }
        }
        if (s->max_kib == BD_KIB_UNKNOWN)
                s->max_kib = f->max_kib;
        if (s->max_kib == BD_KIB_UNKNOWN) {
                unsigned long max = virDomainGetMaxMemory(dom);

                if (max > 0)
                        s->max_kib = max;
        }
}

static void convert_params(struct lv_backend *lv, virDomainStatsRecordPtr rec) {
        lv->params = bd_grow_array(lv->params, &lv->cap_params, (size_t)rec->nparams, sizeof(*lv->params));
        for (int i = 0; i < rec->nparams; i++) {
                virTypedParameterPtr p = &rec->params[i];
                struct bd_param *q = &lv->params[i];

                q->field = p->field;
                q->type = (enum bd_param_type)p->type;
                switch (p->type) {
                case VIR_TYPED_PARAM_INT:
                        q->v.i = p->value.i;
                        break;
                case VIR_TYPED_PARAM_UINT:
                        q->v.u = p->value.ui;
                        break;
                case VIR_TYPED_PARAM_LLONG:
                        q->v.i = p->value.l;
                        break;
                case VIR_TYPED_PARAM_ULLONG:
                        q->v.u = p->value.ul;
                        break;
                case VIR_TYPED_PARAM_DOUBLE:
                        q->v.d = p->value.d;
                        break;
                case VIR_TYPED_PARAM_BOOLEAN:
                        q->v.i = p->value.b;
                        break;
                default:
                        q->v.s = p->value.s;
                        break;
                }
        }
}

static bool has_field(const struct lv_backend *lv, int n, const char *field) {
        for (int i = 0; i < n; i++)
                if (lv->params[i].field && strcmp(lv->params[i].field, field) == 0)
                        return true;
        return false;
}

/* The ledger's host figures of a domain that holds memory: its QEMU
 * process, found through libvirt's pid file at its start and then every
 * 64th collect while none is found; only on QEMU connections (other
 * drivers have no such process). */
#define PID_RETRY_COLLECTS 64
static void process_figures(const struct lv_backend *lv, struct dom_facts *f, struct bd_vm_sample *s) {
        uint64_t rss = s->rss_kib;

        if (f->pid && bd_procmem_read(f->pid, s) == 0 && bd_procmem_is_guest(f->pid, s->name))
                return;
        s->rss_kib = rss; /* libvirt's balloon.rss, if any */
        f->pid = 0;
        if (!lv->is_qemu || f->pid_tries++ % PID_RETRY_COLLECTS != 0)
                return;
        f->pid = bd_procmem_find(s->name);
        if (f->pid && bd_procmem_read(f->pid, s) < 0) {
                s->rss_kib = rss;
                f->pid = 0;
        }
        if (f->pid)
                bd_log(BD_LOG_DEBUG, "%s: its QEMU process is %d", s->name, (int)f->pid);
}

/* Keep the record's domain handle in F (for set_target), dropping the last one. */
static void keep_handle(struct dom_facts *f, virDomainStatsRecordPtr rec) {
        if (f->dom)
                virDomainFree(f->dom);
        f->dom = rec->dom;
        rec->dom = NULL; /* virDomainStatsRecordListFree skips it */
}

/* Note DOM (S: its sample) for arming after the records are read. */
static void want_armed(struct lv_backend *lv, virDomainPtr dom, struct bd_vm_sample *s) {
        lv->arm_doms = bd_grow_array(lv->arm_doms, &lv->cap_arm_doms, lv->n_arm + 1, sizeof(*lv->arm_doms));
        lv->arm_samples = bd_grow_array(lv->arm_samples, &lv->cap_arm_samples, lv->n_arm + 1,
                                        sizeof(*lv->arm_samples));
        lv->arm_doms[lv->n_arm] = dom;
        lv->arm_samples[lv->n_arm++] = s;
}

/* One bulk record into the next sample. Returns false if the domain has no
 * name or UUID (it vanished under us). */
static bool collect_one(struct lv_backend *lv, virDomainStatsRecordPtr rec, struct bd_vm_sample *s) {
        virDomainPtr dom = rec->dom;
        const char *name = virDomainGetName(dom);
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct dom_facts *f;

        if (!name || lv_uuid_string(dom, uuid) < 0)
                return false;
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
        convert_params(lv, rec);
        bd_stats_from_params(lv->params, (size_t)rec->nparams, s);
        f = lv_facts_for(lv, uuid);
        f->seen = true;
        /* An inactive domain's id stays -1: its XML is read once, too. */
        (void)lv_refresh_facts(dom, f, false);
        lv_facts_to_sample(f, s);
        if (lv_set_pending(lv, uuid))
                s->flags |= BD_VM_SET_PENDING;
        if (s->state == BD_RUN_SHUTOFF) {
                if (s->max_kib == BD_KIB_UNKNOWN)
                        s->max_kib = f->max_kib;
        } else {
                if (s->state == BD_RUN_RUNNING && f->id != FACTS_UNREAD && lv_arm_wanted(lv, f, s))
                        want_armed(lv, dom, s);
                if (!has_field(lv, rec->nparams, "balloon.current"))
                        sizes_fallback(dom, f, s);
                if (s->state == BD_RUN_RUNNING && f->id == FACTS_UNREAD) {
                        /* Without its XML its exclusions are unknown: blind, never shrunk. */
                        s->usable_kib = BD_KIB_UNKNOWN;
                        s->last_update_sec = BD_TIME_UNKNOWN;
                }
        }
        if (s->state != BD_RUN_SHUTOFF && f->id != FACTS_UNREAD)
                process_figures(lv, f, s);
        keep_handle(f, rec);
        return true;
}

/* The bulk call, without NOWAIT once the driver refused it. */
static int all_stats(struct lv_backend *lv, virDomainStatsRecordPtr **recs) {
        unsigned stats = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON;
        int n, r;

        if (STATS_NOWAIT != 0u && !lv->no_nowait) {
                n = virConnectGetAllDomainStats(lv->conn, stats, recs, STATS_NOWAIT);
                if (n >= 0)
                        return n;
                r = lv_last_errno();
                if (r != -EINVAL && r != -EOPNOTSUPP)
                        return n;
                bd_log(BD_LOG_NOTICE, "%s: the domain stats cannot be asked for without waiting for busy "
                       "domains (%s): asking as before; a domain whose job is held may delay the cycle",
                       lv->uri, lv_last_error());
                lv->no_nowait = true;
        }
        return virConnectGetAllDomainStats(lv->conn, stats, recs, 0);
}

int lv_collect(struct bd_backend *b, uint64_t now_usec, int64_t now_wall_sec, const struct bd_vm_sample **out,
               size_t *n_out) {
        struct lv_backend *lv = (struct lv_backend *)b;
        virDomainStatsRecordPtr *recs = NULL;
        char why[256];
        size_t kept = 0;
        int n, r;

        (void)now_usec;
        (void)now_wall_sec;
        r = lv_ensure_connected(lv, why, sizeof(why));
        if (r < 0) {
                bd_log(BD_LOG_DEBUG, "cannot connect to %s: %s", lv->uri, why);
                return r;
        }
        n = all_stats(lv, &recs);
        if (n < 0) {
                r = lv_last_errno();
                bd_log(BD_LOG_WARNING, "collecting domain stats failed: %s", lv_last_error());
                return virConnectIsAlive(lv->conn) == 1 ? r : -ENOTCONN;
        }
        lv->samples = bd_grow_array(lv->samples, &lv->cap_samples, (size_t)n, sizeof(*lv->samples));
        for (size_t i = 0; i < lv->n_facts; i++)
                lv->facts[i].seen = false;
        lv->n_arm = 0;
        for (int i = 0; i < n; i++)
                if (collect_one(lv, recs[i], &lv->samples[kept]))
                        kept++;
        if (lv->n_arm) /* the handles are the facts' now, the samples in place */
                lv_arm_periods(lv, lv->arm_doms, lv->arm_samples, lv->n_arm);
        virDomainStatsRecordListFree(recs);
        lv_facts_forget_unseen(lv);
        *out = lv->samples;
        *n_out = kept;
        return 0;
}
