/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration: compiled-in defaults, overridden by a libconfig file.
 *
 * Every scalar key is described once, in the table `keys` below (path, type,
 * valid range, where it goes in struct bd_config); the loader walks the file,
 * checks each setting against the table, then checks the relations between
 * keys, and reports every problem at once (OpenBSD ntpd style) as
 *     FILE:LINE: KEY: PROBLEM (VALID RANGE)
 * Unknown keys are errors. Nothing is written to the caller's config unless
 * the whole file is valid.
 *
 * Three things libconfig 1.5 gets wrong for us: it silently truncates an
 * integer literal that does not fit in 32 bits (4294967296 reads as 0); it
 * would follow @include directives relative to the daemon's working
 * directory; and it calls a comment on a last line without a newline a
 * syntax error. A small scan of the text before parsing finds the first two
 * (the numbers are reported as written, @include is refused), and the text
 * is given to libconfig with a newline at its end. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <libconfig.h>

#include "balloond/core/config.h"
#include "balloond/core/units.h"

#define MAX_MIB 16777216LL /* 16 TiB */
#define MAX_SHARES 50000
#define MAX_CONFIG_BYTES (1024 * 1024)

void bd_config_defaults(struct bd_config *c) {
        memset(c, 0, sizeof(*c));
        snprintf(c->connect_uri, sizeof(c->connect_uri), "qemu:///system");
        c->interval_usec = 5 * USEC_PER_SEC;
        c->stats_period_sec = 2;
        c->dry_run = false;
        c->restore_on_exit = false;

        c->host_reserve_kib = 1024 * KIB_PER_MIB;
        c->vm_budget_kib = 0;
        c->vm_budget_hard = false;
        c->unavailable_kib = 0;
        c->relaxed_free_pct = 30.0;
        c->pressure_free_pct = 20.0;
        c->critical_free_pct = 5.0;
        c->hysteresis_pct = 2.0;
        c->psi_critical_pct = 10.0;
        c->host_shrink_cap_kib = 1024 * KIB_PER_MIB;
        snprintf(c->meminfo_path, sizeof(c->meminfo_path), "/proc/meminfo");
        snprintf(c->psi_path, sizeof(c->psi_path), "/sys/fs/cgroup/machine.slice/memory.pressure");

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
        c->swap_in_kib_per_sec = 1024;
        c->claim_half_life_usec = 1800 * USEC_PER_SEC;
        c->frequent_claim_kib = 2048 * KIB_PER_MIB;
        c->blind_action = BD_BLIND_HOLD;

        c->metrics_textfile_dir[0] = '\0';
        snprintf(c->metrics_http_address, sizeof(c->metrics_http_address), "127.0.0.1");
        c->metrics_http_port = 0;

        snprintf(c->excluded_classes[0], BD_CLASS_MAX, "database");
        c->n_excluded_classes = 1;
        c->n_rules = 0;
}

/* ---- errors --------------------------------------------------------------- */

void bd_config_errors_add(struct bd_config_errors *errs, const char *fmt, ...) {
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
        KEY_INT,   /* integer in the file; uint64_t (scaled) or int in the struct */
        KEY_FLOAT, /* integer or float in the file; double in the struct */
        KEY_BOOL,
        KEY_URI,   /* non-empty string */
        KEY_PATH,  /* absolute path */
        KEY_DIR,   /* absolute path, or "" for none */
        KEY_ADDR,  /* IPv4 or IPv6 address */
        KEY_BLIND, /* "hold" | "deflate" */
};

enum store {
        STORE_U64,
        STORE_INT,
};

struct key {
        const char *path; /* "interval_sec", "host.reserve_mib" */
        enum key_type type;
        double min, max;  /* numbers */
        enum store store; /* KEY_INT */
        uint64_t scale;   /* KEY_INT: file unit -> struct unit */
        size_t offset;
        size_t size;      /* strings: the field's size */
};

#define FIELD_SIZE(f) sizeof(((struct bd_config *)0)->f)
#define K_U64(p, lo, hi, sc, f) { p, KEY_INT, lo, hi, STORE_U64, sc, offsetof(struct bd_config, f), 0 }
#define K_INT(p, lo, hi, f) { p, KEY_INT, lo, hi, STORE_INT, 1, offsetof(struct bd_config, f), 0 }
#define K_PCT(p, lo, hi, f) { p, KEY_FLOAT, lo, hi, STORE_U64, 1, offsetof(struct bd_config, f), 0 }
#define K_BOOL(p, f) { p, KEY_BOOL, 0, 0, STORE_U64, 1, offsetof(struct bd_config, f), 0 }
#define K_STR(p, t, f) { p, t, 0, 0, STORE_U64, 1, offsetof(struct bd_config, f), FIELD_SIZE(f) }

