/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Seeded scenario families (`balloond-sim --generate`): the kinds of hosts
 * an administrator runs, any number of VMs, the same text for the same
 * family, seed, size and host. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct bd_gen_params {
        const char *family;  /* one of bd_gen_families() */
        uint64_t seed;
        size_t n_vms;        /* >= 1 */
        uint64_t host_gib;   /* 0: about 1.5 x overcommitted for N_VMS */
        uint64_t duration_sec; /* 0: 7200 */
};

/* NULL-terminated; bd_gen_describe gives each a line. */
const char *const *bd_gen_families(void);
const char *bd_gen_describe(const char *family);

/* The scenario as JSON text (malloc'd, *OUT) or -EINVAL with a message in
 * ERR (unknown family, no VMs, VMs larger than the host ...). */
int bd_generate(const struct bd_gen_params *p, char **out, char *err, size_t errlen);
