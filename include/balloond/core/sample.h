/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What balloond observes each cycle: one host sample and one sample per VM.
 * Plain structs, filled by the collectors (libvirt, simulated) and the host
 * sampler, read by the pure policy. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A guest-reported value that is absent, or reported as -1 / 2^64-1. */
#define BD_KIB_UNKNOWN UINT64_MAX
#define BD_COUNT_UNKNOWN UINT64_MAX
#define BD_TIME_UNKNOWN INT64_MIN

#define BD_NAME_MAX 128
#define BD_UUID_LEN 36
#define BD_CLASS_MAX 32

enum bd_run_state {
        BD_RUN_RUNNING = 0,
        BD_RUN_PAUSED,
        BD_RUN_SHUTOFF,
        BD_RUN_MIGRATING,
        BD_RUN_OTHER, /* crashed, pmsuspended, blocked, unknown */
};

/* Facts about a VM's configuration that decide whether its balloon may be
 * used at all (from the domain XML, read once per domain start). */
enum bd_vm_flag {
        BD_VM_NO_BALLOON = 1u << 0,         /* <memballoon model='none'/> */
        BD_VM_VFIO = 1u << 1,               /* PCI/mdev host device assigned */
        BD_VM_LOCKED = 1u << 2,             /* <memoryBacking><locked/> */
        BD_VM_HUGEPAGES = 1u << 3,          /* <memoryBacking><hugepages/> */
        BD_VM_TAG_EXCLUDE = 1u << 4,        /* balloond metadata says exclude */
        BD_VM_NO_FREE_PAGE_REPORTING = 1u << 5, /* balloon without freePageReporting */
        BD_VM_AUTODEFLATE = 1u << 6,        /* balloon with autodeflate='on' */
        BD_VM_UNSUPPORTED = 1u << 7,        /* hypervisor said setting memory is unsupported */
        BD_VM_SHARED_MEMORY = 1u << 8,      /* <memoryBacking><access mode='shared'/> or a file/memfd source */
        BD_VM_CONFIDENTIAL = 1u << 9,       /* <launchSecurity> (SEV, SEV-SNP, TDX, s390-pv): encrypted memory */
        BD_VM_VDPA = 1u << 10,               /* a vDPA interface or disk: guest memory pinned for its DMA */
        BD_VM_VIRTIO_MEM = 1u << 11,        /* a virtio-mem device: part of the maximum the balloon cannot reach */
        BD_VM_FACTS_UNKNOWN = 1u << 12,     /* its domain XML could not be read (yet): exclusions unknown */
        BD_VM_SET_PENDING = 1u << 13,       /* a call balloond made to set its balloon has not returned (yet): it may still land */
};

struct bd_vm_sample {
        char name[BD_NAME_MAX];
        char uuid[BD_UUID_LEN + 1];
        char class_tag[BD_CLASS_MAX]; /* class from the domain's balloond metadata, "" if none */
        enum bd_run_state state;
        unsigned flags; /* enum bd_vm_flag */

        uint64_t max_kib;    /* balloon maximum (domain's <memory>) */
        /* What the administrator set the VM to hold (the persistent
         * <currentMemory>): what balloond owes it. BD_KIB_UNKNOWN when
         * unknown (max_kib stands in). actual < entitled: balloond holds
         * memory of it, whichever balloond process shrank it. */
        uint64_t entitled_kib;
        uint64_t actual_kib; /* balloon current size, live from the hypervisor */

        /* Guest-reported statistics; BD_KIB_UNKNOWN / BD_COUNT_UNKNOWN when missing. */
        uint64_t available_kib;   /* guest MemTotal (NOT free memory) */
        uint64_t unused_kib;      /* guest MemFree */
        uint64_t usable_kib;      /* guest MemAvailable: the guest's free memory */
        uint64_t disk_caches_kib; /* guest page cache */
        uint64_t swap_in_kib;     /* cumulative */
        uint64_t swap_out_kib;    /* cumulative */
        uint64_t major_faults;    /* cumulative */
        int64_t last_update_sec;  /* host wall clock of the guest's last report, BD_TIME_UNKNOWN if never */
        int stats_period_sec;     /* the balloon's stats period as last seen, -1 unknown */

        /* The hypervisor process on the host (the ledger; BD_KIB_UNKNOWN
         * when unknown): its resident memory (/proc/PID/status VmRSS, else
         * libvirt's balloon.rss), its memory the host swapped out (VmSwap)
         * and its pages KSM merged (/proc/PID/ksm_merging_pages). */
        uint64_t rss_kib;
        uint64_t host_swap_kib;
        uint64_t ksm_kib;
};

struct bd_host_sample {
        uint64_t mem_total_kib;
        uint64_t mem_available_kib;
        /* Hugetlb pools (meminfo "Hugetlb", else HugePages_Total x
         * Hugepagesize): in MemTotal, never in MemAvailable, never a
         * balloon's to take or give. 0 when none or unknown. */
        uint64_t hugetlb_kib;
        /* The ledger's host line (BD_KIB_UNKNOWN when unknown): swap in use
         * (SwapTotal - SwapFree) and what KSM saves (pages_sharing). */
        uint64_t swap_used_kib;
        uint64_t ksm_sharing_kib;
        bool psi_valid; /* the VMs' cgroup memory.pressure (psi_path) was readable */
        double psi_some_avg10_pct;
        double psi_full_avg10_pct;
};

/* Clear a VM sample to "nothing known". */
void bd_vm_sample_init(struct bd_vm_sample *s);

const char *bd_run_state_to_string(enum bd_run_state s);

/* Is C a class name: 1 to BD_CLASS_MAX - 1 characters of a-z, 0-9, _ and -? */
bool bd_class_valid(const char *c);
