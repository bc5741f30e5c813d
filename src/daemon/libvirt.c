/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend: the only module that talks to libvirt, in five files
 * (src/daemon/libvirt_internal.h says which does what). This one holds the
 * connection (keepalive, the close callback, reconnecting), libvirt's
 * errors sorted into negative errnos (backend.h), the operations table, and
 * the checks that our copies of libvirt's numbering agree with libvirt's.
 *
 * Collect (libvirt_stats.c): one virConnectGetAllDomainStats(STATE |
 * BALLOON | NOWAIT) per cycle, the domain XML's facts cached per domain
 * start (libvirt_facts.c). Apply (libvirt_apply.c): one
 * virDomainSetMemoryFlags per change, on a worker pool with a deadline per
 * call. Events (libvirt_events.c): on balloond's own loop (evloop.c). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/daemon/evloop.h"
#include "balloond/daemon/log.h"
#include "libvirt_internal.h"

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
_Static_assert(VIR_UUID_STRING_BUFLEN == BD_UUID_LEN + 1, "UUID string length");
/* src/core/stats.c maps libvirt's states and reasons by number. */
_Static_assert(VIR_DOMAIN_NOSTATE == 0 && VIR_DOMAIN_RUNNING == 1 && VIR_DOMAIN_BLOCKED == 2 &&
                       VIR_DOMAIN_PAUSED == 3 && VIR_DOMAIN_SHUTDOWN == 4 && VIR_DOMAIN_SHUTOFF == 5 &&
                       VIR_DOMAIN_CRASHED == 6 && VIR_DOMAIN_PMSUSPENDED == 7,
               "domain state numbering");
_Static_assert(VIR_DOMAIN_RUNNING_POSTCOPY == 10 && VIR_DOMAIN_PAUSED_MIGRATION == 2 &&
                       VIR_DOMAIN_PAUSED_POSTCOPY == 12,
               "domain state reason numbering");
/* The post-copy failure reasons came with libvirt 8.5 (RHEL 8 has 8.0);
 * stats.c knows their numbers whichever libvirt it was built with. */
#if LIBVIR_CHECK_VERSION(8, 5, 0)
_Static_assert(VIR_DOMAIN_RUNNING_POSTCOPY_FAILED == 11 && VIR_DOMAIN_PAUSED_POSTCOPY_FAILED == 13,
               "post-copy failure reason numbering");
#endif
_Static_assert(SAME(BD_EV_READABLE, VIR_EVENT_HANDLE_READABLE) && SAME(BD_EV_WRITABLE, VIR_EVENT_HANDLE_WRITABLE) &&
                       SAME(BD_EV_ERROR, VIR_EVENT_HANDLE_ERROR) && SAME(BD_EV_HANGUP, VIR_EVENT_HANDLE_HANGUP),
               "event handle flags");

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
        bd_uuid_index_free(&lv->facts_index);
        free(lv->params);
        free(lv->arm_doms);
        free(lv->arm_samples);
        free(lv->cfg);
        free(lv);
}

struct lv_backend *lv_ref(struct lv_backend *lv) {
        atomic_fetch_add(&lv->refs, 1);
        return lv;
}

/* Also libvirt's free callback of every registration. */
void lv_unref(void *opaque) {
        struct lv_backend *lv = opaque;

        if (atomic_fetch_sub(&lv->refs, 1) == 1)
                lv_destroy(lv);
}

static void quiet(void *userdata, virErrorPtr err) {
        (void)userdata;
        (void)err; /* errors are read with virGetLastError by the caller */
}

const char *lv_last_error(void) {
        virErrorPtr e = virGetLastError();

        return e && e->message ? e->message : "unknown libvirt error";
}

/* Sort libvirt's last error into a negative errno (backend.h). */
int lv_last_errno(void) {
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
int lv_uuid_string(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN]) {
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

static void disconnect(struct lv_backend *lv) {
        if (!lv->conn)
                return;
        lv_facts_clear(lv); /* the domain handles go with the connection */
        lv_unwatch_events(lv);
        virConnectClose(lv->conn);
        lv->conn = NULL;
}

/* Open the connection with keepalive, the close callback and domain events.
 * Domain ids may have been reused by a new libvirtd: facts are read again. */
static int connect_now(struct lv_backend *lv, char *why, size_t why_len) {
        const char *type;

        lv->conn = virConnectOpen(lv->uri);
        if (!lv->conn) {
                snprintf(why, why_len, "%s", lv_last_error());
                return -ENOTCONN;
        }
        type = virConnectGetType(lv->conn);
        lv->is_qemu = type && strcmp(type, "QEMU") == 0;
        lv->closed = false;
        lv->no_nowait = false;
        lv_facts_clear(lv);
        /* Every 5 s; dead after 3 unanswered: libvirtd hung or gone. Drivers
         * without keepalive (in-process test:///) say so; that is fine. */
        if (virConnectSetKeepAlive(lv->conn, 5, 3) < 0)
                bd_log(BD_LOG_DEBUG, "%s: no keepalive: %s", lv->uri, lv_last_error());
        lv_watch_events(lv);
        return 0;
}

/* A dead connection is closed and opened again, once per call. */
int lv_ensure_connected(struct lv_backend *lv, char *why, size_t why_len) {
        if (lv->conn && !lv->closed && virConnectIsAlive(lv->conn) == 1)
                return 0;
        disconnect(lv);
        return connect_now(lv, why, why_len);
}

static int lv_event_fd(struct bd_backend *b) {
        (void)b;
        return bd_evloop_fd();
}

static void lv_configure(struct bd_backend *b, const struct bd_config *cfg) {
        struct lv_backend *lv = (struct lv_backend *)b;

        /* Domains armed at another period keep theirs; ones a dry run left
         * alone are armed by the next collect once it is over, and so are
         * ones the configuration no longer excludes. */
        if (!lv->cfg && !(lv->cfg = malloc(sizeof(*lv->cfg))))
                abort(); /* out of memory is fatal */
        *lv->cfg = *cfg;
        lv->dry_run = cfg->dry_run;
}

static void lv_free(struct bd_backend *b) {
        struct lv_backend *lv = (struct lv_backend *)b;

        if (!lv)
                return;
        /* Calls still out end on their own, holding their domain (and so the
         * connection). Deregistering drops libvirt's references once no
         * callback runs; the backend goes with the last one. */
        lv_apply_done(lv);
        disconnect(lv);
        bd_evloop_flush();
        lv_unref(lv);
}

static const struct bd_backend_ops lv_ops = {
        .name = "libvirt",
        .collect = lv_collect,
        .sample_host = NULL,
        .set_target = lv_set_target,
        .set_targets = lv_set_targets,
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
