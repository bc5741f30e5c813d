/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend's domain facts: what the domain XML says (balloon
 * device, host devices, memory backing, balloond metadata, stats period,
 * maximum; src/core/domxml.c) is read once per domain start and cached by
 * UUID (the per-UUID index, src/core/uuid_index.c) and domain id, and again
 * when libvirt says the domain's metadata or devices changed, so the steady
 * state costs no per-domain round trip. What a running domain is entitled
 * to (its persistent <currentMemory>) comes from its inactive XML, read at
 * start and again when libvirt says it was defined anew (see read_entitled).
 * Each entry also keeps the domain handle of the last bulk record, so that
 * setting a target needs no look-up. Running domains whose balloon stats
 * period is 0 get it armed once (not in a dry run, which changes nothing,
 * and not on a VM balloond will never manage), by the apply's worker pool
 * (libvirt_apply.c: QEMU needs the domain's job for it too). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/core/alloc.h"
#include "balloond/core/policy.h"
#include "balloond/daemon/log.h"
#include "libvirt_internal.h"

struct dom_facts *lv_facts_find(struct lv_backend *lv, const char *uuid) {
        size_t i = bd_uuid_index_find(&lv->facts_index, uuid);

        return i == BD_UUID_NONE ? NULL : &lv->facts[i];
}

/* The facts of UUID, a new unread entry if there are none. */
struct dom_facts *lv_facts_for(struct lv_backend *lv, const char *uuid) {
        struct dom_facts *f = lv_facts_find(lv, uuid);

        if (f)
                return f;
        lv->facts = bd_grow_array(lv->facts, &lv->cap_facts, lv->n_facts + 1, sizeof(*lv->facts));
        f = &lv->facts[lv->n_facts];
        memset(f, 0, sizeof(*f));
        snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
        f->id = FACTS_UNREAD;
        f->stats_period = -1;
        f->max_kib = BD_KIB_UNKNOWN;
        f->entitled_kib = BD_KIB_UNKNOWN;
        bd_uuid_index_put(&lv->facts_index, uuid, lv->n_facts++);
        return f;
}

/* Forget the facts (and drop the handles) of domains not seen since the
 * flags were last cleared. */
void lv_facts_forget_unseen(struct lv_backend *lv) {
        size_t kept = 0;

        for (size_t i = 0; i < lv->n_facts; i++) {
                if (lv->facts[i].seen) {
                        lv->facts[kept++] = lv->facts[i];
                        continue;
                }
                if (lv->facts[i].dom)
                        virDomainFree(lv->facts[i].dom);
        }
        if (kept == lv->n_facts)
                return;
        lv->n_facts = kept;
        bd_uuid_index_clear(&lv->facts_index, kept);
        for (size_t i = 0; i < kept; i++)
                bd_uuid_index_put(&lv->facts_index, lv->facts[i].uuid, i);
}

/* Forget everything (a new connection: domain ids may have been reused). */
void lv_facts_clear(struct lv_backend *lv) {
        for (size_t i = 0; i < lv->n_facts; i++)
                if (lv->facts[i].dom)
                        virDomainFree(lv->facts[i].dom);
        lv->n_facts = 0;
        bd_uuid_index_clear(&lv->facts_index, 0);
}

/* DOM's XML (FLAGS: 0 live, VIR_DOMAIN_XML_INACTIVE persistent) read into
 * *OUT. Returns 0, or a negative errno (logged at debug). */
static int read_xml(virDomainPtr dom, unsigned flags, struct bd_domain_facts *out) {
        char *xml = virDomainGetXMLDesc(dom, flags);
        int r;

        if (!xml) {
                r = lv_last_errno();
                bd_log(BD_LOG_DEBUG, "%s: cannot read its%s XML: %s", virDomainGetName(dom),
                       flags ? " persistent" : "", lv_last_error());
                return r;
        }
        r = bd_domxml_read(xml, out);
        free(xml);
        return r;
}

/* What DOM is entitled to: the <currentMemory> its administrator gave it,
 * from its persistent definition. For a transient domain libvirt gives the
 * live XML, read at start: the size it was started with. Read at each start
 * and on a "defined" event (virsh define, virsh edit); virsh setmem --config
 * changes it without any event (libvirt 9.0, QEMU and test drivers), so
 * that change is seen at the next start. BD_KIB_UNKNOWN if unreadable. */
static uint64_t read_entitled(virDomainPtr dom) {
        struct bd_domain_facts df;

        return read_xml(dom, VIR_DOMAIN_XML_INACTIVE, &df) == 0 ? df.current_kib : BD_KIB_UNKNOWN;
}

/* Read the XML facts of DOM when it is new, was restarted, or FORCE (its
 * metadata or devices changed). Returns 0 when the facts are known, a
 * negative errno when they could not be read (tried again next time). */
int lv_refresh_facts(virDomainPtr dom, struct dom_facts *f, bool force) {
        unsigned id = virDomainGetID(dom); /* (unsigned)-1: inactive, its XML is the persistent one */
        struct bd_domain_facts df;
        int r;

        if (f->id == id && !force)
                return 0;
        r = read_xml(dom, 0, &df);
        if (r == -EINVAL) {
                /* Its exclusions cannot be known: leave it alone until it restarts. */
                df = (struct bd_domain_facts){ .flags = BD_VM_UNSUPPORTED, .stats_period = -1,
                                               .max_kib = BD_KIB_UNKNOWN, .current_kib = BD_KIB_UNKNOWN };
                bd_log(BD_LOG_WARNING, "%s: its XML is not a domain description balloond can read; "
                                       "leaving it alone", virDomainGetName(dom));
        } else if (r < 0) {
                f->id = FACTS_UNREAD;
                return r;
        }
        f->flags = df.flags;
        snprintf(f->class_tag, sizeof(f->class_tag), "%s", df.class_tag);
        f->stats_period = df.stats_period;
        f->max_kib = df.max_kib;
        if (id == (unsigned)-1)
                f->entitled_kib = df.current_kib;
        else if (f->id != id)
                f->entitled_kib = read_entitled(dom);
        if (f->id != id) {
                f->arm_attempts = 0;
                f->arm_failed = false;
                f->pid = 0;
                f->pid_tries = 0;
        }
        f->id = id;
        return 0;
}

/* DOM's persistent definition changed: its entitlement (an active domain),
 * or all of its facts (an inactive one, whose XML is that definition). */
void lv_refresh_defined(virDomainPtr dom, struct dom_facts *f) {
        uint64_t was = f->entitled_kib;

        if (f->id == FACTS_UNREAD)
                return; /* the next collect reads everything */
        if (virDomainGetID(dom) == (unsigned)-1)
                (void)lv_refresh_facts(dom, f, true);
        else
                f->entitled_kib = read_entitled(dom);
        if (f->entitled_kib != was)
                bd_log(BD_LOG_DEBUG, "%s: definition changed, entitled to %llu KiB", virDomainGetName(dom),
                       (unsigned long long)f->entitled_kib);
}

/* The cached facts into sample S. */
void lv_facts_to_sample(const struct dom_facts *f, struct bd_vm_sample *s) {
        s->flags = f->flags;
        if (s->state == BD_RUN_RUNNING && f->id == FACTS_UNREAD)
                s->flags |= BD_VM_FACTS_UNKNOWN; /* blind for what it is: facts_unknown */
        s->entitled_kib = f->entitled_kib;
        snprintf(s->class_tag, sizeof(s->class_tag), "%s", f->class_tag);
        s->stats_period_sec = f->stats_period > 0 ? f->stats_period : -1;
}

/* Should the stats period of running domain F (S: its sample, facts filled
 * in) be armed? Not when it has one, has no balloon, cannot, or balloond
 * will never manage it; not in a dry run (said once per domain start). */
bool lv_arm_wanted(struct lv_backend *lv, struct dom_facts *f, const struct bd_vm_sample *s) {
        if (f->stats_period != 0 || f->arm_failed || (lv->dry_run && f->arm_deferred) ||
            bd_policy_never_managed(lv->cfg, s))
                return false;
        if (lv->dry_run) {
                if (!f->arm_deferred)
                        bd_log(BD_LOG_INFO,
                               "%s: no balloon stats period; would arm it at %d s (dry run: left alone, "
                               "so its guest statistics are unknown)", s->name, lv->cfg->stats_period_sec);
                f->arm_deferred = true;
                return false;
        }
        return true;
}

/* What arming F's stats period at PERIOD gave (R: 0 or a negative errno,
 * ERR). A driver that cannot is not asked again; other failures are
 * retried on the next cycles, a few times. */
void lv_arm_result(struct dom_facts *f, const char *name, int period, int r, const char *err) {
        if (r == 0) {
                f->stats_period = period;
                bd_log(BD_LOG_INFO, "%s: balloon stats period armed at %d s", name, period);
        } else if (r == -EOPNOTSUPP || r == -EPERM || ++f->arm_attempts >= ARM_ATTEMPTS) {
                f->arm_failed = true;
                bd_log(BD_LOG_INFO, "%s: cannot arm its balloon stats period (not tried again): %s", name, err);
        } else {
                bd_log(BD_LOG_DEBUG, "%s: cannot arm its balloon stats period (tried again): %s", name, err);
        }
}
