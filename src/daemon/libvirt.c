/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend: the only module that talks to libvirt.
 *
 * Collect: one virConnectGetAllDomainStats(STATE | BALLOON) per cycle, all
 * domains, inactive ones too. A driver that returns no balloon fields
 * (libvirt's test driver) gets one per-domain call for each active domain:
 * virDomainMemoryStats for a running domain with a balloon, virDomainGetInfo
 * (the sizes only) for the others, so that paused and balloon-less VMs still
 * count in the VM budget as they do with QEMU's bulk stats. What the domain
 * XML says (balloon device, host devices, memory backing, balloond metadata,
 * stats period, maximum; src/core/domxml.c) is read once per domain start
 * and cached by UUID and domain id, and again when libvirt says the
 * domain's metadata or devices changed, so the steady state costs no
 * per-domain round trip. What a running domain is entitled to (its
 * persistent <currentMemory>) comes from its inactive XML, read at start
 * and again when libvirt says it was defined anew (see read_entitled). A
 * running domain whose facts could not be read is reported without guest
 * stats (blind: never shrunk) until they are. Running domains whose balloon
 * stats period is 0 get it armed once (not in a dry run, which changes nothing).
 *
 * Apply: re-check the domain (running, no job such as a migration under
 * way), then virDomainSetMemoryFlags(AFFECT_LIVE). libvirt's errors are
 * sorted into negative errnos (see backend.h).
 *
 * Events: libvirt's handles and timeouts (keepalive, the close callback,
 * domain events) run on balloond's own main loop through src/daemon/evloop.c,
 * registered with virEventRegisterImpl: no second thread, so an RPC reply is
 * never handed between threads. The backend's event descriptor is the
 * loop's; handle_events dispatches it, then acts on what the callbacks
 * noted: a domain that starts gets its stats period armed at once, a domain
 * whose metadata or devices changed has its XML read again, a closed
 * connection is reported and reopened by the next collect. Callbacks only
 * note; the close callback may also run inside any RPC call (a dead socket),
 * so it wakes the loop for handle_events to see it. The domain event
 * callbacks hold a reference on the backend, dropped by
 * libvirt when it is done with them, so none can run on a freed backend. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "balloond/core/alloc.h"
#include "balloond/daemon/backend.h"
#include "balloond/core/domxml.h"
#include "balloond/daemon/evloop.h"
#include "balloond/daemon/log.h"
#include "balloond/daemon/procmem.h"
#include "balloond/core/stats.h"

/* Our copies of libvirt's numbering must agree with libvirt's. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(BD_PARAM_INT, VIR_TYPED_PARAM_INT) && SAME(BD_PARAM_UINT, VIR_TYPED_PARAM_UINT) &&
                       SAME(BD_PARAM_LLONG, VIR_TYPED_PARAM_LLONG) &&
                       SAME(BD_PARAM_ULLONG, VIR_TYPED_PARAM_ULLONG) &&
                       SAME(BD_PARAM_DOUBLE, VIR_TYPED_PARAM_DOUBLE) &&
                       SAME(BD_PARAM_BOOLEAN, VIR_TYPED_PARAM_BOOLEAN) &&
                       SAME(BD_PARAM_STRING, VIR_TYPED_PARAM_STRING),
               "typed parameter numbering");
_Static_assert(SAME(BD_MEMSTAT_SWAP_IN, VIR_DOMAIN_MEMORY_STAT_SWAP_IN) &&
                       SAME(BD_MEMSTAT_SWAP_OUT, VIR_DOMAIN_MEMORY_STAT_SWAP_OUT) &&
                       SAME(BD_MEMSTAT_MAJOR_FAULT, VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT) &&
                       SAME(BD_MEMSTAT_MINOR_FAULT, VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT) &&
                       SAME(BD_MEMSTAT_UNUSED, VIR_DOMAIN_MEMORY_STAT_UNUSED) &&
                       SAME(BD_MEMSTAT_AVAILABLE, VIR_DOMAIN_MEMORY_STAT_AVAILABLE) &&
                       SAME(BD_MEMSTAT_ACTUAL_BALLOON, VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) &&
                       SAME(BD_MEMSTAT_RSS, VIR_DOMAIN_MEMORY_STAT_RSS) &&
                       SAME(BD_MEMSTAT_USABLE, VIR_DOMAIN_MEMORY_STAT_USABLE) &&
                       SAME(BD_MEMSTAT_LAST_UPDATE, VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE) &&
                       SAME(BD_MEMSTAT_DISK_CACHES, VIR_DOMAIN_MEMORY_STAT_DISK_CACHES) &&
                       SAME(BD_MEMSTAT_HUGETLB_PGALLOC, VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC) &&
                       SAME(BD_MEMSTAT_HUGETLB_PGFAIL, VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL),
               "memory stat numbering");
/* src/core/stats.c maps libvirt's states and reasons by number. */
_Static_assert(VIR_DOMAIN_NOSTATE == 0 && VIR_DOMAIN_RUNNING == 1 && VIR_DOMAIN_BLOCKED == 2 &&
                       VIR_DOMAIN_PAUSED == 3 && VIR_DOMAIN_SHUTDOWN == 4 && VIR_DOMAIN_SHUTOFF == 5 &&
                       VIR_DOMAIN_CRASHED == 6 && VIR_DOMAIN_PMSUSPENDED == 7,
               "domain state numbering");
