/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Deflate-on-OOM in the simulated host: a guest with autodeflate='on' that
 * runs short takes pages back from its balloon before its kernel would kill
 * anything. The hypervisor's target stays where it was (QEMU does not move
 * it); the balloon's size rises, which is what balloond sees. Kept out of
 * model.c, which calls it where a guest would otherwise count an OOM. */
#include "balloond/sim/autodeflate.h"

#include "balloond/core/sample.h"

bool bd_sim_self_deflate(unsigned flags, uint64_t max_kib, uint64_t need_kib, uint64_t *actual_kib) {
        if (!(flags & BD_VM_AUTODEFLATE) || need_kib > max_kib)
                return false;
        if (*actual_kib < need_kib)
                *actual_kib = need_kib;
        return true;
}
