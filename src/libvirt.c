/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend: the only module that talks to libvirt.
 *
 * Collect: one virConnectGetAllDomainStats(STATE | BALLOON) per cycle. A
 * driver that returns no balloon fields (libvirt's test driver) gets the
 * per-domain virDomainMemoryStats fallback for its running domains. What the
 * domain XML says (balloon device, host devices, memory backing, balloond
 * metadata, stats period) is read once per domain start and cached by UUID
 * and domain id, so the steady state costs no per-domain round trip. Running
 * domains whose balloon stats period is 0 get it armed once.
 *
 * Apply: re-check the domain (running, no job such as a migration under
 * way), then virDomainSetMemoryFlags(AFFECT_LIVE). libvirt's errors are
 * sorted into negative errnos (see backend.h).
 *
 * Events: libvirt's default event loop runs in a thread of its own (it
 * drives keepalive, the close callback and domain lifecycle events). Its
 * callbacks only note what happened and write a byte to a pipe; the main
 * loop watches the pipe and handles the events on its own thread
 * (bd_backend_ops.handle_events): a domain that starts gets its stats period
 * armed at once, a closed connection is reported and reopened by the next
 * collect. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "balloond/backend.h"
#include "balloond/domxml.h"
#include "balloond/log.h"
#include "balloond/stats.h"

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
                       SAME(BD_MEMSTAT_ACTUAL_BALLOON, VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) &&
                       SAME(BD_MEMSTAT_USABLE, VIR_DOMAIN_MEMORY_STAT_USABLE) &&
                       SAME(BD_MEMSTAT_LAST_UPDATE, VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE) &&
                       SAME(BD_MEMSTAT_DISK_CACHES, VIR_DOMAIN_MEMORY_STAT_DISK_CACHES),
               "memory stat numbering");

/* What the domain XML told us, per domain start. */
struct dom_facts {
        char uuid[VIR_UUID_STRING_BUFLEN];
        unsigned id;        /* domain id when read; -1 for an inactive domain */
        unsigned flags;
        char class_tag[BD_CLASS_MAX];
        int stats_period;   /* -1 no balloon; 0 none armed */
        uint64_t max_kib;   /* <memory>, BD_KIB_UNKNOWN if unreadable */
        bool arm_failed;    /* setting the stats period is not supported */
        bool seen;          /* in this cycle's records */
};

struct lv_backend {
        struct bd_backend base;
        char uri[BD_URI_MAX];
        int arm_period_sec;
        virConnectPtr conn;
        struct bd_vm_sample *samples;
        size_t cap_samples;
        struct dom_facts *facts;
        size_t n_facts, cap_facts;
        struct bd_param *params;
        size_t cap_params;
        /* events (see the top of the file) */
        int pipe_fds[2];
        atomic_bool closed;           /* the close callback fired */
        pthread_mutex_t lock;         /* guards started[] */
        char started[64][VIR_UUID_STRING_BUFLEN];
        size_t n_started;
        bool started_overflow;
        int lifecycle_id;
};

/* libvirt's event loop: one per process, started with the first backend. */
static pthread_once_t loop_once = PTHREAD_ONCE_INIT;
static int loop_error;

static void *run_loop(void *arg) {
        (void)arg;
        for (;;)
                if (virEventRunDefaultImpl() < 0)
                        bd_log(BD_LOG_DEBUG, "libvirt event loop: %s", virGetLastErrorMessage());
        return NULL;
}

static void start_loop(void) {
        pthread_t t;
        pthread_attr_t attr;

        if (virEventRegisterDefaultImpl() < 0) {
                loop_error = -EIO;
                return;
        }
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        loop_error = -pthread_create(&t, &attr, run_loop, NULL);
        pthread_attr_destroy(&attr);
}

static void poke(struct lv_backend *lv, char what) {
        ssize_t k = write(lv->pipe_fds[1], &what, 1);

        (void)k; /* a full pipe already has a wake-up pending */
}

/* Runs on the event loop thread. */
static void on_close(virConnectPtr conn, int reason, void *opaque) {
        struct lv_backend *lv = opaque;

        (void)conn;
        (void)reason;
        atomic_store(&lv->closed, true);
        poke(lv, 'c');
}