_Static_assert(VIR_DOMAIN_RUNNING_POSTCOPY == 10 && VIR_DOMAIN_RUNNING_POSTCOPY_FAILED == 11 &&
                       VIR_DOMAIN_PAUSED_MIGRATION == 2 && VIR_DOMAIN_PAUSED_POSTCOPY == 12 &&
                       VIR_DOMAIN_PAUSED_POSTCOPY_FAILED == 13,
               "domain state reason numbering");
_Static_assert(SAME(BD_EV_READABLE, VIR_EVENT_HANDLE_READABLE) && SAME(BD_EV_WRITABLE, VIR_EVENT_HANDLE_WRITABLE) &&
                       SAME(BD_EV_ERROR, VIR_EVENT_HANDLE_ERROR) && SAME(BD_EV_HANGUP, VIR_EVENT_HANDLE_HANGUP),
               "event handle flags");

/* What the domain XML told us, per domain start. */
#define FACTS_UNREAD ((unsigned)-2) /* never read (an inactive domain's id is -1) */
#define ARM_ATTEMPTS 3              /* transient failures before giving up on a domain start */

struct dom_facts {
        char uuid[VIR_UUID_STRING_BUFLEN];
        unsigned id;        /* domain id when read, FACTS_UNREAD */
        unsigned flags;
        char class_tag[BD_CLASS_MAX];
        int stats_period;   /* -1 no balloon; 0 none armed */
        uint64_t max_kib;   /* <memory>, BD_KIB_UNKNOWN if unreadable */
        uint64_t entitled_kib; /* persistent <currentMemory>, BD_KIB_UNKNOWN if unreadable */
        int arm_attempts;   /* failed attempts to arm the stats period */
        bool arm_failed;    /* arming it is unsupported or kept failing: not retried */
        bool arm_deferred;  /* a dry run left it unarmed (said once per domain start) */
        bool seen;          /* in this cycle's records */
        pid_t pid;          /* its QEMU process (the ledger), 0 unknown */
        unsigned pid_tries; /* collects since it was last looked for */
};

/* A domain an event was about, noted by a callback. */
enum pending_kind {
        PENDING_STARTED, /* started or resumed: arm its stats period */
        PENDING_REREAD,  /* its metadata or devices changed: read its XML again */
        PENDING_DEFINED, /* its persistent definition changed: read its entitlement again */
};

struct pending {
        char uuid[VIR_UUID_STRING_BUFLEN];
        enum pending_kind kind;
};

#define MAX_PENDING 64

