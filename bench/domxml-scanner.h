/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The retired tag scanner's three reads (bench/domxml-scanner.c), for
 * bench-domxml's comparison only. */
#pragma once

#include <stdint.h>

#include "balloond/core/domxml.h"

int scanner_facts(const char *xml, unsigned *flags, char *class_tag);
int scanner_memory_kib(const char *xml, uint64_t *out);
int scanner_stats_period(const char *xml);
