/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration: compiled-in defaults, overridden by a libconfig file.
 * Every key is described once, in the table `keys` below (path, type, range,
 * where it goes); the loader walks the file, checks each setting against the
 * table and reports every problem at once as
 *     FILE:LINE: KEY: PROBLEM (VALID RANGE)
 * (OpenBSD ntpd style). Unknown keys are errors. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <libconfig.h>

#include "balloond/config.h"

#define KIB_PER_MIB 1024ULL
#define USEC_PER_SEC 1000000ULL
#define MAX_MIB 16777216LL /* 16 TiB */

void bd_config_defaults(struct bd_config *c) {
        memset(c, 0, sizeof(*c));
        snprintf(c->connect_uri, sizeof(c->connect_uri), "qemu:///system");
        c->interval_usec = 5 * USEC_PER_SEC;
        c->stats_period_sec = 2;
        c->dry_run = false;
        c->restore_on_exit = false;

        c->host_reserve_kib = 1024 * KIB_PER_MIB;
        c->vm_budget_kib = 0;
        c->relaxed_free_pct = 30.0;
        c->pressure_free_pct = 20.0;
        c->critical_free_pct = 5.0;
        c->hysteresis_pct = 2.0;
        c->psi_critical_pct = 10.0;
        c->host_shrink_cap_kib = 1024 * KIB_PER_MIB;
        snprintf(c->meminfo_path, sizeof(c->meminfo_path), "/proc/meminfo");
        snprintf(c->psi_path, sizeof(c->psi_path), "/proc/pressure/memory");

        c->margin_pct = 20.0;
        c->margin_min_kib = 256 * KIB_PER_MIB;
        c->min_kib = 0;
        c->shares = 1000;
        c->idle_tax_pct = 75.0;
        c->shrink_pct = 5.0;
        c->shrink_max_kib = 256 * KIB_PER_MIB;
        c->deadband_kib = 16 * KIB_PER_MIB;
        c->deadband_pct = 0.25;
        c->cooldown_usec = 15 * USEC_PER_SEC;
        c->grow_hold_usec = 60 * USEC_PER_SEC;
        c->stats_slack_usec = 5 * USEC_PER_SEC;
        c->check_stats_age = true;
        c->stuck_after_usec = 10 * USEC_PER_SEC;
        c->stuck_retry_usec = 300 * USEC_PER_SEC;
        c->major_faults_per_sec = 200;
        c->swap_in_grow_kib = 256 * KIB_PER_MIB;
        c->blind_action = BD_BLIND_HOLD;

        c->metrics_textfile_dir[0] = '\0';
        snprintf(c->metrics_http_address, sizeof(c->metrics_http_address), "127.0.0.1");
        c->metrics_http_port = 0;

        snprintf(c->excluded_classes[0], BD_CLASS_MAX, "database");
        c->n_excluded_classes = 1;
        c->n_rules = 0;
}

/* ---- errors --------------------------------------------------------------- */

