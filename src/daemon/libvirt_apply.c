/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt backend's apply: one virDomainSetMemoryFlags(AFFECT_LIVE)
 * per change, on the domain handle kept from the last bulk record (no
 * look-up), with the state that record gave (the cycle decides on running
 * domains only). A domain that began migrating since refuses the change
 * with an error sorted into a negative errno like any other (backend.h);
 * there is no separate state or job query.
 *
 * The calls run on a small worker pool (src/daemon/workers.c), each with a
 * deadline: a call that has not returned by then (QEMU waits up to 30 s for
 * a domain whose job is held) goes on in the background, its domain is
 * skipped (-EALREADY) until it returns, and its late result is logged at
 * the next apply. The main loop never waits longer than the deadlines, so
 * one wedged domain stalls neither the others nor the watchdog. Arming a
 * domain's balloon stats period (which needs its job in QEMU too) runs on
 * the same pool, the same way. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/core/alloc.h"
#include "balloond/daemon/log.h"
#include "balloond/daemon/workers.h"
#include "libvirt_internal.h"

#define WORKERS 4      /* calls in flight at once; libvirtd serves 5 per client by default */
#define WORKERS_MAX 16 /* with those started in place of overrunning calls */
/* The longest wait for one batch, in deadlines of one call: with the
 * longest deadline (3 s) the shrinks, the grows and the arming take at most
 * 36 s, under systemd's WatchdogSec=60. */
#define APPLY_WAIT_DEADLINES 4

enum job_kind {
        JOB_SET,  /* virDomainSetMemoryFlags(target_kib) */
        JOB_ARM,  /* virDomainSetMemoryStatsPeriod(period) */
};

struct lv_job {
        struct bd_job base;
        enum job_kind kind;
        int period;
        virDomainPtr dom; /* our reference */
        char name[BD_NAME_MAX];
        char uuid[VIR_UUID_STRING_BUFLEN];
        unsigned long target_kib;
        size_t req;       /* its request in the batch */
        int result;
        char err[BD_SET_ERR_MAX];
};

static void run_set(struct bd_job *j) {
        struct lv_job *job = (struct lv_job *)j;

        job->result = 0;
        if ((job->kind == JOB_SET ? virDomainSetMemoryFlags(job->dom, job->target_kib, VIR_DOMAIN_AFFECT_LIVE)
                                  : virDomainSetMemoryStatsPeriod(job->dom, job->period, VIR_DOMAIN_AFFECT_LIVE)) < 0) {
                snprintf(job->err, sizeof(job->err), "%s", lv_last_error());
                job->result = lv_last_errno();
        }
}

static void release_job(struct bd_job *j) {
        struct lv_job *job = (struct lv_job *)j;

        virDomainFree(job->dom);
        free(job);
}

/* Log and drop the calls that overran and have returned since. */
static void reap_overran(struct lv_backend *lv) {
        size_t kept = 0;

        for (size_t i = 0; i < lv->n_overran; i++) {
                struct lv_job *job = lv->overran[i];

                if (bd_workers_state(lv->workers, &job->base) != BD_JOB_DONE) {
                        lv->overran[kept++] = job;
                        continue;
                }
                if (job->kind == JOB_SET)
                        bd_log(BD_LOG_INFO, "%s: the late call setting its memory to %lu MiB returned after %.1f s: %s",
                               job->name, job->target_kib / 1024,
                               (double)(job->base.ended_usec - job->base.started_usec) / 1e6,
                               job->result < 0 ? job->err : "done");
                else /* arming is tried again by a later collect if it failed */
                        bd_log(BD_LOG_INFO, "%s: the late call arming its stats period returned after %.1f s: %s",
                               job->name, (double)(job->base.ended_usec - job->base.started_usec) / 1e6,
                               job->result < 0 ? job->err : "done");
                release_job(&job->base);
        }
        lv->n_overran = kept;
}

/* A job of KIND on DOM (whose reference it takes over), for VM. */
static struct lv_job *new_job(enum job_kind kind, virDomainPtr dom, const struct bd_vm_sample *vm) {
        struct lv_job *job = calloc(1, sizeof(*job));

