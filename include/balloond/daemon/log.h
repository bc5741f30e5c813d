/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: the journal (native protocol, with BALLOOND_* fields) when stderr
 * is connected to it or a socket is given, else plain lines on stderr. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "balloond/core/policy.h"
#include "balloond/core/sample.h"

/* syslog levels */
#define BD_LOG_ERR 3
#define BD_LOG_WARNING 4
#define BD_LOG_NOTICE 5
#define BD_LOG_INFO 6
#define BD_LOG_DEBUG 7

/* MESSAGE_IDs, one per kind of event; described in systemd/balloond.catalog. */
#define BD_MID_SHRINK "92dbe8d049164aeba27da90abc75f11c"
#define BD_MID_GROW "96c063d3d5ea4307b51bcaac6c06c5be"
#define BD_MID_EXCLUDED "eacce1a4caf84a8dbeb5191f2335bf02"
#define BD_MID_BLIND "e45c5e193b3c4c82b72a080167fe53dc"
#define BD_MID_STUCK "71cdd99033c2440780b4629c4d5bf9c9"
#define BD_MID_CONFIG_RELOADED "6c6e48468fe1498db0d4d94cc88c0d8f"
#define BD_MID_CONFIG_REJECTED "643afab0e59e4972b4885505bbc9b3ed"
#define BD_MID_CONNECTION_LOST "3074fa21ccd64cefb30031c371bfffb8"
#define BD_MID_CONNECTION_RESTORED "115db95a07f94740995fda89915b8797"
#define BD_MID_APPLY_FAILED "9c1a911e7072493c8bff9224da1e6b69"
#define BD_MID_NO_FREE_PAGE_REPORTING "5a31d7a6ad9349e79759409b691ba37e"
#define BD_MID_UNMET_DEMAND "d3b0f1c2a7e54e19b6c4f08e2a91c5d7"
#define BD_MID_INEFFECTIVE "cb73e9c53823468ca9f01e39bb8c1702"
#define BD_MID_GUEST_DEFLATED "4e0b8f5c1d2a4b7e9c3f6a8d2e1b0c95"
#define BD_MID_FOREIGN_TARGET "8a61c2d9e04f4b3a97d5c1e2f3a4b6c8"
#define BD_MID_WITHDRAWN "c7d2e9f1a3b54c6d8e0f1a2b3c4d5e6f"
#define BD_MID_BURST_MARGIN "1f9e8d7c6b5a4c3d2e1f0a9b8c7d6e5f"
#define BD_MID_NO_AUTODEFLATE "b5c4d3e2f1a04b9c8d7e6f5a4b3c2d1e"
#define BD_MID_STATS_INCOMPLETE "2a3b4c5d6e7f48a9b0c1d2e3f4a5b6c7"
#define BD_MID_MARGIN_SQUEEZE "2def74e702b54a1fb9904005cebfba68"
#define BD_MID_MARGINS_SHARED "baae7b2d8d194671ace6abd8ba1b44c8"

/* Choose the sink (journal if $JOURNAL_STREAM names our stderr) and the
 * highest level printed. */
void bd_log_setup(int max_level);
bool bd_log_to_journal(void);

void bd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An event of a kind with a MESSAGE_ID, about VM (may be NULL): in the
 * journal with BALLOOND_DOMAIN / BALLOOND_UUID / BALLOOND_REASON fields. */
void bd_log_event(int level, const char *message_id, const struct bd_vm_sample *vm,
                  enum bd_reason reason, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* One entry about N VMs (N >= 1) of a kind with a MESSAGE_ID, with no
 * reason: MESSAGE "WHAT: name, name, ... (and K more)" and, in the journal,
 * BALLOOND_VM_COUNT and one BALLOOND_DOMAIN and BALLOOND_UUID field per VM
 * (journalctl BALLOOND_DOMAIN=x finds it for any of them). */
void bd_log_vms(int level, const char *message_id, const struct bd_vm_sample *const *vms, size_t n,
                const char *what);

/* One entry for a decision, with MESSAGE for people and BALLOOND_* fields.
 * DRY_RUN says the change was only described. */
void bd_log_decision(const struct bd_vm_sample *vm, const struct bd_decision *d,
                     const struct bd_host_view *host, bool dry_run);