struct lv_backend {
        struct bd_backend base;
        atomic_int refs; /* the owner's, plus one per registered domain event callback */
        char uri[BD_URI_MAX];
        int arm_period_sec;
        bool dry_run;          /* change nothing: stats periods are not armed either */
        virConnectPtr conn;
        struct bd_vm_sample *samples;
        size_t cap_samples;
        struct dom_facts *facts;
        size_t n_facts, cap_facts;
        struct bd_param *params;
        size_t cap_params;
        /* events (see the top of the file) */
        bool closed;           /* the close callback fired */
        struct pending pending[MAX_PENDING];
        size_t n_pending;
        bool overflow;         /* events were dropped: read every domain's XML again */
        int event_ids[4];      /* domain event callbacks, -1 unused */
        bool close_registered;
        bool is_qemu;          /* the connection's driver runs QEMU processes (the ledger reads them) */
};

/* libvirt's events on our loop: registered once per process, before the
 * first connection. */
static pthread_once_t loop_once = PTHREAD_ONCE_INIT;
static int loop_error;

static void register_loop(void) {
        loop_error = bd_evloop_init();
        if (loop_error == 0)
                virEventRegisterImpl(bd_evloop_add_handle, bd_evloop_update_handle, bd_evloop_remove_handle,
                                     bd_evloop_add_timeout, bd_evloop_update_timeout, bd_evloop_remove_timeout);
}

static void lv_destroy(struct lv_backend *lv) {
        free(lv->samples);
        free(lv->facts);
        free(lv->params);
        free(lv);
}

static struct lv_backend *lv_ref(struct lv_backend *lv) {
        atomic_fetch_add(&lv->refs, 1);
        return lv;
}

/* Also libvirt's free callback of every registration. */
static void lv_unref(void *opaque) {
        struct lv_backend *lv = opaque;

        if (atomic_fetch_sub(&lv->refs, 1) == 1)
                lv_destroy(lv);
}

/* From a dispatch, or from inside any RPC call that found the socket dead. */
static void on_close(virConnectPtr conn, int reason, void *opaque) {
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

static void quiet(void *userdata, virErrorPtr err) {
        (void)userdata;
        (void)err; /* errors are read with virGetLastError by the caller */
}

static const char *last_error(void) {
        virErrorPtr e = virGetLastError();

        return e && e->message ? e->message : "unknown libvirt error";
}

/* Sort libvirt's last error into a negative errno (backend.h). */
static int last_errno(void) {
        virErrorPtr e = virGetLastError();

        if (!e)
                return -EIO;
        switch (e->code) {
        case VIR_ERR_NO_DOMAIN:
                return -ENOENT;
        case VIR_ERR_OPERATION_UNSUPPORTED:
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_ARGUMENT_UNSUPPORTED:
                return -EOPNOTSUPP;
        case VIR_ERR_OPERATION_INVALID:
                return -ESTALE;
        case VIR_ERR_OPERATION_TIMEOUT:
        case VIR_ERR_AGENT_UNRESPONSIVE:
                return -ETIMEDOUT;
        case VIR_ERR_INVALID_ARG:
                return -EINVAL;
        case VIR_ERR_AUTH_FAILED:
        case VIR_ERR_AUTH_CANCELLED:
        case VIR_ERR_ACCESS_DENIED:
                return -EPERM;
        default:
                return -EIO;
        }
}

/* virDomainGetUUIDString formats through glib's printf, which costs more
 * than the rest of a domain's collection: format the raw bytes here. */
static int uuid_string(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN]) {
        static const char hex[] = "0123456789abcdef";
        unsigned char raw[VIR_UUID_BUFLEN];
        size_t k = 0;

        if (virDomainGetUUID(dom, raw) < 0)
                return -1;
        for (size_t i = 0; i < VIR_UUID_BUFLEN; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[k++] = '-';
                out[k++] = hex[raw[i] >> 4];
                out[k++] = hex[raw[i] & 15];
        }
        out[k] = '\0';
        return 0;
}

static struct dom_facts *find_facts(struct lv_backend *lv, const char *uuid, size_t hint) {
        if (hint < lv->n_facts && strcmp(lv->facts[hint].uuid, uuid) == 0)
                return &lv->facts[hint];
        for (size_t i = 0; i < lv->n_facts; i++)
                if (strcmp(lv->facts[i].uuid, uuid) == 0)
                        return &lv->facts[i];
        return NULL;
}