        if (!job)
                abort(); /* out of memory is fatal */
        job->base.run = run_set;
        job->base.release = release_job;
        job->kind = kind;
        job->dom = dom;
        snprintf(job->name, sizeof(job->name), "%s", vm->name);
        snprintf(job->uuid, sizeof(job->uuid), "%s", vm->uuid);
        return job;
}

static bool overrunning(const struct lv_backend *lv, const char *uuid) {
        for (size_t i = 0; i < lv->n_overran; i++)
                if (strcmp(lv->overran[i]->uuid, uuid) == 0)
                        return true;
        return false;
}

bool lv_set_pending(const struct lv_backend *lv, const char *uuid) {
        for (size_t i = 0; i < lv->n_overran; i++)
                if (lv->overran[i]->kind == JOB_SET && strcmp(lv->overran[i]->uuid, uuid) == 0)
                        return true;
        return false;
}

/* A job for REQ, or NULL with REQ's result set (nothing to call). */
static struct lv_job *prepare(struct lv_backend *lv, struct bd_set_request *req) {
        const struct bd_vm_sample *vm = req->vm;
        struct dom_facts *f = lv_facts_find(lv, vm->uuid);
        virDomainPtr dom;
        struct lv_job *job;

        if (overrunning(lv, vm->uuid)) {
                snprintf(req->err, sizeof(req->err), "an earlier call setting its memory has not returned");
                req->result = -EALREADY;
                return NULL;
        }
        if (vm->state != BD_RUN_RUNNING) {
                snprintf(req->err, sizeof(req->err), "domain is %s", bd_run_state_to_string(vm->state));
                req->result = -ESTALE;
                return NULL;
        }
        if (req->target_kib == 0 || req->target_kib > ULONG_MAX) {
                snprintf(req->err, sizeof(req->err), "target %llu KiB out of range",
                         (unsigned long long)req->target_kib);
                req->result = -EINVAL;
                return NULL;
        }
        dom = f && f->dom && virDomainRef(f->dom) == 0 ? f->dom : virDomainLookupByUUIDString(lv->conn, vm->uuid);
        if (!dom) {
                snprintf(req->err, sizeof(req->err), "%s", lv_last_error());
                req->result = lv_last_errno();
                return NULL;
        }
        job = new_job(JOB_SET, dom, vm);
        job->target_kib = (unsigned long)req->target_kib;
        return job;
}

/* Keep JOB, which overran, until it returns. */
static void keep_overran(struct lv_backend *lv, struct lv_job *job) {
        lv->overran = bd_grow_array(lv->overran, &lv->cap_overran, lv->n_overran + 1, sizeof(*lv->overran));
        lv->overran[lv->n_overran++] = job;
}

/* JOB's outcome into its request; a job that overran is kept. */
static void settle(struct lv_backend *lv, struct lv_job *job, struct bd_set_request *req, uint64_t deadline_usec) {
        switch (bd_workers_state(lv->workers, &job->base)) {
        case BD_JOB_DONE:
                req->result = job->result;
                snprintf(req->err, sizeof(req->err), "%s", job->err);
                release_job(&job->base);
                break;
        case BD_JOB_WITHDRAWN:
        case BD_JOB_QUEUED:
                req->result = -EAGAIN;
                snprintf(req->err, sizeof(req->err), "not tried: calls to other domains held every worker");
                release_job(&job->base);
                break;
        default:
                req->result = -EINPROGRESS;
                snprintf(req->err, sizeof(req->err),
                         "no answer within %.1f s (is a job holding the domain?); the call goes on and the VM is "
                         "left alone until it returns", (double)deadline_usec / 1e6);
                keep_overran(lv, job);
                break;
        }
}

/* The pool, started on first use; the calls that overran and have since
 * returned, reported. */
static void start_apply(struct lv_backend *lv) {
        if (!lv->workers && !(lv->workers = bd_workers_new(WORKERS, WORKERS_MAX)))
                abort(); /* out of memory is fatal */
        reap_overran(lv);
}

