/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host sampler: /proc/meminfo and /proc/pressure/memory. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

/* Parse the text of a meminfo file (MemTotal, MemAvailable). Returns 0, or
 * -EINVAL when a required field is missing or malformed. */
int bd_host_parse_meminfo(const char *text, struct bd_host_sample *out);

/* Parse the text of /proc/PID/status: VmRSS (required: -EINVAL without it)
 * and VmSwap (BD_KIB_UNKNOWN without it), in KiB. */
int bd_host_parse_proc_status(const char *text, uint64_t *rss_kib, uint64_t *swap_kib);

/* Read a file holding one decimal count (a sysfs or /proc counter). */
int bd_host_read_count(const char *path, uint64_t *out);

/* Read a whole small file into BUF (NUL-terminated); 0 or a negative errno. */
int bd_host_read_file(const char *path, char *buf, size_t size);

/* What KSM saves: PAGES_SHARING_PATH (/sys/kernel/mm/ksm/pages_sharing) x the
 * page size into out->ksm_sharing_kib, BD_KIB_UNKNOWN when unreadable. */
void bd_host_read_ksm(const char *pages_sharing_path, struct bd_host_sample *out);

/* Parse the text of /proc/pressure/memory (some/full avg10). Returns 0 or -EINVAL. */
int bd_host_parse_psi(const char *text, struct bd_host_sample *out);

/* Read MEMINFO_PATH (required) and PSI_PATH (optional: a missing or
 * unreadable file leaves psi_valid false and is not an error). */
int bd_host_sample_read(const char *meminfo_path, const char *psi_path,
                        struct bd_host_sample *out);
