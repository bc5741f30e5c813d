/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper shared by the policy tests: append a per-VM rule to a
 * configuration, as the parser would have built it from a vms = ( ... )
 * entry. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "balloond/core/config.h"

/* SHARES -1: not set; EXCLUDE -1 not set, 0 no, 1 yes; CLASS_TAG NULL: none. */
static inline void add_rule(struct bd_config *c, enum bd_match_kind kind, const char *match, uint64_t min_kib,
                            uint64_t max_kib, int shares, int exclude, const char *class_tag) {
        struct bd_rule *r = &c->rules[c->n_rules++];

        memset(r, 0, sizeof(*r));
        r->kind = kind;
        snprintf(r->match, sizeof(r->match), "%s", match);
        r->min_kib = min_kib;
        r->max_kib = max_kib;
        r->shares = shares;
        r->exclude = exclude;
        snprintf(r->class_tag, sizeof(r->class_tag), "%s", class_tag ? class_tag : "");
        r->line = (int)c->n_rules;
}
