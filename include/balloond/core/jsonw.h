/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A streaming JSON writer: the status file and --json are written straight
 * into a text buffer (buf.h), without building a tree of objects first (at
 * 1,000 VMs the tree cost more than collecting the statistics). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "balloond/core/buf.h"

struct bd_jw {
        struct bd_buf *b; /* where the text goes */
        bool pretty;     /* newlines and two-space indents */
        int depth;
        bool need_comma; /* the current container has a member already */
        bool after_key;  /* a key was written: its value comes next */
};

void bd_jw_init(struct bd_jw *w, struct bd_buf *b, bool pretty);

/* Containers, as values (or the document itself). */
void bd_jw_object_begin(struct bd_jw *w);
void bd_jw_object_end(struct bd_jw *w);
void bd_jw_array_begin(struct bd_jw *w);
void bd_jw_array_end(struct bd_jw *w);

/* A member's key; its value follows. */
void bd_jw_key(struct bd_jw *w, const char *key);

/* Values. A string is escaped (quote, backslash, control characters); a
 * double that is not finite is written as null. */
void bd_jw_string(struct bd_jw *w, const char *s);
void bd_jw_u64(struct bd_jw *w, uint64_t v);
void bd_jw_i64(struct bd_jw *w, int64_t v);
void bd_jw_double(struct bd_jw *w, double v);
void bd_jw_bool(struct bd_jw *w, bool v);
void bd_jw_null(struct bd_jw *w);

/* Members: a key and its value in one call. bd_jw_member_u64_or_null
 * writes null when V is UNKNOWN (a size nobody knows). */
void bd_jw_member_u64(struct bd_jw *w, const char *key, uint64_t v);
void bd_jw_member_u64_or_null(struct bd_jw *w, const char *key, uint64_t v, uint64_t unknown);
void bd_jw_member_i64(struct bd_jw *w, const char *key, int64_t v);
void bd_jw_member_str(struct bd_jw *w, const char *key, const char *v);
void bd_jw_member_bool(struct bd_jw *w, const char *key, bool v);