static const struct key keys[] = {
        K_STR("connect", KEY_URI, connect_uri),
        K_U64("interval_sec", 1, 3600, USEC_PER_SEC, interval_usec),
        K_INT("stats_period_sec", 1, 3600, stats_period_sec),
        K_BOOL("dry_run", dry_run),
        K_BOOL("restore_on_exit", restore_on_exit),

        K_U64("host.reserve_mib", 0, MAX_MIB, KIB_PER_MIB, host_reserve_kib),
        K_U64("host.vm_budget_mib", 0, MAX_MIB, KIB_PER_MIB, vm_budget_kib),
        K_BOOL("host.vm_budget_hard", vm_budget_hard),
        K_U64("host.unavailable_mib", 0, MAX_MIB, KIB_PER_MIB, unavailable_kib),
        K_PCT("host.relaxed_free_pct", 0, 100, relaxed_free_pct),
        K_PCT("host.pressure_free_pct", 0, 100, pressure_free_pct),
        K_PCT("host.critical_free_pct", 0, 100, critical_free_pct),
        K_PCT("host.hysteresis_pct", 0, 50, hysteresis_pct),
        K_PCT("host.psi_critical_pct", 0.1, 100, psi_critical_pct),
        K_U64("host.shrink_cap_mib", 1, MAX_MIB, KIB_PER_MIB, host_shrink_cap_kib),
        K_STR("host.meminfo_path", KEY_PATH, meminfo_path),
        K_STR("host.psi_path", KEY_PATH, psi_path),

        K_PCT("guest.margin_pct", 0, 100, margin_pct),
        K_U64("guest.margin_min_mib", 0, MAX_MIB, KIB_PER_MIB, margin_min_kib),
        K_U64("guest.min_mib", 0, MAX_MIB, KIB_PER_MIB, min_kib),
        K_INT("guest.shares", 1, MAX_SHARES, shares),
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
        K_U64("guest.swap_in_kib_per_sec", 1, MAX_MIB, 1, swap_in_kib_per_sec),
        K_U64("guest.claim_half_life_sec", 1, 86400, USEC_PER_SEC, claim_half_life_usec),
        K_U64("guest.frequent_claim_mib", 0, MAX_MIB, KIB_PER_MIB, frequent_claim_kib),
        { "guest.blind_action", KEY_BLIND, 0, 0, STORE_U64, 1, offsetof(struct bd_config, blind_action), 0 },

        K_STR("metrics.textfile_dir", KEY_DIR, metrics_textfile_dir),
        K_STR("metrics.http_address", KEY_ADDR, metrics_http_address),
        K_INT("metrics.http_port", 0, 65535, metrics_http_port),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Top-level names that are not in `keys`. */
static const char *const groups[] = { "host", "guest", "metrics" };
static const char *const lists[] = { "exclude_classes", "vms" };

static const char rule_keys[] = "name, uuid, min_mib, max_mib, shares, exclude, class";

static const struct key *find_key(const char *path) {
        for (size_t i = 0; i < N_KEYS; i++)
                if (strcmp(keys[i].path, path) == 0)
                        return &keys[i];
        return NULL;
}

static void range_text(const struct key *k, char *buf, size_t len) {
        switch (k->type) {
        case KEY_BOOL:
                snprintf(buf, len, "true or false");
                break;
        case KEY_URI:
                snprintf(buf, len, "a libvirt URI of 1 to %zu characters", k->size - 1);
                break;
        case KEY_PATH:
                snprintf(buf, len, "an absolute path of at most %zu characters", k->size - 1);
                break;
        case KEY_DIR:
                snprintf(buf, len, "an absolute path of at most %zu characters, or \"\" for none", k->size - 1);
                break;
        case KEY_ADDR:
                snprintf(buf, len, "an IPv4 or IPv6 address such as 127.0.0.1 or ::1");
                break;
        case KEY_BLIND:
                snprintf(buf, len, "\"hold\" or \"deflate\"");
                break;
        case KEY_INT:
        case KEY_FLOAT:
                snprintf(buf, len, "%.10g..%.10g", k->min, k->max);
                break;
        }
}

/* ---- the scan before parsing ---------------------------------------------- */

/* An integer literal that libconfig 1.5 truncates to 32 bits. */
struct literal {
        int line;
        int stored;   /* what libconfig makes of it */
        double value; /* what it says */
        char text[48];
        bool used;
};

struct loader {
        const char *file;
        struct bd_config *cfg;
        struct bd_config_errors *errs;
        int lines[N_KEYS]; /* where each key was set, 0 = not set */
        bool bad[N_KEYS];  /* the key's setting was rejected */
        struct literal *lits;
        size_t n_lits;
        int rule_index[BD_MAX_RULES]; /* the vms[] index of each stored rule */
};

static void located_error(struct loader *l, int line, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void located_error(struct loader *l, int line, const char *key, const char *fmt, ...) {
        char problem[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(problem, sizeof(problem), fmt, ap);
        va_end(ap);
        bd_config_errors_add(l->errs, "%s:%d: %s: %s", l->file, line, key, problem);
}

static void record_literal(struct loader *l, const char *start, const char *end, int line, bool hex) {
        unsigned long long u;
        long long v;
        size_t len = (size_t)(end - start);
        struct literal *lit;
        char buf[64];

        if (len >= sizeof(buf))
                len = sizeof(buf) - 1; /* saturates either way */
        memcpy(buf, start, len);
        buf[len] = '\0';
        if (hex) {
                u = strtoull(buf, NULL, 16);
                if (u <= INT_MAX)
                        return;
                v = 0;
        } else {
                v = strtoll(buf, NULL, 10);
                if (v >= INT_MIN && v <= INT_MAX)
                        return;
                u = (unsigned long long)v;
        }
        lit = reallocarray(l->lits, l->n_lits + 1, sizeof(*lit));
        if (!lit)
                abort();
        l->lits = lit;
        lit = &l->lits[l->n_lits++];
        memset(lit, 0, sizeof(*lit));
        lit->line = line;
        lit->stored = (int)(uint32_t)u; /* libconfig 1.5: atoi() / strtoul() into an int */
        lit->value = hex ? (double)u : strtod(buf, NULL);
        if ((size_t)(end - start) >= sizeof(lit->text))
                snprintf(lit->text, sizeof(lit->text), "%.*s...", (int)sizeof(lit->text) - 4, start);
        else
                snprintf(lit->text, sizeof(lit->text), "%.*s", (int)(end - start), start);
}

/* P is at a number (a sign, a digit or a '.'); return the end of it. */
static const char *scan_number(struct loader *l, const char *p, int line) {
        const char *start = p, *q;

        if (*p == '+' || *p == '-')
                p++;
        if (p == start && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
                for (q = p + 2; isxdigit((unsigned char)*q); q++)
                        ;
                if (*q == 'L')
                        return q[1] == 'L' ? q + 2 : q + 1; /* 64-bit: parsed right */
                record_literal(l, p, q, line, true);
                return q;
        }
        while (isdigit((unsigned char)*p))
                p++;
        if (*p == '.' || *p == 'e' || *p == 'E') { /* a float */
                while (isdigit((unsigned char)*p) || *p == '.')
                        p++;
                if (*p == 'e' || *p == 'E') {
                        p++;
                        if (*p == '+' || *p == '-')
                                p++;
                        while (isdigit((unsigned char)*p))
                                p++;
                }
                return p;
        }
        if (*p == 'L')
                return p[1] == 'L' ? p + 2 : p + 1;
        record_literal(l, start, p, line, false);
        return p;
}

static bool name_char(char c) {
        return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*';
}

/* Find the integer literals libconfig would truncate, and refuse (and blank
 * out) @include directives. TEXT is libconfig's input, changed in place. */
static void prescan(struct loader *l, char *text) {
        char *p = text;
        int line = 1;

        while (*p) {
                if (*p == '\n') {
                        line++;
                        p++;
                } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
                        while (*p && *p != '\n')
                                p++;
                } else if (p[0] == '/' && p[1] == '*') {
                        for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                                line += *p == '\n';
                        if (*p)
                                p += 2;
                } else if (*p == '"') {
                        for (p++; *p && *p != '"'; p++) {
                                if (*p == '\\' && p[1])
                                        p++;
                                line += *p == '\n';
                        }
                        if (*p)
                                p++;
                } else if (strncmp(p, "@include", 8) == 0) {
                        located_error(l, line, "@include", "not supported (every setting in this one file)");
                        while (*p && *p != '\n')
                                *p++ = ' ';
                } else if (isalpha((unsigned char)*p) || *p == '*') {
                        while (name_char(*p))
                                p++;
                } else if (isdigit((unsigned char)*p) ||
                           ((*p == '-' || *p == '+' || *p == '.') && isdigit((unsigned char)p[1]))) {
                        p = (char *)scan_number(l, p, line);
                } else {
                        p++;
                }
        }
}

/* ---- reading values ----------------------------------------------------------- */

struct number {
        double value;
        bool integral;
        char text[48]; /* as written, or as near as we know */
};

/* A number setting's value. An integer that libconfig truncated is given as
 * written (so that it fails the range check with its own text). */
static bool get_number(struct loader *l, const config_setting_t *s, struct number *n) {
        int line = (int)config_setting_source_line(s), v;
        struct literal *best = NULL;

        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
                v = config_setting_get_int(s);
                n->value = v;
                n->integral = true;
                snprintf(n->text, sizeof(n->text), "%d", v);
                for (size_t i = 0; i < l->n_lits; i++) {
                        struct literal *lit = &l->lits[i];

                        if (!lit->used && lit->stored == v && lit->line >= line && lit->line <= line + 3 &&
                            (!best || lit->line < best->line))
                                best = lit;
                }
                if (best) {
                        best->used = true;
                        n->value = best->value;
                        snprintf(n->text, sizeof(n->text), "%s", best->text);
                }
                return true;
        case CONFIG_TYPE_INT64:
                n->value = (double)config_setting_get_int64(s);
                n->integral = true;
                snprintf(n->text, sizeof(n->text), "%lld", config_setting_get_int64(s));
                return true;
        case CONFIG_TYPE_FLOAT:
                n->value = config_setting_get_float(s);
                n->integral = false;
                snprintf(n->text, sizeof(n->text), "%.10g", n->value);
                return true;
        default:
                return false;
        }
}

static int line_of(const config_setting_t *s) {
        return (int)config_setting_source_line(s);
}

static bool load_string_key(struct loader *l, const struct key *k, const config_setting_t *s, char *field,
                            const char *range) {
        unsigned char addr[16];
        const char *str;
        size_t len;

        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                located_error(l, line_of(s), k->path, "expected a string (%s)", range);
                return false;
        }
        str = config_setting_get_string(s);
        len = strlen(str);
        if (k->type == KEY_BLIND) {
                if (strcmp(str, "hold") == 0)
                        *(enum bd_blind_action *)(void *)field = BD_BLIND_HOLD;
                else if (strcmp(str, "deflate") == 0)
                        *(enum bd_blind_action *)(void *)field = BD_BLIND_DEFLATE;
                else {
                        located_error(l, line_of(s), k->path, "\"%s\" is not a valid value (%s)", str, range);
                        return false;
                }
                return true;
        }
        if (len == 0 && k->type != KEY_DIR) {
                located_error(l, line_of(s), k->path, "empty (%s)", range);
                return false;
        }
        if (len >= k->size) {
                located_error(l, line_of(s), k->path, "too long, %zu characters (%s)", len, range);
                return false;
        }
        if ((k->type == KEY_PATH || k->type == KEY_DIR) && len > 0 && str[0] != '/') {
                located_error(l, line_of(s), k->path, "\"%s\" is not an absolute path (%s)", str, range);
                return false;
        }
        if (k->type == KEY_ADDR && inet_pton(AF_INET, str, addr) != 1 && inet_pton(AF_INET6, str, addr) != 1) {
                located_error(l, line_of(s), k->path, "\"%s\" is not an IP address (%s)", str, range);
                return false;
        }
        memcpy(field, str, len + 1);
        return true;
}