static void add_error(struct bd_config_errors *errs, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void add_error(struct bd_config_errors *errs, const char *fmt, ...) {
        va_list ap;

        if (errs->n == errs->cap) {
                size_t cap = errs->cap ? 2 * errs->cap : 8;
                struct bd_config_error *items = reallocarray(errs->items, cap, sizeof(*items));

                if (!items)
                        abort(); /* out of memory is fatal */
                errs->items = items;
                errs->cap = cap;
        }
        va_start(ap, fmt);
        vsnprintf(errs->items[errs->n].text, sizeof(errs->items[errs->n].text), fmt, ap);
        va_end(ap);
        errs->n++;
}

void bd_config_errors_free(struct bd_config_errors *errs) {
        if (!errs)
                return;
        free(errs->items);
        memset(errs, 0, sizeof(*errs));
}

/* ---- the keys --------------------------------------------------------------- */

enum key_type {
        KEY_INT,    /* integer in the file, uint64_t (scaled) or int in the struct */
        KEY_FLOAT,  /* number in the file, double in the struct */
        KEY_BOOL,
        KEY_STRING, /* char[] of `size` bytes */
        KEY_BLIND,  /* "hold" | "deflate" */
};

enum store {
        STORE_U64,
        STORE_INT,
};

struct key {
        const char *path; /* "interval_sec", "host.reserve_mib" */
        enum key_type type;
        double min, max;
        enum store store;
        uint64_t scale; /* file unit -> struct unit */
        size_t offset;
        size_t size; /* strings */
};

#define K_U64(p, lo, hi, sc, f) { p, KEY_INT, lo, hi, STORE_U64, sc, offsetof(struct bd_config, f), 0 }
#define K_INT(p, lo, hi, f) { p, KEY_INT, lo, hi, STORE_INT, 1, offsetof(struct bd_config, f), 0 }
#define K_PCT(p, lo, hi, f) { p, KEY_FLOAT, lo, hi, STORE_U64, 1, offsetof(struct bd_config, f), 0 }
#define K_BOOL(p, f) { p, KEY_BOOL, 0, 0, STORE_U64, 1, offsetof(struct bd_config, f), 0 }
#define K_STR(p, f) \
        { p, KEY_STRING, 0, 0, STORE_U64, 1, offsetof(struct bd_config, f), sizeof(((struct bd_config *)0)->f) }

static const struct key keys[] = {
        K_STR("connect", connect_uri),
        K_U64("interval_sec", 1, 3600, USEC_PER_SEC, interval_usec),
        K_INT("stats_period_sec", 1, 3600, stats_period_sec),
        K_BOOL("dry_run", dry_run),
        K_BOOL("restore_on_exit", restore_on_exit),

        K_U64("host.reserve_mib", 0, MAX_MIB, KIB_PER_MIB, host_reserve_kib),
        K_U64("host.vm_budget_mib", 0, MAX_MIB, KIB_PER_MIB, vm_budget_kib),
        K_PCT("host.relaxed_free_pct", 0, 100, relaxed_free_pct),
        K_PCT("host.pressure_free_pct", 0, 100, pressure_free_pct),
        K_PCT("host.critical_free_pct", 0, 100, critical_free_pct),
        K_PCT("host.hysteresis_pct", 0, 50, hysteresis_pct),
        K_PCT("host.psi_critical_pct", 0.1, 100, psi_critical_pct),
        K_U64("host.shrink_cap_mib", 1, MAX_MIB, KIB_PER_MIB, host_shrink_cap_kib),
        K_STR("host.meminfo_path", meminfo_path),
        K_STR("host.psi_path", psi_path),

        K_PCT("guest.margin_pct", 0, 100, margin_pct),
        K_U64("guest.margin_min_mib", 0, MAX_MIB, KIB_PER_MIB, margin_min_kib),
        K_U64("guest.min_mib", 0, MAX_MIB, KIB_PER_MIB, min_kib),
        K_INT("guest.shares", 1, 50000, shares),
        K_PCT("guest.idle_tax_pct", 0, 99, idle_tax_pct),
        K_PCT("guest.shrink_pct", 0.1, 100, shrink_pct),
        K_U64("guest.shrink_max_mib", 1, MAX_MIB, KIB_PER_MIB, shrink_max_kib),
        K_U64("guest.deadband_mib", 0, 65536, KIB_PER_MIB, deadband_kib),
        K_PCT("guest.deadband_pct", 0, 50, deadband_pct),
        K_U64("guest.cooldown_sec", 0, 86400, USEC_PER_SEC, cooldown_usec),
        K_U64("guest.grow_hold_sec", 0, 86400, USEC_PER_SEC, grow_hold_usec),
        K_U64("guest.stats_slack_sec", 0, 3600, USEC_PER_SEC, stats_slack_usec),
        K_BOOL("guest.check_stats_age", check_stats_age),
        K_U64("guest.stuck_after_sec", 1, 3600, USEC_PER_SEC, stuck_after_usec),
        K_U64("guest.stuck_retry_sec", 1, 86400, USEC_PER_SEC, stuck_retry_usec),
        K_U64("guest.major_faults_per_sec", 1, 10000000, 1, major_faults_per_sec),
        K_U64("guest.swap_in_grow_mib", 0, MAX_MIB, KIB_PER_MIB, swap_in_grow_kib),
        { "guest.blind_action", KEY_BLIND, 0, 0, STORE_U64, 1, offsetof(struct bd_config, blind_action), 0 },

        K_STR("metrics.textfile_dir", metrics_textfile_dir),
        K_STR("metrics.http_address", metrics_http_address),
        K_INT("metrics.http_port", 0, 65535, metrics_http_port),
};

static const struct key *find_key(const char *path) {
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (strcmp(keys[i].path, path) == 0)
                        return &keys[i];
        return NULL;
}

/* Format a range bound without trailing zeros. */
static void fmt_num(char *buf, size_t len, double v) {
        snprintf(buf, len, "%.10g", v);
}

static void range_text(const struct key *k, char *buf, size_t len) {
        char lo[32], hi[32];

        switch (k->type) {
        case KEY_BOOL:
                snprintf(buf, len, "true or false");
                break;
        case KEY_STRING:
                snprintf(buf, len, "a string of at most %zu characters", k->size - 1);
                break;
        case KEY_BLIND:
                snprintf(buf, len, "\"hold\" or \"deflate\"");
                break;
        default:
                fmt_num(lo, sizeof(lo), k->min);
                fmt_num(hi, sizeof(hi), k->max);
                snprintf(buf, len, "%s..%s", lo, hi);
                break;
        }
}

struct loader {
        const char *file;
        struct bd_config *cfg;
        struct bd_config_errors *errs;
        size_t n_errors_before;
        int lines[sizeof(keys) / sizeof(keys[0])]; /* where each key was set, 0 = not set */
};

static void key_error(struct loader *l, const config_setting_t *s, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void key_error(struct loader *l, const config_setting_t *s, const char *path, const char *fmt, ...) {
        char problem[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(problem, sizeof(problem), fmt, ap);
        va_end(ap);
        add_error(l->errs, "%s:%d: %s: %s", l->file, s ? (int)config_setting_source_line(s) : 0, path,
                  problem);
}

static bool setting_number(const config_setting_t *s, double *out, bool *integral) {
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
                *out = config_setting_get_int(s);
                *integral = true;
                return true;
        case CONFIG_TYPE_INT64:
                *out = (double)config_setting_get_int64(s);
                *integral = true;
                return true;
        case CONFIG_TYPE_FLOAT:
                *out = config_setting_get_float(s);
                *integral = false;
                return true;
        default:
                return false;
        }
}

static void load_key(struct loader *l, const struct key *k, const config_setting_t *s) {
        char range[96], num[32];
        char *field = (char *)l->cfg + k->offset;
        double v;
        bool integral;
        const char *str;

        range_text(k, range, sizeof(range));
        l->lines[k - keys] = (int)config_setting_source_line(s);
        switch (k->type) {
        case KEY_BOOL:
                if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                        key_error(l, s, k->path, "expected a boolean (%s)", range);
                        return;
                }
                *(bool *)field = config_setting_get_bool(s);
                return;
        case KEY_STRING:
        case KEY_BLIND:
                if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                        key_error(l, s, k->path, "expected a string (%s)", range);
                        return;
                }
                str = config_setting_get_string(s);
                if (k->type == KEY_BLIND) {
                        if (strcmp(str, "hold") == 0)
                                *(enum bd_blind_action *)field = BD_BLIND_HOLD;
                        else if (strcmp(str, "deflate") == 0)
                                *(enum bd_blind_action *)field = BD_BLIND_DEFLATE;
                        else
                                key_error(l, s, k->path, "\"%s\" is not a valid value (%s)", str, range);
                        return;
                }
                if (!*str && strstr(k->path, "_dir")) { /* a directory: "" turns it off */
                        field[0] = '\0';
                        return;
                }
                if (!*str || strlen(str) >= k->size) {
                        key_error(l, s, k->path, "%s (%s)", *str ? "too long" : "empty", range);
                        return;
                }
                if ((strstr(k->path, "_path") || strstr(k->path, "_dir")) && str[0] != '/') {
                        key_error(l, s, k->path, "\"%s\" is not an absolute path (a path starting with /)", str);
                        return;
                }
                memcpy(field, str, strlen(str) + 1);
                return;
        case KEY_INT:
        case KEY_FLOAT:
                if (!setting_number(s, &v, &integral) || (k->type == KEY_INT && !integral)) {
                        key_error(l, s, k->path, "expected %s (%s)",
                                  k->type == KEY_INT ? "an integer" : "a number", range);
                        return;
                }
                if (v < k->min || v > k->max) {
                        fmt_num(num, sizeof(num), v);
                        key_error(l, s, k->path, "%s is out of range (%s)", num, range);
                        return;
                }
                if (k->type == KEY_FLOAT)
                        *(double *)field = v;
                else if (k->store == STORE_INT)
                        *(int *)field = (int)v;
                else
                        *(uint64_t *)field = (uint64_t)v * k->scale;
                return;
        }
}