/* Runs on the event loop thread. */
static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        struct lv_backend *lv = opaque;
        char uuid[VIR_UUID_STRING_BUFLEN];

        (void)conn;
        (void)detail;
        if (event != VIR_DOMAIN_EVENT_STARTED && event != VIR_DOMAIN_EVENT_RESUMED)
                return 0;
        if (virDomainGetUUIDString(dom, uuid) < 0)
                return 0;
        pthread_mutex_lock(&lv->lock);
        if (lv->n_started < sizeof(lv->started) / sizeof(lv->started[0]))
                memcpy(lv->started[lv->n_started++], uuid, sizeof(uuid));
        else
                lv->started_overflow = true; /* the next collect arms them */
        pthread_mutex_unlock(&lv->lock);
        poke(lv, 'l');
        return 0;
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

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
        void *q;

        if (need <= *cap)
                return p;
        *cap = need + need / 2 + 8;
        q = reallocarray(p, *cap, size);
        if (!q)
                abort(); /* out of memory is fatal */
        return q;
}

/* The facts of UUID. libvirt lists domains in the same order cycle after
 * cycle, so HINT (the record's position) is tried first: O(1) in the steady
 * state, a search only when domains come and go. */
static struct dom_facts *facts_for(struct lv_backend *lv, const char *uuid, size_t hint) {
        struct dom_facts *f;

        if (hint < lv->n_facts && strcmp(lv->facts[hint].uuid, uuid) == 0)
                return &lv->facts[hint];
        for (size_t i = 0; i < lv->n_facts; i++)
                if (strcmp(lv->facts[i].uuid, uuid) == 0)
                        return &lv->facts[i];
        lv->facts = grow(lv->facts, &lv->cap_facts, lv->n_facts + 1, sizeof(*lv->facts));
        f = &lv->facts[lv->n_facts++];
        memset(f, 0, sizeof(*f));
        snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
        f->id = (unsigned)-2; /* never read */
        f->max_kib = BD_KIB_UNKNOWN;
        return f;
}

/* Read the XML facts of DOM when it is new or was restarted. */
static void refresh_facts(virDomainPtr dom, struct dom_facts *f) {
        unsigned id = virDomainGetID(dom);
        char *xml;

        if (f->id == id)
                return;
        xml = virDomainGetXMLDesc(dom, 0);
        if (!xml) {
                bd_log(BD_LOG_DEBUG, "%s: cannot read its XML: %s", virDomainGetName(dom), last_error());
                return; /* tried again next cycle */
        }
        f->flags = 0;
        f->class_tag[0] = '\0';
        if (bd_domxml_facts(xml, &f->flags, f->class_tag) < 0)
                bd_log(BD_LOG_WARNING, "%s: its XML is not a domain description", virDomainGetName(dom));
        f->stats_period = bd_domxml_stats_period(xml);
        if (bd_domxml_memory_kib(xml, &f->max_kib) < 0)
                f->max_kib = BD_KIB_UNKNOWN;
        f->id = id;
        f->arm_failed = false;
        free(xml);
}