static bool load_key(struct loader *l, const struct key *k, const config_setting_t *s) {
        char *field = (char *)l->cfg + k->offset;
        struct number n;
        char range[128];

        range_text(k, range, sizeof(range));
        switch (k->type) {
        case KEY_BOOL:
                if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                        located_error(l, line_of(s), k->path, "expected a boolean (%s)", range);
                        return false;
                }
                *(bool *)field = config_setting_get_bool(s);
                return true;
        case KEY_URI:
        case KEY_PATH:
        case KEY_DIR:
        case KEY_ADDR:
        case KEY_BLIND:
                return load_string_key(l, k, s, field, range);
        case KEY_INT:
        case KEY_FLOAT:
                if (!get_number(l, s, &n) || (k->type == KEY_INT && !n.integral)) {
                        located_error(l, line_of(s), k->path, "expected %s (%s)",
                                      k->type == KEY_INT ? "an integer" : "a number", range);
                        return false;
                }
                if (!(n.value >= k->min && n.value <= k->max)) {
                        located_error(l, line_of(s), k->path, "%s is out of range (%s)", n.text, range);
                        return false;
                }
                if (k->type == KEY_FLOAT)
                        *(double *)(void *)field = n.value;
                else if (k->store == STORE_INT)
                        *(int *)(void *)field = (int)n.value;
                else
                        *(uint64_t *)(void *)field = (uint64_t)n.value * k->scale;
                return true;
        }
        return false;
}

