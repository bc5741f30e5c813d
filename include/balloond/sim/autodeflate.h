/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Deflate-on-OOM in the simulated host (src/sim/autodeflate.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A guest whose balloon has autodeflate='on' (FLAGS has BD_VM_AUTODEFLATE)
 * and that needs NEED_KIB of memory where its balloon leaves *ACTUAL_KIB
 * takes pages back from the balloon (Linux's OOM notifier) instead of
 * running out of memory: *ACTUAL_KIB rises to what it needs, at most
 * MAX_KIB. Returns true when the guest was saved so (no OOM), false when it
 * has no deflate-on-OOM or the maximum is not enough. */
bool bd_sim_self_deflate(unsigned flags, uint64_t max_kib, uint64_t need_kib, uint64_t *actual_kib);