static void arm_stats_period(struct lv_backend *lv, virDomainPtr dom, struct dom_facts *f) {
        if (f->stats_period != 0 || f->arm_failed)
                return;
        if (virDomainSetMemoryStatsPeriod(dom, lv->arm_period_sec, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                f->arm_failed = true;
                bd_log(BD_LOG_INFO, "%s: cannot arm its balloon stats period: %s", virDomainGetName(dom),
                       last_error());
                return;
        }
        f->stats_period = lv->arm_period_sec;
        bd_log(BD_LOG_INFO, "%s: balloon stats period armed at %d s", virDomainGetName(dom),
               lv->arm_period_sec);
}

/* The per-domain fallback for drivers without bulk balloon stats: one
 * round trip (the maximum comes from the cached XML). */
static void memstats_fallback(virDomainPtr dom, const struct dom_facts *f, struct bd_vm_sample *s) {
        virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
        struct bd_memstat ms[VIR_DOMAIN_MEMORY_STAT_NR];
        int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

        for (int i = 0; i < n; i++) {
                ms[i].tag = st[i].tag;
                ms[i].val = st[i].val;
        }
        if (n > 0)
                bd_stats_from_memstats(ms, (size_t)n, s);
        if (s->max_kib == BD_KIB_UNKNOWN)
                s->max_kib = f->max_kib;
}

static void convert_params(struct lv_backend *lv, virDomainStatsRecordPtr rec) {
        lv->params = grow(lv->params, &lv->cap_params, (size_t)rec->nparams, sizeof(*lv->params));
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
        if (lv->lifecycle_id >= 0)
                virConnectDomainEventDeregisterAny(lv->conn, lv->lifecycle_id);
        lv->lifecycle_id = -1;
        virConnectUnregisterCloseCallback(lv->conn, on_close);
        virConnectClose(lv->conn);
        lv->conn = NULL;
}

/* Open the connection with keepalive, the close callback and lifecycle
 * events. Domain ids may have been reused by a new libvirtd: facts are read
 * again. */
static int connect_now(struct lv_backend *lv, char *why, size_t why_len) {
        lv->conn = virConnectOpen(lv->uri);
        if (!lv->conn) {
                snprintf(why, why_len, "%s", last_error());
                return -ENOTCONN;
        }
        atomic_store(&lv->closed, false);
        lv->n_facts = 0;
        /* Every 5 s; dead after 3 unanswered: libvirtd hung or gone. Drivers
         * without keepalive (in-process test:///) say so; that is fine. */
        if (virConnectSetKeepAlive(lv->conn, 5, 3) < 0)
                bd_log(BD_LOG_DEBUG, "%s: no keepalive: %s", lv->uri, last_error());
        if (virConnectRegisterCloseCallback(lv->conn, on_close, lv, NULL) < 0)
                bd_log(BD_LOG_DEBUG, "%s: no close callback: %s", lv->uri, last_error());
        lv->lifecycle_id = virConnectDomainEventRegisterAny(lv->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                            VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), lv, NULL);
        if (lv->lifecycle_id < 0)
                bd_log(BD_LOG_DEBUG, "%s: no lifecycle events: %s", lv->uri, last_error());
        return 0;
}

static int ensure_connected(struct lv_backend *lv, char *why, size_t why_len) {
        if (lv->conn && !atomic_load(&lv->closed) && virConnectIsAlive(lv->conn) == 1)
                return 0;
        disconnect(lv);
        return connect_now(lv, why, why_len);
}

static int lv_collect(struct bd_backend *b, uint64_t now_usec, int64_t now_wall_sec,
                      const struct bd_vm_sample **out, size_t *n_out) {
        struct lv_backend *lv = (struct lv_backend *)b;
        virDomainStatsRecordPtr *recs = NULL;
        char why[256];
        size_t kept = 0;
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
        lv->samples = grow(lv->samples, &lv->cap_samples, (size_t)n, sizeof(*lv->samples));
        for (size_t i = 0; i < lv->n_facts; i++)
                lv->facts[i].seen = false;
        for (int i = 0; i < n; i++) {
                virDomainPtr dom = recs[i]->dom;
                struct bd_vm_sample *s = &lv->samples[i];
                char uuid[VIR_UUID_STRING_BUFLEN];
                struct dom_facts *f;
                const char *name = virDomainGetName(dom);

                if (!name || uuid_string(dom, uuid) < 0)
                        continue;
                bd_vm_sample_init(s);
                snprintf(s->name, sizeof(s->name), "%s", name);
                snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
                convert_params(lv, recs[i]);
                bd_stats_from_params(lv->params, (size_t)recs[i]->nparams, s);
                f = facts_for(lv, uuid, (size_t)i);
                f->seen = true;
                if (s->state == BD_RUN_RUNNING || s->state == BD_RUN_PAUSED || s->state == BD_RUN_MIGRATING) {
                        refresh_facts(dom, f);
                        if (s->state == BD_RUN_RUNNING && !(f->flags & BD_VM_NO_BALLOON)) {
                                arm_stats_period(lv, dom, f);
                                if (!has_field(lv, recs[i]->nparams, "balloon.current"))
                                        memstats_fallback(dom, f, s);
                        }
                }
                s->flags = f->flags;
                snprintf(s->class_tag, sizeof(s->class_tag), "%s", f->class_tag);
                s->stats_period_sec = f->stats_period > 0 ? f->stats_period : -1;
                lv->samples[kept++] = *s;
        }
        virDomainStatsRecordListFree(recs);
        /* Forget the facts of domains that are gone. */
        {
                size_t kept_facts = 0;

                for (size_t i = 0; i < lv->n_facts; i++)
                        if (lv->facts[i].seen)
                                lv->facts[kept_facts++] = lv->facts[i];
                lv->n_facts = kept_facts;
        }
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

        if (!lv->conn)
                return -ENOTCONN;
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
                snprintf(err, err_len, "domain is %s now",
                         bd_run_state_to_string(bd_stats_run_state(state, reason)));
                r = -ESTALE;
                goto out;
        }
        if (virDomainGetJobInfo(dom, &job) == 0 && job.type != VIR_DOMAIN_JOB_NONE) {
                snprintf(err, err_len, "a job (migration, save, dump) is under way");
                r = -EBUSY;
                goto out;
        }
        if (target_kib == 0 || target_kib > ULONG_MAX) {
                snprintf(err, err_len, "target %llu KiB out of range", (unsigned long long)target_kib);
                r = -EINVAL;
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
        return ((struct lv_backend *)b)->pipe_fds[0];
}

