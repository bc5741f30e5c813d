/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker pool (include/balloond/daemon/workers.h). One lock, one queue;
 * a condition for "work queued" and one for "a job ended", on the monotonic
 * clock. Workers are detached: the pool is freed by the last of its owner
 * and its workers, so ending it never waits for a call that is stuck. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balloond/core/alloc.h"
#include "balloond/daemon/workers.h"

struct bd_workers {
        pthread_mutex_t lock;
        pthread_cond_t work; /* a job queued, or the pool ending */
        pthread_cond_t done; /* a job started or ended */
        struct bd_job *head, *tail;
        struct bd_job **batch; /* submitted since the last wait */
        size_t n_batch, cap_batch;
        unsigned base, max, threads, n_overran;
        unsigned refs; /* the owner's and one per worker */
        bool ending;
};

uint64_t bd_workers_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void destroy(struct bd_workers *w) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->done);
        free(w->batch);
        free(w);
}

/* More workers than the pool keeps for jobs that have not overrun. */
static bool surplus(const struct bd_workers *w) {
        return w->threads > w->base + w->n_overran;
}

static void run_one(struct bd_workers *w, struct bd_job *job) {
        job->state = BD_JOB_RUNNING;
        job->started_usec = bd_workers_now_usec();
        pthread_cond_broadcast(&w->done); /* a waiter times this call from now */
        pthread_mutex_unlock(&w->lock);
        job->run(job);
        pthread_mutex_lock(&w->lock);
        job->ended_usec = bd_workers_now_usec();
        job->state = BD_JOB_DONE;
        if (job->overran)
                w->n_overran--;
        pthread_cond_broadcast(&w->done);
        if (job->abandoned) {
                pthread_mutex_unlock(&w->lock);
                job->release(job);
                pthread_mutex_lock(&w->lock);
        }
}

static void *worker(void *arg) {
        struct bd_workers *w = arg;
        bool last;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                while (!w->head && !w->ending && !surplus(w))
                        pthread_cond_wait(&w->work, &w->lock);
                if (w->ending || !w->head)
                        break;
                struct bd_job *job = w->head;

                w->head = job->next;
                if (!w->head)
                        w->tail = NULL;
                run_one(w, job);
                if (surplus(w))
                        break;
        }
        w->threads--;
        last = --w->refs == 0;
        pthread_mutex_unlock(&w->lock);
        if (last)
                destroy(w);
        return NULL;
}

/* Start a worker (lock held). Returns false when none could be started. */
static bool spawn(struct bd_workers *w) {
        pthread_attr_t attr;
        pthread_t t;
        bool ok;

        if (w->threads >= w->max)
                return false;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        ok = pthread_create(&t, &attr, worker, w) == 0;
        pthread_attr_destroy(&attr);
        if (ok) {
                w->threads++;
                w->refs++;
        }
        return ok;
}

struct bd_workers *bd_workers_new(unsigned threads, unsigned max_threads) {
        struct bd_workers *w = calloc(1, sizeof(*w));
        pthread_condattr_t ca;

        if (!w)
                return NULL;
        pthread_mutex_init(&w->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->work, &ca);
        pthread_cond_init(&w->done, &ca);
        pthread_condattr_destroy(&ca);
        w->base = threads ? threads : 1;
        w->max = max_threads > w->base ? max_threads : w->base;
        w->refs = 1;
        return w;
}

void bd_workers_submit(struct bd_workers *w, struct bd_job *job) {
        pthread_mutex_lock(&w->lock);
        job->state = BD_JOB_QUEUED;
        job->overran = job->abandoned = false;
        job->started_usec = job->ended_usec = 0;
        job->next = NULL;
        w->batch = bd_grow_array(w->batch, &w->cap_batch, w->n_batch + 1, sizeof(*w->batch));
        w->batch[w->n_batch++] = job;
        while (w->threads < w->base + w->n_overran && spawn(w))
                ;
        if (w->threads == 0) { /* no thread at all: run it here */
                run_one(w, job);
                pthread_mutex_unlock(&w->lock);
                return;
        }
        if (w->tail)
                w->tail->next = job;
        else
                w->head = job;
        w->tail = job;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->lock);
}

static void withdraw_queued(struct bd_workers *w) {
        for (struct bd_job *j = w->head; j; j = j->next)
                j->state = BD_JOB_WITHDRAWN;
        w->head = w->tail = NULL;
}

/* One pass over the batch (lock held): marks overruns, withdraws queued
 * jobs when no worker can take them (every one held by a call past its
 * deadline, and no more may start) or past END_USEC; returns whether any
 * job is still to be waited for, and in *NEXT_USEC when the wait should
 * look again. */
static bool pending(struct bd_workers *w, uint64_t call_usec, uint64_t end_usec, uint64_t *next_usec) {
        uint64_t now = bd_workers_now_usec();
        bool waiting = false;

        *next_usec = end_usec;
        if (now >= end_usec)
                withdraw_queued(w);
        for (size_t i = 0; i < w->n_batch; i++) {
                struct bd_job *j = w->batch[i];

                if (j->state == BD_JOB_QUEUED) {
                        waiting = true;
                } else if (j->state == BD_JOB_RUNNING && !j->overran) {
                        if (now - j->started_usec >= call_usec) {
                                j->overran = true;
                                w->n_overran++;
                                if (w->head)
                                        (void)spawn(w); /* in its place, for the jobs still queued */
                        } else {
                                waiting = true;
                                if (j->started_usec + call_usec < *next_usec)
                                        *next_usec = j->started_usec + call_usec;
                        }
                }
        }
        if (w->head && w->n_overran >= w->threads && w->threads >= w->max) {
                withdraw_queued(w);
                return pending(w, call_usec, end_usec, next_usec);
        }
        return waiting;
}

unsigned bd_workers_wait(struct bd_workers *w, uint64_t call_usec, uint64_t total_usec) {
        uint64_t end = bd_workers_now_usec() + total_usec, next;
        unsigned overran = 0;

        pthread_mutex_lock(&w->lock);
        while (pending(w, call_usec, end, &next)) {
                struct timespec ts = { .tv_sec = (time_t)(next / 1000000), .tv_nsec = (long)(next % 1000000) * 1000 };

                (void)pthread_cond_timedwait(&w->done, &w->lock, &ts);
        }
        for (size_t i = 0; i < w->n_batch; i++)
                overran += w->batch[i]->state == BD_JOB_RUNNING;
        w->n_batch = 0;
        pthread_mutex_unlock(&w->lock);
        return overran;
}

enum bd_job_state bd_workers_state(struct bd_workers *w, const struct bd_job *job) {
        enum bd_job_state s;

        pthread_mutex_lock(&w->lock);
        s = job->state;
        pthread_mutex_unlock(&w->lock);
        return s;
}

void bd_workers_abandon(struct bd_workers *w, struct bd_job *job) {
        bool now;

        pthread_mutex_lock(&w->lock);
        now = job->state != BD_JOB_RUNNING;
        if (!now)
                job->abandoned = true;
        pthread_mutex_unlock(&w->lock);
        if (now)
                job->release(job);
}

void bd_workers_free(struct bd_workers *w) {
        bool last;

        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        withdraw_queued(w);
        w->n_batch = 0;
        w->ending = true;
        pthread_cond_broadcast(&w->work);
        last = --w->refs == 0;
        pthread_mutex_unlock(&w->lock);
        if (last)
                destroy(w);
}
