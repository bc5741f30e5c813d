/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloond's configuration: defaults in code, overrides from a libconfig file.
 * Sizes are KiB in memory and MiB in the file (keys ending in _mib); times are
 * microseconds in memory and seconds in the file (keys ending in _sec). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

#define BD_DEFAULT_CONFIG_FILE "/etc/balloond/balloond.conf"
#define BD_URI_MAX 512
#define BD_PATH_MAX 512
#define BD_MATCH_MAX 128
#define BD_MAX_RULES 256
#define BD_MAX_CLASSES 16

/* How metrics name a VM (metrics.vm_labels). */
enum bd_vm_labels {
        BD_VM_LABELS_NAME = 0, /* domain="..." and uuid="..." */
        BD_VM_LABELS_UUID,     /* uuid="..." only: no VM name leaves balloond through metrics */
};

enum bd_blind_action {
        BD_BLIND_HOLD = 0, /* keep the balloon where it is */
        BD_BLIND_DEFLATE,  /* give the VM its memory back */
};

enum bd_match_kind {
        BD_MATCH_NAME = 0, /* shell glob on the domain name (fnmatch) */
        BD_MATCH_UUID,     /* exact UUID, case-insensitive */
};

/* A per-VM rule. Fields that the rule does not set are "unset" markers:
 * min_kib/max_kib 0, shares -1, exclude -1, class_tag "". The first rule
 * that matches a VM wins. */
struct bd_rule {
        enum bd_match_kind kind;
        char match[BD_MATCH_MAX];
        uint64_t min_kib;
        uint64_t max_kib;
        int shares;
        int exclude; /* -1 unset, 0 no, 1 yes */
        char class_tag[BD_CLASS_MAX];
        int line; /* source line, for messages */
};

struct bd_config {
        /* global */
        char connect_uri[BD_URI_MAX]; /* "qemu:///system"; "sim://" is the built-in simulated host */
        uint64_t interval_usec;       /* policy cycle [5 s] */
        int stats_period_sec;         /* period balloond arms on domains with period 0 [2 s] */
        bool dry_run;                 /* describe decisions, apply nothing [false] */
        bool restore_on_exit;         /* on SIGTERM, deflate every VM balloond shrank [false] */

        /* host */
        uint64_t host_reserve_kib;       /* kept free for the host [1 GiB] */
        double host_reserve_rescue_pct;  /* of it, what a guest about to run out may have for its floor [75] */
        uint64_t vm_budget_kib;          /* total the VMs may hold, 0 = no budget [0] */
        bool vm_budget_hard;             /* no grant passes the budget, not even an emergency [false] */
        uint64_t unavailable_kib;        /* RAM no VM can get, beyond hugetlb pools (taken out of the base) [0] */
        double relaxed_free_pct;         /* free >= this: relaxed, deflate toward max [30] */
        double pressure_free_pct;        /* free < this: pressure, reclaim [20] */
        double critical_free_pct;        /* free < this: critical [5] */
        double hysteresis_pct;           /* leave a band only this far past its edge [2] */
        double psi_critical_pct;         /* PSI full avg10 >= this: one band worse, never out of relaxed [10] */
        uint64_t host_shrink_cap_kib;    /* total shrink per cycle, whole host [1 GiB] */
        char meminfo_path[BD_PATH_MAX];  /* [/proc/meminfo] */
        char psi_path[BD_PATH_MAX];      /* the VMs' cgroup [/sys/fs/cgroup/machine.slice/memory.pressure] */