/* On the main thread: drain the pipe, arm the stats period of domains that
 * just started. Returns BD_EVENT_* bits. */
static unsigned lv_handle_events(struct bd_backend *b) {
        struct lv_backend *lv = (struct lv_backend *)b;
        char buf[64], started[64][VIR_UUID_STRING_BUFLEN];
        size_t n;
        unsigned events = 0;

        while (read(lv->pipe_fds[0], buf, sizeof(buf)) > 0)
                ;
        if (atomic_load(&lv->closed))
                events |= BD_EVENT_CLOSED;
        pthread_mutex_lock(&lv->lock);
        n = lv->n_started;
        memcpy(started, lv->started, n * sizeof(started[0]));
        lv->n_started = 0;
        lv->started_overflow = false;
        pthread_mutex_unlock(&lv->lock);
        for (size_t i = 0; i < n && lv->conn && !(events & BD_EVENT_CLOSED); i++) {
                virDomainPtr dom = virDomainLookupByUUIDString(lv->conn, started[i]);
                struct dom_facts *f;

                if (!dom)
                        continue;
                f = facts_for(lv, started[i], SIZE_MAX);
                f->seen = true;
                refresh_facts(dom, f);
                if (!(f->flags & BD_VM_NO_BALLOON))
                        arm_stats_period(lv, dom, f);
                bd_log(BD_LOG_DEBUG, "%s started", virDomainGetName(dom));
                virDomainFree(dom);
                events |= BD_EVENT_DOMAINS;
        }
        return events;
}

static void lv_free(struct bd_backend *b) {
        struct lv_backend *lv = (struct lv_backend *)b;

        if (!lv)
                return;
        disconnect(lv);
        /* The event loop thread may still hold a callback's opaque pointer
         * for a moment after deregistration: the pipe is closed, the
         * struct freed, only once the connection is gone. */
        close(lv->pipe_fds[0]);
        close(lv->pipe_fds[1]);
        pthread_mutex_destroy(&lv->lock);
        free(lv->samples);
        free(lv->facts);
        free(lv->params);
        free(lv);
}

static const struct bd_backend_ops lv_ops = {
        .name = "libvirt",
        .collect = lv_collect,
        .sample_host = NULL,
        .set_target = lv_set_target,
        .event_fd = lv_event_fd,
        .handle_events = lv_handle_events,
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
        pthread_once(&loop_once, start_loop);
        if (loop_error < 0) {
                snprintf(err, err_len, "cannot start libvirt's event loop: %s", strerror(-loop_error));
                return loop_error;
        }
        lv = calloc(1, sizeof(*lv));
        if (!lv)
                return -ENOMEM;
        lv->base.ops = &lv_ops;
        lv->lifecycle_id = -1;
        snprintf(lv->uri, sizeof(lv->uri), "%s", uri);
        lv->arm_period_sec = cfg->stats_period_sec;
        if (pipe2(lv->pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) {
                r = -errno;
                free(lv);
                return r;
        }
        pthread_mutex_init(&lv->lock, NULL);
        r = connect_now(lv, err, err_len);
        if (r < 0) {
                lv_free(&lv->base);
                return r;
        }
        *out = &lv->base;
        return 0;
}