/* ---- unknown keys ------------------------------------------------------------- */

/* Optimal string alignment distance (a swap of two letters counts 1), case
 * insensitive; A and B are short key paths. */
static size_t edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        size_t d[3][BD_MATCH_MAX + 1];

        if (la > BD_MATCH_MAX || lb > BD_MATCH_MAX)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];

                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
                        size_t best = prev[j - 1] + cost;

                        if (prev[j] + 1 < best)
                                best = prev[j] + 1;
                        if (cur[j - 1] + 1 < best)
                                best = cur[j - 1] + 1;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
                                best = prev2[j - 2] + 1;
                        cur[j] = best;
                }
        }
        return d[la % 3][lb];
}

static const char *last_part(const char *path) {
        const char *dot = strrchr(path, '.');

        return dot ? dot + 1 : path;
}

static void consider(const char *path, const char *candidate, const char **best, size_t *best_d) {
        size_t d = edit_distance(path, candidate);

        if (d < *best_d && d < strlen(path)) {
                *best_d = d;
                *best = candidate;
        }
}

/* The known key PATH most likely meant: a near spelling (at most two edits),
 * else the same name in another group. NULL if none. */
static const char *suggest(const char *path) {
        const char *best = NULL;
        size_t best_d = 3;

        for (size_t i = 0; i < N_KEYS; i++)
                consider(path, keys[i].path, &best, &best_d);
        for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
                consider(path, groups[i], &best, &best_d);
        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
                consider(path, lists[i], &best, &best_d);
        if (best)
                return best;
        for (size_t i = 0; i < N_KEYS; i++)
                if (strcmp(last_part(keys[i].path), last_part(path)) == 0)
                        return keys[i].path;
        return NULL;
}

