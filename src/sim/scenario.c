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
#include "scenario_internal.h"


void bd_scn_problem(struct parser *p, const char *path, const char *fmt, ...) {
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
                        bd_scn_problem(p, where, "unknown key");
                }
        }
}

json_object *bd_scn_member(json_object *o, const char *key) {
        json_object *v = NULL;

        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* An integer member within [LO, HI] (scaled by SCALE into *OUT); absent: DFLT
 * (REQUIRED: an error). */
static void get_int(struct parser *p, json_object *o, const char *path, const char *key, long long lo, long long hi,
                    bool required, uint64_t scale, long long dflt, int64_t *out) {
        json_object *v = bd_scn_member(o, key);
        char where[160];
        long long x;

        snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
        if (!v) {
                if (required)
                        bd_scn_problem(p, where, "missing (%lld..%lld)", lo, hi);
                *out = dflt * (int64_t)scale;
                return;
        }
        if (!json_object_is_type(v, json_type_int)) {
                bd_scn_problem(p, where, "expected an integer (%lld..%lld)", lo, hi);
                *out = dflt * (int64_t)scale;
                return;
        }
        x = json_object_get_int64(v);
        if (x < lo || x > hi) {
                bd_scn_problem(p, where, "%lld is out of range (%lld..%lld)", x, lo, hi);
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
        json_object *v = bd_scn_member(o, key);
        char where[160];

        if (!v)
                return dflt;
        if (!json_object_is_type(v, json_type_boolean)) {
                snprintf(where, sizeof(where), "%s.%s", path, key);
                bd_scn_problem(p, where, "expected true or false");
                return dflt;
        }
        return json_object_get_boolean(v);
}

/* A string member into BUF; absent: DFLT (NULL and REQUIRED: an error). */
static void get_str(struct parser *p, json_object *o, const char *path, const char *key, char *buf, size_t size,
                    const char *dflt) {
        json_object *v = bd_scn_member(o, key);
        char where[160];

        snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
        snprintf(buf, size, "%s", dflt ? dflt : "");
        if (!v) {
                if (!dflt)
                        bd_scn_problem(p, where, "missing (a string)");
                return;
        }
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
            (size_t)json_object_get_string_len(v) >= size) {
                bd_scn_problem(p, where, "expected a string of 1 to %zu characters", size - 1);
                return;
        }
        snprintf(buf, size, "%s", json_object_get_string(v));
}

static json_object *get_obj(struct parser *p, json_object *o, const char *path, const char *key, bool required) {
        json_object *v = bd_scn_member(o, key);
        char where[160];

        snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
        if (!v) {
                if (required)
                        bd_scn_problem(p, where, "missing (an object)");
                return NULL;
        }
        if (!json_object_is_type(v, json_type_object)) {
                bd_scn_problem(p, where, "expected an object");
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
                bd_scn_problem(p, where, "\"%s\" is not one of constant, steps, periodic, spike, walk, bursts, ramp",
                               kind);
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
                bd_scn_problem(p, where, "%llu is longer than period_sec (%llu)", (unsigned long long)d->duration_sec,
                        (unsigned long long)d->period_sec);
        }
        d->walk_step_kib = get_u(p, o, path, "step_mib", 1, MAX_MIB, false, MIB, 16);
        d->seed = get_u(p, o, path, "seed", 0, INT64_MAX, false, 1, 1);
        steps = bd_scn_member(o, "steps");
        snprintf(where, sizeof(where), "%s.steps", path);
        if (d->kind == BD_SIM_STEPS && !steps)
                bd_scn_problem(p, where, "missing (a list of [second, MiB] pairs)");
        if (!steps)
                return;
        if (!json_object_is_type(steps, json_type_array)) {
                bd_scn_problem(p, where, "expected a list of [second, MiB] pairs");
                return;
        }
        d->n_steps = json_object_array_length(steps);
        d->steps = calloc(d->n_steps ? d->n_steps : 1, sizeof(*d->steps));
        if (!d->steps)
                abort();
        for (size_t i = 0; i < d->n_steps; i++) {
                json_object *pair = json_object_array_get_idx(steps, i), *t, *m;

                snprintf(where, sizeof(where), "%s.steps[%zu]", path, i);
                if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
                    !json_object_is_type(t = json_object_array_get_idx(pair, 0), json_type_int) ||
                    !json_object_is_type(m = json_object_array_get_idx(pair, 1), json_type_int) ||
                    json_object_get_int64(t) < 0 || json_object_get_int64(m) < 0 ||
                    json_object_get_int64(m) > MAX_MIB) {
                        bd_scn_problem(p, where, "expected [second, MiB] with both >= 0");
                        continue;
                }
                d->steps[i].at_sec = (uint64_t)json_object_get_int64(t);
                d->steps[i].kib = (uint64_t)json_object_get_int64(m) * MIB;
                if (i > 0 && d->steps[i].at_sec <= d->steps[i - 1].at_sec)
                        bd_scn_problem(p, where, "seconds must increase from one step to the next");
        }
}

