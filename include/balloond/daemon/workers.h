/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small pool of worker threads for calls that may block (a libvirt call
 * on a domain whose job is held waits up to 30 s), with a deadline per
 * call: the caller submits jobs, then waits until each has returned or has
 * run past its deadline. A job past its deadline goes on in the
 * background (a blocked call cannot be cancelled); the pool starts another
 * thread in its place (up to a cap), and the caller asks later whether it
 * has returned. The main loop therefore never waits longer than the
 * deadlines it chose, and one stuck call does not hold up the others. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct bd_workers;

enum bd_job_state {
        BD_JOB_QUEUED,
        BD_JOB_RUNNING,
        BD_JOB_DONE,
        BD_JOB_WITHDRAWN, /* never started: no worker was free before the wait's end */
};

struct bd_job {
        void (*run)(struct bd_job *job);     /* on a worker thread */
        void (*release)(struct bd_job *job); /* frees a job its owner abandoned once it has run */
        /* the pool's (read them under bd_workers_state) */
        enum bd_job_state state;
        bool overran;
        bool abandoned;
        uint64_t started_usec, ended_usec; /* CLOCK_MONOTONIC */
        struct bd_job *next;
};

/* A pool of THREADS workers (started on first use), which may grow to
 * MAX_THREADS while jobs overrun. NULL when out of memory. */
struct bd_workers *bd_workers_new(unsigned threads, unsigned max_threads);
/* Queue JOB (its run and release set; the rest is the pool's). */
void bd_workers_submit(struct bd_workers *w, struct bd_job *job);
/* Wait until every job submitted since the last wait has returned or has
 * been running for CALL_USEC (overran); jobs not started are withdrawn
 * when every worker is held by a call that overran and no more may start,
 * or after TOTAL_USEC. Returns how many overran. */
unsigned bd_workers_wait(struct bd_workers *w, uint64_t call_usec, uint64_t total_usec);
/* JOB's state, read under the pool's lock. */
enum bd_job_state bd_workers_state(struct bd_workers *w, const struct bd_job *job);
/* Give JOB up: its release runs once it has returned (now, if it has). */
void bd_workers_abandon(struct bd_workers *w, struct bd_job *job);
/* End the pool: queued jobs are withdrawn (their owner still has them),
 * idle workers end, busy ones when their call returns. Never blocks on a
 * call. */
void bd_workers_free(struct bd_workers *w);
/* The monotonic clock, microseconds. */
uint64_t bd_workers_now_usec(void);
