/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend's events. libvirt's handles and timeouts (keepalive,
 * the close callback, domain events) run on balloond's own main loop
 * through src/daemon/evloop.c, registered with virEventRegisterImpl. The
 * backend's event descriptor is the loop's; handle_events dispatches it,
 * then acts on what the callbacks noted: a domain that starts gets its
 * stats period armed at once, a domain whose metadata or devices changed
 * has its XML read again, a closed connection is reported and reopened by
 * the next collect. Callbacks only note; the close callback may also run
 * inside any RPC call (a dead socket, possibly on a worker thread of the
 * apply), so it wakes the loop for handle_events to see it. The domain
 * event callbacks hold a reference on the backend, dropped by libvirt when
 * it is done with them, so none can run on a freed backend. */
#include <stdio.h>
#include <string.h>

#include "balloond/daemon/evloop.h"
#include "balloond/daemon/log.h"
#include "libvirt_internal.h"

/* From a dispatch, or from inside any RPC call that found the socket dead. */
void lv_on_close(virConnectPtr conn, int reason, void *opaque) {
        struct lv_backend *lv = opaque;

        (void)conn;
        (void)reason;
        lv->closed = true;
        bd_evloop_wake();
}

/* Note DOM for handle_events. */
static void note_domain(struct lv_backend *lv, virDomainPtr dom, enum pending_kind kind) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(dom, uuid) < 0)
                return;
        if (lv->n_pending < MAX_PENDING) {
                memcpy(lv->pending[lv->n_pending].uuid, uuid, sizeof(uuid));
                lv->pending[lv->n_pending++].kind = kind;
        } else {
                lv->overflow = true;
        }
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        (void)conn;
        (void)detail;
        if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_RESUMED)
                note_domain(opaque, dom, PENDING_STARTED);
        else if (event == VIR_DOMAIN_EVENT_DEFINED) /* virsh define or edit (setmem --config sends none) */
                note_domain(opaque, dom, PENDING_DEFINED);
        return 0;
}

static void on_metadata(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri, void *opaque) {
        (void)conn;
        if (type == VIR_DOMAIN_METADATA_ELEMENT && (!nsuri || strcmp(nsuri, BD_METADATA_NS) == 0))
                note_domain(opaque, dom, PENDING_REREAD);
}

static void on_device(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque) {
        (void)conn;
        (void)alias;
        note_domain(opaque, dom, PENDING_REREAD); /* a host device or a balloon may have come or gone */
}

/* Register one domain event callback; libvirt holds a reference on LV until
 * it calls lv_unref. */
static void watch(struct lv_backend *lv, size_t slot, int event_id, virConnectDomainEventGenericCallback cb,
                  const char *what) {
        lv->event_ids[slot] = virConnectDomainEventRegisterAny(lv->conn, NULL, event_id, cb, lv_ref(lv), lv_unref);
        if (lv->event_ids[slot] < 0) {
                lv_unref(lv);
                bd_log(BD_LOG_DEBUG, "%s: no %s events: %s", lv->uri, what, lv_last_error());
        }
}

void lv_watch_events(struct lv_backend *lv) {
        /* No reference for the close callback: libvirt calls it under a lock
         * that unregistering takes, and some drivers never call its free
         * callback. */
        lv->close_registered = virConnectRegisterCloseCallback(lv->conn, lv_on_close, lv, NULL) == 0;
        if (!lv->close_registered)
                bd_log(BD_LOG_DEBUG, "%s: no close callback: %s", lv->uri, lv_last_error());
        watch(lv, 0, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), "lifecycle");
        watch(lv, 1, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(on_metadata), "metadata");
        watch(lv, 2, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(on_device), "device added");
        watch(lv, 3, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_device), "device removed");
}

void lv_unwatch_events(struct lv_backend *lv) {
        for (size_t i = 0; i < sizeof(lv->event_ids) / sizeof(lv->event_ids[0]); i++) {
                if (lv->event_ids[i] >= 0)
                        virConnectDomainEventDeregisterAny(lv->conn, lv->event_ids[i]);
                lv->event_ids[i] = -1;
        }
        if (lv->close_registered)
                virConnectUnregisterCloseCallback(lv->conn, lv_on_close);
        lv->close_registered = false;
}

/* Act on one noted domain; false if it is gone. */
static bool handle_pending(struct lv_backend *lv, const struct pending *p) {
        virDomainPtr dom = virDomainLookupByUUIDString(lv->conn, p->uuid);
        struct bd_vm_sample s;
        struct dom_facts *f;
        int state = 0, reason = 0;

        if (!dom)
                return false;
        f = lv_facts_for(lv, p->uuid);
        f->seen = true;
        if (p->kind == PENDING_DEFINED) {
                lv_refresh_defined(dom, f);
        } else if (lv_refresh_facts(dom, f, p->kind == PENDING_REREAD) == 0) {
                if (p->kind == PENDING_REREAD) {
                        bd_log(BD_LOG_DEBUG, "%s: metadata or devices changed, XML read again",
                               virDomainGetName(dom));
                } else if (virDomainGetState(dom, &state, &reason, 0) == 0 &&
                           bd_stats_run_state(state, reason) == BD_RUN_RUNNING) {
                        bd_vm_sample_init(&s);
                        snprintf(s.name, sizeof(s.name), "%s", virDomainGetName(dom));
                        memcpy(s.uuid, p->uuid, sizeof(s.uuid));
                        s.state = BD_RUN_RUNNING;
                        struct bd_vm_sample *sp = &s;

                        lv_facts_to_sample(f, &s);
                        if (lv_arm_wanted(lv, f, &s))
                                lv_arm_periods(lv, &dom, &sp, 1);
                }
        }
        virDomainFree(dom);
        return true;
}

/* Run libvirt's due callbacks, then read the XML of domains whose metadata
 * or devices changed and arm the stats period of domains that just started.
 * Returns BD_EVENT_* bits. */
unsigned lv_handle_events(struct bd_backend *b) {
        struct lv_backend *lv = (struct lv_backend *)b;
        struct pending pending[MAX_PENDING];
        size_t n;
        bool overflow;
        unsigned events = 0;

        bd_evloop_dispatch();
        if (lv->closed)
                events |= BD_EVENT_CLOSED;
        /* A copy: the calls below may queue events for the next dispatch. */
        n = lv->n_pending;
        memcpy(pending, lv->pending, n * sizeof(pending[0]));
        overflow = lv->overflow;
        lv->n_pending = 0;
        lv->overflow = false;
        if (overflow) /* the next collect reads every domain's XML again */
                for (size_t i = 0; i < lv->n_facts; i++)
                        lv->facts[i].id = FACTS_UNREAD;
        for (size_t i = 0; i < n && lv->conn && !(events & BD_EVENT_CLOSED); i++) {
                if (handle_pending(lv, &pending[i]))
                        events |= BD_EVENT_DOMAINS;
        }
        return events;
}