/* vms[i].balloon (BALLOON may be NULL: the defaults, the host's FPR). */
static void parse_balloon(struct parser *p, json_object *balloon, const char *path, struct bd_sim_vm_spec *s) {
        static const char *const bkeys[] = { "device", "inflate_mib_per_sec", "deflate_mib_per_sec", "stuck",
                                             "free_page_reporting", "autodeflate", NULL };
        char where[64];

        snprintf(where, sizeof(where), "%s.balloon", path);
        if (!p->fpr_default)
                s->flags |= BD_VM_NO_FREE_PAGE_REPORTING;
        if (!balloon)
                return;
        only_keys(p, balloon, where, bkeys);
        if (!get_bool(p, balloon, where, "device", true))
                s->flags |= BD_VM_NO_BALLOON;
        if (get_bool(p, balloon, where, "free_page_reporting", p->fpr_default))
                s->flags &= ~(unsigned)BD_VM_NO_FREE_PAGE_REPORTING;
        else
                s->flags |= BD_VM_NO_FREE_PAGE_REPORTING;
        if (get_bool(p, balloon, where, "autodeflate", false))
                s->flags |= BD_VM_AUTODEFLATE;
        s->balloon_stuck = get_bool(p, balloon, where, "stuck", false);
        s->inflate_kib_per_sec = get_u(p, balloon, where, "inflate_mib_per_sec", 1, 1048576, false, MIB, 0);
        s->deflate_kib_per_sec = get_u(p, balloon, where, "deflate_mib_per_sec", 1, 1048576, false, MIB, 0);
}

