/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host sampler: /proc/meminfo and /proc/pressure/memory. */
#pragma once

#include <stddef.h>

#include "balloond/core/sample.h"

/* Parse the text of a meminfo file (MemTotal, MemAvailable). Returns 0, or
 * -EINVAL when a required field is missing or malformed. */
int bd_host_parse_meminfo(const char *text, struct bd_host_sample *out);

/* Parse the text of /proc/pressure/memory (some/full avg10). Returns 0 or -EINVAL. */
int bd_host_parse_psi(const char *text, struct bd_host_sample *out);

/* Read MEMINFO_PATH (required) and PSI_PATH (optional: a missing or
 * unreadable file leaves psi_valid false and is not an error). */
int bd_host_sample_read(const char *meminfo_path, const char *psi_path,
                        struct bd_host_sample *out);