/* ---- rules and classes ---------------------------------------------------- */

static bool valid_uuid(const char *u) {
        static const int dash[] = { 8, 13, 18, 23 };

        if (strlen(u) != BD_UUID_LEN)
                return false;
        for (int i = 0; i < BD_UUID_LEN; i++) {
                bool want_dash = i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3];

                if (want_dash ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
                        return false;
        }
        return true;
}

static void load_classes(struct loader *l, const config_setting_t *s) {
        int n;

        if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
                key_error(l, s, "exclude_classes", "expected an array of class names ([\"database\", ...])");
                return;
        }
        n = config_setting_length(s);
        if (n > BD_MAX_CLASSES) {
                key_error(l, s, "exclude_classes", "%d classes, too many (at most %d)", n, BD_MAX_CLASSES);
                return;
        }
        l->cfg->n_excluded_classes = 0;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
                const char *c = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;

                if (!c || !bd_class_valid(c)) {
                        key_error(l, e, "exclude_classes", "element %d is not a class name "
                                  "(1 to %d characters of a-z, 0-9, _ and -)", i, BD_CLASS_MAX - 1);
                        continue;
                }
                snprintf(l->cfg->excluded_classes[l->cfg->n_excluded_classes++], BD_CLASS_MAX, "%s", c);
        }
}

