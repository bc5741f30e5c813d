/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The scalar keys of balloond.conf: one table (path, type, valid range, where
 * the value goes in struct bd_config), reading a setting against it, and the
 * error for a key that is not there, with the nearest known key. */
#include <ctype.h>
#include <string.h>

#include <arpa/inet.h>

#include "balloond/core/config.h"
#include "balloond/core/units.h"
#include "config_load.h"

/* ---- the keys --------------------------------------------------------------- */

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
        K_PCT("host.reserve_rescue_pct", 0, 100, host_reserve_rescue_pct),
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
        K_U64("guest.burst_half_life_sec", 60, 604800, USEC_PER_SEC, burst_half_life_usec),
        K_U64("guest.burst_max_mib", 0, MAX_MIB, KIB_PER_MIB, burst_max_kib),
        K_U64("guest.emergency_hold_sec", 0, 86400, USEC_PER_SEC, emergency_hold_usec),
        K_U64("guest.foreign_hold_sec", 0, 86400, USEC_PER_SEC, foreign_hold_usec),
        K_BOOL("guest.deflate_to_entitled", deflate_to_entitled),
        { "guest.blind_action", KEY_BLIND, 0, 0, STORE_U64, 1, offsetof(struct bd_config, blind_action), 0 },

        K_STR("metrics.textfile_dir", KEY_DIR, metrics_textfile_dir),
        K_STR("metrics.http_address", KEY_ADDR, metrics_http_address),
        K_INT("metrics.http_port", 0, 65535, metrics_http_port),
        { "metrics.vm_labels", KEY_LABELS, 0, 0, STORE_U64, 1, offsetof(struct bd_config, metrics_vm_labels), 0 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Top-level names that are not in `keys`. */
static const char *const groups[] = { "host", "guest", "metrics" };
static const char *const lists[] = { "exclude_classes", "vms" };

const struct key *cfg_find_key(const char *path) {
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
        case KEY_LABELS:
                snprintf(buf, len, "\"name\" or \"uuid\"");
                break;
        case KEY_INT:
        case KEY_FLOAT:
                snprintf(buf, len, "%.10g..%.10g", k->min, k->max);
                break;
        }
}

_Static_assert(N_KEYS <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS in config_load.h");

size_t cfg_key_index(const struct key *k) {
        return (size_t)(k - keys);
}

bool cfg_is_group(const char *name) {
        for (size_t j = 0; j < sizeof(groups) / sizeof(groups[0]); j++)
                if (strcmp(name, groups[j]) == 0)
                        return true;
        return false;
}

/* ---- reading values ----------------------------------------------------------- */

/* A number setting's value. An integer that libconfig truncated is given as
 * written (so that it fails the range check with its own text). */
bool cfg_get_number(struct loader *l, const config_setting_t *s, struct number *n) {
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

static bool load_string_key(struct loader *l, const struct key *k, const config_setting_t *s, char *field,
                            const char *range) {
        unsigned char addr[16];
        const char *str;
        size_t len;

        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                cfg_error(l, cfg_line_of(s), k->path, "expected a string (%s)", range);
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
                        cfg_error(l, cfg_line_of(s), k->path, "\"%s\" is not a valid value (%s)", str, range);
                        return false;
                }
                return true;
        }
        if (k->type == KEY_LABELS) {
                if (strcmp(str, "name") == 0)
                        *(enum bd_vm_labels *)(void *)field = BD_VM_LABELS_NAME;
                else if (strcmp(str, "uuid") == 0)
                        *(enum bd_vm_labels *)(void *)field = BD_VM_LABELS_UUID;
                else {
                        cfg_error(l, cfg_line_of(s), k->path, "\"%s\" is not a valid value (%s)", str, range);
                        return false;
                }
                return true;
        }
        if (len == 0 && k->type != KEY_DIR) {
                cfg_error(l, cfg_line_of(s), k->path, "empty (%s)", range);
                return false;
        }
        if (len >= k->size) {
                cfg_error(l, cfg_line_of(s), k->path, "too long, %zu characters (%s)", len, range);
                return false;
        }
        if ((k->type == KEY_PATH || k->type == KEY_DIR) && len > 0 && str[0] != '/') {
                cfg_error(l, cfg_line_of(s), k->path, "\"%s\" is not an absolute path (%s)", str, range);
                return false;
        }
        if (k->type == KEY_ADDR && inet_pton(AF_INET, str, addr) != 1 && inet_pton(AF_INET6, str, addr) != 1) {
                cfg_error(l, cfg_line_of(s), k->path, "\"%s\" is not an IP address (%s)", str, range);
                return false;
        }
        memcpy(field, str, len + 1);
        return true;
}

bool cfg_load_key(struct loader *l, const struct key *k, const config_setting_t *s) {
        char *field = (char *)l->cfg + k->offset;
        struct number n;
        char range[128];

        range_text(k, range, sizeof(range));
        switch (k->type) {
        case KEY_BOOL:
                if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                        cfg_error(l, cfg_line_of(s), k->path, "expected a boolean (%s)", range);
                        return false;
                }
                *(bool *)field = config_setting_get_bool(s);
                return true;
        case KEY_URI:
        case KEY_PATH:
        case KEY_DIR:
        case KEY_ADDR:
        case KEY_BLIND:
        case KEY_LABELS:
                return load_string_key(l, k, s, field, range);
        case KEY_INT:
        case KEY_FLOAT:
                if (!cfg_get_number(l, s, &n) || (k->type == KEY_INT && !n.integral)) {
                        cfg_error(l, cfg_line_of(s), k->path, "expected %s (%s)",
                                      k->type == KEY_INT ? "an integer" : "a number", range);
                        return false;
                }
                if (!(n.value >= k->min && n.value <= k->max)) {
                        cfg_error(l, cfg_line_of(s), k->path, "%s is out of range (%s)", n.text, range);
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

void cfg_unknown_key(struct loader *l, const config_setting_t *s, const char *path) {
        const char *hint = suggest(path);

        if (hint)
                cfg_error(l, cfg_line_of(s), path, "unknown key (did you mean %s?)", hint);
        else
                cfg_error(l, cfg_line_of(s), path, "unknown key (see balloond.conf(5) for the keys)");
}