/* The facts of UUID, a new unread entry if there are none. libvirt lists
 * domains in the same order cycle after cycle, so HINT (the record's
 * position) is tried first: O(1) in the steady state, a search only when
 * domains come and go. */
static struct dom_facts *facts_for(struct lv_backend *lv, const char *uuid, size_t hint) {
        struct dom_facts *f = find_facts(lv, uuid, hint);

        if (f)
                return f;
        lv->facts = bd_grow_array(lv->facts, &lv->cap_facts, lv->n_facts + 1, sizeof(*lv->facts));
        f = &lv->facts[lv->n_facts++];
        memset(f, 0, sizeof(*f));
        snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
        f->id = FACTS_UNREAD;
        f->stats_period = -1;
        f->max_kib = BD_KIB_UNKNOWN;
        f->entitled_kib = BD_KIB_UNKNOWN;
        return f;
}

/* DOM's XML (FLAGS: 0 live, VIR_DOMAIN_XML_INACTIVE persistent) read into
 * *OUT. Returns 0, or a negative errno (logged at debug). */
static int read_xml(virDomainPtr dom, unsigned flags, struct bd_domain_facts *out) {
        char *xml = virDomainGetXMLDesc(dom, flags);
        int r;

        if (!xml) {
                r = last_errno();
                bd_log(BD_LOG_DEBUG, "%s: cannot read its%s XML: %s", virDomainGetName(dom),
                       flags ? " persistent" : "", last_error());
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
static int refresh_facts(virDomainPtr dom, struct dom_facts *f, bool force) {
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
static void refresh_defined(virDomainPtr dom, struct dom_facts *f) {
        uint64_t was = f->entitled_kib;

        if (f->id == FACTS_UNREAD)
                return; /* the next collect reads everything */
        if (virDomainGetID(dom) == (unsigned)-1)
                (void)refresh_facts(dom, f, true);
        else
                f->entitled_kib = read_entitled(dom);
        if (f->entitled_kib != was)
                bd_log(BD_LOG_DEBUG, "%s: definition changed, entitled to %llu KiB", virDomainGetName(dom),
                       (unsigned long long)f->entitled_kib);
}

/* Arm the stats period of a running domain with a balloon whose period is 0.
 * A driver that cannot is not asked again; other failures are retried on the
 * next cycles, a few times. */
static void arm_stats_period(struct lv_backend *lv, virDomainPtr dom, struct dom_facts *f) {
        int r;

        if (f->stats_period != 0 || f->arm_failed || (f->flags & (BD_VM_NO_BALLOON | BD_VM_UNSUPPORTED)))
                return;
        if (lv->dry_run) {
                if (!f->arm_deferred)
                        bd_log(BD_LOG_INFO,
                               "%s: no balloon stats period; would arm it at %d s (dry run: left alone, "
                               "so its guest statistics are unknown)",
                               virDomainGetName(dom), lv->arm_period_sec);
                f->arm_deferred = true;
                return;
        }
        if (virDomainSetMemoryStatsPeriod(dom, lv->arm_period_sec, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                r = last_errno();
                if (r == -EOPNOTSUPP || r == -EPERM || ++f->arm_attempts >= ARM_ATTEMPTS) {
                        f->arm_failed = true;
                        bd_log(BD_LOG_INFO, "%s: cannot arm its balloon stats period (not tried again): %s",
                               virDomainGetName(dom), last_error());
                } else {
                        bd_log(BD_LOG_DEBUG, "%s: cannot arm its balloon stats period (tried again): %s",
                               virDomainGetName(dom), last_error());
                }
                return;
        }
        f->stats_period = lv->arm_period_sec;
        bd_log(BD_LOG_INFO, "%s: balloon stats period armed at %d s", virDomainGetName(dom), lv->arm_period_sec);
}

/* The per-domain fallback for drivers without bulk balloon stats: one round
 * trip for an active domain (the maximum comes from the cached XML). */
static void sizes_fallback(virDomainPtr dom, const struct dom_facts *f, struct bd_vm_sample *s) {
        if (s->state == BD_RUN_RUNNING && f->id != FACTS_UNREAD &&
            !(f->flags & (BD_VM_NO_BALLOON | BD_VM_UNSUPPORTED))) {
                virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
                struct bd_memstat ms[VIR_DOMAIN_MEMORY_STAT_NR];
                int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

                if (n < 0)
                        bd_log(BD_LOG_DEBUG, "%s: no memory stats: %s", s->name, last_error());
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
                        bd_log(BD_LOG_DEBUG, "%s: no domain info: %s", s->name, last_error());
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

static void disconnect(struct lv_backend *lv) {
        if (!lv->conn)
                return;
        for (size_t i = 0; i < sizeof(lv->event_ids) / sizeof(lv->event_ids[0]); i++) {
                if (lv->event_ids[i] >= 0)
                        virConnectDomainEventDeregisterAny(lv->conn, lv->event_ids[i]);
                lv->event_ids[i] = -1;
        }
        if (lv->close_registered)
                virConnectUnregisterCloseCallback(lv->conn, on_close);
        lv->close_registered = false;
        virConnectClose(lv->conn);
        lv->conn = NULL;
}

/* Register one domain event callback; libvirt holds a reference on LV until
 * it calls lv_unref. */
static void watch(struct lv_backend *lv, size_t slot, int event_id, virConnectDomainEventGenericCallback cb,
                  const char *what) {
        lv->event_ids[slot] = virConnectDomainEventRegisterAny(lv->conn, NULL, event_id, cb, lv_ref(lv), lv_unref);
        if (lv->event_ids[slot] < 0) {
                lv_unref(lv);
                bd_log(BD_LOG_DEBUG, "%s: no %s events: %s", lv->uri, what, last_error());
        }
}

/* Open the connection with keepalive, the close callback and domain events.
 * Domain ids may have been reused by a new libvirtd: facts are read again. */
static int connect_now(struct lv_backend *lv, char *why, size_t why_len) {
        const char *type;

        lv->conn = virConnectOpen(lv->uri);
        if (!lv->conn) {
                snprintf(why, why_len, "%s", last_error());
                return -ENOTCONN;
        }
        lv->closed = false;
        lv->n_facts = 0;
        type = virConnectGetType(lv->conn);
        lv->is_qemu = type && strcmp(type, "QEMU") == 0;
        /* Every 5 s; dead after 3 unanswered: libvirtd hung or gone. Drivers
         * without keepalive (in-process test:///) say so; that is fine. */
        if (virConnectSetKeepAlive(lv->conn, 5, 3) < 0)
                bd_log(BD_LOG_DEBUG, "%s: no keepalive: %s", lv->uri, last_error());
        /* No reference for the close callback: libvirt calls it under a lock
         * that unregistering takes, and some drivers never call its free
         * callback. */
        lv->close_registered = virConnectRegisterCloseCallback(lv->conn, on_close, lv, NULL) == 0;
        if (!lv->close_registered)
                bd_log(BD_LOG_DEBUG, "%s: no close callback: %s", lv->uri, last_error());
        watch(lv, 0, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), "lifecycle");
        watch(lv, 1, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(on_metadata), "metadata");
        watch(lv, 2, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(on_device), "device added");
        watch(lv, 3, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_device), "device removed");
        return 0;
}

/* A dead connection is closed and opened again, once per call. */
static int ensure_connected(struct lv_backend *lv, char *why, size_t why_len) {
        if (lv->conn && !lv->closed && virConnectIsAlive(lv->conn) == 1)
                return 0;
        disconnect(lv);
        return connect_now(lv, why, why_len);
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

/* One bulk record into the next sample. Returns false if the domain has no
 * name or UUID (it vanished under us). */
static bool collect_one(struct lv_backend *lv, virDomainStatsRecordPtr rec, size_t hint, struct bd_vm_sample *s) {
        virDomainPtr dom = rec->dom;
        const char *name = virDomainGetName(dom);
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct dom_facts *f;

        if (!name || uuid_string(dom, uuid) < 0)
                return false;
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
        convert_params(lv, rec);
        bd_stats_from_params(lv->params, (size_t)rec->nparams, s);
        f = facts_for(lv, uuid, hint);
        f->seen = true;
        /* An inactive domain's id stays -1: its XML is read once, too. */
        (void)refresh_facts(dom, f, false);
        if (s->state == BD_RUN_SHUTOFF) {
                if (s->max_kib == BD_KIB_UNKNOWN)
                        s->max_kib = f->max_kib;
        } else {
                if (s->state == BD_RUN_RUNNING && f->id != FACTS_UNREAD)
                        arm_stats_period(lv, dom, f);
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
        s->flags = f->flags;
        s->entitled_kib = f->entitled_kib;
        snprintf(s->class_tag, sizeof(s->class_tag), "%s", f->class_tag);
        s->stats_period_sec = f->stats_period > 0 ? f->stats_period : -1;
        return true;
}

static int lv_collect(struct bd_backend *b, uint64_t now_usec, int64_t now_wall_sec,
                      const struct bd_vm_sample **out, size_t *n_out) {
        struct lv_backend *lv = (struct lv_backend *)b;
        virDomainStatsRecordPtr *recs = NULL;
        char why[256];
        size_t kept = 0, kept_facts = 0;
        int n, r;

        (void)now_usec;
        (void)now_wall_sec;
        r = ensure_connected(lv, why, sizeof(why));
        if (r < 0) {
                bd_log(BD_LOG_DEBUG, "cannot connect to %s: %s", lv->uri, why);
                return r;
        }
        n = virConnectGetAllDomainStats(lv->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs, 0);
        if (n < 0) {
                r = last_errno();
                bd_log(BD_LOG_WARNING, "collecting domain stats failed: %s", last_error());
                return virConnectIsAlive(lv->conn) == 1 ? r : -ENOTCONN;
        }
        lv->samples = bd_grow_array(lv->samples, &lv->cap_samples, (size_t)n, sizeof(*lv->samples));
        for (size_t i = 0; i < lv->n_facts; i++)
                lv->facts[i].seen = false;
        for (int i = 0; i < n; i++)
                if (collect_one(lv, recs[i], (size_t)i, &lv->samples[kept]))
                        kept++;
        virDomainStatsRecordListFree(recs);
        /* Forget the facts of domains that are gone. */
        for (size_t i = 0; i < lv->n_facts; i++)
                if (lv->facts[i].seen)
                        lv->facts[kept_facts++] = lv->facts[i];
        lv->n_facts = kept_facts;
        *out = lv->samples;
        *n_out = kept;
        return 0;
}

static int lv_set_target(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t target_kib,
                         char *err, size_t err_len) {
        struct lv_backend *lv = (struct lv_backend *)b;
        virDomainPtr dom;
        virDomainJobInfo job;
        int state = 0, reason = 0, r = 0;

        if (!lv->conn) {
                snprintf(err, err_len, "not connected to %s", lv->uri);
                return -ENOTCONN;
        }
        if (target_kib == 0 || target_kib > ULONG_MAX) {
                snprintf(err, err_len, "target %llu KiB out of range", (unsigned long long)target_kib);
                return -EINVAL;
        }
        dom = virDomainLookupByUUIDString(lv->conn, vm->uuid);
        if (!dom) {
                snprintf(err, err_len, "%s", last_error());
                return last_errno();
        }
        /* The latest facts: still running, nothing (a migration) under way. */
        if (virDomainGetState(dom, &state, &reason, 0) < 0) {
                snprintf(err, err_len, "%s", last_error());
                r = last_errno();
                goto out;
        }
        if (bd_stats_run_state(state, reason) != BD_RUN_RUNNING) {
                snprintf(err, err_len, "domain is %s now", bd_run_state_to_string(bd_stats_run_state(state, reason)));
                r = -ESTALE;
                goto out;
        }
        /* A driver without job information has no jobs. */
        if (virDomainGetJobInfo(dom, &job) == 0 &&
            (job.type == VIR_DOMAIN_JOB_BOUNDED || job.type == VIR_DOMAIN_JOB_UNBOUNDED)) {
                snprintf(err, err_len, "a job (migration, save, dump) is under way");
                r = -EBUSY;
                goto out;
        }
        if (virDomainSetMemoryFlags(dom, (unsigned long)target_kib, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                snprintf(err, err_len, "%s", last_error());
                r = last_errno();
        }
out:
        virDomainFree(dom);
        return r;
}

static int lv_event_fd(struct bd_backend *b) {
        (void)b;
        return bd_evloop_fd();
}

/* Run libvirt's due callbacks, then read the XML of domains whose metadata
 * or devices changed and arm the stats period of domains that just started.
 * Returns BD_EVENT_* bits. */
static unsigned lv_handle_events(struct bd_backend *b) {
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
                virDomainPtr dom = virDomainLookupByUUIDString(lv->conn, pending[i].uuid);
                struct dom_facts *f;
                int state = 0, reason = 0;

                if (!dom)
                        continue;
                f = facts_for(lv, pending[i].uuid, SIZE_MAX);
                f->seen = true;
                if (pending[i].kind == PENDING_DEFINED) {
                        refresh_defined(dom, f);
                } else if (refresh_facts(dom, f, pending[i].kind == PENDING_REREAD) == 0) {
                        if (pending[i].kind == PENDING_REREAD)
                                bd_log(BD_LOG_DEBUG, "%s: metadata or devices changed, XML read again",
                                       virDomainGetName(dom));
                        else if (virDomainGetState(dom, &state, &reason, 0) == 0 &&
                                 bd_stats_run_state(state, reason) == BD_RUN_RUNNING)
                                arm_stats_period(lv, dom, f);
                }
                virDomainFree(dom);
                events |= BD_EVENT_DOMAINS;
        }
        return events;
}

static void lv_configure(struct bd_backend *b, const struct bd_config *cfg) {
        struct lv_backend *lv = (struct lv_backend *)b;

        /* Domains armed at another period keep theirs; ones a dry run left
         * alone are armed by the next collect once it is over. */
        lv->arm_period_sec = cfg->stats_period_sec;
        lv->dry_run = cfg->dry_run;
}

static void lv_free(struct bd_backend *b) {
        struct lv_backend *lv = (struct lv_backend *)b;

        if (!lv)
                return;
        /* Deregistering drops libvirt's references once no callback runs;
         * the backend goes with the last one. */
        disconnect(lv);
        bd_evloop_flush();
        lv_unref(lv);
}

static const struct bd_backend_ops lv_ops = {
        .name = "libvirt",
        .collect = lv_collect,
        .sample_host = NULL,
        .set_target = lv_set_target,
        .event_fd = lv_event_fd,
        .handle_events = lv_handle_events,
        .configure = lv_configure,
        .free = lv_free,
};

int bd_backend_open_libvirt(const char *uri, const struct bd_config *cfg, struct bd_backend **out,
                            char *err, size_t err_len) {
        struct lv_backend *lv;
        int r;

        virSetErrorFunc(NULL, quiet);
        if (virInitialize() < 0) {
                snprintf(err, err_len, "cannot initialise libvirt");
                return -EIO;
        }
        pthread_once(&loop_once, register_loop);
        if (loop_error < 0) {
                snprintf(err, err_len, "cannot create the event loop: %s", strerror(-loop_error));
                return loop_error;
        }
        lv = calloc(1, sizeof(*lv));
        if (!lv)
                return -ENOMEM;
        lv->base.ops = &lv_ops;
        atomic_init(&lv->refs, 1);
        for (size_t i = 0; i < sizeof(lv->event_ids) / sizeof(lv->event_ids[0]); i++)
                lv->event_ids[i] = -1;
        snprintf(lv->uri, sizeof(lv->uri), "%s", uri);
        lv_configure(&lv->base, cfg);
        r = connect_now(lv, err, err_len);
        if (r < 0) {
                lv_free(&lv->base);
                return r;
        }
        *out = &lv->base;
        return 0;
}