static void parse_vm(struct parser *p, json_object *o, size_t idx, struct bd_scenario_vm *vm) {
        static const char *const keys[] = { "name",   "uuid",  "max_mib", "start_mib", "min_mib", "shares",
                                            "class",  "swap_mib", "state", "demand",  "balloon", "stats",
                                            "vfio",   "entitled_mib", "claims_always", NULL };
        static const char *const skeys[] = { "period_sec", "freeze_at_sec", NULL };
        struct bd_sim_vm_spec *s = &vm->spec;
        char path[32], where[64], state[16];
        json_object *demand, *stats;
        int64_t freeze;

        snprintf(path, sizeof(path), "vms[%zu]", idx);
        if (!json_object_is_type(o, json_type_object)) {
                bd_scn_problem(p, path, "expected an object");
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
                bd_scn_problem(p, where, "\"%s\" is not a class name (a-z, 0-9, _ and -)", s->class_tag);
        }
        s->max_kib = get_u(p, o, path, "max_mib", 128, MAX_MIB, true, MIB, 1024);
        s->start_kib = get_u(p, o, path, "start_mib", 128, MAX_MIB, false, MIB, 0);
        if (s->start_kib > s->max_kib) {
                snprintf(where, sizeof(where), "%s.start_mib", path);
                bd_scn_problem(p, where, "%llu is above max_mib (%llu)", (unsigned long long)(s->start_kib / MIB),
                        (unsigned long long)(s->max_kib / MIB));
        }
        s->entitled_kib = get_u(p, o, path, "entitled_mib", 128, MAX_MIB, false, MIB, 0);
        if (s->entitled_kib > s->max_kib) {
                snprintf(where, sizeof(where), "%s.entitled_mib", path);
                bd_scn_problem(p, where, "%llu is above max_mib (%llu)", (unsigned long long)(s->entitled_kib / MIB),
                        (unsigned long long)(s->max_kib / MIB));
        }
        vm->min_kib = get_u(p, o, path, "min_mib", 0, MAX_MIB, false, MIB, 0);
        if (vm->min_kib > s->max_kib) {
                snprintf(where, sizeof(where), "%s.min_mib", path);
                bd_scn_problem(p, where, "%llu is above max_mib (%llu)", (unsigned long long)(vm->min_kib / MIB),
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
                bd_scn_problem(p, where, "\"%s\" is not one of running, paused", state);
        }
        if (get_bool(p, o, path, "vfio", false))
                s->flags |= BD_VM_VFIO;
        s->claims_always = get_bool(p, o, path, "claims_always", false);
        demand = get_obj(p, o, path, "demand", true);
        if (demand) {
                snprintf(where, sizeof(where), "%s.demand", path);
                parse_demand(p, demand, where, &s->demand);
        }
        parse_balloon(p, get_obj(p, o, path, "balloon", false), path, s);
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
                bd_scn_problem(p, "host.hugetlb_mib", "the pools and the host's own use leave no RAM for VMs");
        get_int(p, host, "host", "root_psi_full_pct", 0, 100, false, 1, 0, &psi);
        sc->host.root_psi_full_pct = (double)psi;
        p->fpr_default = get_bool(p, host, "host", "free_page_reporting", true);
        job = get_obj(p, host, "host", "job", false);
        if (job) {
                parse_demand(p, job, "host.job", &sc->host.job);
                if (sc->host.job.base_kib + sc->host.job.amp_kib + sc->host.host_use_kib >= sc->host.ram_kib)
                        bd_scn_problem(p, "host.job",
                                       "at its largest (%llu MiB) it and the host's own use leave no RAM for VMs",
                                       (unsigned long long)((sc->host.job.base_kib + sc->host.job.amp_kib) / MIB));
        }
}

struct key_ref {
        const char *key;
        size_t idx;
};

static int by_key(const void *a, const void *b) {
        const struct key_ref *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Names and uuids must be unique: sorted, so any number of VMs is checked
 * in O(n log n); each VM repeating an earlier one is reported once. */
static void unique_vms(struct parser *p, const struct bd_scenario *sc) {
        struct key_ref *k = calloc(sc->n_vms, sizeof(*k));
        bool *told = calloc(sc->n_vms, sizeof(*told));

        if (!k || !told)
                abort();
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < sc->n_vms; i++)
                        k[i] = (struct key_ref){ pass ? sc->vms[i].spec.uuid : sc->vms[i].spec.name, i };
                qsort(k, sc->n_vms, sizeof(*k), by_key);
                for (size_t i = 1; i < sc->n_vms; i++) {
                        char where[32];

                        if (strcmp(k[i].key, k[i - 1].key) != 0 || told[k[i].idx])
                                continue;
                        told[k[i].idx] = true;
                        snprintf(where, sizeof(where), "vms[%zu]", k[i].idx);
                        bd_scn_problem(p, where, "same name or uuid as vms[%zu]", k[i - 1].idx);
                }
        }
        free(k);
        free(told);
}

static void parse_vms(struct parser *p, json_object *vms, struct bd_scenario *sc) {
        if (!vms || !json_object_is_type(vms, json_type_array) || json_object_array_length(vms) == 0) {
                bd_scn_problem(p, "vms", "expected a list of at least one VM");
                return;
        }
        sc->n_vms = json_object_array_length(vms);
        sc->vms = calloc(sc->n_vms, sizeof(*sc->vms));
        if (!sc->vms)
                abort();
        for (size_t i = 0; i < sc->n_vms; i++)
                parse_vm(p, json_object_array_get_idx(vms, i), i, &sc->vms[i]);
        unique_vms(p, sc);
}

static void parse(struct parser *p, json_object *root, struct bd_scenario *sc) {
        static const char *const keys[] = { "name",   "description", "duration_sec",   "host",
                                            "vms",    "policy",      "restore_at_sec", NULL };
        json_object *host, *policy;

        if (!json_object_is_type(root, json_type_object)) {
                bd_scn_problem(p, "(top)", "expected an object");
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
        parse_vms(p, bd_scn_member(root, "vms"), sc);
        policy = get_obj(p, root, "", "policy", false);
        bd_scn_config(p, policy, sc);
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
        for (size_t i = 0; sc->vms && i < sc->n_vms; i++)
                free(sc->vms[i].spec.demand.steps);
        free(sc->host.job.steps);
        sc->host.job.steps = NULL;
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