        /* guest */
        double margin_pct;               /* free margin, % of what the guest uses [20] */
        uint64_t margin_min_kib;         /* at least this free margin [256 MiB] */
        uint64_t min_kib;                /* default minimum balloon size [0 = none beyond the floor] */
        int shares;                      /* default shares [1000] */
        double idle_tax_pct;             /* ESXi idle memory tax [75] */
        double shrink_pct;               /* max shrink per VM per cycle, % of current [5] */
        uint64_t shrink_max_kib;         /* max shrink per VM per cycle [256 MiB] */
        uint64_t deadband_kib;           /* no change under this [16 MiB] ... */
        double deadband_pct;             /* ... or this % of current [0.25] */
        uint64_t cooldown_usec;          /* no change of a VM this soon after its last change [15 s] */
        uint64_t grow_hold_usec;         /* no shrink this soon after a pressure-driven grow [60 s] */
        uint64_t stats_slack_usec;       /* stale after 3 x stats period + this [5 s] */
        bool check_stats_age;            /* false only for drivers whose last-update never moves [true] */
        uint64_t stuck_after_usec;       /* balloon not moving toward target this long: stuck [10 s] */
        uint64_t stuck_retry_usec;       /* try a stuck balloon again after this [300 s] */
        uint64_t major_faults_per_sec;   /* guest major faults above this rate: guest pressure [200] */
        uint64_t swap_in_kib_per_sec;    /* guest swap-in above this rate: guest pressure [1024] */
        uint64_t claim_half_life_usec;   /* a guest's claim credit halves in this time [1800 s] */
        uint64_t frequent_claim_kib;     /* claim credit above this: a frequent claimer [2 GiB] */
        uint64_t swap_in_grow_kib;       /* grow at least this much on swap-in [256 MiB] */
        enum bd_blind_action blind_action; /* [hold] */
        uint64_t burst_half_life_usec;   /* a learned burst margin halves in this time [14400 s] */
        uint64_t burst_max_kib;          /* learned burst margin at most this, 0 = not learned [2 GiB] */
        uint64_t emergency_hold_usec;    /* no shrink this long after a guest took memory back from its balloon [1800 s] */
        uint64_t foreign_hold_usec;      /* leave a VM alone this long after someone else set its size [1800 s] */
        bool deflate_to_entitled;        /* relaxed deflation stops at the persistent <currentMemory> [true] */

        /* metrics (Prometheus) */
        char metrics_textfile_dir[BD_PATH_MAX]; /* node_exporter textfile collector directory, "" off [""] */
        char metrics_http_address[64];          /* HTTP endpoint address [127.0.0.1] */
        int metrics_http_port;                  /* HTTP endpoint port, 0 off [0] */
        enum bd_vm_labels metrics_vm_labels;    /* [name] */

        /* exclusions */
        char excluded_classes[BD_MAX_CLASSES][BD_CLASS_MAX]; /* ["database"] */
        size_t n_excluded_classes;
        struct bd_rule rules[BD_MAX_RULES];
        size_t n_rules;
};

/* One problem found in a config file, formatted as
 * "FILE:LINE: KEY: PROBLEM (VALID RANGE)". */
struct bd_config_error {
        char text[512];
};

struct bd_config_errors {
        struct bd_config_error *items;
        size_t n;
        size_t cap;
};

/* Fill with the compiled-in defaults. */
void bd_config_defaults(struct bd_config *c);

/* Parse PATH on top of the defaults. Every problem is appended to ERRS (all
 * of them, not just the first). Returns 0 and writes *OUT only when there is
 * none; -EINVAL when the file has errors; -ENOENT / -EACCES etc. when it
 * cannot be read (also described in ERRS). */
int bd_config_load(const char *path, struct bd_config *out, struct bd_config_errors *errs);

/* The same from a string; NAME is used in messages in place of a file name. */
int bd_config_load_string(const char *text, const char *name, struct bd_config *out,
                          struct bd_config_errors *errs);

void bd_config_errors_free(struct bd_config_errors *errs);

/* Append one formatted problem to ERRS (out of memory is fatal). */
void bd_config_errors_add(struct bd_config_errors *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The settings that apply to one VM after the rules. */
struct bd_vm_settings {
        bool excluded;          /* by a rule or by class */
        bool excluded_by_class; /* the reason was its class */
        const char *class_tag;  /* effective class ("" none): the rule's, else the VM's metadata */
        uint64_t min_kib;
        uint64_t max_kib;       /* 0 = the VM's own maximum */
        int shares;
        const struct bd_rule *rule; /* the rule that matched, or NULL */
};

/* Resolve the settings for VM (first matching rule, then class exclusions). */
void bd_config_vm_settings(const struct bd_config *c, const struct bd_vm_sample *vm,
                           struct bd_vm_settings *out);
