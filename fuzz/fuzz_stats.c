/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: stats conversion (libvirt typed parameters and memory
 * stats -> struct bd_vm_sample; "state.state" and "state.reason" reach
 * bd_stats_run_state with any values), then the policy's input path: the sanity
 * check of a guest report and two policy cycles over the samples.
 *
 * Input (every read past the end gives zeros):
 *   header, 20 bytes:
 *     u8  flags: bit 0 check_stats_age off, bit 1 blind_action deflate,
 *                bit 2 second cycle sees counters one less (going backwards),
 *                bit 3 PSI readable, bits 4-7 PSI full avg10 (x 100 / 15 %)
 *     u8  stats period of the VMs in seconds (0: unknown)
 *     u16 wall clock offset in seconds, signed, from 1790000000
 *     u64 host MemTotal KiB, u64 host MemAvailable KiB: read through
 *         bd_host_parse_meminfo, so only what it accepts reaches the policy
 *         (else a 16 GiB host with 8 GiB available)
 *   then records, until the input ends:
 *     0x00..0xef  a typed parameter: the byte modulo 15 picks one of the 14
 *                 libvirt field names of `fields`, or (14) a name of its own:
 *                 u8 length (mod 48) and that many bytes. Then u8 type
 *                 (mod 10: 0, 8 and 9 are not libvirt's), then the value:
 *                 INT i32, UINT u32, LLONG i64, ULLONG u64, DOUBLE 8 bytes,
 *                 BOOLEAN i8, STRING u8 length (mod 48) and bytes, others u64.
 *     0xf0..0xf7  a memory stat: i8 tag, u64 value
 *     0xf8..0xff  the next VM (at most MAX_VMS)
 *   All integers little-endian. fuzz/gen-stats-seeds.py writes the seeds. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "balloond/core/units.h"
#include "balloond/core/config.h"
#include "balloond/core/host.h"
#include "balloond/core/policy.h"
#include "balloond/core/stats.h"
#include "fuzz_input.h"


#define MAX_VMS 4
#define MAX_RECORDS 64
#define NAME_LEN_MOD 48
#define WALL_BASE_SEC 1790000000LL
#define CYCLE_USEC 5000000ULL
/* The policy's leeway for guest-reported sizes (SANITY_SLACK_KIB in policy.c). */
#define SLACK_KIB (64ULL * 1024)


static const char *const fields[] = {
        "state.state",         "state.reason",      "balloon.current",     "balloon.maximum",
        "balloon.unused",      "balloon.available", "balloon.usable",      "balloon.last-update",
        "balloon.disk_caches", "balloon.swap_in",   "balloon.swap_out",    "balloon.major_fault",
        "balloon.minor_fault", "balloon.rss",
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

struct input {
        const uint8_t *p;
        size_t left;
};

static uint64_t take(struct input *in, size_t bytes) {
        uint64_t v = 0;

        for (size_t i = 0; i < bytes; i++) {
                uint64_t b = 0;

                if (in->left) {
                        b = *in->p++;
                        in->left--;
                }
                v |= b << (8 * i);
        }
        return v;
}

/* A NUL-terminated copy of a length-prefixed run of bytes, from ARENA. */
static const char *take_string(struct input *in, char **arena) {
        size_t len = take(in, 1) % NAME_LEN_MOD;
        char *s = *arena;

        for (size_t i = 0; i < len; i++)
                s[i] = (char)take(in, 1);
        s[len] = '\0';
        *arena += len + 1;
        return s;
}

static void take_param(struct input *in, uint8_t op, struct bd_param *p, char **arena) {
        size_t f = op % (N_FIELDS + 1);
        uint64_t raw;

        p->field = f < N_FIELDS ? fields[f] : take_string(in, arena);
        p->type = (enum bd_param_type)(take(in, 1) % 10);
        switch (p->type) {
        case BD_PARAM_INT:
                p->v.i = (int32_t)take(in, 4);
                break;
        case BD_PARAM_UINT:
                p->v.u = (uint32_t)take(in, 4);
                break;
        case BD_PARAM_LLONG:
                p->v.i = (int64_t)take(in, 8);
                break;
        case BD_PARAM_DOUBLE:
                raw = take(in, 8);
                memcpy(&p->v.d, &raw, sizeof(p->v.d));
                break;
        case BD_PARAM_BOOLEAN:
                p->v.i = (int8_t)take(in, 1);
                break;
        case BD_PARAM_STRING:
                p->v.s = take_string(in, arena);
                break;
        default: /* ULLONG, and types libvirt does not have */
                p->v.u = take(in, 8);
                break;
        }
}

/* What the conversion promises about any sample it fills. */
static void check_converted(const struct bd_vm_sample *s, int found, size_t n) {
        CHECK(found >= 0 && (size_t)found <= n);
        CHECK(s->state >= BD_RUN_RUNNING && s->state <= BD_RUN_OTHER);
        CHECK(s->last_update_sec == BD_TIME_UNKNOWN || s->last_update_sec >= 0);
}

static bool above(uint64_t a, uint64_t b) { /* a > b + SLACK_KIB, without overflow */
        return a > b && a - b > SLACK_KIB;
}

/* A report the policy calls sane has no impossible sizes. */
static void check_sane(const struct bd_vm_sample *s) {
        CHECK(s->actual_kib != BD_KIB_UNKNOWN && s->actual_kib > 0);
        CHECK(s->max_kib != BD_KIB_UNKNOWN && s->max_kib > 0);
        CHECK(!above(s->actual_kib, s->max_kib));
        if (s->usable_kib != BD_KIB_UNKNOWN) {
                CHECK(s->available_kib == BD_KIB_UNKNOWN || s->usable_kib <= s->available_kib);
                CHECK(!above(s->usable_kib, s->actual_kib));
        }
        if (s->unused_kib != BD_KIB_UNKNOWN && s->available_kib != BD_KIB_UNKNOWN)
                CHECK(s->unused_kib <= s->available_kib);
        if (s->available_kib != BD_KIB_UNKNOWN)
                CHECK(!above(s->available_kib, s->max_kib));
        if (s->disk_caches_kib != BD_KIB_UNKNOWN)
                CHECK(!above(s->disk_caches_kib, s->actual_kib));
}

/* The decision promises of the policy (simulate.c's check_decision and the
 * header's: NONE keeps the size; blind, excluded and stuck VMs never shrink). */
static void check_decision(const struct bd_decision *d, const struct bd_vm_sample *s, bool insane) {
        switch (d->action) {
        case BD_ACTION_NONE:
                CHECK(d->target_kib == d->actual_kib);
                break;
        case BD_ACTION_SHRINK:
                CHECK(d->status == BD_STATUS_OK);
                CHECK(!insane);
                CHECK(d->target_kib > 0 && d->target_kib < d->actual_kib);
                CHECK(d->target_kib >= d->floor_kib);
                CHECK(d->actual_kib == s->actual_kib);
                break;
        case BD_ACTION_GROW:
                CHECK(d->status == BD_STATUS_OK || d->status == BD_STATUS_BLIND);
                CHECK(d->target_kib > d->actual_kib && d->target_kib <= d->max_kib);
                CHECK(d->actual_kib == s->actual_kib);
                break;
        default:
                CHECK(false);
        }
        CHECK(d->reason < BD_REASON__COUNT);
        if (insane && s->state == BD_RUN_RUNNING)
                CHECK(d->status == BD_STATUS_EXCLUDED || d->status == BD_STATUS_BLIND);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct input in = { data, size };
        static struct bd_param params[MAX_VMS][MAX_RECORDS];
        static struct bd_memstat stats[MAX_VMS][MAX_RECORDS];
        /* At most two strings (a name, a value) per record, each at most
         * NAME_LEN_MOD bytes and a NUL. */
        static char arena[MAX_VMS * MAX_RECORDS * 2 * (NAME_LEN_MOD + 1)];
        struct bd_vm_sample samples[MAX_VMS];
        struct bd_vm_history history[MAX_VMS] = { 0 };
        struct bd_decision decisions[MAX_VMS];
        struct bd_host_state host_state = { 0 };
        size_t n_params[MAX_VMS] = { 0 }, n_stats[MAX_VMS] = { 0 }, n_vms = 1;
        struct bd_host_sample host = { 0 };
        struct bd_host_view view;
        struct bd_config cfg;
        unsigned flags, period;
        uint64_t total, avail;
        char meminfo[128];
        int64_t wall;
        char *a = arena;

        flags = (unsigned)take(&in, 1);
        period = (unsigned)take(&in, 1);
        wall = WALL_BASE_SEC + (int16_t)take(&in, 2);
        total = take(&in, 8);
        avail = take(&in, 8);
        snprintf(meminfo, sizeof(meminfo), "MemTotal: %llu kB\nMemAvailable: %llu kB\n",
                 (unsigned long long)total, (unsigned long long)avail);
        if (bd_host_parse_meminfo(meminfo, &host) < 0) {
                host.mem_total_kib = 16 * GIB;
                host.mem_available_kib = 8 * GIB;
        }
        host.psi_valid = flags & 8;
        host.psi_some_avg10_pct = host.psi_full_avg10_pct = (flags >> 4) * 100.0 / 15;

        while (in.left) {
                uint8_t op = (uint8_t)take(&in, 1);
                size_t v = n_vms - 1;

                if (op >= 0xf8) {
                        if (n_vms == MAX_VMS)
                                break;
                        n_vms++;
                } else if (op >= 0xf0) {
                        if (n_stats[v] == MAX_RECORDS)
                                break;
                        stats[v][n_stats[v]].tag = (int8_t)take(&in, 1);
                        stats[v][n_stats[v]].val = take(&in, 8);
                        n_stats[v]++;
                } else {
                        if (n_params[v] == MAX_RECORDS)
                                break;
                        take_param(&in, op, &params[v][n_params[v]++], &a);
                }
        }

        /* Conversion, as src/daemon/libvirt.c does it: the bulk record, then the
         * per-domain memory stats. */
        for (size_t i = 0; i < n_vms; i++) {
                struct bd_vm_sample *s = &samples[i];
                int found;

                bd_vm_sample_init(s);
                snprintf(s->name, sizeof(s->name), "vm%zu", i);
                snprintf(s->uuid, sizeof(s->uuid), "5eed5eed-0000-4000-8000-%012zu", i);
                s->stats_period_sec = period ? (int)period : -1;
                found = bd_stats_from_params(params[i], n_params[i], s);
                check_converted(s, found, n_params[i]);
                found = bd_stats_from_memstats(stats[i], n_stats[i], s);
                check_converted(s, found, n_stats[i]);
                if (!bd_policy_stats_insane(s, NULL))
                        check_sane(s);
        }
        /* Two policy cycles; the second may see the counters go backwards. */
        bd_config_defaults(&cfg);
        cfg.check_stats_age = !(flags & 1);
        cfg.blind_action = flags & 2 ? BD_BLIND_DEFLATE : BD_BLIND_HOLD;
        for (int cycle = 0; cycle < 2; cycle++) {
                uint64_t now_usec = CYCLE_USEC * (uint64_t)(cycle + 1) * 4;
                int64_t now_wall = wall + cycle * (int64_t)(CYCLE_USEC / 1000000);
                bool insane[MAX_VMS];

                if (cycle == 1 && (flags & 4))
                        for (size_t i = 0; i < n_vms; i++)
                                if (samples[i].swap_in_kib != BD_COUNT_UNKNOWN && samples[i].swap_in_kib > 0)
                                        samples[i].swap_in_kib--;
                for (size_t i = 0; i < n_vms; i++)
                        insane[i] = bd_policy_stats_insane(&samples[i], &history[i]) != NULL;
                bd_policy_run(&cfg, &host, samples, history, n_vms, &host_state, now_usec, now_wall, decisions,
                              &view);
                CHECK(view.band <= BD_BAND_CRITICAL);
                for (size_t i = 0; i < n_vms; i++) {
                        check_decision(&decisions[i], &samples[i], insane[i]);
                        if (decisions[i].action != BD_ACTION_NONE)
                                bd_policy_note_applied(&history[i], &decisions[i], now_usec);
                }
        }
        return 0;
}
