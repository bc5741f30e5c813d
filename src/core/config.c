/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration: compiled-in defaults, overridden by a libconfig file.
 *
 * Every scalar key is described once, in the table `keys` of config_keys.c
 * (path, type, valid range, where it goes in struct bd_config); the loader
 * (this file) walks the file,
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
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "balloond/core/config.h"
#include "balloond/core/units.h"
#include "config_load.h"

#define MAX_CONFIG_BYTES (1024 * 1024)

void bd_config_defaults(struct bd_config *c) {
        memset(c, 0, sizeof(*c));
        snprintf(c->connect_uri, sizeof(c->connect_uri), "qemu:///system");
        c->interval_usec = 5 * USEC_PER_SEC;
        c->stats_period_sec = 2;
        c->dry_run = false;
        c->restore_on_exit = false;

        c->host_reserve_kib = 1024 * KIB_PER_MIB;
        c->host_reserve_rescue_pct = 75.0;
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
        c->burst_half_life_usec = 14400 * USEC_PER_SEC;
        c->burst_max_kib = 4096 * KIB_PER_MIB;
        c->emergency_hold_usec = 1800 * USEC_PER_SEC;
        c->foreign_hold_usec = 1800 * USEC_PER_SEC;
        c->deflate_to_entitled = true;

        c->metrics_textfile_dir[0] = '\0';
        snprintf(c->metrics_http_address, sizeof(c->metrics_http_address), "127.0.0.1");
        c->metrics_http_port = 0;
        c->metrics_vm_labels = BD_VM_LABELS_NAME;

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

void cfg_error(struct loader *l, int line, const char *key, const char *fmt, ...) {
        char problem[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(problem, sizeof(problem), fmt, ap);
        va_end(ap);
        bd_config_errors_add(l->errs, "%s:%d: %s: %s", l->file, line, key, problem);
}

int cfg_line_of(const config_setting_t *s) {
        return (int)config_setting_source_line(s);
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
                is_group = !group && cfg_is_group(name);
                if (is_group) {
                        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                                cfg_error(l, cfg_line_of(s), path, "expected a group (%s = { ... };)", name);
                        else
                                load_group(l, s, name);
                } else if (!group && strcmp(name, "exclude_classes") == 0) {
                        cfg_load_classes(l, s);
                } else if (!group && strcmp(name, "vms") == 0) {
                        cfg_load_rules(l, s);
                } else if ((k = cfg_find_key(path)) != NULL) {
                        l->lines[cfg_key_index(k)] = cfg_line_of(s);
                        l->bad[cfg_key_index(k)] = !cfg_load_key(l, k, s);
                } else {
                        cfg_unknown_key(l, s, path);
                }
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

/* Line LINE (from 1) of TEXT, without its leading and trailing blanks, in
 * BUF; cut short with "..." past 60 characters. */
static void quote_line(const char *text, int line, char *buf, size_t size) {
        const char *p = text, *end;
        size_t n;

        for (int i = 1; i < line && p; i++) {
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        if (!p) {
                snprintf(buf, size, "%s", "");
                return;
        }
        while (*p == ' ' || *p == '\t')
                p++;
        end = strchr(p, '\n');
        n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
                n--;
        if (n > 60)
                snprintf(buf, size, "%.57s...", p);
        else
                snprintf(buf, size, "%.*s", (int)n, p);
}

/* libconfig's parser says only "syntax error" for most mistakes: say where
 * (the line, quoted) and what a setting looks like. */
static void syntax_error(struct bd_config_errors *errs, const char *name, const char *text, int line,
                         const char *what) {
        char quoted[64];

        quote_line(text, line, quoted, sizeof(quoted));
        if (!what || strcmp(what, "syntax error") == 0)
                bd_config_errors_add(errs,
                                     "%s:%d: syntax error: cannot read '%s' (or the line before it): a setting "
                                     "is name = value; strings in double quotes, groups in { }, list and array "
                                     "elements separated by commas",
                                     name, line, quoted);
        else
                bd_config_errors_add(errs, "%s:%d: syntax error: %s: '%s'", name, line, what, quoted);
}

static int load_text(const char *source, size_t len, const char *name, struct bd_config *out,
                     struct bd_config_errors *errs) {
        struct loader l = { .file = name, .errs = errs };
        size_t before = errs->n;
        struct bd_config cfg;
        char *text;
        config_t lc;
        int r = 0;

        /* Our own copy, for cfg_prescan() to change, and ending in a newline:
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
        cfg_prescan(&l, text);
        config_init(&lc);
        if (!config_read_string(&lc, text)) {
                syntax_error(errs, name, text, config_error_line(&lc), config_error_text(&lc));
        } else {
                load_group(&l, config_root_setting(&lc), NULL);
                cfg_check_bands(&l);
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
