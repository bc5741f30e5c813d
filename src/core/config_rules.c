/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-VM rules (vms) and the excluded classes (exclude_classes). */
#include <ctype.h>
#include <string.h>

#include "balloond/core/config.h"
#include "balloond/core/units.h"
#include "config_load.h"

static const char rule_keys[] = "name, uuid, min_mib, max_mib, shares, exclude, class";

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
                cfg_error(l, cfg_line_of(s), path, "expected a string (a class name: 1 to %d characters of a-z, "
                              "0-9, _ and -)", BD_CLASS_MAX - 1);
                return false;
        }
        c = config_setting_get_string(s);
        if (!bd_class_valid(c)) {
                cfg_error(l, cfg_line_of(s), path, "\"%s\" is not a class name (1 to %d characters of a-z, "
                              "0-9, _ and -)", c, BD_CLASS_MAX - 1);
                return false;
        }
        *out = c;
        return true;
}

void cfg_load_classes(struct loader *l, const config_setting_t *s) {
        int n;

        if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
                cfg_error(l, cfg_line_of(s), "exclude_classes",
                              "expected an array of class names ([ \"database\", ... ], at most %d)",
                              BD_MAX_CLASSES);
                return;
        }
        n = config_setting_length(s);
        if (n > BD_MAX_CLASSES)
                cfg_error(l, cfg_line_of(s), "exclude_classes", "%d classes, too many (at most %d)", n,
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

        if (!cfg_get_number(l, s, &n) || !n.integral) {
                cfg_error(l, cfg_line_of(s), path, "expected an integer (1..%lld)", MAX_MIB);
                return false;
        }
        if (!(n.value >= 1 && n.value <= MAX_MIB)) {
                cfg_error(l, cfg_line_of(s), path, "%s is out of range (1..%lld)", n.text, MAX_MIB);
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
                        cfg_error(l, cfg_line_of(s), path, "expected a UUID (a string: "
                                      "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)");
                else
                        cfg_error(l, cfg_line_of(s), path, "expected a name or shell glob "
                                      "(a string of 1 to %d characters)", BD_MATCH_MAX - 1);
                return false;
        }
        if (is_uuid && !valid_uuid(str)) {
                cfg_error(l, cfg_line_of(s), path, "\"%s\" is not a UUID "
                              "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, x hexadecimal)", str);
                return false;
        }
        for (size_t i = 0; i < l->cfg->n_rules; i++) {
                const struct bd_rule *o = &l->cfg->rules[i];

                if (o->kind == (is_uuid ? BD_MATCH_UUID : BD_MATCH_NAME) &&
                    (is_uuid ? strcasecmp(o->match, str) : strcmp(o->match, str)) == 0) {
                        cfg_error(l, cfg_line_of(s), path, "\"%s\" repeats vms[%d], which always wins "
                                      "(a name or uuid in one rule only)", str, l->rule_index[i]);
                        return false;
                }
        }
        r->kind = is_uuid ? BD_MATCH_UUID : BD_MATCH_NAME;
        snprintf(r->match, sizeof(r->match), "%s", str);
        return true;
}

static void load_rule(struct loader *l, const config_setting_t *g, int idx) {
        struct bd_rule r = { .shares = -1, .exclude = -1, .line = cfg_line_of(g) };
        const config_setting_t *min_s = NULL;
        char path[80], prefix[32];
        int n, matchers = 0;
        bool ok = true, min_ok = false, max_ok = false;

        snprintf(prefix, sizeof(prefix), "vms[%d]", idx);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                cfg_error(l, cfg_line_of(g), prefix, "expected a group ({ name = \"...\"; ... })");
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
                        if (!cfg_get_number(l, s, &num) || !num.integral) {
                                cfg_error(l, cfg_line_of(s), path, "expected an integer (1..%d)", MAX_SHARES);
                                ok = false;
                        } else if (!(num.value >= 1 && num.value <= MAX_SHARES)) {
                                cfg_error(l, cfg_line_of(s), path, "%s is out of range (1..%d)", num.text,
                                              MAX_SHARES);
                                ok = false;
                        } else {
                                r.shares = (int)num.value;
                        }
                } else if (strcmp(name, "exclude") == 0) {
                        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                                cfg_error(l, cfg_line_of(s), path, "expected a boolean (true or false)");
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
                        cfg_error(l, cfg_line_of(s), path, "unknown key (%s)", rule_keys);
                        ok = false;
                }
        }
        if (matchers == 0) {
                cfg_error(l, cfg_line_of(g), prefix, "has neither name nor uuid (exactly one of them)");
                ok = false;
        } else if (matchers > 1) {
                cfg_error(l, cfg_line_of(g), prefix, "has both name and uuid (exactly one of them)");
                ok = false;
        }
        if (min_ok && max_ok && r.min_kib > r.max_kib) {
                snprintf(path, sizeof(path), "%s.min_mib", prefix);
                cfg_error(l, cfg_line_of(min_s), path, "%llu is above max_mib %llu (1..%llu)",
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

void cfg_load_rules(struct loader *l, const config_setting_t *s) {
        int n;

        if (config_setting_type(s) == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0)
                return; /* vms = [ ]; no rules either */
        if (config_setting_type(s) != CONFIG_TYPE_LIST) {
                cfg_error(l, cfg_line_of(s), "vms", "expected a list of rules (( { name = \"...\"; ... }, ... ), "
                              "at most %d)", BD_MAX_RULES);
                return;
        }
        n = config_setting_length(s);
        if (n > BD_MAX_RULES)
                cfg_error(l, cfg_line_of(s), "vms", "%d rules, too many (at most %d)", n, BD_MAX_RULES);
        for (int i = 0; i < n; i++)
                load_rule(l, config_setting_get_elem(s, (unsigned)i), i);
}
