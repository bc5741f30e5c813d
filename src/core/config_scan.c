/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The scan of the configuration text before libconfig parses it: integer
 * literals libconfig 1.5 would truncate to 32 bits are recorded as written,
 * and @include is refused. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/core/config.h"
#include "balloond/core/units.h"
#include "config_load.h"

/* ---- the scan before parsing ---------------------------------------------- */

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
void cfg_prescan(struct loader *l, char *text) {
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
                        cfg_error(l, line, "@include", "not supported (every setting in this one file)");
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
