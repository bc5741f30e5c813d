/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration loader's insides, shared by its files: config.c (defaults,
 * errors, loading, the walk, per-VM settings), config_keys.c (the table of
 * scalar keys, reading their values, unknown keys), config_scan.c (the scan
 * of the text before libconfig parses it), config_rules.c (vms rules and
 * exclude_classes) and config_bands.c (relations between the band keys).
 * Not a public header: nothing outside src/core/config*.c includes it. */
#ifndef BALLOOND_CORE_CONFIG_LOAD_H
#define BALLOOND_CORE_CONFIG_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "balloond/core/config.h"

#define MAX_MIB 16777216LL /* 16 TiB */
#define MAX_SHARES 50000
#define CFG_MAX_KEYS 128 /* room for the table in config_keys.c (checked there) */

enum key_type {
        KEY_INT,   /* integer in the file; uint64_t (scaled) or int in the struct */
        KEY_FLOAT, /* integer or float in the file; double in the struct */
        KEY_BOOL,
        KEY_URI,   /* non-empty string */
        KEY_PATH,  /* absolute path */
        KEY_DIR,   /* absolute path, or "" for none */
        KEY_ADDR,  /* IPv4 or IPv6 address */
        KEY_BLIND, /* "hold" | "deflate" */
        KEY_LABELS, /* "name" | "uuid" */
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
        int lines[CFG_MAX_KEYS]; /* where each key was set, 0 = not set */
        bool bad[CFG_MAX_KEYS];  /* the key's setting was rejected */
        struct literal *lits;
        size_t n_lits;
        int rule_index[BD_MAX_RULES]; /* the vms[] index of each stored rule */
};

struct number {
        double value;
        bool integral;
        char text[48]; /* as written, or as near as we know */
};

/* FILE:LINE: KEY: PROBLEM, added to the loader's errors. */
void cfg_error(struct loader *l, int line, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
int cfg_line_of(const config_setting_t *s);

/* config_keys.c */
const struct key *cfg_find_key(const char *path);
size_t cfg_key_index(const struct key *k);
bool cfg_is_group(const char *name);
bool cfg_get_number(struct loader *l, const config_setting_t *s, struct number *n);
bool cfg_load_key(struct loader *l, const struct key *k, const config_setting_t *s);
void cfg_unknown_key(struct loader *l, const config_setting_t *s, const char *path);

/* config_scan.c: records the integer literals libconfig would truncate and
 * refuses @include. */
void cfg_prescan(struct loader *l, char *text);

/* config_rules.c */
void cfg_load_classes(struct loader *l, const config_setting_t *s);
void cfg_load_rules(struct loader *l, const config_setting_t *s);

/* config_bands.c: the band keys' order and widths. */
void cfg_check_bands(struct loader *l);

#endif