static bool rule_mib(struct loader *l, const config_setting_t *s, const char *path, uint64_t *out) {
        double v;
        bool integral;

        if (!setting_number(s, &v, &integral) || !integral) {
                key_error(l, s, path, "expected an integer (1..%lld)", MAX_MIB);
                return false;
        }
        if (v < 1 || v > MAX_MIB) {
                key_error(l, s, path, "%.0f is out of range (1..%lld)", v, MAX_MIB);
                return false;
        }
        *out = (uint64_t)v * KIB_PER_MIB;
        return true;
}

static void load_rule(struct loader *l, const config_setting_t *g, int idx) {
        struct bd_rule r = { .shares = -1, .exclude = -1, .line = (int)config_setting_source_line(g) };
        char path[64], prefix[32];
        int n = config_setting_length(g), matchers = 0;
        bool ok = true;

        snprintf(prefix, sizeof(prefix), "vms[%d]", idx);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                key_error(l, g, prefix, "expected a group ({ name = \"...\"; ... })");
                return;
        }
        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                const char *name = config_setting_name(s);
                const char *str = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
                double v;
                bool integral;

                snprintf(path, sizeof(path), "%s.%s", prefix, name);
                if (strcmp(name, "name") == 0 || strcmp(name, "uuid") == 0) {
                        bool is_uuid = name[0] == 'u';

                        matchers++;
                        if (!str || !*str || strlen(str) >= BD_MATCH_MAX) {
                                key_error(l, s, path, "expected a %s (a string of 1 to %d characters)",
                                          is_uuid ? "UUID" : "name or shell glob", BD_MATCH_MAX - 1);
                                ok = false;
                        } else if (is_uuid && !valid_uuid(str)) {
                                key_error(l, s, path, "\"%s\" is not a UUID "
                                          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", str);
                                ok = false;
                        } else {
                                r.kind = is_uuid ? BD_MATCH_UUID : BD_MATCH_NAME;
                                snprintf(r.match, sizeof(r.match), "%s", str);
                        }
                } else if (strcmp(name, "min_mib") == 0) {
                        ok &= rule_mib(l, s, path, &r.min_kib);
                } else if (strcmp(name, "max_mib") == 0) {
                        ok &= rule_mib(l, s, path, &r.max_kib);
                } else if (strcmp(name, "shares") == 0) {
                        if (!setting_number(s, &v, &integral) || !integral || v < 1 || v > 50000) {
                                key_error(l, s, path, "expected an integer (1..50000)");
                                ok = false;
                        } else {
                                r.shares = (int)v;
                        }
                } else if (strcmp(name, "exclude") == 0) {
                        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                                key_error(l, s, path, "expected a boolean (true or false)");
                                ok = false;
                        } else {
                                r.exclude = config_setting_get_bool(s);
                        }
                } else if (strcmp(name, "class") == 0) {
                        if (!str || !bd_class_valid(str)) {
                                key_error(l, s, path, "expected a class name "
                                          "(1 to %d characters of a-z, 0-9, _ and -)", BD_CLASS_MAX - 1);
                                ok = false;
                        } else {
                                snprintf(r.class_tag, sizeof(r.class_tag), "%s", str);
                        }
                } else {
                        key_error(l, s, path, "unknown key (name, uuid, min_mib, max_mib, shares, exclude, class)");
                        ok = false;
                }
        }
        if (matchers != 1) {
                key_error(l, g, prefix, "needs exactly one of name or uuid (has %d)", matchers);
                ok = false;
        }
        if (ok && r.min_kib && r.max_kib && r.min_kib > r.max_kib) {
                snprintf(path, sizeof(path), "%s.min_mib", prefix);
                key_error(l, g, path, "%llu is above max_mib (%llu)", (unsigned long long)(r.min_kib / KIB_PER_MIB),
                          (unsigned long long)(r.max_kib / KIB_PER_MIB));
                ok = false;
        }
        if (ok)
                l->cfg->rules[l->cfg->n_rules++] = r;
}

