/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The random worlds of the policy property tests (test_policy_props.c):
 * a seeded PRNG (splitmix64), the interesting numbers, a small world of
 * guests (honest, hostile, greedy, excluded, blind, libvirt-shaped) on a host
 * whose numbers may be hostile too, and the guests' reports of each cycle
 * (props_world.c, props_guests.c). The promises checked on every cycle are
 * in props_check.h. */
#ifndef BALLOOND_TESTS_PROPS_WORLD_H
#define BALLOOND_TESTS_PROPS_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/core/policy.h"
#include "config_rules.h"
#include "balloond/core/stats.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define SEC 1000000ULL
#define M(mib) ((uint64_t)(mib) * MIB)
/* The leeway src/core/policy.c gives guest sizes against the balloon size. */
#define SLACK_KIB M(64)

#define DEFAULT_SEED 0x5eedba11d0c0ffeeULL
#define DEFAULT_ITERS 5000
#define CYCLES 40
#define MAX_VMS 16
#define N_INTERESTING 30

/* ---- seeded PRNG ------------------------------------------------------------ */

struct rng {
        uint64_t s;
};

uint64_t rnd(struct rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint64_t below(struct rng *r, uint64_t n);
uint64_t between(struct rng *r, uint64_t lo, uint64_t hi);
bool chance(struct rng *r, unsigned pct);

extern uint64_t g_seed;
extern unsigned long g_iters;
extern char g_where[160]; /* the world and cycle being checked, for messages */

/* P % of KIB, truncated, saturated at UINT64_MAX (2^64 does not fit). */
uint64_t pct(double p, uint64_t kib);

/* ---- interesting numbers -------------------------------------------------------- */

extern const uint64_t interesting_kib[N_INTERESTING];
uint64_t interesting(struct rng *r);
/* A hostile size: an interesting number, a random one, or one near REF. */
uint64_t hostile_kib(struct rng *r, uint64_t ref);

/* ---- the world -------------------------------------------------------------------- */

enum kind {
        K_HONEST = 0,
        K_HOSTILE,  /* any numbers at all, a new lie every cycle */
        K_GREEDY,   /* claims pressure every cycle: no free memory, swap-in and faults at full tilt */
        K_EXCLUDED, /* by state, devices, config rule, class or metadata; stats anything */
        K_BLIND,    /* never reports, stale, or reports impossible numbers */
        K_LIBVIRT,  /* hostile numbers through the libvirt-shaped conversion (src/core/stats.c) */
        K__COUNT,
};

extern const char *const kind_names[K__COUNT];

struct vm {
        enum kind kind;
        uint64_t used_kib;   /* what an honest guest really uses */
        int follow_pct;      /* how much of a change the balloon makes per cycle */
        int pause_left;      /* cycles it stays paused */
        bool frozen;         /* stats stopped */
        unsigned excl_how;   /* which exclusion */
        unsigned blind_how;  /* which blindness */
};

struct world {
        struct rng rng;
        struct bd_config cfg;
        size_t n;
        struct bd_vm_sample s[MAX_VMS];
        struct bd_vm_history h[MAX_VMS];
        struct bd_vm_history before[MAX_VMS]; /* history as it was before this cycle */
        struct bd_decision d[MAX_VMS];
        struct vm vm[MAX_VMS];
        struct bd_host_sample host;
        struct bd_host_state hs;
        struct bd_host_view view;
        enum bd_band prev_band;
        bool prev_seen;
        uint64_t now;
        int64_t wall;
        uint64_t host_total_kib;
        bool hostile_host;
        int cycle;
};

#define WALL0 1790000000LL

void vm_name(struct world *w, size_t i, const char *prefix);
void world_add(struct world *w, enum kind kind, uint64_t max_kib, uint64_t actual_kib, uint64_t used_kib);
void random_world(struct world *w, uint64_t seed);
uint64_t world_seed(unsigned long index);
/* The guests' reports and the host's numbers of this cycle. */
void observe(struct world *w);
/* The clock moves on (sometimes far, sometimes a step of the wall clock). */
void advance(struct world *w);

/* ---- the guests' reports (props_guests.c) ----------------------------------------- */

/* A guest that tells the truth about its used memory at its balloon size. */
void honest_stats(struct world *w, size_t i);
int64_t hostile_time(struct world *w);
/* One of the documented lies, or several at once. */
void hostile_stats(struct world *w, size_t i);
/* A guest claiming pressure every cycle, otherwise plausible. */
void greedy_stats(struct world *w, size_t i);
/* Numbers shaped as libvirt gives them, hostile, through src/core/stats.c. */
void libvirt_stats(struct world *w, size_t i);

#endif