static void unknown_key(struct loader *l, const config_setting_t *s, const char *path) {
        const char *hint = suggest(path);

        if (hint)
                located_error(l, line_of(s), path, "unknown key (did you mean %s?)", hint);
        else
                located_error(l, line_of(s), path, "unknown key (see balloond.conf(5) for the keys)");
}

/* ---- rules and classes ---------------------------------------------------- */

static bool valid_uuid(const char *u) {
        if (strlen(u) != BD_UUID_LEN)
                return false;
        for (int i = 0; i < BD_UUID_LEN; i++) {
                bool want_dash = i == 8 || i == 13 || i == 18 || i == 23;

                if (want_dash ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
                        return false;
        }
        return true;
}

/* A class name (exclude_classes[i], vms[i].class); false after saying why. */
static bool check_class(struct loader *l, const config_setting_t *s, const char *path, const char **out) {
        const char *c;

        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                located_error(l, line_of(s), path, "expected a string (a class name: 1 to %d characters of a-z, "
                              "0-9, _ and -)", BD_CLASS_MAX - 1);
                return false;
        }
        c = config_setting_get_string(s);
        if (!bd_class_valid(c)) {
                located_error(l, line_of(s), path, "\"%s\" is not a class name (1 to %d characters of a-z, "
                              "0-9, _ and -)", c, BD_CLASS_MAX - 1);
                return false;
        }
        *out = c;
        return true;
}

static void load_classes(struct loader *l, const config_setting_t *s) {
        int n;

        if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
                located_error(l, line_of(s), "exclude_classes",
                              "expected an array of class names ([ \"database\", ... ], at most %d)",
                              BD_MAX_CLASSES);
                return;
        }
        n = config_setting_length(s);
        if (n > BD_MAX_CLASSES)
                located_error(l, line_of(s), "exclude_classes", "%d classes, too many (at most %d)", n,
                              BD_MAX_CLASSES);
        l->cfg->n_excluded_classes = 0;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
                char path[48];
                const char *c;

                snprintf(path, sizeof(path), "exclude_classes[%d]", i);
                if (check_class(l, e, path, &c) && l->cfg->n_excluded_classes < BD_MAX_CLASSES)
                        snprintf(l->cfg->excluded_classes[l->cfg->n_excluded_classes++], BD_CLASS_MAX, "%s", c);
        }
}

static bool rule_size(struct loader *l, const config_setting_t *s, const char *path, uint64_t *out) {
        struct number n;

        if (!get_number(l, s, &n) || !n.integral) {
                located_error(l, line_of(s), path, "expected an integer (1..%lld)", MAX_MIB);
                return false;
        }
        if (!(n.value >= 1 && n.value <= MAX_MIB)) {
                located_error(l, line_of(s), path, "%s is out of range (1..%lld)", n.text, MAX_MIB);
                return false;
        }
        *out = (uint64_t)n.value * KIB_PER_MIB;
        return true;
}

static bool rule_matcher(struct loader *l, const config_setting_t *s, const char *path, bool is_uuid,
                         struct bd_rule *r) {
        const char *str = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;

        if (!str || !*str || strlen(str) >= BD_MATCH_MAX) {
                if (is_uuid)
                        located_error(l, line_of(s), path, "expected a UUID (a string: "
                                      "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)");
                else
                        located_error(l, line_of(s), path, "expected a name or shell glob "
                                      "(a string of 1 to %d characters)", BD_MATCH_MAX - 1);
                return false;
        }
        if (is_uuid && !valid_uuid(str)) {
                located_error(l, line_of(s), path, "\"%s\" is not a UUID "
                              "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)", str);
                return false;
        }
        for (size_t i = 0; i < l->cfg->n_rules; i++) {
                const struct bd_rule *o = &l->cfg->rules[i];

                if (o->kind == (is_uuid ? BD_MATCH_UUID : BD_MATCH_NAME) &&
                    (is_uuid ? strcasecmp(o->match, str) : strcmp(o->match, str)) == 0) {
                        located_error(l, line_of(s), path, "\"%s\" repeats vms[%d], which always wins "
                                      "(a name or uuid in one rule only)", str, l->rule_index[i]);
                        return false;
                }
        }
        r->kind = is_uuid ? BD_MATCH_UUID : BD_MATCH_NAME;
        snprintf(r->match, sizeof(r->match), "%s", str);
        return true;
}