/* ARM JOB's outcome: into its domain's facts and sample S. */
static void settle_arm(struct lv_backend *lv, struct lv_job *job, struct bd_vm_sample *s, uint64_t deadline_usec) {
        struct dom_facts *f;

        switch (bd_workers_state(lv->workers, &job->base)) {
        case BD_JOB_DONE:
                if ((f = lv_facts_find(lv, job->uuid)) != NULL) {
                        lv_arm_result(f, job->name, job->period, job->result, job->err);
                        s->stats_period_sec = f->stats_period > 0 ? f->stats_period : -1;
                }
                release_job(&job->base);
                break;
        case BD_JOB_WITHDRAWN:
        case BD_JOB_QUEUED:
                release_job(&job->base); /* tried again by the next collect */
                break;
        default:
                bd_log(BD_LOG_WARNING, "%s: arming its stats period: no answer within %.1f s (is a job holding "
                       "the domain?); the call goes on", job->name, (double)deadline_usec / 1e6);
                keep_overran(lv, job);
                break;
        }
}

void lv_arm_periods(struct lv_backend *lv, virDomainPtr *doms, struct bd_vm_sample **samples, size_t n) {
        uint64_t deadline = bd_set_deadline_usec(lv->cfg->interval_usec);
        struct lv_job **jobs = bd_resize_array(NULL, n, sizeof(*jobs));

        start_apply(lv);
        for (size_t i = 0; i < n; i++) {
                jobs[i] = NULL;
                if (overrunning(lv, samples[i]->uuid) || virDomainRef(doms[i]) < 0)
                        continue;
                jobs[i] = new_job(JOB_ARM, doms[i], samples[i]);
                jobs[i]->period = lv->cfg->stats_period_sec;
                bd_workers_submit(lv->workers, &jobs[i]->base);
        }
        (void)bd_workers_wait(lv->workers, deadline, APPLY_WAIT_DEADLINES * deadline);
        for (size_t i = 0; i < n; i++)
                if (jobs[i])
                        settle_arm(lv, jobs[i], samples[i], deadline);
        free(jobs);
}

void lv_set_targets(struct bd_backend *b, struct bd_set_request *reqs, size_t n, uint64_t deadline_usec) {
        struct lv_backend *lv = (struct lv_backend *)b;
        struct lv_job **jobs;

        start_apply(lv);
        if (!lv->conn) {
                for (size_t i = 0; i < n; i++) {
                        snprintf(reqs[i].err, sizeof(reqs[i].err), "not connected to %.200s", lv->uri);
                        reqs[i].result = -ENOTCONN;
                }
                return;
        }
        jobs = bd_resize_array(NULL, n ? n : 1, sizeof(*jobs));
        for (size_t i = 0; i < n; i++) {
                reqs[i].err[0] = '\0';
                jobs[i] = prepare(lv, &reqs[i]);
                if (jobs[i])
                        bd_workers_submit(lv->workers, &jobs[i]->base);
        }
        /* Bounded: a host-wide change of thousands of domains goes through
         * at 4 calls in flight; if every worker hangs, the rest waits for
         * the next cycle. */
        (void)bd_workers_wait(lv->workers, deadline_usec, APPLY_WAIT_DEADLINES * deadline_usec);
        for (size_t i = 0; i < n; i++)
                if (jobs[i])
                        settle(lv, jobs[i], &reqs[i], deadline_usec);
        free(jobs);
}

int lv_set_target(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t target_kib, char *err,
                  size_t err_len) {
        struct bd_set_request req = { .vm = vm, .target_kib = target_kib };

        lv_set_targets(b, &req, 1, BD_SET_DEADLINE_MAX_USEC);
        snprintf(err, err_len, "%s", req.err);
        return req.result;
}

/* The backend is going: calls still out are left to end on their own. */
void lv_apply_done(struct lv_backend *lv) {
        if (!lv->workers)
                return;
        for (size_t i = 0; i < lv->n_overran; i++)
                bd_workers_abandon(lv->workers, &lv->overran[i]->base);
        lv->n_overran = 0;
        free(lv->overran);
        lv->overran = NULL;
        bd_workers_free(lv->workers);
        lv->workers = NULL;
}
