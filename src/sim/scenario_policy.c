/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scenario's "policy" object holds balloond settings with the same names
 * and groups as balloond.conf; it is turned into libconfig text, with the
 * VMs' minima and shares, and checked by the configuration loader itself,
 * so a scenario cannot hold a setting the daemon would refuse. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/core/units.h"
#include "scenario_internal.h"

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
                bd_scn_problem(p, where, "expected a number, a boolean, a string or a list");
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
                        bd_scn_problem(p, where, "per-VM settings belong in vms[] (min_mib, shares, class)");
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
        json_object *g = policy ? bd_scn_member(policy, "guest") : NULL;

        return g && json_object_is_type(g, json_type_object) && bd_scn_member(g, key);
}

static int by_min_shares(const void *a, const void *b) {
        const struct bd_scenario_vm *x = *(const struct bd_scenario_vm *const *)a;
        const struct bd_scenario_vm *y = *(const struct bd_scenario_vm *const *)b;

        if (x->min_kib != y->min_kib)
                return x->min_kib < y->min_kib ? -1 : 1;
        return (x->shares > y->shares) - (x->shares < y->shares);
}

/* The VM whose (min, shares) pair most VMs have (sorted: O(n log n)). */
static const struct bd_scenario_vm *common_vm(const struct bd_scenario *sc) {
        const struct bd_scenario_vm **v = calloc(sc->n_vms, sizeof(*v)), *best;
        size_t best_n = 0;

        if (!v)
                abort();
        for (size_t i = 0; i < sc->n_vms; i++)
                v[i] = &sc->vms[i];
        qsort(v, sc->n_vms, sizeof(*v), by_min_shares);
        best = v[0];
        for (size_t i = 0, run = 0; i < sc->n_vms; i++) {
                run = i && by_min_shares(&v[i], &v[i - 1]) == 0 ? run + 1 : 1;
                if (run > best_n) {
                        best_n = run;
                        best = v[i];
                }
        }
        free(v);
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
                const struct bd_scenario_vm *common = common_vm(sc);

                min_kib = common->min_kib;
                shares = common->shares;
                if (min_kib)
                        put(extra, "  min_mib = %llu;\n", (unsigned long long)(min_kib / MIB));
                if (shares != 1000)
                        put(extra, "  shares = %d;\n", shares);
        }
        for (size_t i = 0; i < sc->n_vms; i++)
                n_own += sc->vms[i].min_kib != min_kib || sc->vms[i].shares != shares;
        if (n_own > BD_SCENARIO_MAX_OWN_RULES) {
                bd_scn_problem(p, "vms", "%zu VMs have a min_mib or shares other than most VMs': at most %d",
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

void bd_scn_config(struct parser *p, json_object *policy, struct bd_scenario *sc) {
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
                bd_scn_problem(p, "policy", "too large");
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
                        bd_scn_problem(p, "policy", "%s", rest);
                }
        }
        bd_config_errors_free(&cerrs);
        free(t.buf);
}