static void load_rule(struct loader *l, const config_setting_t *g, int idx) {
        struct bd_rule r = { .shares = -1, .exclude = -1, .line = line_of(g) };
        const config_setting_t *min_s = NULL;
        char path[80], prefix[32];
        int n, matchers = 0;
        bool ok = true, min_ok = false, max_ok = false;

        snprintf(prefix, sizeof(prefix), "vms[%d]", idx);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                located_error(l, line_of(g), prefix, "expected a group ({ name = \"...\"; ... })");
                return;
        }
        n = config_setting_length(g);
        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                const char *name = config_setting_name(s), *c;
                struct number num;

                snprintf(path, sizeof(path), "%s.%s", prefix, name);
                if (strcmp(name, "name") == 0 || strcmp(name, "uuid") == 0) {
                        matchers++;
                        ok &= rule_matcher(l, s, path, name[0] == 'u', &r);
                } else if (strcmp(name, "min_mib") == 0) {
                        min_ok = rule_size(l, s, path, &r.min_kib);
                        min_s = s;
                        ok &= min_ok;
                } else if (strcmp(name, "max_mib") == 0) {
                        max_ok = rule_size(l, s, path, &r.max_kib);
                        ok &= max_ok;
                } else if (strcmp(name, "shares") == 0) {
                        if (!get_number(l, s, &num) || !num.integral) {
                                located_error(l, line_of(s), path, "expected an integer (1..%d)", MAX_SHARES);
                                ok = false;
                        } else if (!(num.value >= 1 && num.value <= MAX_SHARES)) {
                                located_error(l, line_of(s), path, "%s is out of range (1..%d)", num.text,
                                              MAX_SHARES);
                                ok = false;
                        } else {
                                r.shares = (int)num.value;
                        }
                } else if (strcmp(name, "exclude") == 0) {
                        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                                located_error(l, line_of(s), path, "expected a boolean (true or false)");
                                ok = false;
                        } else {
                                r.exclude = config_setting_get_bool(s);
                        }
                } else if (strcmp(name, "class") == 0) {
                        if (check_class(l, s, path, &c))
                                snprintf(r.class_tag, sizeof(r.class_tag), "%s", c);
                        else
                                ok = false;
                } else {
                        located_error(l, line_of(s), path, "unknown key (%s)", rule_keys);
                        ok = false;
                }
        }
        if (matchers == 0) {
                located_error(l, line_of(g), prefix, "has neither name nor uuid (exactly one of them)");
                ok = false;
        } else if (matchers > 1) {
                located_error(l, line_of(g), prefix, "has both name and uuid (exactly one of them)");
                ok = false;
        }
        if (min_ok && max_ok && r.min_kib > r.max_kib) {
                snprintf(path, sizeof(path), "%s.min_mib", prefix);
                located_error(l, line_of(min_s), path, "%llu is above max_mib %llu (1..%llu)",
                              (unsigned long long)(r.min_kib / KIB_PER_MIB),
                              (unsigned long long)(r.max_kib / KIB_PER_MIB),
                              (unsigned long long)(r.max_kib / KIB_PER_MIB));
                ok = false;
        }
        if (ok && l->cfg->n_rules < BD_MAX_RULES) {
                l->rule_index[l->cfg->n_rules] = idx;
                l->cfg->rules[l->cfg->n_rules++] = r;
        }
}

static void load_rules(struct loader *l, const config_setting_t *s) {
        int n;

        if (config_setting_type(s) == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0)
                return; /* vms = [ ]; no rules either */
        if (config_setting_type(s) != CONFIG_TYPE_LIST) {
                located_error(l, line_of(s), "vms", "expected a list of rules (( { name = \"...\"; ... }, ... ), "
                              "at most %d)", BD_MAX_RULES);
                return;
        }
        n = config_setting_length(s);
        if (n > BD_MAX_RULES)
                located_error(l, line_of(s), "vms", "%d rules, too many (at most %d)", n, BD_MAX_RULES);
        for (int i = 0; i < n; i++)
                load_rule(l, config_setting_get_elem(s, (unsigned)i), i);
}

/* ---- the walk ------------------------------------------------------------- */

static void load_group(struct loader *l, const config_setting_t *g, const char *group) {
        int n = config_setting_length(g);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                const char *name = config_setting_name(s);
                const struct key *k;
                char path[160];
                bool is_group = false;

                snprintf(path, sizeof(path), "%s%s%s", group ? group : "", group ? "." : "", name);
                for (size_t j = 0; !group && j < sizeof(groups) / sizeof(groups[0]); j++)
                        is_group = is_group || strcmp(name, groups[j]) == 0;
                if (is_group) {
                        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                                located_error(l, line_of(s), path, "expected a group (%s = { ... };)", name);
                        else
                                load_group(l, s, name);
                } else if (!group && strcmp(name, "exclude_classes") == 0) {
                        load_classes(l, s);
                } else if (!group && strcmp(name, "vms") == 0) {
                        load_rules(l, s);
                } else if ((k = find_key(path)) != NULL) {
                        l->lines[k - keys] = line_of(s);
                        l->bad[k - keys] = !load_key(l, k, s);
                } else {
                        unknown_key(l, s, path);
                }
        }
}

/* ---- relations between keys ----------------------------------------------- */

enum band_key { B_CRITICAL, B_PRESSURE, B_RELAXED, B_HYSTERESIS, N_BAND_KEYS };

