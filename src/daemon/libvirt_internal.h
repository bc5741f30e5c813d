/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend's insides, shared by its files (and by no other
 * module: these and src/daemon/libvirt*.c are the only ones that include
 * libvirt's headers):
 *   libvirt.c         the backend: connection, keepalive, close callback,
 *                     the operations table, libvirt's errors sorted
 *   libvirt_facts.c   what each domain's XML says, cached per domain start,
 *                     and arming the balloon's stats period
 *   libvirt_stats.c   collect: the bulk stats call and its per-domain fallback
 *   libvirt_apply.c   set targets: one virDomainSetMemoryFlags per change,
 *                     on a worker pool with a deadline per call
 *   libvirt_events.c  domain events: noted by callbacks, acted on by
 *                     handle_events */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "balloond/core/config.h"
#include "balloond/core/domxml.h"
#include "balloond/core/stats.h"
#include "balloond/core/uuid_index.h"
#include "balloond/daemon/backend.h"

/* What the domain XML told us, per domain start. */
#define FACTS_UNREAD ((unsigned)-2) /* never read (an inactive domain's id is -1) */
#define ARM_ATTEMPTS 3              /* transient failures before giving up on a domain start */

struct dom_facts {
        char uuid[VIR_UUID_STRING_BUFLEN];
        virDomainPtr dom;   /* from the last bulk record (our reference), NULL if none */
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

struct bd_workers;
struct lv_job;

struct lv_backend {
        struct bd_backend base;
        atomic_int refs; /* the owner's, plus one per registered domain event callback */
        char uri[BD_URI_MAX];
        struct bd_config *cfg; /* the running configuration (a copy): which VMs balloond may manage */
        bool dry_run;          /* change nothing: stats periods are not armed either */
        virConnectPtr conn;
        bool no_nowait;        /* the driver refused VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT */
        struct bd_vm_sample *samples;
        size_t cap_samples;
        struct dom_facts *facts;
        size_t n_facts, cap_facts;
        struct bd_uuid_index facts_index; /* UUID -> facts */
        struct bd_param *params;
        size_t cap_params;
        virDomainPtr *arm_doms; /* this collect's domains whose stats period is to be armed */
        struct bd_vm_sample **arm_samples;
        size_t n_arm, cap_arm_doms, cap_arm_samples;
        /* applying (libvirt_apply.c) */
        struct bd_workers *workers;
        struct lv_job **overran; /* calls past their deadline, not yet returned */
        size_t n_overran, cap_overran;
        /* events (libvirt_events.c) */
        atomic_bool closed;    /* the close callback fired (maybe on a worker thread) */
        struct pending pending[MAX_PENDING];
        size_t n_pending;
        bool overflow;         /* events were dropped: read every domain's XML again */
        int event_ids[4];      /* domain event callbacks, -1 unused */
        bool close_registered;
        bool is_qemu;          /* the connection's driver runs QEMU processes (the ledger reads them) */
};

/* libvirt.c */
const char *lv_last_error(void);
int lv_last_errno(void);
int lv_uuid_string(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN]);
struct lv_backend *lv_ref(struct lv_backend *lv);
void lv_unref(void *opaque);
int lv_ensure_connected(struct lv_backend *lv, char *why, size_t why_len);

/* libvirt_facts.c */
struct dom_facts *lv_facts_find(struct lv_backend *lv, const char *uuid);
struct dom_facts *lv_facts_for(struct lv_backend *lv, const char *uuid);
void lv_facts_forget_unseen(struct lv_backend *lv);
void lv_facts_clear(struct lv_backend *lv);
int lv_refresh_facts(virDomainPtr dom, struct dom_facts *f, bool force);
void lv_refresh_defined(virDomainPtr dom, struct dom_facts *f);
bool lv_arm_wanted(struct lv_backend *lv, struct dom_facts *f, const struct bd_vm_sample *s);
void lv_arm_result(struct dom_facts *f, const char *name, int period, int r, const char *err);
void lv_facts_to_sample(const struct dom_facts *f, struct bd_vm_sample *s);

/* libvirt_stats.c */
int lv_collect(struct bd_backend *b, uint64_t now_usec, int64_t now_wall_sec, const struct bd_vm_sample **out,
               size_t *n_out);

/* libvirt_apply.c */
int lv_set_target(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t target_kib, char *err,
                  size_t err_len);
void lv_set_targets(struct bd_backend *b, struct bd_set_request *reqs, size_t n, uint64_t deadline_usec);
/* Arm the stats period of running domains DOMS (each with its sample in
 * SAMPLES, updated when armed), on the worker pool. */
void lv_arm_periods(struct lv_backend *lv, virDomainPtr *doms, struct bd_vm_sample **samples, size_t n);
/* Has a call setting UUID's memory overrun its deadline and not been seen
 * back yet (it may still land)? */
bool lv_set_pending(const struct lv_backend *lv, const char *uuid);
void lv_apply_done(struct lv_backend *lv);

/* libvirt_events.c */
void lv_on_close(virConnectPtr conn, int reason, void *opaque);
void lv_watch_events(struct lv_backend *lv);
void lv_unwatch_events(struct lv_backend *lv);
unsigned lv_handle_events(struct bd_backend *b);
