/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: the journal (native protocol, with BALLOOND_* fields) when stderr
 * is connected to it or a socket is given, else plain lines on stderr. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "balloond/policy.h"
#include "balloond/sample.h"

/* syslog levels */
#define BD_LOG_ERR 3
#define BD_LOG_WARNING 4
#define BD_LOG_NOTICE 5
#define BD_LOG_INFO 6
#define BD_LOG_DEBUG 7

/* Choose the sink (journal if $JOURNAL_STREAM names our stderr) and the
 * highest level printed. */
void bd_log_setup(int max_level);
bool bd_log_to_journal(void);

void bd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One entry for a decision, with MESSAGE for people and BALLOOND_* fields.
 * DRY_RUN says the change was only described. */
void bd_log_decision(const struct bd_vm_sample *vm, const struct bd_decision *d,
                     const struct bd_host_view *host, bool dry_run);