static const char *const band_paths[N_BAND_KEYS] = {
        "host.critical_free_pct", "host.pressure_free_pct", "host.relaxed_free_pct", "host.hysteresis_pct",
};

/* Which key to blame for a broken relation: a key the file set and changed
 * from its default, else one it set; one whose valid range (given the others)
 * is not empty, if there is one. -1 if the file set none of them. */
static int blame(const int line[], const bool changed[], const bool involved[], const bool feasible[], int n) {
        for (int pass = 0; pass < 4; pass++)
                for (int i = 0; i < n; i++)
                        if (involved[i] && line[i] && (pass & 1 || changed[i]) && (pass & 2 || feasible[i]))
                                return i;
        return -1;
}

/* The bands must be ordered, critical < pressure < relaxed, each wider than
 * the hysteresis. A problem is located at a key the file set, with the range
 * that key would need given the others. */
static void check_bands(struct loader *l) {
        const struct bd_config *c = l->cfg;
        struct bd_config d;
        const double cr = c->critical_free_pct, pr = c->pressure_free_pct, re = c->relaxed_free_pct,
                     h = c->hysteresis_pct;
        double v[N_BAND_KEYS], dv[N_BAND_KEYS], gap;
        bool changed[N_BAND_KEYS], involved[N_BAND_KEYS] = { false }, feasible[N_BAND_KEYS];
        int line[N_BAND_KEYS], at;

        bd_config_defaults(&d);
        v[B_CRITICAL] = cr, v[B_PRESSURE] = pr, v[B_RELAXED] = re, v[B_HYSTERESIS] = h;
        dv[B_CRITICAL] = d.critical_free_pct, dv[B_PRESSURE] = d.pressure_free_pct;
        dv[B_RELAXED] = d.relaxed_free_pct, dv[B_HYSTERESIS] = d.hysteresis_pct;
        for (int i = 0; i < N_BAND_KEYS; i++) {
                const struct key *k = find_key(band_paths[i]);

                if (l->bad[k - keys])
                        return; /* already reported; its default would only confuse */
                line[i] = l->lines[k - keys];
                changed[i] = line[i] && v[i] != dv[i];
        }

        if (!(cr < pr && pr < re)) {
                involved[B_CRITICAL] = !(cr < pr);
                involved[B_RELAXED] = !(pr < re);
                involved[B_PRESSURE] = true;
                feasible[B_CRITICAL] = pr > 0;
                feasible[B_PRESSURE] = cr < re;
                feasible[B_RELAXED] = pr < 100;
                at = blame(line, changed, involved, feasible, B_HYSTERESIS);
                if (at == B_CRITICAL)
                        located_error(l, line[at], band_paths[at], "%g is not below pressure_free_pct %g "
                                      "(0 to below %g)", cr, pr, pr);
                else if (at == B_RELAXED)
                        located_error(l, line[at], band_paths[at], "%g is not above pressure_free_pct %g "
                                      "(above %g, up to 100)", re, pr, pr);
                else if (at == B_PRESSURE && !(cr < pr))
                        located_error(l, line[at], band_paths[at], "%g is not above critical_free_pct %g "
                                      "(above %g, below %g)", pr, cr, cr, re);
                else if (at == B_PRESSURE)
                        located_error(l, line[at], band_paths[at], "%g is not below relaxed_free_pct %g "
                                      "(above %g, below %g)", pr, re, cr, re);
                return; /* at < 0: the defaults are ordered, cannot happen */
        }

        gap = pr - cr < re - pr ? pr - cr : re - pr;
        if (h < gap)
                return;
        if (pr - cr <= re - pr)
                involved[B_CRITICAL] = true;
        else
                involved[B_RELAXED] = true;
        involved[B_PRESSURE] = involved[B_HYSTERESIS] = true;
        feasible[B_CRITICAL] = pr - h > 0;
        feasible[B_PRESSURE] = cr + h < re - h;
        feasible[B_RELAXED] = pr + h < 100;
        feasible[B_HYSTERESIS] = true;
        at = blame(line, changed, involved, feasible, N_BAND_KEYS);
        switch (at) {
        case B_CRITICAL:
                located_error(l, line[at], band_paths[at], "%g leaves a band of %g below pressure_free_pct %g, "
                              "not wider than hysteresis_pct %g (0 to below %g)", cr, pr - cr, pr, h, pr - h);
                break;
        case B_PRESSURE:
                located_error(l, line[at], band_paths[at], "%g leaves a band of %g %s %s %g, not wider than "
                              "hysteresis_pct %g (above %g, below %g)", pr, gap,
                              involved[B_CRITICAL] ? "above" : "below",
                              involved[B_CRITICAL] ? "critical_free_pct" : "relaxed_free_pct",
                              involved[B_CRITICAL] ? cr : re, h, cr + h, re - h);
                break;
        case B_RELAXED:
                located_error(l, line[at], band_paths[at], "%g leaves a band of %g above pressure_free_pct %g, "
                              "not wider than hysteresis_pct %g (above %g, up to 100)", re, re - pr, pr, h, pr + h);
                break;
        case B_HYSTERESIS:
                located_error(l, line[at], band_paths[at], "%g is not below the narrowest band, %g wide "
                              "(0 to below %g)", h, gap, gap);
                break;
        default: /* the defaults are consistent: cannot happen */
                break;
        }
}