static void load_rules(struct loader *l, const config_setting_t *s) {
        int n;

        if (config_setting_type(s) != CONFIG_TYPE_LIST) {
                key_error(l, s, "vms", "expected a list of rules (( { name = \"...\"; ... }, ... ))");
                return;
        }
        n = config_setting_length(s);
        if (n > BD_MAX_RULES) {
                key_error(l, s, "vms", "%d rules, too many (at most %d)", n, BD_MAX_RULES);
                return;
        }
        for (int i = 0; i < n; i++)
                load_rule(l, config_setting_get_elem(s, (unsigned)i), i);
}

/* ---- the walk ------------------------------------------------------------- */

static void load_group(struct loader *l, const config_setting_t *g, const char *group) {
        int n = config_setting_length(g);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                const char *name = config_setting_name(s);
                char path[128];
                const struct key *k;

                if (group)
                        snprintf(path, sizeof(path), "%s.%s", group, name);
                else
                        snprintf(path, sizeof(path), "%s", name);
                if (!group && (strcmp(name, "host") == 0 || strcmp(name, "guest") == 0 ||
                               strcmp(name, "metrics") == 0)) {
                        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                                key_error(l, s, path, "expected a group (%s = { ... };)", name);
                        else
                                load_group(l, s, name);
                } else if (!group && strcmp(name, "exclude_classes") == 0) {
                        load_classes(l, s);
                } else if (!group && strcmp(name, "vms") == 0) {
                        load_rules(l, s);
                } else if ((k = find_key(path)) != NULL) {
                        load_key(l, k, s);
                } else {
                        key_error(l, s, path, "unknown key (see balloond.conf(5))");
                }
        }
}

static int key_line(const struct loader *l, const char *path) {
        const struct key *k = find_key(path);

        return k ? l->lines[k - keys] : 0;
}

/* The first of KEYS that the file set, for locating an error about their
 * relation; the first key if none was set. */
static const char *first_set(const struct loader *l, const char *const *keys_, size_t n, int *line) {
        for (size_t i = 0; i < n; i++) {
                *line = key_line(l, keys_[i]);
                if (*line)
                        return keys_[i];
        }
        *line = 0;
        return keys_[0];
}

