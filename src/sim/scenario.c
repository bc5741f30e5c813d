/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scenario files for the simulator (JSON, json-c). Every problem is reported,
 * located by its path in the document ("vms[2].demand.kind"), or by line and
 * column for a syntax error. The "policy" object holds balloond settings with
 * the same names and groups as balloond.conf; it is turned into libconfig
 * text and checked by the configuration loader itself, so a scenario cannot
 * hold a setting the daemon would refuse. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "balloond/core/units.h"
#include "balloond/sim/scenario.h"

#define MAX_MIB 16777216LL

struct parser {
        const char *file;
        struct bd_config_errors *errs;
        size_t n_before;
        bool fpr_default; /* host.free_page_reporting: the VMs' default */
};

static void problem(struct parser *p, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(struct parser *p, const char *path, const char *fmt, ...) {
        char what[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        bd_config_errors_add(p->errs, "%s: %s: %s", p->file, path, what);
}

/* Every key of O must be one of ALLOWED (NULL-terminated). */
static void only_keys(struct parser *p, json_object *o, const char *path, const char *const *allowed) {
        json_object_object_foreach(o, key, val) {
                bool ok = false;
                char where[160];

                (void)val;
                for (size_t i = 0; allowed[i]; i++)
                        ok = ok || strcmp(key, allowed[i]) == 0;
                if (!ok) {
                        snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
                        problem(p, where, "unknown key");
                }
        }
}

static json_object *member(json_object *o, const char *key) {
        json_object *v = NULL;

        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* An integer member within [LO, HI] (scaled by SCALE into *OUT); absent: DFLT
 * (REQUIRED: an error). */
static void get_int(struct parser *p, json_object *o, const char *path, const char *key, long long lo, long long hi,
                    bool required, uint64_t scale, long long dflt, int64_t *out) {
        json_object *v = member(o, key);
        char where[160];
        long long x;

        snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
        if (!v) {
                if (required)
                        problem(p, where, "missing (%lld..%lld)", lo, hi);
                *out = dflt * (int64_t)scale;
                return;
        }
        if (!json_object_is_type(v, json_type_int)) {
                problem(p, where, "expected an integer (%lld..%lld)", lo, hi);
                *out = dflt * (int64_t)scale;
                return;
        }
        x = json_object_get_int64(v);
        if (x < lo || x > hi) {
                problem(p, where, "%lld is out of range (%lld..%lld)", x, lo, hi);
                *out = dflt * (int64_t)scale;
                return;
        }
        *out = x * (int64_t)scale;
}

static uint64_t get_u(struct parser *p, json_object *o, const char *path, const char *key, long long lo,
                      long long hi, bool required, uint64_t scale, long long dflt) {
        int64_t v;

        get_int(p, o, path, key, lo, hi, required, scale, dflt, &v);
        return v < 0 ? 0 : (uint64_t)v;
}

static bool get_bool(struct parser *p, json_object *o, const char *path, const char *key, bool dflt) {
        json_object *v = member(o, key);
        char where[160];

        if (!v)
                return dflt;
        if (!json_object_is_type(v, json_type_boolean)) {
                snprintf(where, sizeof(where), "%s.%s", path, key);
                problem(p, where, "expected true or false");
                return dflt;
        }
        return json_object_get_boolean(v);
}

/* A string member into BUF; absent: DFLT (NULL and REQUIRED: an error). */
static void get_str(struct parser *p, json_object *o, const char *path, const char *key, char *buf, size_t size,
                    const char *dflt) {
        json_object *v = member(o, key);
        char where[160];

        snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
        snprintf(buf, size, "%s", dflt ? dflt : "");
        if (!v) {
                if (!dflt)
                        problem(p, where, "missing (a string)");
                return;
        }
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
            (size_t)json_object_get_string_len(v) >= size) {
                problem(p, where, "expected a string of 1 to %zu characters", size - 1);
                return;
        }
        snprintf(buf, size, "%s", json_object_get_string(v));
}

static json_object *get_obj(struct parser *p, json_object *o, const char *path, const char *key, bool required) {
        json_object *v = member(o, key);
        char where[160];

        snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
        if (!v) {
                if (required)
                        problem(p, where, "missing (an object)");
                return NULL;
        }
        if (!json_object_is_type(v, json_type_object)) {
                problem(p, where, "expected an object");
                return NULL;
        }
        return v;
}

static void parse_demand(struct parser *p, json_object *o, const char *path, struct bd_sim_demand *d) {
        static const char *const keys[] = { "kind",         "base_mib", "amp_mib", "period_sec", "at_sec",
                                            "duration_sec", "step_mib", "seed",    "steps",      NULL };
        static const char *const kinds[] = { "constant", "steps", "periodic", "spike", "walk", "bursts", "ramp" };
        const size_t n_kinds = sizeof(kinds) / sizeof(kinds[0]);
        char kind[16], where[160];
        json_object *steps;
        size_t k;

        only_keys(p, o, path, keys);
        get_str(p, o, path, "kind", kind, sizeof(kind), "constant");
        for (k = 0; k < n_kinds && strcmp(kind, kinds[k]) != 0; k++)
                ;
        if (k == n_kinds) {
                snprintf(where, sizeof(where), "%s.kind", path);
                problem(p, where, "\"%s\" is not one of constant, steps, periodic, spike, walk, bursts, ramp", kind);
                k = 0;
        }
        d->kind = (enum bd_sim_demand_kind)k;
        d->base_kib = get_u(p, o, path, "base_mib", 0, MAX_MIB, true, MIB, 0);
        d->amp_kib = get_u(p, o, path, "amp_mib", 0, MAX_MIB, d->kind != BD_SIM_CONST && d->kind != BD_SIM_STEPS,
                           MIB, 0);
        d->period_sec = get_u(p, o, path, "period_sec", 1, 86400 * 7,
                              d->kind == BD_SIM_PERIODIC || d->kind == BD_SIM_BURSTS, 1, 1);
        d->at_sec = get_u(p, o, path, "at_sec", 0, 86400 * 7, d->kind == BD_SIM_SPIKE, 1, 0);
        d->duration_sec = get_u(p, o, path, "duration_sec", 1, 86400 * 7,
                                d->kind == BD_SIM_SPIKE || d->kind == BD_SIM_BURSTS || d->kind == BD_SIM_RAMP, 1, 1);
        if (d->kind == BD_SIM_BURSTS && d->duration_sec > d->period_sec) {
                snprintf(where, sizeof(where), "%s.duration_sec", path);
                problem(p, where, "%llu is longer than period_sec (%llu)", (unsigned long long)d->duration_sec,
                        (unsigned long long)d->period_sec);
        }
        d->walk_step_kib = get_u(p, o, path, "step_mib", 1, MAX_MIB, false, MIB, 16);
        d->seed = get_u(p, o, path, "seed", 0, INT64_MAX, false, 1, 1);
        steps = member(o, "steps");
        snprintf(where, sizeof(where), "%s.steps", path);
        if (d->kind == BD_SIM_STEPS && !steps)
                problem(p, where, "missing (a list of [second, MiB] pairs)");
        if (!steps)
                return;
        if (!json_object_is_type(steps, json_type_array) || json_object_array_length(steps) > BD_SIM_MAX_STEPS) {
                problem(p, where, "expected a list of at most %d [second, MiB] pairs", BD_SIM_MAX_STEPS);
                return;
        }
        d->n_steps = json_object_array_length(steps);
        for (size_t i = 0; i < d->n_steps; i++) {
                json_object *pair = json_object_array_get_idx(steps, i), *t, *m;

                snprintf(where, sizeof(where), "%s.steps[%zu]", path, i);
                if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
                    !json_object_is_type(t = json_object_array_get_idx(pair, 0), json_type_int) ||
                    !json_object_is_type(m = json_object_array_get_idx(pair, 1), json_type_int) ||
                    json_object_get_int64(t) < 0 || json_object_get_int64(m) < 0 ||
                    json_object_get_int64(m) > MAX_MIB) {
                        problem(p, where, "expected [second, MiB] with both >= 0");
                        continue;
                }
                d->steps[i].at_sec = (uint64_t)json_object_get_int64(t);
                d->steps[i].kib = (uint64_t)json_object_get_int64(m) * MIB;
                if (i > 0 && d->steps[i].at_sec <= d->steps[i - 1].at_sec)
                        problem(p, where, "seconds must increase from one step to the next");
        }
}

static void parse_vm(struct parser *p, json_object *o, size_t idx, struct bd_scenario_vm *vm) {
        static const char *const keys[] = { "name",   "uuid",  "max_mib", "start_mib", "min_mib", "shares",
                                            "class",  "swap_mib", "state", "demand",  "balloon", "stats",
                                            "vfio",   "entitled_mib", "claims_always", NULL };
        static const char *const bkeys[] = { "device", "inflate_mib_per_sec", "deflate_mib_per_sec", "stuck",
                                             "free_page_reporting", NULL };
        static const char *const skeys[] = { "period_sec", "freeze_at_sec", NULL };
        struct bd_sim_vm_spec *s = &vm->spec;
        char path[32], where[64], state[16];
        json_object *demand, *balloon, *stats;
        int64_t freeze;

        snprintf(path, sizeof(path), "vms[%zu]", idx);
        if (!json_object_is_type(o, json_type_object)) {
                problem(p, path, "expected an object");
                return;
        }
        only_keys(p, o, path, keys);
        memset(vm, 0, sizeof(*vm));
        get_str(p, o, path, "name", s->name, sizeof(s->name), NULL);
        {
                char dflt[64];

                snprintf(dflt, sizeof(dflt), "5eed5eed-0000-4000-8000-%012zu", idx + 1);
                get_str(p, o, path, "uuid", s->uuid, sizeof(s->uuid), dflt);
        }
        get_str(p, o, path, "class", s->class_tag, sizeof(s->class_tag), "");
        if (s->class_tag[0] && !bd_class_valid(s->class_tag)) {
                snprintf(where, sizeof(where), "%s.class", path);
                problem(p, where, "\"%s\" is not a class name (a-z, 0-9, _ and -)", s->class_tag);
        }
        s->max_kib = get_u(p, o, path, "max_mib", 128, MAX_MIB, true, MIB, 1024);
        s->start_kib = get_u(p, o, path, "start_mib", 128, MAX_MIB, false, MIB, 0);
        if (s->start_kib > s->max_kib) {
                snprintf(where, sizeof(where), "%s.start_mib", path);
                problem(p, where, "%llu is above max_mib (%llu)", (unsigned long long)(s->start_kib / MIB),
                        (unsigned long long)(s->max_kib / MIB));
        }
        s->entitled_kib = get_u(p, o, path, "entitled_mib", 128, MAX_MIB, false, MIB, 0);
        if (s->entitled_kib > s->max_kib) {
                snprintf(where, sizeof(where), "%s.entitled_mib", path);
                problem(p, where, "%llu is above max_mib (%llu)", (unsigned long long)(s->entitled_kib / MIB),
                        (unsigned long long)(s->max_kib / MIB));
        }
        vm->min_kib = get_u(p, o, path, "min_mib", 0, MAX_MIB, false, MIB, 0);
        if (vm->min_kib > s->max_kib) {
                snprintf(where, sizeof(where), "%s.min_mib", path);
                problem(p, where, "%llu is above max_mib (%llu)", (unsigned long long)(vm->min_kib / MIB),
                        (unsigned long long)(s->max_kib / MIB));
        }
        vm->shares = (int)get_u(p, o, path, "shares", 1, 50000, false, 1, 1000);
        s->swap_kib = get_u(p, o, path, "swap_mib", 0, MAX_MIB, false, MIB, 0);
        get_str(p, o, path, "state", state, sizeof(state), "running");
        if (strcmp(state, "running") == 0) {
                s->state = BD_RUN_RUNNING;
        } else if (strcmp(state, "paused") == 0) {
                s->state = BD_RUN_PAUSED;
        } else {
                snprintf(where, sizeof(where), "%s.state", path);
                problem(p, where, "\"%s\" is not one of running, paused", state);
        }
        if (get_bool(p, o, path, "vfio", false))
                s->flags |= BD_VM_VFIO;
        s->claims_always = get_bool(p, o, path, "claims_always", false);
        demand = get_obj(p, o, path, "demand", true);
        if (demand) {
                snprintf(where, sizeof(where), "%s.demand", path);
                parse_demand(p, demand, where, &s->demand);
        }
        balloon = get_obj(p, o, path, "balloon", false);
        snprintf(where, sizeof(where), "%s.balloon", path);
        if (!p->fpr_default)
                s->flags |= BD_VM_NO_FREE_PAGE_REPORTING;
        if (balloon) {
                only_keys(p, balloon, where, bkeys);
                if (!get_bool(p, balloon, where, "device", true))
                        s->flags |= BD_VM_NO_BALLOON;
                if (get_bool(p, balloon, where, "free_page_reporting", p->fpr_default))
                        s->flags &= ~(unsigned)BD_VM_NO_FREE_PAGE_REPORTING;
                else
                        s->flags |= BD_VM_NO_FREE_PAGE_REPORTING;
                s->balloon_stuck = get_bool(p, balloon, where, "stuck", false);
                s->inflate_kib_per_sec = get_u(p, balloon, where, "inflate_mib_per_sec", 1, 1048576, false, MIB, 0);
                s->deflate_kib_per_sec = get_u(p, balloon, where, "deflate_mib_per_sec", 1, 1048576, false, MIB, 0);
        }
        stats = get_obj(p, o, path, "stats", false);
        s->stats_freeze_sec = -1;
        if (stats) {
                snprintf(where, sizeof(where), "%s.stats", path);
                only_keys(p, stats, where, skeys);
                s->stats_period_sec = (int)get_u(p, stats, where, "period_sec", 1, 3600, false, 1, 2);
                get_int(p, stats, where, "freeze_at_sec", -1, 86400 * 7, false, 1, -1, &freeze);
                s->stats_freeze_sec = freeze;
        }
}

/* ---- the "policy" object, as libconfig text --------------------------------- */

/* Grows as needed, up to 4 MiB (a scenario file's own limit). */
struct text {
        char *buf;
        size_t len, cap;
        bool overflow;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...) {
        va_list ap;
        int k;

        while (!t->overflow) {
                va_start(ap, fmt);
                k = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
                va_end(ap);
                if (k < 0) {
                        t->overflow = true;
                } else if (t->buf && (size_t)k < t->cap - t->len) {
                        t->len += (size_t)k;
                        return;
                } else if (t->len + (size_t)k + 1 > 4 * 1024 * 1024) {
                        t->overflow = true;
                } else {
                        size_t cap = t->cap ? t->cap * 2 : 8192;
                        char *b;

                        while (cap < t->len + (size_t)k + 1)
                                cap *= 2;
                        b = realloc(t->buf, cap);
                        if (!b)
                                abort();
                        t->buf = b;
                        t->cap = cap;
                }
        }
}

static void put_value(struct parser *p, struct text *t, json_object *v, const char *where) {
        switch (json_object_get_type(v)) {
        case json_type_boolean:
                put(t, "%s", json_object_get_boolean(v) ? "true" : "false");
                break;
        case json_type_int:
                put(t, "%lld", (long long)json_object_get_int64(v));
                break;
        case json_type_double: {
                char num[64];

                /* Written so that libconfig reads a float: "5" would be an
                 * integer, "1e+300" already is a float ("1e+300.0" is not). */
                snprintf(num, sizeof(num), "%.17g", json_object_get_double(v));
                put(t, "%s%s", num, strspn(num, "-0123456789") == strlen(num) ? ".0" : "");
                break;
        }
        case json_type_string:
                put(t, "\"");
                for (const char *c = json_object_get_string(v); *c; c++)
                        put(t, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
                put(t, "\"");
                break;
        case json_type_array:
                put(t, "[ ");
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        put(t, "%s", i ? ", " : "");
                        put_value(p, t, json_object_array_get_idx(v, i), where);
                }
                put(t, " ]");
                break;
        default:
                problem(p, where, "expected a number, a boolean, a string or a list");
                put(t, "0");
                break;
        }
}

/* GUEST_EXTRA: settings added to the "guest" group (made if absent). */
static void policy_text(struct parser *p, json_object *policy, const char *guest_extra, struct text *t) {
        bool guest_seen = false;

        json_object_object_foreach(policy, key, val) {
                char where[96];

                snprintf(where, sizeof(where), "policy.%s", key);
                if (strcmp(key, "vms") == 0) {
                        problem(p, where, "per-VM settings belong in vms[] (min_mib, shares, class)");
                        continue;
                }
                if (json_object_is_type(val, json_type_object)) {
                        put(t, "%s = {\n", key);
                        json_object_object_foreach(val, k2, v2) {
                                char w2[160];

                                snprintf(w2, sizeof(w2), "%s.%s", where, k2);
                                put(t, "  %s = ", k2);
                                put_value(p, t, v2, w2);
                                put(t, ";\n");
                        }
                        if (strcmp(key, "guest") == 0) {
                                put(t, "%s", guest_extra);
                                guest_seen = true;
                        }
                        put(t, "};\n");
                        continue;
                }
                put(t, "%s = ", key);
                put_value(p, t, val, where);
                put(t, ";\n");
        }
        if (!guest_seen && *guest_extra)
                put(t, "guest = {\n%s};\n", guest_extra);
}

/* Whether the policy sets guest.KEY itself. */
static bool policy_sets_guest(json_object *policy, const char *key) {
        json_object *g = policy ? member(policy, "guest") : NULL;

        return g && json_object_is_type(g, json_type_object) && member(g, key);
}

/* The (min, shares) pair most VMs have. */
static size_t common_vm(const struct bd_scenario *sc) {
        size_t best = 0, best_n = 0;

        for (size_t i = 0; i < sc->n_vms && best_n * 2 <= sc->n_vms; i++) {
                size_t k = 0;

                for (size_t j = i; j < sc->n_vms; j++)
                        k += sc->vms[j].min_kib == sc->vms[i].min_kib && sc->vms[j].shares == sc->vms[i].shares;
                if (k > best_n) {
                        best = i;
                        best_n = k;
                }
        }
        return best;
}

/* The VMs' minimum and shares as balloond settings: the pair most VMs have
 * as the guest defaults (unless the policy sets either), which scales to
 * any number of VMs, and one rule per VM with another pair (a minimum of 0
 * there is written as 1 MiB: below any floor balloond computes). */
static void vm_rules(struct parser *p, json_object *policy, const struct bd_scenario *sc, struct text *extra,
                     struct text *t) {
        bool dflt = !policy_sets_guest(policy, "min_mib") && !policy_sets_guest(policy, "shares") && sc->n_vms;
        uint64_t min_kib = 0;
        int shares = 1000;
        size_t n_own = 0;

        if (dflt) {
                min_kib = sc->vms[common_vm(sc)].min_kib;
                shares = sc->vms[common_vm(sc)].shares;
                if (min_kib)
                        put(extra, "  min_mib = %llu;\n", (unsigned long long)(min_kib / MIB));
                if (shares != 1000)
                        put(extra, "  shares = %d;\n", shares);
        }
        for (size_t i = 0; i < sc->n_vms; i++)
                n_own += sc->vms[i].min_kib != min_kib || sc->vms[i].shares != shares;
        if (n_own > BD_SCENARIO_MAX_OWN_RULES) {
                problem(p, "vms", "%zu VMs have a min_mib or shares other than most VMs': at most %d",
                        n_own, BD_SCENARIO_MAX_OWN_RULES);
                return;
        }
        if (!n_own)
                return;
        put(t, "vms = (\n");
        for (size_t i = 0, first = 1; i < sc->n_vms; i++) {
                const struct bd_scenario_vm *vm = &sc->vms[i];

                if (vm->min_kib == min_kib && vm->shares == shares)
                        continue;
                put(t, "%s  { uuid = \"%s\"; shares = %d; min_mib = %llu; }", first ? "" : ",\n", vm->spec.uuid,
                    vm->shares, (unsigned long long)(vm->min_kib ? vm->min_kib / MIB : 1));
                first = 0;
        }
        put(t, "\n);\n");
}

static void scenario_config(struct parser *p, json_object *policy, struct bd_scenario *sc) {
        struct text t = { 0 }, extra = { 0 }, rules = { 0 };
        struct bd_config_errors cerrs = { 0 };
        char name[300];

        vm_rules(p, policy, sc, &extra, &rules);
        put(&extra, "%s", "");
        if (policy)
                policy_text(p, policy, extra.buf ? extra.buf : "", &t);
        else if (extra.len)
                put(&t, "guest = {\n%s};\n", extra.buf);
        if (rules.len)
                put(&t, "%s", rules.buf);
        put(&t, "%s", "");
        free(extra.buf);
        free(rules.buf);
        if (t.overflow || extra.overflow || rules.overflow) {
                problem(p, "policy", "too large");
                free(t.buf);
                return;
        }
        snprintf(name, sizeof(name), "%s: policy", p->file);
        if (bd_config_load_string(t.buf, name, &sc->cfg, &cerrs) < 0) {
                /* "FILE: policy:LINE: KEY: PROBLEM" -> "FILE: policy.KEY: PROBLEM" */
                for (size_t i = 0; i < cerrs.n; i++) {
                        const char *rest = cerrs.items[i].text + strlen(name);

                        if (*rest == ':')
                                rest = strchr(rest + 1, ':') ? strchr(rest + 1, ':') + 2 : rest;
                        problem(p, "policy", "%s", rest);
                }
        }
        bd_config_errors_free(&cerrs);
        free(t.buf);
}

static void parse_host(struct parser *p, json_object *host, struct bd_scenario *sc) {
        static const char *const hkeys[] = { "ram_mib", "host_use_mib", "hugetlb_mib", "root_psi_full_pct",
                                             "free_page_reporting", "job", NULL };
        json_object *job;
        int64_t psi;

        only_keys(p, host, "host", hkeys);
        sc->host.ram_kib = get_u(p, host, "host", "ram_mib", 512, MAX_MIB, true, MIB, 1024);
        sc->host.host_use_kib = get_u(p, host, "host", "host_use_mib", 0, MAX_MIB, false, MIB, 1024);
        sc->host.hugetlb_kib = get_u(p, host, "host", "hugetlb_mib", 0, MAX_MIB, false, MIB, 0);
        if (sc->host.hugetlb_kib && sc->host.hugetlb_kib + sc->host.host_use_kib >= sc->host.ram_kib)
                problem(p, "host.hugetlb_mib", "the pools and the host's own use leave no RAM for VMs");
        get_int(p, host, "host", "root_psi_full_pct", 0, 100, false, 1, 0, &psi);
        sc->host.root_psi_full_pct = (double)psi;
        p->fpr_default = get_bool(p, host, "host", "free_page_reporting", true);
        job = get_obj(p, host, "host", "job", false);
        if (job) {
                parse_demand(p, job, "host.job", &sc->host.job);
                if (sc->host.job.base_kib + sc->host.job.amp_kib + sc->host.host_use_kib >= sc->host.ram_kib)
                        problem(p, "host.job", "at its largest (%llu MiB) it and the host's own use leave no RAM "
                                "for VMs", (unsigned long long)((sc->host.job.base_kib + sc->host.job.amp_kib) / MIB));
        }
}

static void parse_vms(struct parser *p, json_object *vms, struct bd_scenario *sc) {
        if (!vms || !json_object_is_type(vms, json_type_array) || json_object_array_length(vms) == 0) {
                problem(p, "vms", "expected a list of at least one VM");
                return;
        }
        sc->n_vms = json_object_array_length(vms);
        sc->vms = calloc(sc->n_vms, sizeof(*sc->vms));
        if (!sc->vms)
                abort();
        for (size_t i = 0; i < sc->n_vms; i++)
                parse_vm(p, json_object_array_get_idx(vms, i), i, &sc->vms[i]);
        for (size_t i = 0; i < sc->n_vms; i++)
                for (size_t k = 0; k < i; k++)
                        if (strcmp(sc->vms[i].spec.name, sc->vms[k].spec.name) == 0 ||
                            strcmp(sc->vms[i].spec.uuid, sc->vms[k].spec.uuid) == 0) {
                                char where[32];

                                snprintf(where, sizeof(where), "vms[%zu]", i);
                                problem(p, where, "same name or uuid as vms[%zu]", k);
                                break;
                        }
}

static void parse(struct parser *p, json_object *root, struct bd_scenario *sc) {
        static const char *const keys[] = { "name",   "description", "duration_sec",   "host",
                                            "vms",    "policy",      "restore_at_sec", NULL };
        json_object *host, *policy;

        if (!json_object_is_type(root, json_type_object)) {
                problem(p, "(top)", "expected an object");
                return;
        }
        only_keys(p, root, "", keys);
        get_str(p, root, "", "name", sc->name, sizeof(sc->name), NULL);
        get_str(p, root, "", "description", sc->description, sizeof(sc->description), "");
        sc->duration_sec = get_u(p, root, "", "duration_sec", 60, 7 * 86400, true, 1, 60);
        host = get_obj(p, root, "", "host", true);
        if (host)
                parse_host(p, host, sc);
        sc->restore_at_sec = get_u(p, root, "", "restore_at_sec", 0, 7 * 86400, false, 1, 0);
        parse_vms(p, member(root, "vms"), sc);
        policy = get_obj(p, root, "", "policy", false);
        scenario_config(p, policy, sc);
}

int bd_scenario_load_string(const char *text, const char *name, struct bd_scenario *out,
                            struct bd_config_errors *errs) {
        struct parser p = { .file = name, .errs = errs, .n_before = errs->n, .fpr_default = true };
        struct json_tokener *tok = json_tokener_new();
        struct bd_scenario *sc;
        json_object *root;
        size_t len = strlen(text);

        if (!tok)
                abort();
        root = json_tokener_parse_ex(tok, text, (int)len);
        if (!root || json_tokener_get_parse_end(tok) < len) {
                size_t off = json_tokener_get_parse_end(tok), line = 1, col = 1;
                enum json_tokener_error e = json_tokener_get_error(tok);

                for (size_t i = 0; i < off && i < len; i++) {
                        col = text[i] == '\n' ? 1 : col + 1;
                        line += text[i] == '\n';
                }
                bd_config_errors_add(errs, "%s:%zu:%zu: %s", name, line, col,
                    root                            ? "unexpected text after the document"
                    : e == json_tokener_continue    ? "unexpected end of the document"
                                                    : json_tokener_error_desc(e));
                json_object_put(root);
                json_tokener_free(tok);
                return -EINVAL;
        }
        json_tokener_free(tok);
        sc = calloc(1, sizeof(*sc));
        if (!sc)
                abort();
        bd_config_defaults(&sc->cfg);
        parse(&p, root, sc);
        json_object_put(root);
        if (errs->n != p.n_before) {
                bd_scenario_free(sc);
                free(sc);
                return -EINVAL;
        }
        *out = *sc;
        free(sc);
        return 0;
}

void bd_scenario_free(struct bd_scenario *sc) {
        if (!sc)
                return;
        free(sc->vms);
        sc->vms = NULL;
        sc->n_vms = 0;
}

int bd_scenario_load(const char *path, struct bd_scenario *out, struct bd_config_errors *errs) {
        FILE *f = fopen(path, "re");
        char *text;
        long len;
        int r;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || len > 4 * 1024 * 1024 ||
            fseek(f, 0, SEEK_SET) < 0) {
                r = f ? -EFBIG : -errno;
                if (f)
                        fclose(f);
                bd_config_errors_add(errs, "%s: cannot read: %s", path,
                    r == -EFBIG ? "not a regular file of at most 4 MiB" : strerror(-r));
                return r;
        }
        text = malloc((size_t)len + 1);
        if (!text)
                abort();
        if (fread(text, 1, (size_t)len, f) != (size_t)len) {
                free(text);
                fclose(f);
                return -EIO;
        }
        text[len] = '\0';
        fclose(f);
        r = bd_scenario_load_string(text, path, out, errs);
        free(text);
        return r;
}