/* ---- loading ---------------------------------------------------------------- */

/* The line of an error "NAME:LINE: ...", 0 for one without. */
static long error_line(const struct bd_config_error *e, size_t name_len) {
        return e->text[name_len] == ':' ? strtol(e->text + name_len + 1, NULL, 10) : 0;
}

/* Put the errors from FIRST on in the order of their lines (stable). */
static void sort_errors(struct bd_config_errors *errs, size_t first, const char *name) {
        size_t name_len = strlen(name);

        for (size_t i = first + 1; i < errs->n; i++) {
                struct bd_config_error e = errs->items[i];
                long line = error_line(&e, name_len);
                size_t j = i;

                for (; j > first && error_line(&errs->items[j - 1], name_len) > line; j--)
                        errs->items[j] = errs->items[j - 1];
                errs->items[j] = e;
        }
}

static int load_text(const char *source, size_t len, const char *name, struct bd_config *out,
                     struct bd_config_errors *errs) {
        struct loader l = { .file = name, .errs = errs };
        size_t before = errs->n;
        struct bd_config cfg;
        char *text;
        config_t lc;
        int r = 0;

        /* Our own copy, for prescan() to change, and ending in a newline:
         * libconfig 1.5 calls a comment on a last line without one a syntax
         * error. */
        text = malloc(len + 2);
        if (!text)
                abort();
        memcpy(text, source, len);
        text[len] = '\n';
        text[len + 1] = '\0';

        bd_config_defaults(&cfg);
        l.cfg = &cfg;
        prescan(&l, text);
        config_init(&lc);
        if (!config_read_string(&lc, text)) {
                bd_config_errors_add(errs, "%s:%d: syntax error: %s", name, config_error_line(&lc),
                          config_error_text(&lc) ? config_error_text(&lc) : "unreadable");
        } else {
                load_group(&l, config_root_setting(&lc), NULL);
                check_bands(&l);
        }
        sort_errors(errs, before, name);
        if (errs->n != before)
                r = -EINVAL;
        else
                *out = cfg;
        config_destroy(&lc);
        free(l.lits);
        free(text);
        return r;
}

/* Read PATH whole into *TEXT (NUL-terminated), *LEN bytes. */
static int read_text(const char *path, char **text, size_t *len) {
        size_t cap = 4096, n = 0;
        struct stat st;
        char *buf = NULL;
        FILE *f;
        int r;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (fstat(fileno(f), &st) < 0) {
                r = -errno;
                goto out;
        }
        if (S_ISDIR(st.st_mode)) {
                r = -EISDIR;
                goto out;
        }
        for (;;) {
                char *b = realloc(buf, cap + 1);

                if (!b)
                        abort();
                buf = b;
                n += fread(buf + n, 1, cap - n, f);
                if (ferror(f)) {
                        r = errno ? -errno : -EIO;
                        goto out;
                }
                if (n > MAX_CONFIG_BYTES) {
                        r = -EFBIG;
                        goto out;
                }
                if (feof(f))
                        break;
                cap *= 2;
        }
        buf[n] = '\0';
        *text = buf;
        *len = n;
        buf = NULL;
        r = 0;
out:
        free(buf);
        fclose(f);
        return r;
}

int bd_config_load(const char *path, struct bd_config *out, struct bd_config_errors *errs) {
        struct bd_config_errors none = { 0 };
        const char *nul;
        char *text = NULL;
        size_t len = 0;
        int r, line = 1;

        if (!errs)
                errs = &none;
        r = read_text(path, &text, &len);
        if (r < 0) {
                bd_config_errors_add(errs, "%s: cannot read: %s%s", path, strerror(-r),
                          r == -EFBIG ? " (at most 1 MiB)" : "");
                goto out;
        }
        nul = memchr(text, '\0', len);
        if (nul) {
                for (const char *p = text; p < nul; p++)
                        line += *p == '\n';
                bd_config_errors_add(errs, "%s:%d: syntax error: a NUL byte (a configuration file is text)", path, line);
                r = -EINVAL;
                goto out;
        }
        r = load_text(text, len, path, out, errs);
out:
        free(text);
        bd_config_errors_free(&none);
        return r;
}

int bd_config_load_string(const char *text, const char *name, struct bd_config *out,
                          struct bd_config_errors *errs) {
        struct bd_config_errors none = { 0 };
        int r;

        r = load_text(text, strlen(text), name, out, errs ? errs : &none);
        bd_config_errors_free(&none);
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
        for (size_t i = 0; i < c->n_rules && !rule; i++)
                if (rule_matches(&c->rules[i], vm))
                        rule = &c->rules[i];
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