/* Relations between keys, checked once each key is valid on its own. */
static void cross_check(struct loader *l) {
        static const char *const bands[] = { "host.pressure_free_pct", "host.critical_free_pct",
                                             "host.relaxed_free_pct", "host.hysteresis_pct" };
        const struct bd_config *c = l->cfg;
        const char *key;
        double gap;
        int line;

        if (l->errs->n != l->n_errors_before)
                return;
        if (!(c->critical_free_pct < c->pressure_free_pct && c->pressure_free_pct < c->relaxed_free_pct)) {
                key = first_set(l, bands, 3, &line);
                add_error(l->errs, "%s:%d: %s: bands out of order: critical_free_pct %g, pressure_free_pct %g, "
                          "relaxed_free_pct %g (critical < pressure < relaxed)",
                          l->file, line, key, c->critical_free_pct, c->pressure_free_pct, c->relaxed_free_pct);
                return;
        }
        {
                unsigned char addr[16];

                if (inet_pton(AF_INET, c->metrics_http_address, addr) != 1 &&
                    inet_pton(AF_INET6, c->metrics_http_address, addr) != 1)
                        add_error(l->errs, "%s:%d: metrics.http_address: \"%s\" is not an IP address "
                                  "(e.g. 127.0.0.1 or ::1)", l->file, key_line(l, "metrics.http_address"),
                                  c->metrics_http_address);
        }
        gap = c->pressure_free_pct - c->critical_free_pct;
        if (c->relaxed_free_pct - c->pressure_free_pct < gap)
                gap = c->relaxed_free_pct - c->pressure_free_pct;
        if (c->hysteresis_pct >= gap) {
                key = first_set(l, bands + 3, 1, &line);
                if (!line)
                        key = first_set(l, bands, 3, &line);
                add_error(l->errs, "%s:%d: %s: hysteresis_pct %g is not smaller than the narrowest band, %g "
                          "(0..%g)", l->file, line, key, c->hysteresis_pct, gap, gap);
        }
}

static int load(config_t *lc, int read_ok, const char *name, struct bd_config *out,
                struct bd_config_errors *errs) {
        struct loader l = { .file = name, .errs = errs, .n_errors_before = errs->n };
        struct bd_config cfg;

        if (!read_ok) {
                add_error(errs, "%s:%d: syntax error: %s", name, config_error_line(lc),
                          config_error_text(lc) ? config_error_text(lc) : "unreadable");
                return -EINVAL;
        }
        bd_config_defaults(&cfg);
        l.cfg = &cfg;
        load_group(&l, config_root_setting(lc), NULL);
        cross_check(&l);
        if (errs->n != l.n_errors_before)
                return -EINVAL;
        *out = cfg;
        return 0;
}

int bd_config_load(const char *path, struct bd_config *out, struct bd_config_errors *errs) {
        config_t lc;
        FILE *f;
        int r;

        f = fopen(path, "re");
        if (!f) {
                r = -errno;
                add_error(errs, "%s: cannot read: %s", path, strerror(-r));
                return r;
        }
        config_init(&lc);
        r = load(&lc, config_read(&lc, f), path, out, errs);
        config_destroy(&lc);
        fclose(f);
        return r;
}

int bd_config_load_string(const char *text, const char *name, struct bd_config *out,
                          struct bd_config_errors *errs) {
        config_t lc;
        int r;

        config_init(&lc);
        r = load(&lc, config_read_string(&lc, text), name, out, errs);
        config_destroy(&lc);
        return r;
}

/* ---- per-VM settings -------------------------------------------------------- */

static bool rule_matches(const struct bd_rule *r, const struct bd_vm_sample *vm) {
        if (r->kind == BD_MATCH_UUID)
                return strcasecmp(r->match, vm->uuid) == 0;
        return fnmatch(r->match, vm->name, 0) == 0;
}

void bd_config_vm_settings(const struct bd_config *c, const struct bd_vm_sample *vm,
                           struct bd_vm_settings *out) {
        const struct bd_rule *rule = NULL;

        memset(out, 0, sizeof(*out));
        for (size_t i = 0; i < c->n_rules; i++)
                if (rule_matches(&c->rules[i], vm)) {
                        rule = &c->rules[i];
                        break;
                }
        out->rule = rule;
        out->min_kib = rule && rule->min_kib ? rule->min_kib : c->min_kib;
        out->max_kib = rule ? rule->max_kib : 0;
        out->shares = rule && rule->shares > 0 ? rule->shares : c->shares;
        out->class_tag = rule && rule->class_tag[0] ? rule->class_tag : vm->class_tag;
        if (rule && rule->exclude == 1) {
                out->excluded = true;
                return;
        }
        if (rule && rule->exclude == 0)
                return; /* explicitly not excluded, whatever the class */
        for (size_t i = 0; i < c->n_excluded_classes && out->class_tag[0]; i++)
                if (strcmp(c->excluded_classes[i], out->class_tag) == 0) {
                        out->excluded = true;
                        out->excluded_by_class = true;
                        return;
                }
}
