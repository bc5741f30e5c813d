/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the memory is: a ledger per VM and one for the host, every cycle,
 * and reclaim confirmed on the host (does the QEMU process's resident
 * memory follow balloond's shrinks?). Pure arithmetic over the cycle's
 * samples, decisions and history: the figures themselves are read by the
 * host layer (src/core/host.c, src/daemon/procmem.c). docs/LEDGER.md
 * defines each figure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/core/policy.h"

/* A measurement counts when the balloon moved at least this much. */
#define BD_RECLAIM_MIN_MOVED_KIB (16ULL * 1024)
/* Cycles a balloon holds its target before its process is measured. */
#define BD_RECLAIM_SETTLE_CYCLES 2
/* A series of shrinks is measured after this many cycles at the latest. */
#define BD_RECLAIM_MAX_AGE_CYCLES 30
/* Under this ratio (confirmed / moved, over the measurements) a VM whose
 * balloon moved at least BD_RECLAIM_LARGE_MOVE_KIB (or an eighth of its
 * maximum) in them is ineffective. */
#define BD_RECLAIM_INEFFECTIVE_RATIO 0.1
#define BD_RECLAIM_LARGE_MOVE_KIB (128ULL * 1024)
/* An ineffective VM is probed anew once this many guest reports in a row,
 * made while its balloon held its size, show its idle resident memory grown. */
#define BD_RECLAIM_PROBE_REPORTS 3
/* Each measurement weighs this much more than the one before it (1 / 0.8). */
#define BD_RECLAIM_DECAY 0.8

/* One VM's ledger (KiB; BD_KIB_UNKNOWN where unknown). */
struct bd_vm_ledger {
        uint64_t max_kib, target_kib, actual_kib;
        uint64_t guest_used_kib;   /* MemTotal - MemFree - cache, as the guest reported */
        uint64_t guest_free_kib;   /* MemFree */
        uint64_t guest_cache_kib;  /* page cache */
        uint64_t resident_kib;     /* the QEMU process's resident memory on the host */
        uint64_t host_swap_kib;    /* the QEMU process's memory the host swapped out */
        uint64_t ksm_kib;          /* its pages KSM merged with others: a balloon frees none of them */
        uint64_t not_resident_kib; /* actual - resident: free pages reported (FPR) or never touched */
        uint64_t reclaimable_kib;  /* host memory ballooning could still return (0 if it may not shrink) */
        uint64_t returned_kib;     /* host memory balloond's changes returned, confirmed */
        bool ratio_known;
        double ratio;              /* confirmed / balloon moved */
        bool fpr, deflate_on_oom, hugepages, shared_memory;
        bool holds_memory;         /* running or paused: it holds host memory */
        enum bd_ineffective ineffective;
};

/* The host line. */
struct bd_host_ledger {
        uint64_t ram_kib;          /* MemTotal */
        uint64_t free_kib;         /* MemAvailable */
        uint64_t vms_resident_kib; /* sum of the VMs' resident memory (known ones) */
        unsigned vms_resident_unknown; /* VMs holding memory whose resident memory is unknown */
        uint64_t swap_used_kib;    /* host swap in use, BD_KIB_UNKNOWN */
        uint64_t ksm_sharing_kib;  /* what KSM saves (pages_sharing), BD_KIB_UNKNOWN */
        uint64_t reclaimed_kib;    /* THE reclaimed figure: sum of the VMs' returned_kib */
        uint64_t reclaimable_kib;  /* sum of the VMs' reclaimable_kib */
        uint64_t ballooned_kib;    /* held in balloons: sum of entitled - actual over VMs holding memory */
        unsigned ineffective;      /* VMs whose shrinks return nothing to the host */
};

/* Why shrinking S returns nothing to the host as its XML says (hugepages,
 * host devices, locked memory), else the measured reason in H (may be NULL). */
enum bd_ineffective bd_ledger_ineffective(const struct bd_vm_sample *s, const struct bd_vm_history *h);

/* The host memory a shrink of S is expected to return per KiB (0..1): 0
 * when ineffective; the measured ratio (at least half the ineffective ratio)
 * once its measurements moved BD_RECLAIM_LARGE_MOVE_KIB or an eighth of its
 * maximum; else 1. */
double bd_ledger_gain(const struct bd_vm_sample *s, const struct bd_vm_history *h);
/* Is that gain measured (enough evidence), not the prior of 1? */
bool bd_ledger_gain_measured(const struct bd_vm_sample *s, const struct bd_vm_history *h);

/* Each cycle, before the policy decides on S (classify): close a
 * measurement whose balloon has settled (or that is old) and judge the VM;
 * a VM found ineffective whose resident memory grew again (in
 * BD_RECLAIM_PROBE_REPORTS reports in a row at one balloon size) is probed
 * anew. */
void bd_ledger_observe(struct bd_vm_history *h, const struct bd_vm_sample *s);

/* A change D was applied (bd_policy_note_applied): a shrink opens (or
 * extends) a measurement, a grow cancels it and gives back what it returned. */
void bd_ledger_note_applied(struct bd_vm_history *h, const struct bd_decision *d);

void bd_ledger_vm(const struct bd_vm_sample *s, const struct bd_decision *d, const struct bd_vm_history *h,
                  struct bd_vm_ledger *out);
void bd_ledger_host(const struct bd_host_sample *host, const struct bd_vm_sample *samples,
                    const struct bd_vm_ledger *vms, size_t n, struct bd_host_ledger *out);
