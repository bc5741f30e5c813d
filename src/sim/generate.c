/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scenario families: a seeded generator of hosts and guests of the kinds a
 * real host sees. VM i of a family depends only on the seed and i (not on
 * how many VMs there are), so a scenario with N + 1 VMs is the one with N
 * plus a VM: what the density search (density.c) relies on. Events of the
 * whole host (a flash crowd's hour, a host job) depend on the seed only. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "balloond/sim/generate.h"

struct fam {
        const char *name;
        const char *what;
        void (*vm)(struct json_object *vm, uint64_t *rng, size_t i, const struct bd_gen_params *p);
        uint64_t avg_max_mib; /* for the default host size */
};

/* splitmix64 */
static uint64_t rnd(uint64_t *s) {
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t between(uint64_t *s, int64_t lo, int64_t hi) {
        return hi <= lo ? lo : lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static void put_int(struct json_object *o, const char *key, int64_t v) {
        json_object_object_add(o, key, json_object_new_int64(v));
}

static struct json_object *demand(const char *kind, int64_t base_mib) {
        struct json_object *d = json_object_new_object();

        json_object_object_add(d, "kind", json_object_new_string(kind));
        put_int(d, "base_mib", base_mib);
        return d;
}

/* Size, minimum (512 MiB: Proxmox's "balloon", balloond's min_mib) and a
 * start size a host that ran a while under ballooning would have. */
static void sizes(struct json_object *vm, int64_t max_mib, int64_t min_mib, int64_t demand0_mib) {
        int64_t start = demand0_mib * 3 / 2 + 256;

        put_int(vm, "max_mib", max_mib);
        if (min_mib)
                put_int(vm, "min_mib", min_mib);
        put_int(vm, "start_mib", start < 256 ? 256 : start > max_mib ? max_mib : start);
}

/* A periodic demand's part above its base at second 0 (period: an hour). */
static int64_t hour_wave(int64_t amp, int64_t at) {
        return (int64_t)((double)amp * (1.0 - cos(2.0 * M_PI * (double)at / 3600.0)) / 2.0);
}

/* A web server following the day (an hour here), phase anywhere. */
static void web(struct json_object *vm, uint64_t *r, int64_t phase_lo, int64_t phase_hi) {
        static const int64_t maxes[] = { 2048, 3072, 4096 };
        int64_t max = maxes[between(r, 0, 2)], base = max / 4, amp = max * between(r, 30, 45) / 100;
        int64_t at = between(r, phase_lo, phase_hi);
        struct json_object *d = demand("periodic", base);

        put_int(d, "amp_mib", amp);
        put_int(d, "period_sec", 3600);
        put_int(d, "at_sec", at);
        json_object_object_add(vm, "demand", d);
        sizes(vm, max, 512, base + hour_wave(amp, at));
}

static void balloon_opts(struct json_object *vm, int fpr, int64_t speed_mib) {
        struct json_object *b = json_object_new_object();

        if (fpr >= 0)
                json_object_object_add(b, "free_page_reporting", json_object_new_boolean(fpr));
        if (speed_mib) {
                put_int(b, "inflate_mib_per_sec", speed_mib);
                put_int(b, "deflate_mib_per_sec", speed_mib);
        }
        json_object_object_add(vm, "balloon", b);
}

/* Two web VMs in three, phases anywhere; one VDI desktop in three, logging
 * in within 10 min of the same hour; a quarter of the VMs without free page
 * reporting. */
static void fam_diurnal(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        (void)p;
        if (i % 3 == 2) {
                struct json_object *d = demand("periodic", 400);
                int64_t amp = between(r, 900, 1200), at = between(r, 0, 600);

                put_int(d, "amp_mib", amp);
                put_int(d, "period_sec", 3600);
                put_int(d, "at_sec", at);
                json_object_object_add(vm, "demand", d);
                sizes(vm, 2048, 512, 400 + hour_wave(amp, at));
        } else {
                web(vm, r, 0, 3599);
        }
        if (i % 4 == 3)
                balloon_opts(vm, 0, 0);
}

/* Batch workers: 400 MiB idle, jobs of 2.4-3 GiB for 10-15 min every 30-40
 * min; half with 1 GiB of swap. */
static void fam_batch(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        struct json_object *d = demand("bursts", 400);
        int64_t period = between(r, 1800, 2400);

        (void)p;
        put_int(d, "amp_mib", between(r, 2400, 3000));
        put_int(d, "period_sec", period);
        put_int(d, "duration_sec", between(r, 600, 900));
        put_int(d, "at_sec", between(r, 0, period - 1));
        json_object_object_add(vm, "demand", d);
        sizes(vm, 4096, 512, 400);
        if (i % 2)
                put_int(vm, "swap_mib", 1024);
}

/* One VM in five an 8 GiB database (class "database", 6 GiB in use, no
 * minimum: Proxmox leaves it alone), the others web servers. */
static void fam_database(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        (void)p;
        if (i % 5 == 0) {
                json_object_object_add(vm, "class", json_object_new_string("database"));
                json_object_object_add(vm, "demand", demand("constant", between(r, 5632, 6144)));
                put_int(vm, "max_mib", 8192);
                return;
        }
        web(vm, r, 0, 3599);
}

/* Small guests idle at 300 MiB (held at their floor) that allocate 300-450
 * MiB for 30-90 s every 5-15 min. */
static void fam_bursts(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        struct json_object *d = demand("bursts", 300);
        int64_t period = between(r, 300, 900);

        (void)i;
        (void)p;
        put_int(d, "amp_mib", between(r, 300, 450));
        put_int(d, "period_sec", period);
        put_int(d, "duration_sec", between(r, 30, 90));
        put_int(d, "at_sec", between(r, 0, period - 1));
        json_object_object_add(vm, "demand", d);
        sizes(vm, 2048, 512, 300);
}

/* One VM in six leaks: 800 MiB at the start, 2.5 GiB more by the end. */
static void fam_leak(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        if (i % 6 == 0) {
                struct json_object *d = demand("ramp", 800);

                put_int(d, "amp_mib", between(r, 2048, 2560));
                put_int(d, "duration_sec", (int64_t)(p->duration_sec ? p->duration_sec : 7200));
                json_object_object_add(vm, "demand", d);
                sizes(vm, 4096, 512, 800);
                return;
        }
        web(vm, r, 0, 3599);
}

/* One VM in eight reports no free memory whatever it holds (1 GiB); the
 * others wander between 800 and 1600 MiB. */
static void fam_claiming(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        struct json_object *d;

        (void)p;
        if (i % 8 == 0) {
                json_object_object_add(vm, "claims_always", json_object_new_boolean(1));
                json_object_object_add(vm, "demand", demand("constant", 1024));
                sizes(vm, 4096, 512, 1024);
                return;
        }
        d = demand("walk", 800);
        put_int(d, "amp_mib", 800);
        put_int(d, "step_mib", 16);
        put_int(d, "seed", (int64_t)(rnd(r) >> 2));
        json_object_object_add(vm, "demand", d);
        sizes(vm, 4096, 512, 800);
}

/* One VM in six has its statistics freeze between 5 and 30 min, and then
 * needs 512 MiB more every 5 min, three times. */
static void fam_freeze(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        struct json_object *d, *steps, *st;
        int64_t at;

        (void)p;
        if (i % 6 != 0) {
                web(vm, r, 0, 3599);
                return;
        }
        at = between(r, 300, 1800);
        d = demand("steps", 1024);
        steps = json_object_new_array();
        for (int k = 1; k <= 3; k++) {
                struct json_object *pair = json_object_new_array();

                json_object_array_add(pair, json_object_new_int64(at + 300 * k));
                json_object_array_add(pair, json_object_new_int64(1024 + 512 * k));
                json_object_array_add(steps, pair);
        }
        json_object_object_add(d, "steps", steps);
        json_object_object_add(vm, "demand", d);
        st = json_object_new_object();
        put_int(st, "freeze_at_sec", at);
        json_object_object_add(vm, "stats", st);
        sizes(vm, 4096, 512, 1024);
}

/* Web servers next to a host-side job (host.job, see host_of). */
static void fam_web(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        (void)i;
        (void)p;
        web(vm, r, 0, 3599);
}

/* Web servers at a quarter of their size until a flash crowd (its hour set
 * by the seed) raises each one's use by 35-45 % of its size (2.4-2.8 times
 * what it used), all within a minute and each within a second, for 15 min. */
static void fam_flash(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        static const int64_t maxes[] = { 2048, 3072, 4096 };
        uint64_t host_rng = p->seed * 7919 + 17;
        int64_t crowd = between(&host_rng, 1200, 3600) + between(r, 0, 60);
        int64_t max = maxes[between(r, 0, 2)], base = max / 4;
        struct json_object *d = demand("steps", base), *steps = json_object_new_array(), *a, *b;

        (void)i;
        a = json_object_new_array();
        json_object_array_add(a, json_object_new_int64(crowd));
        json_object_array_add(a, json_object_new_int64(base + max * between(r, 35, 45) / 100));
        b = json_object_new_array();
        json_object_array_add(b, json_object_new_int64(crowd + 900));
        json_object_array_add(b, json_object_new_int64(base));
        json_object_array_add(steps, a);
        json_object_array_add(steps, b);
        json_object_object_add(d, "steps", steps);
        json_object_object_add(vm, "demand", d);
        sizes(vm, max, 512, base);
}

/* The diurnal web mix with balloons that move 50 MiB/s either way. */
static void fam_slow(struct json_object *vm, uint64_t *r, size_t i, const struct bd_gen_params *p) {
        (void)i;
        (void)p;
        web(vm, r, 0, 3599);
        balloon_opts(vm, -1, 50);
}

static const struct fam fams[] = {
        { "diurnal", "web servers and VDI desktops following the day (an hour here)", fam_diurnal, 2730 },
        { "batch", "batch workers running 2.4-3 GiB jobs for 10-15 min every 30-40 min", fam_batch, 4096 },
        { "database", "8 GiB databases (one VM in five, never ballooned) among web servers", fam_database, 4096 },
        { "bursts", "small guests held at their floor allocating 300-450 MiB now and then", fam_bursts, 2048 },
        { "leak", "one guest in six leaking 2-2.5 GiB over the run among web servers", fam_leak, 3072 },
        { "claiming", "one guest in eight claiming all its memory among wandering guests", fam_claiming, 4096 },
        { "freeze", "one guest in six whose statistics freeze before it needs 1.5 GiB more", fam_freeze, 3072 },
        { "host-job", "web servers beside a host-side job taking 30-40 % of RAM for 20-40 min", fam_web, 3072 },
        { "flash-crowd", "web servers at 1/4 of their size, all rising by 35-45 % of it in a minute, for 15 min", fam_flash, 3072 },
        { "slow-balloon", "web servers whose balloons move 50 MiB/s", fam_slow, 3072 },
};
#define N_FAMS (sizeof(fams) / sizeof(fams[0]))

const char *const *bd_gen_families(void) {
        static const char *names[N_FAMS + 1];

        for (size_t i = 0; i < N_FAMS; i++)
                names[i] = fams[i].name;
        names[N_FAMS] = NULL;
        return names;
}

static const struct fam *find(const char *family) {
        for (size_t i = 0; i < N_FAMS; i++)
                if (family && strcmp(family, fams[i].name) == 0)
                        return &fams[i];
        return NULL;
}

const char *bd_gen_describe(const char *family) {
        const struct fam *f = find(family);

        return f ? f->what : NULL;
}

/* The host: RAM, 1 GiB for itself; for host-job a job of 30-40 % of RAM
 * for 20-40 min from a time the seed sets. */
static struct json_object *host_of(const struct fam *f, const struct bd_gen_params *p, uint64_t ram_mib) {
        struct json_object *h = json_object_new_object();
        uint64_t r = p->seed * 104729 + 3;

        put_int(h, "ram_mib", (int64_t)ram_mib);
        put_int(h, "host_use_mib", 1024);
        if (strcmp(f->name, "host-job") == 0) {
                struct json_object *d = demand("spike", 0);

                put_int(d, "amp_mib", (int64_t)ram_mib * between(&r, 30, 40) / 100);
                put_int(d, "at_sec", between(&r, 600, 2400));
                put_int(d, "duration_sec", between(&r, 1200, 2400));
                json_object_object_add(h, "job", d);
        }
        return h;
}

int bd_generate(const struct bd_gen_params *p, char **out, char *err, size_t errlen) {
        const struct fam *f = find(p->family);
        struct json_object *root, *vms;
        uint64_t ram_mib;
        char text[256];

        if (!f) {
                snprintf(err, errlen, "unknown family '%s'", p->family ? p->family : "");
                return -EINVAL;
        }
        if (p->n_vms < 1 || p->n_vms > 100000) {
                snprintf(err, errlen, "%zu VMs: 1 to 100000", p->n_vms);
                return -EINVAL;
        }
        ram_mib = p->host_gib ? p->host_gib * 1024 : 1024 + (f->avg_max_mib * p->n_vms * 2 / 3 + 1023) / 1024 * 1024;
        if (ram_mib < 4096 || ram_mib > 16777216) {
                snprintf(err, errlen, "a host of %llu MiB: 4 GiB to 16 TiB", (unsigned long long)ram_mib);
                return -EINVAL;
        }
        root = json_object_new_object();
        snprintf(text, sizeof(text), "%s-s%llu-n%zu", f->name, (unsigned long long)p->seed, p->n_vms);
        json_object_object_add(root, "name", json_object_new_string(text));
        snprintf(text, sizeof(text),
                 "Generated (balloond-sim --generate %s --seed %llu --vms %zu --host-gib %llu): %s.", f->name,
                 (unsigned long long)p->seed, p->n_vms, (unsigned long long)(ram_mib / 1024), f->what);
        json_object_object_add(root, "description", json_object_new_string(text));
        put_int(root, "duration_sec", (int64_t)(p->duration_sec ? p->duration_sec : 7200));
        json_object_object_add(root, "host", host_of(f, p, ram_mib));
        vms = json_object_new_array();
        for (size_t i = 0; i < p->n_vms; i++) {
                struct json_object *vm = json_object_new_object();
                uint64_t r = p->seed * 0x100000001b3ULL + i * 0x9e3779b97f4a7c15ULL + 1;

                snprintf(text, sizeof(text), "vm%04zu", i + 1);
                json_object_object_add(vm, "name", json_object_new_string(text));
                f->vm(vm, &r, i, p);
                json_object_array_add(vms, vm);
        }
        json_object_object_add(root, "vms", vms);
        /* Pretty up to 200 VMs; beyond, a VM a line would still be large. */
        *out = strdup(json_object_to_json_string_ext(
                root, JSON_C_TO_STRING_SPACED | (p->n_vms <= 200 ? JSON_C_TO_STRING_PRETTY : 0)));
        json_object_put(root);
        if (!*out)
                abort();
        return 0;
}
